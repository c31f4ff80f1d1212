"""nn.fit and History: the step against a hand-derived update, mini-batches,
accuracy rules, Ctrl-C handling (never half a step), progress output and
argument checks."""

import math

import pytest

import autodiff
import nn
from nn import MLP, History, Neuron, fit
from nn.optim import SGD, Adam


def params(model):
    return [p.data for p in model.parameters()]


def line_data():
    X = [[-1.0], [0.0], [0.5], [2.0]]
    y = [-1.0, 1.0, 2.0, 5.0]  # y = 2x + 1
    return X, y


def test_one_full_batch_step_equals_the_hand_derived_update():
    X, y = line_data()
    model = Neuron(1, "linear", init=lambda rng, i, o: 0.5)
    w, b = 0.5, 0.0
    lr, l2 = 0.1, 0.01
    history = fit(model, X, y, "squared_error", SGD(model, lr=lr), epochs=1, l2=l2,
                  progress=False)
    # C = (1/m) Σ (w x + b − y)² + l2 (w² + b²)
    m = len(X)
    errors = [w * x[0] + b - t for x, t in zip(X, y)]
    C = sum(e * e for e in errors) / m + l2 * (w * w + b * b)
    dw = sum(2 * e * x[0] for e, x in zip(errors, X)) / m + 2 * l2 * w
    db = sum(2 * e for e in errors) / m + 2 * l2 * b
    assert history["loss"] == [pytest.approx(C, rel=1e-12)]
    assert model.w[0].data == pytest.approx(w - lr * dw, rel=1e-12)
    assert model.b.data == pytest.approx(b - lr * db, rel=1e-12)
    assert model.w[0].grad == pytest.approx(dw, rel=1e-12)  # the last step's gradients stay
    assert history.steps == 1 and not history.interrupted
    assert "accuracy" not in history  # regression targets


def test_regression_converges():
    X, y = line_data()
    model = Neuron(1, "linear", seed=0)
    history = fit(model, X, y, "mse", Adam(model, lr=0.1), epochs=300, progress=False)
    assert history.epochs == 300 == len(history["loss"])
    assert history["loss"][-1] < 1e-6
    assert model.w[0].data == pytest.approx(2.0, abs=1e-3)
    assert model.b.data == pytest.approx(1.0, abs=1e-3)


def test_mini_batches_are_shuffled_deterministically():
    X = [[i / 10, (i % 3) / 3] for i in range(10)]
    y = [1.0 if i % 2 else -1.0 for i in range(10)]

    def train(seed):
        model = MLP(2, [4, 1], seed=1)
        h = fit(model, X, y, "hinge", SGD(model, lr=0.1), epochs=3, batch_size=4,
                seed=seed, progress=False)
        return h, params(model)

    h1, p1 = train(0)
    h2, p2 = train(0)
    h3, p3 = train(1)
    assert h1.steps == 3 * 3  # batches of 4, 4, 2
    assert p1 == p2 and h1["loss"] == h2["loss"]
    assert p1 != p3


def test_mini_batch_epoch_loss_is_the_size_weighted_mean():
    X, y = line_data()
    losses = []

    def loss(output, target):
        out = (output - target) ** 2
        losses.append(out.data)
        return out

    model = Neuron(1, "linear", init=lambda rng, i, o: 0.0)
    history = fit(model, X, y, loss, SGD(model, lr=1e-9), epochs=1, batch_size=3,
                  progress=False)
    losses = losses[1:]  # the first call is fit's probe of sample 0
    # with lr≈0 every batch sees the initial model: the mean of all losses
    assert history["loss"][0] == pytest.approx(sum(losses) / 4, rel=1e-6)


def test_accuracy_sign_rule_for_plus_minus_one_targets():
    X = [[0.0, 1.0], [1.0, 0.0], [-1.0, 0.5], [0.3, -0.2]]
    y = [1, -1, 1, -1]
    model = MLP(2, [3, 1], seed=2)
    scores = [model(x).data for x in X]
    expected = sum((t > 0) == (s > 0) for t, s in zip(y, scores)) / 4
    h = fit(model, X, y, "hinge", SGD(model, lr=1e-12), epochs=1, progress=False)
    assert h["accuracy"] == [expected]


def test_accuracy_threshold_rule_for_zero_one_targets():
    X = [[0.0, 1.0], [1.0, 0.0], [-1.0, 0.5], [0.3, -0.2], [2.0, 2.0]]
    y = [1, 0, 1, 0, 0]
    model = MLP(2, [3, 1], output_activation="sigmoid", seed=4)
    probs = [model(x).data for x in X]
    expected = sum((p > 0.5) == (t == 1) for p, t in zip(probs, y)) / 5
    h = fit(model, X, y, "binary_cross_entropy", SGD(model, lr=1e-12), epochs=1, progress=False)
    assert h["accuracy"] == [expected]
    logits_model = MLP(2, [3, 1], seed=4)
    logits = [logits_model(x).data for x in X]
    expected = sum((z > 0) == (t == 1) for z, t in zip(logits, y)) / 5
    h = fit(logits_model, X, y, "binary_cross_entropy_with_logits",
            SGD(logits_model, lr=1e-12), epochs=1, progress=False)
    assert h["accuracy"] == [expected]


def test_accuracy_argmax_rule_for_class_indices_and_one_hot():
    X = [[0.0, 1.0], [1.0, 0.0], [-1.0, 0.5], [0.3, -0.2]]
    y = [0, 2, 1, 2]
    model = MLP(2, [4, 3], seed=5)
    outs = [[o.data for o in model(x)] for x in X]
    expected = sum(row.index(max(row)) == t for row, t in zip(outs, y)) / 4
    h = fit(model, X, y, "cross_entropy", SGD(model, lr=1e-12), epochs=1, progress=False)
    assert h["accuracy"] == [expected]
    one_hot = [[1.0 if j == t else 0.0 for j in range(3)] for t in y]
    h = fit(model, X, one_hot, "squared_error", SGD(model, lr=1e-12), epochs=1, progress=False)
    assert h["accuracy"][0] == pytest.approx(expected)


def test_accuracy_callable_and_none():
    X, y = line_data()
    model = Neuron(1, "linear", init=lambda rng, i, o: 2.0)
    h = fit(model, X, y, "mse", SGD(model, lr=1e-12), epochs=1, progress=False,
            accuracy=lambda out, t: abs(out.data - t) < 1.5)
    # w = 2, b = 0: errors −1, −1, −1, −1 → all within 1.5
    assert h["accuracy"] == [1.0]
    h = fit(model, [[1.0]], [1], "hinge", SGD(model, lr=0.1), epochs=1, progress=False,
            accuracy=None)
    assert "accuracy" not in h
    with pytest.raises(KeyError, match="accuracy was not tracked"):
        h["accuracy"]


def test_keyboard_interrupt_in_the_loss_returns_the_completed_epochs():
    X = [[0.1, 0.2], [0.5, -0.3], [-0.4, 0.9]]
    y = [1, -1, 1]
    calls = {"n": 0}

    def loss(output, target):
        calls["n"] += 1
        if calls["n"] == 1 + 3 * 2 + 2:  # probe, two full epochs, then mid-batch
            raise KeyboardInterrupt
        return (1 + -target * output).relu()

    model = MLP(2, [3, 1], seed=0)
    reference = MLP(2, [3, 1], seed=0)
    history = fit(model, X, y, loss, SGD(model, lr=0.5), epochs=5, progress=False)
    assert history.interrupted and history.epochs == 2 and history.steps == 2
    fit(reference, X, y, "hinge", SGD(reference, lr=0.5), epochs=2, progress=False)
    assert params(model) == params(reference)


class InterruptedSGD(SGD):
    """An SGD whose step dies of Ctrl-C halfway through the parameters."""

    def __init__(self, *args, fail_at, **kwargs):
        super().__init__(*args, **kwargs)
        self.fail_at = fail_at

    def step(self):
        if self.steps == self.fail_at:
            self.velocity = [0.0] * len(self.params)
            for p in self.params[: len(self.params) // 2]:
                p.data -= 123.0
            raise KeyboardInterrupt
        super().step()


def test_keyboard_interrupt_inside_a_step_undoes_the_half_step():
    X = [[0.1, 0.2], [0.5, -0.3], [-0.4, 0.9]]
    y = [1, -1, 1]
    model = MLP(2, [3, 1], seed=3)
    opt = InterruptedSGD(model, lr=0.1, momentum=0.9, fail_at=2)
    history = fit(model, X, y, "hinge", opt, epochs=4, progress=False)
    assert history.interrupted and history.epochs == 2
    reference = MLP(2, [3, 1], seed=3)
    ref_opt = SGD(reference, lr=0.1, momentum=0.9)
    fit(reference, X, y, "hinge", ref_opt, epochs=2, progress=False)
    assert params(model) == params(reference)
    assert opt.steps == ref_opt.steps == 2
    assert opt.velocity == ref_opt.velocity


def test_keyboard_interrupt_inside_adam_restores_its_moments(monkeypatch):
    X = [[0.1, 0.2], [0.5, -0.3]]
    y = [1, -1]
    model = MLP(2, [2, 1], seed=3)
    opt = Adam(model, lr=0.1)
    fit(model, X, y, "hinge", opt, epochs=1, progress=False)
    before = (params(model), list(opt.m), list(opt.v), opt.steps)
    real_sqrt = math.sqrt
    calls = {"n": 0}

    def dying_sqrt(x):  # Ctrl-C at the last parameter: all others have moved
        calls["n"] += 1
        if calls["n"] == 1 + 9:
            raise KeyboardInterrupt
        return real_sqrt(x)

    import nn.optim

    monkeypatch.setattr(nn.optim.math, "sqrt", dying_sqrt)
    model.zero_grad()
    history = fit(model, X, y, "hinge", opt, epochs=1, progress=False)
    monkeypatch.undo()
    assert calls["n"] == 10 and history.interrupted and history.epochs == 0
    assert (params(model), opt.m, opt.v, opt.steps) == before


def test_keyboard_interrupt_inside_backward_leaves_zero_gradients(monkeypatch):
    X = [[0.1, 0.2], [0.5, -0.3]]
    y = [1, -1]
    model = MLP(2, [2, 1], seed=3)
    before = params(model)
    real_backward = autodiff.backprop.backward

    def dying_backward(root, seed=1.0):
        for p in model.parameters()[:3]:
            p.grad += 1.0  # half-accumulated
        raise KeyboardInterrupt

    monkeypatch.setattr(autodiff.backprop, "backward", dying_backward)
    history = fit(model, X, y, "hinge", SGD(model, lr=0.1), epochs=3, progress=False)
    assert real_backward is not dying_backward
    assert history.interrupted and history.epochs == 0 and history.steps == 0
    assert params(model) == before
    assert all(p.grad == 0.0 for p in model.parameters())


def test_callback_can_stop_training():
    X, y = line_data()
    model = Neuron(1, "linear", seed=0)
    seen = []

    def callback(epoch, history):
        seen.append((epoch, history.epochs))
        return epoch == 2

    h = fit(model, X, y, "mse", SGD(model, lr=0.01), epochs=10, progress=False,
            callback=callback)
    assert seen == [(0, 1), (1, 2), (2, 3)] and h.stopped_early and h.epochs == 3


def test_progress_bar_on_stderr_only_when_asked(capsys):
    X, y = line_data()
    model = Neuron(1, "linear", seed=0)
    fit(model, X, y, "mse", SGD(model, lr=0.01), epochs=3, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    fit(model, X, y, "mse", SGD(model, lr=0.01), epochs=3, progress=True)
    out = capsys.readouterr()
    assert out.out == "" and "3/3" in out.err and "loss=" in out.err


def test_history_reads_like_a_mapping():
    from collections.abc import Mapping

    X = [[0.0, 1.0], [1.0, 0.0]]
    model = MLP(2, [2, 1], seed=0)
    h = fit(model, X, [1, -1], "hinge", SGD(model, lr=0.1), epochs=2, progress=False)
    assert isinstance(h, History) and isinstance(h, Mapping)
    assert list(h.keys()) == ["loss", "accuracy"] and "loss" in h
    # a mapping of names to lists: len and iteration agree, epochs apart
    assert len(h) == 2 == len(list(h)) and h.epochs == 2 and len(h["accuracy"]) == 2
    assert dict(h) == {"loss": h["loss"], "accuracy": h["accuracy"]}
    assert [name for name, _ in h.items()] == list(h)
    assert list(h.values()) == [h["loss"], h["accuracy"]]
    assert h.get("lr") is None
    assert h.to_dict()["steps"] == 2 and h.to_dict()["interrupted"] is False
    assert repr(h).startswith("History(2 epochs, 2 steps, last loss")
    with pytest.raises(KeyError, match="no 'lr' in the history"):
        h["lr"]


def test_zero_epochs_returns_an_empty_history():
    model = Neuron(1, seed=0)
    before = params(model)
    h = fit(model, [[1.0]], [1.0], "mse", SGD(model, lr=0.1), epochs=0, progress=False)
    assert h.epochs == 0 and h["loss"] == [] and params(model) == before


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"loss": "mae"}, ValueError, "loss must be one of"),
        ({"loss": 3}, TypeError, "loss must be a loss name"),
        ({"loss": lambda o, t: 1.0}, TypeError, "loss must return a Value, got float"),
        ({"y": [1.0]}, ValueError, "same length, got 2 samples and 1 targets"),
        ({"X": [], "y": []}, ValueError, "X is empty"),
        ({"X": [[1.0, 2.0], [1.0]]}, ValueError, r"X\[1\] has 1 values, but the model takes 2"),
        ({"X": [[1.0, 2.0], 5.0]}, TypeError, r"X\[1\] must be a sequence"),
        ({"optimizer": object()}, TypeError, "optimizer must have step"),
        ({"epochs": -1}, ValueError, "epochs must be an int >= 0, got -1"),
        ({"epochs": 2.0}, TypeError, "epochs must be an int"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1, got 0"),
        ({"l2": -1.0}, ValueError, "l2 must be a finite number >= 0"),
        ({"accuracy": "always"}, ValueError, "accuracy must be 'auto', None or a callable"),
        ({"seed": "x"}, TypeError, "seed must be an int"),
        ({"callback": 3}, TypeError, "callback must be callable"),
        ({"model": 3}, TypeError, "model must be a callable module"),
    ],
)
def test_bad_arguments_are_refused_before_any_step(kwargs, error, message):
    model = MLP(2, [2, 1], seed=0)
    before = params(model)
    args = {"model": model, "X": [[0.0, 1.0], [1.0, 0.0]], "y": [1.0, -1.0], "loss": "hinge",
            "optimizer": SGD(model, lr=0.1), "epochs": 1, "progress": False}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(**args)
    assert params(model) == before


def test_batch_loss_is_the_mean_loss_plus_the_l2_penalty():
    import nn

    model = MLP(2, [3, 1], seed=4)
    X = [[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]]
    y = [1.0, -1.0, 1.0]
    cost, outputs = nn.batch_loss(model, X, y, "hinge", l2=0.01)
    # Independently: plain floats from the outputs and the parameters' data.
    hinge = [max(0.0, 1.0 - t * o.data) for o, t in zip(outputs, y)]
    penalty = 0.01 * sum(p.data**2 for p in model.parameters())
    assert cost.data == pytest.approx(sum(hinge) / 3 + penalty, rel=1e-12)
    assert [o.data for o in outputs] == [model(x).data for x in X]
    with pytest.raises(ValueError, match="equal length"):
        nn.batch_loss(model, X, y[:2], "hinge")


# --------------------------------------------------------------------------
# The collector paused during each step; compile=True


def moons_like():
    X = [[math.cos(i / 3.0), math.sin(i / 2.0) + 0.1 * (i % 3)] for i in range(24)]
    y = [1.0 if x[0] * x[1] > 0 else -1.0 for x in X]
    return X, y


class Recording(SGD):
    """SGD that records whether the collector was enabled at each step."""

    def __init__(self, model, lr):
        super().__init__(model, lr=lr)
        self.enabled = []

    def step(self):
        import gc

        self.enabled.append(gc.isenabled())
        super().step()


@pytest.mark.parametrize("compile", [False, True])
def test_steps_run_with_the_collector_paused_and_restored(compile):
    import gc

    X, y = moons_like()
    model = MLP(2, [4, 1], seed=3)
    opt = Recording(model, lr=0.1)
    assert gc.isenabled()
    fit(model, X, y, "hinge", opt, epochs=3, progress=False, compile=compile)
    assert opt.enabled == [False, False, False]
    assert gc.isenabled()
    gc.disable()
    try:
        fit(model, X, y, "hinge", opt, epochs=1, progress=False, compile=compile)
        assert not gc.isenabled()  # not re-enabled behind the caller's back
    finally:
        gc.enable()


def test_collector_restored_after_ctrl_c_in_a_step():
    import gc

    X, y = moons_like()
    model = MLP(2, [4, 1], seed=3)
    calls = [0]

    def loss(out, target):
        calls[0] += 1
        if calls[0] > len(X) + 5:  # the probe, one full step, then a break mid-forward
            raise KeyboardInterrupt
        return (out - target) ** 2

    history = fit(model, X, y, loss, SGD(model, lr=0.1), epochs=3, progress=False)
    assert history.interrupted and history.steps == 1
    assert gc.isenabled()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("loss,l2", [("hinge", 1e-4), ("mse", 0.0)])
def test_compiled_fit_equals_eager_fit_bit_for_bit(optimizer, loss, l2):
    X, y = moons_like()
    runs = {}
    for compile in (False, True):
        model = MLP(2, [5, 5, 1], seed=7)
        opt = SGD(model, lr=0.05) if optimizer == "sgd" else Adam(model, lr=0.01)
        history = fit(model, X, y, loss, opt, epochs=6, l2=l2, progress=False, compile=compile)
        runs[compile] = (history, params(model), [p.grad for p in model.parameters()])
    eager, compiled = runs[False], runs[True]
    assert compiled[0]["loss"] == eager[0]["loss"]  # exactly, every epoch
    assert len(set(eager[0]["loss"])) > 1  # training moved
    assert ("accuracy" in compiled[0]) == ("accuracy" in eager[0])
    if "accuracy" in eager[0]:
        assert compiled[0]["accuracy"] == eager[0]["accuracy"]
    assert compiled[1] == eager[1]
    assert compiled[2] == eager[2]
    assert compiled[0].steps == eager[0].steps == 6


def test_compiled_fit_loss_matches_a_hand_formula():
    X, y = line_data()
    model = Neuron(1, "linear", init=lambda rng, i, o: 0.5)
    history = fit(model, X, y, "squared_error", SGD(model, lr=0.1), epochs=1,
                  progress=False, compile=True)
    errors = [0.5 * x[0] - t for x, t in zip(X, y)]
    assert history["loss"] == [pytest.approx(sum(e * e for e in errors) / len(X), rel=1e-12)]


def test_compiled_fit_with_progress_and_callback(capsys):
    X, y = moons_like()
    model = MLP(2, [3, 1], seed=1)
    seen = []
    history = fit(model, X, y, "hinge", SGD(model, lr=0.1), epochs=5, compile=True,
                  callback=lambda epoch, h: seen.append(epoch) or epoch == 2)
    assert seen == [0, 1, 2] and history.stopped_early and history.epochs == 3
    assert "fit" in capsys.readouterr().err


def test_compile_refuses_mini_batches_and_non_bools():
    X, y = moons_like()
    model = MLP(2, [3, 1], seed=1)
    with pytest.raises(ValueError, match=r"compile=True needs full-batch training.*batch_size=8"):
        fit(model, X, y, "hinge", SGD(model, lr=0.1), epochs=1, batch_size=8, compile=True)
    with pytest.raises(TypeError, match="compile"):
        fit(model, X, y, "hinge", SGD(model, lr=0.1), epochs=1, compile=1)


def test_accuracy_counts_as_fit_does_and_by_hand():
    model = nn.MLP(2, [4, 1], seed=3)
    X, labels = nn.data.make_moons(30, noise=0.2, seed=1)
    signs = [2 * t - 1 for t in labels]
    with autodiff.no_grad():
        scores = [model(x).data for x in X]
    by_hand = sum((s > 0) == (t > 0) for s, t in zip(scores, signs)) / len(X)
    assert nn.accuracy(model, X, signs) == by_hand
    # 0/1 targets with a sigmoid output: right when the output is above 0.5
    # exactly for the targets 1 (dead relus give outputs of exactly 0.5 here)
    clf = nn.MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    with autodiff.no_grad():
        probs = [clf(x).data for x in X]
    expected = sum((p > 0.5) == (t == 1) for p, t in zip(probs, labels)) / len(X)
    assert nn.accuracy(clf, X, labels, "binary_cross_entropy") == pytest.approx(expected)
    # the outputs of a batch pass are used as given, and fit counts the same:
    # its first epoch's accuracy is that of the weights before the update
    cost, outputs = nn.batch_loss(model, X, signs, "hinge")
    before = nn.accuracy(model, X, signs, "hinge", outputs=outputs)
    history = nn.fit(model, X, signs, "hinge", SGD(model.parameters(), lr=0.1), epochs=1,
                     progress=False)
    assert before == by_hand == history["accuracy"][0]
    with pytest.raises(ValueError, match="not classes"):
        nn.accuracy(model, X, [0.3] * len(X))
    with pytest.raises(ValueError, match="equal length"):
        nn.accuracy(model, X, signs[:-1])


def test_batch_loss_builds_its_graph_with_the_collector_paused_and_restores_it():
    import gc

    X, y = moons_like()
    model = MLP(2, [4, 1], seed=3)
    seen = []

    def loss(out, target):
        seen.append(gc.isenabled())
        return (out - target) ** 2

    assert gc.isenabled()
    nn.batch_loss(model, X[:3], y[:3], loss)
    assert seen == [False, False, False] and gc.isenabled()

    def failing(out, target):
        raise ValueError("a loss that fails")

    with pytest.raises(ValueError, match="a loss that fails"):
        nn.batch_loss(model, X[:3], y[:3], failing)
    assert gc.isenabled()
    gc.disable()
    try:
        nn.batch_loss(model, X[:3], y[:3], loss)
        assert not gc.isenabled()
    finally:
        gc.enable()
