"""viz: computation graphs and networks rendered with Graphviz, and plots.

- `draw_graph(root, ...)`: the computation graph of a `Value` (micrograd's
  picture: values with data and grad, one small node per op), with
  highlighted chain-rule paths and neuron/layer boxes for large graphs.
- `draw_network(model, ...)`: an `nn` MLP as the seeds draw it, one column
  of nodes a⁽ˡ⁾ⱼ per layer and one edge per weight w⁽ˡ⁾ⱼₖ.
- `backward_steps(root, focus=None)`: the backward pass as data, one step
  per node in the engine's order; `play_backward(root, focus=None)` plays
  it in a self-contained page (notebook output or ``.save("backprop.html")``).
- `plot_history(history)`, `plot_decision_boundary(model, X, y)`: matplotlib
  figures.

The drawings are `Drawing` objects: shown inline in Jupyter, with ``.source``
(DOT text) and ``.save(path)``.  Graphviz and matplotlib are imported only
when a picture is rendered or a plot made, so ``import viz`` needs neither.
"""

from .graph import draw_graph
from .network import draw_network
from .player import BackwardPlayer, play_backward
from .plots import plot_decision_boundary, plot_history
from .render import FORMATS, Drawing, GraphvizNotFound
from .steps import BackwardSteps, Push, Step, backward_steps

__all__ = [
    "draw_graph",
    "draw_network",
    "backward_steps",
    "BackwardSteps",
    "Step",
    "Push",
    "play_backward",
    "BackwardPlayer",
    "plot_history",
    "plot_decision_boundary",
    "Drawing",
    "GraphvizNotFound",
    "FORMATS",
]
