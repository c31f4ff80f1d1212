"""`draw_graph`: a computation graph as a picture.

Drawn micrograd's way: every `Value` is a box showing its label, data and
grad, and every op is its own small node between its inputs and its output.
Leaves, parameters (leaves labelled w⁽ˡ⁾ⱼₖ or b⁽ˡ⁾ⱼ), constants (unlabelled
leaves) and the root are coloured apart, with a legend.

``highlight=`` marks every path from the root down to a node: the chain of
local derivatives whose product (summed over the paths) is ∂root/∂node, each
edge labelled with its local derivative: the picture of the chain rule in
"Backpropagation Explained".

``collapse="neuron"`` or ``"layer"`` draws each neuron (or layer) of an `nn`
model as one box, found through the labels `nn` puts on the graph.  A box
aggregates that neuron over every sample in the graph (so the graph of a
training step on 100 samples shows each neuron once, "× 100 samples"), and
the nodes outside the network (losses, regularisation) are merged by
structure: the per-sample copies of the same computation become one node
with a count.

The DOT text is written by hand, with node ids taken from the one traversal
(`autodiff.topological_order`), so the same graph always gives the same
bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from autodiff import Value, local_grads, topological_order
from autodiff.arguments import flag, is_int, type_name
from nn.notation import label as notation_label
from nn.notation import parse

from .render import DotWriter, Drawing, html_text, number
from .render import legend as legend_node

RANKDIRS = ("TB", "LR", "BT", "RL")
COLLAPSE = ("neuron", "layer")

# Node kinds, their fill colours and what the legend calls them.
ROOT, PARAMETER, INPUT, CONSTANT, COMPUTED, OP, NEURON, LAYER = (
    "root", "parameter", "input", "constant", "computed", "op", "neuron", "layer",
)
COLOURS = {
    ROOT: "#f4a582",
    PARAMETER: "#fee08b",
    INPUT: "#9ecae1",
    CONSTANT: "#d9d9d9",
    COMPUTED: "#ffffff",
    OP: "#f0f0f0",
    NEURON: "#c7e9c0",
    LAYER: "#c7e9c0",
}
DESCRIPTIONS = {
    ROOT: "root (the output drawn)",
    PARAMETER: "parameter: leaf w or b",
    INPUT: "input: labelled leaf",
    CONSTANT: "constant: unlabelled leaf",
    COMPUTED: "computed value",
    OP: "operation",
    NEURON: "neuron: its w, b, z, a",
    LAYER: "layer: its neurons",
}
#: The colour of the highlighted paths.
PATH_COLOUR = "#d7301f"

_GRAPH_ATTRS = {"fontname": "Helvetica", "bgcolor": "white"}
_NODE_ATTRS = {"fontname": "Helvetica", "fontsize": "11"}
_EDGE_ATTRS = {"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7"}


def draw_graph(
    root,
    rankdir: str = "LR",
    show_grad: bool = True,
    highlight=None,
    max_nodes: int = 2000,
    collapse: str | None = None,
    legend: bool = True,
) -> Drawing:
    """Draw the computation graph that ends in ``root``.

    Args:
        root: the output `Value` (or a non-empty list of Values, each drawn
            as a root).
        rankdir: the direction of the drawing: "LR" (default, inputs on the
            left), "RL", "TB" or "BT".
        show_grad: show each value's ``.grad`` beside its data (True).
        highlight: a `Value` (or a list of Values) of the graph: every path
            from the root down to it is drawn in red, each edge labelled with
            its local derivative (∂child/∂parent, from the op table), so the
            product along a path is that path's share of ∂root/∂node.
        max_nodes: the most values drawn one by one (2000).  A larger graph
            raises ValueError unless ``collapse`` is given.
        collapse: None (every value drawn), "neuron" or "layer": each neuron
            or layer of an `nn` model drawn as one box (see the module
            docstring).  Highlighted paths then mark boxes and edges, without
            derivative labels.
        legend: add a legend node naming the colours (True).

    Returns:
        A `viz.Drawing`: shown as SVG in Jupyter, with ``.source`` (DOT)
        and ``.save(path)``.

    Raises:
        TypeError: ``root`` or ``highlight`` holds something that is not a
            Value, or a flag is not a bool.
        ValueError: a bad ``rankdir``/``collapse``/``max_nodes``, a highlight
            target that is not in the graph, or a graph too large to draw.
    """
    roots = _roots(root)
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    flag(show_grad, "show_grad")
    flag(legend, "legend")
    if not is_int(max_nodes) or max_nodes < 1:
        raise ValueError(f"max_nodes must be an int >= 1, got {max_nodes!r}")
    if collapse is not None and collapse not in COLLAPSE:
        raise ValueError(f"collapse must be None, 'neuron' or 'layer', got {collapse!r}")

    order = topological_order(roots)
    targets = _targets(highlight, order)
    if collapse is None and len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order):,} values, more than max_nodes={max_nodes:,}: "
            "draw it with collapse='neuron' or collapse='layer' (one box per neuron "
            "or layer), or raise max_nodes"
        )
    on_path = _on_path(order, targets)
    writer = DotWriter({**_GRAPH_ATTRS, "rankdir": rankdir}, _NODE_ATTRS, _EDGE_ATTRS)
    if collapse is None:
        kinds = _draw_full(writer, order, set(roots), show_grad, targets, on_path)
    else:
        kinds = _draw_collapsed(
            writer, order, roots, collapse, show_grad, targets, on_path, max_nodes
        )
    if legend:
        entries = [(COLOURS[k], DESCRIPTIONS[k]) for k in COLOURS if k in kinds]
        if targets:
            entries.append((PATH_COLOUR, "path to the highlighted node"))
        legend_node(writer, entries)
    return writer.drawing()


# --------------------------------------------------------------------------
# Arguments


def _roots(root) -> list:
    if isinstance(root, Value):
        return [root]
    if isinstance(root, (list, tuple)) and root:
        for i, r in enumerate(root):
            if not isinstance(r, Value):
                raise TypeError(f"root[{i}] must be a Value, got {type_name(r)}")
        return list(root)
    if isinstance(root, (list, tuple)):
        raise ValueError("root is an empty list: give a Value or a non-empty list of Values")
    raise TypeError(f"root must be a Value or a list of Values, got {type_name(root)}")


def _targets(highlight, order: list) -> set:
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        wanted = [highlight]
    elif isinstance(highlight, Iterable) and not isinstance(highlight, (str, bytes)):
        wanted = list(highlight)
    else:
        raise TypeError(
            f"highlight must be a Value or a list of Values, got {type_name(highlight)}"
        )
    in_graph = set(order)
    for i, v in enumerate(wanted):
        if not isinstance(v, Value):
            raise TypeError(f"highlight[{i}] must be a Value, got {type_name(v)}")
        if v not in in_graph:
            raise ValueError(
                f"highlight target {v!r} is not in the graph of root: only nodes the "
                "root depends on can be highlighted"
            )
    return set(wanted)


def _on_path(order: list, targets: set) -> set:
    """The nodes that depend on a target (targets included): exactly the
    nodes on some path from the root down to a target."""
    on: set[Value] = set()
    if not targets:
        return on
    for node in order:  # parents first, so each parent is decided before its children
        if node in targets or any(p in on for p in node.parents):
            on.add(node)
    return on


def _kind(node: Value, roots: set) -> str:
    if node in roots:
        return ROOT
    if node.parents:
        return COMPUTED
    if not node.label:
        return CONSTANT
    parsed = parse(node.label)
    if parsed is not None and parsed.symbol in ("w", "b"):
        return PARAMETER
    return INPUT


def _table(cells: list[str], colour: str, marked: bool, target: bool) -> str:
    """An HTML-like table label: one row of cells (already escaped)."""
    border = f' COLOR="{PATH_COLOUR}"' if marked else ""
    outer = "2" if target else "0"
    row = "".join(f"<TD>{c}</TD>" for c in cells)
    return (
        f'<TABLE BORDER="{outer}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="{colour}"{border}><TR>{row}</TR></TABLE>'
    )


def _value_cells(node: Value, show_grad: bool) -> list[str]:
    cells = [f"<B>{html_text(node.label)}</B>"] if node.label else []
    cells.append(f"data {number(node.data)}")
    if show_grad:
        cells.append(f"grad {number(node.grad)}")
    return cells


# --------------------------------------------------------------------------
# Every value drawn


def _draw_full(writer, order, roots, show_grad, targets, on_path) -> set:
    """One box per value and one small node per op; returns the kinds drawn."""
    ids: dict = {}
    kinds = set()
    red = f'color="{PATH_COLOUR}", fontcolor="{PATH_COLOUR}", penwidth=2.2'
    for i, node in enumerate(order):
        vid = ids[node] = f"n{i}"
        kind = _kind(node, roots)
        kinds.add(kind)
        marked = node in on_path
        label = _table(_value_cells(node, show_grad), COLOURS[kind], marked, node in targets)
        writer.node(vid, f"shape=plain, label=<{label}>")
        parents = node.parents
        if not parents:
            continue
        kinds.add(OP)
        oid = f"o{i}"
        path_here = marked and any(p in on_path for p in parents)
        colour = f', color="{PATH_COLOUR}", penwidth=2' if path_here else ""
        writer.node(
            oid,
            f'shape=ellipse, style=filled, fillcolor="{COLOURS[OP]}", height=0.3, '
            f'margin="0.04,0.02", label=<{html_text(node.op)}>{colour}',
        )
        partials = local_grads(node) if path_here else ()
        for pos, parent in enumerate(parents):
            if path_here and parent in on_path:
                writer.edge(ids[parent], oid, f"{red}, label=<{number(partials[pos])}>")
            else:
                writer.edge(ids[parent], oid)
        writer.edge(oid, vid, red if path_here else "")
    return kinds


# --------------------------------------------------------------------------
# Neurons or layers as boxes

_CONST = -1  # the key of a constant parent inside another node's key


def _groups(order: list, mode: str) -> tuple[dict, dict]:
    """The box of every node that belongs to a neuron or layer of an `nn` model.

    Returns ``(group_of, parsed)``: node -> group key, and node -> its parsed
    label, for the nodes with nn labels.  A group key is ``("neuron", l, j)``
    or ``("input", k)`` for ``mode="neuron"``, ``("layer", l)`` for "layer".
    """
    group_of: dict = {}
    parsed: dict = {}
    params: dict = {}
    zs = []
    g: tuple
    for node in order:
        if not node.label:
            continue
        p = parse(node.label)
        if p is None:
            continue
        if p.l == 0:
            if p.symbol != "a":
                continue
            g = ("input", p.j) if mode == "neuron" else ("layer", 0)
        else:
            g = ("neuron", p.l, p.j) if mode == "neuron" else ("layer", p.l)
        group_of[node] = g
        parsed[node] = p
        if p.symbol in ("w", "b"):
            params[node] = g
        elif p.symbol == "z":
            zs.append((node, g))
    # The unlabelled nodes of a weighted sum (the dot node, or the products
    # wₖ·aₖ) lie between z and the neuron's own parameters: walk up from each
    # z through unlabelled computed nodes that take one of those parameters.
    # Nodes that do not (say, an input computed from the data) stay outside.
    for z, g in zs:
        stack = [z]
        while stack:
            node = stack.pop()
            for p in node.parents:
                if p in group_of or p.label or not p.parents:
                    continue
                if any(params.get(q) == g for q in p.parents):
                    group_of[p] = g
                    stack.append(p)
    return group_of, parsed


def _draw_collapsed(writer, order, roots, mode, show_grad, targets, on_path, max_nodes) -> set:
    """One box per neuron or layer, other nodes merged by structure."""
    group_of, parsed = _groups(order, mode)
    keys: dict = {}  # node -> key id
    interned: dict = {}  # key -> key id
    members: list[list] = []  # key id -> its nodes
    kinds: list[str] = []  # key id -> kind

    def intern(key, kind):
        k = interned.get(key)
        if k is None:
            k = interned[key] = len(members)
            members.append([])
            kinds.append(kind)
        return k

    root_set = set(roots)
    for node in order:
        g = group_of.get(node)
        parents = node.parents
        if g is not None:
            k = intern(("group", g), INPUT if g[0] == "input" or g == ("layer", 0) else mode)
        elif not parents:
            if not node.label:
                continue  # a constant: merged by the node it feeds, below
            k = intern(("leaf", node.label), _kind(node, root_set))
        else:
            # A computed node outside the model is identified by its op, its
            # label and what it is computed from, so the per-sample copies of
            # one computation (a loss, say) share a key.
            shape = tuple(keys[p] if (p.parents or p.label) else _CONST for p in parents)
            k = intern(("op", node.op, node.label, shape), COMPUTED)
        keys[node] = k
        members[k].append(node)
        for p in parents:
            if not p.parents and not p.label and p not in keys:
                c = keys[p] = intern(("const", k), CONSTANT)
                members[c].append(p)
    for i, r in enumerate(roots):
        if r not in keys:  # a constant drawn on its own
            c = keys[r] = intern(("const-root", i), CONSTANT)
            members[c].append(r)

    if len(members) > max_nodes:
        raise ValueError(
            f"even with collapse={mode!r} the graph has {len(members):,} boxes, more than "
            f"max_nodes={max_nodes:,} (it has {len(order):,} values; are they from an nn "
            "model, with its labels?): raise max_nodes or draw a smaller graph"
        )

    edges: dict = {}
    for node in order:
        k = keys[node]
        for p in node.parents:
            kp = keys[p]
            if kp != k:
                edges[(kp, k)] = edges.get((kp, k), False) or p in on_path

    drawn = set()
    for k, nodes in enumerate(members):
        kind = ROOT if any(n in root_set for n in nodes) else kinds[k]
        drawn.add(kind)
        g = group_of.get(nodes[0])
        if g is not None:
            lines = _group_lines(g, nodes, parsed, show_grad)
            style = "rounded,filled"
        else:
            lines = _merged_lines(nodes, show_grad)
            style = "filled"
        extra = ""
        if any(n in on_path for n in nodes):
            target = any(n in targets for n in nodes)
            extra = f', color="{PATH_COLOUR}", penwidth={3 if target else 2}'
        writer.node(
            f"g{k}",
            f'shape=box, style="{style}", fillcolor="{COLOURS[kind]}", '
            f'label=<{"<BR/>".join(lines)}>{extra}',
        )
    red = f'color="{PATH_COLOUR}", penwidth=2.2'
    for (kp, k), marked in edges.items():
        writer.edge(f"g{kp}", f"g{k}", red if marked else "")
    return drawn


def _data_grad(node: Value, show_grad: bool) -> str:
    text = f"data {number(node.data)}"
    return f"{text}  grad {number(node.grad)}" if show_grad else text


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _group_lines(g: tuple, nodes: list, parsed: dict, show_grad: bool) -> list[str]:
    """The lines of a neuron's or layer's box (escaped HTML-like text).

    A box names what it holds in the seeds' notation, counts its parameters,
    and, when the graph holds several samples, how many; with one sample it
    shows the output's data and grad.
    """
    by_symbol: dict = {"w": [], "b": [], "z": [], "a": []}
    for n in nodes:
        p = parsed.get(n)
        if p is not None:
            by_symbol[p.symbol].append(n)
    width = 1  # neurons per layer, to count samples in a layer's box
    if g[0] == "input" or g == ("layer", 0):
        outputs = by_symbol["a"]
        if g[0] == "input":
            lines = [f"<B>{html_text(notation_label('a', 0, g[1]))}</B> input"]
        else:
            width = len({parsed[n].j for n in outputs})
            lines = [f"<B>layer 0</B>: {_count(width, 'input')}"]
    else:
        # The outputs a⁽ˡ⁾ⱼ, or with a linear activation the z⁽ˡ⁾ⱼ serving as them.
        outputs = by_symbol["a"] or by_symbol["z"]
        act = next((a.op for a in by_symbol["a"] if a.parents), "linear")
        n_params = len(by_symbol["w"]) + len(by_symbol["b"])
        if g[0] == "neuron":
            l, j = g[1], g[2]  # noqa: E741 - the seeds' names
            z_text = notation_label("z", l, j)
            formula = f"= {z_text}" if act == "linear" else f"= {act}({z_text})"
            title = f"<B>{html_text(notation_label('a', l, j))}</B> {html_text(formula)}"
            weights, biases = len(by_symbol["w"]), len(by_symbol["b"])
            params = f"{_count(weights, 'weight')}, {_count(biases, 'bias')}"
        else:
            neurons = {parsed[n].j for n in nodes if n in parsed}
            title = f"<B>layer {g[1]}</B>: {_count(len(neurons), 'neuron')}, {html_text(act)}"
            params = _count(n_params, "parameter")
        lines = [title, params]
        width = len({parsed[n].j for n in outputs})
    samples = len(outputs) // width if g[0] == "layer" and width else len(outputs)
    if samples == 1 and len(outputs) == 1:
        lines.append(html_text(_data_grad(outputs[0], show_grad)))
    elif samples:
        lines.append(f"× {_count(samples, 'sample')}")
    else:
        lines.append("parameters only")
    lines.append(f'<FONT POINT-SIZE="9">{_count(len(nodes), "value")}</FONT>')
    return lines


def _merged_lines(nodes: list, show_grad: bool) -> list[str]:
    """The text of a node outside the model: one value, or merged copies."""
    first = nodes[0]
    head = []
    if first.label:
        head.append(f"<B>{html_text(first.label)}</B>")
    if first.parents:
        head.append(html_text(first.op))
    if not head and not first.parents:
        head.append("constant")
    lines = [" ".join(head)] if head else []
    if len(nodes) == 1:
        lines.append(html_text(_data_grad(first, show_grad)))
    else:
        lines.append(f"× {len(nodes)}")
    return lines
