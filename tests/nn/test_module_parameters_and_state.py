"""nn.Module: parameters and their stable names, zero_grad, state_dict and
load_state_dict (all-or-nothing validation)."""

import math
import re

import pytest

from autodiff import Value
from nn import MLP, Layer, Module, Neuron


def resolve(model, name):
    """Follow a dotted name ("layers.0.neurons.3.w.1") through the attributes."""
    obj = model
    for part in name.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def snapshot(model):
    return [(p.data, p.grad, p.label) for p in model.parameters()]


def test_named_parameters_are_dotted_paths_in_parameter_order():
    model = MLP(3, [4, 2, 1], seed=0)
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()
    assert len(named) == 4 * 4 + 2 * 5 + 1 * 3 == model.num_parameters()
    for name, p in named:
        assert re.fullmatch(r"layers\.\d+\.neurons\.\d+\.(w\.\d+|b)", name)
        assert resolve(model, name) is p
    assert named[0][0] == "layers.0.neurons.0.w.0"
    assert named[3][0] == "layers.0.neurons.0.b"
    assert named[4][0] == "layers.0.neurons.1.w.0"
    assert named[-1][0] == "layers.2.neurons.0.b"
    assert len({name for name, _ in named}) == len(named)


def test_layer_and_neuron_names():
    layer = Layer(2, 2)
    assert [n for n, _ in layer.named_parameters()] == [
        "neurons.0.w.0", "neurons.0.w.1", "neurons.0.b",
        "neurons.1.w.0", "neurons.1.w.1", "neurons.1.b",
    ]
    neuron = Neuron(2)
    assert [n for n, _ in neuron.named_parameters()] == ["w.0", "w.1", "b"]
    assert neuron.parameters() == [*neuron.w, neuron.b]


def test_parameter_order_is_micrographs():
    model = MLP(2, [2, 1], seed=1)
    expected = []
    for layer in model.layers:
        for n in layer.neurons:
            expected += n.w + [n.b]
    assert model.parameters() == expected


def test_zero_grad_clears_every_parameter_gradient():
    model = MLP(2, [3, 1], seed=0)
    out = model([1.0, -1.0])
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip_is_exact():
    a = MLP(2, [3, 2], seed=1)
    b = MLP(2, [3, 2], seed=2)
    state = a.state_dict()
    assert all(type(v) is float for v in state.values())
    assert list(state) == [n for n, _ in a.named_parameters()]
    b.load_state_dict(state)
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    # the copy is plain data: changing it does not reach the model
    state["layers.0.neurons.0.w.0"] = 99.0
    assert a.layers[0].neurons[0].w[0].data != 99.0


def test_load_state_dict_accepts_ints_and_other_reals():
    model = Neuron(2)
    model.load_state_dict({"w.0": 1, "w.1": 0.5, "b": -2})
    assert [p.data for p in model.parameters()] == [1.0, 0.5, -2.0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), "missing key 'layers.1.neurons.0.b'"),
        (
            lambda s: s.update({"layers.9.neurons.0.b": 1.0}),
            "unexpected key 'layers.9.neurons.0.b'",
        ),
        (
            lambda s: s.update({"layers.0.neurons.1.w.0": math.nan}),
            "'layers.0.neurons.1.w.0' must be finite",
        ),
        (
            lambda s: s.update({"layers.0.neurons.1.w.1": math.inf}),
            "'layers.0.neurons.1.w.1' must be finite",
        ),
        (
            lambda s: s.update({"layers.1.neurons.0.w.1": "0.5"}),
            "'layers.1.neurons.0.w.1' must be a finite real number, got str",
        ),
        (
            lambda s: s.update({"layers.1.neurons.0.w.0": True}),
            "'layers.1.neurons.0.w.0' must be a finite real number, got bool",
        ),
        (lambda s: s.update({"layers.1.neurons.0.w.1": [1.0]}), "got list"),
        (
            lambda s: s.update({"layers.0.neurons.0.b": Value(1.0)}),
            "got autodiff.value.Value Value(data=1.0",
        ),
        (lambda s: s.update({"layers.0.neurons.0.b": 10**400}), "too large"),
        (lambda s: s.update({3: 1.0}), "key 3 must be a str"),
    ],
)
def test_bad_state_raises_value_error_and_changes_nothing(change, message):
    model = MLP(2, [2, 1], seed=4)
    state = {name: p.data + 1.0 for name, p in model.named_parameters()}
    change(state)
    before = snapshot(model)
    with pytest.raises(ValueError, match=re.escape(message)):
        model.load_state_dict(state)
    assert snapshot(model) == before


def test_load_state_dict_refuses_non_mappings():
    model = Neuron(2)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("w.0", 1.0)])


def test_every_part_is_a_module():
    assert isinstance(MLP(2, [1]), Module)
    assert isinstance(Layer(2, 1), Module)
    assert isinstance(Neuron(2), Module)
    assert Module().parameters() == []
