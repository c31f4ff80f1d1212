"""`fit` never trains silently into nan: data checked before the first
update, a non-finite loss or parameter stops with the model as before that
step and the History attached, and an optimiser over another model refused.
Plus: a Ctrl-C just after a step never leaves the counts one apart."""

import math

import pytest

from nn import MLP, Neuron
from nn.optim import SGD, Adam
from nn.train import NonFiniteError, fit

X = [[0.1, 0.2], [0.5, -0.3], [-0.4, 0.9], [0.3, 0.3]]
Y = [1.0, -1.0, 1.0, -1.0]


def params(model):
    return [p.data for p in model.parameters()]


def train(model, X=X, y=Y, loss="mse", opt=None, **kwargs):
    kwargs.setdefault("epochs", 3)
    return fit(model, X, y, loss, opt or SGD(model, lr=0.1), progress=False, **kwargs)


@pytest.mark.parametrize(
    "X, y, where",
    [
        ([*X[:3], [0.3, math.nan]], Y, r"X\[3\]\[1\] is nan"),
        ([[math.inf, 0.0], *X[1:]], Y, r"X\[0\]\[0\] is inf"),
        (X, [1.0, -1.0, 1.0, math.nan], r"y\[3\] is nan"),
        (X, [1.0, -math.inf, 1.0, 1.0], r"y\[1\] is -inf"),
    ],
)
def test_a_non_finite_input_or_target_is_refused_before_any_update(X, y, where):
    model = MLP(2, [3, 1], seed=0)
    before = params(model)
    with pytest.raises(ValueError, match=where):
        train(model, X, y, batch_size=2)
    assert params(model) == before


def test_a_bad_target_in_a_list_target_is_found():
    model = MLP(2, [3, 2], seed=0)
    y = [[0.0, 1.0], [1.0, 0.0], [0.0, float("nan")], [1.0, 0.0]]
    with pytest.raises(ValueError, match=r"y\[2\]\[1\] is nan"):
        train(model, y=y)


def test_a_loss_returning_nan_stops_with_the_model_as_before_that_step():
    calls = {"n": 0}

    def loss(output, target):
        calls["n"] += 1
        # the probe, two good epochs of 4 samples, then nan
        return output * math.nan if calls["n"] > 1 + 8 else (output - target) ** 2

    model = MLP(2, [3, 1], seed=0)
    reference = MLP(2, [3, 1], seed=0)
    with pytest.raises(NonFiniteError, match="the loss is nan at epoch 2, step 2") as info:
        train(model, loss=loss, epochs=5)
    train(reference, epochs=2)
    assert params(model) == params(reference)
    history = info.value.history
    assert history.epochs == 2 and history.steps == 2
    assert all(math.isfinite(p) for p in params(model))


def test_a_huge_learning_rate_stops_with_finite_parameters():
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model, lr=1e308)
    with pytest.raises(NonFiniteError, match="(the loss is inf|parameter .* became)") as info:
        train(model, opt=opt)
    assert all(math.isfinite(p) for p in params(model))
    assert info.value.history.steps == opt.steps


def test_a_step_making_a_parameter_infinite_is_undone():
    model = Neuron(1, activation="linear", seed=0)
    model.w[0].data, model.b.data = 1e150, 0.0  # loss 1e300: finite
    before = params(model)
    # d/dw (w·x − y)² = 2(w·x − y)·x: a step of lr·that overflows w
    with pytest.raises(NonFiniteError, match=r"parameter 'w\.0' \(w⁽¹⁾₀₀\) became -inf"):
        train(model, X=[[1.0]], y=[0.0], opt=SGD(model, lr=1e158))  # w − 2e308
    assert params(model) == before  # the diverging step is undone


def test_adam_state_is_restored_when_its_step_makes_nan():
    model = Neuron(2, activation="linear", seed=1)
    opt = Adam(model, lr=1e308)
    train(model, opt=SGD(model, lr=0.01), epochs=1)
    before = params(model)
    with pytest.raises(NonFiniteError) as info:
        train(model, opt=opt, epochs=2)
    assert params(model) == before
    assert opt.steps == 0 and opt.m == [0.0] * 3 and opt.v == [0.0] * 3
    assert info.value.history.steps == 0


def test_mini_batches_keep_the_history_of_the_steps_made():
    model = MLP(2, [3, 1], seed=0)
    calls = {"n": 0}

    def loss(output, target):
        calls["n"] += 1
        if calls["n"] > 1 + 4 + 2:  # probe, one epoch, the first batch of the next
            raise RuntimeError("loss exploded")
        return (output - target) ** 2

    with pytest.raises(RuntimeError, match="loss exploded") as info:
        train(model, loss=loss, batch_size=2, epochs=3)
    history = info.value.history
    assert history.epochs == 1 and history.steps == 3
    assert any("error.history" in note for note in info.value.__notes__)


def test_an_optimizer_over_another_models_parameters_is_refused():
    model = MLP(2, [3, 1], seed=0)
    other = MLP(2, [3, 1], seed=1)
    before = params(model)
    with pytest.raises(ValueError, match="holds none of the model's parameters"):
        train(model, opt=SGD(other, lr=0.1))
    assert params(model) == before
    # a subset of the model's parameters (fine-tuning one layer) is allowed
    train(model, opt=SGD(model.layers[-1].parameters(), lr=0.1), epochs=1)


class InterruptAfterStep(SGD):
    """Ctrl-C after the update is done, before fit can count it."""

    def __init__(self, *args, at, **kwargs):
        super().__init__(*args, **kwargs)
        self.at = at

    def step(self):
        super().step()
        if self.steps == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_between_a_step_and_its_count_keeps_them_in_agreement():
    model = MLP(2, [3, 1], seed=2)
    opt = InterruptAfterStep(model, lr=0.1, momentum=0.9, at=3)
    history = train(model, opt=opt, epochs=5)
    assert history.interrupted
    assert history.steps == opt.steps == 2
    reference = MLP(2, [3, 1], seed=2)
    train(reference, opt=SGD(reference, lr=0.1, momentum=0.9), epochs=2)
    assert params(model) == params(reference)
