"""backward() is all or nothing under Ctrl-C; copy.deepcopy copies graphs of
any depth, reused nodes kept shared."""

import copy
import math

import pytest

import autodiff
from autodiff import Value
from autodiff.ops import OPS


@pytest.fixture
def dying_tanh():
    """tanh's rule raises KeyboardInterrupt at its n-th call (n set by the test)."""
    op = OPS["tanh"]
    real = op.partials
    calls = {"n": 0, "at": None}

    def rule(F, x, r):
        calls["n"] += 1
        if calls["n"] == calls["at"]:
            raise KeyboardInterrupt
        return real(F, x, r)

    object.__setattr__(op, "partials", rule)
    yield calls
    object.__setattr__(op, "partials", real)


def layer_graph():
    ws = [Value(0.1 * (i + 1), label=f"w{i}") for i in range(50)]
    out = autodiff.sum([(w * (i - 20)).tanh() for i, w in enumerate(ws)])
    return ws, out


@pytest.mark.parametrize("at", [1, 25, 50])
def test_ctrl_c_inside_backward_leaves_every_grad_as_it_was(dying_tanh, at):
    ws, out = layer_graph()
    for i, w in enumerate(ws):
        w.grad = float(i)  # gradients accumulated earlier
    dying_tanh["at"] = at
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    assert [w.grad for w in ws] == [float(i) for i in range(50)]
    assert out.grad == 0.0


def test_after_an_interrupted_pass_a_full_pass_adds_exactly_once(dying_tanh):
    ws, out = layer_graph()
    dying_tanh["at"] = 10
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    dying_tanh["at"] = None
    out.backward()
    # hand formula: d tanh(c w)/dw = c (1 - tanh²(c w))
    for i, w in enumerate(ws):
        c = i - 20
        assert w.grad == pytest.approx(c * (1 - math.tanh(c * w.data) ** 2), rel=1e-12)


def test_deepcopy_of_a_very_deep_graph():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    twin = copy.deepcopy(y)
    assert twin is not y and twin.data == y.data and twin.op == y.op
    twin.backward()
    leaves = [n for n in autodiff.topological_order(twin) if not n.parents and n.label == "x"]
    assert len(leaves) == 1 and leaves[0] is not x and leaves[0].grad == 1.0
    assert x.grad == 0.0  # the original is untouched


def test_deepcopy_keeps_a_reused_node_shared():
    x = Value(3.0, label="x")
    y = x * x + x
    a, b = copy.deepcopy([y, x])
    assert a.parents[0].parents[0] is a.parents[0].parents[1] is a.parents[1] is b
    assert a.parents[0]._op is y.parents[0]._op  # ops are shared table entries
    a.backward()
    assert b.grad == 2 * 3.0 + 1  # d(x² + x)/dx


def test_a_real_ctrl_c_at_any_moment_leaves_all_or_nothing():
    # A real SIGINT, handled by Python's own handler (KeyboardInterrupt), is
    # sent by a timer at moments spread over the pass and packed towards its
    # end, where the grads are updated: every time, either no .grad has
    # changed or every .grad has its full gradient.
    import signal
    import threading
    import time

    main = threading.current_thread() is threading.main_thread()
    if not hasattr(signal, "setitimer") or not main:
        pytest.skip("needs signal.setitimer and the main thread")
    x = Value(0.3, label="x")
    y = x
    for _ in range(60_000):
        y = (y * 1.0001 + 0.5).tanh()
    nodes = autodiff.topological_order(y)
    start = time.perf_counter()
    y.backward()
    duration = time.perf_counter() - start
    full = [n.grad for n in nodes]
    armed = [False]

    def ctrl_c(signum, frame):
        if armed[0]:  # only inside the pass below, never in the test's own code
            signal.raise_signal(signal.SIGINT)

    # 0.05 is surely inside a pass and 6 surely after it, however the
    # machine's load changes the pass's time from one try to the next
    moments = [0.05, 0.3, 0.5, 0.7] + [0.8 + 0.01 * k for k in range(25)] + [6.0]
    previous_alarm = signal.signal(signal.SIGALRM, ctrl_c)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    outcomes = []
    try:
        for moment in moments:
            for n in nodes:
                n.grad = 0.0
            armed[0] = True
            signal.setitimer(signal.ITIMER_REAL, duration * moment)
            try:
                y.backward()
                armed[0] = False
            except KeyboardInterrupt:
                armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            grads = [n.grad for n in nodes]
            if grads == full:
                outcomes.append("all")
            else:
                changed = sum(g != 0.0 for g in grads)
                assert changed == 0, f"at {moment:.2f} of the pass {changed} grads changed"
                outcomes.append("nothing")
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGINT, previous_int)
    assert {"all", "nothing"} <= set(outcomes)  # both kinds of moment were hit
    # and no moment left the collector paused or the pause's count open
    import gc

    from autodiff import modes

    assert modes._paused[0] == 0 and gc.isenabled()


def test_a_ctrl_c_while_the_collector_is_resumed_is_held_until_it_is(monkeypatch):
    # backward() lets the collector run again inside the hold of its last
    # step: a Ctrl-C arriving right then is raised after, with the pause closed.
    import gc
    import signal
    import threading

    from autodiff import backprop, modes

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers run in the main thread")
    real_resume = modes.resume_gc

    def resume_under_ctrl_c():
        signal.raise_signal(signal.SIGINT)
        real_resume()

    monkeypatch.setattr(backprop, "resume_gc", resume_under_ctrl_c)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        x = Value(2.0)
        y = x * x
        with pytest.raises(KeyboardInterrupt):
            y.backward()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert x.grad == 4.0  # the pass was whole
    assert modes._paused[0] == 0 and gc.isenabled()


def test_the_update_of_the_grads_holds_ctrl_c_until_it_is_done():
    # What makes the last step of backward() whole: a SIGINT arriving inside
    # the block is acted on only when the block ends, by the handler in place.
    import signal

    from autodiff.backprop import _sigint_held

    done = []
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with _sigint_held():
                signal.raise_signal(signal.SIGINT)
                done.extend(range(1000))  # still runs: the interrupt waits
        assert len(done) == 1000
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        seen = []
        signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
        with _sigint_held():
            signal.raise_signal(signal.SIGINT)
            assert seen == []
        assert seen == [signal.SIGINT]  # the user's own handler, called once, after
        with _sigint_held():
            pass
        assert seen == [signal.SIGINT]  # nothing held, nothing called
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_sigint_handler_python_did_not_install_is_left_alone(monkeypatch):
    # getsignal gives None for a handler set outside Python: it could not be
    # put back, so the block must not replace it.
    import signal

    from autodiff.backprop import _sigint_held

    installed = []
    monkeypatch.setattr(signal, "getsignal", lambda signum: None)
    monkeypatch.setattr(signal, "signal", lambda signum, handler: installed.append(handler))
    with _sigint_held():
        pass
    assert installed == []
