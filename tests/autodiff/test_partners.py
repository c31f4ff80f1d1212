"""`Op.partners`: the n-ary ops whose local derivatives are their inputs'
values or 1 (`sum`, `dot`) state so beside `partials`, and the first-order
walk uses that statement.  Held here to agreement with `partials`, and the
walk's results to the hand formulas ∂(Σ wᵢxᵢ + b)/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ,
∂/∂b = 1 and ∂Σxᵢ/∂xᵢ = 1, special floats included."""

import math
import random

import pytest

import autodiff
from autodiff import Value, backprop
from autodiff.ops import CROSSED, FLOAT, ONES, OPS

WITH_PARTNERS = sorted(name for name, op in OPS.items() if op.partners is not None)
N_ARY = [name for name in WITH_PARTNERS if OPS[name].arity is None]
FIXED = [name for name in WITH_PARTNERS if OPS[name].arity is not None]


def test_sum_dot_add_and_mul_state_their_partners():
    assert set(N_ARY) >= {"sum", "dot"} and set(FIXED) >= {"+", "*"}
    assert OPS["+"].pair is ONES and OPS["*"].pair is CROSSED
    assert OPS["-"].pair is None and OPS["/"].pair is None  # derivatives -1, 1/y


def _stated(op, inputs):
    indices = op.partners(len(inputs))
    assert all(0 <= i < len(inputs) for i in indices) and len(indices) <= len(inputs)
    return [inputs[i] for i in indices] + [1.0] * (len(inputs) - len(indices))


@pytest.mark.parametrize("name", N_ARY)
@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 8, 33])
def test_partners_say_what_partials_say(name, count):
    op = OPS[name]
    rng = random.Random(count)
    for _ in range(20):
        inputs = [rng.uniform(-5, 5) for _ in range(count)]
        result = op.forward(inputs)
        assert _stated(op, inputs) == list(op.partials(FLOAT, inputs, result))


@pytest.mark.parametrize("name", FIXED)
def test_fixed_arity_partners_say_what_partials_say(name):
    op = OPS[name]
    rng = random.Random(name)
    for _ in range(50):
        inputs = [rng.uniform(-5, 5) for _ in range(op.arity)]
        result = op.forward(*inputs)
        assert _stated(op, inputs) == list(op.partials(FLOAT, *inputs, result))


@pytest.mark.parametrize(
    "make, formula",
    [
        (lambda x, y: x + y, lambda x, y, g: (g, g)),
        (lambda x, y: x * y, lambda x, y, g: (g * y, g * x)),
        (lambda x, y: x * 2.5 + y * y, lambda x, y, g: (g * 2.5, g * 2 * y)),
    ],
)
def test_backward_through_the_two_input_shapes_gives_the_hand_formula(make, formula):
    for x0, y0, g in [(1.5, -2.0, 3.0), (0.0, 4.0, -1.0), (math.inf, 2.0, 1.0)]:
        x, y = Value(x0), Value(y0)
        (make(x, y) * g).backward()
        dx, dy = formula(x0, y0, g)
        assert (x.grad, y.grad) == (dx, dy)


def _dot_case(n, bias=True, seed=0):
    rng = random.Random(seed)
    ws = [Value(rng.uniform(-2, 2)) for _ in range(n)]
    xs = [Value(rng.uniform(-2, 2)) for _ in range(n)]
    b = Value(0.5) if bias else None
    return ws, xs, b


@pytest.mark.parametrize("n, bias", [(1, True), (1, False), (5, True), (16, False)])
def test_backward_through_dot_gives_the_hand_formula(n, bias):
    ws, xs, b = _dot_case(n, bias)
    out = autodiff.dot(ws, xs, b) * 3.0  # incoming gradient 3 at the dot node
    out.backward()
    assert [w.grad for w in ws] == [3.0 * x.data for x in xs]
    assert [x.grad for x in xs] == [3.0 * w.data for w in ws]
    if bias:
        assert b.grad == 3.0


def test_a_dot_larger_than_the_kept_pickers_works_and_is_not_kept():
    n = backprop._PICKS_KEPT_UP_TO  # 2n inputs: past the bound
    ws, xs, _ = _dot_case(n, bias=False, seed=1)
    out = autodiff.dot(ws, xs)
    before = dict(backprop._picks)
    out.backward()
    assert (OPS["dot"], 2 * n) not in backprop._picks and backprop._picks == before
    assert [w.grad for w in ws] == [x.data for x in xs]
    assert [x.grad for x in xs] == [w.data for w in ws]


def test_special_floats_pass_as_the_products_they_are():
    # g·x with x = inf and g = 0: nan, as PyTorch's dot (no masking there)
    w, x = Value(2.0), Value(math.inf)
    (dw,) = autodiff.grad(autodiff.dot([w], [x]) * 0.0, [w])
    assert math.isnan(dw)
    # a single -0.0 contribution keeps its sign in grad (the sum starts at -0.0)
    w, x = Value(2.0), Value(-0.0)
    (dw,) = autodiff.grad(autodiff.dot([w], [x]), [w])
    assert dw == 0.0 and math.copysign(1.0, dw) == -1.0
    s = autodiff.sum([w, w])
    (ds,) = autodiff.grad(s * -0.0, [w])
    assert ds == 0.0 and math.copysign(1.0, ds) == -1.0


def test_repeated_parents_get_every_contribution():
    x = Value(1.5)
    out = autodiff.dot([x, x, 2.0], [x, 3.0, x], x)  # x² + 3x + 2x + x = x² + 6x
    out.backward()
    assert out.data == 1.5**2 + 6 * 1.5 and x.grad == 2 * 1.5 + 6
    y = Value(0.25)
    autodiff.sum([y, 1.0, y, y]).backward()
    assert y.grad == 3.0


def test_a_node_made_by_hand_with_three_children_takes_its_own_derivatives():
    # f = x·y·z by hand: ∂f/∂x = yz, ∂f/∂y = xz, ∂f/∂z = xy (no partners)
    x, y, z = Value(2.0), Value(3.0), Value(5.0)
    f = Value(30.0, (x, y, z), "xyz", local_grads=lambda: (15.0, 10.0, 6.0))
    (f * 2.0).backward()
    assert (x.grad, y.grad, z.grad) == (30.0, 20.0, 12.0)
    with autodiff.detect_anomaly():
        assert autodiff.grad(f, [x, y, z]) == [15.0, 10.0, 6.0]
