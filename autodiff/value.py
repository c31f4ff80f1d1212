"""`Value`: one scalar node of a computation graph.

A node holds its float ``data``, its accumulated ``grad``, a ``label``, the op
that made it and its ``parents``.  It refers only to its parents, never to
itself or to its children, so a graph is a plain DAG of references: it is
freed the moment its last reference goes, without the cycle collector.

Every operator and function here dispatches to the op table in `ops`; this
module only turns operands into nodes.
"""

from __future__ import annotations

import numbers
from typing import Iterable

from . import backprop
from .graph import topological_order
from .modes import AnomalyError, state
from .ops import OPS, UNARY_FUNCTIONS, Op
from .ops import weighted_sum as _weighted_sum


class Value:
    """A scalar in a computation graph.

    Args:
        data: a real number (int, float, bool or any `numbers.Real`); stored
            as a float.
        label: a name shown in reprs, tables and graph pictures.

    Attributes:
        data (float): the value.
        grad (float): ∂root/∂self accumulated by ``backward()``; starts at 0.0.
        label (str): the label.
        op (str): the name of the op that made this node; ``""`` for a leaf.
        parents (tuple[Value, ...]): the op's inputs, in order, duplicates
            kept (``x * x`` has parents ``(x, x)``).

    Equality and hashing are by identity, so nodes can be kept in sets and
    dicts; ``<``, ``<=``, ``>``, ``>=`` compare ``data`` and return a bool.
    """

    # _g: the gradient being accumulated during one backward pass.
    __slots__ = ("data", "grad", "label", "_op", "parents", "_g", "__weakref__")

    # NumPy scalars and arrays defer to Value's reflected operators.
    __array_ufunc__ = None

    def __init__(self, data, label: str = "") -> None:
        self.data = _to_float(data, "data")
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type_name(label)}")
        self.grad = 0.0
        self.label = label
        self._op = None
        self.parents = ()

    # -- what the node is ---------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the op that made this node (``""`` for a leaf)."""
        op = self._op
        return op.symbol if op is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # -- gradients ----------------------------------------------------------

    def backward(self) -> None:
        """Add ∂self/∂node to the ``.grad`` of every node of the graph.

        Leaves and intermediate nodes alike receive their gradient, and this
        node's own ``.grad`` grows by 1.0.  Each call adds the gradients exactly
        once: calling ``backward()`` twice without zeroing doubles every
        ``.grad`` (use `zero_grad` between steps).  The walk is iterative, so
        graphs of any depth work.
        """
        backprop.backward(self)

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node reachable from this one."""
        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> "Value":
        """A new leaf with the same data and label, outside any graph."""
        return Value(self.data, self.label)

    def __deepcopy__(self, memo: dict) -> "Value":
        """A copy of the graph below this node (data, grad, label, op and
        parents; the ops are shared, being immutable table entries).

        Iterative, parents first, so graphs of any depth copy; nodes already
        in ``memo`` (shared with other copied objects) are reused.
        """
        for node in topological_order(self):
            if id(node) in memo:
                continue
            twin = _new(type(node))
            twin.data, twin.grad, twin.label, twin._op = node.data, node.grad, node.label, node._op
            twin.parents = tuple(memo[id(p)] for p in node.parents)
            twin._g = 0.0
            memo[id(node)] = twin
        return memo[id(self)]

    # -- comparisons (on data; equality stays identity) ---------------------

    def __lt__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data < other

    def __le__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data <= other

    def __gt__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data > other

    def __ge__(self, other):
        other = _data_of(other)
        return NotImplemented if other is None else self.data >= other

    __hash__ = object.__hash__


# --------------------------------------------------------------------------
# Turning operands into nodes

_new = object.__new__
_Real = numbers.Real


def type_name(x) -> str:
    """The name of ``x``'s type for an error message, with its module when it
    is not a builtin (``numpy.bool`` rather than a misleading ``bool``)."""
    cls = type(x)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _real(x, what: str) -> float:
    """float(x) for a real number ``x``; OverflowError naming ``what`` when an
    int is too large for a float64."""
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(
            f"{what} is too large for a float64 (an int of {len(str(abs(int(x))))} digits)"
        ) from None


def _to_float(x, what: str) -> float:
    cls = x.__class__
    if cls is float:
        return x
    if cls is int or cls is bool or (isinstance(x, _Real) and cls is not Value):
        return _real(x, f"Value {what}")
    raise TypeError(
        f"Value {what} must be a real number (int, float or bool), got {type_name(x)}"
    )


def _data_of(x):
    """What to compare a Value's data with: the float behind a Value, a real
    number as it is (Python compares floats with ints exactly, however
    large), None for anything else."""
    cls = x.__class__
    if cls is Value:
        return x.data
    if cls is float or cls is int or cls is bool or isinstance(x, _Real):
        return x
    return None


def _constant(x) -> Value | None:
    """A leaf for a plain number used as an operand; None for other types."""
    cls = x.__class__
    if cls is float or cls is int or cls is bool or isinstance(x, _Real):
        leaf = _new(Value)
        leaf.data = x if cls is float else _real(x, "operand")
        leaf.grad = 0.0
        leaf.label = ""
        leaf._op = None
        leaf.parents = ()
        return leaf
    return None


def as_value(x, what: str = "operand") -> Value:
    """``x`` itself if it is a Value, a constant leaf if it is a real number;
    TypeError naming the type otherwise."""
    if x.__class__ is Value:
        return x
    leaf = _constant(x)
    if leaf is None:
        raise TypeError(
            f"{what} must be a Value or a real number, got {type_name(x)}"
        )
    return leaf


def apply(op: Op, parents: tuple) -> Value:
    """The node for ``op`` applied to ``parents`` (all Values)."""
    inputs = [p.data for p in parents]
    return _node(op, parents, op.forward(*inputs) if op.arity else op.forward(inputs))


def _node(op: Op, parents: tuple, data: float) -> Value:
    """The node holding ``data``, the result of ``op`` on ``parents``, as the
    current mode records it: a leaf under `no_grad`; checked for nan under
    `detect_anomaly`.  (The operators inline the plain case.)"""
    if state.anomaly and data != data:
        inputs = ", ".join(repr(p.data) for p in parents)
        raise AnomalyError(f"op {op.symbol!r} returned nan for inputs ({inputs})")
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if state.grad_enabled:
        out._op = op
        out.parents = parents
    else:
        out._op = None
        out.parents = ()
    return out


def _binary(op: Op, reflected: bool = False, constant_op: Op | None = None):
    """The operator method for a binary op (``other`` may be a number)."""
    forward = op.forward
    number_op = constant_op or op
    number_forward = number_op.forward

    def method(self, other):
        if other.__class__ is Value:
            chosen, fwd = op, forward
        else:
            other = _constant(other)
            if other is None:
                return NotImplemented
            chosen, fwd = number_op, number_forward
        x, y = (other, self) if reflected else (self, other)
        data = fwd(x.data, y.data)
        if state.plain:
            out = _new(Value)
            out.data = data
            out.grad = 0.0
            out.label = ""
            out._op = chosen
            out.parents = (x, y)
            return out
        return _node(chosen, (x, y), data)

    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    method.__doc__ = f"{'other ' + op.name + ' self' if reflected else 'self ' + op.name + ' other'}"
    return method


def _unary(op: Op):
    """The method for a one-input op."""
    forward = op.forward

    def method(self):
        data = forward(self.data)
        if state.plain:
            out = _new(Value)
            out.data = data
            out.grad = 0.0
            out.label = ""
            out._op = op
            out.parents = (self,)
            return out
        return _node(op, (self,), data)

    method.__name__ = op.name
    method.__doc__ = f"{op.name}(self), recorded in the graph."
    return method


for _name, _dunder in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv")):
    setattr(Value, f"__{_dunder}__", _binary(OPS[_name]))
    setattr(Value, f"__r{_dunder}__", _binary(OPS[_name], reflected=True))
setattr(Value, "__pow__", _binary(OPS["**"], constant_op=OPS["**c"]))
setattr(Value, "__rpow__", _binary(OPS["**"], reflected=True))
setattr(Value, "__neg__", _unary(OPS["neg"]))
setattr(Value, "__abs__", _unary(OPS["abs"]))
for _name in UNARY_FUNCTIONS:
    setattr(Value, _name, _unary(OPS[_name]))
del _name, _dunder


# --------------------------------------------------------------------------
# n-ary ops


def _values(items, what: str) -> list[Value]:
    """``items`` as a list of Values, numbers made constant leaves."""
    items = list(items)
    if [x for x in items if x.__class__ is not Value]:
        for i, x in enumerate(items):
            if x.__class__ is not Value:
                leaf = _constant(x)
                if leaf is None:
                    raise TypeError(
                        f"{what}[{i}] must be a Value or a real number, "
                        f"got {type_name(x)}"
                    )
                items[i] = leaf
    return items


def sum(values: Iterable) -> Value:  # noqa: A001 - the engine's n-ary sum
    """Σ values as a single node (however many terms).

    Numbers among ``values`` become constant leaves.  An empty iterable gives
    a leaf with data 0.0.
    """
    if values.__class__ is not list and values.__class__ is not tuple:
        values = list(values)
    # One pass both checks the classes and reads the data; anything that is
    # not a Value (a number, or a wrong type) goes through _values.
    inputs = [v.data for v in values if v.__class__ is Value]
    if len(inputs) != len(values):
        values = _values(values, "values")
        inputs = [v.data for v in values]
    if not inputs:
        return Value(0.0)
    parents = tuple(values)
    data = _sum_forward(inputs)
    if state.plain:
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out._op = _SUM
        out.parents = parents
        return out
    return _node(_SUM, parents, data)


_SUM = OPS["sum"]
_sum_forward = _SUM.forward
_DOT = OPS["dot"]


def dot(ws: Iterable, xs: Iterable, bias=None) -> Value:
    """Σ wᵢ·xᵢ (+ bias) as a single node, with parents ``(w₁…wₙ, x₁…xₙ[, bias])``.

    The fast path for a neuron's weighted input z = Σₖ wₖaₖ + b.  ``ws`` and
    ``xs`` must have the same length (ValueError otherwise); numbers become
    constant leaves.
    """
    if ws.__class__ is not list and ws.__class__ is not tuple:
        ws = list(ws)
    if xs.__class__ is not list and xs.__class__ is not tuple:
        xs = list(xs)
    # As in sum: one pass checks the classes and reads the data.
    wd = [w.data for w in ws if w.__class__ is Value]
    xd = [x.data for x in xs if x.__class__ is Value]
    if len(wd) != len(ws) or len(xd) != len(xs) or (
        bias is not None and bias.__class__ is not Value
    ):
        ws = _values(ws, "ws")
        xs = _values(xs, "xs")
        if bias is not None:
            bias = as_value(bias, "bias")
        wd = [w.data for w in ws]
        xd = [x.data for x in xs]
    if len(ws) != len(xs):
        raise ValueError(f"dot needs equal lengths, got {len(ws)} ws and {len(xs)} xs")
    if bias is None:
        if not ws:
            return Value(0.0)
        parents = (*ws, *xs)
        data = _weighted_sum(wd, xd)
    else:
        parents = (*ws, *xs, bias)
        data = _weighted_sum(wd, xd, bias.data)
    if state.plain:
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out._op = _DOT
        out.parents = parents
        return out
    return _node(_DOT, parents, data)


def _function(name: str):
    method = getattr(Value, name)

    def function(x):
        return method(as_value(x, "x"))

    function.__name__ = name
    function.__doc__ = f"{name}(x) for a Value or a number, recorded in the graph."
    return function


exp = _function("exp")
log = _function("log")
tanh = _function("tanh")
sigmoid = _function("sigmoid")
relu = _function("relu")
sin = _function("sin")
cos = _function("cos")
sqrt = _function("sqrt")
