"""Neurons, layers and multi-layer perceptrons, in micrograd's shape and the
seeds' notation.

Structure (micrograd's): ``MLP.layers`` is a list of `Layer`,
``Layer.neurons`` a list of `Neuron`, ``Neuron.w`` a list of `Value` and
``Neuron.b`` a `Value`.  Layers are numbered l = 1..L (the input is layer 0),
nodes 0-based, so w⁽ˡ⁾ⱼₖ is ``mlp.layers[l-1].neurons[j].w[k]``: the weight
from node k of layer l−1 to node j of layer l.  Every parameter carries that
label.

A forward call ``mlp(x)`` builds, per call:

- the inputs: each plain number becomes a leaf labelled a⁽⁰⁾ₖ (a `Value`
  passed in is used as it is);
- for node j of layer l: z⁽ˡ⁾ⱼ = Σₖ w⁽ˡ⁾ⱼₖ a⁽ˡ⁻¹⁾ₖ + b⁽ˡ⁾ⱼ — with
  ``weighted_sum="dot"`` (the default, fast) a single `autodiff.dot` node
  over the weights, the inputs and the bias; with ``"products"`` one node per
  wₖ·aₖ summed with the bias by one `autodiff.sum` node (micrograd's
  granularity, for drawing the fine-grained graph);
- a⁽ˡ⁾ⱼ = g(z⁽ˡ⁾ⱼ), with g one of `ACTIVATIONS`: "relu", "tanh", "sigmoid",
  "leaky_relu", "elu", "gelu", "silu", "softplus" (the op table's entries)
  or "linear".  For "linear" no activation node is made: the z⁽ˡ⁾ⱼ node
  serves as a⁽ˡ⁾ⱼ.

A call returns a `Value` when the last layer has one neuron, else a list.

Each class describes itself (``architecture()``, ``options()``) and rebuilds
itself from that description (the classmethod ``from_architecture``): the
two directions live together, here, for `nn.serialization` and
`nn.export` to use through `Module`'s public methods.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from autodiff import Value, affine
from autodiff import dot as _dot
from autodiff import sum as _sum
from autodiff.arguments import integer, type_name

from . import init as _init
from .module import Module
from .notation import label

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS"]

#: Activation name -> the `Value` method applying it (None: the identity).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope 0.01 below 0, fixed (PyTorch's default)
    "elu": Value.elu,  # alpha 1
    "gelu": Value.gelu,  # the tanh approximation (PyTorch's approximate="tanh")
    "silu": Value.silu,
    "softplus": Value.softplus,  # beta 1, threshold 20
    "linear": None,
}

WEIGHTED_SUMS = ("dot", "products")

_mul = operator.mul


# --------------------------------------------------------------------------
# Argument checks (construction time only: the forward path trusts them)


def _activation(name, what: str = "activation") -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{what} must be one of {list(ACTIVATIONS)}, got {name!r}")
    return name


def _nonlin(nonlin, activation: str, default: str = "relu") -> str:
    """The activation for micrograd's ``nonlin=`` (True: relu, False: linear);
    ``activation`` itself when ``nonlin`` is None."""
    if nonlin is None:
        return activation
    if not isinstance(nonlin, bool):
        raise TypeError(
            f"nonlin must be True (relu) or False (linear), as in micrograd, "
            f"got {type(nonlin).__name__}"
        )
    if activation != default:
        raise ValueError(
            f"give activation= or micrograd's nonlin=, not both "
            f"(got activation={activation!r}, nonlin={nonlin!r})"
        )
    return "relu" if nonlin else "linear"


def _weighted_sum(name) -> str:
    if not isinstance(name, str) or name not in WEIGHTED_SUMS:
        raise ValueError(f"weighted_sum must be one of {list(WEIGHTED_SUMS)}, got {name!r}")
    return name


def _input_labels(layer: int, n: int) -> list[str]:
    return [label("a", layer - 1, k) for k in range(n)]


def _leaves(x, labels: list[str]) -> list:
    """The input nodes of a forward call: Values kept, numbers made into
    leaves labelled a⁽ˡ⁻¹⁾ₖ.  The one place a call's input is checked."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(
            f"input must be a sequence of {len(labels)} numbers or Values, "
            f"got {type(x).__name__}"
        )
    if len(x) != len(labels):
        raise ValueError(
            f"input has {len(x)} value{'' if len(x) == 1 else 's'}, "
            f"but the model takes {len(labels)} (nin)"
        )
    out: list[Value] = []
    append = out.append
    for k, (xk, text) in enumerate(zip(x, labels)):
        if isinstance(xk, Value):
            append(xk)
            continue
        try:
            append(Value(xk, text))
        except TypeError:
            raise TypeError(
                f"input[{k}] must be a real number or a Value, got {type(xk).__name__}"
            ) from None
    return out


def _forward_batch(X, labels: list[str], layers: list[list]) -> list:
    """The outputs for each sample of ``X`` through ``layers`` (each a list
    of neurons), as `Module.forward_batch` returns them: a Value per sample
    where the last layer has one neuron, else a list.

    The input leaves are made as a call makes them (`_leaves`, its errors
    naming the sample: ``X[3]: ...``), then each layer's activations come
    from `_activations`."""
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(f"X must be a sequence of samples, got {type_name(X)}")
    values = []
    for i, x in enumerate(X):
        try:
            values.append(_leaves(x, labels))
        except (TypeError, ValueError) as error:
            raise type(error)(f"X[{i}]: {error}") from None
    for neurons in layers:
        values = _activations(neurons, values)
    return [out[0] if len(out) == 1 else out for out in values]


def _activations(neurons: list, inputs: list[list]) -> list[list]:
    """Each neuron's a⁽ˡ⁾ⱼ for each sample of ``inputs`` (lists of Values):
    the nodes the neurons' own forward passes make, sample by sample.

    Dot neurons of one input size have their z⁽ˡ⁾ⱼ made for the whole batch
    by `autodiff.affine`, which reads each weight once (the same nodes as a
    `dot` per neuron and sample); any other layer goes sample by sample."""
    n = len(neurons[0].w)
    if not all(neuron._use_dot and len(neuron.w) == n for neuron in neurons):
        return [[neuron._forward(x) for neuron in neurons] for x in inputs]
    zs = affine([neuron.w for neuron in neurons], inputs, [neuron.b for neuron in neurons])
    finish = [(neuron._z_label, neuron._g, neuron._a_label) for neuron in neurons]
    out = []
    for row in zs:
        acts = []
        for z, (z_label, g, a_label) in zip(row, finish):
            z.label = z_label
            if g is not None:
                z = g(z)
                z.label = a_label
            acts.append(z)
        out.append(acts)
    return out


# --------------------------------------------------------------------------
# Rebuilding from an architecture (the inverse of ``architecture()``)


def _zero(rng, fan_in: int, fan_out: int) -> float:
    # A rebuilt module's weights are about to be overwritten by
    # load_state_dict: draw nothing from any random source.
    return 0.0


def _described(architecture: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """``architecture``, checked to be a mapping describing a ``kind``."""
    if not isinstance(architecture, Mapping):
        raise TypeError(f"architecture must be a mapping, got {type_name(architecture)}")
    if architecture.get("type") != kind:
        raise ValueError(
            f"architecture type must be {kind!r}, got {architecture.get('type')!r}"
        )
    return architecture


#: The most parameters ``from_architecture`` builds (each is a `Value` of
#: about 100 bytes; a checkpoint is bounded by `nn.serialization.MAX_BYTES`).
MAX_PARAMETERS = 10_000_000


def _size(architecture: Mapping[str, Any], key: str) -> int:
    return integer(architecture.get(key), key, minimum=1)


def _sizes(architecture: Mapping[str, Any]) -> tuple[int, list[int]]:
    """``nin`` and ``nouts`` of an MLP architecture, checked, without building."""
    nin = _size(architecture, "nin")
    nouts = architecture.get("nouts")
    if not isinstance(nouts, list) or not nouts:
        raise ValueError(f"'nouts' must be a non-empty list of layer sizes, got {nouts!r}")
    return nin, [integer(n, f"nouts[{i}]", minimum=1) for i, n in enumerate(nouts)]


def _bounded(count: int, architecture: Mapping[str, Any]) -> None:
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"the architecture has {count:,} parameters, more than the "
            f"{MAX_PARAMETERS:,} (nn.layers.MAX_PARAMETERS) a module is built with"
        )


def _neuron_names(nin: int) -> list[str]:
    names = [f"w.{k}" for k in range(nin)]
    names.append("b")
    return names


def _layer_names(nin: int, nout: int) -> list[str]:
    inner = _neuron_names(nin)
    return [f"neurons.{j}.{name}" for j in range(nout) for name in inner]


def _field(architecture: Mapping[str, Any], key: str) -> Any:
    # Missing or wrong fields are left to the constructor's checks, which
    # name the argument (``nin must be an int, got NoneType``).
    return architecture.get(key)


def _given(options: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a mapping or None, got {type_name(options)}")
    return options


def _mode(options: Mapping[str, Any]) -> str:
    # A model whose neurons mix weighted-sum modes records a list; it is
    # rebuilt with the default mode (the mode changes no value).
    mode = options.get("weighted_sum", "dot")
    return mode if isinstance(mode, str) else "dot"


def _per_layer(value) -> str | None:
    """A layer's recorded activation: a name, or None for one name per neuron."""
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------


class Neuron(Module):
    """One node j of layer l: z = Σₖ wₖ·xₖ + b, a = g(z).

    Args:
        nin: the number of inputs (≥ 1).
        activation: "relu" (default), "tanh", "sigmoid" or "linear".
        layer: the layer number l (≥ 1) used in the labels (default 1).
        index: the node number j (≥ 0) used in the labels (default 0).
        init: an initialisation scheme name or callable (see `nn.init`);
            default "uniform", micrograd's U(−1, 1).
        rng: a `random.Random` to draw from; default the global ``random``.
        seed: or an int seeding a fresh ``random.Random`` (not with ``rng``).
        weighted_sum: "dot" (default) or "products" (see the module docstring).
        fan_out: the size of the neuron's layer, for the "xavier" schemes.
        nonlin: micrograd's name: True for "relu", False for "linear" (instead
            of ``activation``).

    Attributes:
        w (list[Value]): the weights, labelled w⁽ˡ⁾ⱼₖ.
        b (Value): the bias, labelled b⁽ˡ⁾ⱼ, starting at 0.
        activation (str): the activation's name (assignable, checked).
        weighted_sum (str): "dot" or "products" (assignable, checked).
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        layer: int = 1,
        index: int = 0,
        init="uniform",
        rng=None,
        seed=None,
        weighted_sum: str = "dot",
        fan_out: int = 1,
        nonlin: bool | None = None,
    ) -> None:
        nin = integer(nin, "nin", minimum=1)
        activation = _nonlin(nonlin, activation)
        self._layer = integer(layer, "layer", minimum=1)
        self._index = integer(index, "index", minimum=0)
        fan_out = integer(fan_out, "fan_out", minimum=1)
        self.activation = activation
        self.weighted_sum = weighted_sum
        draw = _init.sampler(init)
        rng = _init.resolve_rng(rng, seed)
        l, j = self._layer, self._index  # noqa: E741 - the seeds' names
        self.w = [
            Value(_init.draw(draw, rng, nin, fan_out), label("w", l, j, k)) for k in range(nin)
        ]
        self.b = Value(0.0, label("b", l, j))
        self._z_label = label("z", l, j)
        self._a_label = label("a", l, j)
        self._in_labels = _input_labels(l, nin)

    # -- configuration ------------------------------------------------------

    @property
    def activation(self) -> str:
        """The activation's name: "relu", "tanh", "sigmoid" or "linear"."""
        return self._activation

    @activation.setter
    def activation(self, name: str) -> None:
        self._activation = _activation(name)
        self._g = ACTIVATIONS[name]

    @property
    def weighted_sum(self) -> str:
        """How z is built: "dot" (one node) or "products" (one node per wₖ·xₖ)."""
        return "dot" if self._use_dot else "products"

    @weighted_sum.setter
    def weighted_sum(self, name: str) -> None:
        self._use_dot = _weighted_sum(name) == "dot"

    @property
    def layer(self) -> int:
        """The layer number l of the labels (fixed at construction)."""
        return self._layer

    @property
    def index(self) -> int:
        """The node number j of the labels (fixed at construction)."""
        return self._index

    @property
    def nin(self) -> int:
        """The number of inputs."""
        return len(self.w)

    # -- forward ------------------------------------------------------------

    def __call__(self, x):
        """a⁽ˡ⁾ⱼ for the input ``x`` (a sequence of nin numbers or Values).

        Raises:
            ValueError: if ``x`` does not have nin values (both lengths given).
            TypeError: if ``x`` or one of its items is of the wrong type.
        """
        return self._forward(_leaves(x, self._labels_for_inputs()))

    def _labels_for_inputs(self) -> list[str]:
        if len(self._in_labels) != len(self.w):  # w was resized by hand
            self._in_labels = _input_labels(self._layer, len(self.w))
        return self._in_labels

    def forward_batch(self, X) -> list:
        """a⁽ˡ⁾ⱼ for each sample of ``X``: the list ``[self(x) for x in X]``
        gives, the same nodes, made faster (see `Module.forward_batch`)."""
        return _forward_batch(X, self._labels_for_inputs(), [[self]])

    def _forward(self, inputs: list):
        """The hot path: ``inputs`` are already Values of the right length."""
        if self._use_dot:
            z = _dot(self.w, inputs, self.b)
        else:
            terms = list(map(_mul, self.w, inputs))
            terms.append(self.b)
            z = _sum(terms)
        z.label = self._z_label
        g = self._g
        if g is None:
            return z
        a = g(z)
        a.label = self._a_label
        return a

    # -- Module -------------------------------------------------------------

    def parameters(self) -> list:
        """The weights w₀…wₙ₋₁, then the bias (micrograd's order)."""
        return [*self.w, self.b]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``("w.0", w₀)``, …, ``("b", b)``."""
        named = [(f"w.{k}", w) for k, w in enumerate(self.w)]
        named.append(("b", self.b))
        return named

    def architecture(self) -> dict:
        """``{"type": "Neuron", "nin": …, "activation": …}``."""
        return {"type": "Neuron", "nin": len(self.w), "activation": self._activation}

    def options(self) -> dict:
        """``{"weighted_sum": …, "layer": l, "index": j}``."""
        return {"weighted_sum": self.weighted_sum, "layer": self._layer, "index": self._index}

    @classmethod
    def from_architecture(
        cls, architecture: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Neuron:
        """The neuron that `architecture` (and `options`) describe, with zero
        weights (see `Module.from_architecture`)."""
        arch = _described(architecture, "Neuron")
        opts = _given(options)
        _bounded(cls.parameter_count(arch), arch)
        return cls(
            _field(arch, "nin"),
            _field(arch, "activation"),
            layer=opts.get("layer", 1),
            index=opts.get("index", 0),
            weighted_sum=_mode(opts),
            init=_zero,
        )

    # Pickling and copying (multiprocessing ships modules so): the state is
    # the attributes less the activation function, found again by name.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_g", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._g = ACTIVATIONS[self._activation]

    @classmethod
    def parameter_count(cls, architecture: Mapping[str, Any]) -> int:
        """How many parameters `architecture` describes: nin + 1."""
        return _size(_described(architecture, "Neuron"), "nin") + 1

    @classmethod
    def parameter_names(cls, architecture: Mapping[str, Any]) -> list[str]:
        """The `named_parameters` names of the neuron `architecture` describes."""
        return _neuron_names(_size(_described(architecture, "Neuron"), "nin"))

    def __repr__(self) -> str:
        return (
            f"Neuron(nin={len(self.w)}, activation={self._activation!r}, "
            f"layer={self._layer}, index={self._index})"
        )


class Layer(Module):
    """Layer l: ``nout`` neurons, each fed all ``nin`` inputs.

    Args:
        nin: inputs per neuron (≥ 1).
        nout: number of neurons (≥ 1).
        activation: "relu" (default), "tanh", "sigmoid" or "linear".
        layer: the layer number l (≥ 1) used in the labels (default 1).
        init, rng, seed, weighted_sum, nonlin: as for `Neuron`; the weights
            are drawn neuron by neuron from one source.

    Attributes:
        neurons (list[Neuron]): neuron j is node j of the layer.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        layer: int = 1,
        init="uniform",
        rng=None,
        seed=None,
        weighted_sum: str = "dot",
        nonlin: bool | None = None,
    ) -> None:
        nin = integer(nin, "nin", minimum=1)
        nout = integer(nout, "nout", minimum=1)
        layer = integer(layer, "layer", minimum=1)
        activation = _nonlin(nonlin, activation)
        _activation(activation)
        _weighted_sum(weighted_sum)
        _init.sampler(init)
        rng = _init.resolve_rng(rng, seed)
        self._layer = layer
        self.neurons = [
            Neuron(
                nin,
                activation,
                layer=layer,
                index=j,
                init=init,
                rng=rng,
                weighted_sum=weighted_sum,
                fan_out=nout,
            )
            for j in range(nout)
        ]
        self._in_labels = _input_labels(layer, nin)

    @property
    def layer(self) -> int:
        """The layer number l of the labels (fixed at construction)."""
        return self._layer

    @property
    def nin(self) -> int:
        """The number of inputs of each neuron."""
        return len(self.neurons[0].w)

    @property
    def nout(self) -> int:
        """The number of neurons."""
        return len(self.neurons)

    @property
    def activation(self):
        """The neurons' activation name (a list of names if they differ);
        assigning a name sets it on every neuron."""
        names = [n.activation for n in self.neurons]
        return names[0] if len(set(names)) == 1 else names

    @activation.setter
    def activation(self, name: str) -> None:
        _activation(name)
        for n in self.neurons:
            n.activation = name

    @property
    def weighted_sum(self):
        """The neurons' weighted-sum mode; assigning sets it on every neuron."""
        modes = [n.weighted_sum for n in self.neurons]
        return modes[0] if len(set(modes)) == 1 else modes

    @weighted_sum.setter
    def weighted_sum(self, name: str) -> None:
        _weighted_sum(name)
        for n in self.neurons:
            n.weighted_sum = name

    def __call__(self, x):
        """The layer's activations for the input ``x`` (nin numbers or Values):
        a `Value` if the layer has one neuron, else a list of them."""
        if len(self._in_labels) != self.nin:
            self._in_labels = _input_labels(self._layer, self.nin)
        out = self._forward(_leaves(x, self._in_labels))
        return out[0] if len(out) == 1 else out

    def _forward(self, inputs: list) -> list:
        return [n._forward(inputs) for n in self.neurons]

    def forward_batch(self, X) -> list:
        """The layer's activations for each sample of ``X``: the list
        ``[self(x) for x in X]`` gives, the same nodes, made faster (see
        `Module.forward_batch`)."""
        if len(self._in_labels) != self.nin:
            self._in_labels = _input_labels(self._layer, self.nin)
        return _forward_batch(X, self._in_labels, [self.neurons])

    def named_children(self) -> list[tuple[str, Module]]:
        """``("neurons.j", neuron)`` for each neuron."""
        return [(f"neurons.{j}", n) for j, n in enumerate(self.neurons)]

    def architecture(self) -> dict:
        """``{"type": "Layer", "nin": …, "nout": …, "activation": …}``."""
        return {
            "type": "Layer",
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
        }

    def options(self) -> dict:
        """``{"weighted_sum": …, "layer": l}``."""
        return {"weighted_sum": self.weighted_sum, "layer": self._layer}

    @classmethod
    def from_architecture(
        cls, architecture: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> Layer:
        """The layer that `architecture` (and `options`) describe, with zero
        weights (see `Module.from_architecture`); an activation recorded per
        neuron is restored neuron by neuron."""
        arch = _described(architecture, "Layer")
        opts = _given(options)
        _bounded(cls.parameter_count(arch), arch)
        recorded = arch.get("activation")
        layer = cls(
            _field(arch, "nin"),
            _field(arch, "nout"),
            _per_layer(recorded) or "linear",
            layer=opts.get("layer", 1),
            weighted_sum=_mode(opts),
            init=_zero,
        )
        layer._restore_activations(recorded)
        return layer

    def _restore_activations(self, recorded) -> None:
        """Set the activations recorded by `architecture`: a name (already
        set by the constructor) or a list of one name per neuron."""
        if isinstance(recorded, str):
            return
        if not isinstance(recorded, list) or len(recorded) != len(self.neurons):
            raise ValueError(
                f"a layer's activation must be a name or one name per neuron, got {recorded!r}"
            )
        for neuron, name in zip(self.neurons, recorded):
            neuron.activation = name

    @classmethod
    def parameter_count(cls, architecture: Mapping[str, Any]) -> int:
        """How many parameters `architecture` describes: nout·(nin + 1)."""
        arch = _described(architecture, "Layer")
        return _size(arch, "nout") * (_size(arch, "nin") + 1)

    @classmethod
    def parameter_names(cls, architecture: Mapping[str, Any]) -> list[str]:
        """The `named_parameters` names of the layer `architecture` describes."""
        arch = _described(architecture, "Layer")
        return _layer_names(_size(arch, "nin"), _size(arch, "nout"))

    def __repr__(self) -> str:
        return (
            f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r}, "
            f"layer={self._layer})"
        )


class MLP(Module):
    """A multi-layer perceptron: layers l = 1..L of sizes ``nouts``.

    Args:
        nin: the number of inputs n₀ (≥ 1).
        nouts: the layer sizes [n₁, …, n_L] (a non-empty list of ints ≥ 1).
        activation: the hidden layers' activation, "relu" by default (or a
            list with one name per hidden layer).
        output_activation: the last layer's, "linear" by default (as
            micrograd: ReLU hidden layers, a linear output).
        init, rng, seed, weighted_sum: as for `Neuron`; the weights are drawn
            in neuron order from one source, so after ``random.seed(s)``,
            ``MLP(2, [16, 16, 1])`` has micrograd's exact initial weights.
        nonlin: micrograd's name for the hidden layers' activation: True for
            "relu" (the default), False for "linear"; the output stays linear.

    Attributes:
        layers (list[Layer]): ``layers[l-1]`` is layer l.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation="relu",
        output_activation: str = "linear",
        *,
        init="uniform",
        rng=None,
        seed=None,
        weighted_sum: str = "dot",
        nonlin: bool | None = None,
    ) -> None:
        nin = integer(nin, "nin", minimum=1)
        if nonlin is not None:
            activation = _nonlin(nonlin, activation if isinstance(activation, str) else "")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(
                f"nouts must be a list of layer sizes, got {type(nouts).__name__}"
            )
        if len(nouts) == 0:
            raise ValueError("nouts must list at least one layer size, got []")
        sizes = [integer(n, f"nouts[{i}]", minimum=1) for i, n in enumerate(nouts)]
        hidden = len(sizes) - 1
        if isinstance(activation, str):
            activations = [_activation(activation)] * hidden
        elif isinstance(activation, Sequence) and len(activation) == hidden:
            activations = [_activation(a, f"activation[{i}]") for i, a in enumerate(activation)]
        else:
            raise ValueError(
                f"activation must be one of {list(ACTIVATIONS)} or a list of "
                f"{hidden} such names (one per hidden layer), got {activation!r}"
            )
        activations.append(_activation(output_activation, "output_activation"))
        _weighted_sum(weighted_sum)
        _init.sampler(init)
        rng = _init.resolve_rng(rng, seed)
        fan_in = [nin, *sizes]
        self.layers = [
            Layer(
                fan_in[i],
                sizes[i],
                activations[i],
                layer=i + 1,
                init=init,
                rng=rng,
                weighted_sum=weighted_sum,
            )
            for i in range(len(sizes))
        ]
        self._in_labels = _input_labels(1, nin)

    @property
    def nin(self) -> int:
        """The number of inputs n₀."""
        return self.layers[0].nin

    @property
    def nouts(self) -> list[int]:
        """The layer sizes [n₁, …, n_L]."""
        return [layer.nout for layer in self.layers]

    @property
    def activations(self) -> list:
        """Each layer's activation name, l = 1..L."""
        return [layer.activation for layer in self.layers]

    @property
    def weighted_sum(self):
        """The neurons' weighted-sum mode; assigning sets it everywhere."""
        modes = {n.weighted_sum for layer in self.layers for n in layer.neurons}
        return modes.pop() if len(modes) == 1 else sorted(modes)

    @weighted_sum.setter
    def weighted_sum(self, name: str) -> None:
        _weighted_sum(name)
        for layer in self.layers:
            layer.weighted_sum = name

    def __call__(self, x):
        """The output for the input ``x`` (a sequence of nin numbers or
        Values): a `Value` if the last layer has one neuron, else a list.

        Raises:
            ValueError: if ``x`` does not have nin values (both lengths given).
            TypeError: if ``x`` or one of its items is of the wrong type.
        """
        labels = self._in_labels
        if len(labels) != self.nin:
            labels = self._in_labels = _input_labels(1, self.nin)
        values = _leaves(x, labels)
        for layer in self.layers:
            values = [n._forward(values) for n in layer.neurons]
        return values[0] if len(values) == 1 else values

    def forward_batch(self, X) -> list:
        """The output for each sample of ``X``: the list ``[self(x) for x in
        X]`` gives, the same nodes, made nearly twice as fast (see
        `Module.forward_batch`)."""
        if len(self._in_labels) != self.nin:
            self._in_labels = _input_labels(1, self.nin)
        return _forward_batch(X, self._in_labels, [layer.neurons for layer in self.layers])

    def named_children(self) -> list[tuple[str, Module]]:
        """``("layers.i", layer)`` for each layer (i = l − 1)."""
        return [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]

    def architecture(self) -> dict:
        """``{"type": "MLP", "nin": …, "nouts": […], "activations": […]}``."""
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": self.nouts,
            "activations": self.activations,
        }

    def options(self) -> dict:
        """``{"weighted_sum": …}``."""
        return {"weighted_sum": self.weighted_sum}

    @classmethod
    def from_architecture(
        cls, architecture: Mapping[str, Any], options: Mapping[str, Any] | None = None
    ) -> MLP:
        """The MLP that `architecture` (and `options`) describe, with zero
        weights (see `Module.from_architecture`); a layer whose activation
        was recorded per neuron is restored neuron by neuron."""
        arch = _described(architecture, "MLP")
        opts = _given(options)
        _bounded(cls.parameter_count(arch), arch)
        activations = arch.get("activations")
        if not isinstance(activations, list) or not activations:
            raise ValueError(f"'activations' must be a non-empty list, got {activations!r}")
        names = [_per_layer(a) or "linear" for a in activations]
        model = cls(
            _field(arch, "nin"),
            _field(arch, "nouts"),
            names[:-1],
            names[-1],
            weighted_sum=_mode(opts),
            init=_zero,
        )
        for layer, recorded in zip(model.layers, activations):
            layer._restore_activations(recorded)
        return model

    @classmethod
    def parameter_count(cls, architecture: Mapping[str, Any]) -> int:
        """How many parameters `architecture` describes: Σₗ nₗ·(nₗ₋₁ + 1)."""
        nin, nouts = _sizes(_described(architecture, "MLP"))
        fan_in = [nin, *nouts]
        return sum(n * (fan_in[i] + 1) for i, n in enumerate(nouts))

    @classmethod
    def parameter_names(cls, architecture: Mapping[str, Any]) -> list[str]:
        """The `named_parameters` names of the MLP `architecture` describes."""
        nin, nouts = _sizes(_described(architecture, "MLP"))
        fan_in = [nin, *nouts]
        return [
            f"layers.{i}.{name}" for i, n in enumerate(nouts) for name in _layer_names(fan_in[i], n)
        ]

    def __repr__(self) -> str:
        return (
            f"MLP(nin={self.nin}, nouts={self.nouts}, activations={self.activations!r}, "
            f"parameters={len(self.parameters())})"
        )
