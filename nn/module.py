"""`Module`: what every network part shares — its parameters, their
gradients, a state to save and load, and a gradient table.

A module's parameters are `autodiff.Value` leaves.  Each has a stable dotted
name built from the attribute path to it, with 0-based list indices:

    layers.0.neurons.3.w.1     # mlp.layers[0].neurons[3].w[1]  = w⁽¹⁾₃₁
    layers.2.neurons.0.b       # mlp.layers[2].neurons[0].b     = b⁽³⁾₀

(a `Layer`'s names start at ``neurons.``, a `Neuron`'s are ``w.k`` and ``b``).
Names index Python lists, so layer ``layers.0`` is the seeds' layer l = 1;
the parameters' labels carry the seeds' numbering.

Checkpoints are JSON (never pickle); see `nn.serialization`.  A module is
rebuilt from its architecture by its own class (`Module.from_architecture`,
overridden by `Neuron`, `Layer` and `MLP`), so neither the checkpoint code
nor the PyTorch export needs to know the classes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from autodiff import Value
from autodiff.arguments import type_name

from . import export, serialization
from .checks import finite_float
from .table import GradTable

__all__ = ["Module"]


class Module:
    """Base class of `Neuron`, `Layer` and `MLP`.

    A module made of others provides `named_children`; one that holds
    parameters itself (a `Neuron`) provides `parameters` and
    `named_parameters`.  Both provide `architecture`; everything else is
    built on those.  A class that can be rebuilt from a checkpoint also
    provides the classmethod `from_architecture`, and is then found by
    `Module.from_file` through the ``"type"`` of its architecture.
    """

    #: Architecture type -> the class rebuilding it, filled as subclasses
    #: defining `from_architecture` are created (Neuron, Layer, MLP).
    _rebuilders: ClassVar[dict[str, type[Module]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "from_architecture" in cls.__dict__:
            Module._rebuilders[cls.__name__] = cls

    # -- forward ------------------------------------------------------------

    def forward_batch(self, X) -> list:
        """The output for each sample of ``X`` (a sequence of inputs): the
        list ``[self(x) for x in X]``.

        `Neuron`, `Layer` and `MLP` make exactly the nodes of those calls,
        with the same labels and numbers, but a layer of dot neurons makes its
        weighted inputs for the whole batch at once (`autodiff.affine`),
        reading each weight once rather than once per sample: the forward
        pass takes 0.5-0.6 of the time.  `nn.batch_loss`, and so `nn.fit`,
        use it.
        Errors name the sample (``X[3]: input has 3 values, ...``).
        """
        if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
            raise TypeError(f"X must be a sequence of samples, got {type_name(X)}")
        call: Any = self  # a subclass's __call__: Module itself defines none
        return [call(x) for x in X]

    # -- parameters ---------------------------------------------------------

    def named_children(self) -> list[tuple[str, "Module"]]:
        """``(name, module)`` for each direct part, in order, e.g.
        ``("neurons.3", neuron)``: the prefix of that part's parameter names."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, Value)`` pairs for every parameter, in `parameters` order.

        Names are stable dotted paths (see the module docstring), e.g.
        ``"layers.0.neurons.3.w.1"``.
        """
        return [
            (f"{prefix}.{name}", p)
            for prefix, child in self.named_children()
            for name, p in child.named_parameters()
        ]

    def parameters(self) -> list[Value]:
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

    @classmethod
    def from_architecture(
        cls, architecture: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Module:
        """A new, untrained module with the given `architecture` (and
        `options`), as returned by those methods; its weights are 0 until
        `load_state_dict` sets them, and no random numbers are drawn.

        ``Module.from_architecture`` picks the class from
        ``architecture["type"]``; each subclass (``MLP.from_architecture``…)
        builds its own kind.

        Raises:
            ValueError: for an unknown type, one that is not ``cls``, or
                fields that do not make a valid module (naming the field).
            TypeError: for a field of the wrong type.
        """
        kind = architecture.get("type") if isinstance(architecture, Mapping) else None
        known = Module._rebuilders
        if not isinstance(kind, str) or kind not in known:
            raise ValueError(f"architecture type must be one of {list(known)}, got {kind!r}")
        found = known[kind]
        if not issubclass(found, cls):
            raise ValueError(f"the architecture is a {kind}, not a {cls.__name__}")
        return found.from_architecture(architecture, options)

    @classmethod
    def parameter_count(cls, architecture: Mapping[str, Any]) -> int | None:
        """How many parameters the module `architecture` describes, computed
        without building it (None: this class cannot tell)."""
        return None

    @classmethod
    def parameter_names(cls, architecture: Mapping[str, Any]) -> list[str] | None:
        """The `named_parameters` names of the module `architecture`
        describes, without building it (None: this class cannot tell).
        Call it after `parameter_count`, which bounds the list."""
        return None

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
        serialization.save(self, path)

    def load(self, path, max_bytes: int | None = None) -> "Module":
        """Set the parameters from a checkpoint written by `save`.

        The file's format, architecture and every value are checked before
        any parameter changes.  Files over ``max_bytes`` (default
        `nn.serialization.MAX_BYTES`, 64 MiB) are refused unread.

        Returns:
            self.

        Raises:
            ValueError: naming what is wrong (not JSON, wrong format, another
                architecture, a missing/unexpected/non-finite key, too
                large); the module is left untouched.
            OSError: if the file cannot be read.
        """
        serialization.load_into(self, path, max_bytes)
        return self

    @classmethod
    def from_file(cls, path, max_bytes: int | None = None) -> "Module":
        """A new module rebuilt from a checkpoint (its recorded architecture),
        with the saved parameters.  ``MLP.from_file`` insists the checkpoint
        holds an MLP; ``Module.from_file`` accepts any of Neuron/Layer/MLP.

        Nothing is built before the checkpoint is checked: its size (at most
        ``max_bytes``, default `nn.serialization.MAX_BYTES`), its format,
        and that the parameters it holds are exactly, in number and names,
        those of the architecture it claims.

        Raises:
            ValueError: for a bad checkpoint (as `load`), one holding another
                type than ``cls``, or parameters that do not fit its
                architecture.
            OSError: if the file cannot be read.
        """
        data = serialization.read(path, max_bytes)
        where = os.fsdecode(path)
        architecture = data["architecture"]
        kind = architecture.get("type")
        known = Module._rebuilders
        if not isinstance(kind, str) or kind not in known:
            raise ValueError(
                f"{where}: key 'architecture.type' must be one of {list(known)}, got {kind!r}"
            )
        found = known[kind]
        if not issubclass(found, cls):
            raise ValueError(f"{where}: the checkpoint holds a {kind}, not a {cls.__name__}")
        try:
            _check_claim(found, architecture, data["parameters"])
            module = found.from_architecture(architecture, data["options"])
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: cannot rebuild the {kind}: {e}") from None
        serialization.apply(module, data, where)
        return module

    # -- display and export -------------------------------------------------

    def grad_table(
        self, layer: int | None = None, neuron: int | None = None, notation: str = "number"
    ) -> GradTable:
        """A table of every parameter: name, label, value and gradient.

        Args:
            layer: keep only parameters of layer l (1-based, as in w⁽ˡ⁾ⱼₖ).
            neuron: keep only parameters of node j (0-based) of their layer.
            notation: "number" (w⁽³⁾₁₂) or "L", layers relative to the output
                layer L (w⁽ᴸ⁾₁₂), as “Backpropagation Explained” writes them.

        Returns:
            A `nn.table.GradTable`: ``str()`` gives aligned text columns,
            ``_repr_html_`` an HTML table for notebooks.
        """
        return GradTable.from_module(self, layer=layer, neuron=neuron, notation=notation)

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` (float64) with the same
        weights; see `nn.export.to_torch`."""
        return export.to_torch(self)


def _check_claim(found: type[Module], architecture: Mapping, parameters: Mapping) -> None:
    """Raise unless ``parameters`` has exactly the names of the parameters
    ``architecture`` describes; the count is compared first, computed
    without building anything, so a huge claim costs nothing."""
    count = found.parameter_count(architecture)
    if count is None:
        return  # a class that cannot tell: load_state_dict checks after building
    if count != len(parameters):
        raise ValueError(
            f"the architecture has {count:,} parameters but the checkpoint holds "
            f"{len(parameters):,}"
        )
    names = found.parameter_names(architecture)
    if names is None:
        return
    missing = [name for name in names if name not in parameters]
    if missing:
        raise ValueError(f"key 'parameters.{missing[0]}' is missing{_more(missing)}")


def _checked_state(named, state, caller: str) -> list[tuple[Value, float]]:
    """Pair each parameter with its new float, or raise before changing any."""
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{caller}: state must be a mapping of name -> float, got {type_name(state)}"
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
        out.append((p, finite_float(state[name], name, caller)))
    return out


def _more(items: list) -> str:
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""
