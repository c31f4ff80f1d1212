"""micrograd's lecture code running on chainrule's Value.

Each test writes code the way the micrograd lecture teaches it (manual
gradients, stepping ``_backward()`` by hand, a node made by hand with its own
closure, Neuron/Layer/MLP built on ``sum(..., self.b)``, the training loop)
and runs it twice: on chainrule's `Value` and on a reference.  The reference
is micrograd 0.1.0's engine where it has the op, and otherwise `_Ref`, a
closure engine written here in the lecture's manner (its rules are the
textbook derivatives, independent of chainrule's op table).
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc
import weakref

import pytest

import autodiff
from autodiff import Value

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is the reference")


class _Ref(micrograd_engine.Value):
    """micrograd's engine with the lecture's extra pieces: a label, tanh, exp, and a / b."""

    def __init__(self, data, _children=(), _op="", label=""):
        super().__init__(data, _children, _op)
        self.grad = 0.0
        self.label = label

    def __add__(self, other):
        other = other if isinstance(other, _Ref) else _Ref(other)
        out = _Ref(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, _Ref) else _Ref(other)
        out = _Ref(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        out = _Ref(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = _Ref(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = _Ref(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def backward(self):
        super().backward()
        # micrograd 0.1.0 seeds with the int 1; the lecture seeds with 1.0


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _same(ours: dict, ref: dict) -> None:
    assert ours.keys() == ref.keys()
    for name in ours:
        a, b = ours[name], ref[name]
        assert _close(a.data, b.data), (name, "data", a.data, b.data)
        assert _close(a.grad, b.grad), (name, "grad", a.grad, b.grad)


def _neuron_by_hand(V, tanh):
    """The lecture's neuron o = tanh(x1·w1 + x2·w2 + b), its names kept."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = tanh(n)
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


def _tanh_made_by_hand(V):
    """A one-off op the lecture's way: a node from (x,) with its own _backward."""

    def tanh(x):
        e2 = math.exp(2 * x.data)
        t = (e2 - 1) / (e2 + 1)
        out = V(t, (x,), "tanh")

        def _backward():
            x.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    return tanh


@pytest.mark.parametrize("tanh", ["method", "made by hand"])
def test_the_neuron_backward_gives_the_lectures_grads(tanh):
    def run(V):
        f = (lambda n: n.tanh()) if tanh == "method" else _tanh_made_by_hand(V)
        nodes = _neuron_by_hand(V, f)
        nodes["o"].backward()
        return nodes

    ours, ref = run(Value), run(_Ref)
    _same(ours, ref)
    # and the lecture's hand-derived numbers
    assert ours["n"].grad == pytest.approx(0.5) and ours["w1"].grad == pytest.approx(1.0)
    assert ours["o"]._op == "tanh" and ours["n"]._op == "+" and ours["x1"]._op == ""
    assert ours["o"]._prev == {ours["n"]}


@pytest.mark.parametrize("tanh", ["method", "made by hand"])
def test_stepping_backward_by_hand_then_setting_grads(tanh):
    # The lecture after o.backward(): o.grad = 1.0, then each node's
    # _backward() in reverse order (adding again onto the grads there), then
    # grads set by hand.
    def run(V):
        f = (lambda n: n.tanh()) if tanh == "method" else _tanh_made_by_hand(V)
        v = _neuron_by_hand(V, f)
        v["o"].backward()
        v["o"].grad = 1.0
        for name in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1", "x1"):
            v[name]._backward()  # a leaf's is a no-op
        v["x1"].grad = v["w1"].data * v["x1w1"].grad
        v["x2w2"].grad = 0.5
        return v

    _same(run(Value), run(_Ref))


def test_stepping_a_fresh_graph_by_hand_is_backprop():
    v = _neuron_by_hand(Value, lambda n: n.tanh())
    v["o"].grad = 1.0
    for name in ("o", "n", "x1w1x2w2", "x2w2", "x1w1"):
        v[name]._backward()
    stepped = {k: n.grad for k, n in v.items()}
    w = _neuron_by_hand(Value, lambda n: n.tanh())
    w["o"].backward()
    assert stepped == pytest.approx({k: n.grad for k, n in w.items()}, rel=1e-15)


def _small_graphs(V):
    out = {}
    a = V(3.0, label="a")
    b = a + a  # a reused: micrograd's famous bug, fixed with +=
    b.backward()
    out.update(a1=a, b1=b)
    a, b = V(-2.0), V(3.0)
    d, e = a * b, a + b
    f = d * e
    f.backward()
    out.update(a2=a, b2=b, d2=d, e2=e, f2=f)
    a, b = V(2.0), V(4.0)
    c = 2 * a + 1 + a / b - b**2 + (a * 3).exp() / 10 - 1.5 - a
    c.backward()
    out.update(a3=a, b3=b, c3=c)
    x = V(0.7)
    e = (2 * x).exp()
    o = (e - 1) / (e + 1)  # tanh written with exp, as the lecture's second half
    o.backward()
    out.update(x4=x, o4=o)
    return out


def test_radd_rmul_division_powers_and_exp_as_the_lecture():
    ours, ref = _small_graphs(Value), _small_graphs(_Ref)
    _same(ours, ref)
    assert ours["a1"].grad == 2.0


class _Neuron:
    # written the way the lecture writes it
    def __init__(self, V, nin):
        self.w = [V(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = V(random.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class _Layer:
    def __init__(self, V, nin, nout):
        self.neurons = [_Neuron(V, nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class _MLP:
    def __init__(self, V, nin, nouts):
        sz = [nin] + nouts
        self.layers = [_Layer(V, sz[i], sz[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def _train(V):
    random.seed(1234)
    model = _MLP(V, 3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(20):
        ypred = [model(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    return model, losses, ypred


def test_the_lectures_mlp_trains_the_same_on_both_engines():
    (m1, l1, y1), (m2, l2, y2) = _train(Value), _train(_Ref)
    assert l1 == pytest.approx(l2, rel=1e-10)
    assert l1[-1] < l1[0] / 5  # it learns
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert p.data == pytest.approx(q.data, rel=1e-10, abs=1e-12)
        assert p.grad == pytest.approx(q.grad, rel=1e-9, abs=1e-12)
    assert [y.data for y in y1] == pytest.approx([y.data for y in y2], rel=1e-10)


# --------------------------------------------------------------------------
# The two closure styles


def _style_a(x, y):
    # local_grads: returns ∂out/∂child, one per child
    return Value(x.data * y.data, (x, y), "mul", local_grads=lambda: (y.data, x.data))


def _style_b(x, y):
    out = Value(x.data * y.data, (x, y), "mul")

    def _backward():
        x.grad += y.data * out.grad
        y.grad += x.data * out.grad

    out._backward = _backward
    return out


def _style_returning(x, y):
    out = Value(x.data * y.data, (x, y), "mul")
    out._backward = lambda: (y.data, x.data)
    return out


@pytest.mark.parametrize("make", [_style_a, _style_b, _style_returning])
def test_each_closure_style_adds_exactly_once_for_backward_and_grad(make):
    x, y = Value(3.0), Value(-2.0)
    loss = make(x, y).tanh() * 2.0  # hand: 2 (1 - tanh²(xy)) · (y, x)
    s = 2.0 * (1.0 - math.tanh(-6.0) ** 2)
    assert autodiff.grad(loss, [x, y]) == pytest.approx([s * -2.0, s * 3.0], rel=1e-12)
    assert x.grad == 0.0 and y.grad == 0.0  # grad touches no .grad
    loss.backward()
    loss.backward()  # a second pass adds exactly once more
    assert x.grad == pytest.approx(2 * s * -2.0, rel=1e-12)
    assert y.grad == pytest.approx(2 * s * 3.0, rel=1e-12)
    assert loss.grad == 2.0


@pytest.mark.parametrize("make", [_style_a, _style_b])
def test_a_child_given_twice_gets_both_contributions(make):
    x = Value(1.5)
    sq = make(x, x)  # x·x by hand: d/dx = 2x
    sq.backward()
    assert x.grad == pytest.approx(3.0)
    assert autodiff.grad(sq * 3.0, [x]) == pytest.approx([9.0])
    assert sq._prev == {x} and sq.parents == (x, x)


def test_style_b_leaves_every_grad_as_it_was_when_reading_its_derivatives():
    x, y = Value(2.0), Value(5.0)
    x.grad, y.grad = 0.25, -4.0
    out = _style_b(x, y)
    out.grad = 7.0
    assert autodiff.local_grads(out) == (5.0, 2.0)
    assert (x.grad, y.grad, out.grad) == (0.25, -4.0, 7.0)


def test_a_node_without_a_closure_passes_no_gradient():
    x = Value(2.0)
    out = Value(4.0, (x,), "sq")
    (out * 3.0).backward()
    assert x.grad == 0.0 and out.grad == 3.0
    out._backward()  # micrograd's default: a no-op
    assert x.grad == 0.0


def test_create_graph_through_closures():
    x = Value(0.5)
    # style (a) with Values: d/dx sin x = cos x, differentiable again
    s = Value(math.sin(x.data), (x,), "sin", local_grads=lambda: (x.cos(),))
    (g,) = autodiff.grad(s * s, [x], create_graph=True)  # 2 sin x cos x
    assert g.data == pytest.approx(math.sin(1.0))
    (gg,) = autodiff.grad(g, [x])  # d/dx sin 2x = 2 cos 2x
    assert gg == pytest.approx(2 * math.cos(1.0))
    # style (b) adds floats: only first order, refused clearly
    y = _style_b(x, Value(3.0))
    with pytest.raises(TypeError, match="create_graph=True.*local_grads= returning Values"):
        autodiff.grad(y, [x], create_graph=True)


def test_closure_errors_are_clear():
    x = Value(1.0)
    with pytest.raises(ValueError, match="returned 1 derivatives for 2 children"):
        Value(1.0, (x, x), "f", local_grads=lambda: (1.0,)).backward()
    with pytest.raises(TypeError, match="must be a real number, got str"):
        Value(1.0, (x,), "f", local_grads=lambda: ("1",)).backward()
    with pytest.raises(TypeError, match="_children\\[1\\] must be a Value, got float"):
        Value(1.0, (x, 2.0))
    with pytest.raises(TypeError, match="_backward must be a function"):
        Value(1.0, (x,))._backward = 3.0
    with pytest.raises(TypeError, match="a str second argument is the label"):
        Value(1.0, "x", "+")


def test_a_str_second_argument_is_still_the_label():
    v = Value(2.0, "x")
    assert v.label == "x" and v.parents == () and v._op == ""
    assert Value(2.0, label="y").label == "y"


def test_local_grads_closure_leaves_no_cycle():
    x = Value(2.0)
    gc.disable()
    try:
        out = Value(x.data**2, (x,), "sq", local_grads=lambda: (2 * x.data,))
        ref = weakref.ref(out)
        del out
        assert ref() is None  # freed by reference counting alone
        out = _style_b(x, Value(1.0))
        ref = weakref.ref(out)
        del out
        assert ref() is not None  # micrograd's closure captures out: a cycle
    finally:
        gc.enable()
    gc.collect()
    assert ref() is None


# --------------------------------------------------------------------------
# The rest of micrograd compatibility


def test_backward_on_built_in_nodes_steps_like_micrograd():
    def run(V):
        a, b = V(2.0), V(-3.0)
        c = a * b
        d = c + a
        e = d**2
        e.grad = 1.5
        for node in (e, d, c, a):
            node._backward()
        return dict(a=a, b=b, c=c, d=d, e=e)

    _same(run(Value), run(_Ref))


def test_math_functions_on_a_value_raise_naming_the_method():
    v = Value(0.3)
    for f in (math.tanh, math.exp, float):
        with pytest.raises(TypeError, match=r"use v\.data for the number, or v\.tanh\(\)"):
            f(v)


def test_subclasses_work_with_every_operator_and_function():
    class MyValue(Value):
        pass

    a, b = MyValue(2.0), MyValue(3.0)
    assert a.__class__ is MyValue
    r = a * b + a / b - b**2 + 2 * a - a**b
    assert r.data == pytest.approx(6 + 2 / 3 - 9 + 4 - 8)
    s = autodiff.sum([a, b, 1.0]) + autodiff.dot([a], [b], a) + autodiff.tanh(a) + a.exp()
    s.backward()
    assert a.grad == pytest.approx(1 + 3 + 1 + (1 - math.tanh(2) ** 2) + math.exp(2))
    assert (a < b) is True and (a >= 2) is True and max(a, b) is b
    (g,) = autodiff.grad(r, [b])
    assert g == pytest.approx(2 - 2 / 9 - 6 - 8 * math.log(2))  # a - a/b² - 2b - aᵇ ln a


def test_users_own_attributes():
    v = Value(1.0, label="w")
    v.role = "weight"
    assert v.role == "weight"
    with pytest.raises(AttributeError):
        v._op = "+"  # the symbol is the engine's


def test_backward_with_a_given_gradient():
    x = Value(3.0)
    y = x * x
    y.backward(gradient=0.5)
    assert x.grad == 3.0 and y.grad == 0.5
    y.backward(2)
    assert x.grad == 15.0
    for bad in ("1", True, None, Value(1.0)):
        with pytest.raises(TypeError, match="gradient must be a real number"):
            y.backward(gradient=bad)


def test_memory_per_node_stays_within_200_bytes():
    # As the W3 benchmark measures: tracemalloc over a 100k-step chain of
    # x*1.0001 + 0.5 (4 nodes a step), gc paused.
    n = 100_000
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        start = Value(0.3)
        before = tracemalloc.get_traced_memory()[0]
        x = start
        for _ in range(n):
            x = x * 1.0001 + 0.5
        size = tracemalloc.get_traced_memory()[0] - before
        del x
    finally:
        tracemalloc.stop()
        if was:
            gc.enable()
    assert 32 < size / (4 * n) <= 200
