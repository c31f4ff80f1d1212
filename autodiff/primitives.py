"""Your own primitives: a new op defined from its forward and its local derivatives.

`primitive` adds an entry to the op table, `autodiff.ops.OPS`, in the very
form of the built-in entries: a forward on floats beside a pure rule for the
local derivatives,

    partials(F, *inputs, result) -> (∂result/∂input, ...)    one per input

where ``F`` is the namespace `ops.FLOAT` (the inputs are floats, first-order
backward) or `ops.GRAPH` (the inputs are `Value` nodes, ``create_graph``).
Written with ``F``'s functions (``F.exp``, ``F.log``, ``F.div``, ``F.sqrt``,
``F.sin``, ``F.cos``, ``F.tanh``, ``F.sigmoid``, ``F.pow``) and ``+ - *``,
the same rule gives derivatives of any order; written with ``math``, it
gives first derivatives only (its partials are then constants to a second
`grad`).

    >>> import autodiff
    >>> from autodiff import Value
    >>> cube = autodiff.primitive(
    ...     "cube",
    ...     lambda x: x * x * x,                  # x³
    ...     lambda F, x, r: (3.0 * x * x,),       # d x³/dx = 3x²
    ... )
    >>> x = Value(2.0)
    >>> y = x.cube()                              # or cube(x), autodiff.cube(x)
    >>> y.backward()
    >>> x.grad
    12.0

The new op is then a `Value` method and an `autodiff` function (a two-input
op's method takes the other operand: ``x.hypot(y)``, ``autodiff.hypot(x, 3)``)
and works wherever a built-in op does: `backward`, `grad` (higher order
too), `jvp`, `gradcheck`, `detect_anomaly`, `autodiff.compile` (as calls of
its forward and rule), `viz` (its symbol on the op node) and the random
graphs of `autodiff.testing.expressions`, which draw it from its arity and
domain (PyTorch does not know it: check it there with ``oracle="central"``).

A bad definition is refused when it is defined, with an error saying what
is wrong; the rule is tried once at a sample point inside the domain.
Re-defining a user primitive needs ``replace=True`` (nodes made before keep
the old definition); a built-in op can never be replaced.  `remove` takes a
user primitive out again.
"""

from __future__ import annotations

import inspect
import keyword
import numbers
from typing import Any, Callable, Sequence

from . import value as _value
from .arguments import type_name
from .ops import DOMAINS, FLOAT, OPS, Op

__all__ = ["primitive", "remove", "FUNCTIONS"]

#: name -> the `autodiff` function of each user primitive (what
#: ``autodiff.<name>`` gives).
FUNCTIONS: dict[str, Callable[..., Any]] = {}

# Names the package `autodiff` itself uses (its functions and submodules),
# filled in by it: a primitive may not shadow them as ``autodiff.<name>``.
_RESERVED: set[str] = set()

# A sample coordinate inside every domain, for the definition-time check.
_SAMPLES = (0.5, 0.7)


def _arity_of(forward: Callable, arity: Any) -> int:
    """The number of inputs: ``arity`` checked, or read from forward's signature."""
    try:
        signature: inspect.Signature | None = inspect.signature(forward)
    except (TypeError, ValueError):  # some builtins have none
        signature = None
    if arity is None:
        if signature is None:
            raise TypeError("primitive: cannot read forward's signature; give arity=1 or arity=2")
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = list(signature.parameters.values())
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
            raise TypeError("primitive: forward takes *args; give arity=1 or arity=2")
        arity = sum(1 for p in params if p.kind in kinds and p.default is p.empty)
    elif isinstance(arity, bool) or not isinstance(arity, int):
        raise TypeError(f"primitive: arity must be an int (1 or 2), got {type_name(arity)}")
    if arity not in (1, 2):
        raise ValueError(f"primitive: a primitive takes 1 or 2 inputs, got arity {arity}")
    if signature is not None:
        try:
            signature.bind(*_SAMPLES[:arity])
        except TypeError as err:
            raise TypeError(
                f"primitive: forward must take {arity} input(s) as positional arguments: {err}"
            ) from None
    return arity


def _check_partials_signature(partials: Callable, arity: int) -> None:
    try:
        signature = inspect.signature(partials)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(FLOAT, *_SAMPLES[:arity], 0.0)
    except TypeError as err:
        inputs = ", ".join("xy"[:arity])
        raise TypeError(
            f"primitive: partials must take (F, {inputs}, result), the rule namespace, "
            f"the input(s) and the result: {err}"
        ) from None


def _domains(domain: Any, arity: int) -> tuple[str, ...]:
    if domain is None:
        return ("any",) * arity
    names = [domain] * arity if isinstance(domain, str) else list(domain)
    if len(names) != arity:
        raise ValueError(
            f"primitive: domain must be one name or {arity} names (one per input), "
            f"got {len(names)}"
        )
    for d in names:
        if d not in DOMAINS:
            raise ValueError(f"primitive: domain {d!r} is not one of {', '.join(DOMAINS)}")
    return tuple(names)


def _check_name(name: Any, replace: bool) -> None:
    if not isinstance(name, str):
        raise TypeError(f"primitive: name must be a str, got {type_name(name)}")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            f"primitive: name {name!r} is not a Python identifier (it becomes a Value "
            f"method and an autodiff function)"
        )
    if name.startswith("_"):
        raise ValueError(f"primitive: name {name!r} starts with '_'; public names only")
    if name in FUNCTIONS:
        if not replace:
            raise ValueError(
                f"primitive: {name!r} is already a user primitive; pass replace=True to "
                f"redefine it"
            )
        return
    if name in OPS:
        raise ValueError(f"primitive: {name!r} is a built-in op of the table")
    if hasattr(_value.Value, name):
        raise ValueError(f"primitive: {name!r} is already an attribute of Value")
    if name in vars(_value) or name in _RESERVED:
        raise ValueError(f"primitive: {name!r} is already a name in autodiff")


def _checked(name: str, arity: int, rule: Callable) -> Callable[..., Any]:
    """The rule, with its number of partials checked at every call (the
    engine unpacks them, which would otherwise fail without saying why)."""

    def partials(F, *args):
        out = rule(F, *args)
        if not isinstance(out, (tuple, list)) or len(out) != arity:
            raise _wrong_partials(name, arity, out)
        return out

    partials.__name__ = f"{name}_partials"
    partials.__doc__ = rule.__doc__
    partials.__wrapped__ = rule  # type: ignore[attr-defined]
    return partials


def _wrong_partials(name: str, arity: int, out: Any) -> Exception:
    if isinstance(out, (tuple, list)):
        return ValueError(
            f"primitive {name!r}: partials returned {len(out)} partial(s), expected "
            f"{arity} (one ∂result/∂input per input)"
        )
    return TypeError(
        f"primitive {name!r}: partials must return a tuple of {arity} partial(s), got "
        f"{type_name(out)}" + (" (write a one-input rule's result as (d,))" if arity == 1 else "")
    )


def _sample_check(name: str, arity: int, forward: Callable, rule: Callable) -> None:
    xs = _SAMPLES[:arity]
    where = f"at the sample point {xs if arity > 1 else xs[0]!r}"
    try:
        r = forward(*xs)
    except Exception as err:
        raise ValueError(f"primitive {name!r}: forward raised {err!r} {where}") from err
    if isinstance(r, bool) or not isinstance(r, numbers.Real):
        raise TypeError(f"primitive {name!r}: forward must return a float, got {type_name(r)}")
    try:
        out = rule(FLOAT, *xs, float(r))
    except Exception as err:
        raise ValueError(f"primitive {name!r}: partials raised {err!r} {where}") from err
    if not isinstance(out, (tuple, list)) or len(out) != arity:
        raise _wrong_partials(name, arity, out)
    for i, d in enumerate(out):
        if isinstance(d, bool) or not isinstance(d, numbers.Real):
            raise TypeError(
                f"primitive {name!r}: partial {i} must be a number on float inputs, "
                f"got {type_name(d)}"
            )


def _binary_function(name: str, op: Op) -> tuple[Callable, Callable]:
    """The Value method ``x.name(y)`` and the function ``name(x, y)``."""
    method = _value._binary(op)
    method.__name__ = name
    method.__qualname__ = f"Value.{name}"
    method.__doc__ = f"{name}(self, other), recorded in the graph."

    def function(x, y):
        out = method(_value.as_value(x, "x"), y)
        if out is NotImplemented:
            raise TypeError(f"y must be a Value or a real number, got {type_name(y)}")
        return out

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{name}(x, y) for Values or numbers, recorded in the graph."
    return method, function


def primitive(
    name: str,
    forward: Callable[..., float],
    partials: Callable[..., Sequence],
    *,
    arity: int | None = None,
    domain: str | Sequence[str] | None = None,
    symbol: str | None = None,
    replace: bool = False,
) -> Callable[..., Any]:
    """Define a new op, one entry of the op table; return its function.

    Args:
        name: a Python identifier, free on `Value` and in `autodiff`: the
            op's table key, its `Value` method and its ``autodiff`` function.
        forward: floats -> float, ``forward(x)`` or ``forward(x, y)``.  For
            IEEE behaviour as the built-ins have, return inf or nan rather
            than raise.
        partials: the local derivatives, ``partials(F, x, result)`` or
            ``partials(F, x, y, result)``, returning one ∂result/∂input per
            input as a tuple; pure (it never touches ``.grad``).  ``F`` is
            `ops.FLOAT` or `ops.GRAPH`: written with its functions the rule
            serves every order of derivative.
        arity: 1 or 2; read from forward's signature when not given.
        domain: where central differences are reliable, for
            `autodiff.testing`: one name of `ops.DOMAINS` for every input, or
            one per input; "any" by default.
        symbol: what ``node.op`` and the graph pictures show; the name unless
            given.
        replace: allow re-defining a user primitive of this name.

    Returns:
        The function ``name(x)`` (or ``name(x, y)``) of Values or numbers,
        also ``autodiff.<name>``; the method is ``Value.<name>``.

    Raises:
        TypeError, ValueError: when the definition is bad (a name that is not
        an identifier or is taken, a forward or rule that is not callable,
        an arity other than 1 or 2 or not matching forward's, a rule that
        does not return one partial per input at the sample point, an
        unknown domain).
    """
    _check_name(name, replace)
    for what, f in (("forward", forward), ("partials", partials)):
        if not callable(f):
            raise TypeError(f"primitive: {what} must be callable, got {type_name(f)}")
    n = _arity_of(forward, arity)
    _check_partials_signature(partials, n)
    domains = _domains(domain, n)
    if symbol is None:
        symbol = name
    elif not isinstance(symbol, str) or not symbol:
        raise TypeError(f"primitive: symbol must be a non-empty str, got {symbol!r}")
    if not isinstance(replace, bool):
        raise TypeError(f"primitive: replace must be a bool, got {type_name(replace)}")
    _sample_check(name, n, forward, partials)

    op = Op(name, n, forward, _checked(name, n, partials), domains, symbol, function=n == 1)
    if name in FUNCTIONS:
        remove(name)
    OPS[name] = op
    try:
        if n == 1:
            function = _value._install(op)
        else:
            method, function = _binary_function(name, op)
            setattr(_value.Value, name, method)
    except Exception:
        del OPS[name]
        raise
    FUNCTIONS[name] = function
    return function


def remove(name: str) -> None:
    """Take the user primitive ``name`` out of the table, `Value` and
    `autodiff` (nodes already made keep working).  KeyError if ``name`` is
    not a user primitive; the built-in ops cannot be removed."""
    if name not in FUNCTIONS:
        raise KeyError(f"{name!r} is not a user primitive")
    del FUNCTIONS[name]
    del OPS[name]
    delattr(_value.Value, name)
    vars(_value).pop(name, None)
