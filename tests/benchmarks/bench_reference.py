"""The plain-Python reference for the benchmark: the same sums, no graph.

Each function here computes a workload's forward pass and its gradients with
hand-written loops over floats.  No node is made, no traversal happens and no
dictionary of gradients is kept: it is what a careful programmer writes by
hand, and the benchmark divides the engine's time by it.  It is not a lower
bound for the same arithmetic in pure Python: its loops, list indexing and
per-sample lists cost more than the arithmetic, and straight-line code
(`autodiff.compile`'s step: one statement per node, no loop) beats it.

The network follows the seeds' notation: ``W[l-1][j][k]`` is w⁽ˡ⁾ⱼₖ (layer l,
node j, input k), ``B[l-1][j]`` is b⁽ˡ⁾ⱼ, z⁽ˡ⁾ⱼ = Σₖ w⁽ˡ⁾ⱼₖ a⁽ˡ⁻¹⁾ₖ + b⁽ˡ⁾ⱼ,
a⁽ˡ⁾ⱼ = relu(z⁽ˡ⁾ⱼ) in hidden layers and a⁽ᴸ⁾ⱼ = z⁽ᴸ⁾ⱼ at the output, and
δ⁽ˡ⁾ⱼ = ∂C/∂z⁽ˡ⁾ⱼ.
"""

from __future__ import annotations


class ReferenceMLP:
    """A ReLU MLP with a linear output, trained with micrograd's demo loss.

    Args:
        weights: per layer l = 1..L, a list of neurons, each a pair
            ``(w, b)`` with ``w`` the list of w⁽ˡ⁾ⱼₖ over k and ``b`` = b⁽ˡ⁾ⱼ
            (plain numbers; they are copied).

    Attributes:
        W (list[list[list[float]]]): ``W[l-1][j][k]`` = w⁽ˡ⁾ⱼₖ.
        B (list[list[float]]): ``B[l-1][j]`` = b⁽ˡ⁾ⱼ.
    """

    def __init__(self, weights) -> None:
        self.W = [[[float(w) for w in ws] for ws, _ in layer] for layer in weights]
        self.B = [[float(b) for _, b in layer] for layer in weights]

    def parameters(self) -> list[float]:
        """All parameters as floats, in micrograd's order (per neuron: w then b)."""
        return [p for Wl, Bl in zip(self.W, self.B) for ws, b in zip(Wl, Bl) for p in (*ws, b)]

    def step(self, X, Y, k: int, alpha: float = 1e-4) -> float:
        """One step of micrograd's demo on the whole batch.

        The loss is (1/n) Σᵢ relu(1 − yᵢ·sᵢ) + alpha·Σ p², the gradients are
        those of that loss, and every parameter moves by −lr·grad with
        lr = 1.0 − 0.9·k/100.

        Args:
            X: the inputs, a list of lists of floats.
            Y: the targets, ±1.
            k: the step number (for the learning rate).
            alpha: the L2 coefficient.

        Returns:
            The loss before the update, a float.
        """
        W, B = self.W, self.B
        L = len(W)
        n = len(X)
        # ∂C/∂w⁽ˡ⁾ⱼₖ and ∂C/∂b⁽ˡ⁾ⱼ, accumulated over the samples
        gW = [[[0.0] * len(ws) for ws in Wl] for Wl in W]
        gB = [[0.0] * len(Bl) for Bl in B]
        data_loss = 0.0
        for x, y in zip(X, Y):
            # forward: keep a⁽ˡ⁾ for every layer (a⁽⁰⁾ = x); z⁽ˡ⁾ only matters
            # through relu'(z) = [z > 0] = [a > 0], so a is enough
            activations = [x]
            a = x
            for l in range(L):
                z = []
                for ws, b in zip(W[l], B[l]):
                    s = b
                    for w, ak in zip(ws, a):
                        s += w * ak
                    z.append(s)
                a = [zj if zj > 0.0 else 0.0 for zj in z] if l < L - 1 else z
                activations.append(a)
            margin = 1.0 - y * a[0]
            # backward: δ⁽ᴸ⁾ = ∂C/∂z⁽ᴸ⁾ = −y/n where the hinge is active, else 0
            # (linear output), then δ⁽ˡ⁾ₖ = Σⱼ w⁽ˡ⁺¹⁾ⱼₖ δ⁽ˡ⁺¹⁾ⱼ · relu'(z⁽ˡ⁾ₖ).
            # Zeros are propagated like any other number: the reference does
            # the same arithmetic as a graph, only without the graph.
            if margin > 0.0:
                data_loss += margin
                delta = [-y / n]
            else:
                delta = [0.0]
            for l in range(L - 1, -1, -1):
                a_prev = activations[l]
                gWl, gBl, Wl = gW[l], gB[l], W[l]
                for j, dj in enumerate(delta):
                    gBl[j] += dj
                    gw = gWl[j]
                    for kk, ak in enumerate(a_prev):
                        gw[kk] += dj * ak
                if l == 0:
                    break
                back = [0.0] * len(a_prev)
                for j, dj in enumerate(delta):
                    for kk, w in enumerate(Wl[j]):
                        back[kk] += w * dj
                delta = [bk if ak > 0.0 else 0.0 for bk, ak in zip(back, a_prev)]
        # the L2 term: alpha Σ p², ∂/∂p = 2 alpha p
        reg = 0.0
        for Wl, Bl in zip(W, B):
            for ws, b in zip(Wl, Bl):
                for w in ws:
                    reg += w * w
                reg += b * b
        loss = data_loss / n + alpha * reg
        lr = 1.0 - 0.9 * k / 100
        two_alpha = 2.0 * alpha
        for Wl, Bl, gWl, gBl in zip(W, B, gW, gB):
            for j, (ws, gw) in enumerate(zip(Wl, gWl)):
                for kk in range(len(ws)):
                    ws[kk] -= lr * (gw[kk] + two_alpha * ws[kk])
                Bl[j] -= lr * (gBl[j] + two_alpha * Bl[j])
        return loss


def chain(x0: float, n: int, scale: float = 1.0001, shift: float = 0.5) -> tuple[float, float]:
    """W2's chain x ← x·scale + shift, n times, and d(result)/d(x0).

    The forward pass records each step's local derivative on a tape (a list),
    and the backward pass walks it in reverse, as a tape-based engine would.

    Returns:
        ``(result, gradient)``.
    """
    tape = []
    record = tape.append
    x = x0
    for _ in range(n):
        record(scale)  # d(x·scale + shift)/dx
        x = x * scale + shift
    g = 1.0
    for d in reversed(tape):
        g *= d
    return x, g


def chain_loop(x0: float, n: int, scale: float = 1.0001, shift: float = 0.5) -> tuple[float, float]:
    """W2's recurrence x ← x·scale + shift as a plain float loop, with its
    derivative d(result)/d(x0) = scaleⁿ multiplied along (no tape).

    Returns:
        ``(result, gradient)``.
    """
    x, g = x0, 1.0
    for _ in range(n):
        x = x * scale + shift
        g *= scale
    return x, g


def weighted_sum(ws: list[float], xs: list[float]) -> tuple[float, list[float], list[float]]:
    """W4's Σᵢ wᵢxᵢ and its gradients ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, with loops.

    Returns:
        ``(sum, grads_w, grads_x)``.
    """
    s = 0.0
    for w, x in zip(ws, xs):
        s += w * x
    g = 1.0
    grads_w = [0.0] * len(ws)
    grads_x = [0.0] * len(xs)
    for i in range(len(ws)):
        grads_w[i] = g * xs[i]
        grads_x[i] = g * ws[i]
    return s, grads_w, grads_x
