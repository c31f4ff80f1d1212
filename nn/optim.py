"""Optimisers: update parameters from their ``.grad``, as ``torch.optim`` does.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()

``lr`` is a positive number or a schedule: a callable of the step number
(0-based: the first ``step()`` uses ``lr(0)``), e.g. micrograd's
``lambda k: 1.0 - 0.9 * k / 100``.  Each optimiser's update follows the
formula in its docstring, which is PyTorch's for the same arguments.
"""

from __future__ import annotations

import copy
import math

from autodiff import Value
from autodiff.arguments import is_real, type_name

__all__ = ["Optimizer", "SGD", "Adam"]


def _number(value, name: str, low: float, high: float | None = None, low_open=False) -> float:
    # Not `arguments.real`: here one message gives the whole allowed range.
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type_name(value)}")
    try:
        number = shown = float(value)
    except OverflowError:  # an int too large for a float: refused below
        number, shown = math.inf, value
    bad = (
        not math.isfinite(number)
        or (number <= low if low_open else number < low)
        or (high is not None and number >= high)
    )
    if bad:
        lo = f"> {low}" if low_open else f">= {low}"
        hi = f" and < {high}" if high is not None else ""
        raise ValueError(f"{name} must be a finite number {lo}{hi}, got {shown!r}")
    return number


class Optimizer:
    """What `SGD` and `Adam` share: the parameter list, the learning rate or
    schedule, the step counter, ``zero_grad`` and a copyable state.

    Args:
        params: an iterable of `Value` (or an `nn.Module`, meaning its
            parameters); non-empty, no Value twice.
        lr: a positive number, or a callable step -> positive number.

    Attributes:
        params (list[Value]): the parameters updated.
        steps (int): how many ``step()`` calls have been made.
    """

    def __init__(self, params, lr) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        if isinstance(params, Value):
            raise TypeError("params must be an iterable of Values (wrap one Value in a list)")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(
                f"params must be an iterable of Values, got {type(params).__name__}"
            ) from None
        if not params:
            raise ValueError("params is empty: the optimiser has nothing to update")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}")
            if p in seen:
                raise ValueError(f"params[{i}] ({p.label or 'unlabelled'}) appears twice")
            seen.add(p)
        self.params = params
        self.lr = lr
        self.steps = 0

    @property
    def lr(self):
        """The learning rate: a positive number or a schedule step -> number
        (assignable, checked)."""
        return self._lr

    @lr.setter
    def lr(self, lr) -> None:
        if callable(lr):
            self._schedule = lr
        else:
            lr = _number(lr, "lr", 0.0, low_open=True)
            self._schedule = None
        self._lr = lr

    def current_lr(self) -> float:
        """The learning rate the next ``step()`` will use (checked)."""
        if self._schedule is None:
            return self._lr
        value = self._schedule(self.steps)
        try:
            return _number(value, f"lr({self.steps})", 0.0)
        except (TypeError, ValueError) as e:
            raise ValueError(f"the lr schedule returned a bad value: {e}") from None

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its ``.grad``."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """A deep copy of the optimiser's mutable state (step count and
        per-parameter buffers), for `load_state_dict`."""
        return copy.deepcopy({"steps": self.steps, **self._buffers()})

    def load_state_dict(self, state: dict) -> None:
        """Restore a state made by `state_dict` on this optimiser."""
        if not isinstance(state, dict) or "steps" not in state:
            raise ValueError("load_state_dict: not an optimiser state (no 'steps' key)")
        state = copy.deepcopy(state)
        self.steps = state.pop("steps")
        for name, value in state.items():
            if not hasattr(self, name):
                raise ValueError(f"load_state_dict: unexpected key {name!r}")
            setattr(self, name, value)

    def _buffers(self) -> dict:
        return {}

    # A cheap snapshot for `fit`: ``step()`` replaces its buffer lists
    # instead of mutating them, so keeping references is enough.
    def _snapshot(self):
        return self.steps, dict(self._buffers())

    def _restore(self, snapshot) -> None:
        self.steps, buffers = snapshot
        for name, value in buffers.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    Per parameter p with gradient g, at step t (0-based), with η = lr(t):

        g ← g + weight_decay·p
        buf ← g                       (t = 0)
        buf ← momentum·buf + g        (t > 0)       [when momentum > 0]
        p ← p − η·buf                 (p ← p − η·g without momentum)

    Args:
        params: an iterable of Values or a Module.
        lr: the learning rate, a positive number or a schedule (see module).
        momentum: in [0, 1) (default 0).
        weight_decay: L2 penalty coefficient ≥ 0 added to the gradient.
    """

    def __init__(self, params, lr, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _number(momentum, "momentum", 0.0, 1.0)
        self.weight_decay = _number(weight_decay, "weight_decay", 0.0)
        self.velocity: list[float] | None = None

    def step(self) -> None:
        """One update of every parameter (see the class docstring)."""
        lr = self.current_lr()
        wd = self.weight_decay
        mu = self.momentum
        params = self.params
        if mu == 0.0:
            if wd == 0.0:
                for p in params:
                    p.data -= lr * p.grad
            else:
                for p in params:
                    p.data -= lr * (p.grad + wd * p.data)
        else:
            grads = [p.grad + wd * p.data if wd else p.grad for p in params]
            if self.velocity is None:
                velocity = grads
            else:
                velocity = [mu * v + g for v, g in zip(self.velocity, grads)]
            self.velocity = velocity
            for p, v in zip(params, velocity):
                p.data -= lr * v
        self.steps += 1

    def _buffers(self) -> dict:
        return {"velocity": self.velocity}


class Adam(Optimizer):
    """Adam (Kingma & Ba), with L2 weight decay added to the gradient as
    ``torch.optim.Adam`` does (not AdamW's decoupled decay).

    Per parameter p with gradient g, at step t = 1, 2, … (the t-th call),
    with η = lr(t − 1):

        g ← g + weight_decay·p
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        p ← p − η·m̂ / (√v̂ + eps)

    Args:
        params: an iterable of Values or a Module.
        lr: the learning rate (default 1e-3) or a schedule (see module).
        betas: (β₁, β₂), each in [0, 1).
        eps: added to the denominator, > 0.
        weight_decay: L2 penalty coefficient ≥ 0.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_number(beta1, "betas[0]", 0.0, 1.0), _number(beta2, "betas[1]", 0.0, 1.0))
        self.eps = _number(eps, "eps", 0.0, low_open=True)
        self.weight_decay = _number(weight_decay, "weight_decay", 0.0)
        n = len(self.params)
        self.m = [0.0] * n
        self.v = [0.0] * n

    def step(self) -> None:
        """One update of every parameter (see the class docstring)."""
        lr = self.current_lr()
        beta1, beta2 = self.betas
        t = self.steps + 1
        correction1 = 1.0 - beta1**t
        correction2_sqrt = math.sqrt(1.0 - beta2**t)
        step_size = lr / correction1
        wd, eps = self.weight_decay, self.eps
        m, v = self.m, self.v
        new_m, new_v = [], []
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            new_m.append(beta1 * m[i] + (1.0 - beta1) * g)
            new_v.append(beta2 * v[i] + (1.0 - beta2) * g * g)
        # The moments are swapped in whole, then the parameters moved: an
        # interruption leaves either the old or the new moments, never a mix.
        self.m, self.v = new_m, new_v
        for p, mi, vi in zip(self.params, new_m, new_v):
            p.data -= step_size * mi / (math.sqrt(vi) / correction2_sqrt + eps)
        self.steps += 1

    def _buffers(self) -> dict:
        return {"m": self.m, "v": self.v}
