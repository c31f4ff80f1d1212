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

from autodiff import Value, topological_order
from autodiff.arguments import flag, is_int, type_name
from nn.notation import label as notation_label
from nn.notation import parse

from .render import DotWriter, Drawing, css_width, html_text, number, quoted
from .render import legend as legend_node

SHOW = ("grad", "weight", "delta")
EDGE_WIDTHS = ("weight", "grad")
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
    *,
    root=None,
    sample: int | None = None,
    highlight=None,
    edge_width: str = "weight",
    width=None,
) -> Drawing:
    """Draw an MLP: one column of nodes per layer, one edge per weight.

    Args:
        model: an `nn.MLP`, or any object with ``.layers[l-1].neurons[j]``
            holding ``.w`` (a list of `Value`) and ``.b`` (a `Value`).
        show: what the edge colour shows: "grad" (default) the sign of each
            weight's ``.grad`` ∂C/∂w, "weight" the sign of the weight.  Blue
            is positive, red negative, grey zero.  "delta" colours by ∂C/∂w
            too and also writes δ⁽ˡ⁾ⱼ = ∂C/∂z⁽ˡ⁾ⱼ (“Backward Propagation”) on each node of
            layers 1..L, read from the z⁽ˡ⁾ⱼ nodes of ``root``'s graph: with
            one sample, its δ; with m samples (a batch loss C = (1/m) Σᵢ Cᵢ),
            the mean of the samples' δ, Σᵢ ∂C/∂z⁽ˡ⁾ⱼ,ᵢ, or, with ``sample=i``,
            sample i's δ = m ∂C/∂z⁽ˡ⁾ⱼ,ᵢ.  The legend says which.
        labels: also write each weight's label, value and grad on its edge,
            and each bias on its node (False).
        rankdir: "LR" (default: input on the left), "RL", "TB" or "BT".
        legend: add a legend node (True).
        max_edges: the most weights drawn (5000); more raise ValueError.
        root: with ``show="delta"``, the loss `Value` the model was run into
            and ``backward()`` called on.
        sample: with ``show="delta"`` and several samples, the sample whose
            δ is shown (0-based, in the order of the forward calls); None
            (default) shows the mean over the samples.
        highlight: a weight of the model (a `Value` in some ``neuron.w``):
            its edge is drawn wide and marked, labelled with its ∂C/∂w.
        edge_width: what an edge's width follows: "weight" (|w|, default)
            or "grad" (|∂C/∂w|).
        width: the width in a notebook (see `viz.Drawing.width`).

    Returns:
        A `viz.Drawing` (inline SVG in Jupyter, ``.source``, ``.save(path)``).

    Raises:
        TypeError: ``model`` does not have that structure, or a flag is not a bool.
        ValueError: a bad ``show``/``rankdir``/``max_edges``/``edge_width``/
            ``sample``/``width``, layer sizes that do not chain (a neuron of
            layer l must have one weight per node of layer l−1), more
            weights than ``max_edges``, ``show="delta"`` without a ``root``
            holding a forward call of the model or before ``backward()``,
            or a ``highlight`` that is not one of the model's weights.
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
    if not isinstance(edge_width, str) or edge_width not in EDGE_WIDTHS:
        raise ValueError(f"edge_width must be one of {EDGE_WIDTHS}, got {edge_width!r}")
    css = css_width(width)
    if show != "delta" and (root is not None or sample is not None):
        raise ValueError("root= and sample= go with show='delta'")
    deltas, what_delta = _deltas(layers, root, sample) if show == "delta" else ({}, "")
    marked = _highlight(layers, highlight)
    n_weights = sum(len(n.w) for layer in layers for n in layer)
    if n_weights > max_edges:
        raise ValueError(
            f"the model has {n_weights:,} weights, more than max_edges={max_edges:,}: "
            "raise max_edges to draw them all"
        )

    by_grad = edge_width == "grad"
    magnitudes = [
        abs(w.grad if by_grad else w.data) for layer in layers for n in layer for w in n.w
    ]
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
                if (l, j) in deltas:
                    text += f'<BR/><FONT POINT-SIZE="9">δ {html_text(number(deltas[l, j]))}</FONT>'
            writer.node(f"a{l}_{j}", f'fillcolor="{NODE_COLOURS[role]}", label=<{text}>')
        # One column per layer, kept in node order by invisible edges.
        ids = " ".join(f"a{l}_{j}" for j in range(size))
        writer.raw(f"subgraph layer{l} {{ rank=same; {ids}; }}")
        for j in range(size - 1):
            writer.edge(f"a{l}_{j}", f"a{l}_{j + 1}", "style=invis", visible=False)

    for l, layer in enumerate(layers, start=1):  # noqa: E741
        for j, neuron in enumerate(layer):
            for k, w in enumerate(neuron.w):
                sign_of = w.data if show == "weight" else w.grad
                colour = POSITIVE if sign_of > 0 else NEGATIVE if sign_of < 0 else ZERO
                pen = _width(abs(w.grad if edge_width == "grad" else w.data), scale)
                name = notation_label("w", l, j, k)
                tip = f"{name} = {number(w.data)}, grad {number(w.grad)}"
                if w in marked:
                    # The highlighted weight: wide, outlined in black, with its gradient.
                    attrs = (f'color="black:{colour}:black", penwidth={max(pen, 2.5):.3f}, '
                             f'tooltip={quoted(tip)}, fontcolor="black", '
                             f'label=<<B>{html_text(name)}</B><BR/>'
                             f'{html_text("∂C/∂w = " + number(w.grad))}>')
                else:
                    attrs = f'color="{colour}", penwidth={pen:.3f}, tooltip={quoted(tip)}'
                    if labels:
                        attrs += f', fontcolor="{colour}", label=<{_value_text(name, w)}>'
                writer.edge(f"a{l - 1}_{k}", f"a{l}_{j}", attrs)

    if legend:
        what = "w" if show == "weight" else "∂C/∂w"
        entries = [
            (NODE_COLOURS["input"], "input a⁽⁰⁾ₖ"),
            (NODE_COLOURS["hidden"], "hidden node a⁽ˡ⁾ⱼ"),
            (NODE_COLOURS["output"], "output node a⁽ᴸ⁾ⱼ"),
            (POSITIVE, f"{what} > 0"),
            (NEGATIVE, f"{what} < 0"),
            (ZERO, f"{what} = 0"),
            ("#ffffff", f"edge width ∝ |{'∂C/∂w' if edge_width == 'grad' else 'w'}|"),
        ]
        if last == 1:
            del entries[1]
        legend_node(writer, entries)
    if what_delta:
        writer.caption(html_text(what_delta))
    return writer.drawing(css)


def _highlight(layers: list, highlight) -> set:
    """The weights to mark (a set of Values), after checking they are the model's."""
    if highlight is None:
        return set()
    wanted = list(highlight) if isinstance(highlight, (list, tuple)) else [highlight]
    weights = {w for layer in layers for n in layer for w in n.w}
    for i, w in enumerate(wanted):
        if not isinstance(w, Value):
            raise TypeError(
                f"highlight must be a weight Value (or a list of them), got {type(w).__name__}"
            )
        if w not in weights:
            raise ValueError(
                f"highlight[{i}] = {w!r} is not a weight of the model "
                "(give one of model.layers[l-1].neurons[j].w)"
            )
    return set(wanted)


def _deltas(layers: list, root, sample) -> tuple[dict, str]:
    """δ⁽ˡ⁾ⱼ per (l, j) from the z⁽ˡ⁾ⱼ nodes of ``root``'s graph, and what they are.

    A z node belongs to the model when its parents include the neuron's own
    bias b⁽ˡ⁾ⱼ; a graph with m forward calls has m of them per neuron, in
    the order of the calls (the topological order follows them).
    """
    if root is None:
        raise ValueError(
            "show='delta' needs root=, the loss Value of a forward call of the model "
            "on which backward() was called"
        )
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    if root.grad == 0.0:
        raise ValueError(
            "show='delta': root.grad is 0, so backward() has not been called on root "
            "(call root.backward() first)"
        )
    bias_of = {
        id(n.b): (l, j) for l, layer in enumerate(layers, start=1) for j, n in enumerate(layer)
    }
    found: dict = {}
    for node in topological_order(root):
        p = parse(node.label) if node.label else None
        if p is None or p.symbol != "z":
            continue
        for parent in node.parents:
            if bias_of.get(id(parent)) == (p.l, p.j):
                found.setdefault((p.l, p.j), []).append(node)
                break
    if not found:
        raise ValueError(
            "show='delta': root's graph holds no z⁽ˡ⁾ⱼ node of this model: give as root "
            "the loss of a forward call model(x) (and call backward() on it)"
        )
    counts = {len(v) for v in found.values()}
    m = max(counts)
    if sample is not None:
        if isinstance(sample, bool) or not isinstance(sample, int):
            raise TypeError(f"sample must be an int or None, got {type(sample).__name__}")
        if not 0 <= sample < m:
            raise ValueError(
                f"sample must be in 0..{m - 1} (the graph holds {m} samples), got {sample}"
            )
    if m == 1:
        one = {key: zs[0].grad for key, zs in found.items()}
        return one, "δ⁽ˡ⁾ⱼ = ∂C/∂z⁽ˡ⁾ⱼ on each node (one sample)"
    if sample is None:
        deltas = {key: sum(z.grad for z in zs) for key, zs in found.items()}
        return deltas, (
            f"δ⁽ˡ⁾ⱼ on each node: the mean over the {m} samples, Σᵢ ∂C/∂z⁽ˡ⁾ⱼ,ᵢ "
            "(C the mean of the samples' losses; = ∂C/∂b⁽ˡ⁾ⱼ without a penalty on b)"
        )
    deltas = {key: m * zs[sample].grad for key, zs in found.items() if len(zs) > sample}
    return deltas, (
        f"δ⁽ˡ⁾ⱼ on each node: sample {sample} of {m}, δᵢ = ∂Cᵢ/∂z⁽ˡ⁾ⱼ = {m}·∂C/∂z⁽ˡ⁾ⱼ,ᵢ "
        "(C the mean of the samples' losses)"
    )


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
