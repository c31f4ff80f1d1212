"""nn.data: the toy data sets follow their constructions (NumPy as the
oracle for scikit-learn's moons and circles), are deterministic per seed
without touching the global random state, and train_test_split splits."""

import math
import random
import statistics

import pytest

from nn.data import make_blobs, make_circles, make_moons, make_spirals, train_test_split

np = pytest.importorskip("numpy", reason="NumPy is the oracle for the constructions")


def sklearn_moons(n):
    """scikit-learn's make_moons without noise or shuffle, written in NumPy."""
    n_out, n_in = n // 2, n - n // 2
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T
    y = np.hstack([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    return X, y


def sklearn_circles(n, factor):
    n_out, n_in = n // 2, n - n // 2
    lin_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    lin_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([
        np.append(np.cos(lin_out), np.cos(lin_in) * factor),
        np.append(np.sin(lin_out), np.sin(lin_in) * factor),
    ]).T
    y = np.hstack([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    return X, y


def as_set(X, y):
    return sorted((round(a, 12), round(b, 12), int(t)) for (a, b), t in zip(X, y))


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_moons_follow_scikit_learns_construction(n):
    X, y = make_moons(n, noise=0.0, shuffle=False)
    X_ref, y_ref = sklearn_moons(n)
    assert np.allclose(np.array(X), X_ref, rtol=0, atol=1e-15)
    assert y == y_ref.tolist()
    assert all(type(t) is int for t in y) and all(len(row) == 2 for row in X)
    # shuffled: the same points, each with its label
    Xs, ys = make_moons(n, noise=0.0, seed=3)
    assert as_set(Xs, ys) == as_set(X_ref.tolist(), y_ref.tolist())


@pytest.mark.parametrize("n", [2, 9, 100])
def test_circles_follow_scikit_learns_construction(n):
    X, y = make_circles(n, noise=0.0, factor=0.5, shuffle=False)
    X_ref, y_ref = sklearn_circles(n, 0.5)
    assert np.allclose(np.array(X), X_ref, rtol=0, atol=1e-15)
    assert y == y_ref.tolist()


def test_noise_is_gaussian_with_the_given_std():
    clean, y_clean = make_moons(4000, noise=0.0, seed=1)
    noisy, y_noisy = make_moons(4000, noise=0.1, seed=1)
    assert y_noisy == y_clean  # same shuffle, then noise
    deltas = [n[i] - c[i] for n, c in zip(noisy, clean) for i in (0, 1)]
    assert abs(statistics.fmean(deltas)) < 0.01
    assert abs(statistics.pstdev(deltas) - 0.1) < 0.005


def test_generators_are_deterministic_and_leave_global_random_alone():
    for make in (make_moons, make_circles, make_spirals, make_blobs):
        state = random.getstate()
        a = make(50, seed=4)
        b = make(50, seed=4)
        c = make(50, seed=5)
        assert random.getstate() == state
        assert a == b
        assert a != c
        X, y = a
        assert len(X) == len(y) == 50
    # a random.Random may be passed as the source
    assert make_moons(20, noise=0.1, seed=random.Random(9)) == make_moons(20, noise=0.1, seed=9)


def test_spirals_arms():
    X, y = make_spirals(90, n_classes=3, noise=0.0, shuffle=False)
    assert y == [0] * 30 + [1] * 30 + [2] * 30
    for c in range(3):
        arm = X[30 * c: 30 * (c + 1)]
        radii = [math.hypot(a, b) for a, b in arm]
        assert radii == pytest.approx([i / 29 for i in range(30)], abs=1e-12)
        # the point at radius 1 sits at angle 2π(1 + c/3) from the y axis
        a, b = arm[-1]
        theta = 2 * math.pi * (1 + c / 3)
        assert (a, b) == pytest.approx((math.sin(theta), math.cos(theta)), abs=1e-12)


def test_blobs_centres_and_spread():
    X, y = make_blobs(3000, centers=[[0.0, 0.0], [5.0, -5.0]], cluster_std=0.5, seed=2)
    assert sorted(set(y)) == [0, 1] and y.count(0) == y.count(1) == 1500
    for c, (cx, cy) in enumerate([(0.0, 0.0), (5.0, -5.0)]):
        pts = [p for p, t in zip(X, y) if t == c]
        assert statistics.fmean(p[0] for p in pts) == pytest.approx(cx, abs=0.05)
        assert statistics.fmean(p[1] for p in pts) == pytest.approx(cy, abs=0.05)
        assert statistics.pstdev([p[0] for p in pts]) == pytest.approx(0.5, rel=0.08)
    X, y = make_blobs(10, centers=4, center_box=(-1.0, 1.0), cluster_std=0.0, seed=0)
    assert [y.count(c) for c in range(4)] == [3, 3, 2, 2]
    assert all(-1.0 <= v <= 1.0 for row in X for v in row)


def test_train_test_split():
    X = [[float(i), 0.0] for i in range(20)]
    y = list(range(20))
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=1)
    assert len(X_te) == 5 and len(X_tr) == 15
    assert sorted(y_tr + y_te) == y
    assert all(row[0] == t for row, t in zip(X_tr + X_te, y_tr + y_te))
    assert train_test_split(X, y, seed=1) == (X_tr, X_te, y_tr, y_te)
    assert train_test_split(X, y, seed=2) != (X_tr, X_te, y_tr, y_te)
    assert len(train_test_split(X, y, test_size=0.21)[1]) == 5  # ceil(4.2)
    assert train_test_split(X, y, test_size=3, shuffle=False)[3] == [17, 18, 19]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: make_moons(0), ValueError, "n_samples must be an int >= 1"),
        (lambda: make_moons(10.0), TypeError, "n_samples must be an int"),
        (lambda: make_moons(10, noise=-0.1), ValueError, "noise must be >= 0"),
        (lambda: make_moons(10, noise=math.nan), ValueError, "noise must be finite"),
        (lambda: make_moons(10, seed="a"), TypeError, "seed must be an int"),
        (lambda: make_circles(10, factor=1.0), ValueError, r"factor must be in \[0, 1\)"),
        (lambda: make_spirals(10, n_classes=1), ValueError, "n_classes must be an int >= 2"),
        (lambda: make_spirals(2, n_classes=3), ValueError, "n_samples must be an int >= 3"),
        (lambda: make_blobs(10, centers=[[1.0]]), ValueError, r"centers\[0\] must be a pair"),
        (lambda: make_blobs(10, centers=0), ValueError, "centers must be an int >= 1"),
        (lambda: make_blobs(10, center_box=(1.0, 1.0)), ValueError, "low < high"),
        (lambda: train_test_split([1, 2], [1]), ValueError, "same length, got 2 and 1"),
        (lambda: train_test_split([1], [1]), ValueError, "at least 2 samples"),
        (lambda: train_test_split([1, 2, 3], [1, 2, 3], test_size=1.5), ValueError, r"in \(0, 1\)"),
        (lambda: train_test_split([1, 2, 3], [1, 2, 3], test_size=3), ValueError, r"in \[1, 2\]"),
        (lambda: train_test_split([1, 2, 3], [1, 2, 3], test_size="a"), TypeError, "test_size"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
