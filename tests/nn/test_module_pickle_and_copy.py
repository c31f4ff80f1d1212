"""Modules survive pickle and copy.deepcopy (multiprocessing ships them
with pickle): the parameters' data and labels, the architecture, the
activations; the copy is independent of the original."""

import copy
import math
import multiprocessing
import pickle

import pytest

from nn import MLP, Layer, Neuron


def outputs(model, x):
    out = model(x)
    return [v.data for v in out] if isinstance(out, list) else [out.data]


MODELS = [
    lambda: MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0),
    lambda: MLP(3, [4, 1], seed=1, weighted_sum="products"),
    lambda: Layer(2, 3, activation="relu", seed=2, layer=2),
    lambda: Neuron(2, activation="sigmoid", seed=3, index=4),
]


@pytest.mark.parametrize("make", MODELS)
@pytest.mark.parametrize(
    "clone",
    [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy],
    ids=["pickle", "deepcopy"],
)
def test_a_clone_has_the_same_parameters_labels_and_function(make, clone):
    model = make()
    twin = clone(model)
    assert twin.state_dict() == model.state_dict()
    assert twin.architecture() == model.architecture()
    assert [p.label for p in twin.parameters()] == [p.label for p in model.parameters()]
    x = [0.3, -0.7, 1.1][: model.nin] if hasattr(model, "nin") else [0.3, -0.7]
    assert outputs(twin, x) == outputs(model, x)
    # independent: training one does not move the other
    for p in twin.parameters():
        p.data += 1.0
    assert all(
        math.isclose(a.data, b.data + 1.0) for a, b in zip(twin.parameters(), model.parameters())
    )


def test_activation_stays_assignable_after_unpickling():
    twin = pickle.loads(pickle.dumps(Neuron(2, activation="tanh", seed=0)))
    twin.activation = "relu"
    twin.w[0].data, twin.w[1].data, twin.b.data = -1.0, 0.0, 0.0
    assert twin([1.0, 1.0]).data == 0.0  # relu(−1)


def _forward(model):
    return model([0.5, -0.25]).data


def test_a_model_can_be_shipped_to_another_process():
    model = MLP(2, [3, 1], seed=0)
    try:
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            got = pool.apply(_forward, (model,))
    except (OSError, PermissionError) as e:  # a sandbox without processes
        pytest.skip(f"cannot start a process: {e}")
    assert got == model([0.5, -0.25]).data
