"""Reverse-mode accumulation: the chain rule applied along the one traversal.

One walk, `_propagate`, serves both ways of asking for gradients: `backward`
adds ∂root/∂node into every node's ``.grad``; `gradients` (behind
`autodiff.grad`) reads ∂root/∂input for chosen inputs and touches no
``.grad``; with ``create_graph=True`` it records the gradient computation
itself as new nodes, so derivatives of any order come from nesting it.

The cyclic garbage collector is paused during a walk (`modes.gc_paused`).

The walk sums each node's gradient in its ``_g`` slot.  This module knows
nodes only by their attributes (``parents``, ``data``, ``_rule``, ``grad``,
``_g``): it imports nothing of `autodiff.value`, which imports it.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Iterable

from .graph import topological_order
from .modes import AnomalyError, gc_paused, pause_gc, resume_gc, state
from .ops import CROSSED, FLOAT, GATE, GRAPH, MASKED, MaskedNode, contribution, push_order


def _partials(node: Any, create_graph: bool) -> Any:
    """∂node/∂parent for each parent: floats, or Values with create_graph."""
    op = node._rule
    if create_graph:
        inputs, result = node.parents, node
        F: Any = GRAPH
    else:
        inputs, result, F = [p.data for p in node.parents], node.data, FLOAT
    return op.partials(F, *inputs, result) if op.arity else op.partials(F, inputs, result)


def local_grads(node: Any) -> tuple:
    """∂node/∂parent for each of ``node``'s parents, in order, as floats at the
    current data (from the op table's rule); ``()`` for a leaf."""
    if not node.parents:
        return ()
    return tuple(float(d) for d in _partials(node, False))


def push_positions(node: Any) -> range | list[int]:
    """The positions of ``node``'s parents in the order the walk adds their
    contributions into their sums (`ops.push_order`): the parents' order,
    but a `dot` pushes each pair wᵢ, xᵢ together.  For a view that replays
    the walk's sums, float for float."""
    parents = node.parents
    return push_order(node._rule, len(parents)) if parents else range(0)


def _check_backward(node: Any, g: Any, partials: Any) -> None:
    """Under detect_anomaly: raise at the op whose backward step makes a nan."""
    g_data = g.data if hasattr(g, "data") else g
    if g_data != g_data:
        return  # already nan on arrival: the op that made it has been checked
    for i, d in enumerate(partials):
        if d is MASKED or type(d) is MaskedNode:
            continue  # contributes an exact zero
        d_data = d.data if hasattr(d, "data") else d
        if g_data * d_data != g_data * d_data:
            inputs = ", ".join(repr(p.data) for p in node.parents)
            raise AnomalyError(
                f"backward of op {node.op!r} produced a nan gradient for its input "
                f"{i} (inputs ({inputs}); incoming gradient {g_data!r}; "
                f"local derivative {d_data!r})"
            )


def _propagate(order: list, create_graph: bool, anomaly: bool) -> None:
    """The chain rule, once, for `backward` and `gradients` alike.

    ``order`` is topological (parents first) and every node's ``_g`` holds its
    starting sum: the seed at the root, zero elsewhere (None with
    ``create_graph``, so that a first contribution is taken as it is rather
    than added to a constant 0 node).  Walking children-first, each node's
    ``_g`` is complete when it is reached, and is pushed to the parents as
    ``_g`` × local derivative, in `ops.push_order` (`backward` then adds the
    sums into ``.grad``, see `_commit`).  A masked local derivative
    (`ops.MASKED`) contributes an exact zero whatever ``_g`` is, as
    PyTorch's ``where`` does.

    At first order an op whose entry states the shape of its derivatives
    (`ops.Op.shape`: ``+``, ``*``, ``sum``, ``dot``, ``relu``) is pushed
    without calling its rule, and other one- and two-input rules are called
    without building argument lists: this loop is most of a training step's
    time.
    """
    general = create_graph or anomaly
    for node in reversed(order):
        g = node._g
        parents = node.parents
        if not parents:
            continue
        op = node._rule
        if general:
            partials = _partials(node, create_graph)
            if anomaly:
                _check_backward(node, g, partials)
            for k in push_order(op, len(parents)):
                parent, d = parents[k], partials[k]
                if create_graph:
                    gd = contribution(g, d)
                    previous = parent._g
                    parent._g = gd if previous is None else previous + gd
                else:
                    parent._g += g * d
            continue
        shape = op.shape
        if shape is not None:
            if op.arity == 2:  # x·y (CROSSED) or x + y (ONES)
                x, y = parents
                if shape is CROSSED:
                    x._g += g * y.data
                    y._g += g * x.data
                else:
                    x._g += g  # g × 1, the same float
                    y._g += g
            elif shape is GATE:  # relu: g passes where x > 0 or x is nan
                (x,) = parents
                x._g += 0.0 if x.data <= 0.0 else g  # g × MASKED is 0.0 (ops.MASKED)
            elif shape is CROSSED:  # dot: ∂/∂uᵢ = vᵢ, ∂/∂vᵢ = uᵢ, then 1
                half = len(parents) >> 1
                for u, v in zip(parents[:half], parents[half : 2 * half]):
                    u._g += g * v.data
                    v._g += g * u.data
                for rest in parents[2 * half :]:
                    rest._g += g
            else:  # ONES: sum
                for parent in parents:
                    parent._g += g
            continue
        arity = op.arity
        if arity == 1:
            (x,) = parents
            (dx,) = op.partials(FLOAT, x.data, node.data)
            x._g += 0.0 if dx is MASKED else g * dx
            continue
        if arity == 2:
            x, y = parents
            dx, dy = op.partials(FLOAT, x.data, y.data, node.data)
            x._g += g * dx
            y._g += g * dy
            continue
        for parent, d in zip(parents, _partials(node, False)):
            parent._g += g * d


# One pass at a time: passes from several threads over shared nodes (the
# parameters) would otherwise mix their sums in the nodes' ``_g`` slots and
# race on ``.grad``.  Re-entrant, so that a pass started from inside another
# one in the same thread (a rule that itself asks for a gradient) cannot
# deadlock.
_lock = threading.RLock()


def backward(root: Any, seed: float = 1.0) -> None:
    """Add ∂root/∂node × ``seed`` to ``node.grad`` for every node of ``root``'s
    graph (``seed``: ∂L/∂root, a float).

    The gradients are summed in each node's ``_g`` slot, reset at the start
    of every pass, so a node's ``.grad`` receives its gradient exactly once
    per call whatever it held before (micrograd re-propagates accumulated
    intermediate grads on a second call; this does not).  Passes started from
    several threads run one at a time, so each adds its gradients in full.

    The pass is all or nothing: every sum is completed in the ``_g`` slots
    before any ``.grad`` changes, and the sums are then added in one step that
    Ctrl-C does not split.  An interrupted ``backward()`` (KeyboardInterrupt,
    or an error in a rule) leaves every ``.grad`` as it was.

    The cyclic garbage collector is paused during the pass (`gc_paused`):
    the walk makes no cycles, and a collection would walk the whole graph.
    """
    with _lock:
        resumed = [False]  # set by _commit once the collector runs again
        pause_gc()
        try:
            order = topological_order(root)
            for node in order:
                node._g = 0.0
            root._g = seed
            _propagate(order, False, state.anomaly)
            _commit(order, resumed)
        finally:
            if not resumed[0]:
                resume_gc()  # an error or an interrupt before the commit


def _commit(order: list, resumed: list) -> None:
    """Add each node's ``_g`` into its ``.grad``: the pass's only effect;
    then let the collector run again (`modes.resume_gc`) and set
    ``resumed[0]``.

    It comes after the walk, so an error or an interrupt during the walk
    changes no ``.grad``.  The loop only adds floats; a Ctrl-C that arrives
    while it runs, or while the collector's state is restored, is held back
    (`_sigint_held`) and raised when both are done: the update is never half
    made, and the pause never left open.
    """
    with _sigint_held():
        try:
            for node in order:
                node.grad += node._g
        finally:
            resume_gc()
            resumed[0] = True


class _sigint_held:
    """Hold back SIGINT (Ctrl-C) for the duration of a short block, then act
    on it as the handler in place would have.  Python runs signal handlers in
    the main thread only, so elsewhere nothing needs holding; a handler that
    Python did not install (``getsignal`` gives None) could not be put back,
    so then nothing is held either."""

    __slots__ = ("previous", "caught")

    def __enter__(self) -> None:
        self.previous: Any = None  # None: nothing held
        self.caught: tuple[int, Any] | None = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not None:
                signal.signal(signal.SIGINT, self._hold)
                self.previous = previous

    def _hold(self, signum: int, frame: Any) -> None:
        self.caught = (signum, frame)

    def __exit__(self, *exc: object) -> None:
        if self.previous is None:
            return
        signal.signal(signal.SIGINT, self.previous)
        if self.caught is None:
            return
        if callable(self.previous):
            self.previous(*self.caught)  # KeyboardInterrupt, for Python's own handler
        elif self.previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)  # what the default would have done


def gradients(
    root: Any, inputs: list, seed: Any, create_graph: bool, stop_at: Iterable = ()
) -> list:
    """∂root/∂x for each node x of ``inputs``; no ``.grad`` is changed.

    The body of `autodiff.grad`, which checks the arguments and makes the
    seed (∂root/∂root: 1.0, or a leaf Value with ``create_graph``).

    Args:
        root: the node to differentiate.
        inputs: the nodes to differentiate with respect to.
        seed: ∂root/∂root.
        create_graph: the gradients are nodes of a new graph, recorded even
            inside `no_grad`, rather than floats.
        stop_at: nodes through which no gradient flows to their parents (their
            own gradient is still given).

    Returns:
        One gradient per input: 0.0 for an input ``root`` does not depend on
        (None with ``create_graph``, for the caller to make a zero leaf).
    """
    stops = set(stop_at)
    # gc paused as in `backward`; with create_graph the walk records a new
    # graph, which is acyclic too (the slots are cleared below).
    with _lock, gc_paused():
        # Nodes only reachable through a stop are not in the order, so they
        # are neither reset nor walked: every slot read below is reset first.
        order = topological_order(root, exclude=stops)
        # Inputs the walk never reaches keep 0.0; every node it walks starts
        # from -0.0, the sum's identity (-0.0 + y is y, signed zeros
        # included), so that a single -0.0 contribution keeps its sign, as
        # in PyTorch.  With create_graph the first contribution is taken as
        # it is (None), rather than added to a constant 0 node.
        for node in inputs:
            node._g = None if create_graph else 0.0
        zero = None if create_graph else -0.0
        for nodes in (stops, order):
            for node in nodes:
                node._g = zero
        root._g = seed
        if not create_graph:
            _propagate(order, False, state.anomaly)
            return [x._g for x in inputs]
        # Record the derivative's graph even inside no_grad, as PyTorch does.
        state.push(True, state.anomaly)
        try:
            _propagate(order, True, state.anomaly)
            return [x._g for x in inputs]
        finally:
            state.pop()
            # The sums are nodes whose graphs refer back to these nodes: left
            # in the slots they would make reference cycles.
            for nodes in (inputs, stops, order):
                for node in nodes:
                    node._g = None
