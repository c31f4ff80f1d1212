"""Layer (d): micrograd as a reference — where we agree, and the two places
we deliberately differ (a second backward(), and deep graphs)."""

import math

import pytest

import autodiff
from autodiff import Value

micrograd_engine = pytest.importorskip(
    "micrograd.engine", reason="micrograd is the reference engine"
)
MgValue = micrograd_engine.Value


def _micrograd_more_ops(V):
    # micrograd's own test_more_ops expression
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data, a.grad, b.grad


def test_same_values_and_gradients_as_micrograd_on_its_own_test():
    ours = _micrograd_more_ops(Value)
    theirs = _micrograd_more_ops(MgValue)
    assert ours == pytest.approx(theirs, rel=1e-14)
    # and both as micrograd's test states them (computed there with PyTorch)
    stated = (24.70408163265306, 138.83381924198252, 645.5772594752186)
    assert ours == pytest.approx(stated, rel=1e-12)


def test_micrograd_reaccumulates_on_a_second_backward_and_we_do_not():
    # b = a*a, c = b*b.  One backward: c.grad = 1, b.grad = 2b, a.grad = 4a^3.
    # micrograd's second call resets c.grad to 1 but pushes the already
    # accumulated b.grad (now 4b after adding 2b) down again: a.grad ends at
    # 4a^3 + 2a * 4a^2 = 12a^3, not 8a^3.
    x = 1.5
    mg_a = MgValue(x)
    mg_b = mg_a * mg_a
    mg_c = mg_b * mg_b
    mg_c.backward()
    assert mg_a.grad == pytest.approx(4 * x**3, rel=1e-15)
    mg_c.backward()
    assert mg_a.grad == pytest.approx(12 * x**3, rel=1e-15)  # micrograd: 3x, not 2x
    assert mg_c.grad == 1  # reset, not accumulated

    a = Value(x)
    b = a * a
    c = b * b
    c.backward()
    once = (a.grad, b.grad, c.grad)
    assert once == pytest.approx((4 * x**3, 2 * x**2, 1.0), rel=1e-15)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (2 * once[0], 2 * once[1], 2 * once[2])


def test_micrograd_recursion_limit_and_our_iterative_walk():
    depth = 2000  # beyond Python's default recursion limit of 1000
    mg = MgValue(1.0)
    y = mg
    for _ in range(depth):
        y = y + 1
    with pytest.raises(RecursionError):
        y.backward()

    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y + 1
    y.backward()
    assert x.grad == 1.0 and y.data == 1.0 + depth


def test_tanh_neuron_matches_micrograd_style_hand_computation():
    # Karpathy's worked neuron: o = tanh(x1 w1 + x2 w2 + b)
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = autodiff.dot([x1, x2], [w1, w2]) + b
    o = n.tanh()
    o.backward()
    do = 1 - math.tanh(n.data) ** 2
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-12)
    assert [x1.grad, w1.grad, x2.grad, w2.grad] == pytest.approx(
        [do * -3.0, do * 2.0, do * 1.0, do * 0.0], rel=1e-12
    )
