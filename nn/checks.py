"""Argument checks that only nn needs (the general ones — real numbers,
ints, flags, bools refused — are in `autodiff.arguments`).

- `real_array`: data as a finite NumPy float array (`nn.matrix`, `viz`).
- `finite_float`: one parameter value of a state or a checkpoint.
"""

from __future__ import annotations

import math

from autodiff.arguments import is_real, type_name

__all__ = ["real_array", "finite_float"]


def real_array(data, what: str):
    """``data`` as a NumPy float array whose entries are all finite.

    Raises:
        TypeError: if an entry is not a real number.
        ValueError: if an entry is nan or inf.
    """
    import numpy as np

    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must hold real numbers only ({error})") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite: it holds nan or inf")
    return arr


def finite_float(value: object, key: str, caller: str) -> float:
    """The parameter value ``value`` (stored under ``key``) as a finite float.

    Every problem is a ``ValueError`` naming ``caller`` and ``key``, because
    the value comes from data (a state dict, a checkpoint), not from code.

    Raises:
        ValueError: if ``value`` is not a real number (bools are refused),
            too large for a float, or not finite.
    """
    if not is_real(value):
        raise ValueError(
            f"{caller}: key {key!r} must be a finite real number, "
            f"got {type_name(value)} {value!r}"
        )
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{caller}: key {key!r} is too large for a float: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{caller}: key {key!r} must be finite, got {number!r}")
    return number
