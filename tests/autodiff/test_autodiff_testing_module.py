"""`autodiff.testing` itself: its strategies keep their promises, its assertion
fails when it should, and Hypothesis stays an optional dependency."""

import math
import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
import autodiff.testing as adt
from autodiff import Value
from autodiff.ops import OPS
from autodiff.testing import (
    BOUND,
    DOMAINS,
    MARGIN,
    RandomExpression,
    assert_gradients_close,
    expressions,
    floats_in,
    points,
)

# -- Hypothesis (and PyTorch) stay optional ----------------------------------


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_importing_autodiff_does_not_import_hypothesis_or_torch():
    result = _run(
        """
        import sys
        import autodiff
        x = autodiff.Value(2.0)
        (x * x).backward()
        print(sorted(m for m in ("hypothesis", "torch") if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_autodiff_works_without_hypothesis_and_testing_says_what_is_missing():
    result = _run(
        """
        import sys

        class NoHypothesis:
            def find_spec(self, name, path=None, target=None):
                if name == "hypothesis" or name.startswith("hypothesis."):
                    raise ImportError("hypothesis is not installed")
                return None

        sys.meta_path.insert(0, NoHypothesis())
        import autodiff
        assert autodiff.gradcheck(lambda x: x.exp(), [0.5])
        try:
            import autodiff.testing
        except ImportError as err:
            print("ImportError:", err)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "ImportError" in result.stdout and "Hypothesis" in result.stdout


def test_testing_imports_torch_only_for_the_torch_oracle():
    result = _run(
        """
        import sys
        from autodiff.testing import assert_gradients_close
        assert_gradients_close(lambda x: x.sin(), [0.3])
        print("torch" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# -- floats_in and points ----------------------------------------------------


def _inside(domain, x, margin=MARGIN, bound=3.0):
    if not (math.isfinite(x) and abs(x) <= bound):
        return False
    if domain == "positive":
        return x >= margin
    if domain in ("nonzero", "nonkink"):
        return abs(x) >= margin
    return True


@pytest.mark.parametrize("domain", DOMAINS)
@given(data=st.data())
def test_floats_in_stays_inside_its_domain(domain, data):
    x = data.draw(floats_in(domain))
    assert _inside(domain, x)
    y = data.draw(floats_in(domain, bound=10.0, margin=0.5))
    assert _inside(domain, y, margin=0.5, bound=10.0)


@given(st.data())
def test_points_follow_per_coordinate_domains(data):
    domains = ("positive", "any", "nonzero", "nonkink")
    xs = data.draw(points(4, domains))
    assert isinstance(xs, list) and len(xs) == 4
    assert all(_inside(d, x) for d, x in zip(domains, xs))
    assert data.draw(points(0)) == []
    op = OPS["/"]
    ys = data.draw(points(op.arity, op.domain))
    assert abs(ys[1]) >= MARGIN


def test_points_and_floats_in_reject_bad_arguments():
    with pytest.raises(ValueError, match="domain must be one of"):
        floats_in("negative")
    with pytest.raises(ValueError, match="margin"):
        floats_in("any", bound=1.0, margin=2.0)
    with pytest.raises(TypeError, match="str"):
        floats_in("any", bound="3")
    with pytest.raises(ValueError, match=">= 0"):
        points(-1)
    with pytest.raises(TypeError, match="n must be an int"):
        points("2")
    with pytest.raises(ValueError, match="n=3"):
        points(3, ("any", "any"))
    with pytest.raises(ValueError, match="domain must be one of"):
        points(2, ("any", "bogus"))


# -- expressions ---------------------------------------------------------------

_BY_SYMBOL = {}
for _op in OPS.values():
    _BY_SYMBOL.setdefault(_op.symbol, []).append(_op)


def _domains_for(node):
    """The per-input domains of the table entry that made ``node``."""
    candidates = _BY_SYMBOL[node.op]
    # "**" and "**c" share a symbol; they must then agree on the domains
    assert len({c.domain for c in candidates}) == 1
    op = candidates[0]
    return [op.domain[i] if i < len(op.domain) else op.domain[-1] for i in range(len(node.parents))]


@given(st.integers(1, 4).flatmap(lambda n: expressions(n_inputs=n)))
def test_expressions_are_valid_at_their_point(expr):
    assert len(expr.point) == expr.n_inputs
    xs = [Value(x) for x in expr.point]
    out = expr(*xs)
    nodes = autodiff.topological_order(out)
    # every input is used
    assert all(any(n is x for n in nodes) for x in xs)
    for node in nodes:
        assert math.isfinite(node.data)
        if not node.parents:
            continue
        for parent, domain in zip(node.parents, _domains_for(node)):
            assert _inside(domain, parent.data, bound=math.inf), (node.op, domain, parent.data)
        if node.op != "+":  # only "+" joins the loose ends at the end, unbounded
            assert abs(node.data) <= BOUND
    # the ops recorded are the ops listed
    assert {n.op for n in nodes if n.parents} == {OPS[name].symbol for name in expr.ops_used}


@given(st.integers(1, 3).flatmap(lambda n: expressions(n_inputs=n)))
def test_expression_formula_evaluates_to_the_same_value(expr):
    functions = (*autodiff.UNARY_FUNCTIONS, "sum", "dot")
    namespace = {name: getattr(autodiff, name) for name in functions}
    namespace["abs"] = abs
    namespace.update({f"x{i}": Value(x) for i, x in enumerate(expr.point)})
    *bindings, body = expr.formula.split("; ")
    for binding in bindings:
        exec(binding, namespace)
    value = eval(body, namespace)
    assert value.data == expr(*expr.point).data
    text = repr(expr)
    assert text.startswith("RandomExpression(")
    assert expr.formula in text and repr(expr.point) in text


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=10)
@given(data=st.data())
def test_expressions_can_be_asked_for_one_op(name, data):
    expr = data.draw(expressions(n_inputs=2, max_ops=3, ops=[name]))
    assert name in expr.ops_used
    assert expr.ops_used <= {name, "+", "*"}  # repairs and joins use + and *


def test_expressions_cover_the_whole_table_by_default():
    seen = set()

    @settings(max_examples=400, derandomize=True, database=None)
    @given(expressions(n_inputs=2, max_ops=8))
    def collect(expr):
        seen.update(expr.ops_used)

    collect()
    assert seen == set(OPS)


def test_expressions_reject_bad_arguments():
    with pytest.raises(ValueError, match="n_inputs must be >= 1"):
        expressions(n_inputs=0)
    with pytest.raises(TypeError, match="max_ops must be an int"):
        expressions(max_ops="3")
    with pytest.raises(ValueError, match="unknown.*'nope'"):
        expressions(ops=["log", "nope"])
    with pytest.raises(TypeError, match="list of op names"):
        expressions(ops="log")
    with pytest.raises(ValueError, match="non-empty"):
        expressions(ops=[])


def test_random_expression_call_checks_its_arity():
    expr = RandomExpression(2, [0.5, 1.5], [("*", (0, 1)), ("log", (2,))])
    assert expr.formula == "log(x0 * x1)"
    assert expr(0.5, 1.5).data == math.log(0.75)
    assert expr.ops_used == frozenset({"*", "log"})
    with pytest.raises(TypeError, match="takes 2 inputs, got 1"):
        expr(Value(1.0))


def test_formula_names_shared_nodes_and_shows_constants():
    # nodes: 0 = x0, 1 = x0 + 2.5 (used three times, so named), 2 = t1 * t1,
    # 3 = -1.5 / t1, 4 = 3 ** 2.0, 5 = neg, 6 = sum
    steps = [
        ("+", (0, 2.5)),
        ("*", (1, 1)),
        ("/", (-1.5, 1)),
        ("**c", (3, 2.0)),
        ("neg", (2,)),
        ("sum", (4, 5, 0.5)),
    ]
    expr = RandomExpression(1, [0.5], steps)
    assert expr.formula == "t1 = x0 + 2.5; sum([((-1.5) / t1) ** 2.0, -(t1 * t1), 0.5])"


# -- assert_gradients_close ----------------------------------------------------


def test_assertion_returns_the_engine_gradients():
    g = assert_gradients_close(lambda x, y: x * y.exp(), [2.0, 0.5])
    assert g == pytest.approx([math.exp(0.5), 2.0 * math.exp(0.5)], rel=1e-15)
    h = assert_gradients_close(lambda x, y: x * y.exp(), [2.0, 0.5], order=2)
    expected = [[0.0, math.exp(0.5)], [math.exp(0.5), 2.0 * math.exp(0.5)]]
    assert len(h) == 2 and all(row == pytest.approx(e, rel=1e-15) for row, e in zip(h, expected))


def _missing_path(x, y):
    return x * x.detach() + y  # the engine sees d/dx = x; the slope is 2x


def test_assertion_fails_with_a_table_against_central_differences():
    with pytest.raises(AssertionError) as info:
        assert_gradients_close(_missing_path, [1.5, -2.0])
    message = str(info.value)
    assert "1 of 2 order-1 derivatives" in message and "central" in message
    lines = message.splitlines()
    row0 = next(line for line in lines if "d/dx0" in line)
    row1 = next(line for line in lines if "d/dx1" in line)
    assert "<- mismatch" in row0
    x, engine, central, diff = [float(v) for v in row0.split()[1:5]]
    assert (x, engine) == (1.5, 1.5) and central == pytest.approx(3.0, rel=1e-6)
    assert "<- mismatch" not in row1


class _Twin:
    """Engine function with a (different) PyTorch twin."""

    def __init__(self, f, torch_f):
        self.f, self.torch = f, torch_f

    def __call__(self, *values):
        return self.f(*values)


def test_assertion_fails_against_torch_when_the_functions_differ():
    pytest.importorskip("torch", reason="the torch oracle")
    twin = _Twin(lambda x: x * x.detach(), lambda x: x * x)
    with pytest.raises(AssertionError, match=r"(?s)torch oracle.*d/dx0.*<- mismatch"):
        assert_gradients_close(twin, [1.5], oracle="torch")
    second = _Twin(lambda x: x**3, lambda x: x**3 + x * x)  # same nowhere at order 2
    with pytest.raises(AssertionError, match=r"(?s)order-2.*d2/dx0dx0.*<- mismatch"):
        assert_gradients_close(second, [1.0], oracle="torch", order=2)


def test_assertion_torch_oracle_calls_a_plain_function_on_tensors():
    pytest.importorskip("torch", reason="the torch oracle")
    f = lambda x, y: (x * y).tanh() + abs(y) ** 2.5  # noqa: E731
    g = assert_gradients_close(f, [0.3, -1.2], oracle="torch")
    assert len(g) == 2
    with pytest.raises(TypeError, match="torch tensors"):
        assert_gradients_close(lambda x, y: autodiff.sum([x, y]), [0.3, 1.0], oracle="torch")


def test_assertion_tolerances_and_arguments():
    assert_gradients_close(_missing_path, [1.0, 0.0], atol=1.01, rtol=0.0)  # |1 - 2| within atol
    with pytest.raises(ValueError, match="oracle"):
        assert_gradients_close(_missing_path, [1.0, 0.0], oracle="exact")
    with pytest.raises(ValueError, match="order"):
        assert_gradients_close(_missing_path, [1.0, 0.0], order=3)
    with pytest.raises(TypeError, match=r"xs\[1\].*str"):
        assert_gradients_close(_missing_path, [1.0, "0"])
    with pytest.raises(TypeError, match="f must return a Value"):
        assert_gradients_close(lambda x: 1.0, [1.0])
    with pytest.raises(TypeError, match="callable"):
        assert_gradients_close(3, [1.0])


def test_assertion_treats_matching_infinities_and_nans_as_equal():
    pytest.importorskip("torch", reason="the torch oracle")
    assert assert_gradients_close(lambda x: x.sqrt(), [0.0], oracle="torch") == [math.inf]


def test_module_docstring_examples_run():
    pytest.importorskip("torch", reason="the second example uses the torch oracle")
    blocks = re.findall(r"\n\n((?:    .*\n|\n)+)", adt.__doc__)
    code = [textwrap.dedent(b) for b in blocks if "import" in b]
    assert len(code) == 2
    namespace = {}
    for block in code:
        exec(block, namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()


def test_random_expression_checks_its_steps():
    with pytest.raises(ValueError, match="unknown op 'atan2'"):
        RandomExpression(1, [0.5], [("atan2", (0, 0))])
    with pytest.raises(ValueError, match="node 1 is not an earlier node"):
        RandomExpression(1, [0.5], [("*", (0, 1))])
    with pytest.raises(TypeError, match="constant.*str"):
        RandomExpression(1, [0.5], [("+", (0, "2"))])
    with pytest.raises(ValueError, match="n_inputs=2"):
        RandomExpression(2, [0.5], [("+", (0, 1))])


def test_dot_with_bias_in_expressions():
    expr = RandomExpression(2, [0.5, -1.0], [("dot", (0, 1, 1, 0, 2.0))])
    assert expr.formula == "dot([x0, x1], [x1, x0], 2.0)"
    assert expr(0.5, -1.0).data == 0.5 * -1.0 + -1.0 * 0.5 + 2.0
    assert_gradients_close(expr, expr.point)
    pytest.importorskip("torch", reason="the torch oracle")
    assert_gradients_close(expr, expr.point, oracle="torch", order=2)


def test_a_new_table_entry_is_drawn_and_checked_without_edits(monkeypatch):
    # An op added to the table, with no Value method and no special case in
    # autodiff.testing, is drawn by the strategies and checked by both oracles.
    from autodiff.ops import Op

    atan = Op("atan", 1, math.atan, lambda F, x, r: (F.div(1.0, 1.0 + x * x),), ("any",))
    monkeypatch.setitem(OPS, "atan", atan)
    seen = []

    @settings(max_examples=15, derandomize=True, database=None)
    @given(expressions(n_inputs=2, max_ops=3, ops=["atan"]))
    def check(expr):
        assert "atan" in expr.ops_used and "atan(" in expr.formula
        seen.append(expr)
        assert_gradients_close(expr, expr.point)
        if _has_torch():
            assert_gradients_close(expr, expr.point, oracle="torch", order=2)

    check()
    assert seen


def _has_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
