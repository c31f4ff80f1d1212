"""Backpropagation in matrix form, with NumPy: the four rules of the seeds.

The scalar engine finds every gradient one node at a time; this module does
the same computation a layer at a time, as “Demystifying Deep Learning,
part 5” (below: “Demystifying”) and “Backward Propagation” write it, so the
two can be compared number for number.  Columns are the m examples
(“Demystifying”): A⁽⁰⁾ = Xᵀ is n₀ × m, and for l = 1..L

    Z⁽ˡ⁾ = W⁽ˡ⁾ A⁽ˡ⁻¹⁾ + b⁽ˡ⁾          A⁽ˡ⁾ = g⁽ˡ⁾(Z⁽ˡ⁾)

with W⁽ˡ⁾[j, k] = w⁽ˡ⁾ⱼₖ.  Backward, for the cost C = (1/m) Σᵢ Cᵢ (Cᵢ the
named per-sample loss of `nn.losses`).  δ has one definition, that of
“Backward Propagation”: δ⁽ˡ⁾ⱼ = ∂Cᵢ/∂z⁽ˡ⁾ⱼ for one observation i, so column
i of δ⁽ˡ⁾ is sample i's and the mean's gradient with respect to z⁽ˡ⁾ⱼ of
sample i is δ⁽ˡ⁾ⱼᵢ / m.  “Demystifying” calls the same matrix dZ⁽ˡ⁾; its
dA⁽ˡ⁾ is likewise ∂Cᵢ/∂A⁽ˡ⁾, per sample, unscaled.

    δ⁽ᴸ⁾ = ∇ₐC ⊙ g′(Z⁽ᴸ⁾)                   (rule 1)
    δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ g′(Z⁽ˡ⁾)        (rule 2; “Demystifying”:
                                             dA⁽ˡ⁾ = W⁽ˡ⁺¹⁾ᵀ dZ⁽ˡ⁺¹⁾,
                                             dZ⁽ˡ⁾ = dA⁽ˡ⁾ ⊙ g′(Z⁽ˡ⁾))
    ∂C/∂b⁽ˡ⁾ = Σᵢ δ⁽ˡ⁾ᵢ / m                  (rule 3; “Demystifying”'s db⁽ˡ⁾)
    ∂C/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (A⁽ˡ⁻¹⁾)ᵀ / m            (rule 4; “Demystifying”'s dW⁽ˡ⁾)

For the usual output/loss pairs rule 1 is the dZ⁽ᴸ⁾ = Ŷ − Y of
“Demystifying”: a sigmoid output with binary cross-entropy (Ŷ = A⁽ᴸ⁾; the
only output it is supported with), a linear output with ½ squared error
(Ŷ = A⁽ᴸ⁾ = Z⁽ᴸ⁾), and a linear output with cross-entropy (Ŷ = softmax(Z⁽ᴸ⁾),
Y one-hot) or with binary cross-entropy on logits (Ŷ = σ(Z⁽ᴸ⁾)).

`Cache` keeps every per-layer quantity, under the name of “Backward
Propagation” (``delta``) and those of “Demystifying” (``dZ``, ``dW``,
``db``, ``dA``; `Cache.named` gives them keyed as the code of
“Demystifying” keys them, ``grads["dW3"]``).

This module needs NumPy: ``import nn.matrix`` raises an ImportError saying
so when it is not installed.  NumPy itself is imported inside the functions,
so importing this module stays cheap; ``import nn`` loads it only on first
use of ``nn.matrix``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

# Finding NumPy does not import it (that waits for the first computation).
try:
    _numpy_found = importlib.util.find_spec("numpy") is not None
except (ImportError, ValueError):
    _numpy_found = False
if not _numpy_found:
    raise ImportError("nn.matrix needs NumPy, which is not installed: pip install numpy")

from autodiff import ops as _ops

from . import layers as _layers
from .checks import real_array

__all__ = ["backprop", "forward", "cost", "Cache", "ACTIVATIONS", "SUPPORTED"]

#: The activations this module knows: those of `nn.layers`.
ACTIVATIONS = tuple(_layers.ACTIVATIONS)

#: Loss name -> the output activations it is supported with.
SUPPORTED = {
    "squared_error": ACTIVATIONS,
    "mse": ACTIVATIONS,
    "half_squared_error": ACTIVATIONS,
    "hinge": ACTIVATIONS,
    "binary_cross_entropy": ("sigmoid",),
    "binary_cross_entropy_with_logits": ACTIVATIONS,
    "cross_entropy": ACTIVATIONS,
}


@dataclass
class Cache:
    """The quantities of one forward (and backward) pass, keyed by layer l.

    Attributes:
        A (dict[int, ndarray]): A⁽ˡ⁾ for l = 0..L, each n_l × m; A[0] = Xᵀ.
        Z (dict[int, ndarray]): Z⁽ˡ⁾ for l = 1..L, each n_l × m.
        delta (dict[int, ndarray]): δ⁽ˡ⁾ = ∂Cᵢ/∂Z⁽ˡ⁾ for l = 1..L, column i
            for sample i (“Backward Propagation”; empty after `forward` alone).  ``dZ`` is
            the same dict under “Demystifying”'s name.
        dA (dict[int, ndarray]): “Demystifying”'s dA⁽ˡ⁾ = ∂Cᵢ/∂A⁽ˡ⁾ (n_l × m),
            column i for sample i: dA⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ dZ⁽ˡ⁾ for l = 1..L (dA[0]
            is the gradient with respect to the inputs, Xᵀ's shape), and
            dA[L] = ∇ₐCᵢ from the loss.  The batch mean C's gradient with
            respect to sample i's a⁽ˡ⁾ⱼ is dA[l][j, i] / m.
        dW (dict[int, ndarray]): dW⁽ˡ⁾ = ∂C/∂W⁽ˡ⁾ = (1/m) dZ⁽ˡ⁾ A⁽ˡ⁻¹⁾ᵀ.
        db (dict[int, ndarray]): db⁽ˡ⁾ = ∂C/∂b⁽ˡ⁾ = (1/m) Σᵢ dZ⁽ˡ⁾ᵢ.
        W (dict[int, ndarray]): W⁽ˡ⁾ (n_l × n_(l−1)) as read from the model.
        b (dict[int, ndarray]): b⁽ˡ⁾ (shape (n_l,)).
        activations (dict[int, list[str]]): g⁽ˡ⁾, one name per node j.
    """

    A: dict = field(default_factory=dict)
    Z: dict = field(default_factory=dict)
    delta: dict = field(default_factory=dict)
    dA: dict = field(default_factory=dict)
    dW: dict = field(default_factory=dict)
    db: dict = field(default_factory=dict)
    W: dict = field(default_factory=dict)
    b: dict = field(default_factory=dict)
    activations: dict = field(default_factory=dict)

    @property
    def L(self) -> int:  # noqa: N802 - the seeds' name for the number of layers
        """The number of layers L."""
        return len(self.Z)

    @property
    def m(self) -> int:
        """The number of examples m (the columns)."""
        return int(self.A[0].shape[1]) if self.A else 0

    @property
    def dZ(self) -> dict:  # noqa: N802 - “Demystifying”'s name
        """The dZ⁽ˡ⁾ of “Demystifying”: the same matrices as `delta` (δ⁽ˡ⁾ = ∂Cᵢ/∂Z⁽ˡ⁾)."""
        return self.delta

    def named(self) -> dict:
        """The backward quantities keyed as the code of “Demystifying” does:
        ``"dZ3"``, ``"dW3"``, ``"db3"`` for every layer and ``"dA2"`` for
        l = 0..L (db as an n_l × 1 column, as its ``keepdims=True`` gives).
        The arrays are copies."""
        out = {}
        for l in range(self.L, 0, -1):  # noqa: E741
            if l in self.delta:
                out[f"dZ{l}"] = self.delta[l].copy()
                out[f"dW{l}"] = self.dW[l].copy()
                out[f"db{l}"] = self.db[l].reshape(-1, 1).copy()
        for l in sorted(self.dA, reverse=True):  # noqa: E741
            out[f"dA{l}"] = self.dA[l].copy()
        return out


# --------------------------------------------------------------------------
# Activations and their derivatives, element-wise, on arrays


def _g(name: str, z):
    import numpy as np

    if name == "relu":
        return np.where(z > 0.0, z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "leaky_relu":
        return np.where(z > 0.0, z, _ops.LEAKY_SLOPE * z)
    if name == "elu":
        return np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "gelu":
        return 0.5 * z * (1.0 + np.tanh(_ops._GELU_K * (z + _ops._GELU_C * z * z * z)))
    if name == "silu":
        return z * _sigmoid(z)
    if name == "softplus":
        small = np.minimum(z, _ops.SOFTPLUS_THRESHOLD)  # no overflow in the unused branch
        return np.where(z > _ops.SOFTPLUS_THRESHOLD, z, np.log1p(np.exp(small)))
    return z.copy()  # linear


def _sigmoid(z):
    import numpy as np

    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _g_prime(name: str, z, a):
    """g′(z), from z and a = g(z), as the engine's op table computes it."""
    import numpy as np

    if name == "relu":
        # 0 at the kink, as in "Demystifying Deep Learning, part 5"
        return np.where(z > 0.0, 1.0, 0.0)
    if name == "tanh":
        return 1.0 - a * a  # 1 − tanh²(z)
    if name == "sigmoid":
        return a * (1.0 - a)  # σ(z)(1 − σ(z))
    if name == "leaky_relu":
        return np.where(z > 0.0, 1.0, _ops.LEAKY_SLOPE)  # 0.01 at the kink
    if name == "elu":
        return np.where(z <= 0.0, a + 1.0, 1.0)  # eᶻ below 0
    if name == "gelu":
        k, c = _ops._GELU_K, _ops._GELU_C
        t = np.tanh(k * (z + c * z * z * z))
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * k * (1.0 + 3.0 * c * z * z)
    if name == "silu":
        s = _sigmoid(z)
        return s * (1.0 + z * (1.0 - s))  # σ(z)(1 + z(1 − σ(z)))
    if name == "softplus":
        return np.where(z > _ops.SOFTPLUS_THRESHOLD, 1.0, _sigmoid(z))  # σ(z)
    return np.ones_like(z)  # linear


def _apply_rows(fn, names: list[str], *arrays):
    """``fn(name, *rows)`` for each group of rows sharing an activation name."""
    import numpy as np

    if len(set(names)) == 1:
        return fn(names[0], *arrays)
    out = np.empty_like(arrays[0])
    for name in set(names):
        rows = [j for j, n in enumerate(names) if n == name]
        out[rows] = fn(name, *[x[rows] for x in arrays])
    return out


# --------------------------------------------------------------------------
# Reading the model and the data


def _read_model(model) -> tuple[list, list, list]:
    """W⁽ˡ⁾, b⁽ˡ⁾ and the activation names of an MLP-shaped model, checked."""
    import numpy as np

    layers = getattr(model, "layers", None)
    if layers is None or isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
        raise TypeError(
            "model must be an nn.MLP (with .layers, each with .neurons), "
            f"got {type(model).__name__}"
        )
    if len(layers) == 0:
        raise ValueError("model has no layers")
    Ws, bs, names = [], [], []
    width = None
    for l, layer in enumerate(layers, start=1):  # noqa: E741 - the seeds' layer index
        neurons = getattr(layer, "neurons", None)
        if not neurons:
            raise TypeError(f"model.layers[{l - 1}] has no neurons (expected an nn.Layer)")
        rows = []
        acts = []
        for j, n in enumerate(neurons):
            act = getattr(n, "activation", None)
            if act not in ACTIVATIONS:
                raise ValueError(
                    f"layer {l}, neuron {j}: activation must be one of {list(ACTIVATIONS)}, "
                    f"got {act!r}"
                )
            rows.append([w.data for w in n.w])
            acts.append(act)
        if len({len(r) for r in rows}) != 1:
            raise ValueError(f"layer {l}: neurons have different numbers of weights")
        if width is not None and len(rows[0]) != width:
            raise ValueError(
                f"layer {l} takes {len(rows[0])} inputs but layer {l - 1} has {width} nodes"
            )
        width = len(rows)
        Ws.append(np.array(rows, dtype=float))
        bs.append(np.array([n.b.data for n in neurons], dtype=float))
        names.append(acts)
    return Ws, bs, names


def _inputs(X, n0: int):
    X = real_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D, m samples × {n0} inputs, got shape {X.shape} "
            "(one sample: X = [x])"
        )
    if X.shape[1] != n0:
        raise ValueError(f"X has {X.shape[1]} columns but the model takes {n0} inputs (m × n₀)")
    if X.shape[0] == 0:
        raise ValueError("X has no samples (m = 0)")
    return X


def _targets(Y, loss: str, m: int, nL: int):
    """Y as an n_L × m matrix (columns = samples); for cross-entropy, one-hot."""
    import numpy as np

    Y = real_array(Y, "Y")
    if loss == "cross_entropy":
        if Y.ndim == 1 or (Y.ndim == 2 and Y.shape[1] == 1 and nL > 1):
            idx = Y.reshape(-1)
            if idx.shape[0] != m:
                raise ValueError(f"Y has {idx.shape[0]} class indices but X has {m} samples")
            bad = (idx != np.round(idx)) | (idx < 0) | (idx >= nL)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"Y[{i}] = {float(idx[i])!r} is not a class index: cross_entropy needs ints "
                    f"0 to {nL - 1} (or one-hot rows of length {nL})"
                )
            onehot = np.zeros((nL, m))
            onehot[idx.astype(int), np.arange(m)] = 1.0
            return onehot
        if Y.shape != (m, nL):
            raise ValueError(
                f"Y must hold {m} class indices or be {m} × {nL} one-hot rows, got shape {Y.shape}"
            )
        if not (np.all((Y == 0.0) | (Y == 1.0)) and np.all(Y.sum(axis=1) == 1.0)):
            raise ValueError("Y's rows must be one-hot (a single 1, the rest 0) for cross_entropy")
        return Y.T.copy()
    if Y.ndim == 1 and nL == 1:
        Y = Y.reshape(-1, 1)
    if Y.ndim != 2 or Y.shape != (m, nL):
        raise ValueError(
            f"Y must be m × n_L = {m} × {nL} (a 1-D Y of length m is fine for one output), "
            f"got shape {Y.shape}"
        )
    if loss == "hinge" and not np.all((Y == 1.0) | (Y == -1.0)):
        raise ValueError("Y must hold only 1 and -1 for the hinge loss")
    if loss.startswith("binary_cross_entropy") and not np.all((Y >= 0.0) & (Y <= 1.0)):
        raise ValueError(f"Y must lie in [0, 1] for {loss}")
    return Y.T.copy()


def _check_loss(loss, output_names: list[str], nL: int) -> str:
    if not isinstance(loss, str):
        raise TypeError(
            f"loss must be a loss name, one of {sorted(SUPPORTED)}, got {type(loss).__name__}"
        )
    if loss not in SUPPORTED:
        raise ValueError(f"loss must be one of {sorted(SUPPORTED)}, got {loss!r}")
    allowed = SUPPORTED[loss]
    wrong = sorted({g for g in output_names if g not in allowed})
    if wrong:
        pairs = "; ".join(f"{name}: {', '.join(acts)}" for name, acts in SUPPORTED.items())
        raise ValueError(
            f"loss {loss!r} is not supported with a {wrong[0]!r} output layer. "
            f"Supported output activations per loss — {pairs}"
        )
    if loss in ("hinge", "binary_cross_entropy", "binary_cross_entropy_with_logits") and nL != 1:
        raise ValueError(
            f"loss {loss!r} takes one score per sample, but the output layer has {nL} nodes"
        )
    return loss


# --------------------------------------------------------------------------
# The passes


def forward(model, X) -> Cache:
    """The forward pass in matrix form: Z⁽ˡ⁾ and A⁽ˡ⁾ for every layer.

    Args:
        model: an `nn.MLP` (anything with ``.layers[i].neurons[j]`` having
            ``.w``, ``.b`` and ``.activation``); its parameters are read, not
            changed.
        X: the inputs, m samples × n₀ (a 2-D array or nested lists).

    Returns:
        A `Cache` with A[0..L], Z[1..L], W and b filled (delta empty).  The
        model's outputs are ``cache.A[L].T`` (m × n_L).

    Raises:
        TypeError: if model is not MLP-shaped.
        ValueError: for a bad X (shape, non-finite) or an unknown activation.
    """
    import numpy as np

    Ws, bs, names = _read_model(model)
    X = _inputs(X, Ws[0].shape[1])
    cache = Cache()
    A = X.T.copy()
    cache.A[0] = A
    for l, (W, b, acts) in enumerate(zip(Ws, bs, names), start=1):  # noqa: E741
        Z = W @ A + b[:, np.newaxis]
        A = _apply_rows(_g, acts, Z)
        cache.W[l], cache.b[l], cache.activations[l] = W, b, acts
        cache.Z[l], cache.A[l] = Z, A
    return cache


def _output_delta(loss: str, cache: Cache, Y):
    """δ⁽ᴸ⁾ (n_L × m): ∂Cᵢ/∂z⁽ᴸ⁾ for each sample's per-sample loss Cᵢ; also
    stores dA⁽ᴸ⁾ = ∇ₐCᵢ in the cache."""
    import numpy as np

    L = cache.L
    Z, A, acts = cache.Z[L], cache.A[L], cache.activations[L]
    nL = A.shape[0]
    if loss == "binary_cross_entropy":
        # sigmoid output only: ∇ₐC = (a − y)/(a(1 − a)) and g′ = a(1 − a)
        # cancel, leaving “Demystifying”'s Ŷ − Y (δ needs no division by zero)
        with np.errstate(divide="ignore", invalid="ignore"):
            cache.dA[L] = (A - Y) / (A * (1.0 - A))
        return A - Y
    # rule 1: ∇ₐC ⊙ g′(z).  With a linear output g′ = 1, and for the logit
    # losses ∇ₐC is already the Ŷ − Y of “Demystifying” (Ŷ = σ(z) or
    # softmax(z)); so is ½ squared error's a − y.
    if loss == "squared_error":
        grad_a = 2.0 * (A - Y)  # ∂/∂aⱼ Σⱼ (aⱼ − yⱼ)²
    elif loss == "half_squared_error":
        grad_a = A - Y  # ∂/∂aⱼ ½ Σⱼ (aⱼ − yⱼ)²
    elif loss == "mse":
        grad_a = 2.0 * (A - Y) / nL
    elif loss == "hinge":
        # ∂/∂s relu(1 − y·s) = −y where 1 − y·s > 0, else 0 (relu′(0) = 0)
        grad_a = np.where(1.0 - Y * A > 0.0, -Y, 0.0)
    elif loss == "binary_cross_entropy_with_logits":
        grad_a = _g("sigmoid", A) - Y  # ∂/∂x = σ(x) − y
    else:  # cross_entropy with a non-linear output: the logits are A⁽ᴸ⁾
        grad_a = _softmax(A) - Y
    cache.dA[L] = grad_a
    return grad_a * _apply_rows(_g_prime, acts, Z, A)


def _softmax(A):
    import numpy as np

    e = np.exp(A - A.max(axis=0, keepdims=True))  # stable: exponents ≤ 0
    return e / e.sum(axis=0, keepdims=True)


def backprop(model, X, Y, loss: str = "squared_error", return_cache: bool = False):
    """The gradients of C = (1/m) Σᵢ Cᵢ for every W⁽ˡ⁾ and b⁽ˡ⁾, in matrix form.

    Args:
        model: an `nn.MLP` (read, not changed; its ``.grad`` are untouched).
        X: inputs, m × n₀.
        Y: targets, m × n_L (a 1-D Y of length m for a single output).  For
            "cross_entropy", m class indices (ints 0..n_L−1) or m × n_L
            one-hot rows; for "hinge", ±1; for the binary cross-entropies,
            values in [0, 1].
        loss: the per-sample loss Cᵢ, a name in `SUPPORTED`: "squared_error"
            (default), "mse", "half_squared_error", "hinge", "binary_cross_entropy" (sigmoid output
            only), "binary_cross_entropy_with_logits", "cross_entropy" (the
            output layer's activations are the logits).  Each means exactly
            the function of that name in `nn.losses`.
        return_cache: also return the `Cache` of Z, A, δ (= dZ), dW, db and
            dA per layer.

    Returns:
        A list with one ``(dW, db)`` pair per layer l = 1..L (index l − 1):
        dW = ∂C/∂W⁽ˡ⁾ shaped n_l × n_(l−1) (dW[j, k] = ∂C/∂w⁽ˡ⁾ⱼₖ) and
        db = ∂C/∂b⁽ˡ⁾ shaped (n_l,).  With ``return_cache=True``, the pair
        ``(grads, cache)``.

    Raises:
        ValueError: for an unknown loss, a loss/output-activation pair that is
            not supported (the message lists the supported ones), or X or Y of
            the wrong shape or with bad values.
        TypeError: if model is not MLP-shaped, or loss is not a name.
    """
    cache = forward(model, X)
    L = cache.L
    m = cache.A[0].shape[1]
    nL = cache.A[L].shape[0]
    loss = _check_loss(loss, cache.activations[L], nL)
    Yt = _targets(Y, loss, m, nL)

    delta = _output_delta(loss, cache, Yt)  # rule 1
    grads: list = [None] * L  # (∂C/∂W⁽ˡ⁾, ∂C/∂b⁽ˡ⁾) at index l − 1
    for l in range(L, 0, -1):  # noqa: E741
        cache.delta[l] = delta
        dW = delta @ cache.A[l - 1].T / m  # rule 4
        db = delta.sum(axis=1) / m  # rule 3
        cache.dW[l], cache.db[l] = dW, db
        grads[l - 1] = (dW, db)
        back = cache.W[l].T @ delta  # “Demystifying”: dA⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ dZ⁽ˡ⁾
        cache.dA[l - 1] = back
        if l > 1:  # rule 2: dZ⁽ˡ⁻¹⁾ = dA⁽ˡ⁻¹⁾ ⊙ g′(Z⁽ˡ⁻¹⁾)
            g_prime = _apply_rows(
                _g_prime, cache.activations[l - 1], cache.Z[l - 1], cache.A[l - 1]
            )
            delta = back * g_prime
    return (grads, cache) if return_cache else grads


def cost(model, X, Y, loss: str = "squared_error") -> float:
    """C = (1/m) Σᵢ Cᵢ computed in matrix form (for checking a training step).

    Arguments and errors as for `backprop`.
    """
    import numpy as np

    cache = forward(model, X)
    L = cache.L
    A = cache.A[L]
    m, nL = A.shape[1], A.shape[0]
    loss = _check_loss(loss, cache.activations[L], nL)
    Y = _targets(Y, loss, m, nL)
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "squared_error":
            per = ((A - Y) ** 2).sum(axis=0)
        elif loss == "half_squared_error":
            per = 0.5 * ((A - Y) ** 2).sum(axis=0)
        elif loss == "mse":
            per = ((A - Y) ** 2).mean(axis=0)
        elif loss == "hinge":
            per = np.maximum(0.0, 1.0 - Y * A)[0]
        elif loss == "binary_cross_entropy":
            # a term with a zero coefficient is left out, as nn.losses does
            pos = np.where(Y > 0.0, Y * np.log(A), 0.0)
            neg = np.where(Y < 1.0, (1.0 - Y) * np.log1p(-A), 0.0)
            per = -(pos + neg)[0]
        elif loss == "binary_cross_entropy_with_logits":
            per = (np.maximum(A, 0.0) - A * Y + np.log1p(np.exp(-np.abs(A))))[0]
        else:
            top = A.max(axis=0)
            lse = top + np.log(np.exp(A - top).sum(axis=0))
            per = lse - (A * Y).sum(axis=0)
    return float(per.mean())

