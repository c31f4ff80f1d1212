"""Forward-mode accumulation: `jvp`, the directional derivative in one sweep.

Reverse mode (`backprop`) pushes ∂root/∂node from the root back to the
inputs; forward mode pushes a tangent ẋ — how fast each node moves when the
inputs move along a direction v — from the inputs to the root.  The rule for
each node comes from the same op table entry as backward's: the tangent of an
op's output is

    ṙ = Σᵢ (∂r/∂xᵢ) ẋᵢ

with ∂r/∂xᵢ given by the entry's ``partials``.  So an op added to the table
later has its tangent rule without any edit here.

`jvp` evaluates ``f`` once on the primals (recording its graph, as any call
of ``f`` on Values does), then walks that graph once in topological order,
parents before children, computing each node's tangent.  The cost is one pass
of ``f`` and one forward sweep; there is no backward pass.  Seeds 000 and 003
compare the ways to get a gradient of P parameters:

- nudging (central differences): 2P passes of ``f``;
- forward mode: P `jvp` calls (v = each unit vector in turn), each a pass of
  ``f`` plus a sweep of the same length;
- backprop: one pass of ``f`` and one backward sweep, whatever P.

`op_count` gives the length of a pass (the ops recorded in a graph), and the
result of `jvp` carries ``.ops``, the number of tangent rules it applied, so
these costs can be counted rather than asserted.
"""

from __future__ import annotations

from typing import Callable, Sequence

from .arguments import is_real, type_name
from .graph import topological_order
from .modes import state
from .ops import FLOAT, GRAPH, contribution
from .value import Value

__all__ = ["jvp", "JVP", "op_count"]


class JVP(tuple):
    """The pair ``(primal_out, tangent_out)`` returned by `jvp`.

    It unpacks and compares as the plain pair, ``out, dout = jvp(...)``, and
    carries one more number.

    Attributes:
        primal_out: f(primals): a float, or the output Value when a primal or
            tangent was a Value.
        tangent_out: the directional derivative ⟨∇f, v⟩: a float, or a Value
            recorded in a graph when a primal or tangent was a Value.
        ops (int): the tangent rules applied in the forward sweep, one per
            op of f's graph that depends on the primals (the sweep's length).
    """

    ops: int

    def __new__(cls, primal_out, tangent_out, ops: int) -> "JVP":
        pair = super().__new__(cls, (primal_out, tangent_out))
        pair.ops = ops
        return pair

    @property
    def primal_out(self):
        """f(primals)."""
        return self[0]

    @property
    def tangent_out(self):
        """⟨∇f(primals), tangents⟩."""
        return self[1]

    def __repr__(self) -> str:
        return f"JVP(primal_out={self[0]!r}, tangent_out={self[1]!r}, ops={self.ops})"


def op_count(root) -> int:
    """The number of op applications recorded in ``root``'s graph.

    Every node that is not a leaf is the result of one op applied once, so
    this is the cost of the forward pass that built ``root`` (ops whose
    results do not reach ``root`` are not counted), and also the number of
    local-derivative rules one backward pass from ``root`` applies.

    Args:
        root: a Value (or an iterable of Values).
    """
    if not isinstance(root, Value) and not hasattr(root, "__iter__"):
        raise TypeError(f"op_count: root must be a Value or Values, got {type_name(root)}")
    return sum(1 for node in topological_order(root) if node.parents)


def _sequence(xs, what: str) -> list:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(
            f"jvp: {what} must be a sequence (list or tuple) of numbers or Values, "
            f"got {type_name(xs)}"
        )
    items = list(xs)
    for i, x in enumerate(items):
        if not (isinstance(x, Value) or is_real(x)):
            raise TypeError(
                f"jvp: {what}[{i}] must be a real number or a Value, got {type_name(x)}"
            )
    return items


def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> JVP:
    """f(primals) and its directional derivative along ``tangents``, by
    forward-mode accumulation (JAX's ``jvp``).

    Args:
        f: called as ``f(*values)`` with one Value per primal; returns a Value
            (as for `gradcheck`).
        primals: the point x, a sequence of numbers.  A primal may be a Value
            of a graph: f is then applied to that Value itself, so the result
            stays connected to it.
        tangents: the direction v, a sequence of numbers (or Values) as long
            as ``primals``.

    Returns:
        A `JVP`, the pair ``(f(x), ⟨∇f(x), v⟩)``, plus ``.ops``.  With number
        primals and tangents both are floats and the tangents are computed
        with float rules.  When any primal or tangent is a Value, the rules
        run on Values (the op table's GRAPH namespace): the tangent is a
        Value recorded in a graph, so `grad` of it, or another `jvp` of a
        function that calls `jvp`, gives second derivatives.  Likewise, jvp
        of a function that calls ``grad(..., create_graph=True)`` gives a
        second derivative.

    Raises:
        TypeError: if f is not callable, returns something other than a
            Value, or primals/tangents are not sequences of numbers/Values.
        ValueError: if primals and tangents have different lengths.
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {type_name(f)}")
    xs = _sequence(primals, "primals")
    vs = _sequence(tangents, "tangents")
    if len(xs) != len(vs):
        raise ValueError(
            f"jvp: primals and tangents must have the same length, "
            f"got {len(xs)} primals and {len(vs)} tangents"
        )
    on_graph = any(isinstance(x, Value) for x in (*xs, *vs))
    F = GRAPH if on_graph else FLOAT
    inputs = [x if isinstance(x, Value) else Value(x) for x in xs]
    # f's graph must be recorded even inside no_grad: the sweep walks it
    state.push(True, state.anomaly)
    try:
        out = f(*inputs)
        if not isinstance(out, Value):
            raise TypeError(f"jvp: f must return a Value, got {type_name(out)}")
        tangent, ops = _sweep(out, inputs, vs, F, on_graph)
    finally:
        state.pop()
    if on_graph:
        if not isinstance(tangent, Value):
            tangent = Value(tangent)  # a constant derivative, still a Value
        return JVP(out, tangent, ops)
    return JVP(out.data, float(tangent), ops)


def _sweep(out, inputs, vs, F, on_graph: bool):
    """Push the tangents from ``inputs`` to ``out`` through ``out``'s graph;
    returns (out's tangent, the number of tangent rules applied)."""
    tangent: dict = {}
    for x, v in zip(inputs, vs):
        # an input given twice (or twice the same Value) moves by both tangents
        tangent[x] = tangent[x] + v if x in tangent else (v if on_graph else float(v))
    seeds = set(tangent)
    get = tangent.get
    ops = 0
    for node in topological_order(out):
        parents = node.parents
        if not parents or node in seeds:
            continue
        moving = [get(p) for p in parents]
        if all(t is None for t in moving):
            continue  # does not depend on the inputs: tangent 0
        op = node._rule
        if on_graph:
            args, result = parents, node
        else:
            args, result = [p.data for p in parents], node.data
        partials = op.partials(F, *args, result) if op.arity else op.partials(F, args, result)
        total = None
        for d, t in zip(partials, moving):
            if t is not None:
                # t × d, with a masked d giving an exact zero (see ops.MASKED)
                term = contribution(t, d)
                total = term if total is None else total + term
        tangent[node] = total
        ops += 1
    result_tangent = get(out)
    return (0.0 if result_tangent is None else result_tangent), ops
