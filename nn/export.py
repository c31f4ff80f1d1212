"""Export to PyTorch: the same network as a ``torch.nn.Sequential``.

Each layer l becomes a ``torch.nn.Linear(n_{l-1}, n_l)`` in float64, with
``weight[j, k] = w⁽ˡ⁾ⱼₖ`` and ``bias[j] = b⁽ˡ⁾ⱼ``, followed by its activation
module (``ReLU``, ``Tanh``, ``Sigmoid``; nothing for "linear").  torch is
imported only when `to_torch` is called.
"""

from __future__ import annotations

__all__ = ["to_torch"]


def _layers_of(module) -> list:
    from .layers import MLP, Layer, Neuron

    if isinstance(module, MLP):
        return [[n for n in layer.neurons] for layer in module.layers]
    if isinstance(module, Layer):
        return [list(module.neurons)]
    if isinstance(module, Neuron):
        return [[module]]
    raise TypeError(f"to_torch: expected an MLP, Layer or Neuron, got {type(module).__name__}")


def to_torch(module):
    """An equivalent ``torch.nn.Sequential`` with copies of the weights (float64).

    Args:
        module: an `MLP`, `Layer` or `Neuron`.

    Returns:
        A ``torch.nn.Sequential`` mapping a float64 tensor of shape
        ``(..., nin)`` to one of shape ``(..., n_L)`` (``(..., 1)`` for a
        single output).  Its parameters are new tensors: training one model
        does not change the other.

    Raises:
        ImportError: if PyTorch is not installed.
        ValueError: if the neurons of one layer have different activations
            (a ``Sequential`` applies one activation per layer).
    """
    layers = _layers_of(module)
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch") from None
    activations = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    parts = []
    for l, neurons in enumerate(layers, start=1):  # noqa: E741 - the seeds' name
        names = {n.activation for n in neurons}
        if len(names) != 1:
            raise ValueError(
                f"to_torch: layer {l} mixes activations {sorted(names)}; "
                "a Sequential needs one per layer"
            )
        nin = len(neurons[0].w)
        if any(len(n.w) != nin for n in neurons):
            raise ValueError(f"to_torch: the neurons of layer {l} have different input counts")
        linear = torch.nn.Linear(nin, len(neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(
                torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64)
            )
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        parts.append(linear)
        name = names.pop()
        if name != "linear":
            parts.append(activations[name]())
    return torch.nn.Sequential(*parts)
