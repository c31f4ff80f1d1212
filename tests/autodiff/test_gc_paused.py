"""`autodiff.gc_paused`: the collector is off inside, restored exactly after.

And `backward`/`grad` run with it paused, restoring whatever state the
caller had.  The collector's state is read with `gc.isenabled`; collections
are observed through `gc.callbacks`.
"""

from __future__ import annotations

import gc
import threading

import pytest

import autodiff
from autodiff import Value, gc_paused


@pytest.fixture(autouse=True)
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_enabled_after():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_stays_disabled_if_it_was():
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_blocks_reenable_only_at_the_outermost():
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_on_exception_and_keyboard_interrupt():
    for error in (ValueError, KeyboardInterrupt):
        with pytest.raises(error):
            with gc_paused():
                raise error()
        assert gc.isenabled()


def test_as_a_decorator():
    @gc_paused()
    def inside():
        return gc.isenabled()

    assert inside() is False
    assert gc.isenabled()


def test_two_threads_do_not_reenable_early():
    # thread A enters, then B; A leaves while B is still inside: the
    # collector must stay off until B leaves too
    a_in, b_in, a_out, b_may_leave = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        with gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with gc_paused():
            b_in.set()
            a_out.wait(5)
            seen["after A left"] = gc.isenabled()
            b_may_leave.wait(5)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_may_leave.set()
    for t in threads:
        t.join(5)
    assert seen == {"after A left": False}
    assert gc.isenabled()


def _chain(n):
    x = start = Value(0.5)
    for _ in range(n):
        x = x * 1.0001 + 0.5
    return start, x


def test_a_walk_unpaused_would_collect():
    # the counter of the test below can see collections
    start, x = _chain(20_000)
    threshold = gc.get_threshold()
    gc.set_threshold(50, 1, 1)
    try:
        count = _collections_during(lambda: autodiff.topological_order(x))
    finally:
        gc.set_threshold(*threshold)
    assert count > 100


def _collections_during(fn):
    count = [0]

    def callback(phase, info):
        if phase == "start":
            count[0] += 1

    gc.callbacks.append(callback)
    try:
        fn()
    finally:
        gc.callbacks.remove(callback)
    return count[0]


@pytest.mark.parametrize("how", ["backward", "grad", "grad create_graph"])
def test_backward_and_grad_run_with_the_collector_paused(how):
    start, x = _chain(20_000)
    # the walk makes an iterator (a tracked object) per op node: with a gen0
    # threshold of 50, an unpaused pass would start hundreds of collections
    threshold = gc.get_threshold()
    gc.set_threshold(50, 1, 1)
    try:
        if how == "backward":
            count = _collections_during(x.backward)
        else:
            count = _collections_during(
                lambda: autodiff.grad(x, [start], create_graph=how.endswith("graph"))
            )
    finally:
        gc.set_threshold(*threshold)
    # at most one, started by the argument checks before the pass begins
    assert count <= 1
    assert gc.isenabled()
    # and the gradients are right: d/dx0 of the chain is 1.0001**n
    if how == "backward":
        assert start.grad == pytest.approx(1.0001**20_000, rel=1e-9)


def test_backward_keeps_a_disabled_collector_disabled():
    start, x = _chain(10)
    gc.disable()
    x.backward()
    autodiff.grad(x, [start])
    assert not gc.isenabled()


def test_backward_restores_the_collector_after_an_error():
    x = Value(-1.0)
    y = x.log() if hasattr(x, "log") else autodiff.log(x)
    with autodiff.detect_anomaly():
        with pytest.raises(autodiff.AnomalyError):
            (y * 0.0 + x.log()).backward()
    assert gc.isenabled()
