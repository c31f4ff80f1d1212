"""Focused computation graphs: only the chain-rule paths from the root to a node.

``draw_graph(root, focus=w)`` draws the nodes that lie on some path from
``root`` down to ``w`` (the nodes that depend on ``w``), and beside them the
inputs their local derivatives need (the other factor of a product, the
weight paired with an activation in a weighted sum); other inputs are counted
in a note.  Every edge on a path carries its local derivative ∂child/∂parent,
named in the seeds' notation when both ends have labels (∂a⁽³⁾₁/∂z⁽³⁾₁).

The caption under the picture says how the paths add up to ∂root/∂w, as
“Backpropagation Explained” writes it:

    ∂C₀/∂w⁽³⁾₁₂ = (∂C₀/∂a⁽³⁾₁)(∂a⁽³⁾₁/∂z⁽³⁾₁)(∂z⁽³⁾₁/∂w⁽³⁾₁₂)

one factor per stretch of a path between two labelled nodes.  With a few
paths ("paths" mode, at most ``max_paths``) each path is listed with its
factors and product, then their sum.  With many (the graph of a training
step over a batch: thousands of paths) the copies of one computation are
drawn as one box ("× 100"), the nodes of a wide layer as one box, and the
caption groups the paths by the first step out of the focus: each group's
share is Σ (∂root/∂child)(∂child/∂focus), and the shares add up to the total.

Every number is computed here from the op table's local derivatives
(`autodiff.local_grads`): the path products, and for groups a reverse walk
over the focused nodes only; the engine's ``.grad`` of the focus is shown
beside the total, for comparison, and is not used to compute it.  Products
and totals are written with 15 significant digits, so that the caption can
be checked against the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from autodiff import Value, local_grads
from autodiff.arguments import type_name
from nn.notation import parse

from .render import DotWriter, html_text, number


def targets_in(nodes, order: list, what: str = "focus") -> tuple:
    """``nodes`` (a Value, a list of Values, or None) as a tuple of distinct
    Values of the graph ``order``, in the order given; the check shared by
    `draw_graph`'s ``focus``/``highlight`` and the player's ``focus``.

    Raises:
        TypeError: for anything but a Value or an iterable of Values.
        ValueError: for an empty focus list, or a Value the root does not
            depend on.
    """
    if nodes is None:
        return ()
    if isinstance(nodes, Value):
        wanted = [nodes]
    elif isinstance(nodes, Iterable) and not isinstance(nodes, (str, bytes)):
        wanted = list(nodes)
        if not wanted and what == "focus":  # an empty highlight just highlights nothing
            raise ValueError("focus is an empty list: give a Value, a list of Values or None")
    else:
        raise TypeError(f"{what} must be a Value or a list of Values, got {type_name(nodes)}")
    in_graph = set(order)
    verb = "focused on" if what == "focus" else "highlighted"
    for i, v in enumerate(wanted):
        if not isinstance(v, Value):
            raise TypeError(f"{what}[{i}] must be a Value, got {type_name(v)}")
        if v not in in_graph:
            raise ValueError(
                f"{what} {v!r} is not in the graph of root: only values the root depends "
                f"on can be {verb}"
            )
    return tuple(dict.fromkeys(wanted))  # duplicates dropped, order kept

#: Above this many distinct nodes z⁽ˡ⁾ⱼ (or a⁽ˡ⁾ⱼ) of one layer on the paths,
#: grouped mode draws them as one box.
WIDE = 3
#: At most this many focused values are drawn one by one ("paths" mode).
MAX_PATH_NODES = 80

PATH_COLOUR = "#d7301f"
CONTEXT_COLOUR = "#eeeeee"


def exact(x: float) -> str:
    """``x`` with 15 significant digits (the caption's products and sums)."""
    return f"{x:.15g}"


class Focus:
    """The focused part of a graph: its nodes, local derivatives, and path sums.

    Attributes:
        root: the root Value.
        targets: the focus nodes, in the order given.
        on: the nodes on a path from the root to a target, in topological order.
        partials: node -> its local derivatives (for the nodes of ``on``).
        children: node -> [(child, parent position)] within ``on``.
        down: node -> ∂root/∂node, summed over the paths (reverse walk).
        paths_up: node -> the number of paths from it to the root.
    """

    def __init__(self, order: list, root, targets: list) -> None:
        self.root = root
        self.targets = targets
        wanted = set(targets)
        on_set: set = set()
        on: list = []
        for node in order:  # parents first
            if node in wanted or any(p in on_set for p in node.parents):
                on_set.add(node)
                on.append(node)
        self.on = on
        self.on_set = on_set
        self.partials: dict = {}
        self.children: dict = {n: [] for n in on}
        for node in on:
            if node.parents and any(p in on_set for p in node.parents):
                self.partials[node] = local_grads(node)
                for pos, p in enumerate(node.parents):
                    if p in on_set:
                        self.children[p].append((node, pos))
        # ∂root/∂node and path counts, children first.  Only nodes on a path
        # matter: every child of such a node that leads to the root is on one.
        down = {root: 1.0}
        up = {root: 1}
        for node in reversed(on):
            if node is root:
                continue
            total = 0.0
            count = 0
            for child, pos in self.children[node]:
                if child in down:
                    total += down[child] * self.partials[child][pos]
                    count += up[child]
            if count:
                down[node] = total
                up[node] = count
        self.down = down
        self.paths_up = up

    def total(self, target) -> float:
        """∂root/∂target, summed over the paths."""
        return self.down.get(target, 0.0)

    def paths(self, target) -> list[list[tuple]]:
        """Every path from ``target`` up to the root, as [(node, (child, pos)), ...]:
        each node with the edge leaving it; the root's edge is None."""
        out: list = []
        stack: list = [(target, [])]
        while stack:
            node, trail = stack.pop()
            if node is self.root:
                out.append([*trail, (node, None)])
                continue
            for child, pos in reversed(self.children[node]):
                if child in self.paths_up:
                    stack.append((child, [*trail, (node, (child, pos))]))
        return out


def name_of(node, root, root_name: str) -> str:
    """How the caption names ``node``: the root's name, its label, or its op."""
    if node is root:
        return root_name
    if node.label:
        return node.label
    if not node.parents:
        return "[constant]"
    if len(node.parents) == 2 and all(p.label for p in node.parents):
        return f"({node.parents[0].label}{node.op}{node.parents[1].label})"
    return f"[{node.op}]"


def _signed_sum(terms: list[float]) -> str:
    """``a + b − c`` with each term exact (see `exact`)."""
    text = exact(terms[0])
    for t in terms[1:]:
        text += f" − {exact(-t)}" if t < 0 else f" + {exact(t)}"
    return text


def _partial(num: str, den: str) -> str:
    return f"∂{num}/∂{den}"


def path_factors(path: list, partials: dict, root, root_name: str) -> list[tuple[str, float]]:
    """A path's factors, root side first: one per stretch between labelled
    nodes (the root and the focus count as labelled), each the product of
    the local derivatives along it, named ∂upper/∂lower."""
    factors = []
    lower = path[0][0]
    value = 1.0
    for node, edge in path:
        if edge is None:
            break
        child, pos = edge
        value *= partials[child][pos]
        if child is root or child.label:
            factors.append(
                (_partial(name_of(child, root, root_name), name_of(lower, root, root_name)), value)
            )
            lower = child
            value = 1.0
    return factors[::-1]


def context_of(node, on_set: set) -> tuple[list, int]:
    """The inputs of ``node`` off the paths that its local derivatives need,
    and how many other inputs it has.

    A weighted sum ``dot(w…, a…, b)`` needs the partner of each input on a
    path (∂z/∂aₖ = wₖ, ∂z/∂wₖ = aₖ); a ``sum`` needs none (its derivatives are
    all 1); any other op needs all its inputs.
    """
    parents = node.parents
    off = [p for p in parents if p not in on_set]
    if node.op == "dot":
        half = len(parents) // 2
        needed = []
        for pos, p in enumerate(parents):
            if p in on_set and pos < 2 * half:
                partner = parents[pos + half] if pos < half else parents[pos - half]
                if partner not in on_set and partner not in needed:
                    needed.append(partner)
    elif node.op == "sum":
        needed = []
    else:
        needed = []
        for p in off:
            if p not in needed:
                needed.append(p)
    others = len({id(p) for p in off}) - len(needed)
    return needed, others


# --------------------------------------------------------------------------
# Drawing


def _cells(name: str, op: str, detail: str) -> str:
    """A box's rows: the name (and op) over the data and grad, so that boxes
    stay narrow and a path fits a notebook column."""
    head = f"<B>{html_text(name)}</B>" if name else ""
    if op:
        head += f' <FONT POINT-SIZE="9">{html_text(op)}</FONT>'
    return f"<TR><TD>{head}</TD></TR><TR><TD>{detail}</TD></TR>"


def _box(colour: str, rows: str, target: bool) -> str:
    outer = "2" if target else "0"
    return (
        f'<TABLE BORDER="{outer}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" '
        f'BGCOLOR="{colour}" COLOR="{PATH_COLOUR}">{rows}</TABLE>'
    )


def draw_focus(
    writer: DotWriter,
    order: list,
    root,
    targets: list,
    *,
    root_name: str,
    show_grad: bool,
    max_paths: int,
    colours: dict,
    kind_of,
) -> tuple[set, str]:
    """Draw the focused graph of ``root`` on ``targets`` into ``writer``.

    Args:
        writer: the DOT being built.
        order: the topological order of ``root``'s graph.
        root: the root Value.
        targets: the focus Values (in ``order``).
        root_name: how the root is named (C₀, say).
        show_grad: show each focused value's grad.
        max_paths: list the paths one by one when there are at most this many.
        colours: node kind -> fill colour.
        kind_of: node -> its kind (a key of ``colours``).

    Returns:
        (the node kinds drawn, the mode: "paths" or "grouped").
    """
    f = Focus(order, root, targets)
    n_paths = sum(f.paths_up.get(t, 0) for t in targets)
    if n_paths <= max_paths and len(f.on) <= MAX_PATH_NODES:
        kinds = _draw_paths(writer, f, root_name, show_grad, colours, kind_of)
        for t in targets:
            _caption_paths(writer, f, t, root_name)
        mode = "paths"
    else:
        kinds = _draw_grouped(writer, f, root_name, show_grad, colours, kind_of)
        for t in targets:
            _caption_grouped(writer, f, t, root_name)
        mode = "grouped"
    return kinds, mode


def _data_grad(node, show_grad: bool) -> str:
    text = html_text(f"data {number(node.data)}")
    return f"{text}<BR/>" + html_text(f"grad {number(node.grad)}") if show_grad else text


def _edge_label(child, parent, value: float, root, root_name: str) -> str:
    text = number(value)
    if (child is root or child.label) and parent.label:
        text = html_text(_partial(name_of(child, root, root_name), parent.label)) + "<BR/>" + text
    return text


def _draw_paths(writer, f: Focus, root_name, show_grad, colours, kind_of) -> set:
    ids: dict = {}
    kinds = set()
    targets = set(f.targets)
    red = f'color="{PATH_COLOUR}", fontcolor="{PATH_COLOUR}", penwidth=2'
    live = [n for n in f.on if n in f.paths_up]
    for i, node in enumerate(live):
        nid = ids[node] = f"n{i}"
        kind = kind_of(node)
        kinds.add(kind)
        name = root_name if node is f.root else node.label
        op = node.op if node.parents else ""
        if not name:
            name, op = op, ""
        box = _box(colours[kind], _cells(name, op, _data_grad(node, show_grad)), node in targets)
        writer.node(nid, f"shape=plain, label=<{box}>")
    context: dict = {}
    for node in live:
        if not node.parents:
            continue
        needed, others = context_of(node, f.on_set)
        for p in needed:
            cid = context.get(p)
            if cid is None:
                cid = context[p] = f"c{len(context)}"
                name = p.label or ("constant" if not p.parents else p.op)
                writer.node(
                    cid,
                    f'shape=box, style="filled", fillcolor="{CONTEXT_COLOUR}", fontsize=9, '
                    f'height=0.2, margin="0.05,0.02", label=<{html_text(name)} = {number(p.data)}>',
                )
                kinds.add("context")
            writer.edge(cid, ids[node], 'color="#9e9e9e", arrowsize=0.5')
        if others:
            mid = f"m{ids[node][1:]}"
            word = "input" if others == 1 else "inputs"
            writer.node(
                mid,
                f'shape=plain, fontsize=9, fontcolor="#757575", label=<+ {others} other {word}>',
            )
            writer.edge(mid, ids[node], 'color="#bdbdbd", style=dashed, arrowsize=0.5')
        for pos, p in enumerate(node.parents):
            if p in ids:
                value = f.partials[node][pos]
                writer.edge(
                    ids[p],
                    ids[node],
                    f"{red}, label=<{_edge_label(node, p, value, f.root, root_name)}>",
                )
    _columns(writer, ids)
    return kinds


def _caption_paths(writer, f: Focus, target, root_name: str) -> None:
    goal = _partial(root_name, name_of(target, f.root, root_name))
    paths = f.paths(target)
    if target is f.root:
        paths = []
    products = []
    lines = []
    for path in paths:
        factors = path_factors(path, f.partials, f.root, root_name)
        product = 1.0
        for node, edge in path:
            if edge is not None:
                product *= f.partials[edge[0]][edge[1]]
        products.append(product)
        names = "".join(f"({n})" for n, _ in factors)
        values = "".join(f"({number(v)})" for _, v in factors)
        lines.append((names, values, product))
    total = sum(products)
    if len(lines) == 1:
        names, values, product = lines[0]
        writer.caption(html_text(f"{goal} = {names}"))
        writer.caption(html_text(f"= {values} = {exact(product)}"))
    else:
        writer.caption(
            html_text(
                f"{goal}: the sum over its {len(lines)} paths" if lines else f"{goal} = 0: no path"
            )
        )
        for i, (names, values, product) in enumerate(lines, start=1):
            writer.caption(html_text(f"path {i}: {names}"))
            writer.caption(html_text(f"      = {values} = {exact(product)}"))
        if lines:
            writer.caption(html_text(f"{goal} = {_signed_sum(products)} = {exact(total)}"))
    writer.caption(
        html_text(
            f"(backward gave {name_of(target, f.root, root_name)}.grad = {exact(target.grad)})"
        )
    )


def _columns(writer, ids: dict) -> None:
    """Keep the nodes z⁽ˡ⁾ⱼ (and a⁽ˡ⁾ⱼ) of one layer in index order, j = 0 first."""
    columns: dict = {}
    for node, nid in ids.items():
        p = parse(node.label) if node.label else None
        if p is not None and p.symbol in ("z", "a"):
            columns.setdefault((p.symbol, p.l), []).append((p.j, nid))
    for key in sorted(columns):
        column = [nid for _, nid in sorted(columns[key])]
        if len(column) > 1:
            writer.raw(f"{{ rank=same; {'; '.join(column)}; }}")
            for a, b in zip(column, column[1:]):
                writer.edge(a, b, "style=invis", visible=False)


# --------------------------------------------------------------------------
# Grouped: copies merged


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pattern(node, wide: set) -> str | None:
    """The label of a node standing for a wide layer's nodes: z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ,
    and a weight w⁽ˡ⁾ⱼₖ with j (its layer is wide) or k (the layer before
    is wide) left as a letter; None for a node that stands for itself."""
    p = parse(node.label) if node.label else None
    if p is None:
        return None
    head = f"{p.symbol}⁽{str(p.l).translate(_SUP)}⁾"
    if p.symbol == "w":
        j_wide = ("z", p.l) in wide
        k_wide = ("a", p.l - 1) in wide
        if not (j_wide or k_wide):
            return None
        j = "ⱼ" if j_wide else str(p.j).translate(_SUB)
        k = "ₖ" if k_wide else str(p.k).translate(_SUB)
        return head + j + k
    if (p.symbol, p.l) not in wide:
        return None
    return head + "ⱼ"


def _groups(f: Focus) -> tuple[dict, list, set]:
    """node -> group id for the focused nodes, each group's nodes, and the wide layers."""
    live = [n for n in f.on if n in f.paths_up]
    per_layer: dict = {}
    for n in live:
        p = parse(n.label) if n.label else None
        if p is not None and p.symbol in ("z", "a"):
            per_layer.setdefault((p.symbol, p.l), set()).add(p.j)
    wide = {key for key, js in per_layer.items() if len(js) > WIDE}
    interned: dict = {}
    group_of: dict = {}
    members: list = []
    targets = {id(t): i for i, t in enumerate(f.targets)}
    for n in live:
        if id(n) in targets:
            key: tuple = ("target", targets[id(n)])
        elif n is f.root:
            key = ("root",)
        elif _pattern(n, wide) is not None:
            key = ("wide", _pattern(n, wide))
        elif n.label:
            key = ("label", n.label, n.op if n.parents else "")
        else:
            shape = tuple(sorted({group_of[p] for p in n.parents if p in group_of}))
            key = ("op", n.op, shape)
        g = interned.get(key)
        if g is None:
            g = interned[key] = len(members)
            members.append([])
        group_of[n] = g
        members[g].append(n)
    return group_of, members, wide


def _draw_grouped(writer, f: Focus, root_name, show_grad, colours, kind_of) -> set:
    group_of, members, wide = _groups(f)
    kinds = set()
    targets = set(f.targets)
    for g, nodes in enumerate(members):
        first = nodes[0]
        kind = kind_of(first)
        kinds.add(kind)
        pattern = _pattern(first, wide)
        if first is f.root:
            name, op = root_name, first.op
        elif pattern is not None:
            js = sorted({parse(n.label).j for n in nodes})  # type: ignore[union-attr]
            name, op = pattern, (first.op if first.parents else "") + f" j = {js[0]}…{js[-1]}"
        else:
            name, op = first.label, first.op if first.parents else ""
            if not name:
                name, op = op, ""
        if len(nodes) == 1:
            detail = _data_grad(first, show_grad)
        else:
            detail = html_text(f"× {len(nodes)}")
        box = _box(colours[kind], _cells(name, op.strip(), detail), first in targets)
        writer.node(f"g{g}", f"shape=plain, label=<{box}>")
    # Edges between groups: how many edges each stands for; one edge keeps its number.
    edges: dict = {}
    for node in f.on:
        if node not in group_of or not node.parents:
            continue
        for pos, p in enumerate(node.parents):
            if p in group_of:
                key = (group_of[p], group_of[node])
                count, value, sample = edges.get(key, (0, 0.0, (node, p)))
                edges[key] = (count + 1, f.partials[node][pos], sample)
    red = f'color="{PATH_COLOUR}", fontcolor="{PATH_COLOUR}", penwidth=2'
    for (gp, gc), (count, value, (child, parent)) in edges.items():
        if count == 1:
            text = _edge_label(child, parent, value, f.root, root_name)
        else:
            text = html_text(f"{count} edges")
        writer.edge(f"g{gp}", f"g{gc}", f"{red}, label=<{text}>")
    # The needed inputs, merged the same way, and one note of the others per group.
    context: dict = {}
    others: dict = {}
    for node in f.on:
        if node not in group_of or not node.parents:
            continue
        g = group_of[node]
        needed, rest = context_of(node, f.on_set)
        for p in needed:
            name = _pattern(p, wide) or p.label or "constant"
            entry = context.setdefault((g, name), set())
            entry.add(id(p))
        others[g] = others.get(g, 0) + rest
    for i, ((g, name), values) in enumerate(context.items()):
        count = f" × {len(values)}" if len(values) > 1 else ""
        writer.node(
            f"c{i}",
            f'shape=box, style="filled", fillcolor="{CONTEXT_COLOUR}", fontsize=9, height=0.2, '
            f'margin="0.05,0.02", label=<{html_text(name + count)}>',
        )
        writer.edge(f"c{i}", f"g{g}", 'color="#9e9e9e", arrowsize=0.5')
        kinds.add("context")
    for g, rest in others.items():
        if rest:
            word = "input" if rest == 1 else "inputs"
            writer.node(
                f"m{g}",
                f'shape=plain, fontsize=9, fontcolor="#757575", label=<+ {rest:,} other {word}>',
            )
            writer.edge(f"m{g}", f"g{g}", 'color="#bdbdbd", style=dashed, arrowsize=0.5')
    return kinds


def _caption_grouped(writer, f: Focus, target, root_name: str) -> None:
    tname = name_of(target, f.root, root_name)
    goal = _partial(root_name, tname)
    group_of, members, wide = _groups(f)
    shares: dict = {}
    for child, pos in f.children.get(target, []):
        if child not in f.down:
            continue
        g = group_of[child]
        share, copies, paths = shares.get(g, (0.0, set(), 0))
        copies.add(id(child))
        shares[g] = (
            share + f.down[child] * f.partials[child][pos],
            copies,
            paths + f.paths_up[child],
        )
    n_paths = f.paths_up.get(target, 0)
    writer.caption(
        html_text(
            f"{goal}: the sum over {n_paths:,} paths, grouped by their first step out of {tname}:"
        )
    )
    total = 0.0
    for g, (share, copies, paths) in shares.items():
        child = members[g][0]
        cname = _pattern(child, wide) or name_of(child, f.root, root_name)
        how = f"{len(copies)} copies, " if len(copies) > 1 else ""
        sigma = "Σ " if len(copies) > 1 or paths > 1 else ""
        writer.caption(
            html_text(
                f"through {cname} ({how}{paths:,} paths): "
                f"{sigma}({_partial(root_name, cname)})({_partial(cname, tname)}) = {exact(share)}"
            )
        )
        total += share
    if len(shares) > 1:
        writer.caption(
            html_text(f"{goal} = {_signed_sum([s[0] for s in shares.values()])} = {exact(total)}")
        )
    else:
        writer.caption(html_text(f"{goal} = {exact(total)}"))
    writer.caption(html_text(f"(backward gave {tname}.grad = {exact(target.grad)})"))
