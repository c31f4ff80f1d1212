"""`autodiff.affine`: a layer's weighted inputs over a batch, one `dot` node
per sample and row.

Oracles: NumPy's matrix form W·x + b for the values and Wᵀδ, δxᵀ for the
gradients; central differences for a gradient through a nonlinearity; the
node `dot` makes for the structure (affine promises that very node).
"""

import math
import random

import pytest

import autodiff
from autodiff import Value

np = pytest.importorskip("numpy", reason="the matrix-form oracle needs NumPy")


def _batch(rows=3, n=4, samples=5, seed=0):
    rng = random.Random(seed)
    W = [[Value(rng.gauss(0, 1)) for _ in range(n)] for _ in range(rows)]
    B = [Value(rng.gauss(0, 1)) for _ in range(rows)]
    X = [[Value(rng.gauss(0, 1)) for _ in range(n)] for _ in range(samples)]
    return W, B, X


def test_values_are_the_matrix_form_and_the_nodes_are_dots():
    W, B, X = _batch()
    Z = autodiff.affine(W, X, B)
    Wm = np.array([[w.data for w in row] for row in W])
    bm = np.array([b.data for b in B])
    assert len(Z) == len(X) and all(len(row) == len(W) for row in Z)
    for i, x in enumerate(X):
        expected = Wm @ np.array([v.data for v in x]) + bm
        assert [z.data for z in Z[i]] == pytest.approx(list(expected), rel=1e-14, abs=1e-14)
        for j in range(len(W)):
            same = autodiff.dot(W[j], x, B[j])
            z = Z[i][j]
            assert z.op == "dot" and z.parents == same.parents and z.data == same.data
            assert z.parents[: len(W[j])] == tuple(W[j]) and z.parents[-1] is B[j]


def test_gradients_are_the_matrix_form_over_the_batch():
    # C = Σᵢ Σⱼ cⱼ zᵢⱼ: ∂C/∂W = Σᵢ c xᵢᵀ, ∂C/∂b = n·c, ∂C/∂xᵢ = Wᵀc
    W, B, X = _batch(rows=4, n=3, samples=6, seed=1)
    c = [0.5, -1.0, 2.0, 0.25]
    Z = autodiff.affine(W, X, B)
    C = autodiff.sum([cj * z for row in Z for cj, z in zip(c, row)])
    C.backward()
    Wm = np.array([[w.data for w in row] for row in W])
    Xm = np.array([[v.data for v in x] for x in X])
    cv = np.array(c)
    dW = np.outer(cv, Xm.sum(axis=0))
    assert [w.grad for row in W for w in row] == pytest.approx(list(dW.ravel()), rel=1e-13)
    assert [b.grad for b in B] == pytest.approx(list(len(X) * cv), rel=1e-13)
    for x in X:
        assert [v.grad for v in x] == pytest.approx(list(Wm.T @ cv), rel=1e-13)


def test_gradient_through_a_nonlinearity_matches_central_differences():
    W, B, X = _batch(rows=2, n=2, samples=3, seed=2)

    def cost(w00: float) -> float:
        saved = W[0][0].data
        W[0][0].data = w00
        try:
            Z = autodiff.affine(W, X, B)
            return autodiff.sum([z.tanh() for row in Z for z in row]).data
        finally:
            W[0][0].data = saved

    Z = autodiff.affine(W, X, B)
    autodiff.sum([z.tanh() for row in Z for z in row]).backward()
    h, w = 1e-6, W[0][0].data
    numeric = (cost(w + h) - cost(w - h)) / (2 * h)
    assert W[0][0].grad == pytest.approx(numeric, rel=1e-7)


def test_without_biases_and_with_numbers():
    Z = autodiff.affine([[1, 2.0], [0.5, -1]], [[3.0, Value(4.0)]])
    assert [z.data for z in Z[0]] == [11.0, -2.5]
    assert all(len(z.parents) == 4 for z in Z[0])  # 2 weights, 2 inputs, no bias
    assert all(isinstance(p, Value) for z in Z[0] for p in z.parents)
    assert autodiff.affine([[1.0]], []) == []


def test_no_grad_makes_leaves_and_anomaly_names_the_op():
    W, B, X = _batch(rows=1, n=2, samples=1)
    with autodiff.no_grad():
        (z,), = autodiff.affine(W, X, B)
    assert z.parents == () and z.op == ""
    X[0][0].data = math.nan
    with autodiff.detect_anomaly(), pytest.raises(autodiff.AnomalyError, match="'dot'"):
        autodiff.affine(W, X, B)


_NOT_A_NUMBER = "must be a Value or a real number, got"


@pytest.mark.parametrize(
    "args, error, message",
    [
        (([[1.0, 2.0], [1.0]], [[1.0, 2.0]]), ValueError, r"weights\[1\] has 1 values, .* has 2"),
        (([[1.0, 2.0]], [[1.0, 2.0], [1.0, 2.0, 3.0]]), ValueError, r"inputs\[1\] has 3 values"),
        (([[1.0]], [[1.0]], [1.0, 2.0]), ValueError, r"2 biases for 1 rows"),
        (([[1.0, "a"]], [[1.0, 2.0]]), TypeError, rf"weights\[0\]\[1\] {_NOT_A_NUMBER} str"),
        (([[1.0]], [[None]]), TypeError, rf"inputs\[0\]\[0\] {_NOT_A_NUMBER} NoneType"),
        (([[1.0]], [1.0]), TypeError, r"inputs\[0\] must be a sequence, got float"),
        ((5, [[1.0]]), TypeError, r"weights must be a sequence, got int"),
        (([[1.0]], [[1.0]], Value(1.0)), TypeError, r"biases must be a sequence, got .*Value"),
    ],
)
def test_bad_arguments_are_named(args, error, message):
    with pytest.raises(error, match=message):
        autodiff.affine(*args)
