"""viz: computation graphs and networks rendered with Graphviz."""
