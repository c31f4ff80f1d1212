"""Checkpoints: JSON files with the architecture, exact round trips, atomic
writes, and loads that check everything before touching the model."""

import json
import math
import os
import re

import pytest

from nn import MLP, Layer, Module, Neuron, serialization


def snapshot(model):
    return [(p.data, p.label) for p in model.parameters()]


def files_in(path):
    return sorted(os.listdir(path))


def test_save_writes_json_with_architecture_and_parameters(tmp_path):
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "chainrule.nn" and data["version"] == 1
    assert data["architecture"] == {
        "type": "MLP", "nin": 2, "nouts": [3, 1], "activations": ["tanh", "linear"],
    }
    assert data["options"] == {"weighted_sum": "dot"}
    assert data["parameters"] == {n: p.data for n, p in model.named_parameters()}
    assert files_in(tmp_path) == ["model.json"]  # no temporary file left


def test_round_trip_is_exact(tmp_path):
    a = MLP(3, [5, 4, 2], seed=1)
    a.layers[0].neurons[0].w[0].data = 0.1 + 0.2  # a float with a long repr
    path = tmp_path / "a.json"
    a.save(str(path))
    b = MLP(3, [5, 4, 2], seed=2)
    assert b.load(path) is b
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]


def test_from_file_rebuilds_the_module(tmp_path):
    a = MLP(2, [3, 3, 2], activation=["tanh", "relu"], output_activation="sigmoid",
            seed=5, weighted_sum="products")
    a.layers[1].neurons[2].activation = "linear"
    a.save(tmp_path / "a.json")
    b = MLP.from_file(tmp_path / "a.json")
    assert isinstance(b, MLP)
    assert b.architecture() == a.architecture()
    assert b.weighted_sum == "products"
    assert b.layers[1].activation == ["relu", "relu", "linear"]
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert [p.label for p in b.parameters()] == [p.label for p in a.parameters()]
    x = [0.4, -0.9]
    assert [o.data for o in b(x)] == [o.data for o in a(x)]


def test_from_file_for_layers_and_neurons(tmp_path):
    neuron = Neuron(3, "sigmoid", layer=2, index=5, seed=1)
    neuron.save(tmp_path / "n.json")
    back = Module.from_file(tmp_path / "n.json")
    assert isinstance(back, Neuron) and back.activation == "sigmoid"
    assert (back.layer, back.index) == (2, 5) and back.b.label == "b⁽²⁾₅"
    assert [p.data for p in back.parameters()] == [p.data for p in neuron.parameters()]
    layer = Layer(2, 3, "tanh", layer=4, seed=2)
    layer.save(tmp_path / "l.json")
    back = Layer.from_file(tmp_path / "l.json")
    assert back.layer == 4 and [p.data for p in back.parameters()] == [
        p.data for p in layer.parameters()
    ]
    with pytest.raises(ValueError, match="holds a Layer, not a MLP"):
        MLP.from_file(tmp_path / "l.json")


def test_a_different_architecture_is_reported_and_changes_nothing(tmp_path):
    MLP(2, [16, 1], seed=0).save(tmp_path / "small.json")
    model = MLP(2, [16, 16, 1], seed=1)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"architecture\.nouts.*\[16, 1\].*\[16, 16, 1\]"):
        model.load(tmp_path / "small.json")
    assert snapshot(model) == before
    MLP(2, [3, 1], activation="tanh").save(tmp_path / "tanh.json")
    with pytest.raises(ValueError, match=r"architecture\.activations"):
        MLP(2, [3, 1]).load(tmp_path / "tanh.json")
    Layer(2, 3).save(tmp_path / "layer.json")
    with pytest.raises(ValueError, match=r"architecture\.type.*'Layer'.*'MLP'"):
        MLP(2, [3]).load(tmp_path / "layer.json")


def write_checkpoint(path, model, **changes):
    data = json.loads(serialization.dumps(model))
    for key, value in changes.items():
        if key == "parameters_update":
            data["parameters"].update(value)
        elif key == "drop":
            del data["parameters"][value]
        else:
            data[key] = value
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"format": "pickle"}, "key 'format' must be 'chainrule.nn'"),
        ({"version": 2}, "key 'version' must be 1"),
        ({"parameters": [1, 2]}, "key 'parameters' must be a JSON object"),
        ({"architecture": None}, "key 'architecture' must be a JSON object"),
        ({"drop": "layers.0.neurons.1.b"}, "missing key 'layers.0.neurons.1.b'"),
        (
            {"parameters_update": {"layers.0.neurons.0.w.7": 0.0}},
            "unexpected key 'layers.0.neurons.0.w.7'",
        ),
        (
            {"parameters_update": {"layers.1.neurons.0.w.0": "1"}},
            "'layers.1.neurons.0.w.0' must be a finite real number, got str",
        ),
        (
            {"parameters_update": {"layers.1.neurons.0.b": None}},
            "'layers.1.neurons.0.b' must be a finite real number, got NoneType",
        ),
        ({"parameters_update": {"layers.1.neurons.0.b": False}}, "got bool"),
    ],
)
def test_bad_checkpoints_raise_value_error_and_change_nothing(tmp_path, changes, message):
    model = MLP(2, [2, 1], seed=0)
    path = tmp_path / "bad.json"
    write_checkpoint(path, MLP(2, [2, 1], seed=9), **changes)
    before = snapshot(model)
    with pytest.raises(ValueError, match=re.escape(message)):
        model.load(path)
    assert snapshot(model) == before


def test_non_finite_numbers_in_the_file_are_refused(tmp_path):
    model = Neuron(2, seed=0)
    path = tmp_path / "nan.json"
    text = serialization.dumps(Neuron(2, seed=1))
    data = json.loads(text)
    data["parameters"]["w.1"] = "NAN_HERE"
    path.write_text(json.dumps(data).replace('"NAN_HERE"', "NaN"), encoding="utf-8")
    before = snapshot(model)
    with pytest.raises(ValueError, match="'w.1' must be finite, got nan"):
        model.load(path)
    assert snapshot(model) == before


def test_not_json_and_not_an_object(tmp_path):
    model = Neuron(2)
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a JSON checkpoint"):
        model.load(tmp_path / "junk.json")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="a checkpoint is a JSON object, got list"):
        model.load(tmp_path / "list.json")
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "missing.json")
    with pytest.raises(TypeError, match="path must be a str or path-like"):
        model.load(3.5)


def test_saving_a_non_finite_parameter_fails_before_writing(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    old = path.read_bytes()
    model.layers[0].neurons[1].w[0].data = math.inf
    with pytest.raises(ValueError, match="'layers.0.neurons.1.w.0' must be finite"):
        model.save(path)
    assert path.read_bytes() == old
    assert files_in(tmp_path) == ["m.json"]


def test_a_crash_while_saving_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    model = MLP(2, [2, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    old = path.read_bytes()
    model.layers[0].neurons[0].w[0].data = 0.123

    def crash(*args):
        raise KeyboardInterrupt  # e.g. Ctrl-C just before the rename

    monkeypatch.setattr(serialization.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == old
    assert files_in(tmp_path) == ["m.json"]


def test_a_failing_write_leaves_the_old_file(tmp_path, monkeypatch):
    model = MLP(2, [2, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    old = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [2, 1], seed=3).save(path)
    assert path.read_bytes() == old
    assert files_in(tmp_path) == ["m.json"]


def test_save_keeps_an_existing_files_permissions(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{}", encoding="utf-8")
    os.chmod(path, 0o640)
    Neuron(2).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert json.loads(path.read_text(encoding="utf-8"))["architecture"]["type"] == "Neuron"


def test_save_into_a_missing_directory_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError):
        Neuron(2).save(tmp_path / "no" / "such" / "dir.json")
    assert files_in(tmp_path) == []


# -- from_architecture: each class rebuilds itself from its description -----


def test_from_architecture_inverts_architecture_and_draws_no_random_numbers():
    import random

    models = [
        MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=3),
        Layer(3, 2, "relu", layer=2, seed=4, weighted_sum="products"),
        Neuron(2, "tanh", layer=3, index=1, seed=5),
    ]
    models[0].layers[0].neurons[1].activation = "relu"  # one name per neuron
    for model in models:
        state = random.getstate()
        for build in (type(model).from_architecture, Module.from_architecture):
            back = build(model.architecture(), model.options())
            assert random.getstate() == state
            assert type(back) is type(model)
            assert back.architecture() == model.architecture()
            assert back.options() == model.options()
            assert set(back.state_dict().values()) == {0.0}
            back.load_state_dict(model.state_dict())
            x = [0.5, -1.0, 0.25][: model.nin]
            out, expected = back(x), model(x)
            if isinstance(expected, list):
                assert [o.data for o in out] == [o.data for o in expected]
            else:
                assert out.data == expected.data


class Custom(Module):
    """A user's module that does not rebuild itself."""


@pytest.mark.parametrize(
    "build, arch, error, message",
    [
        (MLP, Layer(2, 2).architecture(), ValueError, "type must be 'MLP', got 'Layer'"),
        (Module, {"type": "Conv"}, ValueError, "architecture type must be one of"),
        (Custom, Neuron(2).architecture(), ValueError, "is a Neuron, not a Custom"),
        (Neuron, [1, 2], TypeError, "architecture must be a mapping, got list"),
        (Neuron, {"type": "Neuron", "nin": 0, "activation": "relu"}, ValueError, "nin must be"),
        (
            MLP,
            {"type": "MLP", "nin": 2, "nouts": [1], "activations": []},
            ValueError,
            "'activations' must be a non-empty list",
        ),
        (
            Layer,
            {"type": "Layer", "nin": 2, "nout": 2, "activation": ["relu"]},
            ValueError,
            "one name per neuron",
        ),
    ],
)
def test_from_architecture_refuses_a_bad_description(build, arch, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build.from_architecture(arch)
