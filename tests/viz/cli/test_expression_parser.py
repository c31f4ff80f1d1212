"""The safe expression parser (viz.cli.expression): values and partials
against hand-derived formulas, the whitelist, the limits, and two Hypothesis
properties (random whitelisted expressions agree with an independent float
evaluator; random junk raises nothing but ExpressionError)."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff import Value
from autodiff.ops import UNARY_FUNCTIONS
from viz.cli.expression import (
    FUNCTIONS,
    MAX_EXPONENT,
    MAX_LENGTH,
    Expression,
    ExpressionError,
    parse,
)


def value_and_partials(text, **point):
    """Evaluate with our own leaves and return (value, {name: ∂f/∂name})."""
    leaves = {name: Value(v, label=name) for name, v in point.items()}
    out = parse(text).evaluate(leaves)
    out.backward()
    return out.data, {name: leaf.grad for name, leaf in leaves.items()}


# --------------------------------------------------------------------------
# Values and partials, against derivatives worked out by hand


def test_tanh_neuron_matches_hand_derivatives():
    x, w, b = 1.5, -2.0, 0.5
    value, g = value_and_partials("tanh(x*w + b)", x=x, w=w, b=b)
    t = math.tanh(x * w + b)
    assert value == pytest.approx(t, rel=1e-15)
    # d/dx tanh(xw+b) = w(1 - tanh²), d/dw = x(1 - tanh²), d/db = 1 - tanh²
    assert g["x"] == pytest.approx(w * (1 - t * t), rel=1e-12)
    assert g["w"] == pytest.approx(x * (1 - t * t), rel=1e-12)
    assert g["b"] == pytest.approx(1 - t * t, rel=1e-12)


def test_power_times_sine_matches_hand_derivatives():
    x, y = 1.3, -2.0
    value, g = value_and_partials("x**2 * sin(y)", x=x, y=y)
    assert value == pytest.approx(x**2 * math.sin(y), rel=1e-15)
    assert g["x"] == pytest.approx(2 * x * math.sin(y), rel=1e-12)
    assert g["y"] == pytest.approx(x**2 * math.cos(y), rel=1e-12)


@pytest.mark.parametrize(
    "text, x, expected_value, expected_grad",
    [
        ("exp(x)", 0.7, math.exp(0.7), math.exp(0.7)),
        ("log(x)", 2.5, math.log(2.5), 1 / 2.5),
        ("sqrt(x)", 2.25, 1.5, 1 / (2 * 1.5)),
        ("sigmoid(x)", 0.3, 1 / (1 + math.exp(-0.3)),
         (1 / (1 + math.exp(-0.3))) * (1 - 1 / (1 + math.exp(-0.3)))),
        ("relu(x)", -1.2, 0.0, 0.0),
        ("relu(x)", 1.2, 1.2, 1.0),
        ("abs(x)", -3.0, 3.0, -1.0),
        ("cos(x)", 0.4, math.cos(0.4), -math.sin(0.4)),
        ("-x", 2.0, -2.0, -1.0),
        ("+x", 2.0, 2.0, 1.0),
        ("1/x", 4.0, 0.25, -1 / 16),
        ("2**x", 3.0, 8.0, 8.0 * math.log(2.0)),
        ("x**x", 2.0, 4.0, 4.0 * (math.log(2.0) + 1.0)),
        ("x - 3*x + x/2", 2.0, -3.0, -1.5),
        ("(x + 1) * (x - 1)", 3.0, 8.0, 6.0),
    ],
)
def test_one_variable_functions(text, x, expected_value, expected_grad):
    value, g = value_and_partials(text, x=x)
    assert value == pytest.approx(expected_value, rel=1e-14, abs=1e-300)
    assert g["x"] == pytest.approx(expected_grad, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-x**2", -9.0),  # -(x**2), as Python reads it
        ("2**x**2", 2.0**9),  # right-associative
        ("x - 1 - 1", 1.0),  # left-associative
        ("x / 3 / 3", 1 / 3),
        ("x + 2 * x ** 2", 21.0),
        ("(-x)**2", 9.0),
        ("--x", 3.0),
    ],
)
def test_precedence_is_pythons(text, expected):
    assert parse(text)(x=3.0).data == pytest.approx(expected, rel=1e-15)


def test_variables_in_order_of_first_appearance():
    assert parse("b + x*w + x*b").variables == ("b", "x", "w")
    assert parse("tanh(x*w + b)").variables == ("x", "w", "b")
    assert parse("(y\n+ x)").variables == ("y", "x")
    assert parse("3 * 4").variables == ()


def test_a_reused_variable_is_one_leaf_and_its_partials_add_up():
    x = Value(3.0, label="x")
    out = parse("x*x + x")(x=x)
    out.backward()
    assert x.grad == 2 * 3.0 + 1  # d(x² + x)/dx = 2x + 1


def test_number_values_become_leaves_labelled_with_their_names():
    out = parse("x * y")(x=2, y=0.5)
    assert out.data == 1.0
    assert sorted(p.label for p in out.parents) == ["x", "y"]
    assert all(p.op == "" for p in out.parents)


def test_a_value_passed_in_is_used_as_is():
    w = Value(2.0, label="w⁽¹⁾₀₀")
    out = parse("w * 3")(w=w)
    assert out.parents[0] is w
    assert w.label == "w⁽¹⁾₀₀"


def test_values_by_mapping_and_keywords_are_the_same():
    f = parse("x - y")
    assert f({"x": 5.0}, y=2.0).data == 3.0
    assert f.evaluate(x=5.0, y=2.0).data == 3.0


def test_a_variable_may_be_called_self_or_values():
    assert parse("self + values")(self=1.0, values=2.0).data == 3.0


def test_constants_are_folded_and_constant_exponents_give_no_ln_term():
    out = parse("2*3*x")(x=Value(1.0))
    # 2*3 is folded: the root multiplies a 6.0 constant leaf by x
    assert out.op == "*"
    assert out.parents[0].data == 6.0 and out.parents[0].op == ""
    # x**2 with a negative x: the exponent is a number, so there is no
    # ln(x) term anywhere (which would be nan for x < 0)
    x = Value(-2.0, label="x")
    y = parse("x**2")(x=x)
    y.backward()
    assert x.grad == -4.0


def test_a_constant_expression_evaluates_to_a_leaf():
    out = parse("sin(0) + 2**3 - 1/4")()
    assert out.data == 8 - 0.25
    assert out.op == "" and out.parents == ()


def test_folding_follows_ieee_like_the_engine():
    assert parse("1/0")().data == math.inf
    assert math.isnan(parse("0/0")().data)
    assert parse("log(0)")().data == -math.inf
    assert parse("x + 1/0")(x=1.0).data == math.inf


def test_unicode_names_are_normalised_as_python_does():
    f = parse("ｘ + 1")  # Python's parser reads the full-width ｘ as x (NFKC)
    assert f.variables == ("x",)
    assert f({"ｘ": 2.0}).data == 3.0
    assert f(x=2.0).data == 3.0


def test_functions_come_from_the_op_table():
    assert set(FUNCTIONS) == set(UNARY_FUNCTIONS) | {"abs"}
    for name in FUNCTIONS:
        assert parse(f"{name}(x)").variables == ("x",)


def test_repr_and_text():
    f = parse("x + 1")
    assert isinstance(f, Expression)
    assert f.text == "x + 1"
    assert repr(f) == "Expression('x + 1')"


def test_a_long_flat_chain_needs_no_recursion():
    # 400 terms: a left-leaning tree 400 deep, compiled and run iteratively
    f = parse(" + ".join(["x"] * 400))
    x = Value(0.5, label="x")
    out = f(x=x)
    out.backward()
    assert out.data == 200.0
    assert x.grad == 400.0


# --------------------------------------------------------------------------
# What is rejected, and how


def rejected(text):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "text, words",
    [
        ("x +", ["syntax error", "column"]),
        ("(x", ["syntax error", "never closed"]),
        ("x y", ["syntax error", "column 3"]),
        ("x\n+ 1", ["syntax error", "line 2"]),
        ("x.real", ["attribute access", "allowed are", "tanh"]),
        ("().__class__", ["attribute access"]),
        ("x[0]", ["subscripts"]),
        ("tanh(x=1)", ["keyword arguments"]),
        ("tanh(*x)", ["starred"]),
        ("lambda: 1", ["lambdas"]),
        ("[x for x in y]", ["comprehensions"]),
        ("(x for x in y)", ["generator"]),
        ("x < y", ["comparisons"]),
        ("x and y", ["'and'/'or'"]),
        ("x if y else z", ["conditional"]),
        ("(x := 2)", ["assignment"]),
        ("x, y", ["tuples"]),
        ("[x]", ["lists"]),
        ("{x: 1}", ["dicts"]),
        ("f'{x}'", ["f-strings"]),
        ("x ^ 2", ["'^'", "use **"]),
        ("x // 2", ["'//'"]),
        ("x % 2", ["'%'"]),
        ("~x", ["'~'"]),
        ("not x", ["'not'"]),
        ("foo(x)", ["unknown function 'foo'", "abs, acos, asin, atan, cos"]),
        ("__import__('os')", ["unknown function '__import__'"]),
        ("tanh(x)(y)", ["only a function name can be called"]),
        ("exp", ["'exp' is a function"]),
        ("exp + 1", ["'exp' is a function"]),
        ("exp(x, y)", ["takes exactly 1 argument, got 2"]),
        ("exp()", ["takes exactly 1 argument, got 0"]),
        ("True", ["True is not a number"]),
        ("'a' + x", ["'a' is not a number"]),
        ("1j", ["1j is not a number"]),
        ("None", ["None is not a number"]),
        ("...", ["Ellipsis is not a number"]),
        ("1e400", ["out of the float range"]),
        ("1" + "0" * 400, ["out of the float range"]),
        ("", ["empty"]),
        ("   ", ["empty"]),
        ("x\x00", ["null byte"]),
    ],
)
def test_rejected_with_a_one_line_message(text, words):
    message = rejected(text)
    for word in words:
        assert word in message, (text, message)


def test_too_long():
    assert "too long" in rejected("x" * (MAX_LENGTH + 1))
    assert "10000" in rejected("x" * (MAX_LENGTH + 1))
    # exactly the limit is fine
    assert parse("x" * MAX_LENGTH).variables == ("x" * MAX_LENGTH,)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 300 + "x" + ")" * 300,
        "-" * 5000 + "x",
        "+".join(["x"] * 4000),
        "x**" * 3000 + "x",
        "tanh(" * 1000 + "x" + ")" * 1000,
    ],
)
def test_too_deep_is_an_expression_error_not_a_crash(text):
    message = rejected(text)
    assert "nested" in message or "syntax error" in message


@pytest.mark.parametrize(
    "text, exponent",
    [
        ("x**1001", "1001"),
        ("x**-1001", "-1001"),
        ("2**2**2**2**2", "65536"),  # the exponent 2**2**2**2 is too large
        ("9**9**9", "387420489"),
        ("x**(1/0)", "inf"),
        ("x**(0/0)", "nan"),
        ("x**2**10", "1024"),
    ],
)
def test_constant_exponents_are_bounded(text, exponent):
    message = rejected(text)
    assert f"exponent {exponent} is out of bounds" in message
    assert f"{MAX_EXPONENT:g}" in message


def test_exponents_at_the_bound_or_with_variables_are_allowed():
    assert parse("x**1000")(x=1.0).data == 1.0
    assert parse("x**-1000")(x=2.0).data == 2.0**-1000
    assert parse("2**10**3")().data == 2.0**1000  # exponent 1000: allowed
    # with a variable in the exponent, floats just overflow to inf
    assert parse("10**(y*1000)")(y=1.0).data == math.inf


def test_error_columns_count_characters_not_bytes():
    # "αβ" is 4 bytes in UTF-8 but 2 characters: the '.' call is at column 6
    message = rejected("αβ + é.real")
    assert "column 6" in message


def test_missing_extra_and_repeated_values():
    f = parse("x*y")
    with pytest.raises(ExpressionError, match=r"no value for variable 'y'"):
        f(x=1.0)
    with pytest.raises(ExpressionError, match=r"no value for variables 'x', 'y'"):
        f()
    with pytest.raises(ExpressionError, match=r"unknown variable 'z'.*variables are: x, y"):
        f(x=1.0, y=2.0, z=3.0)
    with pytest.raises(ExpressionError, match=r"'x' is given more than once"):
        f({"x": 1.0}, x=2.0, y=1.0)
    with pytest.raises(ExpressionError, match=r"given more than once"):
        f({"x": 1.0, "ｘ": 2.0, "y": 1.0})  # the full-width ｘ is x to Python


def test_bad_argument_types_are_type_errors():
    with pytest.raises(TypeError, match="expression must be a str"):
        parse(3)
    with pytest.raises(TypeError, match="the value of 'x' must be a real number"):
        parse("x")(x="1")
    with pytest.raises(TypeError, match="variable names must be str"):
        parse("x")({1: 2.0})
    with pytest.raises(TypeError, match="values must be a mapping"):
        parse("x")([2.0])


def test_expression_error_is_a_value_error():
    assert issubclass(ExpressionError, ValueError)


# --------------------------------------------------------------------------
# Property: random whitelisted expressions against an independent evaluator

# Each generated expression is a pair (text, fn) where fn(env) computes the
# same thing with plain floats and the math module; it raises (and the case
# is skipped) where math has no real answer.  Every sub-expression is
# parenthesised, so the text's meaning does not depend on precedence.


def _sigmoid(v):
    # the overflow-free textbook form: 1/(1 + e^-v), or e^v/(1 + e^v) for v < 0
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    return math.exp(v) / (1.0 + math.exp(v))


_ORACLE_FUNCTIONS = {
    "abs": abs,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
    "relu": lambda v: max(v, 0.0),
    "sigmoid": _sigmoid,
    "sin": math.sin,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
}

_VARIABLES = ("x", "y", "w")


def _number_text(n):
    return repr(n) if n >= 0 else f"({n!r})"


_variable = st.sampled_from(_VARIABLES).map(lambda name: (name, lambda env, n=name: env[n]))
_number = st.one_of(
    st.floats(-3.0, 3.0, allow_nan=False).map(lambda c: (_number_text(c), lambda env, c=c: c)),
    st.integers(0, 5).map(lambda i: (str(i), lambda env, i=i: float(i))),
)
# Three leaves in four are variables, so that most cases build a graph
# (parts without variables are folded to numbers when parsed).
_leaf = st.sampled_from(["variable", "variable", "variable", "number"]).flatmap(
    lambda kind: _variable if kind == "variable" else _number
)


def _extend(children):
    def binary(pair):
        (a, fa), op, (b, fb) = pair
        text = f"({a}) {op} ({b})"
        if op == "+":
            return text, lambda env: fa(env) + fb(env)
        if op == "-":
            return text, lambda env: fa(env) - fb(env)
        if op == "*":
            return text, lambda env: fa(env) * fb(env)
        if op == "/":
            return text, lambda env: fa(env) / fb(env)
        return text, lambda env: math.pow(fa(env), fb(env))

    def call(pair):
        name, (a, fa) = pair
        f = _ORACLE_FUNCTIONS[name]
        return f"{name}({a})", lambda env: f(fa(env))

    def negate(child):
        a, fa = child
        return f"-({a})", lambda env: -fa(env)

    return st.one_of(
        st.tuples(children, st.sampled_from("+-*/") | st.just("**"), children).map(binary),
        st.tuples(st.sampled_from(sorted(_ORACLE_FUNCTIONS)), children).map(call),
        children.map(negate),
    )


_expressions = st.recursive(_leaf, _extend, max_leaves=12)
_points = st.fixed_dictionaries(
    {name: st.floats(-2.0, 2.0, allow_nan=False) for name in _VARIABLES}
)


def _first_appearance(text):
    """The variable names in the order they first appear in ``text``."""
    words = (m.group() for m in re.finditer(r"[A-Za-z_]\w*", text))
    return tuple(dict.fromkeys(w for w in words if w in _VARIABLES))


@given(_expressions, _points)
def test_random_expressions_match_an_independent_float_evaluator(expr, point):
    text, oracle = expr
    try:
        expected = oracle(point)
    except (ValueError, ZeroDivisionError, OverflowError):
        # math has no real answer here (the engine gives IEEE inf/nan instead)
        try:
            parse(text)
        except ExpressionError as err:  # only the exponent bound may refuse it
            assert "exponent" in str(err)
        return
    try:
        f = parse(text)
    except ExpressionError as err:
        # a constant exponent beyond the bound is the only allowed refusal
        assert "exponent" in str(err) and "out of bounds" in str(err)
        return
    assert f.variables == _first_appearance(text)
    values = {name: point[name] for name in f.variables}
    got = f(values).data
    if math.isnan(expected):
        assert math.isnan(got)
    elif math.isinf(expected):
        assert got == expected
    else:
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-300), (text, point)


# --------------------------------------------------------------------------
# Property: junk never raises anything but ExpressionError

_junk_alphabet = st.sampled_from(
    list("xyzw0123456789.+-*/()[]{},:;=<>!&|^%~@'\"\\ _eEjJ#\n\t")
    + ["tanh", "exp", "log", "lambda", "for", "in", "if", "else", "import", "**", "//", "α", "₁"]
)


@given(st.lists(_junk_alphabet, max_size=30).map("".join))
def test_junk_from_expression_like_tokens_raises_only_expression_error(text):
    try:
        f = parse(text)
    except ExpressionError as err:
        assert "\n" not in str(err)
        return
    # accepted: it must then evaluate (IEEE results, no exceptions) to a Value
    out = f({name: 0.5 for name in f.variables})
    assert isinstance(out, Value)


@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_expression_error(text):
    try:
        f = parse(text)
    except ExpressionError as err:
        assert "\n" not in str(err)
        return
    assert isinstance(f({name: 1.0 for name in f.variables}), Value)


def test_the_depth_limit_is_the_same_on_every_python():
    # Python's own parser gives up at different depths from version to
    # version; the command's limit, MAX_DEPTH, decides first.
    from viz.cli.expression import MAX_DEPTH, parse

    deep_enough = "-" * (MAX_DEPTH - 3) + "x"
    assert parse(deep_enough).evaluate({"x": 2.0}).data == 2.0 * (-1.0) ** (MAX_DEPTH - 3)
    long_sum = "+".join(["x"] * (MAX_DEPTH - 2))
    assert parse(long_sum).evaluate({"x": 1.0}).data == MAX_DEPTH - 2
    too_deep = "-" * (MAX_DEPTH + 1) + "x"
    assert f"more than {MAX_DEPTH} levels" in rejected(too_deep)
