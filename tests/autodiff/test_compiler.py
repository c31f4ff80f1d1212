"""autodiff.compile: a traced loss run as generated straight-line Python.

The compiled step must give the eager engine's numbers bit for bit (the same
float operations in the same order), so most tests compare exact bits with
``loss.backward()``; one compares with PyTorch's float64 autograd as an
independent oracle.  Then: new data after compiling, the check mode, the
fallback for IEEE edge cases, custom ops, and every refusal.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
import nn
from autodiff import Value
from autodiff.compiler import CompiledStep, CompileError, GraphChangedError
from autodiff.ops import Op
from autodiff.testing import expressions
from autodiff.value import apply


def same(a: float, b: float) -> bool:
    """Equal bits, as far as Python can tell: equal with the same sign (so
    0.0 and -0.0 differ), or both nan."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def eager(loss_fn, params):
    """loss.data and every param's grad from the eager engine (grads zeroed
    first and restored after)."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    loss = loss_fn()
    loss.backward()
    out = loss.data, [p.grad for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return out


def compiled(step, params):
    for p in params:
        p.grad = 0.0
    return step(), [p.grad for p in params]


def assert_same(got, expected) -> None:
    (loss, grads), (loss_e, grads_e) = got, expected
    assert same(loss, loss_e), (loss, loss_e)
    bad = [(i, g, e) for i, (g, e) in enumerate(zip(grads, grads_e)) if not same(g, e)]
    assert not bad, f"{len(bad)} grads differ, first (index, compiled, eager): {bad[:3]}"


# --------------------------------------------------------------------------
# Bit identity with the eager engine


def moons_step(weighted_sum: str, n: int = 12):
    X, y = nn.data.make_moons(n, noise=0.1, seed=3)
    X = [[float(v) for v in row] for row in X]
    y = [float(v) * 2.0 - 1.0 for v in y]
    model = nn.MLP(2, [16, 16, 1], seed=5, weighted_sum=weighted_sum)
    params = model.parameters()
    return (lambda: nn.batch_loss(model, X, y, "hinge", l2=1e-4)[0]), params


@pytest.mark.parametrize("weighted_sum", ["dot", "products"])
def test_micrograd_moons_step_is_bit_identical_over_sgd_steps(weighted_sum):
    loss_fn, params = moons_step(weighted_sum)
    step = autodiff.compile(loss_fn, params)
    for k in range(4):
        expected = eager(loss_fn, params)
        got = compiled(step, params)
        assert_same(got, expected)
        assert any(g != 0.0 for g in got[1])
        for p in params:  # SGD: the next call sees new data
            p.data -= (1.0 - 0.9 * k / 100) * p.grad


def test_hand_built_mlp_with_tanh_sigmoid_and_every_binary_op():
    rng = random.Random(7)
    w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(12)]
    data = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(5)]

    def loss_fn():
        total = Value(0.0)
        for x1, x2 in data:
            h1 = (w[0] * x1 + w[1] * x2 + w[2]).tanh()
            h2 = autodiff.dot([w[3], w[4]], [x1, x2], w[5]).sigmoid()
            h3 = (w[6] * h1 - w[7] / (1.0 + h2 * h2)).relu()
            out = w[8] * h1 + w[9] * h2 + w[10] * h3 + w[11]
            total = total + (out - x1 * x2) ** 2 + (-h3).exp() + (h2 + 1.0).log()
        return total / len(data)

    step = autodiff.compile(loss_fn, w)
    assert_same(compiled(step, w), eager(loss_fn, w))


@settings(max_examples=150, deadline=None)
@given(expressions(n_inputs=3, max_ops=10), st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=3))
def test_random_expressions_are_bit_identical_at_the_point_and_elsewhere(expr, shift):
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(expr.point)]
    loss_fn = lambda: expr(*xs)  # noqa: E731
    step = autodiff.compile(loss_fn, xs)
    assert_same(compiled(step, xs), eager(loss_fn, xs))
    # elsewhere: possibly outside an op's domain, where inf and nan appear
    for x, d in zip(xs, shift):
        x.data += d * 8.0
    assert_same(compiled(step, xs), eager(loss_fn, xs))


def test_grads_accumulate_like_backward():
    x = Value(0.7)
    loss_fn = lambda: (x * x).tanh() * 3.0  # noqa: E731
    step = autodiff.compile(loss_fn, [x])
    x.grad = 0.0
    step()
    step()
    once = eager(loss_fn, [x])[1][0]
    assert x.grad == once + once
    assert x.grad != 0.0


def test_matches_pytorch_float64_autograd():
    torch = pytest.importorskip("torch")
    rng = random.Random(11)
    sizes = [(3, 2), (1, 3)]  # (outputs, inputs) per layer
    params = [Value(rng.uniform(-1, 1)) for n_out, n_in in sizes for _ in range(n_out * (n_in + 1))]
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(6)]
    Y = [rng.uniform(-1, 1) for _ in X]

    def forward(ps, tanh, x):
        k, a = 0, x
        for n_out, n_in in sizes:
            z = []
            for _ in range(n_out):
                s = ps[k + n_in]
                for i in range(n_in):
                    s = s + ps[k + i] * a[i]
                z.append(s)
                k += n_in + 1
            a = [tanh(v) for v in z]
        return a[0]

    def loss_fn():
        return autodiff.sum([(forward(params, Value.tanh, x) - t) ** 2 for x, t in zip(X, Y)])

    step = autodiff.compile(loss_fn, params)
    loss, grads = compiled(step, params)
    tp = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    tl = sum((forward(tp, torch.tanh, x) - t) ** 2 for x, t in zip(X, Y))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-12, abs=1e-14)
    assert grads == pytest.approx([t.grad.item() for t in tp], rel=1e-10, abs=1e-13)


# --------------------------------------------------------------------------
# Edge cases: IEEE values, custom ops, modes


def test_division_by_zero_falls_back_to_the_table_functions():
    x, y = Value(1.0), Value(0.0)
    loss_fn = lambda: x / y + (y * 2.0 + 1.0).log()  # noqa: E731
    step = autodiff.compile(loss_fn, [x, y])
    got = compiled(step, [x, y])
    assert got[0] == math.inf
    assert_same(got, eager(loss_fn, [x, y]))
    y.data = 2.0  # and back on the fast path
    assert_same(compiled(step, [x, y]), eager(loss_fn, [x, y]))


def test_zero_gradient_keeps_the_sign_backward_gives():
    x = Value(-3.0)
    # ∂loss/∂x = 0.0 · 1.0 · -1.0 = -0.0, summed from 0.0 by backward(): +0.0
    loss_fn = lambda: (x * -1.0).relu() * 0.0  # noqa: E731
    step = autodiff.compile(loss_fn, [x])
    x.grad = -0.0
    step()
    got = x.grad
    x.grad = -0.0
    loss_fn().backward()
    assert same(got, x.grad)


def _softplus_partials(F, x, r):
    # d log(1 + eˣ)/dx = σ(x)
    return (1.0 / (1.0 + math.exp(-x)),)


SOFTPLUS = Op("softplus", 1, lambda x: math.log1p(math.exp(x)), _softplus_partials, ("any",))


def test_an_op_without_code_compiles_through_its_functions():
    x = Value(0.4)

    def loss_fn():
        return apply(SOFTPLUS, ((x * 2.0),)) * x

    step = autodiff.compile(loss_fn, [x])
    assert "_f" in step.source and "softplus" in step.source
    got = compiled(step, [x])
    assert_same(got, eager(loss_fn, [x]))
    # the hand formula: d/dx [softplus(2x)·x] = 2σ(2x)·x + softplus(2x)
    s = 1.0 / (1.0 + math.exp(-0.8))
    assert got[1][0] == pytest.approx(2.0 * s * 0.4 + math.log1p(math.exp(0.8)), rel=1e-14)


def test_detect_anomaly_runs_the_eager_engine_and_names_the_op():
    x = Value(-1.0)
    step = autodiff.compile(lambda: (x * 1.0).sqrt() + x, [x])
    with autodiff.detect_anomaly():
        with pytest.raises(autodiff.AnomalyError, match="sqrt"):
            step()


def test_no_grad_around_a_compiled_step_still_writes_grads():
    x = Value(2.0)
    step = autodiff.compile(lambda: x * x, [x])
    with autodiff.no_grad():
        assert step() == 4.0
    assert x.grad == 4.0


# --------------------------------------------------------------------------
# The check mode


def test_check_mode_catches_a_branch_on_the_data():
    x = Value(1.0)

    def loss_fn():
        return x * x if x.data > 0 else (-x).exp()

    step = autodiff.compile(loss_fn, [x], check_every=1)
    assert step() == 1.0
    x.data = -1.0
    with pytest.raises(GraphChangedError, match="structure does not depend on the data"):
        step()


def test_without_check_mode_the_compiled_branch_is_kept():
    x = Value(1.0)
    step = autodiff.compile(lambda: x * x if x.data > 0 else (-x).exp(), [x])
    x.data = -2.0
    assert step() == 4.0  # the traced branch, as documented


def test_check_mode_checks_every_kth_call_and_sees_a_changed_input():
    w = Value(0.5)
    inputs = [Value(1.0), Value(2.0)]  # leaves that are not params: frozen at the trace
    step = autodiff.compile(lambda: autodiff.sum([w * v for v in inputs]), [w], check_every=3)
    inputs[1].data = 5.0
    step()
    step()
    with pytest.raises(GraphChangedError, match="constant 5.0"):
        step()


def test_check_passes_when_only_params_change():
    w = Value(0.5)
    step = autodiff.compile(lambda: (w * 3.0).tanh(), [w], check_every=1)
    for v in (0.1, -2.0, 7.0):
        w.data = v
        w.grad = 0.0
        assert step() == math.tanh(v * 3.0)
    step.check()
    assert step.calls == 3


# --------------------------------------------------------------------------
# What it shows


def test_source_writes_the_chain_rule_out():
    w, b = Value(0.5, label="w"), Value(0.1, label="b")
    step = autodiff.compile(lambda: (w * 2.0 + b).tanh(), [w, b])
    assert isinstance(step, CompiledStep)
    src = step.source
    assert "_tanh(" in src and "tanh(v" in src and "∂" in src
    assert "'w'" in src and "'b'" in src  # the params' labels
    assert src.index("# forward") < src.index("# backward")
    assert step.params == (w, b)
    assert step.n_nodes == 6 and step.n_compiled == 5  # the constant 2.0 is a literal
    assert "compiled step" in repr(step)
    assert step.compile_seconds > 0.0


# --------------------------------------------------------------------------
# Refusals


def test_refuses_what_it_cannot_compile():
    x = Value(1.0, label="x")
    unused = Value(2.0, label="unused")
    with pytest.raises(TypeError, match="must return a Value, got float"):
        autodiff.compile(lambda: 3.0, [x])
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        autodiff.compile(x, [x])
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value, got float"):
        autodiff.compile(lambda: x * x, [x, 1.0])
    with pytest.raises(TypeError, match="sequence of Values"):
        autodiff.compile(lambda: x * x, x)
    with pytest.raises(ValueError, match=r"params\[0\] is not a leaf.*'\*'"):
        autodiff.compile(lambda: x * x, [x * 2.0])
    with pytest.raises(ValueError, match=r"params\[1\] is params\[0\]"):
        autodiff.compile(lambda: x * x, [x, x])
    with pytest.raises(ValueError, match=r"params\[1\] \(label 'unused'\) not in the graph"):
        autodiff.compile(lambda: x * x, [x, unused])
    with pytest.raises(ValueError, match="params is empty"):
        autodiff.compile(lambda: x * x, [])
    with pytest.raises(CompileError, match="leaf"):
        autodiff.compile(lambda: x, [x])
    with pytest.raises(CompileError, match="no_grad"):
        with autodiff.no_grad():
            autodiff.compile(lambda: x * x, [x])
    with pytest.raises(ValueError, match="check_every must be >= 1"):
        autodiff.compile(lambda: x * x, [x], check_every=0)
    with pytest.raises(TypeError, match="max_nodes must be an int, got bool"):
        autodiff.compile(lambda: x * x, [x], max_nodes=True)


def test_refuses_a_graph_past_max_nodes_before_generating_code():
    x = Value(1.0)

    def chain():
        y = x
        for _ in range(50):
            y = y * 1.01
        return y

    # 50 products, each with its constant leaf, and x
    with pytest.raises(CompileError, match="101 nodes, more than max_nodes=100.*backward"):
        autodiff.compile(chain, [x], max_nodes=100)
    assert autodiff.compile(chain, [x], max_nodes=101)() == pytest.approx(1.01**50)
    with pytest.raises(CompileError, match=r"lines, more than max_lines=20.*MB to compile"):
        autodiff.compile(chain, [x], max_lines=20)


def test_refuses_a_node_whose_op_is_not_a_table_entry():
    x = Value(1.0)

    def loss_fn():
        y = Value(2.0 * x.data, (x,), "closure", local_grads=lambda: (2.0,))  # made by hand
        return y + 1.0

    with pytest.raises(CompileError, match=r"op Closure\(.closure.\).*not an entry of the op"):
        autodiff.compile(loss_fn, [x])


def test_a_deep_chain_compiles_flat():
    x = Value(0.3)

    def chain():
        y = x
        for _ in range(3000):
            y = y * 1.0001 + 0.5
        return y

    step = autodiff.compile(chain, [x])
    assert_same(compiled(step, [x]), eager(chain, [x]))


def test_a_repeated_parent_is_summed_in_the_eager_order():
    # y reaches the loss through y·0.1 and twice through (y - y)·0.3: the
    # contributions 0.1, 0.3 and -0.3 are rounded differently in another order
    x = Value(2.0)

    def loss_fn():
        y = x * 1.0
        return (y - y) * 0.3 + y * 0.1

    step = autodiff.compile(loss_fn, [x])
    got = compiled(step, [x])
    assert_same(got, eager(loss_fn, [x]))
    orders = {(0.1 + 0.3) - 0.3, (0.1 - 0.3) + 0.3, (0.3 - 0.3) + 0.1}
    assert len(orders) > 1 and got[1][0] in orders
