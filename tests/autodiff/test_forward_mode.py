"""autodiff.jvp: forward-mode accumulation over the op table, checked against
reverse mode (⟨grad, v⟩) on random expressions, against central differences
on hand cases, and at second order against grad(create_graph=True)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import JVP, Value, dot, grad, jvp, no_grad, op_count
from autodiff.ops import OPS
from autodiff.testing import expressions
from autodiff.value import apply

EXPRESSIONS = st.integers(1, 4).flatmap(lambda n: expressions(n_inputs=n, max_ops=8))
DIRECTIONS = st.floats(-2.0, 2.0, allow_nan=False)


def close(a, b, tol=1e-10):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def central_jvp(f, xs, vs, eps=1e-6):
    """(f(x + εv) − f(x − εv)) / 2ε, with plain floats."""
    with no_grad():
        up = f(*[Value(x + eps * v) for x, v in zip(xs, vs)]).data
        down = f(*[Value(x - eps * v) for x, v in zip(xs, vs)]).data
    return (up - down) / (2 * eps)


@settings(max_examples=1000, deadline=None)
@given(EXPRESSIONS, st.data())
def test_jvp_is_the_gradient_along_v_on_random_expressions(expr, data):
    vs = data.draw(st.lists(DIRECTIONS, min_size=expr.n_inputs, max_size=expr.n_inputs))
    out, tangent = jvp(expr, expr.point, vs)
    xs = [Value(x) for x in expr.point]
    y = expr(*xs)
    expected = math.fsum(g * v for g, v in zip(grad(y, xs), vs))
    assert out == y.data
    scale = max(1.0, math.fsum(abs(g * v) for g, v in zip(grad(y, xs), vs)))
    assert abs(tangent - expected) <= 1e-12 * scale


@settings(max_examples=100, deadline=None)
@given(EXPRESSIONS, st.data())
def test_second_order_grad_of_jvp_is_the_hessian_along_v(expr, data):
    n = expr.n_inputs
    vs = data.draw(st.lists(DIRECTIONS, min_size=n, max_size=n))
    xs = [Value(x) for x in expr.point]
    _, tangent = jvp(expr, xs, vs)  # a Value: ⟨∇f, v⟩ recorded on the graph
    assert isinstance(tangent, Value)
    hv_forward = grad(tangent, xs)  # ∇⟨∇f, v⟩ = H v
    ys = [Value(x) for x in expr.point]
    first = grad(expr(*ys), ys, create_graph=True)
    hv_reverse = [
        math.fsum(g * v for g, v in zip(grad(first[i], ys), vs)) for i in range(n)
    ]  # row i of H, dotted with v
    for a, b in zip(hv_forward, hv_reverse):
        assert abs(a - b) <= 1e-9 * max(1.0, abs(b))


@settings(max_examples=100, deadline=None)
@given(EXPRESSIONS, st.data())
def test_jvp_of_a_gradient_is_forward_over_reverse(expr, data):
    n = expr.n_inputs
    vs = data.draw(st.lists(DIRECTIONS, min_size=n, max_size=n))
    i = data.draw(st.integers(0, n - 1))

    def df_dxi(*xs):
        return grad(expr(*xs), [xs[i]], create_graph=True)[0]

    _, hv_i = jvp(df_dxi, expr.point, vs)  # (H v)ᵢ
    ys = [Value(x) for x in expr.point]
    (g_i,) = grad(expr(*ys), [ys[i]], create_graph=True)
    expected = math.fsum(h * v for h, v in zip(grad(g_i, ys), vs))
    assert abs(hv_i - expected) <= 1e-9 * max(1.0, abs(expected))


# --------------------------------------------------------------------------
# Hand cases against central differences


HAND = [
    (lambda x, y: x * y + x.sin(), [0.7, -1.3], [1.0, 0.5]),
    (lambda x, y: (x / y).exp() - (y * y).log(), [0.4, 1.7], [-0.3, 2.0]),
    (lambda x: x.tanh() ** 3 + x.sigmoid() * x.sqrt(), [0.9], [1.0]),
    (lambda x, y, z: (x ** y + abs(z)).cos(), [1.2, 0.8, -0.4], [0.2, -1.0, 0.7]),
]


@pytest.mark.parametrize("f, xs, vs", HAND)
def test_hand_cases_against_central_differences(f, xs, vs):
    out, tangent = jvp(f, xs, vs)
    assert close(tangent, central_jvp(f, xs, vs), 1e-7)
    with no_grad():
        assert out == f(*[Value(x) for x in xs]).data


def test_second_derivative_by_hand():
    # f(x) = x³ sin x: f″(x) = 6x sin x + 6x² cos x − x³ sin x
    def f(x):
        return x ** 3 * x.sin()

    x = Value(0.8)
    _, d1 = jvp(f, [x], [1.0])
    (d2,) = grad(d1, [x])
    expected = 6 * 0.8 * math.sin(0.8) + 6 * 0.64 * math.cos(0.8) - 0.512 * math.sin(0.8)
    assert close(d2, expected, 1e-12)
    # forward over forward: the tangent of a jvp
    _, d2_ff = jvp(lambda y: jvp(f, [y], [1.0])[1], [0.8], [1.0])
    assert close(d2_ff, expected, 1e-12)


def test_every_table_op_gets_its_tangent_from_its_entry():
    for name, op in OPS.items():
        n = op.arity or 5  # dot: w₀ w₁ x₀ x₁ b; sum: five terms
        xs = [0.7, 1.3, -0.4, 0.9, 0.2][:n]
        vs = [1.0, -0.5, 0.25, 2.0, 1.5][:n]
        if name == "**c":
            vs[1] = 0.0  # the exponent is a constant: it does not move

        def f(*vals, op=op):
            return apply(op, tuple(vals))

        _, tangent = jvp(f, xs, vs)
        assert close(tangent, central_jvp(f, xs, vs), 1e-6), name


# --------------------------------------------------------------------------
# Cost, results and errors


def test_cost_is_one_pass_and_one_sweep():
    # z = Σ wₖxₖ + b then tanh: 2 ops; a jvp sweeps both, once
    def f(w0, w1, b):
        return dot([w0, w1], [0.5, -1.0], b).tanh()

    result = jvp(f, [0.1, 0.2, 0.0], [1.0, 0.0, 0.0])
    assert result.ops == 2 == op_count(f(Value(0.1), Value(0.2), Value(0.0)))
    assert isinstance(result, JVP) and isinstance(result, tuple) and len(result) == 2
    assert result.primal_out == result[0] and result.tangent_out == result[1]
    assert "ops=2" in repr(result)
    # ops not depending on the primals need no tangent rule
    assert jvp(lambda x: x * (Value(2.0) * 3.0), [1.0], [1.0]).ops == 1


def test_results_are_floats_for_numbers_and_values_for_values():
    out, t = jvp(lambda x: x * 2.0, [3.0], [1.0])
    assert type(out) is float and type(t) is float and t == 2.0
    x = Value(3.0)
    out, t = jvp(lambda x: x * 2.0, [x], [1.0])
    assert isinstance(out, Value) and isinstance(t, Value) and t.data == 2.0
    out, t = jvp(lambda x: Value(5.0) + 0.0 * 1.0, [1.0], [1.0])  # f ignores x
    assert t == 0.0
    with no_grad():  # jvp records f's graph even inside no_grad
        assert jvp(lambda x: x * x, [3.0], [1.0])[1] == 6.0


def test_errors_are_clear():
    with pytest.raises(TypeError, match="f must be callable"):
        jvp(1.0, [1.0], [1.0])
    with pytest.raises(TypeError, match=r"primals must be a sequence .* got float"):
        jvp(lambda x: x, 1.0, [1.0])
    with pytest.raises(TypeError, match=r"tangents\[0\] must be a real number or a Value, got str"):
        jvp(lambda x: x, [1.0], ["a"])
    with pytest.raises(TypeError, match=r"primals\[0\] .* got bool"):
        jvp(lambda x: x, [True], [1.0])
    with pytest.raises(ValueError, match="2 primals and 1 tangents"):
        jvp(lambda x, y: x, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        jvp(lambda x: 1.0, [1.0], [1.0])
    with pytest.raises(TypeError, match="op_count: root must be a Value"):
        op_count(3.0)
