"""Argument checks shared by the three packages, so that a bad argument gets
the same precise message wherever it is passed.

Python's ``bool`` is an ``int``, and so a `numbers.Real`: every check here
refuses it where a number is asked for (``lr=True`` is a mistake, not 1.0).
`is_real` and `is_int` are the predicates; `real`, `integer` and `flag`
check and convert, raising ``TypeError`` for a wrong type and ``ValueError``
for a value out of range, each naming the argument and what is allowed.
"""

from __future__ import annotations

import math
import numbers
import operator


def type_name(x: object) -> str:
    """The name of ``x``'s type for an error message, with its module when it
    is not a builtin (``numpy.bool`` rather than a misleading ``bool``)."""
    cls = type(x)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def is_real(x: object) -> bool:
    """True for a real number (int, float, `numbers.Real`), False for a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def is_int(x: object) -> bool:
    """True for an integer (int, `numbers.Integral`), False for a bool."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def real(
    value: object,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_minimum: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a float, checked.

    Args:
        value: the argument.
        name: its name in the messages.
        minimum, maximum: the allowed range (inclusive; ``open_minimum``
            excludes the minimum itself).
        finite: refuse nan and ±inf.

    Raises:
        TypeError: if ``value`` is not a real number (bools are refused).
        ValueError: if it is not finite (when asked) or out of range.
    """
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type_name(value)}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{name} is too large for a float64") from None
    if math.isnan(x) or (finite and math.isinf(x)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if minimum is not None and (x < minimum or (open_minimum and x == minimum)):
        bound = f"> {minimum}" if open_minimum else f">= {minimum}"
        raise ValueError(f"{name} must be {bound}, got {x!r}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {x!r}")
    return x


def integer(value: object, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an int, checked (anything with ``__index__``, not a bool).

    Raises:
        TypeError: if ``value`` is not an integer.
        ValueError: if it is below ``minimum``.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        n = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type_name(value)}") from None
    if minimum is not None and n < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {n}")
    return n


def flag(value: object, name: str) -> bool:
    """``value`` itself if it is True or False.

    Raises:
        TypeError: for anything else (``1`` and ``"yes"`` included).
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value
