"""Argument checks shared by the nn modules (and viz), so a bad argument gets
the same clear message wherever it is passed."""

from __future__ import annotations

import operator


def count(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``.

    Raises:
        TypeError: if ``value`` is not an integer (bools are refused).
        ValueError: if it is below ``minimum``.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if n < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {n}")
    return n


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
