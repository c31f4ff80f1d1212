"""`fit`: the training loop, and the `History` it returns.

One step is the seeds' recipe: forward every sample of a batch, average the
per-sample losses Cᵢ into C = (1/m) Σᵢ Cᵢ (plus l2·Σp² when asked), one
``backward()``, one optimiser step.  ``fit`` repeats it over mini-batches
and epochs and records the loss and accuracy per epoch.  Each step runs
with the cyclic garbage collector paused (`autodiff.gc_paused`): a step's
graph has no cycles, and collections walking its nodes would cost a fifth
to a third of the step.  ``compile=True`` traces the full-batch step once
and runs it as generated code (`autodiff.compile`).

Ctrl-C (KeyboardInterrupt) stops training cleanly: ``fit`` returns the
history of the completed epochs with ``history.interrupted = True``, and the
model holds the parameters after the last completed step — an interrupted
optimiser step is undone, so there is never half an update.

Training never runs silently into nan: the inputs and targets are checked
(finite numbers) before the first update, and a loss or a parameter that
becomes nan or infinite stops training with `NonFiniteError`, the model left
as it was before that step; the error carries the `History` so far
(``error.history``), as does any other error escaping ``fit``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping

import autodiff
from autodiff import Value
from autodiff.arguments import flag, integer, is_int, is_real, type_name

from .losses import LOSSES
from .module import Module
from .progress import progress_bar

__all__ = ["fit", "History", "NonFiniteError"]


class NonFiniteError(FloatingPointError):
    """Raised by `fit` when the loss or a parameter becomes nan or infinite.

    The model holds the parameters from before the step at fault (and the
    optimiser its state from then).

    Attributes:
        history (History): what was recorded up to the error
            (``history.steps`` counts the completed steps).
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


class History(Mapping[str, list[float]]):
    """What `fit` recorded: a mapping from each metric's name to its list of
    values, one per completed epoch.

    ``history["loss"]`` is the list of epoch losses (the batch losses of the
    epoch averaged, weighted by batch size; for full-batch training, the loss
    of the epoch's one step, computed before its update).
    ``history["accuracy"]`` is the list of epoch accuracies (fraction of
    samples right, from the same forward passes), present only when accuracy
    is tracked (``"accuracy" in history``).

    As for any mapping, ``len(history)`` and iteration are about the names
    ("loss", "accuracy"); the number of epochs is ``history.epochs``.

    Attributes:
        interrupted (bool): True if training stopped on KeyboardInterrupt.
        stopped_early (bool): True if a callback asked to stop.
        steps (int): the number of optimiser steps taken.
    """

    def __init__(self, track_accuracy: bool = True) -> None:
        self._lists: dict[str, list[float]] = {"loss": []}
        if track_accuracy:
            self._lists["accuracy"] = []
        self.interrupted = False
        self.stopped_early = False
        self.steps = 0

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self._lists[key]
        except KeyError:
            if key == "accuracy":
                raise KeyError(
                    "accuracy was not tracked (a regression target, or accuracy=None)"
                ) from None
            raise KeyError(f"no {key!r} in the history; it has {list(self._lists)}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._lists

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        """The number of recorded names (1, or 2 with accuracy)."""
        return len(self._lists)

    @property
    def epochs(self) -> int:
        """The number of completed epochs (= ``len(history["loss"])``)."""
        return len(self._lists["loss"])

    def to_dict(self) -> dict:
        """A plain dict: the lists plus "interrupted" and "steps"."""
        out: dict[str, object] = {k: list(v) for k, v in self._lists.items()}
        out["interrupted"] = self.interrupted
        out["steps"] = self.steps
        return out

    def _append(self, loss: float, accuracy: float | None) -> None:
        self._lists["loss"].append(loss)
        if accuracy is not None:  # given exactly when accuracy is tracked
            self._lists["accuracy"].append(accuracy)

    def __repr__(self) -> str:
        last = ""
        if self.epochs:
            last = f", last loss {self['loss'][-1]:.6g}"
            if "accuracy" in self:
                last += f", accuracy {self['accuracy'][-1]:.4g}"
        flag = ", interrupted" if self.interrupted else ""
        return f"History({self.epochs} epochs, {self.steps} steps{last}{flag})"



# --------------------------------------------------------------------------
# Resolving the arguments


def _resolve_loss(loss):
    if callable(loss):
        return loss, getattr(loss, "__name__", "")
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)} or a callable, got {loss!r}")
        return LOSSES[loss], loss
    raise TypeError(
        f"loss must be a loss name ({', '.join(LOSSES)}) or a callable "
        f"(output, target) -> Value, got {type(loss).__name__}"
    )


def _sign_accuracy(output, target) -> bool:
    return (target > 0) == (output.data > 0)


def _threshold(level: float):
    def right(output, target) -> bool:
        return (output.data > level) == (target == 1)

    return right


def _argmax_accuracy(outputs, target) -> bool:
    best = max(range(len(outputs)), key=lambda j: outputs[j].data)
    return best == target


def _one_hot_accuracy(outputs, target) -> bool:
    best = max(range(len(outputs)), key=lambda j: outputs[j].data)
    return target[best] == 1


def _is_int_like(t) -> bool:
    return is_real(t) and float(t) == int(t)


def _output_activation(model) -> str | None:
    layers = getattr(model, "layers", None)
    if layers:
        model = layers[-1]
    act = getattr(model, "activation", None)
    return act if isinstance(act, str) else None


def _auto_accuracy(model, probe, y, loss_name: str):
    """The per-sample rule "auto" picks, or None (a regression)."""
    if isinstance(probe, Value):
        if not all(is_real(t) for t in y):
            return None
        values = {float(t) for t in y}
        if values <= {0.0, 1.0} and (0.0 in values or _output_activation(model) == "sigmoid"):
            if _output_activation(model) == "sigmoid":
                return _threshold(0.5)
            return _threshold(0.0 if loss_name == "binary_cross_entropy_with_logits" else 0.5)
        if values <= {-1.0, 1.0}:
            return _sign_accuracy
        return None
    n_out = len(probe)
    if all(_is_int_like(t) and 0 <= t < n_out for t in y):
        return _argmax_accuracy
    one_hot = all(
        isinstance(t, (list, tuple))
        and len(t) == n_out
        and sorted(float(v) for v in t) == [0.0] * (n_out - 1) + [1.0]
        for t in y
        if not isinstance(t, (str, bytes))
    )
    if one_hot and all(isinstance(t, (list, tuple)) for t in y):
        return _one_hot_accuracy
    return None


def accuracy(model, X, y, loss=None, outputs=None) -> float:
    """The fraction of samples ``model`` gets right, judged as `fit`'s
    ``accuracy="auto"`` judges them: by sign for ±1 targets (a hinge
    loss), at 0.5 (or at 0 for logits) for 0/1 targets, by the largest
    output for class indices or one-hot targets.

    Args:
        model: a callable model.
        X: the inputs, one sequence per sample.
        y: the targets, one per sample.
        loss: the loss trained with (a name or a callable), which decides the
            threshold for 0/1 targets on logits; None for the others.
        outputs: the model's outputs on ``X`` if already computed (from
            `batch_loss`, say); otherwise one pass is made, under `no_grad`.

    Raises:
        ValueError: if X and y differ in length or are empty, or if the
            targets are not classes (a regression has no accuracy).
    """
    if len(X) != len(y) or not len(X):
        raise ValueError(
            f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}"
        )
    if outputs is None:
        with autodiff.no_grad():
            outputs = _outputs(model, X)
    elif len(outputs) != len(y):
        raise ValueError(f"outputs must hold one output per sample ({len(y)}), got {len(outputs)}")
    loss_name = "" if loss is None else _resolve_loss(loss)[1]
    judge = _auto_accuracy(model, outputs[0], y, loss_name)
    if judge is None:
        raise ValueError(
            "accuracy: the targets are not classes (±1, 0/1, class indices or one-hot), "
            "so there is nothing to count as right"
        )
    return sum(1 for out, t in zip(outputs, y) if judge(out, t)) / len(y)


def _outputs(model, X) -> list:
    """The model's output for each sample: a `Module`'s `forward_batch`,
    any other callable's calls one by one."""
    return model.forward_batch(X) if isinstance(model, Module) else [model(x) for x in X]


def batch_loss(model, X, y, loss, l2: float = 0.0):
    """The cost `fit` trains on, for one batch: C = (1/m) Σᵢ Cᵢ + l2·Σp².

    Args:
        model: a callable model (an `MLP`, `Layer` or `Neuron`).
        X: the batch's inputs, one sequence per sample.
        y: the batch's targets, one per sample.
        loss: a name in `nn.losses.LOSSES` or a callable (output, target) -> Value
            giving the per-sample loss Cᵢ.
        l2: the weight of the L2 penalty over ``model.parameters()`` (0: none).

    Returns:
        ``(C, outputs)``: the cost as a Value (its graph ready for
        ``backward()`` or `nn.explain`) and the model's output per sample.

    A `Module`'s outputs come from its `forward_batch` (the nodes of one call
    per sample, made faster).  The graph is built with the cyclic garbage
    collector paused (`autodiff.gc_paused`), so that a collection walks it
    at most once rather than over and over as it grows.
    """
    loss_fn = _resolve_loss(loss)[0]
    if len(X) != len(y) or not len(X):
        raise ValueError(
            f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}"
        )
    # The graph has no cycles: collections while it grows would only walk it.
    with autodiff.gc_paused():
        outputs = _outputs(model, X)
        total = autodiff.sum([loss_fn(out, t) for out, t in zip(outputs, y)]) * (1.0 / len(X))
        if l2:
            total = total + float(l2) * autodiff.sum([p * p for p in model.parameters()])
        return total, outputs


def _first_non_finite(value, where: str) -> str | None:
    """The place of the first nan or infinity in ``value`` (a number, a
    Value, or nested sequences of them), or None.  Other objects are left to
    the model and the loss to judge."""
    stack = [(value, where)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, Value):
            item = item.data
        if is_real(item):
            try:
                if not math.isfinite(item):
                    return f"{place} is {item!r}"
            except OverflowError:  # an int too large for a float
                return f"{place} is too large for a float64"
        elif not isinstance(item, (str, bytes, Mapping)) and hasattr(item, "__len__"):
            try:
                stack.extend(
                    (item[k], f"{place}[{k}]") for k in reversed(range(len(item)))
                )
            except (TypeError, KeyError, IndexError):
                continue
    return None


def _check_data(X, y, n: int) -> None:
    """Every input and target finite, before the first update."""
    for i in range(n):
        bad = _first_non_finite(X[i], f"X[{i}]") or _first_non_finite(y[i], f"y[{i}]")
        if bad:
            raise ValueError(f"{bad}: inputs and targets must be finite numbers")


def _check_optimizer_params(model, optimizer) -> None:
    """Refuse an optimiser over another model's parameters (a silent no-op)."""
    held = getattr(optimizer, "params", None)
    if not isinstance(held, (list, tuple)) or not held:
        return  # a duck-typed optimiser: nothing to compare
    mine = {id(p) for p in model.parameters()}
    if not any(id(p) in mine for p in held):
        raise ValueError(
            f"the optimizer holds none of the model's parameters ({len(held)} others): "
            "build it over this model, e.g. SGD(model.parameters(), lr=0.1)"
        )


def _attach(error: BaseException, history: History) -> None:
    """Give an error escaping `fit` the History so far."""
    if getattr(error, "history", None) is None:
        try:
            error.history = history  # type: ignore[attr-defined]
        except AttributeError:
            pass
    if hasattr(error, "add_note"):
        error.add_note(
            f"fit: stopped after {history.epochs} epochs and {history.steps} steps; "
            "the History so far is error.history"
        )


def _name_of(model, p) -> str:
    named = getattr(model, "named_parameters", None)
    if callable(named):
        for name, q in named():
            if q is p:
                return f"{name!r}" + (f" ({p.label})" if p.label else "")
    return repr(p.label or "unnamed")


def _snapshot_optimizer(optimizer):
    snap = getattr(optimizer, "_snapshot", None)
    if snap is not None:
        return snap()
    state_dict = getattr(optimizer, "state_dict", None)
    return state_dict() if callable(state_dict) else None


def _restore_optimizer(optimizer, state) -> None:
    if state is None:
        return
    restore = getattr(optimizer, "_restore", None)
    if restore is not None:
        restore(state)
    else:
        optimizer.load_state_dict(state)


# --------------------------------------------------------------------------


def fit(
    model,
    X,
    y,
    loss,
    optimizer,
    epochs: int,
    batch_size: int | None = None,
    progress: bool = True,
    l2: float = 0.0,
    accuracy="auto",
    seed=0,
    callback=None,
    compile: bool = False,  # noqa: A002 - the option's name, like torch.compile
) -> History:
    """Train ``model`` on (X, y) and return the per-epoch `History`.

    Args:
        model: a callable module with ``parameters()`` (an `MLP`, `Layer`…).
        X: the samples, a sequence of input sequences (lists, NumPy rows…).
        y: the targets, one per sample, in the form ``loss`` takes: a number
            for a single-output model, a list for ``squared_error``/``mse``
            on several outputs, a class index for ``cross_entropy``.
        loss: a name in `nn.losses.LOSSES` or a callable
            ``(output, target) -> Value`` giving one sample's loss.
        optimizer: an object with ``step()`` and ``zero_grad()`` (an
            `nn.optim.SGD`/`Adam` over the model's parameters).
        epochs: passes over the data (≥ 0).
        batch_size: samples per step; None (default) for the whole set in
            one step.  Mini-batches are a fresh shuffle each epoch, drawn
            from ``random.Random(seed)``; the last one may be smaller.
        progress: show a progress bar over epochs (False: silent): tqdm's
            on stderr, or in a notebook one line updated in place (see
            `nn.progress`).
        l2: adds l2·Σp² over the model's parameters to every batch loss.
        accuracy: "auto", None, or a callable ``(output, target) -> bool``
            judging one sample.  "auto": for one output, sign agreement with
            ±1 targets, or for {0, 1} targets the output above 0.5 (above 0
            with ``binary_cross_entropy_with_logits``); for several outputs,
            argmax against integer class targets (or one-hot lists); not
            tracked otherwise (regression).
        seed: an int or a random.Random for the mini-batch shuffles.
        callback: called as ``callback(epoch, history)`` after each epoch
            (``epoch`` is 0-based: 0 after the first);
            returning True stops training (``history.stopped_early``).
        compile: trace the loss once with `autodiff.compile` and run every
            step as the generated code (several times faster; the same
            losses, gradients and updates, bit for bit).  Full batch only
            (``batch_size=None``): the data are constants of the traced
            graph, so another batch would need another compile.  The loss
            must build the same graph whatever the parameters (all losses
            in `nn.losses` do).  With accuracy tracked, each epoch also
            runs the model once without a graph to get the outputs it
            judges (``accuracy=None`` saves that).

    Returns:
        The `History`.  After an interruption (Ctrl-C) it holds the completed
        epochs and ``interrupted`` is True; the model holds the parameters
        after the last completed optimiser step, and its ``.grad`` fields are
        zero if the interruption came during a backward pass.

    Raises:
        TypeError, ValueError: for bad arguments, before any step — a nan or
            infinite input or target, or an optimiser holding none of the
            model's parameters, included.
        NonFiniteError: when the loss or a parameter becomes nan or
            infinite; the model is left as before that step and
            ``error.history`` holds the History so far.  Any other error
            from the model, the loss or the optimiser also carries
            ``error.history``, the step it came in undone.
    """
    # -- check everything before the first step -------------------------------
    if not callable(model) or not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"model must be a callable module with parameters(), got {type(model).__name__}"
        )
    try:
        n, n_targets = len(X), len(y)
    except TypeError:
        raise TypeError(
            "X and y must be sequences (lists or arrays) of samples and targets"
        ) from None
    if n != n_targets:
        raise ValueError(
            f"X and y must have the same length, got {n} samples and {n_targets} targets"
        )
    if n == 0:
        raise ValueError("X is empty: nothing to train on")
    loss_fn, loss_name = _resolve_loss(loss)
    for name in ("step", "zero_grad"):
        if not callable(getattr(optimizer, name, None)):
            raise TypeError(
                f"optimizer must have step() and zero_grad() (e.g. nn.optim.SGD), "
                f"got {type(optimizer).__name__}"
            )
    epochs = integer(epochs, "epochs", minimum=0)
    if batch_size is not None:
        batch_size = integer(batch_size, "batch_size", minimum=1)
    # A ValueError whatever is wrong with l2, as always (one message for all).
    if not is_real(l2) or not (math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    if isinstance(seed, random.Random):
        rng = seed
    elif is_int(seed):
        rng = random.Random(int(seed))
    else:
        raise TypeError(f"seed must be an int or a random.Random, got {type_name(seed)}")
    compile = flag(compile, "compile")
    if compile and batch_size is not None:
        raise ValueError(
            f"compile=True needs full-batch training (batch_size=None), got "
            f"batch_size={batch_size}: the data are constants of the compiled graph, "
            f"so each mini-batch would need its own compile"
        )
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    nin = getattr(model, "nin", None)
    if isinstance(nin, int):
        for i in range(n):
            row = X[i]
            if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
                raise TypeError(
                    f"X[{i}] must be a sequence of {nin} numbers, got {type(row).__name__}"
                )
            if len(row) != nin:
                raise ValueError(f"X[{i}] has {len(row)} values, but the model takes {nin} (nin)")

    _check_data(X, y, n)
    _check_optimizer_params(model, optimizer)

    # A probe forward pass (no graph): checks the first sample against the
    # loss and shows the model's output shape for "auto" accuracy.
    with autodiff.no_grad():
        probe = model(X[0])
        probe_loss = loss_fn(probe, y[0])
    if not isinstance(probe_loss, Value):
        raise TypeError(f"loss must return a Value, got {type(probe_loss).__name__}")
    if accuracy == "auto":
        judge = _auto_accuracy(model, probe, y, loss_name)
    elif accuracy is None or callable(accuracy):
        judge = accuracy
    else:
        raise ValueError(f"accuracy must be 'auto', None or a callable, got {accuracy!r}")

    history = History(track_accuracy=judge is not None)
    if epochs == 0:
        return history
    size = n if batch_size is None else min(batch_size, n)
    scale_l2 = float(l2)

    bar = None
    if progress:
        bar = progress_bar(epochs, "fit")
    phase = "forward"
    step = None
    try:
        if compile:
            # Traced once, on the whole set (in order): the graph of every
            # epoch's step, with the data and targets as its constants.
            X_all, y_all = list(X), list(y)
            step = autodiff.compile(
                lambda: batch_loss(model, X_all, y_all, loss_fn, scale_l2)[0],
                model.parameters(),
            )
        order = list(range(n))
        for epoch in range(epochs):
            if batch_size is not None:
                rng.shuffle(order)
            loss_total = 0.0
            right = 0
            for start in range(0, n, size):
                batch = order[start : start + size]
                phase = "forward"
                # The collector paused for the whole step (forward, backward,
                # update), restored also on Ctrl-C.
                with autodiff.gc_paused():
                    if step is not None:
                        if judge is not None:
                            with autodiff.no_grad():
                                outputs = [model(X[i]) for i in batch]
                            right += sum(1 for out, i in zip(outputs, batch) if judge(out, y[i]))
                        phase = "backward"
                        model.zero_grad()
                        optimizer.zero_grad()
                        loss_value = step()
                    else:
                        total, outputs = batch_loss(
                            model, [X[i] for i in batch], [y[i] for i in batch], loss_fn,
                            scale_l2,
                        )
                        loss_value = total.data
                        if math.isfinite(loss_value):
                            if judge is not None:
                                right += sum(
                                    1 for out, i in zip(outputs, batch) if judge(out, y[i])
                                )
                            phase = "backward"
                            model.zero_grad()
                            optimizer.zero_grad()
                            total.backward()
                        del total, outputs  # the graph goes now, with the collector paused
                    if not math.isfinite(loss_value):
                        raise NonFiniteError(
                            f"the loss is {loss_value!r} at epoch {epoch}, step {history.steps}; "
                            "training stopped before this step's update", history
                        )
                    phase = "step"
                    params = model.parameters()
                    saved = [p.data for p in params]
                    saved_optimizer = _snapshot_optimizer(optimizer)
                    counted = history.steps
                    # From here until the step is counted, any interruption or
                    # error undoes the whole step: parameters, optimiser state
                    # and count stay in agreement.
                    try:
                        optimizer.step()
                        for p in params:
                            if not math.isfinite(p.data):
                                raise NonFiniteError(
                                    f"parameter {_name_of(model, p)} became {p.data!r} at "
                                    f"epoch {epoch}, step {history.steps} (loss "
                                    f"{loss_value!r}); the step is undone (lower lr, or "
                                    "check the gradients)", history
                                )
                        history.steps = counted + 1
                    except BaseException:
                        for p, value in zip(params, saved):
                            p.data = value
                        _restore_optimizer(optimizer, saved_optimizer)
                        history.steps = counted
                        raise
                phase = "record"
                loss_total += loss_value * len(batch)
            history._append(loss_total / n, right / n if judge is not None else None)
            if bar is not None:
                postfix = {"loss": f"{history['loss'][-1]:.4g}"}
                if judge is not None:
                    postfix["acc"] = f"{history['accuracy'][-1]:.3g}"
                bar.set_postfix(postfix, refresh=False)
                bar.update(1)
            if callback is not None and callback(epoch, history):
                history.stopped_early = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
        if phase == "backward":
            model.zero_grad()  # never leave half-accumulated gradients
    except Exception as error:
        _attach(error, history)
        raise
    finally:
        if bar is not None:
            bar.close()
    return history
