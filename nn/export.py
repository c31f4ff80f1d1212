"""Export to PyTorch: the same network as a ``torch.nn.Sequential``.

Each layer l becomes a ``torch.nn.Linear(n_{l-1}, n_l)`` in float64, with
``weight[j, k] = w⁽ˡ⁾ⱼₖ`` and ``bias[j] = b⁽ˡ⁾ⱼ``, followed by its activation
module (``ReLU``, ``Tanh``, ``Sigmoid``; nothing for "linear").  torch is
imported only when `to_torch` is called.

The network is read from the module's public description alone: its
``architecture()`` (the layer sizes and activations) and its
``state_dict()`` (the weights by name, ``layers.i.neurons.j.w.k``), so this
module needs none of nn's classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from autodiff.arguments import type_name

__all__ = ["to_torch"]


class _Dense(NamedTuple):
    """One layer as a Sequential sees it: weight rows, biases, activation."""

    weights: list[list[float]]
    biases: list[float]
    activation: str


def _layer_specs(arch: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(parameter-name prefix, recorded activation)`` per layer, for the
    architecture of an MLP, a Layer or a Neuron (else None)."""
    kind = arch.get("type")
    if kind == "MLP":
        return [(f"layers.{i}.", a) for i, a in enumerate(arch["activations"])]
    if kind in ("Layer", "Neuron"):
        return [("", arch["activation"])]
    raise KeyError(kind)


def _dense(
    state: Mapping[str, float], prefix: str, activation: Any, number: int, single: bool
) -> _Dense:
    """Layer ``number`` (l) from the state's names under ``prefix``."""
    if not isinstance(activation, str):
        names = set(activation)
        if len(names) == 1:
            activation = names.pop()
        else:
            raise ValueError(
                f"to_torch: layer {number} mixes activations {sorted(names)}; "
                "a Sequential needs one per layer"
            )
    # A neuron's own names are "w.k" and "b"; a layer's "neurons.j.w.k".
    neurons: dict[int, dict[str, float]] = {}
    for name, value in state.items():
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        if single:
            j, own = 0, rest
        else:
            head, _, own = rest.partition(".")  # "neurons"
            index, _, own = own.partition(".")
            if head != "neurons" or not index.isdigit():
                continue
            j = int(index)
        neurons.setdefault(j, {})[own] = value
    rows: list[list[float]] = []
    biases: list[float] = []
    for j in range(len(neurons)):
        params = neurons[j]
        count = sum(1 for key in params if key.startswith("w."))
        rows.append([params[f"w.{k}"] for k in range(count)])
        biases.append(params["b"])
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError(f"to_torch: the neurons of layer {number} have different input counts")
    return _Dense(rows, biases, activation)


def _layers_of(module) -> list[_Dense]:
    try:
        arch = module.architecture()
        specs = _layer_specs(arch)
        state = module.state_dict()
    except (AttributeError, KeyError, TypeError):
        raise TypeError(
            f"to_torch: expected an MLP, Layer or Neuron, got {type_name(module)}"
        ) from None
    single = arch["type"] == "Neuron"
    return [
        _dense(state, prefix, activation, number, single)
        for number, (prefix, activation) in enumerate(specs, start=1)
    ]


def to_torch(module):
    """An equivalent ``torch.nn.Sequential`` with copies of the weights (float64).

    Args:
        module: an `MLP`, `Layer` or `Neuron` (anything whose
            ``architecture()`` and ``state_dict()`` describe one).

    Returns:
        A ``torch.nn.Sequential`` mapping a float64 tensor of shape
        ``(..., nin)`` to one of shape ``(..., n_L)`` (``(..., 1)`` for a
        single output).  Its parameters are new tensors: training one model
        does not change the other.

    Raises:
        ImportError: if PyTorch is not installed.
        TypeError: if ``module`` is not an MLP, a Layer or a Neuron.
        ValueError: if the neurons of one layer have different activations
            (a ``Sequential`` applies one activation per layer).
    """
    layers = _layers_of(module)
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch") from None
    activations: dict[str, Any] = {
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "leaky_relu": torch.nn.LeakyReLU,  # slope 0.01, the engine's
        "elu": torch.nn.ELU,
        "gelu": lambda: torch.nn.GELU(approximate="tanh"),
        "silu": torch.nn.SiLU,
        "softplus": torch.nn.Softplus,
    }
    parts: list[Any] = []
    for dense in layers:
        linear = torch.nn.Linear(len(dense.weights[0]), len(dense.weights), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(dense.weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(dense.biases, dtype=torch.float64))
        parts.append(linear)
        if dense.activation != "linear":
            parts.append(activations[dense.activation]())
    return torch.nn.Sequential(*parts)
