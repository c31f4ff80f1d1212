"""nn.matrix: the four rules in NumPy give the scalar engine's gradients, per
weight, for every activation and supported loss; the cache holds the seeds'
Z, A and δ; bad input is refused clearly."""

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import grad, topological_order
from nn import batch_loss, losses, matrix
from nn.layers import MLP
from nn.notation import label

np = pytest.importorskip("numpy", reason="nn.matrix is the NumPy part of nn")

ACTS = ["relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu", "softplus"]


def engine_cost(model, X, Y, loss):
    """C = (1/m) Σᵢ Cᵢ on the scalar engine: nn.batch_loss, the cost fit trains on."""
    if loss == "cross_entropy":
        targets = [int(y) for y in Y]
    else:
        targets = [float(y) if np.ndim(y) == 0 else [float(v) for v in y] for y in Y]
    return batch_loss(model, [[float(v) for v in x] for x in X], targets, loss)


def engine_grads(model, X, Y, loss):
    model.zero_grad()
    cost, _ = engine_cost(model, X, Y, loss)
    cost.backward()
    return [
        (
            np.array([[w.grad for w in n.w] for n in layer.neurons]),
            np.array([n.b.grad for n in layer.neurons]),
        )
        for layer in model.layers
    ], cost.data


def targets_for(loss, rng, m, nL):
    if loss in ("squared_error", "mse", "half_squared_error"):
        Y = rng.uniform(-1.5, 1.5, size=(m, nL))
        return Y[:, 0] if nL == 1 and rng.random() < 0.5 else Y
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], size=m)
    if loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        return rng.choice([0.0, 1.0, 0.3], size=m)
    return rng.integers(0, nL, size=m)


def case_strategy():
    """(loss, nin, nouts, hidden activation, output activation, m, seed)."""

    @st.composite
    def build(draw):
        loss = draw(st.sampled_from(sorted(matrix.SUPPORTED)))
        single = loss in ("hinge", "binary_cross_entropy", "binary_cross_entropy_with_logits")
        nin = draw(st.integers(1, 4))
        hidden = draw(st.lists(st.integers(1, 5), min_size=0, max_size=3))
        nL = 1 if single else draw(st.integers(1, 4))
        out_act = draw(st.sampled_from(matrix.SUPPORTED[loss]))
        act = draw(st.sampled_from(ACTS))
        m = draw(st.integers(1, 6))
        seed = draw(st.integers(0, 10_000))
        ws = draw(st.sampled_from(["dot", "products"]))
        return loss, nin, [*hidden, nL], act, out_act, m, seed, ws

    return build()


@settings(max_examples=60)
@given(case_strategy())
def test_backprop_equals_engine_per_weight(case):
    loss, nin, nouts, act, out_act, m, seed, ws = case
    model = MLP(nin, nouts, activation=act, output_activation=out_act, seed=seed, weighted_sum=ws)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(m, nin))
    Y = targets_for(loss, rng, m, nouts[-1])
    got = matrix.backprop(model, X, Y, loss)
    expected, cost = engine_grads(model, X, Y, loss)
    assert len(got) == len(nouts)
    for l, ((dW, db), (eW, eb)) in enumerate(zip(got, expected), start=1):
        assert dW.shape == (nouts[l - 1], ([nin, *nouts])[l - 1])
        assert db.shape == (nouts[l - 1],)
        np.testing.assert_allclose(dW, eW, rtol=1e-12, atol=1e-12, err_msg=f"dW layer {l}")
        np.testing.assert_allclose(db, eb, rtol=1e-12, atol=1e-12, err_msg=f"db layer {l}")
    assert matrix.cost(model, X, Y, loss) == pytest.approx(cost, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("loss", sorted(matrix.SUPPORTED))
@pytest.mark.parametrize("out_act", ACTS)
@pytest.mark.parametrize("act", ACTS)
def test_every_activation_and_loss_pair(loss, out_act, act):
    if out_act not in matrix.SUPPORTED[loss]:
        with pytest.raises(ValueError, match="Supported output activations"):
            matrix.backprop(MLP(2, [3, 1], act, out_act, seed=0), [[0.0, 1.0]], [1.0], loss)
        return
    nL = 1 if loss in ("hinge", "binary_cross_entropy", "binary_cross_entropy_with_logits") else 3
    model = MLP(3, [4, 3, nL], activation=act, output_activation=out_act, seed=7)
    rng = np.random.default_rng(3)
    X = rng.uniform(-1.5, 1.5, size=(5, 3))
    Y = targets_for(loss, rng, 5, nL)
    got = matrix.backprop(model, X, Y, loss)
    expected, _ = engine_grads(model, X, Y, loss)
    for (dW, db), (eW, eb) in zip(got, expected):
        np.testing.assert_allclose(dW, eW, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(db, eb, rtol=1e-12, atol=1e-12)


def test_hand_derived_one_neuron_per_layer():
    # x → z¹ = w¹x + b¹, a¹ = tanh z¹ → z² = w²a¹ + b², linear; C = (z² − y)²
    model = MLP(1, [1, 1], activation="tanh", seed=0)
    w1, w2 = model.layers[0].neurons[0].w[0], model.layers[1].neurons[0].w[0]
    w1.data, w2.data = 0.5, -1.25
    model.layers[0].neurons[0].b.data = 0.1
    model.layers[1].neurons[0].b.data = 0.2
    x, y = 0.8, 0.3
    a1 = math.tanh(0.5 * x + 0.1)
    z2 = -1.25 * a1 + 0.2
    d2 = 2 * (z2 - y)
    d1 = -1.25 * d2 * (1 - a1**2)
    (dW1, db1), (dW2, db2) = matrix.backprop(model, [[x]], [y])
    assert dW2[0, 0] == pytest.approx(d2 * a1, rel=1e-14)
    assert db2[0] == pytest.approx(d2, rel=1e-14)
    assert dW1[0, 0] == pytest.approx(d1 * x, rel=1e-14)
    assert db1[0] == pytest.approx(d1, rel=1e-14)


def test_cache_holds_seed_quantities():
    model = MLP(2, [3, 2], activation="relu", output_activation="sigmoid", seed=11)
    X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.7, 0.9]])
    Y = np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 0.0]])
    grads, cache = matrix.backprop(model, X, Y, "squared_error", return_cache=True)
    assert cache.L == 2
    assert cache.A[0].shape == (2, 3) and np.array_equal(cache.A[0], X.T)
    for i, (x, y) in enumerate(zip(X, Y)):
        out = model(list(x))
        c_i = losses.squared_error(out, list(y))
        nodes = {n.label: n for n in topological_order(c_i) if n.label}
        for l, n_l in ((1, 3), (2, 2)):
            zs = [nodes[label("z", l, j)] for j in range(n_l)]
            assert cache.Z[l][:, i] == pytest.approx([z.data for z in zs], rel=1e-13, abs=1e-15)
            a = [nodes[label("a", l, j)].data for j in range(n_l)]
            assert cache.A[l][:, i] == pytest.approx(a, rel=1e-13, abs=1e-15)
            # δ⁽ˡ⁾ column i is ∂Cᵢ/∂z⁽ˡ⁾ of sample i's own loss
            assert cache.delta[l][:, i] == pytest.approx(grad(c_i, zs), rel=1e-12, abs=1e-14)
    assert cache.W[2].shape == (2, 3) and cache.W[2][1, 2] == model.layers[1].neurons[1].w[2].data
    assert cache.activations[1] == ["relu"] * 3
    # rules 3 and 4 from the cache
    np.testing.assert_allclose(grads[1][0], cache.delta[2] @ cache.A[1].T / 3, rtol=1e-15)
    np.testing.assert_allclose(grads[0][1], cache.delta[1].mean(axis=1), rtol=1e-14)


def test_forward_matches_model_outputs_and_changes_nothing():
    model = MLP(3, [4, 2], activation="tanh", seed=5)
    before = [p.data for p in model.parameters()]
    for p in model.parameters():
        p.grad = 0.25
    X = [[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]]
    cache = matrix.forward(model, X)
    outs = np.array([[v.data for v in model(x)] for x in X])
    np.testing.assert_allclose(cache.A[2].T, outs, rtol=1e-14)
    assert cache.delta == {}
    matrix.backprop(model, X, [[0, 1], [1, 0]])
    assert [p.data for p in model.parameters()] == before
    assert all(p.grad == 0.25 for p in model.parameters())


def test_relu_derivative_is_zero_at_zero():
    # all of layer 1 dead and zero biases: z⁽²⁾ = 0 exactly, relu′(0) = 0
    model = MLP(1, [2, 1, 1], activation="relu", seed=0)
    for n in model.layers[0].neurons:
        n.w[0].data = -1.0
    (_, db1), (dW2, db2), (dW3, db3) = matrix.backprop(model, [[1.0]], [5.0])
    assert db2[0] == 0.0 and np.all(dW2 == 0.0) and np.all(db1 == 0.0)
    assert dW3[0, 0] == 0.0  # a⁽²⁾ = relu(0) = 0
    assert db3[0] == 2 * (0.0 - 5.0)


def test_cross_entropy_accepts_one_hot_rows():
    model = MLP(2, [3, 3], seed=2)
    X = [[0.5, 0.1], [-0.3, 0.8]]
    by_index = matrix.backprop(model, X, [2, 0], "cross_entropy")
    by_onehot = matrix.backprop(model, X, [[0, 0, 1], [1, 0, 0]], "cross_entropy")
    for (a, b), (c, d) in zip(by_index, by_onehot):
        assert np.array_equal(a, c) and np.array_equal(b, d)


# --------------------------------------------------------------------------
# Errors


@pytest.fixture
def model():
    return MLP(2, [3, 2], seed=1)


def test_bad_shapes_are_named(model):
    with pytest.raises(ValueError, match=r"X has 3 columns but the model takes 2 inputs"):
        matrix.backprop(model, [[1.0, 2.0, 3.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        matrix.backprop(model, [1.0, 2.0], [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"Y must be m × n_L = 1 × 2"):
        matrix.backprop(model, [[1.0, 2.0]], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"Y must be m × n_L = 2 × 2"):
        matrix.backprop(model, [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="no samples"):
        matrix.backprop(model, np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match="finite"):
        matrix.backprop(model, [[math.nan, 2.0]], [[0.0, 0.0]])
    with pytest.raises(TypeError, match="real numbers"):
        matrix.backprop(model, [["a", 2.0]], [[0.0, 0.0]])


def test_bad_losses_and_pairs_are_refused(model):
    with pytest.raises(ValueError, match=r"loss must be one of .*'cross_entropy'.*got 'l1'"):
        matrix.backprop(model, [[1.0, 2.0]], [[0.0, 0.0]], loss="l1")
    linear_out = MLP(2, [1], output_activation="linear", seed=0)
    unsupported = r"'binary_cross_entropy' is not supported with a 'linear'"
    with pytest.raises(ValueError, match=unsupported):
        matrix.backprop(linear_out, [[1.0, 2.0]], [1.0], loss="binary_cross_entropy")
    with pytest.raises(ValueError, match=r"one score per sample, but the output layer has 2"):
        matrix.backprop(model, [[1.0, 2.0]], [[1.0, -1.0]], loss="hinge")
    single = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="only 1 and -1"):
        matrix.backprop(single, [[1.0, 2.0]], [0.0], loss="hinge")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        matrix.backprop(single, [[1.0, 2.0]], [2.0], loss="binary_cross_entropy_with_logits")
    with pytest.raises(ValueError, match=r"Y\[1\] = 2.0 is not a class index"):
        matrix.backprop(model, [[1.0, 2.0], [0.0, 1.0]], [0, 2], loss="cross_entropy")
    with pytest.raises(ValueError, match="one-hot"):
        matrix.backprop(model, [[1.0, 2.0]], [[0.5, 0.5]], loss="cross_entropy")
    with pytest.raises(TypeError, match="loss must be a loss name"):
        matrix.backprop(model, [[1.0, 2.0]], [[0.0, 0.0]], loss=losses.mse)
    with pytest.raises(TypeError, match="nn.MLP"):
        matrix.backprop(object(), [[1.0]], [1.0])


def test_import_nn_does_not_import_numpy():
    code = (
        "import sys; import nn, nn.losses, nn.matrix, nn.explain\n"
        "assert 'numpy' not in sys.modules, sorted(m for m in sys.modules if 'numpy' in m)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------
# Seed 000 complete: dZ⁽ᴸ⁾ = Ŷ − Y, and dA⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ dZ⁽ˡ⁾ kept


def _sigmoid_np(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax_np(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


@pytest.mark.parametrize(
    "loss, out_act, nL",
    [("binary_cross_entropy", "sigmoid", 1), ("cross_entropy", "linear", 3),
     ("half_squared_error", "linear", 2)],
)
def test_output_dZ_is_yhat_minus_y_and_every_quantity_is_the_engines(loss, out_act, nL):
    model = MLP(3, [4, 5, nL], activation="tanh", output_activation=out_act, seed=21)
    rng = np.random.default_rng(4)
    m = 5
    X = rng.uniform(-1.5, 1.5, size=(m, 3))
    if loss == "cross_entropy":
        Y = rng.integers(0, nL, size=m)
        Yt = np.eye(nL)[:, Y]  # one-hot columns
    elif loss == "binary_cross_entropy":
        Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
        Yt = Y[np.newaxis, :]
    else:
        Y = rng.uniform(-1, 1, size=(m, nL))
        Yt = Y.T
    grads, cache = matrix.backprop(model, X, Y, loss, return_cache=True)
    L = cache.L
    # Ŷ by hand from the plain forward values (not from the cache's loss code)
    Z_L = np.array([[math.fsum([*(w.data * a for w, a in zip(n.w, col)), n.b.data])
                     for col in cache.A[L - 1].T] for n in model.layers[-1].neurons])
    Yhat = {"binary_cross_entropy": _sigmoid_np(Z_L), "cross_entropy": _softmax_np(Z_L),
            "half_squared_error": Z_L}[loss]
    assert np.allclose(cache.dZ[L], Yhat - Yt, rtol=0, atol=1e-12)
    assert cache.dZ is cache.delta
    # weight by weight, against the engine's .grad
    expected, _ = engine_grads(model, X, Y, loss)
    for (dW, db), (eW, eb) in zip(grads, expected):
        assert np.allclose(dW, eW, rtol=0, atol=1e-12) and np.allclose(db, eb, rtol=0, atol=1e-12)
    # dA⁽ˡ⁾ per sample: the engine's a⁽ˡ⁾ⱼ.grad for the mean cost is dA / m
    model.zero_grad()
    cost, _ = engine_cost(model, X, Y, loss)
    cost.backward()
    nodes = topological_order(cost)
    for l in range(1, L):  # noqa: E741
        assert np.allclose(cache.dA[l], cache.W[l + 1].T @ cache.dZ[l + 1], rtol=0, atol=0)
        a_nodes = [
            [n for n in nodes if n.label == label("a", l, j)] for j in range(len(cache.Z[l]))
        ]
        for j, per_sample in enumerate(a_nodes):
            assert len(per_sample) == m
            engine = [n.grad for n in per_sample]  # graph order = sample order
            assert np.allclose(cache.dA[l][j] / m, engine, rtol=0, atol=1e-12)
    inputs = [[n for n in nodes if n.label == label("a", 0, k)] for k in range(3)]
    for k, per_sample in enumerate(inputs):
        assert np.allclose(cache.dA[0][k] / m, [n.grad for n in per_sample], rtol=0, atol=1e-12)
    # seed 000's dictionary: grads["dW3"] etc.
    seed = cache.named()
    assert np.array_equal(seed[f"dZ{L}"], cache.dZ[L]) and np.array_equal(seed["dW1"], grads[0][0])
    assert seed[f"db{L}"].shape == (nL, 1) and seed["dA0"].shape == (3, m)
    assert cache.m == m and set(seed) >= {"dZ1", "dW1", "db1", "dA1", f"dA{L}"}


def test_half_squared_error_cost_and_output_dA():
    model = MLP(2, [3, 2], activation="relu", output_activation="tanh", seed=8)
    X = [[0.5, -0.2], [1.0, 0.7]]
    Y = [[0.1, -0.3], [0.0, 0.4]]
    _, cache = matrix.backprop(model, X, Y, "half_squared_error", return_cache=True)
    A = cache.A[2]
    assert np.allclose(cache.dA[2], A - np.array(Y).T, rtol=0, atol=1e-15)  # ∂/∂a ½Σ(a − y)²
    hand = np.mean(0.5 * ((A - np.array(Y).T) ** 2).sum(axis=0))
    assert matrix.cost(model, X, Y, "half_squared_error") == pytest.approx(hand, rel=1e-15)
