"""`Op.shape`: the ops whose local derivatives are 1 (`ONES`: ``+``, `sum`),
the other half's values (`CROSSED`: ``*``, `dot`) or a gate (`GATE`:
`relu`) say so beside `partials`, and the first-order walk pushes them
without calling the rule.  Held here to agreement with `partials` (special
floats included), the walk's results to the hand formulas, and the order in
which a node's contributions are summed (`ops.push_order`) to be the same in
`backward`, `grad` (plain, under `detect_anomaly`, with `create_graph`) and
`autodiff.compile`."""

import math
import random

import pytest

import autodiff
from autodiff import Value
from autodiff.ops import CROSSED, FLOAT, GATE, MASKED, ONES, OPS, Op, push_order

SHAPED = sorted(name for name, op in OPS.items() if op.shape is not None)
SPECIAL = [0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, math.inf, -math.inf, math.nan]


def test_the_table_states_the_shapes_of_its_simple_ops():
    shapes = {name: OPS[name].shape for name in SHAPED}
    assert shapes == {"+": ONES, "sum": ONES, "*": CROSSED, "dot": CROSSED, "relu": GATE}
    assert OPS["-"].shape is None and OPS["/"].shape is None  # derivatives -1, 1/y


def _stated(shape, inputs):
    """The local derivatives that ``shape`` states for ``inputs``."""
    if shape is ONES:
        return [1.0] * len(inputs)
    if shape is GATE:
        (x,) = inputs
        return [MASKED if x <= 0.0 else 1.0]
    half = len(inputs) >> 1
    return [*inputs[half : 2 * half], *inputs[:half]] + [1.0] * (len(inputs) - 2 * half)


def _same(a, b):
    return a is b or a == b or (a != a and b != b)


@pytest.mark.parametrize("name", SHAPED)
def test_each_shape_says_what_the_rule_says(name):
    op = OPS[name]
    rng = random.Random(name)
    counts = [op.arity] if op.arity else [1, 2, 3, 4, 7, 8, 33]
    for count in counts:
        draws = [[rng.uniform(-5, 5) for _ in range(count)] for _ in range(30)]
        draws += [[rng.choice(SPECIAL) for _ in range(count)] for _ in range(30)]
        for inputs in draws:
            result = op.forward(*inputs) if op.arity else op.forward(inputs)
            rule = op.partials(FLOAT, *inputs, result) if op.arity else op.partials(
                FLOAT, inputs, result
            )
            stated = _stated(op.shape, inputs)
            assert len(stated) == len(rule)
            assert all(_same(s, d) for s, d in zip(stated, rule)), (name, inputs)


@pytest.mark.parametrize(
    "make, formula",
    [
        (lambda x, y: x + y, lambda x, y, g: (g, g)),
        (lambda x, y: x * y, lambda x, y, g: (g * y, g * x)),
        (lambda x, y: x * 2.5 + y * y, lambda x, y, g: (g * 2.5, g * y + g * y)),
        (lambda x, y: x.relu() + y.relu(), lambda x, y, g: (g * (x > 0), g * (y > 0))),
    ],
)
def test_backward_through_each_shape_gives_the_hand_formula(make, formula):
    for x0, y0, g in [(1.5, -2.0, 3.0), (0.0, 4.0, -1.0), (math.inf, 2.0, 1.0)]:
        x, y = Value(x0), Value(y0)
        (make(x, y) * g).backward()
        assert (x.grad, y.grad) == formula(x0, y0, g)


def test_relu_gates_as_pytorch_where_does():
    # where(x <= 0, 0, g): an inf or nan gradient does not pass a closed gate,
    # and a nan input passes the gradient
    for x0, g, expected in [
        (-1.0, math.inf, 0.0),
        (0.0, math.nan, 0.0),
        (-0.0, 2.0, 0.0),
        (5e-324, 2.0, 2.0),
        (math.nan, 3.0, 3.0),
        (math.inf, -4.0, -4.0),
    ]:
        x = Value(x0)
        x.relu().backward(gradient=g)
        assert x.grad == expected, (x0, g)
        assert math.copysign(1.0, x.grad) == math.copysign(1.0, expected), (x0, g)


def _dot_case(n, bias=True, seed=0):
    rng = random.Random(seed)
    ws = [Value(rng.uniform(-2, 2)) for _ in range(n)]
    xs = [Value(rng.uniform(-2, 2)) for _ in range(n)]
    b = Value(0.5) if bias else None
    return ws, xs, b


@pytest.mark.parametrize("n, bias", [(1, True), (1, False), (5, True), (16, False), (300, True)])
def test_backward_through_dot_gives_the_hand_formula(n, bias):
    ws, xs, b = _dot_case(n, bias)
    out = autodiff.dot(ws, xs, b) * 3.0  # incoming gradient 3 at the dot node
    out.backward()
    assert [w.grad for w in ws] == [3.0 * x.data for x in xs]
    assert [x.grad for x in xs] == [3.0 * w.data for w in ws]
    if bias:
        assert b.grad == 3.0


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


def test_push_order_pairs_the_halves_of_a_crossed_op():
    dot, add = OPS["dot"], OPS["+"]
    assert list(push_order(dot, 7)) == [0, 3, 1, 4, 2, 5, 6]
    assert list(push_order(dot, 6)) == [0, 3, 1, 4, 2, 5]
    assert list(push_order(dot, 3)) == [0, 1, 2]
    assert list(push_order(OPS["*"], 2)) == [0, 1]
    assert list(push_order(add, 2)) == [0, 1] and list(push_order(OPS["sum"], 4)) == [0, 1, 2, 3]


def _order_sensitive_case():
    """A dot node given one leaf at both halves, after the leaf already has
    a gradient from elsewhere, with numbers for which summing its
    contributions in parent order and in push order gives different floats:
    (p + c₁) + c₂ ≠ (p + c₂) + c₁."""
    rng = random.Random(7)
    for _ in range(1000):  # about one draw in five
        a, c, p0 = (rng.uniform(-1, 1) * 10.0 ** rng.randint(-3, 3) for _ in range(3))
        # u = dot([a, s], [s, c]): ∂u/∂s at position 1 (partner c) and 2 (partner a)
        in_parent_order = (p0 + c) + a
        in_push_order = (p0 + a) + c
        if in_parent_order != in_push_order:
            return a, c, p0, in_push_order
    raise AssertionError("no order-sensitive numbers found")


def test_every_walk_sums_in_push_order_bit_for_bit():
    a0, c0, p0, expected = _order_sensitive_case()
    A, C, S, P = Value(a0), Value(c0), Value(1.0), Value(p0)

    def loss():
        # ∂loss/∂s = p0 (from s·P) + c0 + a0 (from the dot), incoming gradient 1
        return autodiff.dot([A, S], [S, C]) + S * P

    loss().backward()
    assert S.grad == expected
    with autodiff.detect_anomaly():
        assert autodiff.grad(loss(), [S]) == [expected]
    (second,) = autodiff.grad(loss(), [S], create_graph=True)
    assert second.data == expected
    S.grad = 0.0
    step = autodiff.compile(loss, [A, C, S, P])
    step()
    assert S.grad == expected


def test_an_op_states_only_a_known_shape():
    with pytest.raises(ValueError, match="shape must be ONES, CROSSED, GATE or None, got 'twos'"):
        Op("twice", 1, lambda x: 2 * x, lambda F, x, r: (2.0,), shape="twos")
    with pytest.raises(ValueError, match=r"shape must be .* got \['ones'\]"):
        Op("listed", 1, lambda x: x, lambda F, x, r: (1.0,), shape=["ones"])
    with pytest.raises(ValueError, match="only a one-input op can have the GATE shape"):
        Op("gate2", 2, max, lambda F, x, y, r: (1.0, 1.0), shape=GATE)
    # a shape given as an equal string is kept as the constant itself
    assert Op("plus", 2, lambda x, y: x + y, lambda F, x, y, r: (1.0, 1.0),
              shape="".join(["on", "es"])).shape is ONES


def test_a_node_made_by_hand_with_three_children_takes_its_own_derivatives():
    # f = x·y·z by hand: ∂f/∂x = yz, ∂f/∂y = xz, ∂f/∂z = xy (no shape)
    x, y, z = Value(2.0), Value(3.0), Value(5.0)
    f = Value(30.0, (x, y, z), "xyz", local_grads=lambda: (15.0, 10.0, 6.0))
    (f * 2.0).backward()
    assert (x.grad, y.grad, z.grad) == (30.0, 20.0, 12.0)
    with autodiff.detect_anomaly():
        assert autodiff.grad(f, [x, y, z]) == [15.0, 10.0, 6.0]
