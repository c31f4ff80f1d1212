"""nn: neurons, layers and MLPs on the autodiff engine."""
