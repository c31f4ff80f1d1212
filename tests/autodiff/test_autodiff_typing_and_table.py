"""The engine's shape: user code type-checks, every function op of the table
is a method and a function, imports between the engine's modules point one
way, and the one chain-rule walk serves grad() as backward() (stop_at,
anomalies, nesting)."""

import ast
import importlib
import math
import pathlib
import sys
import textwrap
import threading

import pytest

import autodiff
from autodiff import AnomalyError, Value, detect_anomaly
from autodiff import value as value_module
from autodiff.ops import OPS, UNARY_FUNCTIONS, Op

PACKAGE = pathlib.Path(autodiff.__file__).parent


# -- type checking of user code ---------------------------------------------

USER_CODE = """\
import autodiff
from autodiff import Value, dot, grad, sum

x = Value(2.0, label="x")
w = Value(-1.0)
y = (x * w + 1.0).tanh() ** 2 - 3 / Value(2.0) + 2 ** Value(1.0)
z = 1 - x + 2.5 * w - x / 4 + (-x) ** 3 + abs(w) + x ** w
r = x.exp() + x.log() + x.sigmoid() + x.relu() + x.sin() + x.cos() + x.sqrt() + x.abs()
f = autodiff.tanh(x) + autodiff.exp(1.0) + autodiff.relu(2)
s: Value = sum([x, w, 1.0, 2]) + dot([x, w], [1.0, x], 0.5)
ordered: bool = (x < w) or (x >= 1.0) or (2 > x) or (x <= 3)
y.backward()
g: float = x.grad + float(y)
first: list[float] = grad(y, [x, w])
again: list[Value] = grad(y, x, create_graph=True)
second: list[float] = grad(again[0], [x])
stopped = grad(y, x, stop_at=w)[0] + 1.0
"""


def _mypy(args):
    """mypy.api.run(args), restoring the recursion limit mypy raises."""
    api = pytest.importorskip("mypy.api", reason="the type checker is the oracle")
    limit = sys.getrecursionlimit()
    try:
        return api.run(args)
    finally:
        sys.setrecursionlimit(limit)


def test_user_code_type_checks(tmp_path):
    user = tmp_path / "user.py"
    user.write_text(USER_CODE)
    config = tmp_path / "mypy.ini"
    config.write_text(
        textwrap.dedent(
            f"""\
            [mypy]
            python_version = 3.11
            mypy_path = {PACKAGE.parent}
            strict_optional = True
            warn_unused_ignores = True
            """
        )
    )
    out, err, status = _mypy(
        [str(user), "--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    )
    assert status == 0, out + err


def test_a_wrong_operand_is_a_type_error_for_the_checker_too(tmp_path):
    user = tmp_path / "wrong.py"
    user.write_text('from autodiff import Value\ny = Value(1.0) * "2"\n')
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\nmypy_path = {PACKAGE.parent}\n")
    out, _, status = _mypy(
        [str(user), "--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    )
    assert status == 1 and "wrong.py:2" in out and "operand" in out


# -- the table's functions ----------------------------------------------------


def test_every_function_op_is_a_method_and_a_function():
    function_ops = [op for op in OPS.values() if op.function]
    assert [op.name for op in function_ops] == list(UNARY_FUNCTIONS)
    assert {"exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs"} <= set(
        UNARY_FUNCTIONS
    )
    for op in function_ops:
        assert op.arity == 1
        assert op.name in vars(Value), f"Value.{op.name} is not declared in the class body"
        assert op.name in autodiff.__all__
        function = getattr(autodiff, op.name)
        assert function is getattr(value_module, op.name)
        x = 0.7
        expected = op.forward(x)  # the table's own forward, by the entry
        for out in (getattr(Value(x), op.name)(), function(Value(x)), function(x)):
            assert out.data == expected and out.op == op.symbol
            assert len(out.parents) == 1 and out.parents[0].data == x


def test_only_one_input_ops_can_be_functions():
    with pytest.raises(ValueError, match="one-input"):
        Op("atan2", 2, math.atan2, lambda F, x, y, r: (0.0, 0.0), function=True)


def test_install_makes_a_method_and_a_function_for_a_new_op():
    # d asinh(x)/dx = 1/√(1 + x²)
    asinh = Op("asinh", 1, math.asinh, lambda F, x, r: (F.div(1.0, F.sqrt(1.0 + x * x)),), ("any",))
    try:
        function = value_module._install(asinh)
        x = Value(0.5)
        y = x.asinh() * 2.0 + function(x)
        y.backward()
        assert y.data == pytest.approx(3 * math.asinh(0.5), abs=1e-15)
        assert x.grad == pytest.approx(3 / math.sqrt(1.25), abs=1e-15)
        assert value_module.asinh is function and function(0.5).data == math.asinh(0.5)
        with pytest.raises(ValueError, match="not free"):
            value_module._install(asinh)
    finally:
        if "asinh" in vars(Value):
            delattr(Value, "asinh")
        vars(value_module).pop("asinh", None)
    with pytest.raises(ValueError, match="not free"):
        value_module._install(Op("data", 1, abs, lambda F, x, r: (1.0,)))
    with pytest.raises(ValueError, match="one-input"):
        value_module._install(OPS["*"])


# -- imports between the engine's modules -------------------------------------


def _engine_imports(path):
    """(module-level imports of sibling modules, imports of them inside functions)."""
    tree = ast.parse(path.read_text())
    top, inner = set(), []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        internal = node.level > 0 or (node.module or "").split(".")[0] == "autodiff"
        if not internal:
            continue
        names = [node.module] if node.module else [a.name for a in node.names]
        if node in tree.body:
            top.update(n.split(".")[0] for n in names)
        else:
            inner.append((path.name, node.lineno))
    return top, inner


def test_engine_imports_point_one_way_and_none_hides_in_a_function():
    modules = {
        p.stem: p
        for p in PACKAGE.glob("*.py")
        if p.stem not in ("__init__", "expression")  # expression: an application
    }
    graph = {}
    for name, path in modules.items():
        top, inner = _engine_imports(path)
        assert not inner, f"imports inside functions: {inner}"
        graph[name] = top & set(modules)
    assert "value" not in graph["backprop"]
    assert "backprop" in graph["value"]
    # no cycle: repeatedly remove the modules that import nothing left
    remaining = dict(graph)
    while remaining:
        free = [m for m, deps in remaining.items() if not deps & set(remaining)]
        assert free, f"an import cycle among {sorted(remaining)}"
        for m in free:
            del remaining[m]
    for path in (PACKAGE / "testing").glob("*.py"):
        assert not _engine_imports(path)[1]


def test_testing_is_a_package_of_three_modules():
    # by import_module: the package's name `expressions` is the strategy
    strategies, expressions, oracles = (
        importlib.import_module(f"autodiff.testing.{name}")
        for name in ("strategies", "expressions", "oracles")
    )
    assert strategies.floats_in is autodiff.testing.floats_in
    assert expressions.RandomExpression is autodiff.testing.RandomExpression
    assert oracles.assert_gradients_close is autodiff.testing.assert_gradients_close


# -- grad() on the one walk -------------------------------------------------------


def test_an_input_reached_only_through_a_stop_gets_zero_even_behind_an_infinite_slope():
    x = Value(0.0)
    s = x.sqrt()  # d√x/dx = inf at 0
    y = s * 2.0
    assert autodiff.grad(y, x, stop_at=s) == [0.0]  # not 0·inf = nan
    z = y + x * 3.0
    assert autodiff.grad(z, [x, s], stop_at=[s]) == [3.0, 2.0]
    assert autodiff.grad(s, [s, x], stop_at=s) == [1.0, 0.0]  # the root is a stop
    (g,) = autodiff.grad(z, x, create_graph=True, stop_at=s)
    assert isinstance(g, Value) and g.data == 3.0


def test_grad_leaves_every_grad_and_reads_no_stale_sums():
    x, w = Value(1.5), Value(-2.0)
    y = (x * w).tanh() + x
    x.grad, w.grad, y.grad = 0.25, -4.0, 9.0
    t = math.tanh(-3.0)
    assert autodiff.grad(y, [x, w]) == pytest.approx([(1 - t * t) * -2.0 + 1.0, (1 - t * t) * 1.5])
    assert (x.grad, w.grad, y.grad) == (0.25, -4.0, 9.0)
    other = Value(7.0)
    (other * other).backward()  # leaves a sum in other's slot
    assert autodiff.grad(y, [other, x])[0] == 0.0
    assert autodiff.grad(y, [other], create_graph=True)[0].data == 0.0


def test_grad_under_detect_anomaly_names_the_op_in_both_modes():
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt() * 0.0  # backward: 0 · (d√x/dx = inf) = nan
        for create_graph in (False, True):
            with pytest.raises(AnomalyError, match="sqrt"):
                autodiff.grad(y, x, create_graph=create_graph)
        with pytest.raises(AnomalyError, match="sqrt"):
            y.backward()


def test_a_rule_that_asks_for_a_gradient_inside_a_pass_does_not_deadlock():
    def partials(F, x, r):
        # the derivative of x³ by the engine itself, on its own small graph
        leaf = Value(F.value(x))
        (d,) = autodiff.grad(leaf * leaf * leaf, leaf)
        return (d,)

    cube = Op("cube", 1, lambda x: x**3, partials, ("any",))
    result = {}

    def run():
        x = Value(2.0)
        y = value_module.apply(cube, (x,)) * 5.0
        result["grad"] = autodiff.grad(y, x)
        y.backward()
        result["backward"] = x.grad
        with detect_anomaly():
            result["anomaly"] = autodiff.grad(y, x)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "a nested pass deadlocked"
    assert result == {"grad": [60.0], "backward": 60.0, "anomaly": [60.0]}


def test_third_derivative_by_nested_create_graph():
    x = Value(0.3)
    y = x.sin() * x
    (d1,) = autodiff.grad(y, x, create_graph=True)
    (d2,) = autodiff.grad(d1, x, create_graph=True)
    (d3,) = autodiff.grad(d2, x)
    # (x sin x)''' = -3 sin x - x cos x, by hand
    assert d3 == pytest.approx(-3 * math.sin(0.3) - 0.3 * math.cos(0.3), abs=1e-12)
