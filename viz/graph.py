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

from autodiff import Value, local_grads, topological_order
from autodiff.arguments import flag, is_int, type_name
from nn.notation import label as notation_label
from nn.notation import parse

from .focus import Focus, draw_focus, exact, targets_in
from .render import DotWriter, Drawing, css_width, html_text, number
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
    rankdir: str | None = None,
    show_grad: bool = True,
    highlight=None,
    max_nodes: int = 2000,
    collapse: str | None = None,
    legend: bool = True,
    *,
    focus=None,
    root_label: str | None = None,
    max_paths: int = 8,
    width=None,
) -> Drawing:
    """Draw the computation graph that ends in ``root``.

    Args:
        root: the output `Value` (or a non-empty list of Values, each drawn
            as a root).
        rankdir: the direction of the drawing: "LR" (inputs on the left),
            "RL", "TB" or "BT"; None (default) is "LR", or "TB" for a
            focused graph, whose chain of factors is long and narrow.
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
        legend: add a legend (a strip of colours under the picture) (True).
        focus: a `Value` (or a list of Values) of the graph: draw only the
            chain-rule paths from ``root`` down to it and the inputs their
            local derivatives need (see `viz.focus`).  Each edge carries
            its local derivative and the caption adds the paths up to
            ∂root/∂focus, in the seeds' notation, beside the engine's
            ``focus.grad``.  With ``collapse``, the boxes and edges on the
            paths are marked, the focused weight's edge is labelled with its
            gradient and the caption gives the total.  Needs a single root.
        root_label: the root's name in the picture and caption, e.g. "C₀"
            (default: ``root.label``, or "C" when the root has no label).
        max_paths: with ``focus``, list each path with its product when
            there are at most this many (8); otherwise copies of the same
            computation (one per sample) are drawn as one box and the
            caption groups the paths by their first step out of the focus.
        width: the width in a notebook: None (fit the column, never wider
            than the natural size), a number of pixels, or a CSS length
            ("600px", "80%").

    Returns:
        A `viz.Drawing`: shown as SVG in Jupyter, with ``.source`` (DOT)
        and ``.save(path)``.

    Raises:
        TypeError: ``root``, ``highlight`` or ``focus`` holds something that
            is not a Value, a flag is not a bool, or ``root_label`` is not a str.
        ValueError: a bad ``rankdir``/``collapse``/``max_nodes``/``max_paths``/
            ``width``, a highlight or focus target that is not in the graph,
            a focus with several roots, or a graph too large to draw.
    """
    roots = _roots(root)
    if rankdir is None:
        rankdir = "TB" if focus is not None else "LR"
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    flag(show_grad, "show_grad")
    flag(legend, "legend")
    if not is_int(max_nodes) or max_nodes < 1:
        raise ValueError(f"max_nodes must be an int >= 1, got {max_nodes!r}")
    if collapse is not None and collapse not in COLLAPSE:
        raise ValueError(f"collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    if root_label is not None and not isinstance(root_label, str):
        raise TypeError(f"root_label must be a str or None, got {type(root_label).__name__}")
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"max_paths must be an int >= 1, got {max_paths!r}")
    css = css_width(width)
    if focus is not None and len(roots) != 1:
        raise ValueError(f"focus= needs a single root, got {len(roots)} roots")
    root_name = root_label or roots[0].label or "C"

    order = topological_order(roots)
    if focus is not None:
        if highlight is not None:
            raise ValueError("give focus= or highlight=, not both (focus marks its paths)")
        targets = _targets(focus, order, "focus")
        if collapse is None:
            return _draw_focused(order, roots[0], targets, rankdir, show_grad, legend,
                                 root_name, max_paths, css)
        highlight = focus
    targets = _targets(highlight, order)
    if collapse is None and len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order):,} values, more than max_nodes={max_nodes:,}: "
            "draw it with collapse='neuron' or collapse='layer' (one box per neuron "
            "or layer), or raise max_nodes"
        )
    on_path = _on_path(order, targets)
    writer = DotWriter({**_GRAPH_ATTRS, "rankdir": rankdir}, _NODE_ATTRS, _EDGE_ATTRS)
    names = {roots[0]: root_label} if root_label else {}
    if collapse is None:
        kinds = _draw_full(writer, order, set(roots), show_grad, targets, on_path, names)
    else:
        kinds = _draw_collapsed(writer, order, roots, collapse, show_grad, targets, on_path,
                                max_nodes, names, targets if focus is not None else set())
        if focus is not None:
            f = Focus(order, roots[0], [t for t in order if t in targets])
            for t in f.targets:
                tname = t.label or "focus"
                writer.caption(html_text(
                    f"∂{root_name}/∂{tname} = {exact(f.total(t))}, the sum over "
                    f"{f.paths_up.get(t, 0):,} paths (backward gave {tname}.grad = {exact(t.grad)})"
                ))
    if legend:
        entries = [(COLOURS[k], DESCRIPTIONS[k]) for k in COLOURS if k in kinds]
        if targets:
            entries.append((PATH_COLOUR, "path to the focus" if focus is not None
                            else "path to the highlighted node"))
        legend_node(writer, entries)
    return writer.drawing(css)


def _draw_focused(order, root, targets, rankdir, show_grad, legend, root_name, max_paths, css):
    """``draw_graph(root, focus=...)`` without ``collapse``: see `viz.focus`."""
    # Tighter than the full drawing: a focused picture is a few long paths.
    writer = DotWriter({**_GRAPH_ATTRS, "rankdir": rankdir, "ranksep": "0.3", "nodesep": "0.15"},
                       _NODE_ATTRS, _EDGE_ATTRS)
    wanted = [t for t in order if t in targets]  # a deterministic order
    roots = {root}
    kinds, _ = draw_focus(
        writer, order, root, wanted, root_name=root_name, show_grad=show_grad,
        max_paths=max_paths, colours={**COLOURS, "context": "#eeeeee"},
        kind_of=lambda n: _kind(n, roots),
    )
    if legend:
        entries = [(COLOURS[k], DESCRIPTIONS[k]) for k in COLOURS if k in kinds]
        if "context" in kinds:
            entries.append(("#eeeeee", "input a local derivative needs"))
        entries.append((PATH_COLOUR, "path to the focus: ∂child/∂parent"))
        legend_node(writer, entries)
    return writer.drawing(css)


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


def _targets(highlight, order: list, what: str = "highlight") -> set:
    return set(targets_in(highlight, order, what))

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


def _value_cells(node: Value, show_grad: bool, name: str | None = None) -> list[str]:
    name = name or node.label
    cells = [f"<B>{html_text(name)}</B>"] if name else []
    cells.append(f"data {number(node.data)}")
    if show_grad:
        cells.append(f"grad {number(node.grad)}")
    return cells


# --------------------------------------------------------------------------
# Every value drawn


def _draw_full(writer, order, roots, show_grad, targets, on_path, names) -> set:
    """One box per value and one small node per op; returns the kinds drawn."""
    ids: dict = {}
    kinds = set()
    red = f'color="{PATH_COLOUR}", fontcolor="{PATH_COLOUR}", penwidth=2.2'
    for i, node in enumerate(order):
        vid = ids[node] = f"n{i}"
        kind = _kind(node, roots)
        kinds.add(kind)
        marked = node in on_path
        label = _table(_value_cells(node, show_grad, names.get(node)), COLOURS[kind], marked,
                       node in targets)
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


def _draw_collapsed(writer, order, roots, mode, show_grad, targets, on_path, max_nodes, names,
                    focused=frozenset()) -> set:
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
            lines = _merged_lines(nodes, show_grad, names)
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
    # Keep the boxes of a layer in index order (node 0 first), as the seeds
    # draw a layer: one rank per layer, chained by invisible edges.
    columns: dict = {}
    for key, k in interned.items():
        if key[0] == "group" and key[1][0] in ("neuron", "input"):
            g = key[1]
            layer, j = (0, g[1]) if g[0] == "input" else (g[1], g[2])
            columns.setdefault(layer, []).append((j, k))
    for layer in sorted(columns):
        column = [k for _, k in sorted(columns[layer])]
        if len(column) > 1:
            ids = "; ".join(f"g{k}" for k in column)
            writer.raw(f"subgraph column{layer} {{ rank=same; {ids}; }}")
            for a, b in zip(column, column[1:]):
                writer.edge(f"g{a}", f"g{b}", "style=invis", visible=False)
    # The edge of a focused weight w⁽ˡ⁾ⱼₖ: from the box of node k of layer
    # l−1 to the box of node j of layer l.
    weight_edges: dict = {}
    for t in focused:
        p = parse(t.label) if t.label else None
        if p is None or p.symbol != "w" or p.k is None:
            continue
        tail: tuple
        if mode == "neuron":
            tail = ("input", p.k) if p.l == 1 else ("neuron", p.l - 1, p.k)
            head: tuple = ("neuron", p.l, p.j)
        else:
            tail, head = ("layer", p.l - 1), ("layer", p.l)
        kp, k = interned.get(("group", tail)), interned.get(("group", head))
        if kp is not None and k is not None:
            weight_edges.setdefault((kp, k), []).append(t)
    red = f'color="{PATH_COLOUR}", penwidth=2.2'
    for (kp, k), marked in edges.items():
        ws = weight_edges.get((kp, k))
        if ws:
            text = "<BR/>".join(html_text(f"{w.label}: grad {number(w.grad)}") for w in ws)
            writer.edge(f"g{kp}", f"g{k}", f'color="{PATH_COLOUR}", fontcolor="{PATH_COLOUR}", '
                        f'penwidth=4, style=bold, label=<{text}>')
        else:
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


def _merged_lines(nodes: list, show_grad: bool, names: dict) -> list[str]:
    """The text of a node outside the model: one value, or merged copies."""
    first = nodes[0]
    head = []
    name = names.get(first) or first.label
    if name:
        head.append(f"<B>{html_text(name)}</B>")
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
