"""no_grad (context, decorator, threads), detect_anomaly (forward and
backward), numerical_grad and gradcheck."""

import math
import threading

import pytest

import autodiff
from autodiff import AnomalyError, GradcheckError, Value, detect_anomaly, no_grad

# -- no_grad -----------------------------------------------------------------


def test_no_grad_makes_leaves_and_backward_does_not_reach_through():
    x = Value(2.0)
    with no_grad():
        assert autodiff.is_grad_enabled() is False
        y = x * x + 1
        s = autodiff.sum([x, y])
        d = autodiff.dot([x], [y])
        f = autodiff.tanh(x)
    assert autodiff.is_grad_enabled() is True
    for v in (y, s, d, f):
        assert v.op == "" and v.parents == ()
    assert (y.data, s.data, d.data, f.data) == (5.0, 7.0, 10.0, math.tanh(2.0))
    z = y * x  # recording again
    assert z.parents == (y, x)
    z.backward()
    assert x.grad == 5.0 and y.grad == 2.0


def test_no_grad_nests_and_restores_after_an_exception():
    with no_grad():
        with no_grad():
            assert not autodiff.is_grad_enabled()
        assert not autodiff.is_grad_enabled()
    assert autodiff.is_grad_enabled()
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("inside")
    assert autodiff.is_grad_enabled()
    assert (Value(1.0) * 2).op == "*"


def test_no_grad_as_a_decorator():
    @no_grad()
    def square(v, depth=0):
        assert not autodiff.is_grad_enabled()
        if depth < 2:
            square(v, depth + 1)  # re-entering keeps it off
        return v * v

    x = Value(3.0)
    y = square(x)
    assert y.data == 9.0 and y.parents == ()
    assert autodiff.is_grad_enabled()
    assert (x * x).parents == (x, x)


def test_no_grad_is_thread_local():
    inside = threading.Event()
    checked = threading.Event()
    seen = {}

    def worker_without_grad():
        with no_grad():
            inside.set()
            checked.wait(timeout=30)
            seen["worker"] = (Value(1.0) + 1).parents

    worker = threading.Thread(target=worker_without_grad)
    worker.start()
    assert inside.wait(timeout=30)
    # The worker is inside no_grad right now; this thread still records.
    x = Value(1.0)
    y = x + 1
    seen["main"] = y.parents
    checked.set()
    worker.join(timeout=30)
    assert seen["main"] == (y.parents[0], y.parents[1]) and seen["main"][0] is x
    assert seen["worker"] == ()


def test_a_new_thread_records_even_when_its_creator_is_in_no_grad():
    result = {}

    def worker():
        result["enabled"] = autodiff.is_grad_enabled()
        result["parents"] = len((Value(1.0) * 3).parents)

    with no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join(timeout=30)
    assert result == {"enabled": True, "parents": 2}


# -- detect_anomaly ----------------------------------------------------------


@pytest.mark.parametrize(
    "make, op, shown",
    [
        (lambda: Value(-1.0).log(), "log", "-1.0"),
        (lambda: Value(-4.0).sqrt(), "sqrt", "-4.0"),
        (lambda: Value(0.0) / Value(0.0), "/", "0.0"),
        (lambda: Value(math.inf) - math.inf, "-", "inf"),
        (lambda: Value(math.inf) * 0.0, "*", "inf"),
        (lambda: Value(-8.0) ** (1 / 3), "**", "-8.0"),
        (lambda: autodiff.sum([Value(math.inf), -math.inf]), "sum", "inf"),
        (lambda: autodiff.dot([Value(math.inf)], [0.0]), "dot", "inf"),
        (lambda: Value(math.inf).sin(), "sin", "inf"),
    ],
)
def test_detect_anomaly_raises_at_the_op_making_a_nan(make, op, shown):
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            make()
    message = str(info.value)
    assert repr(op) in message or f" {op} " in message
    assert shown in message
    # Outside the mode the same op quietly gives nan.
    assert math.isnan(make().data)


def test_anomaly_error_is_an_arithmetic_error():
    assert issubclass(AnomalyError, ArithmeticError)


def test_detect_anomaly_allows_infinities():
    with detect_anomaly():
        assert Value(0.0).log().data == -math.inf
        assert (1 / Value(0.0)).data == math.inf
        assert Value(1000.0).exp().data == math.inf


def test_detect_anomaly_backward_names_the_op_whose_gradient_is_nan():
    # |x| written as sqrt(x*x): at 0, sqrt'(0) = inf reaches "*", whose local
    # derivative is x = 0: inf * 0 = nan.  PyTorch gives the same nan.
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for the nan")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.sqrt(t * t).backward()
    assert math.isnan(t.grad.item())

    x = Value(0.0)
    y = (x * x).sqrt()
    y.backward()
    assert math.isnan(x.grad)  # without the mode: a quiet nan, as in PyTorch
    x.grad = 0.0
    with detect_anomaly():
        y = (x * x).sqrt()
        with pytest.raises(AnomalyError, match=r"'\*'.*0\.0") as info:
            y.backward()
    assert "backward" in str(info.value)


def test_detect_anomaly_backward_zero_times_infinite_derivative():
    # sqrt(x) * 0 at x = 0: forward is fine (0), backward is 0 * inf in sqrt.
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt() * 0.0
        assert y.data == 0.0
        with pytest.raises(AnomalyError, match="sqrt"):
            y.backward()
        with pytest.raises(AnomalyError, match="sqrt"):
            autodiff.grad(y, [x])


def test_detect_anomaly_as_a_decorator_and_restored_after():
    @detect_anomaly()
    def f():
        return Value(-1.0).log()

    with pytest.raises(AnomalyError):
        f()
    assert math.isnan(Value(-1.0).log().data)


def test_detect_anomaly_inside_no_grad_still_checks_forward():
    with no_grad(), detect_anomaly():
        with pytest.raises(AnomalyError, match="log"):
            Value(-2.0).log()
        assert autodiff.is_grad_enabled() is False


def test_results_in_detect_anomaly_are_still_recorded():
    x = Value(2.0)
    with detect_anomaly():
        y = x * x + x.exp()
        y.backward()
    assert y.op == "+" and x.grad == pytest.approx(4.0 + math.exp(2.0), rel=1e-15)


# -- numerical_grad and gradcheck --------------------------------------------


def test_numerical_grad_is_central_differences():
    calls = []

    def f(x, y):
        calls.append((type(x), type(y), autodiff.is_grad_enabled()))
        return x * y + x.exp()

    g = autodiff.numerical_grad(f, [0.5, -2.0])
    assert g == pytest.approx([-2.0 + math.exp(0.5), 0.5], rel=1e-8)
    assert len(calls) == 4 and all(c == (Value, Value, False) for c in calls)


def test_numerical_grad_uses_the_given_eps():
    # for x^3 the central difference is 3x^2 + eps^2 exactly (in exact arithmetic)
    g = autodiff.numerical_grad(lambda x: x**3, [1.0], eps=0.1)
    assert g[0] == pytest.approx(3.0 + 0.01, rel=1e-12)


def test_gradcheck_passes_for_correct_gradients():
    assert autodiff.gradcheck(lambda x, y: (x * y).tanh() + y.log(), [0.3, 1.7]) is True


def test_gradcheck_raises_with_both_gradient_lists_when_a_path_is_missing():
    # x * x.detach(): the engine sees d/dx = x, the function's slope is 2x
    def f(x, y):
        return x * x.detach() + 3 * y

    with pytest.raises(GradcheckError) as info:
        autodiff.gradcheck(f, [1.5, -0.5])
    err = info.value
    assert isinstance(err, AssertionError)
    assert err.analytic == pytest.approx([1.5, 3.0], rel=1e-15)
    assert err.numeric == pytest.approx([3.0, 3.0], rel=1e-6)
    assert err.mismatched == [0]
    message = str(err)
    for text in ("1.5", "3.0", "x[0]", "x[1]"):
        assert text in message


def test_gradcheck_tolerances_are_applied():
    f = lambda x: x * x.detach()  # noqa: E731 - analytic 1.0, numeric 2.0 at x = 1
    with pytest.raises(GradcheckError):
        autodiff.gradcheck(f, [1.0], atol=0.5, rtol=0.0)
    assert autodiff.gradcheck(f, [1.0], atol=1.01, rtol=0.0) is True
    assert autodiff.gradcheck(f, [1.0], atol=0.0, rtol=0.51) is True


# -- regressions: bugs these tests found, fixed since ----------------------


def test_grad_create_graph_records_even_inside_no_grad():
    # Was: the derivative's graph was not recorded inside no_grad, so the
    # second derivative came out silently as 0.
    torch = pytest.importorskip("torch", reason="PyTorch is the reference behaviour")
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    ty = t**3
    with torch.no_grad():
        (tg,) = torch.autograd.grad(ty, [t], create_graph=True)
    (th,) = torch.autograd.grad(tg, [t])
    assert th.item() == 12.0  # d2/dx2 x^3 = 6x at 2, graph built despite no_grad

    x = Value(2.0)
    y = x**3
    with no_grad():
        (g,) = autodiff.grad(y, [x], create_graph=True)
    assert g.data == 12.0
    assert autodiff.grad(g, [x]) == [12.0]


class _Pause:
    """A one-input identity op whose backward rule pauses its thread until
    released, to interleave two backward passes."""

    def __init__(self):
        self.paused = threading.Event()
        self.release = threading.Event()

    def partials(self, F, x, r):
        self.paused.set()
        assert self.release.wait(timeout=60), "never released"
        return (1.0,)


def test_concurrent_backward_passes_over_a_shared_leaf():
    # Was: passes accumulate in a per-node slot (_g); a second thread's pass
    # over a shared leaf, run while the first was half done, counted twice.
    from autodiff.ops import Op
    from autodiff.value import apply

    pause = _Pause()
    identity = Op("pause", 1, lambda x: x, pause.partials, ("any",))
    w = Value(2.0)  # a shared parameter
    first = apply(identity, (w,)) * 3.0  # d first/dw = 3
    second = w * 5.0  # d second/dw = 5
    errors = []

    def run(root):
        try:
            root.backward()
        except BaseException as err:  # reported below
            errors.append(err)

    one = threading.Thread(target=run, args=(first,))
    one.start()
    assert pause.paused.wait(timeout=60)  # the first pass is now half done
    two = threading.Thread(target=run, args=(second,))
    two.start()
    # The second pass either runs in full now or (an engine that serialises
    # passes) waits for the first: release the first pass either way.
    two.join(timeout=0.5)  # only how long a serialising engine is waited for
    pause.release.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert not errors and not one.is_alive() and not two.is_alive()
    assert w.grad == 3.0 + 5.0  # each pass adds its own gradient once (was 13.0)
