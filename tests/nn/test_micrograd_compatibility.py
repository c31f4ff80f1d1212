"""micrograd compatibility: the same initial weights after random.seed, the
demo's training code running unchanged on autodiff + nn, the same loss and
gradients as micrograd for the same weights, and 100% training accuracy."""

import math
import random

import pytest

from nn.data import make_moons

np = pytest.importorskip("numpy", reason="micrograd's demo uses NumPy arrays")

# micrograd's demo, exactly as its README/notebook writes it.
DEMO = """
model = MLP(2, [16, 16, 1])
def loss(batch_size=None):
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]
    scores = list(map(model, inputs))
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)
for k in range(100):
    total_loss, acc = loss()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
"""

SETUP = "from autodiff import Value\nfrom nn import MLP\n"


def moons(seed, n=100):
    X, y = make_moons(n, noise=0.1, seed=seed)
    return np.array(X), np.array(y) * 2 - 1


def run(code, X, y, seed):
    random.seed(seed)
    np.random.seed(seed)
    namespace = {"np": np, "X": X, "y": y}
    exec(code, namespace)
    return namespace


def test_initial_weights_equal_micrographs():
    mg = pytest.importorskip("micrograd.nn", reason="micrograd is the reference")
    from nn import MLP

    for seed in (0, 1337):
        random.seed(seed)
        ours = MLP(2, [16, 16, 1])
        after_ours = random.random()
        random.seed(seed)
        theirs = mg.MLP(2, [16, 16, 1])
        after_theirs = random.random()
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        assert after_ours == after_theirs
        assert len(ours.parameters()) == len(theirs.parameters()) == 337


def test_demo_runs_unchanged_and_matches_micrograd_step_by_step():
    mg_engine = pytest.importorskip("micrograd.engine", reason="micrograd is the reference")
    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd is the reference")
    X, y = moons(1337, n=30)  # fewer samples: micrograd takes ~1 s per 100
    steps = 3
    code = DEMO.replace("range(100)", f"range({steps})")
    # run the demo on ours, keeping the loss and the gradients at each step
    record = (
        "\n    trace.append((total_loss.data, acc, [p.grad for p in model.parameters()]))"
    )
    traced = code.replace("        p.data -= learning_rate * p.grad",
                          "        p.data -= learning_rate * p.grad" + record)
    ours = run(SETUP + "trace = []\n" + traced, X, y, seed=1337)
    # the same code on micrograd, with the same weights (same seed)
    theirs = run(
        "from micrograd.engine import Value\nfrom micrograd.nn import MLP\ntrace = []\n" + traced,
        X, y, seed=1337,
    )
    assert type(theirs["model"]) is mg_nn.MLP and theirs["Value"] is mg_engine.Value
    assert len(ours["trace"]) == len(theirs["trace"]) == steps
    for (loss_a, acc_a, grads_a), (loss_b, acc_b, grads_b) in zip(ours["trace"], theirs["trace"]):
        assert math.isclose(loss_a, float(loss_b), rel_tol=1e-12, abs_tol=1e-12)
        assert acc_a == acc_b
        assert len(grads_a) == len(grads_b) == 337
        for ga, gb in zip(grads_a, grads_b):
            assert math.isclose(ga, float(gb), rel_tol=1e-12, abs_tol=1e-12)
    for pa, pb in zip(ours["model"].parameters(), theirs["model"].parameters()):
        assert math.isclose(pa.data, float(pb.data), rel_tol=1e-12, abs_tol=1e-12)


def test_same_gradients_as_micrograd_for_copied_weights():
    mg_engine = pytest.importorskip("micrograd.engine", reason="micrograd is the reference")
    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd is the reference")
    from autodiff import Value
    from nn import MLP

    ours = MLP(2, [16, 16, 1], seed=3)
    theirs = mg_nn.MLP(2, [16, 16, 1])
    for p, q in zip(ours.parameters(), theirs.parameters()):
        q.data = p.data
    X, y = moons(7, n=40)
    totals = []
    for model, V in ((ours, Value), (theirs, mg_engine.Value)):
        scores = [model([V(float(a)), V(float(b))]) for a, b in X]
        losses = [(1 + -float(yi) * s).relu() for yi, s in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        totals.append(total.data)
    assert math.isclose(totals[0], totals[1], rel_tol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert math.isclose(p.grad, q.grad, rel_tol=1e-12, abs_tol=1e-12)


def test_demo_reaches_full_training_accuracy():
    X, y = moons(1337)
    ns = run(SETUP + DEMO, X, y, seed=1337)
    assert ns["acc"] == 1.0  # the accuracy at the last of the 100 steps
    total_loss, acc = ns["loss"]()  # and after the last update
    assert acc == 1.0
    assert total_loss.data < 0.05
