"""Masked partials: where PyTorch's backward is a ``where`` (relu's
``where(x <= 0, 0, grad)``, pow's ``where(exponent == 0, 0, ...)``), an
infinite or nan incoming gradient gives 0, not inf·0 = nan — first order,
with create_graph, and second order; against PyTorch float64."""

import math
import random

import pytest

import autodiff
from autodiff import Value
from autodiff.ops import MASKED

torch = pytest.importorskip("torch")


def same(a, b) -> bool:
    """Equal floats, nan equal to nan, and zeros of the same sign."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def close(a, b) -> bool:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return same(a, b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def t(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_grads(f, xs, order):
    ts = [t(x) for x in xs]
    first = torch.autograd.grad(f(*ts), ts, create_graph=True, allow_unused=True)
    first = [g if g is not None else torch.zeros((), dtype=torch.float64) for g in first]
    if order == 1:
        return [g.item() for g in first]
    out = []
    for g in first:
        if not g.requires_grad:
            out.append([0.0] * len(ts))
            continue
        row = torch.autograd.grad(g, ts, allow_unused=True)
        out.append([0.0 if r is None else r.item() for r in row])
    return out


def engine_grads(f, xs, order, create_graph):
    vs = [Value(x) for x in xs]
    if order == 1 and not create_graph:
        return autodiff.grad(f(*vs), vs)
    first = autodiff.grad(f(*vs), vs, create_graph=True)
    if order == 1:
        return [g.data for g in first]
    return [autodiff.grad(g, vs) for g in first]


CASES = [
    # (id, function (same code for Value and tensor), point, first derivatives)
    ("relu(-2).sqrt()", lambda x: x.relu().sqrt(), [-2.0], [0.0]),
    ("relu(0).sqrt()", lambda x: x.relu().sqrt(), [0.0], [0.0]),
    ("sqrt(x**0 - 1)", lambda x: (x**0 - 1).sqrt(), [3.0], [0.0]),
    ("x**0 at 5e-324", lambda x: x**0, [5e-324], [0.0]),
    ("x**0 at 0", lambda x: x**0, [0.0], [0.0]),
    ("x**y at y = 0, into log(0)", lambda x, y: (x**y - 1).sqrt(), [2.0, 0.0], None),
    ("relu(-x) * inf", lambda x: (-x).relu() * math.inf, [1.0], None),
    ("log(relu(x))", lambda x: x.relu().log(), [-1.0], [0.0]),
    ("relu(x) at nan passes", lambda x: x.relu() * 2.0, [math.nan], None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("create_graph", [False, True])
def test_first_order_matches_torch_exactly(case, create_graph):
    _, f, xs, hand = case
    got = engine_grads(f, xs, 1, create_graph)
    want = torch_grads(f, xs, 1)
    assert all(same(a, b) for a, b in zip(got, want)), (got, want)
    if hand is not None:
        assert all(same(a, b) for a, b in zip(got, hand))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_backward_agrees_with_torch(case):
    _, f, xs, _ = case
    vs = [Value(x) for x in xs]
    f(*vs).backward()
    want = torch_grads(f, xs, 1)
    # .grad starts at 0.0 and sums into it: a -0.0 shows as 0.0, as in any sum
    assert all(close(v.grad, w) or (v.grad == w == 0.0) for v, w in zip(vs, want))


@pytest.mark.parametrize(
    "case", [c for c in CASES if c[0] != "x**y at y = 0, into log(0)"], ids=lambda c: c[0]
)
def test_second_order_matches_torch(case):
    _, f, xs, _ = case
    got = engine_grads(f, xs, 2, True)
    want = torch_grads(f, xs, 2)
    for g_row, w_row in zip(got, want):
        assert all(close(a, b) or (a == b == 0.0) for a, b in zip(g_row, w_row)), (got, want)


def test_a_masked_partial_reads_as_zero():
    x = Value(-1.0)
    y = x.relu()
    assert autodiff.backprop.local_grads(y) == (0.0,)
    assert MASKED == 0.0 and math.inf * MASKED == 0.0 and math.nan * MASKED == 0.0


def test_the_exact_hessian_of_pow_at_exponent_zero_is_kept():
    # d2(x^y)/dydx = x^(y-1)(1 + y ln x) = 1/x at y = 0 (PyTorch says 0):
    # masking the first-order product must not lose it.
    x, y = Value(0.5), Value(0.0)
    dfdx, _ = autodiff.grad(x**y, [x, y], create_graph=True)
    assert dfdx.data == 0.0
    assert autodiff.grad(dfdx, [y]) == pytest.approx([2.0], rel=1e-14)


UNARY = ["relu", "sqrt", "exp", "tanh", "log", "neg", "pow0", "pow2", "sigmoid"]


def _apply(name, v):
    if name == "neg":
        return -v
    if name == "pow0":
        return v**0
    if name == "pow2":
        return v**2
    return getattr(v, name)()


@pytest.mark.parametrize("seed", range(40))
def test_random_chains_with_relu_and_pow_match_torch(seed):
    rng = random.Random(seed)
    ops = [rng.choice(UNARY) for _ in range(rng.randint(2, 6))]
    shifts = [rng.choice([0.0, -1.0, 1.0, -0.5]) for _ in ops]
    x0 = rng.choice([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 5e-324])

    def f(x):
        for name, c in zip(ops, shifts):
            x = _apply(name, x) + c
        return x

    got = engine_grads(f, [x0], 1, False)
    want = torch_grads(f, [x0], 1)
    assert all(close(a, b) or (a == b == 0.0) for a, b in zip(got, want)), (ops, shifts, x0)
    got_graph = engine_grads(f, [x0], 1, True)
    assert all(close(a, b) or (a == b == 0.0) for a, b in zip(got_graph, want)), (ops, x0)
