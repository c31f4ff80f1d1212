"""Numerical gradients: the "nudge" of "Demystifying Deep Learning, part 5",
and a gradient check.

`numerical_grad` nudges each input by ±eps and takes the central difference:
two evaluations of ``f`` per input, where one backward pass gives them all.
`gradcheck` compares that with the engine's analytic gradients.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .arguments import is_real, type_name
from .modes import no_grad
from .value import Value, _to_float, grad


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when an analytic and a numeric gradient disagree.

    Attributes:
        analytic (list[float]): the engine's gradients, one per input.
        numeric (list[float]): the central differences, one per input.
        mismatched (list[int]): the indices of the inputs that disagree.
    """

    def __init__(self, message: str, analytic, numeric, mismatched) -> None:
        super().__init__(message)
        self.analytic = analytic
        self.numeric = numeric
        self.mismatched = mismatched


def _inputs(xs: Sequence, caller: str) -> list[float]:
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{caller}: xs must be a list of numbers, got {type_name(xs)}")
    out = []
    for i, x in enumerate(xs):
        try:
            out.append(_to_float(x.data if isinstance(x, Value) else x, f"xs[{i}]"))
        except TypeError:
            raise TypeError(
                f"{caller}: xs[{i}] must be a real number, got {type_name(x)}"
            ) from None
    return out


def _evaluate(f: Callable, xs: list[float], caller: str) -> float:
    out = f(*[Value(x) for x in xs])
    if isinstance(out, Value):
        return out.data
    try:
        return _to_float(out, "result")
    except TypeError:
        raise TypeError(
            f"{caller}: f must return a Value or a number, got {type_name(out)}"
        ) from None


def numerical_grad(f: Callable, xs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x + eps) - f(x - eps)) / 2eps, one per input.

    Args:
        f: called as ``f(*values)`` with one Value per input; returns a Value.
        xs: the point, a list of floats.
        eps: the nudge.

    Returns:
        A list of floats, ∂f/∂xᵢ estimated for each input.  ``f`` is evaluated
        2·len(xs) times, under `no_grad`.
    """
    xs = _inputs(xs, "numerical_grad")
    _check_eps(eps, "numerical_grad")
    grads = []
    with no_grad():
        for i, x in enumerate(xs):
            up = xs.copy()
            up[i] = x + eps
            down = xs.copy()
            down[i] = x - eps
            hi = _evaluate(f, up, "numerical_grad")
            lo = _evaluate(f, down, "numerical_grad")
            grads.append((hi - lo) / (2.0 * eps))
    return grads


def numerical_grad_of(f: Callable, values: Sequence, eps: float = 1e-6) -> list[float]:
    """Central differences of ``f()`` with respect to Values it reads, nudged in place.

    The "nudge each parameter" of "Demystifying Deep Learning, part 5": for
    each Value v of ``values`` (for instance ``model.parameters()``),
    ``v.data`` is set to v + eps and v − eps in turn and ``f()`` is evaluated
    under `no_grad`; v's data is put back exactly afterwards, even if ``f``
    raises.

    Args:
        f: called with no arguments; returns a Value or a number.
        values: the Values to nudge.
        eps: the nudge.

    Returns:
        A list of floats, ∂f/∂v estimated for each value; ``f`` is called
        2·len(values) times.
    """
    values = list(values)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(
                f"numerical_grad_of: values[{i}] must be a Value, got {type_name(v)}"
            )
    _check_eps(eps, "numerical_grad_of")
    grads = []
    with no_grad():
        for v in values:
            x = v.data
            try:
                v.data = x + eps
                hi = _evaluate(f, [], "numerical_grad_of")  # f() with no Values
                v.data = x - eps
                lo = _evaluate(f, [], "numerical_grad_of")
            finally:
                v.data = x
            grads.append((hi - lo) / (2.0 * eps))
    return grads


def _check_eps(eps, caller: str) -> None:
    # A ValueError whatever is wrong with eps (its type included), as always.
    if not (is_real(eps) and eps > 0 and math.isfinite(eps)):
        raise ValueError(f"{caller}: eps must be a positive finite number, got {eps!r}")


def gradcheck(
    f: Callable,
    xs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check the engine's gradients of ``f`` at ``xs`` against central differences.

    An input passes when |analytic - numeric| <= atol + rtol·|numeric|
    (nan passes only against nan, inf only against the same inf).

    Returns:
        True when every input passes.

    Raises:
        GradcheckError: listing, for every input, the analytic and the numeric
        gradient and whether they agree.
    """
    xs = _inputs(xs, "gradcheck")
    values = [Value(x) for x in xs]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type_name(out)}")
    analytic = grad(out, values)
    numeric = numerical_grad(f, xs, eps)
    mismatched = [
        i for i, (a, n) in enumerate(zip(analytic, numeric)) if not _close(a, n, atol, rtol)
    ]
    if mismatched:
        rows = "\n".join(
            f"  x[{i}] = {x!r}: analytic {a!r}, numeric {n!r}"
            f"{'   <- mismatch' if i in mismatched else ''}"
            for i, (x, a, n) in enumerate(zip(xs, analytic, numeric))
        )
        raise GradcheckError(
            f"gradcheck failed for {len(mismatched)} of {len(xs)} inputs "
            f"(eps={eps}, atol={atol}, rtol={rtol}):\n{rows}",
            analytic,
            numeric,
            mismatched,
        )
    return True


def _close(a: float, n: float, atol: float, rtol: float) -> bool:
    if math.isnan(a) or math.isnan(n):
        return math.isnan(a) and math.isnan(n)
    if math.isinf(a) or math.isinf(n):
        return a == n
    return abs(a - n) <= atol + rtol * abs(n)
