"""viz: computation graphs and networks rendered with Graphviz, and plots.

- `draw_graph(root, ...)`: the computation graph of a `Value` (micrograd's
  picture: values with data and grad, one small node per op), with
  highlighted chain-rule paths and neuron/layer boxes for large graphs.
- `draw_network(model, ...)`: an `nn` MLP as the seeds draw it, one column
  of nodes a⁽ˡ⁾ⱼ per layer and one edge per weight w⁽ˡ⁾ⱼₖ.
- `plot_history(history)`, `plot_decision_boundary(model, X, y)`: matplotlib
  figures.

The drawings are `Drawing` objects: shown inline in Jupyter, with ``.source``
(DOT text) and ``.save(path)``.  Graphviz and matplotlib are imported only
when a picture is rendered or a plot made, so ``import viz`` needs neither.
"""

from .graph import draw_graph
from .network import draw_network
from .plots import plot_decision_boundary, plot_history
from .render import FORMATS, Drawing, GraphvizNotFound

__all__ = [
    "draw_graph",
    "draw_network",
    "plot_history",
    "plot_decision_boundary",
    "Drawing",
    "GraphvizNotFound",
    "FORMATS",
]
