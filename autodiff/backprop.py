"""Reverse-mode accumulation: the chain rule applied along the one traversal.

`backward` adds ∂root/∂node into every node's ``.grad``; `grad` returns the
gradients for chosen inputs and touches no ``.grad``; with
``create_graph=True`` it records the gradient computation itself as new
nodes, so derivatives of any order come from nesting it.
"""

from __future__ import annotations

import operator
import threading
from collections import deque
from itertools import repeat
from typing import Iterable

from .graph import topological_order
from .modes import AnomalyError, state
from .ops import FLOAT, GRAPH, MASKED, MaskedNode, contribution


def _partials(node, create_graph: bool):
    """∂node/∂parent for each parent: floats, or Values with create_graph."""
    op = node._op
    if create_graph:
        inputs, result, F = node.parents, node, GRAPH
    else:
        inputs, result, F = [p.data for p in node.parents], node.data, FLOAT
    return op.partials(F, *inputs, result) if op.arity else op.partials(F, inputs, result)


def local_grads(node) -> tuple:
    """∂node/∂parent for each of ``node``'s parents, in order, as floats at the
    current data (from the op table's rule); ``()`` for a leaf."""
    if not node.parents:
        return ()
    return tuple(float(d) for d in _partials(node, False))


def _cotangents(root, seed, create_graph: bool, stop_at=frozenset()) -> dict:
    """∂root/∂node for every node reachable from ``root``, keyed by node.

    Walks the nodes children-first; each node's cotangent is complete when it
    is reached, and is pushed to its parents as cotangent × local derivative
    (not past a node in ``stop_at``).  Used by `grad`; `backward` runs the
    same walk with the sums kept on the nodes, which is faster.
    """
    cot = {root: seed}
    get = cot.get
    anomaly = state.anomaly
    for node in reversed(topological_order(root)):
        parents = node.parents
        if not parents or node in stop_at:
            continue
        g = get(node)
        if g is None:  # reached only through a stop_at node
            continue
        partials = _partials(node, create_graph)
        if anomaly:
            _check_backward(node, g, partials)
        for parent, d in zip(parents, partials):
            # A masked partial contributes an exact zero (see ops.MASKED).
            gd = contribution(g, d)
            previous = get(parent)
            cot[parent] = gd if previous is None else previous + gd
    return cot


def _check_backward(node, g, partials) -> None:
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


# One backward pass at a time: passes from several threads over shared nodes
# (the parameters) would otherwise mix their sums in the nodes' ``_g`` slots
# and race on ``.grad``.
_backward_lock = threading.Lock()


def backward(root) -> None:
    """Add ∂root/∂node to ``node.grad`` for every node of ``root``'s graph.

    The cotangents are summed in each node's ``_g`` slot, reset at the start
    of every pass, so a node's ``.grad`` receives its gradient exactly once
    per call whatever it held before (micrograd re-propagates accumulated
    intermediate grads on a second call; this does not).  Passes started from
    several threads run one at a time, so each adds its gradients in full.

    The pass is all or nothing: every sum is completed in the ``_g`` slots
    before any ``.grad`` changes, and the sums are then added in one step that
    Ctrl-C does not split.  An interrupted ``backward()`` (KeyboardInterrupt,
    or an error in a rule) leaves every ``.grad`` as it was.
    """
    with _backward_lock:
        order = topological_order(root)
        _accumulate(order, root, state.anomaly)
        _commit(order)


_grad_of = operator.attrgetter("grad")
_g_of = operator.attrgetter("_g")


def _commit(order: list) -> None:
    """Add each node's ``_g`` into its ``.grad``, all or nothing.

    The new values are computed first (no effect), then stored; both passes
    are C loops (map over slot getters and setattr), in which Python runs no
    signal handler, so a Ctrl-C waits until they are done.  Should one still
    land during the stores, they are finished (storing is idempotent) before
    the interrupt goes on.
    """
    totals = list(map(operator.add, map(_grad_of, order), map(_g_of, order)))
    try:
        deque(map(setattr, order, repeat("grad"), totals), maxlen=0)
    except BaseException:
        deque(map(setattr, order, repeat("grad"), totals), maxlen=0)
        raise


def _accumulate(order: list, root, anomaly: bool) -> None:
    """The body of `backward`, under its lock.

    The same chain rule as `_cotangents`, with the sums kept in the nodes'
    ``_g`` slots and the rule called without building argument lists for
    one- and two-input ops: this loop is most of a training step's time.
    """
    for node in order:
        node._g = 0.0
    root._g = 1.0
    for node in reversed(order):
        g = node._g  # complete: every child has been walked (.grad: see _commit)
        parents = node.parents
        if not parents:
            continue
        op = node._op
        if anomaly:
            partials = _partials(node, False)
            _check_backward(node, g, partials)
        elif op.arity == 2:
            x, y = parents
            dx, dy = op.partials(FLOAT, x.data, y.data, node.data)
            x._g += g * dx
            y._g += g * dy
            continue
        elif op.arity == 1:
            (x,) = parents
            (dx,) = op.partials(FLOAT, x.data, node.data)
            x._g += g * dx
            continue
        else:
            partials = op.partials(FLOAT, [p.data for p in parents], node.data)
        for parent, d in zip(parents, partials):
            parent._g += g * d


def grad(output, inputs, create_graph: bool = False, stop_at=()) -> list:
    """The gradients of ``output`` with respect to each of ``inputs``.

    Args:
        output: the Value to differentiate.
        inputs: a Value or a sequence of Values.
        create_graph: if True, the gradients are Values recorded in a new
            graph (so they can be differentiated again); otherwise floats.
        stop_at: Values treated as constants: no gradient flows through them
            to their parents, so the result is the gradient along the paths
            that avoid them (a stop node's own gradient is still given).

    Returns:
        A list with one gradient per input, 0 for an input that ``output``
        does not depend on.  No ``.grad`` is changed.
    """
    value_type = _value_type()
    if not isinstance(output, value_type):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, value_type):
        inputs = [inputs]
    elif not isinstance(inputs, Iterable):
        raise TypeError(
            f"grad: inputs must be a Value or a sequence of Values, got {type(inputs).__name__}"
        )
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, value_type):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    if isinstance(stop_at, value_type):
        stop_at = (stop_at,)
    stops = set()
    for i, node in enumerate(stop_at):
        if not isinstance(node, value_type):
            raise TypeError(f"grad: stop_at[{i}] must be a Value, got {type(node).__name__}")
        stops.add(node)
    if create_graph:
        # Record the derivative's graph even inside no_grad, as PyTorch does.
        state.push(True, state.anomaly)
        try:
            cot = _cotangents(output, value_type(1.0), True, stops)
            return [cot[x] if x in cot else value_type(0.0) for x in inputs]
        finally:
            state.pop()
    cot = _cotangents(output, 1.0, False, stops)
    return [cot.get(x, 0.0) for x in inputs]


def _value_type():
    from .value import Value  # value imports this module; resolve at call time

    return Value
