"""The backward pass as data: one step per node, in the engine's order.

`backward_steps(root)` replays what `Value.backward` does (see
`autodiff.backprop`): the nodes are visited in reversed topological order,
the root's gradient is seeded with 1.0, and when a node is reached its
gradient ``g`` (∂root/∂node) is complete; it then pushes ``g × d`` to each
parent, ``d`` being the op table's local derivative ∂node/∂parent
(`autodiff.local_grads`).  Each `Step` records that: the node, the gradient
it received, and for each parent the local derivative, the contribution
pushed and the parent's running sum after it.  Nothing is written to any
``.grad``: the steps are a view of the pass, summed in the same order as the
engine sums, so the numbers are the engine's.

``focus=`` restricts the steps to the paths from the root down to one value
(say, one weight of a whole training step): the nodes that the root depends
on and that depend on the focus, plus, beside them, only the inputs their
local derivatives need, as `viz.draw_graph(focus=)` draws them: the partner
of a path input in a weighted sum ``dot`` (∂z/∂wₖ = aₖ), none for ``sum``
(its derivatives are all 1), every input of any other op.  The other inputs
are left out and counted in `BackwardSteps.others`; nothing is pushed to
them.  The gradient of each node on those paths is still complete (all its
children are on the paths too); an input shown beside them that also feeds
nodes off the paths shows only its share from the nodes shown, and is marked
``complete=False``.

`viz.play_backward` turns the steps into a page that plays them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from autodiff import Value, local_grads, topological_order
from autodiff.arguments import integer, type_name
from autodiff.backprop import push_positions

from .focus import context_of, targets_in

#: The most nodes `backward_steps` records by default: each step keeps every
#: node's gradient, so memory grows with the square of the node count.
MAX_NODES = 2000


@dataclass(frozen=True)
class Push:
    """One contribution of a step: what a node sends to one of its parents.

    Attributes:
        parent: the parent's position in `BackwardSteps.nodes`.
        position: which input of the node the parent is (0 for the first);
            ``x * x`` pushes twice to ``x``, at positions 0 and 1.
        local_grad: ∂node/∂parent, from the op table's rule.
        contribution: the node's gradient × ``local_grad``, added to the parent.
        grad_after: the parent's gradient once this contribution is added.
    """

    parent: int
    position: int
    local_grad: float
    contribution: float
    grad_after: float


@dataclass(frozen=True)
class Step:
    """One node of the backward pass, reached with its gradient complete.

    Attributes:
        index: the step's position in the pass (0 is the root).
        node: the node's position in `BackwardSteps.nodes`.
        grad: the gradient the node has received, ∂root/∂node (1.0 at the root).
        pushes: one `Push` per parent shown, in the order the engine adds
            them: the node's parents in order, but a ``dot`` pushes each pair
            wᵢ, xᵢ together (`autodiff.backprop.push_positions`); empty for
            a leaf; when focused, an input left out, see
            `BackwardSteps.others`, gets none.
        grads: every node's gradient after this step, aligned with
            `BackwardSteps.nodes` (0.0 for a node that has received nothing yet).
    """

    index: int
    node: int
    grad: float
    pushes: tuple[Push, ...]
    grads: tuple[float, ...]


class BackwardSteps(Sequence[Step]):
    """The steps of one backward pass: a sequence of `Step`.

    Attributes:
        root: the Value the pass starts from.
        nodes: the nodes the steps refer to, in topological order (parents
            before children), so ``nodes[step.node]`` is a step's node.
        ids: ``{node: position in nodes}``.
        focus: the focus Values (a tuple, empty without ``focus=``).
        complete: one flag per node: True when the steps give its whole
            gradient; False for a direct input around the focus paths that
            also feeds nodes off them.
        others: one count per node: how many of its distinct inputs are not
            shown (0 without ``focus=``; when focused, the inputs of a path
            node that its local derivatives do not need).
        grads: every node's final gradient (those of the last step).
    """

    __slots__ = ("root", "nodes", "ids", "focus", "complete", "others", "_steps")

    def __init__(
        self, root, nodes: list, focus: tuple, complete: tuple, steps: list, others=None
    ) -> None:
        self.root = root
        self.nodes = tuple(nodes)
        self.ids = {node: i for i, node in enumerate(self.nodes)}
        self.focus = focus
        self.complete = complete
        self.others = (0,) * len(self.nodes) if others is None else tuple(others)
        self._steps = tuple(steps)

    def __len__(self) -> int:
        return len(self._steps)

    @overload
    def __getitem__(self, i: int) -> Step: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Step]: ...

    def __getitem__(self, i):
        return self._steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __repr__(self) -> str:
        focus = f", focused on {len(self.focus)} value(s)" if self.focus else ""
        return f"<BackwardSteps: {len(self)} steps over {len(self.nodes)} nodes{focus}>"

    @property
    def grads(self) -> tuple[float, ...]:
        """Every node's gradient after the last step (∂root/∂node)."""
        return self._steps[-1].grads if self._steps else ()

    def grad_of(self, node) -> float:
        """The final gradient of ``node`` (one of `nodes`)."""
        try:
            return self.grads[self.ids[node]]
        except (KeyError, TypeError):
            raise ValueError(f"{node!r} is not one of the nodes of these steps") from None

    def to_dict(self) -> dict:
        """The steps as plain JSON-able data (what `viz.play_backward` embeds).

        Returns:
            ``{"nodes": [...], "steps": [...], "focus": [...]}``: per node its
            ``label``, ``op`` (``""`` for a leaf), ``data``, ``parents`` (node
            positions, ``None`` for a parent that is not shown),
            ``complete`` and ``others``; per step its ``node``, ``grad`` and ``pushes`` (each
            with ``parent``, ``position``, ``local_grad``, ``contribution``
            and ``grad_after``).  The full gradient vectors are left out (they
            follow from the pushes).  A number that is not finite is written
            as the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``, so the
            result is strict JSON.
        """
        ids = self.ids
        nodes = [
            {
                "label": node.label,
                "op": node.op if node.parents else "",
                "data": json_number(node.data),
                "parents": [ids.get(p) for p in node.parents],
                "complete": flag,
                "others": others,
            }
            for node, flag, others in zip(self.nodes, self.complete, self.others)
        ]
        steps = [
            {
                "node": step.node,
                "grad": json_number(step.grad),
                "pushes": [
                    {
                        "parent": p.parent,
                        "position": p.position,
                        "local_grad": json_number(p.local_grad),
                        "contribution": json_number(p.contribution),
                        "grad_after": json_number(p.grad_after),
                    }
                    for p in step.pushes
                ],
            }
            for step in self._steps
        ]
        return {
            "root": ids[self.root],
            "focus": [ids[f] for f in self.focus],
            "nodes": nodes,
            "steps": steps,
        }


def json_number(x: float) -> float | str:
    """``x`` for JSON: itself when finite, else "NaN", "Infinity" or "-Infinity"."""
    x = float(x)
    if math.isfinite(x):
        return x
    if x != x:
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def backward_steps(root, focus=None, max_nodes: int = MAX_NODES) -> BackwardSteps:
    """The backward pass from ``root``, one `Step` per node, in the engine's order.

    Args:
        root: the `Value` whose gradients are taken (the loss).
        focus: None (every node of the graph), or a Value of the graph, or a
            list of them: only the paths from ``root`` down to the focus are
            stepped through, with the inputs that the local derivatives of
            the nodes on them need (see the module docstring).
        max_nodes: the most nodes recorded (2000); each step keeps every
            node's gradient, so a larger graph is refused, with a hint to use
            ``focus=``.

    Returns:
        A `BackwardSteps`: the steps, the nodes and their ids.  The final
        gradients equal ``autodiff.grad(root, nodes)`` (for the nodes on the
        focus paths when focused).  No ``.grad`` is changed.

    Raises:
        TypeError: ``root`` or a focus is not a Value.
        TypeError: ``max_nodes`` is not an int.
        ValueError: a focus not in ``root``'s graph, ``max_nodes`` < 1, or
            more nodes than ``max_nodes``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: root must be a Value, got {type_name(root)}")
    max_nodes = integer(max_nodes, "max_nodes", minimum=1)
    order = topological_order(root)
    targets = targets_in(focus, order)
    if targets:
        shown, on_path = focus_nodes(order, targets)
    else:
        shown, on_path = order, None
    if len(shown) > max_nodes:
        if targets:
            assert on_path is not None
            raise ValueError(
                f"even focused, the paths to the focus hold {len(on_path):,} values and the "
                f"inputs their local derivatives need {len(shown) - len(on_path):,} more, "
                f"{len(shown):,} in all, more than max_nodes={max_nodes:,}: build the graph "
                "over fewer samples (a training step on one sample or a batch of a few rather "
                "than the whole data set; the paths grow with the samples), or raise max_nodes"
            )
        raise ValueError(
            f"the graph has {len(shown):,} values, more than max_nodes={max_nodes:,}: step "
            "through the paths to one value with focus=<a Value> (say, one weight), raise "
            "max_nodes, or build a smaller graph"
        )
    ids = {node: i for i, node in enumerate(shown)}
    others = [0] * len(shown)
    if on_path is None:
        complete = (True,) * len(shown)
    else:
        # A direct input's gradient is whole when all its children are on the paths.
        off_path_child: set = set()
        for node in order:
            if node not in on_path:
                off_path_child.update(node.parents)
        complete = tuple(node in on_path or node not in off_path_child for node in shown)
        for i, node in enumerate(shown):
            if node in on_path:
                others[i] = len({id(p) for p in node.parents if p not in ids})
    # The running sums, one per shown node, as the engine keeps them in ``_g``.
    sums = [0.0] * len(shown)
    sums[ids[root]] = 1.0
    steps: list[Step] = []
    for node in reversed(shown):
        if on_path is not None and node not in on_path:
            continue  # a direct input around the focus paths: no step of its own
        i = ids[node]
        g = sums[i]
        pushes: list[Push] = []
        if node.parents:
            partials = local_grads(node)
            for position in push_positions(node):  # the engine's order of the sums
                parent, d = node.parents[position], partials[position]
                j = ids.get(parent)
                if j is None:
                    continue  # an input left out: its share is not part of the paths
                contribution = g * d
                sums[j] += contribution
                pushes.append(Push(j, position, d, contribution, sums[j]))
        steps.append(Step(len(steps), i, g, tuple(pushes), tuple(sums)))
    return BackwardSteps(root, shown, tuple(targets), complete, steps, others)


def focus_nodes(order: list, targets) -> tuple[list, set]:
    """The nodes to show around the paths from the root down to ``targets``.

    Args:
        order: the root's graph in topological order (root last).
        targets: the focus Values (all in ``order``).

    Returns:
        ``(shown, on_path)``: ``on_path`` is the set of nodes that depend on
        a target (targets included), which, since every node of ``order`` is
        one the root depends on, are exactly the nodes on some path from the
        root down to a target; ``shown`` is those nodes and the inputs their
        local derivatives need (`viz.focus.context_of`: the partner in a
        ``dot``, none for ``sum``, all for other ops), in the order of ``order``.
    """
    targets = set(targets)
    on_path: set = set()
    for node in order:  # parents first: each parent is decided before its children
        if node in targets or any(p in on_path for p in node.parents):
            on_path.add(node)
    shown_set = set(on_path)
    for node in on_path:
        needed, _ = context_of(node, on_path)
        shown_set.update(needed)
    return [node for node in order if node in shown_set], on_path
