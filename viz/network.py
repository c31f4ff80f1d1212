"""`draw_network`: an MLP drawn the way "Backward Propagation" and
"Backpropagation Explained" draw networks.

Layer 0 (the input) and each layer l = 1..L are a column of nodes a⁽ˡ⁾ⱼ;
each weight w⁽ˡ⁾ⱼₖ is one edge, from node k of layer l−1 to node j of layer
l.  An edge's width grows with |w|, and its colour gives the sign of the
gradient ∂C/∂w (or of the weight itself): the picture of where gradient
descent is about to push each weight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autodiff import Value
from autodiff.arguments import flag, is_int, type_name
from nn.notation import label as notation_label

from .render import DotWriter, Drawing, html_text, number, quoted
from .render import legend as legend_node

SHOW = ("grad", "weight")
RANKDIRS = ("LR", "RL", "TB", "BT")

POSITIVE = "#2166ac"
NEGATIVE = "#b2182b"
ZERO = "#9e9e9e"
NODE_COLOURS = {"input": "#9ecae1", "hidden": "#c7e9c0", "output": "#f4a582"}

# Edge widths span this range (points), in proportion to |w| / max |w|.
_MIN_WIDTH = 0.4
_MAX_WIDTH = 4.0


def draw_network(
    model,
    show: str = "grad",
    labels: bool = False,
    rankdir: str = "LR",
    legend: bool = True,
    max_edges: int = 5000,
) -> Drawing:
    """Draw an MLP: one column of nodes per layer, one edge per weight.

    Args:
        model: an `nn.MLP`, or any object with ``.layers[l-1].neurons[j]``
            holding ``.w`` (a list of `Value`) and ``.b`` (a `Value`).
        show: what the edge colour shows: "grad" (default) the sign of each
            weight's ``.grad`` ∂C/∂w, "weight" the sign of the weight.  Blue
            is positive, red negative, grey zero.  The width always grows
            with |w|.
        labels: also write each weight's label, value and grad on its edge,
            and each bias on its node (False).
        rankdir: "LR" (default: input on the left), "RL", "TB" or "BT".
        legend: add a legend node (True).
        max_edges: the most weights drawn (5000); more raise ValueError.

    Returns:
        A `viz.Drawing` (inline SVG in Jupyter, ``.source``, ``.save(path)``).

    Raises:
        TypeError: ``model`` does not have that structure, or a flag is not a bool.
        ValueError: a bad ``show``/``rankdir``/``max_edges``, layer sizes that
            do not chain (a neuron of layer l must have one weight per node
            of layer l−1), or more weights than ``max_edges``.
    """
    layers = _layers(model)
    if not isinstance(show, str) or show not in SHOW:
        raise ValueError(f"show must be one of {SHOW}, got {show!r}")
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    flag(labels, "labels")
    flag(legend, "legend")
    if not is_int(max_edges) or max_edges < 1:
        raise ValueError(f"max_edges must be an int >= 1, got {max_edges!r}")
    n_weights = sum(len(n.w) for layer in layers for n in layer)
    if n_weights > max_edges:
        raise ValueError(
            f"the model has {n_weights:,} weights, more than max_edges={max_edges:,}: "
            "raise max_edges to draw them all"
        )

    magnitudes = [abs(w.data) for layer in layers for n in layer for w in n.w]
    biggest = max((m for m in magnitudes if math.isfinite(m)), default=0.0)
    scale = (_MAX_WIDTH - _MIN_WIDTH) / biggest if biggest > 0.0 else 0.0

    writer = DotWriter(
        {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.15", "ranksep": "1.6",
         "splines": "line"},
        {"fontname": "Helvetica", "fontsize": "11", "shape": "circle", "style": "filled",
         "margin": "0.02"},
        {"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.5"},
    )
    sizes = [len(layers[0][0].w)] + [len(layer) for layer in layers]
    last = len(layers)
    for l, size in enumerate(sizes):  # noqa: E741 - the seeds' name
        role = "input" if l == 0 else "output" if l == last else "hidden"
        for j in range(size):
            text = html_text(notation_label("a", l, j))
            if l > 0:
                neuron = layers[l - 1][j]
                act = getattr(neuron, "activation", None)
                if isinstance(act, str):
                    text += f'<BR/><FONT POINT-SIZE="8">{html_text(act)}</FONT>'
                if labels:
                    bias = _value_text(notation_label("b", l, j), neuron.b)
                    text += f'<BR/><FONT POINT-SIZE="8">{bias}</FONT>'
            writer.node(f"a{l}_{j}", f'fillcolor="{NODE_COLOURS[role]}", label=<{text}>')
        # One column per layer, kept in node order by invisible edges.
        ids = " ".join(f"a{l}_{j}" for j in range(size))
        writer.raw(f"subgraph layer{l} {{ rank=same; {ids}; }}")
        for j in range(size - 1):
            writer.edge(f"a{l}_{j}", f"a{l}_{j + 1}", "style=invis", visible=False)

    for l, layer in enumerate(layers, start=1):  # noqa: E741
        for j, neuron in enumerate(layer):
            for k, w in enumerate(neuron.w):
                sign_of = w.grad if show == "grad" else w.data
                colour = POSITIVE if sign_of > 0 else NEGATIVE if sign_of < 0 else ZERO
                width = _width(abs(w.data), scale)
                name = notation_label("w", l, j, k)
                tip = f"{name} = {number(w.data)}, grad {number(w.grad)}"
                attrs = f'color="{colour}", penwidth={width:.3f}, tooltip={quoted(tip)}'
                if labels:
                    attrs += f', fontcolor="{colour}", label=<{_value_text(name, w)}>'
                writer.edge(f"a{l - 1}_{k}", f"a{l}_{j}", attrs)

    if legend:
        what = "∂C/∂w" if show == "grad" else "w"
        entries = [
            (NODE_COLOURS["input"], "input a⁽⁰⁾ₖ"),
            (NODE_COLOURS["hidden"], "hidden node a⁽ˡ⁾ⱼ"),
            (NODE_COLOURS["output"], "output node a⁽ᴸ⁾ⱼ"),
            (POSITIVE, f"{what} > 0"),
            (NEGATIVE, f"{what} < 0"),
            (ZERO, f"{what} = 0"),
            ("#ffffff", "edge width ∝ |w|"),
        ]
        if last == 1:
            del entries[1]
        legend_node(writer, entries)
    return writer.drawing()


def _width(magnitude: float, scale: float) -> float:
    """An edge's width for |w| = ``magnitude`` (inf the widest, nan the thinnest)."""
    if not scale:
        return 1.0  # every weight is 0 (or not finite): one plain width
    if math.isfinite(magnitude):
        return _MIN_WIDTH + scale * magnitude
    return _MAX_WIDTH if magnitude == math.inf else _MIN_WIDTH


def _value_text(name: str, v: Value) -> str:
    """``name = data`` and its grad, escaped, for an edge or node label."""
    return html_text(f"{name} = {number(v.data)}") + "<BR/>" + html_text(f"grad {number(v.grad)}")


def _layers(model) -> list[list]:
    """The model's neurons, layer by layer, after checking the structure."""
    what = "model must be an nn.MLP (or have .layers[].neurons[] with .w and .b)"
    layers = getattr(model, "layers", None)
    if not isinstance(layers, Sequence) or isinstance(layers, (str, bytes)) or not layers:
        raise TypeError(f"{what}, got {type_name(model)}")
    out = []
    for i, layer in enumerate(layers):
        neurons = getattr(layer, "neurons", None)
        if not isinstance(neurons, Sequence) or isinstance(neurons, (str, bytes)) or not neurons:
            raise TypeError(f"{what}: layers[{i}] has no non-empty .neurons list")
        for j, neuron in enumerate(neurons):
            w = getattr(neuron, "w", None)
            b = getattr(neuron, "b", None)
            if not isinstance(w, Sequence) or not w or not all(isinstance(x, Value) for x in w):
                raise TypeError(
                    f"{what}: layers[{i}].neurons[{j}].w is not a non-empty list of Values"
                )
            if not isinstance(b, Value):
                raise TypeError(f"{what}: layers[{i}].neurons[{j}].b is not a Value")
        out.append(list(neurons))
    width = len(out[0][0].w)
    for i, neurons in enumerate(out):
        for j, neuron in enumerate(neurons):
            if len(neuron.w) != width:
                raise ValueError(
                    f"layers[{i}].neurons[{j}] has {len(neuron.w)} weights, but layer {i} "
                    f"has {width} nodes: each neuron needs one weight per node of the layer before"
                )
        width = len(neurons)
    return out
