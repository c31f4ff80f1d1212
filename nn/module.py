"""`Module`: what every network part shares — its parameters, their
gradients, a state to save and load, and a gradient table.

A module's parameters are `autodiff.Value` leaves.  Each has a stable dotted
name built from the attribute path to it, with 0-based list indices:

    layers.0.neurons.3.w.1     # mlp.layers[0].neurons[3].w[1]  = w⁽¹⁾₃₁
    layers.2.neurons.0.b       # mlp.layers[2].neurons[0].b     = b⁽³⁾₀

(a `Layer`'s names start at ``neurons.``, a `Neuron`'s are ``w.k`` and ``b``).
Names index Python lists, so layer ``layers.0`` is the seeds' layer l = 1;
the parameters' labels carry the seeds' numbering.

Checkpoints are JSON (never pickle); see `nn.serialization`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

__all__ = ["Module"]


class Module:
    """Base class of `Neuron`, `Layer` and `MLP`.

    A module made of others provides `named_children`; one that holds
    parameters itself (a `Neuron`) provides `parameters` and
    `named_parameters`.  Both provide `architecture`; everything else is
    built on those.
    """

    # -- parameters ---------------------------------------------------------

    def named_children(self) -> list[tuple[str, "Module"]]:
        """``(name, module)`` for each direct part, in order, e.g.
        ``("neurons.3", neuron)``: the prefix of that part's parameter names."""
        return []

    def named_parameters(self) -> list[tuple[str, object]]:
        """``(name, Value)`` pairs for every parameter, in `parameters` order.

        Names are stable dotted paths (see the module docstring), e.g.
        ``"layers.0.neurons.3.w.1"``.
        """
        return [
            (f"{prefix}.{name}", p)
            for prefix, child in self.named_children()
            for name, p in child.named_parameters()
        ]

    def parameters(self) -> list:
        """Every parameter (a `Value`), in a fixed order: per neuron its
        weights w₀…wₙ₋₁ then its bias, neurons in order, layers in order
        (micrograd's order)."""
        return [p for _, child in self.named_children() for p in child.parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (call it before ``backward``)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    # -- state --------------------------------------------------------------

    def architecture(self) -> dict:
        """A JSON-ready description of the module's shape and activations,
        recorded in checkpoints so that a mismatch is reported clearly."""
        return {"type": type(self).__name__}

    def options(self) -> dict:
        """Construction options that do not change the parameters' shapes
        (for rebuilding a module from a checkpoint)."""
        return {}

    def state_dict(self) -> dict[str, float]:
        """``{name: float}`` for every parameter: a plain, JSON-ready copy."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping) -> None:
        """Set every parameter from ``state`` (as made by `state_dict`).

        Everything is checked before anything changes: ``state`` must have
        exactly this module's parameter names as keys, and each value must be
        a finite real number (not a bool).

        Raises:
            TypeError: if ``state`` is not a mapping.
            ValueError: naming the first missing, unexpected or bad key; the
                module is left untouched.
        """
        values = _checked_state(self.named_parameters(), state, "load_state_dict")
        for p, value in values:
            p.data = value

    def save(self, path) -> None:
        """Write a JSON checkpoint (architecture + parameters) to ``path``,
        atomically: a temporary file in the same directory, then
        ``os.replace``, so an interrupted save never leaves a half-written
        file.  Gradients are not saved.

        Raises:
            ValueError: if a parameter is not finite (JSON cannot hold it).
        """
        from .serialization import save

        save(self, path)

    def load(self, path) -> "Module":
        """Set the parameters from a checkpoint written by `save`.

        The file's format, architecture and every value are checked before
        any parameter changes.

        Returns:
            self.

        Raises:
            ValueError: naming what is wrong (not JSON, wrong format, another
                architecture, a missing/unexpected/non-finite key); the module
                is left untouched.
            OSError: if the file cannot be read.
        """
        from .serialization import load_into

        load_into(self, path)
        return self

    @classmethod
    def from_file(cls, path) -> "Module":
        """A new module rebuilt from a checkpoint (its recorded architecture),
        with the saved parameters.  ``MLP.from_file`` insists the checkpoint
        holds an MLP; ``Module.from_file`` accepts any of Neuron/Layer/MLP."""
        from .serialization import from_file

        return from_file(path, expected=None if cls is Module else cls)

    # -- display and export -------------------------------------------------

    def grad_table(self, layer: int | None = None, neuron: int | None = None):
        """A table of every parameter: name, label, value and gradient.

        Args:
            layer: keep only parameters of layer l (1-based, as in w⁽ˡ⁾ⱼₖ).
            neuron: keep only parameters of node j (0-based) of their layer.

        Returns:
            A `nn.table.GradTable`: ``str()`` gives aligned text columns,
            ``_repr_html_`` an HTML table for notebooks.
        """
        from .table import GradTable

        return GradTable.from_module(self, layer=layer, neuron=neuron)

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` (float64) with the same
        weights; see `nn.export.to_torch`."""
        from .export import to_torch

        return to_torch(self)


def _checked_state(named, state, caller: str) -> list[tuple[object, float]]:
    """Pair each parameter with its new float, or raise before changing any."""
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{caller}: state must be a mapping of name -> float, got {type(state).__name__}"
        )
    expected = [name for name, _ in named]
    names = set(expected)
    for key in state:
        if not isinstance(key, str):
            raise ValueError(f"{caller}: key {key!r} must be a str parameter name")
    missing = [name for name in expected if name not in state]
    if missing:
        raise ValueError(f"{caller}: missing key {missing[0]!r}{_more(missing)}")
    unexpected = [key for key in state if key not in names]
    if unexpected:
        raise ValueError(
            f"{caller}: unexpected key {unexpected[0]!r}{_more(unexpected)} "
            f"(this module has {len(expected)} parameters)"
        )
    out = []
    for name, p in named:
        out.append((p, _finite_float(state[name], name, caller)))
    return out


def _finite_float(value, key: str, caller: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{caller}: key {key!r} must be a finite real number, "
            f"got {type(value).__name__} {value!r}"
        )
    try:
        value = float(value)
    except OverflowError:
        raise ValueError(f"{caller}: key {key!r} is too large for a float: {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{caller}: key {key!r} must be finite, got {value!r}")
    return value


def _more(items: list) -> str:
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""
