"""Layer (a): every op of the table on its own, against independent oracles.

Each case below applies one op through the public API (operators, methods,
`autodiff.sum`/`dot`), and is checked against central differences, against
PyTorch float64 (values, gradients, second derivatives), and at the IEEE
edge cases where PyTorch double is the reference.
"""

import math
import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import Value
from autodiff.ops import OPS
from autodiff.testing import assert_gradients_close, points

torch = pytest.importorskip("torch", reason="PyTorch float64 is an oracle for every op")


def _t(x):
    return x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=torch.float64)


def _power(c):
    return lambda x: x**c


_NF = torch.nn.functional


def _gelu(t):
    return _NF.gelu(t, approximate="tanh")


def _mod_case(sign_x, sign_y):
    """x′ % y′ with x′ = ±(2.2 + 0.6σ(x)) and y′ = ±(1.45 + 0.55σ(y)): |x′/y′|
    stays inside (1.1, 1.93), clear of the jumps of the remainder, for every x, y."""

    def operands(x, y):
        return sign_x * (2.2 + 0.6 * x.sigmoid()), sign_y * (1.45 + 0.55 * y.sigmoid())

    def engine(x, y):
        a, b = operands(x, y)
        return a % b

    def reference(x, y):
        return torch.remainder(*operands(x, y))

    return engine, reference


def _mod_number_case(side):
    # 5.0 % y′ (y′ in (2.6, 3.4): 5/y′ in (1.47, 1.93)) or x′ % 2.0 (x′ in (2.2, 3.8))
    if side == "reflected":
        return (lambda y: 5.0 % (2.6 + 0.8 * y.sigmoid()),
                lambda y: torch.remainder(_t(5.0), 2.6 + 0.8 * y.sigmoid()))
    return (lambda x: (2.2 + 1.6 * x.sigmoid()) % 2.0,
            lambda x: torch.remainder(2.2 + 1.6 * x.sigmoid(), 2.0))


# (id, op name, engine function, torch function, per-input domains)
CASES = [
    ("x+y", "+", operator.add, operator.add, ("any", "any")),
    ("2.5+x", "+", lambda x: 2.5 + x, lambda x: 2.5 + x, ("any",)),
    ("x+2.5", "+", lambda x: x + 2.5, lambda x: x + 2.5, ("any",)),
    ("x-y", "-", operator.sub, operator.sub, ("any", "any")),
    ("2.5-x", "-", lambda x: 2.5 - x, lambda x: 2.5 - x, ("any",)),
    ("x-2.5", "-", lambda x: x - 2.5, lambda x: x - 2.5, ("any",)),
    ("x*y", "*", operator.mul, operator.mul, ("any", "any")),
    ("-1.5*x", "*", lambda x: -1.5 * x, lambda x: -1.5 * x, ("any",)),
    ("x*-1.5", "*", lambda x: x * -1.5, lambda x: x * -1.5, ("any",)),
    ("x/y", "/", operator.truediv, operator.truediv, ("any", "nonzero")),
    ("2/x", "/", lambda x: 2 / x, lambda x: 2 / x, ("nonzero",)),
    ("x/2", "/", lambda x: x / 2, lambda x: x / 2, ("any",)),
    ("x**y", "**", operator.pow, torch.pow, ("positive", "any")),
    ("2**x", "**", lambda x: 2**x, lambda x: 2**x, ("any",)),
    ("0.5**x", "**", lambda x: 0.5**x, lambda x: 0.5**x, ("any",)),
    *[
        (f"x**{c!r}", "**c", _power(c), _power(c), ("positive",))
        for c in (-2.0, -0.5, 0.0, 0.5, 1.0, 2, 3.0, 2.5)
    ],
    ("x**3 negative base", "**c", lambda x: x**3, lambda x: x**3, ("any",)),
    ("-x", "neg", operator.neg, operator.neg, ("any",)),
    ("abs", "abs", abs, torch.abs, ("nonkink",)),
    ("exp", "exp", Value.exp, torch.exp, ("any",)),
    ("log", "log", Value.log, torch.log, ("positive",)),
    ("tanh", "tanh", Value.tanh, torch.tanh, ("any",)),
    ("sigmoid", "sigmoid", Value.sigmoid, torch.sigmoid, ("any",)),
    ("relu", "relu", Value.relu, torch.relu, ("nonkink",)),
    ("sin", "sin", Value.sin, torch.sin, ("any",)),
    ("cos", "cos", Value.cos, torch.cos, ("any",)),
    ("sqrt", "sqrt", Value.sqrt, torch.sqrt, ("positive",)),
    ("exp()", "exp", autodiff.exp, torch.exp, ("any",)),
    ("log()", "log", autodiff.log, torch.log, ("positive",)),
    ("tanh()", "tanh", autodiff.tanh, torch.tanh, ("any",)),
    ("sigmoid()", "sigmoid", autodiff.sigmoid, torch.sigmoid, ("any",)),
    ("relu()", "relu", autodiff.relu, torch.relu, ("nonkink",)),
    ("sin()", "sin", autodiff.sin, torch.sin, ("any",)),
    ("cos()", "cos", autodiff.cos, torch.cos, ("any",)),
    ("sqrt()", "sqrt", autodiff.sqrt, torch.sqrt, ("positive",)),
    ("atan", "atan", Value.atan, torch.atan, ("any",)),
    ("asin", "asin", Value.asin, torch.asin, ("unit",)),
    ("acos", "acos", Value.acos, torch.acos, ("unit",)),
    ("log1p", "log1p", Value.log1p, torch.log1p, ("above_minus_one",)),
    ("expm1", "expm1", Value.expm1, torch.expm1, ("any",)),
    ("leaky_relu", "leaky_relu", Value.leaky_relu, _NF.leaky_relu, ("nonkink",)),
    ("elu", "elu", Value.elu, _NF.elu, ("nonkink",)),
    ("gelu", "gelu", Value.gelu, _gelu, ("any",)),
    ("silu", "silu", Value.silu, _NF.silu, ("any",)),
    ("softplus", "softplus", Value.softplus, _NF.softplus, ("any",)),
    ("atan()", "atan", autodiff.atan, torch.atan, ("any",)),
    ("asin()", "asin", autodiff.asin, torch.asin, ("unit",)),
    ("acos()", "acos", autodiff.acos, torch.acos, ("unit",)),
    ("log1p()", "log1p", autodiff.log1p, torch.log1p, ("above_minus_one",)),
    ("expm1()", "expm1", autodiff.expm1, torch.expm1, ("any",)),
    ("leaky_relu()", "leaky_relu", autodiff.leaky_relu, _NF.leaky_relu, ("nonkink",)),
    ("elu()", "elu", autodiff.elu, _NF.elu, ("nonkink",)),
    ("gelu()", "gelu", autodiff.gelu, _gelu, ("any",)),
    ("silu()", "silu", autodiff.silu, _NF.silu, ("any",)),
    ("softplus()", "softplus", autodiff.softplus, _NF.softplus, ("any",)),
    ("x%y", "%", *_mod_case(1, 1), ("any", "any")),
    ("-x%y", "%", *_mod_case(-1, 1), ("any", "any")),
    ("x%-y", "%", *_mod_case(1, -1), ("any", "any")),
    ("-x%-y", "%", *_mod_case(-1, -1), ("any", "any")),
    ("5%y", "%", *_mod_number_case("reflected"), ("any",)),
    ("x%2", "%", *_mod_number_case("plain"), ("any",)),
    ("sum1", "sum", lambda x: autodiff.sum([x]), lambda x: x, ("any",)),
    (
        "sum4",
        "sum",
        lambda a, b, c, d: autodiff.sum([a, b, 1.5, c, d]),
        lambda a, b, c, d: a + b + 1.5 + c + d,
        ("any",) * 4,
    ),
    (
        "sum x,x,y",
        "sum",
        lambda x, y: autodiff.sum([x, x, y]),
        lambda x, y: x + x + y,
        ("any",) * 2,
    ),
    ("dot1", "dot", lambda w, x: autodiff.dot([w], [x]), lambda w, x: w * x, ("any",) * 2),
    (
        "dot3",
        "dot",
        lambda a, b, c, d, e, f: autodiff.dot([a, b, c], [d, e, f]),
        lambda a, b, c, d, e, f: a * d + b * e + c * f,
        ("any",) * 6,
    ),
    (
        "dot with constants and reuse",
        "dot",
        lambda w, x: autodiff.dot([w, 2.0, x], [x, w, x]),
        lambda w, x: w * x + 2.0 * w + x * x,
        ("any",) * 2,
    ),
]

IDS = [case[0] for case in CASES]

# Several fixed points per domain, away from kinks and poles.
FIXED = {
    "any": [-2.3, -0.4, 0.0, 0.7, 1.9],
    "positive": [0.15, 0.5, 1.0, 2.7, 1.3],
    "nonzero": [-1.7, -0.3, 0.2, 1.1, 2.9],
    "nonkink": [-1.7, -0.3, 0.2, 1.1, 2.9],
    "unit": [-0.85, -0.4, 0.0, 0.3, 0.8],
    "above_minus_one": [-0.9, -0.5, 0.0, 0.7, 2.5],
}


def fixed_points(domains):
    """Five points; input i takes the fixed values of its domain rotated by i."""
    return [[FIXED[d][(p + i) % 5] for i, d in enumerate(domains)] for p in range(5)]


def test_every_op_in_the_table_has_a_case():
    assert set(OPS) - {case[1] for case in CASES} == set()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_dispatches_to_its_table_entry(case):
    _, name, f, _, domains = case
    out = f(*[Value(x) for x in fixed_points(domains)[1]])
    assert isinstance(out, Value) and out.op == OPS[name].symbol


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_gradient_matches_central_differences_at_fixed_points(case):
    _, _, f, _, domains = case
    for xs in fixed_points(domains):
        assert_gradients_close(f, xs, oracle="central", atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=15)
@given(data=st.data())
def test_case_gradient_matches_central_differences_anywhere_in_domain(case, data):
    _, _, f, _, domains = case
    xs = data.draw(points(len(domains), domains), label="xs")
    assert_gradients_close(f, xs, oracle="central", atol=1e-6, rtol=1e-5)


def _close(a, b, rel=4e-15, abs_=1e-15):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _torch_value_and_grad(tf, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = _t(tf(*ts))
    if not out.requires_grad:
        return out.item(), [0.0] * len(ts)
    grads = torch.autograd.grad(out, ts, allow_unused=True)
    return out.item(), [0.0 if g is None else g.item() for g in grads]


def _engine_value_and_grad(f, xs):
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=15)
@given(data=st.data())
def test_case_value_and_gradient_match_torch(case, data):
    _, _, f, tf, domains = case
    for xs in [*fixed_points(domains), data.draw(points(len(domains), domains), label="xs")]:
        value, grads = _engine_value_and_grad(f, xs)
        t_value, t_grads = _torch_value_and_grad(tf, xs)
        assert _close(value, t_value), (xs, value, t_value)
        assert all(_close(g, t, rel=1e-13, abs_=1e-15) for g, t in zip(grads, t_grads)), (
            xs,
            grads,
            t_grads,
        )


class WithTorch:
    """An engine function carrying its PyTorch twin, for oracle="torch"."""

    def __init__(self, f, torch_f):
        self.f = f
        self.torch = lambda *ts: _t(torch_f(*ts))

    def __call__(self, *values):
        return self.f(*values)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_second_derivatives_match_torch_and_central_differences(case):
    case_id, _, f, tf, domains = case
    for xs in fixed_points(domains):
        assert_gradients_close(f, xs, oracle="central", order=2)
        if case_id == "x**y" and xs[1] == 0.0:
            continue  # PyTorch's d2/dydx is 0 there: see the next test
        twin = WithTorch(f, tf)
        assert_gradients_close(twin, xs, oracle="torch", order=2, rtol=1e-12, atol=1e-14)


def test_pow_hessian_is_symmetric_at_exponent_zero():
    # f = x**y at (0.5, 0): d2f/dydx = d/dy [y x^(y-1)] = x^(y-1) (1 + y ln x) = 1/x = 2,
    # and d2f/dxdy = d/dx [x^y ln x] = 1/x = 2 as well (f is smooth there).
    # Was: the rule for d(x**y)/dx returned the constant 0 at y = 0, losing its
    # dependence on y (PyTorch's double backward still does: it gives 0).
    x, y = Value(0.5), Value(0.0)
    dfdx, dfdy = autodiff.grad(x**y, [x, y], create_graph=True)
    assert autodiff.grad(dfdy, [x]) == pytest.approx([2.0], rel=1e-14)
    assert autodiff.grad(dfdx, [y]) == pytest.approx([2.0], rel=1e-14)
    assert dfdx.data == 0.0  # the first derivative y x^(y-1) is still 0


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_create_graph_gradients_are_recorded_values(case):
    _, _, f, _, domains = case
    xs = [Value(x) for x in fixed_points(domains)[3]]
    grads = autodiff.grad(f(*xs), xs, create_graph=True)
    assert all(isinstance(g, Value) for g in grads)
    floats = autodiff.grad(f(*xs), xs)
    assert [g.data for g in grads] == pytest.approx(floats, rel=1e-15, abs=0)


# -- IEEE float64 edge cases, against PyTorch double -------------------------

INF, NAN = math.inf, math.nan

EDGES = [
    # (id, engine function, torch function, point)
    ("log(0) = -inf", Value.log, torch.log, [0.0]),
    ("log(-1) = nan", Value.log, torch.log, [-1.0]),
    ("log(inf)", Value.log, torch.log, [INF]),
    ("log(5e-324)", Value.log, torch.log, [5e-324]),
    ("1/Value(0.0) = inf", lambda x: 1 / x, lambda x: 1 / x, [0.0]),
    ("1/Value(-0.0) = -inf", lambda x: 1 / x, lambda x: 1 / x, [-0.0]),
    ("0/0 = nan", operator.truediv, operator.truediv, [0.0, 0.0]),
    ("inf/inf", operator.truediv, operator.truediv, [INF, INF]),
    ("1e308/1e-10 overflows", operator.truediv, operator.truediv, [1e308, 1e-10]),
    ("exp(1000) = inf", Value.exp, torch.exp, [1000.0]),
    ("exp(-1000) = 0", Value.exp, torch.exp, [-1000.0]),
    ("exp(-inf)", Value.exp, torch.exp, [-INF]),
    ("exp(nan)", Value.exp, torch.exp, [NAN]),
    ("(-8)**(1/3) = nan", lambda x: x ** (1 / 3), lambda x: x ** (1 / 3), [-8.0]),
    ("(-2)**3", lambda x: x**3, lambda x: x**3, [-2.0]),
    ("(-2)**0.5 = nan", lambda x: x**0.5, lambda x: x**0.5, [-2.0]),
    ("0**2", lambda x: x**2, lambda x: x**2, [0.0]),
    ("0**0.5 (slope inf)", lambda x: x**0.5, lambda x: x**0.5, [0.0]),
    ("0**0 = 1", lambda x: x**0, lambda x: x**0, [0.0]),
    ("0**-1 = inf", lambda x: x**-1, lambda x: x**-1, [0.0]),
    ("(-0.0)**-1 = -inf", lambda x: x**-1, lambda x: x**-1, [-0.0]),
    ("0**-2 = inf", lambda x: x**-2, lambda x: x**-2, [0.0]),
    ("inf**2", lambda x: x**2, lambda x: x**2, [INF]),
    ("(-inf)**3", lambda x: x**3, lambda x: x**3, [-INF]),
    ("10**400.0 overflows", lambda x: x**400.0, lambda x: x**400.0, [10.0]),
    ("(-10)**401.0 overflows", lambda x: x**401.0, lambda x: x**401.0, [-10.0]),
    ("1**nan", lambda x: x**NAN, lambda x: x**NAN, [1.0]),
    ("x**y at 0,2", operator.pow, torch.pow, [0.0, 2.0]),
    ("x**y at 0,0", operator.pow, torch.pow, [0.0, 0.0]),
    ("x**y at 0,-1", operator.pow, torch.pow, [0.0, -1.0]),
    ("x**y at 0,0.5", operator.pow, torch.pow, [0.0, 0.5]),
    ("x**y at -2,2", operator.pow, torch.pow, [-2.0, 2.0]),
    ("x**y at -8,1/3", operator.pow, torch.pow, [-8.0, 1 / 3]),
    ("x**y at 10,400", operator.pow, torch.pow, [10.0, 400.0]),
    ("x**y at -10,401", operator.pow, torch.pow, [-10.0, 401.0]),
    ("x**y at 2,-inf", operator.pow, torch.pow, [2.0, -INF]),
    ("x**y at 0,-inf", operator.pow, torch.pow, [0.0, -INF]),
    ("2**x at 1e4", lambda x: 2**x, lambda x: 2**x, [1e4]),
    ("0**x at -1", lambda x: 0**x, lambda x: 0**x, [-1.0]),
    ("(-2)**x at 2", lambda x: (-2.0) ** x, lambda x: (-2.0) ** x, [2.0]),
    ("relu'(0) = 0", Value.relu, torch.relu, [0.0]),
    ("relu(-inf)", Value.relu, torch.relu, [-INF]),
    ("abs'(0) = 0", abs, torch.abs, [0.0]),
    ("abs'(-0.0) = 0", abs, torch.abs, [-0.0]),
    ("abs(-inf)", abs, torch.abs, [-INF]),
    ("abs(nan)", abs, torch.abs, [NAN]),
    ("sqrt(0) (slope inf)", Value.sqrt, torch.sqrt, [0.0]),
    ("sqrt(-1) = nan", Value.sqrt, torch.sqrt, [-1.0]),
    ("sqrt(inf)", Value.sqrt, torch.sqrt, [INF]),
    ("sqrt(5e-324)", Value.sqrt, torch.sqrt, [5e-324]),
    ("sigmoid(1000)", Value.sigmoid, torch.sigmoid, [1000.0]),
    ("sigmoid(-1000)", Value.sigmoid, torch.sigmoid, [-1000.0]),
    ("sigmoid(-40)", Value.sigmoid, torch.sigmoid, [-40.0]),
    ("sigmoid(nan)", Value.sigmoid, torch.sigmoid, [NAN]),
    ("tanh(1000)", Value.tanh, torch.tanh, [1000.0]),
    ("tanh(-inf)", Value.tanh, torch.tanh, [-INF]),
    ("sin(inf) = nan", Value.sin, torch.sin, [INF]),
    ("cos(-inf) = nan", Value.cos, torch.cos, [-INF]),
    ("inf - inf = nan", operator.sub, operator.sub, [INF, INF]),
    ("inf * 0 = nan", operator.mul, operator.mul, [INF, 0.0]),
    ("1e308 + 1e308 = inf", operator.add, operator.add, [1e308, 1e308]),
    ("-(nan)", operator.neg, operator.neg, [NAN]),
    ("sum of inf and -inf", lambda a, b: autodiff.sum([a, b]), lambda a, b: a + b, [INF, -INF]),
    ("dot with inf * 0", lambda a, b: autodiff.dot([a], [b]), lambda a, b: a * b, [INF, 0.0]),
    ("asin(2) = nan", Value.asin, torch.asin, [2.0]),
    ("asin(1) (slope inf)", Value.asin, torch.asin, [1.0]),
    ("acos(-1) (slope -inf)", Value.acos, torch.acos, [-1.0]),
    ("acos(-1.5) = nan", Value.acos, torch.acos, [-1.5]),
    ("asin(nan)", Value.asin, torch.asin, [NAN]),
    ("atan(inf)", Value.atan, torch.atan, [INF]),
    ("atan(-1e200) (slope 0)", Value.atan, torch.atan, [-1e200]),
    ("log1p(-1) = -inf", Value.log1p, torch.log1p, [-1.0]),
    ("log1p(-2) = nan", Value.log1p, torch.log1p, [-2.0]),
    ("log1p(1e-300)", Value.log1p, torch.log1p, [1e-300]),
    ("log1p(inf)", Value.log1p, torch.log1p, [INF]),
    ("expm1(1000) = inf", Value.expm1, torch.expm1, [1000.0]),
    ("expm1(-inf) = -1", Value.expm1, torch.expm1, [-INF]),
    ("expm1(1e-300)", Value.expm1, torch.expm1, [1e-300]),
    ("5 % 0 = nan", operator.mod, torch.remainder, [5.0, 0.0]),
    ("inf % 2 = nan", operator.mod, torch.remainder, [INF, 2.0]),
    ("-5 % inf = inf", operator.mod, torch.remainder, [-5.0, INF]),
    ("5 % inf = 5", operator.mod, torch.remainder, [5.0, INF]),
    ("-0.0 % 2 = -0.0", operator.mod, torch.remainder, [-0.0, 2.0]),
    ("1 % 0.1 (floor 9)", operator.mod, torch.remainder, [1.0, 0.1]),
    ("leaky_relu'(0) = 0.01", Value.leaky_relu, _NF.leaky_relu, [0.0]),
    ("leaky_relu(-inf)", Value.leaky_relu, _NF.leaky_relu, [-INF]),
    ("elu'(0) = 1", Value.elu, _NF.elu, [0.0]),
    ("elu(-inf) = -1", Value.elu, _NF.elu, [-INF]),
    ("gelu(-inf) = nan", Value.gelu, _gelu, [-INF]),
    ("gelu(-1e200)", Value.gelu, _gelu, [-1e200]),
    ("gelu(1e200)", Value.gelu, _gelu, [1e200]),
    ("gelu(-30)", Value.gelu, _gelu, [-30.0]),
    ("silu(-inf) = nan", Value.silu, _NF.silu, [-INF]),
    ("silu(-1000)", Value.silu, _NF.silu, [-1000.0]),
    ("silu(inf)", Value.silu, _NF.silu, [INF]),
    ("softplus(20) below the threshold", Value.softplus, _NF.softplus, [20.0]),
    ("softplus(20.5) = x", Value.softplus, _NF.softplus, [20.5]),
    ("softplus(-1000)", Value.softplus, _NF.softplus, [-1000.0]),
    ("softplus(inf)", Value.softplus, _NF.softplus, [INF]),
]


def _same(a, b):
    """Equal as IEEE values: nan matches nan, and zeros compare equal."""
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=4e-15)


@pytest.mark.parametrize("edge", EDGES, ids=[e[0] for e in EDGES])
def test_ieee_edge_case_matches_torch_double(edge):
    _, f, tf, xs = edge
    value, grads = _engine_value_and_grad(f, xs)  # never a Python exception
    assert type(value) is float and all(type(g) is float for g in grads)
    t_value, t_grads = _torch_value_and_grad(tf, xs)
    assert _same(value, t_value), (value, t_value)
    assert all(_same(g, t) for g, t in zip(grads, t_grads)), (grads, t_grads)


def test_named_edge_values_of_the_issue():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert (1 / Value(0.0)).data == math.inf
    assert Value(1000.0).exp().data == math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    for f in (Value.relu, abs):
        x = Value(0.0)
        f(x).backward()
        assert x.grad == 0.0


def test_ieee_agrees_with_math_where_math_answers():
    # math raises where IEEE answers inf/nan; where it answers, we agree exactly
    for x in (0.3, 1.0, 2.5, 700.0):
        assert Value(x).log().data == math.log(x)
        assert Value(x).sqrt().data == math.sqrt(x)
        assert Value(x).exp().data == math.exp(x)
    for x in (-3.0, 0.0, 0.4):
        assert Value(x).tanh().data == math.tanh(x)
        assert Value(x).sin().data == math.sin(x) and Value(x).cos().data == math.cos(x)
    assert (Value(2.0) ** 0.5).data == math.pow(2.0, 0.5)


UNARY = ["neg", "abs", "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt",
         "atan", "asin", "acos", "log1p", "expm1",
         "leaky_relu", "elu", "gelu", "silu", "softplus"]
_TORCH_UNARY = {
    "neg": torch.neg,
    "abs": torch.abs,
    "leaky_relu": _NF.leaky_relu,
    "elu": _NF.elu,
    "gelu": _gelu,
    "silu": _NF.silu,
    "softplus": _NF.softplus,
}
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


def _apply_unary(name, x):
    if name == "neg":
        return -x
    if name == "abs":
        return abs(x)
    return getattr(x, name)()


@pytest.mark.parametrize("name", UNARY)
@settings(max_examples=40)
@given(x=ANY_FLOAT)
def test_unary_op_on_any_float_never_raises_and_matches_torch(name, x):
    v = Value(x)
    out = _apply_unary(name, v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = _TORCH_UNARY.get(name, getattr(torch, name, None))(t)
    t_out.backward()
    assert _close(out.data, t_out.item(), rel=4e-15, abs_=0.0)
    if not (name == "relu" and math.isnan(x)):  # PyTorch passes the gradient through relu(nan)
        assert _close(v.grad, t.grad.item(), rel=1e-13, abs_=1e-15)


BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "%": operator.mod,
}


@pytest.mark.parametrize("symbol", sorted(BINARY))
@settings(max_examples=40)
@given(x=ANY_FLOAT, y=ANY_FLOAT)
def test_binary_op_on_any_floats_never_raises(symbol, x, y):
    f = BINARY[symbol]
    a, b = Value(x), Value(y)
    out = f(a, b)
    out.backward()
    assert type(out.data) is float and type(a.grad) is float and type(b.grad) is float
    with_constant = f(a, y)
    reflected = f(x, b)
    assert type(with_constant.data) is float and type(reflected.data) is float
    if symbol != "**":  # PyTorch's pow differs from C99 pow at some infinities
        ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        t_out = f(ta, tb)
        t_out.backward()
        assert _close(out.data, t_out.item(), rel=0.0, abs_=0.0)
        assert _close(a.grad, ta.grad.item(), rel=4e-15, abs_=0.0)
        assert _close(b.grad, tb.grad.item(), rel=4e-15, abs_=0.0)
