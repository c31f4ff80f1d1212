"""Hostile checkpoints: a claimed architecture is checked against the
parameters the file holds before anything is built, files over the size
limit are refused unread, and every malformed file is a ValueError."""

import json
import os
import stat

import pytest

from nn import MLP, Layer, Module, Neuron, serialization
from nn import layers as nn_layers


def checkpoint(architecture, parameters, options=None):
    return {
        "format": "chainrule.nn",
        "version": 1,
        "architecture": architecture,
        "options": options or {},
        "parameters": parameters,
    }


def write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def nothing_built(monkeypatch):
    """Any construction of a neuron fails the test: nothing may be built."""

    def forbidden(self, *args, **kwargs):
        raise AssertionError("a module was built before the checkpoint was checked")

    monkeypatch.setattr(Neuron, "__init__", forbidden)


SMALL = {"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.b": 0.1}


@pytest.mark.parametrize(
    "architecture, claimed",
    [
        ({"type": "MLP", "nin": 10**9, "nouts": [1], "activations": ["linear"]}, "1,000,000,001"),
        ({"type": "MLP", "nin": 10**30, "nouts": [1], "activations": ["linear"]}, None),
        (
            {"type": "MLP", "nin": 1, "nouts": [3000, 3000, 1],
             "activations": ["relu", "relu", "linear"]},
            "9,012,001",  # 3000·2 + 3000·3001 + 1·3001
        ),
        ({"type": "Layer", "nin": 10**6, "nout": 10**6, "activation": "relu"}, None),
        ({"type": "Neuron", "nin": 10**12, "activation": "relu"}, None),
    ],
)
def test_a_huge_claim_is_refused_before_building(tmp_path, nothing_built, architecture, claimed):
    path = write(tmp_path / "c.json", checkpoint(architecture, SMALL))
    with pytest.raises(ValueError, match="parameters but the checkpoint holds 2") as info:
        Module.from_file(path)
    if claimed:
        assert claimed in str(info.value)


def test_the_right_count_with_the_wrong_names_is_refused_before_building(
    tmp_path, nothing_built
):
    arch = {"type": "MLP", "nin": 1, "nouts": [1], "activations": ["linear"]}
    params = {"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.bias": 0.1}
    path = write(tmp_path / "c.json", checkpoint(arch, params))
    with pytest.raises(ValueError, match=r"'parameters.layers.0.neurons.0.b' is missing"):
        MLP.from_file(path)


@pytest.mark.parametrize(
    "architecture",
    [
        {"type": "MLP", "nin": 2, "nouts": [3, 4, 1], "activations": ["relu", "tanh", "linear"]},
        {"type": "Layer", "nin": 3, "nout": 2, "activation": "tanh"},
        {"type": "Neuron", "nin": 4, "activation": "sigmoid"},
    ],
)
def test_counts_and_names_without_building_match_a_built_module(architecture):
    built = Module.from_architecture(architecture)
    cls = type(built)
    names = [name for name, _ in built.named_parameters()]
    assert cls.parameter_count(architecture) == len(names)
    assert cls.parameter_names(architecture) == names
    # the hand formula for the MLP: 3·(2+1) + 4·(3+1) + 1·(4+1) = 30
    if cls is MLP:
        assert len(names) == 30


def test_from_architecture_refuses_a_module_past_the_bound(monkeypatch):
    monkeypatch.setattr(nn_layers, "MAX_PARAMETERS", 10)
    with pytest.raises(ValueError, match="11 parameters, more than the 10"):
        Neuron.from_architecture({"type": "Neuron", "nin": 10, "activation": "relu"})
    with pytest.raises(ValueError, match="more than the 10"):
        Layer.from_architecture({"type": "Layer", "nin": 2, "nout": 4, "activation": "relu"})
    assert Neuron.from_architecture({"type": "Neuron", "nin": 9, "activation": "relu"}).nin == 9


def test_a_good_checkpoint_still_loads(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "m.json")
    again = MLP.from_file(tmp_path / "m.json")
    assert again.state_dict() == model.state_dict()


# -- malformed files: ValueError, never RecursionError or MemoryError --------


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "{\"a\":" * 100_000,
        '{"format": "chainrule.nn", "version": 1, "architecture": ' + "[" * 50_000,
        "1" * 5000,  # an int of more digits than Python converts
        "",
        "\ufeff{}",
    ],
)
def test_malformed_text_is_a_value_error(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json"):
        MLP.from_file(path)
    with pytest.raises(ValueError, match="bad.json"):
        MLP(1, [1]).load(path)


def test_bytes_that_are_not_utf8_are_a_value_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ValueError, match="not UTF-8"):
        serialization.read(path)


@pytest.mark.parametrize(
    "architecture",
    [
        {"type": "MLP", "nin": True, "nouts": [1], "activations": ["linear"]},
        {"type": "MLP", "nin": 1.5, "nouts": [1], "activations": ["linear"]},
        {"type": "MLP", "nin": 1, "nouts": "1", "activations": ["linear"]},
        {"type": "MLP", "nin": 1, "nouts": [[1]], "activations": ["linear"]},
        {"type": "MLP", "nin": 1, "nouts": [1], "activations": [{"a": 1}]},
        {"type": "MLP", "nin": 1, "nouts": [1], "activations": [["relu"] * 3]},
        {"type": "MLP", "nin": -1, "nouts": [1], "activations": ["linear"]},
        {"type": "Layer", "nin": 1, "nout": None, "activation": "relu"},
    ],
)
def test_malformed_architectures_are_value_errors(tmp_path, architecture):
    path = write(tmp_path / "c.json", checkpoint(architecture, SMALL))
    with pytest.raises(ValueError, match="c.json"):
        Module.from_file(path)


# -- the size limit: checked before reading, nothing read past it ------------


def test_a_sparse_file_over_the_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(1_500_000_000)  # 1.5 GB, sparse: no disk used
    reads = []
    real_read = os.read

    def counting(fd, n):
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(ValueError, match="larger than the 67,108,864-byte checkpoint limit"):
        MLP.from_file(path)
    assert sum(reads) == 0
    with pytest.raises(ValueError, match="1,500,000,000 bytes"):
        serialization.read(path)


def test_the_limit_is_adjustable_per_call_and_per_process(tmp_path, monkeypatch):
    model = MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    size = path.stat().st_size
    with pytest.raises(ValueError, match=f"{size - 1:,}-byte"):
        MLP.from_file(path, max_bytes=size - 1)
    assert MLP.from_file(path, max_bytes=size).state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="max_bytes"):
        MLP(2, [3, 1]).load(path, max_bytes=10)
    monkeypatch.setattr(serialization, "MAX_BYTES", 10)
    with pytest.raises(ValueError, match="10-byte"):
        MLP.from_file(path)
    with pytest.raises(TypeError, match="max_bytes must be an int"):
        serialization.read(path, max_bytes=1.5)


def test_an_endless_device_is_refused_after_the_limit(tmp_path):
    zero = tmp_path / "zero"
    try:
        os.mknod(zero, stat.S_IFCHR | 0o666, os.makedev(1, 5))
        with open(zero, "rb") as f:
            f.read(1)
    except (PermissionError, AttributeError, OSError) as e:
        pytest.skip(f"cannot make a character device here: {e}")
    with pytest.raises(ValueError, match="larger than the 1,000-byte checkpoint limit"):
        MLP.from_file(zero, max_bytes=1000)


def test_a_fifo_without_a_writer_reads_as_empty_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a JSON checkpoint"):
        serialization.read(fifo)
