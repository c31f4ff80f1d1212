"""`Value`: one scalar node of a computation graph, and the functions on it.

A node holds its float ``data``, its accumulated ``grad``, a ``label``, the op
that made it and its ``parents``.  It refers only to its parents, never to
itself or to its children, so a graph is a plain DAG of references: it is
freed the moment its last reference goes, without the cycle collector.

Every operator, method and function here dispatches to the op table in `ops`:
they are made from its entries by three factories (`_binary`, `_unary`,
`_function`), and every node is made by one constructor, `_make`.  The
methods are declared in the class body, so that a reader finds ``__mul__``
where it is used and a type checker accepts ``2 * x``; `_install` adds a
method and a function for a one-input op outside the built-in table.
"""

from __future__ import annotations

import builtins
import copy
import functools
import numbers
import weakref
from typing import Any, Callable, Iterable, Literal, TypeAlias, overload

from . import backprop
from .arguments import is_real, type_name
from .graph import topological_order
from .modes import AnomalyError, state
from .modes import entered as _entered
from .ops import FLOAT, OPS, Op
from .ops import weighted_sum as _weighted_sum

#: What an operator or function takes: a Value or a plain number (at run time
#: any `numbers.Real`, bools and NumPy scalars included).
Operand: TypeAlias = "Value | float | int"

_new = object.__new__
_Real = numbers.Real


# --------------------------------------------------------------------------
# Nodes and operands (the class below uses these when it is called, not when
# it is defined)


def _make(op: Op | None, parents: tuple[Value, ...], data: float) -> Value:
    """The one node constructor: the node holding ``data``, the result of
    ``op`` on ``parents`` (a leaf when ``op`` is None), as the current mode
    records it.

    Recording with anomaly detection off is the common case and takes the
    first branch, without reading the thread-local `state` while no thread
    has a mode open; under `no_grad` the node is a leaf, and under
    `detect_anomaly` an op's nan result raises `AnomalyError`.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if not _entered[0] or state.plain:
        out._rule = op
        out.parents = parents
        return out
    if op is not None and state.anomaly and data != data:
        inputs = ", ".join(repr(p.data) for p in parents)
        raise AnomalyError(f"op {op.symbol!r} returned nan for inputs ({inputs})")
    if state.grad_enabled:
        out._rule = op
        out.parents = parents
    else:
        out._rule = None
        out.parents = ()
    return out


def _real(x: Any, what: str) -> float:
    """float(x) for a real number ``x``; OverflowError naming ``what`` when an
    int is too large for a float64."""
    try:
        return float(x)
    except OverflowError:
        digits = len(str(builtins.abs(int(x))))
        raise OverflowError(
            f"{what} is too large for a float64 (an int of {digits} digits)"
        ) from None


def _to_float(x: Any, what: str) -> float:
    # Bools are numbers here (Value(True) is 1.0), unlike the arguments of
    # `autodiff.arguments`: a Value is a number in a formula, not an option.
    cls = x.__class__
    if cls is float:
        return x
    if cls is int or cls is bool or (isinstance(x, _Real) and cls is not Value):
        return _real(x, f"Value {what}")
    raise TypeError(
        f"Value {what} must be a real number (int, float or bool), got {type_name(x)}"
    )


def _data_of(x: Any) -> Any:
    """What to compare a Value's data with: the float behind a Value, a real
    number as it is (Python compares floats with ints exactly, however
    large), None for anything else."""
    cls = x.__class__
    if cls is Value:
        return x.data
    if cls is float or cls is int or cls is bool or isinstance(x, _Real):
        return x
    if isinstance(x, Value):  # a subclass
        return x.data
    return None


def _leaf(x: float) -> Value:
    """A constant leaf holding the float ``x`` (in every mode: a leaf has no
    op to record or check)."""
    out = _new(Value)
    out.data = x
    out.grad = 0.0
    out.label = ""
    out._rule = None
    out.parents = ()
    return out


def _constant(x: Any) -> Value | None:
    """A leaf for a plain number used as an operand; None for other types."""
    cls = x.__class__
    if cls is float:
        return _leaf(x)
    if cls is int or cls is bool or isinstance(x, _Real):
        return _leaf(_real(x, "operand"))
    return None


def as_value(x: Any, what: str = "operand") -> Value:
    """``x`` itself if it is a Value, a constant leaf if it is a real number;
    TypeError naming the type otherwise."""
    if x.__class__ is Value:
        return x
    leaf = _constant(x)
    if leaf is None:
        if isinstance(x, Value):  # a subclass
            return x
        raise TypeError(f"{what} must be a Value or a real number, got {type_name(x)}")
    return leaf


def apply(op: Op, parents: tuple[Value, ...]) -> Value:
    """The node for ``op`` applied to ``parents`` (all Values)."""
    inputs = [p.data for p in parents]
    return _make(op, parents, op.forward(*inputs) if op.arity else op.forward(inputs))


# --------------------------------------------------------------------------
# The factories of the operators and methods


def _binary(
    op: Op, reflected: bool = False, constant_op: Op | None = None
) -> Callable[[Value, Operand], Value]:
    """The operator method for a two-input op: ``self op other`` (or ``other
    op self`` when ``reflected``), where ``other`` may be a number; with a
    number, ``constant_op`` when given (``x ** 2`` gives no gradient to 2)."""
    forward = op.forward
    number_op = constant_op or op
    number_forward = number_op.forward
    make = _make
    leaf = _leaf

    # The two fast paths, a Value or a float, come first; every other operand
    # (an int, another real number, a subclass of Value, a wrong type) goes
    # through `other_operand`.
    def method(self: Value, other: Any) -> Value:
        cls = other.__class__
        if cls is Value:
            return make(op, (self, other), forward(self.data, other.data))
        if cls is float:
            return make(number_op, (self, leaf(other)), number_forward(self.data, other))
        return other_operand(self, other)

    def reflected_method(self: Value, other: Any) -> Value:
        cls = other.__class__
        if cls is float:
            return make(number_op, (leaf(other), self), number_forward(other, self.data))
        if cls is Value:
            return make(op, (other, self), forward(other.data, self.data))
        return other_operand(self, other)

    def other_operand(self: Value, other: Any) -> Value:
        operand: Value | None = _constant(other)
        if operand is not None:
            chosen, fwd = number_op, number_forward
        elif isinstance(other, Value):  # a subclass
            chosen, fwd, operand = op, forward, other
        else:
            return NotImplemented
        x, y = (operand, self) if reflected else (self, operand)
        return make(chosen, (x, y), fwd(x.data, y.data))

    if reflected:
        method = reflected_method
    dunder = _DUNDERS.get(op.name, op.name)
    method.__name__ = f"__{'r' if reflected else ''}{dunder}__"
    method.__qualname__ = f"Value.{method.__name__}"
    left, right = ("other", "self") if reflected else ("self", "other")
    method.__doc__ = f"{left} {op.symbol} {right}, recorded in the graph."
    return method


_DUNDERS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow", "%": "mod"}


def _unary(op: Op, name: str | None = None) -> Callable[[Value], Value]:
    """The method for a one-input op (``name``: the method's name, the op's
    unless given)."""
    forward = op.forward
    make = _make

    def method(self: Value) -> Value:
        return make(op, (self,), forward(self.data))

    method.__name__ = name or op.name
    method.__qualname__ = f"Value.{method.__name__}"
    method.__doc__ = f"{op.name}(self), recorded in the graph."
    return method


# --------------------------------------------------------------------------
# Nodes made by hand: a rule of their own


class Closure:
    """The rule of one node made by hand (``Value(t, (x,), "tanh")``): an
    op-table-like entry of its own, so that the one chain-rule walk treats it
    as any op.

    ``arity`` is the node's number of children; ``partials(F, *inputs,
    result)`` ignores its inputs and returns the local derivatives from the
    node's closure, read one of two ways:

    - the closure returns them (``local_grads=``, or a ``_backward`` that
      returns a sequence): one per child, floats or, for derivatives of
      higher order, Values;
    - micrograd's style, ``fn()`` adds ``local * out.grad`` into each child's
      ``.grad``: being linear in ``out.grad``, it is called with
      ``out.grad = 1.0`` and each child's ``.grad`` at 0.0, what it added is
      read, and every ``.grad`` is restored exactly.  A child given twice
      gets the sum at its first place.  Such a closure gives float constants
      only, so ``create_graph=True`` refuses it.

    The rule refers to its node by a weak reference: a ``local_grads``
    closure that does not capture the node leaves the graph free of cycles.
    With no closure, no gradient reaches the children (micrograd's no-op).
    """

    __slots__ = ("symbol", "name", "arity", "fn", "local", "node")

    #: as `ops.Op.shape`: none, the derivatives come from the closure
    shape = None

    def __init__(self, node: Value, symbol: str, fn: Callable[[], Any] | None, local: bool):
        self.symbol = self.name = symbol
        self.arity = len(node.parents)
        self.fn = fn
        self.local = local
        self.node = weakref.ref(node)

    def __repr__(self) -> str:
        return f"Closure({self.symbol!r})"

    def partials(self, F: Any, *_: Any) -> tuple:
        """∂node/∂child for each child (the walk's inputs are not needed)."""
        node = self.node()
        fn = self.fn
        if fn is None or node is None:
            return (0.0,) * self.arity
        graph = F is not FLOAT
        if self.local:
            return self._checked(fn(), graph)
        children = list(dict.fromkeys(node.parents))  # each child once
        saved, saved_out = [c.grad for c in children], node.grad
        try:
            node.grad = 1.0
            for c in children:
                c.grad = 0.0
            returned = fn()
            added = {c: c.grad for c in children}
        finally:
            node.grad = saved_out
            for c, g in zip(children, saved):
                c.grad = g
        if returned is not None:
            return self._checked(returned, graph)
        if graph:
            raise TypeError(
                f"create_graph=True: the _backward closure of the node made by hand "
                f"(op {self.symbol!r}) adds float gradients, which cannot be differentiated "
                f"again; give it local_grads= returning Values instead"
            )
        partials = []
        for c in node.parents:
            d = added.pop(c, 0.0)
            if d.__class__ is not float:
                d = self._float(d)
            partials.append(d)
        return tuple(partials)

    def _checked(self, returned: Any, graph: bool) -> tuple:
        """The closure's returned local derivatives, checked; floats unless ``graph``."""
        if isinstance(returned, Value) or not isinstance(returned, Iterable):
            raise TypeError(
                f"the local-derivative closure of op {self.symbol!r} must return a "
                f"sequence of {self.arity} numbers, got {type_name(returned)}"
            )
        partials = tuple(returned)
        if len(partials) != self.arity:
            raise ValueError(
                f"the local-derivative closure of op {self.symbol!r} returned "
                f"{len(partials)} derivatives for {self.arity} children"
            )
        if graph:
            return tuple(d if isinstance(d, Value) else self._float(d) for d in partials)
        return tuple(d if d.__class__ is float else self._float(d) for d in partials)

    def _float(self, d: Any) -> float:
        if isinstance(d, Value):
            return d.data
        if not is_real(d):
            raise TypeError(
                f"a local derivative of op {self.symbol!r} must be a real number, "
                f"got {type_name(d)}"
            )
        return _real(d, f"a local derivative of op {self.symbol!r}")


def _step(node: Value) -> None:
    """``node._backward()``: add ``local * node.grad`` into each parent's ``.grad``."""
    parents = node.parents
    if not parents:
        return
    rule = node._rule
    if rule.__class__ is Closure:
        assert isinstance(rule, Closure)
        if rule.fn is None:
            return
        if not rule.local:
            # micrograd's closure, called as it is: it adds the products itself
            returned = rule.fn()
            if returned is None:
                return
            partials: Any = rule._checked(returned, False)
        else:
            partials = rule.partials(FLOAT)
    else:
        partials = backprop.local_grads(node)
    g = node.grad
    for parent, d in zip(parents, partials):
        parent.grad += d * g


# --------------------------------------------------------------------------
# Value


class Value:
    """A scalar in a computation graph.

    Args:
        data: a real number (int, float, bool or any `numbers.Real`); stored
            as a float.
        _children: micrograd's constructor: the Values this node was computed
            from, for a node made by hand (a one-off op).  A str here is
            read as the label, so ``Value(2.0, "x")`` keeps its meaning.
        _op: the op's symbol for such a node (what ``_op`` and pictures show).
        label: a name shown in reprs, tables and graph pictures.
        local_grads: for a node made by hand, a function of no arguments
            returning the local derivatives ∂self/∂child, one per child in
            the order given (floats; Values make them differentiable again
            under ``grad(..., create_graph=True)``).

    A node made by hand from ``_children`` passes no gradient to them until it
    has a rule: ``local_grads=``, or micrograd's ``node._backward = fn`` where
    ``fn()`` does ``child.grad += local * node.grad`` for each child (or
    returns the local derivatives).  The engine reads the local derivatives
    from such a closure itself (see `Closure`), so ``backward()`` and `grad`
    add each gradient exactly once, as for a built-in op.

    Attributes:
        data (float): the value.
        grad (float): ∂root/∂self accumulated by ``backward()``; starts at 0.0.
        label (str): the label.
        op (str): the symbol of the op that made this node; ``""`` for a leaf
            (``_op`` is the same, micrograd's name).
        parents (tuple[Value, ...]): the op's inputs, in order, duplicates
            kept (``x * x`` has parents ``(x, x)``); ``_prev`` is their set.

    Other attributes may be set freely (``v.note = "bias"``).  Equality and
    hashing are by identity, so nodes can be kept in sets and dicts; ``<``,
    ``<=``, ``>``, ``>=`` compare ``data`` and return a bool.  Subclasses work
    with every operator and function; their results are plain Values.
    """

    # _rule: the op-table entry (or per-node `Closure`) that made the node;
    # _g: the gradient being summed during one pass of the chain rule;
    # __dict__: users' own attributes (made only when one is set).
    __slots__ = ("data", "grad", "label", "_rule", "parents", "_g", "__dict__", "__weakref__")

    data: float
    grad: float
    label: str
    _rule: Op | Closure | None
    parents: tuple[Value, ...]
    _g: Any

    # NumPy scalars and arrays defer to Value's reflected operators.
    __array_ufunc__ = None

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] | str = (),
        _op: str = "",
        label: str = "",
        *,
        local_grads: Callable[[], Iterable[Any]] | None = None,
    ) -> None:
        self.data = _to_float(data, "data")
        if _op.__class__ is str and not _op and local_grads is None and label.__class__ is str:
            # a leaf, the common case: Value(x), Value(x, "x"), Value(x, label="x")
            if _children.__class__ is tuple and not _children:
                self.grad, self.label, self._rule, self.parents = 0.0, label, None, ()
                return
            if _children.__class__ is str and not label:
                self.grad, self.label, self._rule, self.parents = 0.0, _children, None, ()
                return
        if isinstance(_children, str):
            # Value(2.0, "x"): the label, as before micrograd's constructor
            if _op or label:
                raise TypeError(
                    "Value: a str second argument is the label; pass children as a "
                    f"tuple of Values (got label {_children!r} with _op={_op!r}, label={label!r})"
                )
            label = _children
            _children = ()
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type_name(label)}")
        if not isinstance(_op, str):
            raise TypeError(f"Value _op must be a str (the op's symbol), got {type_name(_op)}")
        if isinstance(_children, Value) or not isinstance(_children, Iterable):
            raise TypeError(
                f"Value _children must be a tuple of Values, got {type_name(_children)}"
            )
        children = tuple(_children)
        for i, child in enumerate(children):
            if not isinstance(child, Value):
                raise TypeError(f"Value _children[{i}] must be a Value, got {type_name(child)}")
        if local_grads is not None:
            if not callable(local_grads):
                raise TypeError(
                    f"Value local_grads must be a function of no arguments, "
                    f"got {type_name(local_grads)}"
                )
            if not children:
                raise ValueError("Value local_grads needs _children to differentiate against")
        self.grad = 0.0
        self.label = label
        if _entered[0] and not state.grad_enabled:
            children = ()  # no_grad: a leaf, as every node made there
        self.parents = children
        if children or _op:
            self._rule = Closure(self, _op, local_grads, local=True)
        else:
            self._rule = None

    # -- operators: each one entry of the op table ---------------------------

    __add__ = _binary(OPS["+"])
    __radd__ = _binary(OPS["+"], reflected=True)
    __sub__ = _binary(OPS["-"])
    __rsub__ = _binary(OPS["-"], reflected=True)
    __mul__ = _binary(OPS["*"])
    __rmul__ = _binary(OPS["*"], reflected=True)
    __truediv__ = _binary(OPS["/"])
    __rtruediv__ = _binary(OPS["/"], reflected=True)
    __pow__ = _binary(OPS["**"], constant_op=OPS["**c"])
    __rpow__ = _binary(OPS["**"], reflected=True)
    __mod__ = _binary(OPS["%"])
    __rmod__ = _binary(OPS["%"], reflected=True)
    __neg__ = _unary(OPS["neg"], "__neg__")
    __abs__ = _unary(OPS["abs"], "__abs__")

    # -- the table's functions (entries with function=True), as methods -----
    # Declared one by one so that type checkers see them; a test checks that
    # none of `ops.UNARY_FUNCTIONS` is missing.

    abs = _unary(OPS["abs"])
    exp = _unary(OPS["exp"])
    log = _unary(OPS["log"])
    tanh = _unary(OPS["tanh"])
    sigmoid = _unary(OPS["sigmoid"])
    relu = _unary(OPS["relu"])
    sin = _unary(OPS["sin"])
    cos = _unary(OPS["cos"])
    sqrt = _unary(OPS["sqrt"])
    atan = _unary(OPS["atan"])
    asin = _unary(OPS["asin"])
    acos = _unary(OPS["acos"])
    log1p = _unary(OPS["log1p"])
    expm1 = _unary(OPS["expm1"])
    leaky_relu = _unary(OPS["leaky_relu"])
    elu = _unary(OPS["elu"])
    gelu = _unary(OPS["gelu"])
    silu = _unary(OPS["silu"])
    softplus = _unary(OPS["softplus"])

    # -- what the node is ---------------------------------------------------

    @property
    def op(self) -> str:
        """The symbol of the op that made this node (``""`` for a leaf)."""
        rule = self._rule
        return rule.symbol if rule is not None else ""

    @property
    def _op(self) -> str:
        """micrograd's name for `op`: the op's symbol, ``""`` for a leaf."""
        rule = self._rule
        return rule.symbol if rule is not None else ""

    @property
    def _prev(self) -> set[Value]:
        """micrograd's children: the set of this node's parents."""
        return set(self.parents)

    @property
    def _backward(self) -> Callable[[], None]:
        """One step of backpropagation by hand, as micrograd's ``_backward``:
        calling it adds ``local * self.grad`` into each parent's ``.grad``
        (a no-op for a leaf).  Assign a function to give a node made by hand
        its rule (micrograd's ``out._backward = fn``): ``fn()`` either adds
        ``local * out.grad`` into each child's ``.grad`` itself, or returns
        the local derivatives.  Such a closure usually refers to the node
        itself, a reference cycle: its graph is freed by the cycle collector
        rather than at once (``local_grads=`` closures need not be).
        """
        return functools.partial(_step, self)

    @_backward.setter
    def _backward(self, fn: Callable[[], Any]) -> None:
        if not callable(fn):
            raise TypeError(
                f"Value _backward must be a function of no arguments, got {type_name(fn)}"
            )
        self._rule = Closure(self, self.op, fn, local=False)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        # Refused so that math.tanh(v) and friends fail loudly rather than
        # silently returning a float that has left the graph.
        raise TypeError(
            f"a Value is not converted to float: use v.data for the number, or "
            f"v.tanh() etc. (or autodiff.tanh(v)) to keep the gradient "
            f"(Value data={self.data!r})"
        )

    # -- gradients ----------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Add ∂self/∂node × ``gradient`` to the ``.grad`` of every node of the graph.

        Leaves and intermediate nodes alike receive their gradient, and this
        node's own ``.grad`` grows by ``gradient``.  Each call adds the
        gradients exactly once: calling ``backward()`` twice without zeroing
        doubles every ``.grad`` (use `zero_grad` between steps).  The walk is
        iterative, so graphs of any depth work.

        Args:
            gradient: ∂L/∂self, the seed of the pass (PyTorch's name): a real
                number, 1.0 by default.
        """
        if gradient.__class__ is not float:
            if not is_real(gradient):
                raise TypeError(
                    f"backward: gradient must be a real number (∂L/∂self), "
                    f"got {type_name(gradient)}"
                )
            gradient = _real(gradient, "backward: gradient")
        backprop.backward(self, gradient)

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node reachable from this one."""
        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and label, outside any graph."""
        return Value(self.data, self.label)

    def __deepcopy__(self, memo: dict) -> "Value":
        """A copy of the graph below this node (data, grad, label, op and
        parents; the ops are shared, being immutable table entries).  A node
        made with its own closure shares that closure, which still refers to
        the original nodes: its copy's gradient rule is the original's.

        Iterative, parents first, so graphs of any depth copy; nodes already
        in ``memo`` (shared with other copied objects) are reused.
        """
        for node in topological_order(self):
            if id(node) in memo:
                continue
            twin = _new(type(node))
            twin.data, twin.grad, twin.label = node.data, node.grad, node.label
            twin._rule = node._rule
            twin.parents = tuple(memo[id(p)] for p in node.parents)
            twin._g = 0.0
            if node.__dict__:  # a user's own attributes, copied as deepcopy does
                twin.__dict__.update(copy.deepcopy(node.__dict__, memo))
            memo[id(node)] = twin
        return memo[id(self)]

    # -- comparisons (on data; equality stays identity) ---------------------

    def __lt__(self, other: Operand) -> bool:
        number = _data_of(other)
        return NotImplemented if number is None else self.data < number

    def __le__(self, other: Operand) -> bool:
        number = _data_of(other)
        return NotImplemented if number is None else self.data <= number

    def __gt__(self, other: Operand) -> bool:
        number = _data_of(other)
        return NotImplemented if number is None else self.data > number

    def __ge__(self, other: Operand) -> bool:
        number = _data_of(other)
        return NotImplemented if number is None else self.data >= number

    __hash__ = object.__hash__


# --------------------------------------------------------------------------
# The table's functions, as functions of Values or numbers


def _function(op: Op) -> Callable[[Operand], Value]:
    """The function ``op.name(x)`` for a Value or a number: the Value method
    of the same name, on ``x`` made a Value."""
    method = getattr(Value, op.name)

    def function(x: Operand) -> Value:
        return method(as_value(x, "x"))

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"{op.name}(x) for a Value or a number, recorded in the graph."
    return function


# Declared one by one, as the methods are.
abs = _function(OPS["abs"])  # noqa: A001 - autodiff.abs, as autodiff.sum
exp = _function(OPS["exp"])
log = _function(OPS["log"])
tanh = _function(OPS["tanh"])
sigmoid = _function(OPS["sigmoid"])
relu = _function(OPS["relu"])
sin = _function(OPS["sin"])
cos = _function(OPS["cos"])
sqrt = _function(OPS["sqrt"])
atan = _function(OPS["atan"])
asin = _function(OPS["asin"])
acos = _function(OPS["acos"])
log1p = _function(OPS["log1p"])
expm1 = _function(OPS["expm1"])
leaky_relu = _function(OPS["leaky_relu"])
elu = _function(OPS["elu"])
gelu = _function(OPS["gelu"])
silu = _function(OPS["silu"])
softplus = _function(OPS["softplus"])


def _install(op: Op) -> Callable[[Operand], Value]:
    """Make the one-input ``op`` a `Value` method and a function of this
    module, both named ``op.name``, as the built-in entries are; return the
    function.

    For ops outside the built-in table (whose methods are declared in the
    class body).  ValueError if ``op`` does not take one input, or if its
    name is already taken on `Value` or here.
    """
    if op.arity != 1:
        raise ValueError(f"only a one-input op becomes a method, got {op!r} of arity {op.arity}")
    name = op.name
    if not name.isidentifier() or hasattr(Value, name) or name in globals():
        raise ValueError(f"op name {name!r} is not free for a Value method and a function")
    setattr(Value, name, _unary(op))
    function = globals()[name] = _function(op)
    return function


# --------------------------------------------------------------------------
# n-ary ops


def _values(items: Iterable[Any], what: str) -> list[Value]:
    """``items`` as a list of Values, numbers made constant leaves."""
    items = list(items)
    if [x for x in items if x.__class__ is not Value]:
        for i, x in enumerate(items):
            if x.__class__ is not Value:
                leaf = _constant(x)
                if leaf is None:
                    if isinstance(x, Value):  # a subclass
                        continue
                    raise TypeError(
                        f"{what}[{i}] must be a Value or a real number, got {type_name(x)}"
                    )
                items[i] = leaf
    return items


_SUM = OPS["sum"]
_sum_forward = _SUM.forward
_DOT = OPS["dot"]


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - the engine's n-ary sum
    """Σ values as a single node (however many terms).

    Numbers among ``values`` become constant leaves.  An empty iterable gives
    a leaf with data 0.0.
    """
    items: Any = values
    if items.__class__ is not list and items.__class__ is not tuple:
        items = list(items)
    # One pass both checks the classes and reads the data; anything that is
    # not a Value (a number, or a wrong type) goes through _values.
    inputs = [v.data for v in items if v.__class__ is Value]
    if len(inputs) != len(items):
        items = _values(items, "values")
        inputs = [v.data for v in items]
    if not inputs:
        return Value(0.0)
    return _make(_SUM, tuple(items), _sum_forward(inputs))


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Operand | None = None) -> Value:
    """Σ wᵢ·xᵢ (+ bias) as a single node, with parents ``(w₁…wₙ, x₁…xₙ[, bias])``.

    The fast path for a neuron's weighted input z = Σₖ wₖaₖ + b.  ``ws`` and
    ``xs`` must have the same length (ValueError otherwise); numbers become
    constant leaves.
    """
    w: Any = ws
    x: Any = xs
    b: Any = bias
    if w.__class__ is not list and w.__class__ is not tuple:
        w = list(w)
    if x.__class__ is not list and x.__class__ is not tuple:
        x = list(x)
    # As in sum: one pass checks the classes and reads the data.
    wd = [v.data for v in w if v.__class__ is Value]
    xd = [v.data for v in x if v.__class__ is Value]
    if len(wd) != len(w) or len(xd) != len(x) or (b is not None and b.__class__ is not Value):
        w = _values(w, "ws")
        x = _values(x, "xs")
        if b is not None:
            b = as_value(b, "bias")
        wd = [v.data for v in w]
        xd = [v.data for v in x]
    if len(w) != len(x):
        raise ValueError(f"dot needs equal lengths, got {len(w)} ws and {len(x)} xs")
    if b is None:
        if not w:
            return Value(0.0)
        return _make(_DOT, (*w, *x), _weighted_sum(wd, xd))
    return _make(_DOT, (*w, *x, b), _weighted_sum(wd, xd, b.data))


def affine(
    weights: Iterable[Iterable[Operand]],
    inputs: Iterable[Iterable[Operand]],
    biases: Iterable[Operand] | None = None,
) -> list[list[Value]]:
    """A layer's weighted inputs over a batch: ``z[i][j] = Σₖ weights[j][k]·
    inputs[i][k] + biases[j]`` for every sample i and every row j.

    Each ``z[i][j]`` is the node ``dot(weights[j], inputs[i], biases[j])``
    makes: the same op, the same parents in the same order, the same number
    bit for bit.  Only the reading differs: each weight's data is read once
    for the batch and each input's once per sample, rather than once per
    node, which makes a layer's forward pass nearly twice as fast.

    Args:
        weights: the rows w⁽ˡ⁾ⱼ, each a sequence of Values or numbers, all of
            one length n.
        inputs: the samples a⁽ˡ⁻¹⁾, each a sequence of n Values or numbers.
        biases: one per row, or None for no bias.

    Returns:
        One list per sample, of one Value per row.  Numbers become constant
        leaves, as in `dot`.

    Raises:
        TypeError: an item that is neither a Value nor a real number (named
            by its place, e.g. ``inputs[3][1]``).
        ValueError: rows of different lengths, a sample whose length differs
            from the rows', or biases not one per row.
    """
    rows = [
        _values(_listed(w, f"weights[{j}]"), f"weights[{j}]")
        for j, w in enumerate(_listed(weights, "weights"))
    ]
    n = len(rows[0]) if rows else 0
    for j, row in enumerate(rows):
        if len(row) != n:
            raise ValueError(f"affine: weights[{j}] has {len(row)} values, weights[0] has {n}")
    if biases is None:
        bs: list[Value | None] = [None] * len(rows)
    else:
        bs = list(_values(_listed(biases, "biases"), "biases"))
        if len(bs) != len(rows):
            raise ValueError(f"affine: {len(bs)} biases for {len(rows)} rows of weights")
    if n == 0 and biases is None:
        # dot's own answer for empty rows without bias: a 0.0 leaf per node
        return [[Value(0.0) for _ in rows] for _ in _listed(inputs, "inputs")]
    # per row: its parents before the sample's, its data, its bias and the bias' data
    spec = [
        (tuple(row), [v.data for v in row], b, 0.0 if b is None else b.data)
        for row, b in zip(rows, bs)
    ]
    make, forward = _make, _weighted_sum  # dot's forward
    out = []
    for i, sample in enumerate(_listed(inputs, "inputs")):
        xs = _values(_listed(sample, f"inputs[{i}]"), f"inputs[{i}]")
        if len(xs) != n:
            raise ValueError(
                f"affine: inputs[{i}] has {len(xs)} values, the rows of weights have {n}"
            )
        xd = [v.data for v in xs]
        out.append([
            make(_DOT, (*w, *xs) if b is None else (*w, *xs, b), forward(wd, xd, bd))
            for w, wd, b, bd in spec
        ])
    return out


def _listed(items: Any, what: str) -> list | tuple:
    """``items`` as a list or tuple; TypeError naming ``what`` unless iterable."""
    if items.__class__ is list or items.__class__ is tuple:
        return items
    if isinstance(items, (str, bytes, Value)) or not isinstance(items, Iterable):
        raise TypeError(f"affine: {what} must be a sequence, got {type_name(items)}")
    return list(items)


# --------------------------------------------------------------------------
# Gradients for chosen inputs


@overload
def grad(
    output: Value,
    inputs: Value | Iterable[Value],
    create_graph: Literal[False] = False,
    stop_at: Value | Iterable[Value] = (),
) -> list[float]: ...


@overload
def grad(
    output: Value,
    inputs: Value | Iterable[Value],
    create_graph: Literal[True],
    stop_at: Value | Iterable[Value] = (),
) -> list[Value]: ...


@overload
def grad(
    output: Value,
    inputs: Value | Iterable[Value],
    create_graph: bool = False,
    stop_at: Value | Iterable[Value] = (),
) -> list[float] | list[Value]: ...


def grad(
    output: Value,
    inputs: Value | Iterable[Value],
    create_graph: bool = False,
    stop_at: Value | Iterable[Value] = (),
) -> list[float] | list[Value]:
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
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type_name(output)}")
    if isinstance(inputs, Value):
        inputs = [inputs]
    elif not isinstance(inputs, Iterable):
        raise TypeError(
            f"grad: inputs must be a Value or a sequence of Values, got {type_name(inputs)}"
        )
    nodes = list(inputs)
    for i, x in enumerate(nodes):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type_name(x)}")
    if isinstance(stop_at, Value):
        stop_at = (stop_at,)
    stops = list(stop_at)
    for i, node in enumerate(stops):
        if not isinstance(node, Value):
            raise TypeError(f"grad: stop_at[{i}] must be a Value, got {type_name(node)}")
    if not create_graph:
        return backprop.gradients(output, nodes, 1.0, False, stops)
    grads = backprop.gradients(output, nodes, Value(1.0), True, stops)
    return [Value(0.0) if g is None else g for g in grads]
