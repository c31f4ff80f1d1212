"""Small 2-D toy data sets in pure Python (no NumPy), and a train/test split.

Every generator returns ``(X, y)``: ``X`` a list of ``[x0, x1]`` float
lists, ``y`` a list of int class labels.  Each draws from its own
``random.Random(seed)``, so the same arguments give the same data, whatever
else uses the global ``random`` module.  ``seed`` is an int (default 0), a
``random.Random`` to draw from, or None for a fresh unseeded source.

For micrograd's ±1 targets: ``y = [2 * t - 1 for t in y]``.
"""

from __future__ import annotations

import math
import random

from autodiff.arguments import integer, is_int, is_real, real, type_name

__all__ = ["make_moons", "make_circles", "make_spirals", "make_blobs", "train_test_split"]


# --------------------------------------------------------------------------
# Argument checks


def _rng(seed) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if not is_int(seed):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type_name(seed)}")
    return random.Random(int(seed))


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    """NumPy's linspace: n evenly spaced points from start (to stop)."""
    if n == 0:
        return []
    if n == 1:
        return [start]
    div = (n - 1) if endpoint else n
    step = (stop - start) / div
    points = [start + i * step for i in range(n)]
    if endpoint:
        points[-1] = stop
    return points


def _finish(X, y, rng: random.Random, shuffle: bool, noise: float):
    """Shuffle the samples, then add Gaussian noise of std ``noise`` to each
    coordinate (scikit-learn's order)."""
    if shuffle:
        order = list(range(len(X)))
        rng.shuffle(order)
        X = [X[i] for i in order]
        y = [y[i] for i in order]
    if noise > 0.0:
        X = [[x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)] for x0, x1 in X]
    return X, y


# --------------------------------------------------------------------------
# Generators


def make_moons(n_samples: int = 100, noise: float = 0.0, seed=0, shuffle: bool = True):
    """Two interleaving half circles, scikit-learn's construction.

    Class 0 is the upper half of the unit circle, ⌊n/2⌋ points at angles
    evenly spaced over [0, π]: (cos t, sin t); class 1 (the rest) the lower
    half circle shifted right and up: (1 − cos t, 0.5 − sin t).  The samples
    are then shuffled, and Gaussian noise of standard deviation ``noise`` is
    added to every coordinate.

    Args:
        n_samples: the number of points (≥ 1).
        noise: the noise's standard deviation (≥ 0).
        seed: an int, a random.Random, or None (see the module docstring).
        shuffle: shuffle the samples (else class 0 comes first).

    Returns:
        (X, y): X a list of [x0, x1]; y a list of 0/1.
    """
    n = integer(n_samples, "n_samples", minimum=1)
    noise = real(noise, "noise", minimum=0.0)
    rng = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = _linspace(0.0, math.pi, n_out)
    inner = _linspace(0.0, math.pi, n_in)
    X = [[math.cos(t), math.sin(t)] for t in outer]
    X += [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in inner]
    y = [0] * n_out + [1] * n_in
    return _finish(X, y, rng, shuffle, noise)


def make_circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed=0, shuffle: bool = True
):
    """A large circle containing a smaller one, scikit-learn's construction.

    Class 0: ⌊n/2⌋ points evenly spaced (endpoint excluded) on the unit
    circle; class 1: the rest on the circle of radius ``factor``.  Then
    shuffled, then Gaussian noise of std ``noise`` on every coordinate.

    Args:
        n_samples: the number of points (≥ 1).
        noise: the noise's standard deviation (≥ 0).
        factor: the inner circle's radius, in [0, 1).
        seed: an int, a random.Random, or None.
        shuffle: shuffle the samples.

    Returns:
        (X, y): X a list of [x0, x1]; y a list of 0/1.
    """
    n = integer(n_samples, "n_samples", minimum=1)
    noise = real(noise, "noise", minimum=0.0)
    factor = real(factor, "factor", minimum=0.0)
    if factor >= 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = _linspace(0.0, 2.0 * math.pi, n_out, endpoint=False)
    inner = _linspace(0.0, 2.0 * math.pi, n_in, endpoint=False)
    X = [[math.cos(t), math.sin(t)] for t in outer]
    X += [[factor * math.cos(t), factor * math.sin(t)] for t in inner]
    y = [0] * n_out + [1] * n_in
    return _finish(X, y, rng, shuffle, noise)


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.2,
    turns: float = 1.0,
    seed=0,
    shuffle: bool = True,
):
    """Interleaved spiral arms, one per class (the CS231n spiral data).

    Class c gets n/n_classes points (the first n mod n_classes classes one
    more); point i of an arm of m points has radius r = i/(m−1) and angle
    θ = 2π·turns·r + 2πc/n_classes + noise·N(0, 1), at (r sin θ, r cos θ).
    So ``noise`` is the standard deviation of the angle, in radians.

    Args:
        n_samples: the number of points (≥ n_classes).
        n_classes: the number of arms (≥ 2).
        noise: the angle noise's standard deviation (≥ 0).
        turns: how many full turns each arm makes (> 0).
        seed: an int, a random.Random, or None.
        shuffle: shuffle the samples (else by class).

    Returns:
        (X, y): X a list of [x0, x1]; y a list of 0..n_classes−1.
    """
    k = integer(n_classes, "n_classes", minimum=2)
    n = integer(n_samples, "n_samples", minimum=k)
    noise = real(noise, "noise", minimum=0.0)
    turns = real(turns, "turns", minimum=0.0)
    if turns == 0.0:
        raise ValueError("turns must be > 0, got 0.0")
    rng = _rng(seed)
    X, y = [], []
    for c in range(k):
        m = n // k + (1 if c < n % k else 0)
        for r in _linspace(0.0, 1.0, m):
            theta = 2.0 * math.pi * (turns * r + c / k)
            if noise > 0.0:
                theta += rng.gauss(0.0, noise)
            X.append([r * math.sin(theta), r * math.cos(theta)])
            y.append(c)
    return _finish(X, y, rng, shuffle, 0.0)


def make_blobs(
    n_samples: int = 100,
    centers=3,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed=0,
    shuffle: bool = True,
):
    """Isotropic Gaussian blobs, one class per centre.

    Args:
        n_samples: the number of points (≥ 1), split as evenly as possible
            (the first n mod k centres get one more).
        centers: the number of centres k (drawn uniformly in ``center_box``
            for both coordinates), or a list of [x0, x1] centres.
        cluster_std: each blob's standard deviation (≥ 0).
        center_box: (low, high) for drawn centres.
        seed: an int, a random.Random, or None.
        shuffle: shuffle the samples (else by class).

    Returns:
        (X, y): X a list of [x0, x1]; y a list of 0..k−1.
    """
    n = integer(n_samples, "n_samples", minimum=1)
    std = real(cluster_std, "cluster_std", minimum=0.0)
    rng = _rng(seed)
    if isinstance(centers, (list, tuple)):
        if not centers:
            raise ValueError("centers must be an int >= 1 or a non-empty list of [x0, x1]")
        points = []
        for i, c in enumerate(centers):
            if not isinstance(c, (list, tuple)) or len(c) != 2:
                raise ValueError(f"centers[{i}] must be a pair [x0, x1], got {c!r}")
            points.append([real(v, f"centers[{i}]") for v in c])
    else:
        k = integer(centers, "centers", minimum=1)
        try:
            low, high = (real(v, "center_box") for v in center_box)
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"center_box must be a pair (low, high) of finite numbers: {e}"
            ) from None
        if not low < high:
            raise ValueError(f"center_box must have low < high, got {center_box!r}")
        points = [[rng.uniform(low, high), rng.uniform(low, high)] for _ in range(k)]
    k = len(points)
    X, y = [], []
    for c, (cx, cy) in enumerate(points):
        m = n // k + (1 if c < n % k else 0)
        for _ in range(m):
            X.append([cx + rng.gauss(0.0, std), cy + rng.gauss(0.0, std)])
            y.append(c)
    return _finish(X, y, rng, shuffle, 0.0)


def train_test_split(X, y, test_size=0.25, seed=0, shuffle: bool = True):
    """Split samples into a training and a test part.

    Args:
        X: a sequence of samples.
        y: a sequence of targets, as long as X.
        test_size: a fraction in (0, 1) (the test part has ⌈test_size·n⌉
            samples, as scikit-learn) or an int count in [1, n − 1].
        seed: an int, a random.Random, or None, for the shuffle.
        shuffle: shuffle before splitting (else the last samples are the
            test part).

    Returns:
        (X_train, X_test, y_train, y_test), lists (scikit-learn's order).
    """
    try:
        n = len(X)
        m = len(y)
    except TypeError:
        raise TypeError("X and y must be sequences") from None
    if n != m:
        raise ValueError(f"X and y must have the same length, got {n} and {m}")
    if n < 2:
        raise ValueError(f"need at least 2 samples to split, got {n}")
    if not is_real(test_size):
        raise TypeError(f"test_size must be a fraction or an int, got {type_name(test_size)}")
    if is_int(test_size):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(f"test_size as a count must be in [1, {n - 1}], got {n_test}")
    else:
        fraction = float(test_size)
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {fraction!r}")
        n_test = math.ceil(fraction * n)
        if not 1 <= n_test <= n - 1:
            raise ValueError(
                f"test_size={fraction!r} of {n} samples leaves an empty part ({n_test} test)"
            )
    order = list(range(n))
    if shuffle:
        _rng(seed).shuffle(order)
    test, train = order[n - n_test :], order[: n - n_test]
    X, y = list(X), list(y)
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
