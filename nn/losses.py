"""Per-sample losses, built as graphs of `autodiff` nodes.

Each function takes one sample's network output(s) and target and returns a
`Value` whose ``backward()`` sends the gradient into the network.  A batch
loss is the mean of these (``nn.fit`` builds it so); the seeds call the
per-sample loss C₀ and the batch loss C = (1/n) Σᵢ Cᵢ.

- `squared_error`: C₀ = Σⱼ (a⁽ᴸ⁾ⱼ − yⱼ)², the loss of "Backpropagation Explained".
- `mse`: the same, divided by the number of outputs.
- `half_squared_error`: ½ Σⱼ (aⱼ − yⱼ)², whose gradient is a − y: with a
  linear output, “Demystifying Deep Learning, part 5”'s dZ⁽ᴸ⁾ = Ŷ − Y.
- `hinge`: relu(1 − y·s), micrograd's max-margin loss (targets ±1).
- `binary_cross_entropy`: −[y log p + (1 − y) log(1 − p)] from a probability.
- `binary_cross_entropy_with_logits`: the same from a logit x, p = σ(x), stable.
- `softmax`: the probabilities e^{zⱼ} / Σₖ e^{zₖ}, stable.
- `cross_entropy`: −log softmax(z)ₜ for a class index t, via log-sum-exp.

Targets are plain numbers (``squared_error`` and ``mse`` also take Values);
they are checked, so a wrong type, a non-finite target, a label outside its
range or a class index out of bounds raises an error naming it.
"""

from __future__ import annotations

import math
import numbers

from autodiff import Value
from autodiff import sum as _sum
from autodiff.arguments import is_int, type_name

__all__ = [
    "squared_error",
    "mse",
    "half_squared_error",
    "hinge",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "softmax",
    "cross_entropy",
    "LOSSES",
]


# --------------------------------------------------------------------------
# Argument checks


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, Value)


def _node(x, what: str, caller: str) -> Value:
    """``x`` as a node: a Value as it is, a real number as a constant leaf."""
    if isinstance(x, Value):
        return x
    if _is_number(x):
        return Value(x)
    raise TypeError(f"{caller}: {what} must be a Value or a real number, got {type(x).__name__}")


def _items(x, what: str, caller: str) -> list:
    """A single Value/number as a one-item list; a sequence as a list."""
    if isinstance(x, Value) or _is_number(x):
        return [x]
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(
            f"{caller}: {what} must be a Value, a number or a list of them, "
            f"got {type(x).__name__}"
        )
    items = list(x)
    for i, item in enumerate(items):
        if not (isinstance(item, Value) or _is_number(item)):
            raise TypeError(
                f"{caller}: {what}[{i}] must be a Value or a real number, "
                f"got {type(item).__name__}"
            )
    return items


def _finite(x, what: str, caller: str) -> float:
    """The float of a target (a number, or a Value's data), checked finite."""
    value = x.data if isinstance(x, Value) else float(x)
    if not math.isfinite(value):
        raise ValueError(f"{caller}: {what} must be finite, got {value!r}")
    return value


def _number_target(y, caller: str) -> float:
    """A classification target: a plain real number, finite."""
    if not _is_number(y):
        raise TypeError(
            f"{caller}: target must be a real number, got {type(y).__name__}"
            + (" (pass target.data: targets are constants here)" if isinstance(y, Value) else "")
        )
    return _finite(y, "target", caller)


def _pairs(outputs, targets, caller: str) -> list[tuple]:
    outs = _items(outputs, "outputs", caller)
    ys = _items(targets, "targets", caller)
    if len(outs) != len(ys):
        raise ValueError(
            f"{caller}: outputs and targets must have the same length, "
            f"got {len(outs)} outputs and {len(ys)} targets"
        )
    if not outs:
        raise ValueError(f"{caller}: outputs must not be empty")
    for i, y in enumerate(ys):
        _finite(y, f"targets[{i}]", caller)
    return [(_node(a, f"outputs[{i}]", caller), y) for i, (a, y) in enumerate(zip(outs, ys))]


# --------------------------------------------------------------------------
# Regression


def squared_error(outputs, targets) -> Value:
    """C₀ = Σⱼ (aⱼ − yⱼ)², the sum of squared errors of
    "Backpropagation Explained".

    Args:
        outputs: the network's output a (a Value or number) or outputs aⱼ (a
            list of them).
        targets: y, or the yⱼ (numbers or Values, finite), as many as outputs.

    Returns:
        A Value: one ``sum`` node over the terms (aⱼ − yⱼ)², so that
        ∂C₀/∂aⱼ = 2(aⱼ − yⱼ).

    Raises:
        ValueError: if the lengths differ (both are given), if there are no
            outputs, or if a target is not finite.
        TypeError: for an item that is neither a Value nor a real number.
    """
    pairs = _pairs(outputs, targets, "squared_error")
    return _sum([(a - y) ** 2 for a, y in pairs])


def mse(outputs, targets) -> Value:
    """The mean squared error (1/n) Σⱼ (aⱼ − yⱼ)² over the n outputs.

    Arguments, checks and errors as for `squared_error`.

    Returns:
        A Value: the `squared_error` node divided by n.
    """
    pairs = _pairs(outputs, targets, "mse")
    return _sum([(a - y) ** 2 for a, y in pairs]) / len(pairs)


def half_squared_error(outputs, targets) -> Value:
    """½ Σⱼ (aⱼ − yⱼ)², so that ∂C₀/∂aⱼ = aⱼ − yⱼ.

    With a linear output layer this is the regression case of “Demystifying Deep Learning, part 5”,
    dZ⁽ᴸ⁾ = Ŷ − Y.  Arguments, checks and errors as for `squared_error`.

    Returns:
        A Value: the `squared_error` node times 0.5.
    """
    pairs = _pairs(outputs, targets, "half_squared_error")
    return _sum([(a - y) ** 2 for a, y in pairs]) * 0.5


# --------------------------------------------------------------------------
# Binary classification


def hinge(score, target) -> Value:
    """The max-margin loss of micrograd's demo: relu(1 − y·s).

    Built exactly as micrograd writes it, ``(1 + -y*score).relu()``.

    Args:
        score: the network's output s (a Value or a number).
        target: the label y, a real number equal to 1 or −1.

    Returns:
        A Value, 0 when the sample is classified with margin (y·s ≥ 1).

    Raises:
        ValueError: if target is not ±1.
        TypeError: if score or target has the wrong type.
    """
    y = _number_target(target, "hinge")
    if y not in (1.0, -1.0):
        raise ValueError(f"hinge: target must be 1 or -1, got {target!r}")
    s = _node(score, "score", "hinge")
    return (1 + -y * s).relu()


def _probability_target(target, caller: str) -> float:
    y = _number_target(target, caller)
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"{caller}: target must be in [0, 1], got {target!r}")
    return y


def binary_cross_entropy(prob, target) -> Value:
    """−[y log p + (1 − y) log(1 − p)] for a predicted probability p.

    No clamping: the result is exactly what IEEE arithmetic gives.  A term
    whose coefficient (y or 1 − y) is zero is left out of the graph, so a
    confident right answer costs exactly 0 (p = 0 with y = 0 gives 0, not
    0·(−inf) = nan) and a confident wrong one costs inf (p = 0 with y = 1),
    with an infinite gradient.  PyTorch's ``binary_cross_entropy`` instead
    clamps log at −100.  For outputs of a sigmoid, prefer
    `binary_cross_entropy_with_logits`, which is exact where 1 − σ(x) rounds
    to 0.

    Args:
        prob: the probability p (a Value or a number) with 0 ≤ p ≤ 1.
        target: y, a real number in [0, 1] (usually 0 or 1).

    Returns:
        A Value.

    Raises:
        ValueError: if p is outside [0, 1] (say a raw score: use
            `binary_cross_entropy_with_logits`) or y is outside [0, 1].
        TypeError: if prob or target has the wrong type.
    """
    y = _probability_target(target, "binary_cross_entropy")
    p = _node(prob, "prob", "binary_cross_entropy")
    if not 0.0 <= p.data <= 1.0:  # nan fails this too
        raise ValueError(
            f"binary_cross_entropy: prob must be a probability in [0, 1], got {p.data!r} "
            "(for a raw score use binary_cross_entropy_with_logits)"
        )
    if y == 1.0:
        return -p.log()
    if y == 0.0:
        return -(1 - p).log()
    return -(y * p.log() + (1.0 - y) * (1 - p).log())


def binary_cross_entropy_with_logits(logit, target) -> Value:
    """The binary cross-entropy of p = σ(x) for a logit x, computed stably.

    Equal to max(x, 0) − x·y + log(1 + e^(−|x|)), which never overflows (the
    exponent is ≤ 0).  It is built as one of the two smooth branches of that
    formula, picked by the sign of x — x·(1 − y) + log(1 + e^(−x)) for x ≥ 0,
    log(1 + eˣ) − x·y for x < 0 — so that the gradient is σ(x) − y
    everywhere, x = 0 included (where max and |·| have a kink).

    Args:
        logit: the score x (a Value or a number).
        target: y, a real number in [0, 1].

    Returns:
        A Value.

    Raises:
        ValueError: if y is outside [0, 1] or not finite.
        TypeError: if logit or target has the wrong type.
    """
    y = _probability_target(target, "binary_cross_entropy_with_logits")
    x = _node(logit, "logit", "binary_cross_entropy_with_logits")
    if x.data >= 0.0:
        return x * (1.0 - y) + (1 + (-x).exp()).log()
    return (1 + x.exp()).log() - x * y


# --------------------------------------------------------------------------
# Multi-class classification


def _logits(logits, caller: str) -> list[Value]:
    items = _items(logits, "logits", caller)
    if not items:
        raise ValueError(f"{caller}: logits must not be empty")
    return [_node(z, f"logits[{i}]", caller) for i, z in enumerate(items)]


def softmax(logits) -> list[Value]:
    """The probabilities e^{zⱼ} / Σₖ e^{zₖ}, one Value per logit.

    The largest logit's data m is subtracted first, as a constant: that
    changes neither the result nor its gradient, and keeps every exponent
    ≤ 0, so logits of ±1000 give finite, exact probabilities.

    Args:
        logits: the scores zⱼ (a list of Values or numbers; a single one is
            allowed and gives [1.0]).

    Returns:
        A list of Values, one per logit, summing to 1.

    Raises:
        ValueError: for an empty list.
        TypeError: for an item that is neither a Value nor a real number.
    """
    zs = _logits(logits, "softmax")
    m = max(z.data for z in zs)
    es = [(z - m).exp() for z in zs]
    total = _sum(es)
    return [e / total for e in es]


def cross_entropy(logits, target_index) -> Value:
    """−log softmax(z)ₜ for the right class t, computed with log-sum-exp.

    Built as log Σₖ e^{zₖ − m} − (zₜ − m) with m the largest logit's data (a
    constant), so logits of ±1000 give finite, exact values and gradients;
    the gradient with respect to zⱼ is softmax(z)ⱼ − [j = t].

    Args:
        logits: the scores zⱼ (a list of Values or numbers).
        target_index: the right class t, an int with 0 ≤ t < len(logits).

    Returns:
        A Value.

    Raises:
        IndexError: if target_index is outside range(len(logits)).
        TypeError: if target_index is not an int (a bool is refused), or a
            logit has the wrong type.
        ValueError: for an empty list of logits.
    """
    zs = _logits(logits, "cross_entropy")
    if not is_int(target_index):
        raise TypeError(
            f"cross_entropy: target_index must be an int class index, "
            f"got {type_name(target_index)} {target_index!r}"
        )
    t = int(target_index)
    if not 0 <= t < len(zs):
        raise IndexError(
            f"cross_entropy: target_index {t} is out of range for {len(zs)} logits "
            f"(allowed: 0 to {len(zs) - 1})"
        )
    m = max(z.data for z in zs)
    shifted = [z - m for z in zs]
    return _sum([s.exp() for s in shifted]).log() - shifted[t]


#: Name -> per-sample loss function, for ``nn.fit(loss="...")`` and `nn.matrix`.
LOSSES = {
    "squared_error": squared_error,
    "mse": mse,
    "half_squared_error": half_squared_error,
    "hinge": hinge,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
}
