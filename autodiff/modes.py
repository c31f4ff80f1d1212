"""Thread-local recording modes: `no_grad` and `detect_anomaly`.

It also holds `gc_paused`, which keeps Python's cyclic garbage collector
from running while graphs are built and walked (`backward`, `grad` and
`nn.fit`'s steps use it).

Every op reads one flag, `state.plain`, which is true when gradients are being
recorded and anomaly detection is off: the common case takes the fast path.
Reading a thread-local costs about as much as making the node, so an op
first reads `entered`, a count over all threads of the modes open: while it
is 0, every thread records plainly and no thread-local is read.
"""

from __future__ import annotations

import gc
import threading
from contextlib import ContextDecorator
from typing import Literal


class AnomalyError(ArithmeticError):
    """Raised under `detect_anomaly` by the first op whose result, or whose
    gradient during backward, is nan."""


#: How many modes (no_grad, detect_anomaly, and grad with create_graph) are
#: open, in all threads together, in a list so that importers see it change.
entered = [0]
_entered_lock = threading.Lock()


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.plain = True
        self.saved: list[tuple[bool, bool]] = []

    def push(self, grad_enabled: bool, anomaly: bool) -> None:
        with _entered_lock:
            entered[0] += 1
        self.saved.append((self.grad_enabled, self.anomaly))
        self._set(grad_enabled, anomaly)

    def pop(self) -> None:
        self._set(*self.saved.pop())
        with _entered_lock:
            entered[0] -= 1

    def _set(self, grad_enabled: bool, anomaly: bool) -> None:
        self.grad_enabled = grad_enabled
        self.anomaly = anomaly
        self.plain = grad_enabled and not anomaly


state = _State()


class no_grad(ContextDecorator):
    """Context manager and decorator under which ops record no parents.

    Results made inside are leaves (``op == ""``, ``parents == ()``), so no
    graph is kept and ``backward()`` does not reach through them.  The switch
    is thread-local: other threads keep recording.

        with no_grad():
            y = x * 2          # y is a leaf
    """

    def __enter__(self) -> "no_grad":
        state.push(False, state.anomaly)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        state.pop()
        return False


class detect_anomaly(ContextDecorator):
    """Context manager and decorator that raises `AnomalyError` at the first op
    whose result is nan, and, in a ``backward()`` or ``grad()`` started inside
    it, at the first op whose backward step produces a nan gradient.

    The error names the op and shows its input values.  It slows every op, so
    use it to find where a nan comes from, not for training.  Thread-local.
    """

    def __enter__(self) -> "detect_anomaly":
        state.push(state.grad_enabled, True)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        state.pop()
        return False


def is_grad_enabled() -> bool:
    """True unless inside `no_grad` in this thread."""
    return state.grad_enabled


# How many gc_paused blocks are open, in all threads together, and whether
# the collector was enabled when the first of them opened.  The collector is
# one per process, so the count is too: the last block to close re-enables
# it, never an earlier one (two threads pausing must not re-enable early).
_paused = [0, False]
_paused_lock = threading.Lock()


class gc_paused(ContextDecorator):
    """Context manager and decorator under which the cyclic garbage collector
    does not run.

    Every node is a container object, so building a graph of 10⁴-10⁶ nodes
    makes CPython start collections that walk all the live nodes (and every
    other tracked object) again and again: with micrograd-style code they
    are a fifth to a third of a training step, and about half of building a
    deep chain.  chainrule's graphs have no reference cycles, so reference
    counting frees them without the collector; pausing it loses nothing
    for them.  `backward`, `grad`, `nn.batch_loss` and each of `nn.fit`'s
    steps run under it; wrap your own training loop's step (forward,
    backward, update) in it to pause the collector while the forward pass
    builds the graph too:

        with autodiff.gc_paused():
            loss = model_loss()
            model.zero_grad()
            loss.backward()
            for p in params:
                p.data -= lr * p.grad

    The collector's state is restored exactly when the outermost block
    closes, also on an exception or Ctrl-C: re-enabled only if it was
    enabled when the first block opened (``gc.disable()`` before stays
    disabled).  Blocks nest and may be open in several threads at once; the
    collector runs again only when the last one closes.  Keep the blocks
    short (a step, not a whole run): cyclic garbage that other code makes
    meanwhile is only freed after them.
    """

    def __enter__(self) -> "gc_paused":
        pause_gc()
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        resume_gc()
        return False


def pause_gc() -> None:
    """Open a `gc_paused` block by hand; `resume_gc` closes it.  For code
    that must close it at a moment of its choosing (`backward` closes it
    while Ctrl-C is held, see `backprop._commit`)."""
    with _paused_lock:
        if _paused[0] == 0:
            _paused[1] = gc.isenabled()
            gc.disable()
        _paused[0] += 1


def resume_gc() -> None:
    """Close a block `pause_gc` opened: the collector runs again when the
    last open block closes, if it ran when the first one opened."""
    with _paused_lock:
        _paused[0] -= 1
        if _paused[0] == 0 and _paused[1]:
            gc.enable()
