"""autodiff.primitive: a user's own op, checked where every built-in op is.

The oracles are central differences and hand formulas; a user primitive is
unknown to PyTorch.
"""

import math

import pytest
from hypothesis import find, given, settings

import autodiff
from autodiff import Value, primitives
from autodiff.ops import OPS
from autodiff.testing import assert_gradients_close, expressions


def _gauss_partials(F, x, r):
    # d e^(-x²)/dx = -2x e^(-x²) = -2x r   (written with r: any order)
    return (-2.0 * x * r,)


def _hypot_partials(F, x, y, r):
    # d √(x² + y²)/dx = x / r ; d/dy = y / r
    return (F.div(x, r), F.div(y, r))


def _gauss(x):
    return math.exp(-x * x)


def _hypot(x, y):
    return math.sqrt(x * x + y * y)


@pytest.fixture
def gauss():
    function = autodiff.primitive("gauss", _gauss, _gauss_partials)
    yield function
    primitives.remove("gauss")


@pytest.fixture
def hypot():
    function = autodiff.primitive("hypot", _hypot, _hypot_partials, domain="nonzero")
    yield function
    primitives.remove("hypot")


def test_a_primitive_is_a_method_an_autodiff_function_and_a_table_entry(gauss):
    x = Value(0.7)
    y = x.gauss()
    assert y.data == math.exp(-0.49) and y.op == "gauss" and y.parents == (x,)
    assert autodiff.gauss is gauss and gauss(0.7).data == y.data
    from autodiff import gauss as imported

    assert imported is gauss
    assert OPS["gauss"].arity == 1 and OPS["gauss"].domain == ("any",)
    y.backward()
    assert x.grad == pytest.approx(-1.4 * math.exp(-0.49), rel=1e-15)


def test_a_binary_primitive_takes_the_other_operand(hypot):
    x, y = Value(3.0), Value(4.0)
    r = x.hypot(y)
    assert r.data == 5.0 and r.parents == (x, y)
    r.backward()
    assert (x.grad, y.grad) == pytest.approx((0.6, 0.8), rel=1e-15)
    assert hypot(3, 4).data == 5.0 and autodiff.hypot(x, 4.0).data == 5.0
    assert Value(3.0).hypot(4).data == 5.0
    with pytest.raises(TypeError, match="y must be a Value or a real number, got str"):
        hypot(x, "4")


def test_user_primitives_pass_gradcheck_and_second_order_central_differences(gauss, hypot):
    def f(a, b):
        return a.gauss() * 3.0 + a.hypot(b).gauss() + b.hypot(2.0)

    for xs in ([0.3, -1.2], [1.1, 0.4], [-0.8, 2.5]):
        assert autodiff.gradcheck(f, xs)
        assert_gradients_close(f, xs, oracle="central", order=1)
        assert_gradients_close(f, xs, oracle="central", order=2)


def test_second_derivative_by_hand(gauss):
    # d²/dx² e^(-x²) = (4x² - 2) e^(-x²)
    x = Value(0.6)
    (d,) = autodiff.grad(x.gauss(), [x], create_graph=True)
    (d2,) = autodiff.grad(d, [x])
    assert d2 == pytest.approx((4 * 0.36 - 2) * math.exp(-0.36), rel=1e-14)


def test_jvp_of_a_primitive(hypot):
    out, tangent = autodiff.jvp(lambda a, b: a.hypot(b), [3.0, 4.0], [1.0, 2.0])
    assert out == 5.0 and tangent == pytest.approx(0.6 * 1.0 + 0.8 * 2.0, rel=1e-15)


def test_a_primitive_compiles_to_calls_of_its_forward_and_rule(gauss, hypot):
    x, y = Value(0.5), Value(-1.5)

    def loss_fn():
        return x.gauss() * x.hypot(y)

    step = autodiff.compile(loss_fn, [x, y])
    assert "gauss" in step.source and "hypot" in step.source
    loss = step()
    r = _hypot(0.5, -1.5)
    g = _gauss(0.5)
    assert loss == pytest.approx(g * r, rel=1e-15)
    assert x.grad == pytest.approx(-2 * 0.5 * g * r + g * 0.5 / r, rel=1e-14)
    assert y.grad == pytest.approx(g * -1.5 / r, rel=1e-14)


def test_detect_anomaly_names_a_primitive():
    autodiff.primitive("bad_log", lambda x: math.log(x) if x > 0 else math.nan,
                       lambda F, x, r: (F.div(1.0, x),), domain="positive")
    try:
        with autodiff.detect_anomaly():
            with pytest.raises(autodiff.AnomalyError, match="'bad_log'"):
                Value(-1.0).bad_log()
    finally:
        primitives.remove("bad_log")


def test_viz_shows_the_primitive_on_its_op_node(hypot):
    viz = pytest.importorskip("viz")
    pytest.importorskip("graphviz")
    out = Value(3.0, label="a").hypot(Value(4.0, label="b"))
    assert "hypot" in viz.draw_graph(out).source
    autodiff.primitive("cube", lambda x: x * x * x, lambda F, x, r: (3.0 * x * x,), symbol="³")
    try:
        assert Value(2.0).cube().op == "³"
        assert "³" in viz.draw_graph(Value(2.0).cube()).source
    finally:
        primitives.remove("cube")


def test_expressions_draw_a_primitive_by_default_and_on_request(gauss, hypot):
    drawn = find(expressions(n_inputs=2, max_ops=6), lambda e: "hypot" in e.ops_used)
    assert "hypot(" in drawn.formula
    assert_gradients_close(drawn, drawn.point, oracle="central")


@settings(max_examples=25, deadline=None)
@given(data=__import__("hypothesis").strategies.data())
def test_primitives_inside_random_graphs_against_central_differences(data):
    autodiff.primitive("gauss", _gauss, _gauss_partials, replace=True)
    autodiff.primitive("hypot", _hypot, _hypot_partials, domain="nonzero", replace=True)
    try:
        expr = data.draw(expressions(n_inputs=2, max_ops=4, ops=["gauss", "hypot"]))
        assert expr.ops_used & {"gauss", "hypot"}
        assert_gradients_close(expr, expr.point, oracle="central", order=1)
        assert_gradients_close(expr, expr.point, oracle="central", order=2)
    finally:
        primitives.remove("gauss")
        primitives.remove("hypot")


def test_the_torch_oracle_refuses_a_primitive_clearly(gauss):
    pytest.importorskip("torch")
    expr = find(expressions(n_inputs=1, max_ops=2, ops=["gauss"]), lambda e: True)
    with pytest.raises(NotImplementedError, match="'gauss' is a user primitive.*central"):
        assert_gradients_close(expr, expr.point, oracle="torch")


# -- bad definitions are refused when they are defined ------------------------


def _ok(F, x, r):
    return (1.0,)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (("exp", math.exp, _ok), {}, ValueError, "'exp' is a built-in op"),
        (("gelu", math.exp, _ok), {}, ValueError, "'gelu' is a built-in op"),
        (("backward", math.exp, _ok), {}, ValueError, "already an attribute of Value"),
        (("data", math.exp, _ok), {}, ValueError, "already an attribute of Value"),
        (("grad", math.exp, _ok), {}, ValueError, "already an attribute of Value"),
        (("jvp", math.exp, _ok), {}, ValueError, "already a name in autodiff"),
        (("testing", math.exp, _ok), {}, ValueError, "already a name in autodiff"),
        (("as_value", math.exp, _ok), {}, ValueError, "already a name in autodiff"),
        (("2x", math.exp, _ok), {}, ValueError, "not a Python identifier"),
        (("my op", math.exp, _ok), {}, ValueError, "not a Python identifier"),
        (("lambda", math.exp, _ok), {}, ValueError, "not a Python identifier"),
        (("_hidden", math.exp, _ok), {}, ValueError, "starts with '_'"),
        ((3, math.exp, _ok), {}, TypeError, "name must be a str, got int"),
        (("f", 2.0, _ok), {}, TypeError, "forward must be callable, got float"),
        (("f", math.exp, None), {}, TypeError, "partials must be callable, got NoneType"),
        (("f", lambda x, y, z: x, _ok), {}, ValueError, "1 or 2 inputs, got arity 3"),
        (("f", lambda: 1.0, _ok), {}, ValueError, "1 or 2 inputs, got arity 0"),
        (("f", lambda *xs: 1.0, _ok), {}, TypeError, "takes \\*args; give arity"),
        (("f", lambda x: x, _ok), {"arity": 2}, TypeError, "forward must take 2 input"),
        (("f", lambda x: x, _ok), {"arity": True}, TypeError, "arity must be an int"),
        (("f", lambda x: x, lambda F, x: (1.0,)), {}, TypeError,
         r"partials must take \(F, x, result\)"),
        (("f", lambda x: x, lambda F, x, r: 1.0), {}, TypeError, r"tuple of 1 partial.*\(d,\)"),
        (("f", lambda x: x, lambda F, x, r: (1.0, 0.0)), {}, ValueError,
         r"returned 2 partial\(s\), expected 1"),
        (("f", lambda x, y: x, lambda F, x, y, r: (1.0,)), {}, ValueError,
         r"returned 1 partial\(s\), expected 2"),
        (("f", lambda x: x, lambda F, x, r: ("1",)), {}, TypeError, "partial 0 must be a number"),
        (("f", lambda x: "x", _ok), {}, TypeError, "forward must return a float, got str"),
        (("f", lambda x: 1 / (x - 0.5), _ok), {}, ValueError, "forward raised.*sample point 0.5"),
        (("f", lambda x: x, _ok), {"domain": "small"}, ValueError, "domain 'small' is not one of"),
        (("f", lambda x: x, _ok), {"domain": ["any", "any"]}, ValueError, "1 names"),
        (("f", lambda x: x, _ok), {"symbol": ""}, TypeError, "symbol must be a non-empty str"),
    ],
)
def test_a_bad_definition_is_refused_with_what_is_wrong(args, kwargs, error, message):
    before = (dict(OPS), set(dir(Value)))
    with pytest.raises(error, match=message):
        autodiff.primitive(*args, **kwargs)
    assert (dict(OPS), set(dir(Value))) == before  # nothing was left half-defined


def test_redefining_needs_replace_and_keeps_old_nodes(gauss):
    old = Value(1.0).gauss()
    with pytest.raises(ValueError, match="already a user primitive; pass replace=True"):
        autodiff.primitive("gauss", _gauss, _gauss_partials)
    # the same name, now e^(-2x²): d/dx = -4x r
    autodiff.primitive("gauss", lambda x: math.exp(-2 * x * x),
                       lambda F, x, r: (-4.0 * x * r,), replace=True)
    x = Value(1.0)
    x.gauss().backward()
    assert x.grad == pytest.approx(-4 * math.exp(-2), rel=1e-15)
    assert old.data == math.exp(-1)
    assert autodiff.grad(old, old.parents[0]) == pytest.approx([-2 * math.exp(-1)], rel=1e-15)


def test_remove_takes_a_primitive_out_and_refuses_built_ins():
    autodiff.primitive("twice", lambda x: 2.0 * x, lambda F, x, r: (2.0,))
    primitives.remove("twice")
    assert "twice" not in OPS and not hasattr(Value, "twice")
    with pytest.raises(AttributeError, match="no attribute 'twice'"):
        autodiff.twice  # noqa: B018
    with pytest.raises(KeyError, match="not a user primitive"):
        primitives.remove("exp")


def test_a_rule_that_returns_the_wrong_count_later_fails_clearly_at_run_time():
    # right at the sample point 0.5, wrong below 0
    def partials(F, x, r):
        return (1.0,) if F.value(x) > 0.0 else (1.0, 1.0)

    autodiff.primitive("odd_rule", lambda x: x, partials)
    try:
        x = Value(-1.0)
        with pytest.raises(ValueError, match="'odd_rule': partials returned 2"):
            x.odd_rule().backward()
        with pytest.raises(ValueError, match="'odd_rule': partials returned 2"):
            autodiff.grad(x.odd_rule(), [x], create_graph=True)
    finally:
        primitives.remove("odd_rule")
