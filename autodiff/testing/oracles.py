"""The gradient assertion and its oracles.

`assert_gradients_close` compares the engine's gradients (by ``backward()``)
or Hessians (by nested `grad`) with an independent oracle: central
differences (`numerical_grad`), or PyTorch's float64 autograd, imported only
when asked for.
"""

from __future__ import annotations

from typing import Callable

from ..arguments import is_int, type_name
from ..checks import _close, numerical_grad
from ..value import Value, grad
from .expressions import RandomExpression
from .strategies import _floats

#: (atol, rtol) by (oracle, order) when not given.
DEFAULT_TOLERANCES = {
    ("central", 1): (1e-6, 1e-5),
    ("central", 2): (1e-5, 1e-4),
    ("torch", 1): (1e-12, 1e-9),
    ("torch", 2): (1e-12, 1e-9),
}


def _call(f: Callable, args, what: str):
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f"{what} must return a Value, got {type_name(out)}")
    return out


def _engine_derivatives(f: Callable, xs: list[float], order: int):
    """The engine's gradient (by ``backward()``) or Hessian (by nested `grad`)."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = _call(f, leaves, "f")
    if order == 1:
        out.backward()
        return [leaf.grad for leaf in leaves]
    first = grad(out, leaves, create_graph=True)
    return [grad(g, leaves) for g in first]


def _central_derivatives(f: Callable, xs: list[float], order: int, eps: float):
    """Central differences: of f (order 1), or of the engine's gradient of f
    (order 2, so the first derivatives, checked separately, are the base)."""
    if order == 1:
        return numerical_grad(f, xs, eps)
    n = len(xs)
    columns = []
    for j in range(n):
        sides = []
        for step in (eps, -eps):
            moved = list(xs)
            moved[j] += step
            leaves = [Value(x) for x in moved]
            sides.append(grad(_call(f, leaves, "f"), leaves))
        columns.append([(sides[0][i] - sides[1][i]) / (2.0 * eps) for i in range(n)])
    return [[columns[j][i] for j in range(n)] for i in range(n)]


def _torch_derivatives(f: Callable, xs: list[float], order: int):
    """PyTorch float64 autograd of ``f.torch`` (or of ``f`` on tensors)."""
    try:
        import torch
    except ImportError as err:
        raise ImportError('oracle="torch" needs PyTorch (pip install torch)') from err
    tf = getattr(f, "torch", None) or f
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    n = len(ts)
    try:
        out = tf(*ts)
    except (TypeError, AttributeError) as err:
        raise TypeError(
            'oracle="torch" calls f with float64 torch tensors, and f failed on them '
            f"({type_name(err)}: {err}); write f with operators and methods "
            "(x.exp(), x.tanh(), ...) or give it a .torch attribute"
        ) from err
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"f on torch tensors must return a tensor, got {type_name(out)}")

    def gradients(y, **kwargs):
        if not y.requires_grad:
            return [None] * n
        return torch.autograd.grad(y, ts, allow_unused=True, **kwargs)

    if order == 1:
        return [0.0 if g is None else g.item() for g in gradients(out)]
    rows = []
    for g in gradients(out, create_graph=True):
        row = [None] * n if g is None else gradients(g, retain_graph=True)
        rows.append([0.0 if h is None else h.item() for h in row])
    return rows


def assert_gradients_close(
    f: Callable,
    xs,
    *,
    oracle: str = "central",
    order: int = 1,
    atol: float | None = None,
    rtol: float | None = None,
    eps: float | None = None,
):
    """Assert that the engine differentiates ``f`` at ``xs`` as an oracle does.

    Args:
        f: called as ``f(*values)`` with one leaf Value per input; returns a
            Value.  A `RandomExpression` works as is.
        xs: the point, a sequence of real numbers.
        oracle: "central" — central differences of ``f`` for order 1, of the
            engine's first derivatives for order 2; or "torch" — PyTorch
            float64 autograd (double backward for order 2) of ``f.torch`` if
            ``f`` has that attribute, else of ``f`` itself called on tensors.
        order: 1 compares the gradient (the engine's by ``backward()``);
            2 the Hessian (the engine's by nested ``grad(create_graph=True)``).
        atol, rtol: a derivative passes when |engine − oracle| <= atol +
            rtol·|oracle| (nan only against nan, ±inf only against itself);
            defaults in `DEFAULT_TOLERANCES`.
        eps: the central-difference step; default 1e-6 (order 1), 1e-5 (order 2).

    Returns:
        The engine's derivatives: a list (order 1) or a list of rows (order 2).

    Raises:
        AssertionError: some derivative disagrees; the message is a table with
            a row per derivative: point, engine, oracle, difference.
    """
    if oracle not in ("central", "torch"):
        raise ValueError(f'oracle must be "central" or "torch", got {oracle!r}')
    if not is_int(order) or order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    if not callable(f):
        raise TypeError(f"f must be callable, got {type_name(f)}")
    xs = _floats(xs)
    default_atol, default_rtol = DEFAULT_TOLERANCES[oracle, order]
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol
    eps = (1e-6 if order == 1 else 1e-5) if eps is None else eps

    engine = _engine_derivatives(f, xs, order)
    if oracle == "central":
        expected = _central_derivatives(f, xs, order, eps)
    else:
        expected = _torch_derivatives(f, xs, order)

    if order == 1:
        rows = [(f"d/dx{i}", xs[i], engine[i], expected[i]) for i in range(len(xs))]
    else:
        rows = [
            (f"d2/dx{i}dx{j}", None, engine[i][j], expected[i][j])
            for i in range(len(xs))
            for j in range(len(xs))
        ]
    bad = [not _close(a, e, atol, rtol) for _, _, a, e in rows]
    if any(bad):
        name = repr(f) if isinstance(f, RandomExpression) else getattr(f, "__qualname__", repr(f))
        header = f"  {'derivative':<14}{'x':>24}{'engine':>24}{oracle:>24}{'|diff|':>12}"
        lines = [
            f"  {label:<14}{'' if x is None else repr(x):>24}{a!r:>24}{e!r:>24}"
            f"{abs(a - e):>12.3g}{'   <- mismatch' if b else ''}"
            for (label, x, a, e), b in zip(rows, bad)
        ]
        raise AssertionError(
            f"{sum(bad)} of {len(rows)} order-{order} derivatives of {name} at xs={xs} "
            f"disagree with the {oracle} oracle (atol={atol}, rtol={rtol}):\n"
            + "\n".join([header, *lines])
        )
    return engine
