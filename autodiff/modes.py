"""Thread-local recording modes: `no_grad` and `detect_anomaly`.

Every op reads one flag, `state.plain`, which is true when gradients are being
recorded and anomaly detection is off: the common case takes the fast path.
Reading a thread-local costs about as much as making the node, so an op
first reads `entered`, a count over all threads of the modes open: while it
is 0, every thread records plainly and no thread-local is read.
"""

from __future__ import annotations

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
