"""Checkpoints: a module's architecture and parameters as JSON (never pickle).

A checkpoint file is one JSON object::

    {
      "format": "chainrule.nn",
      "version": 1,
      "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1],
                       "activations": ["relu", "relu", "linear"]},
      "options": {"weighted_sum": "dot"},
      "parameters": {"layers.0.neurons.0.w.0": 0.23, ...}
    }

``architecture`` fixes the parameters' shapes and the activations, and must
match the model a checkpoint is loaded into; ``options`` (weighted-sum mode,
label numbering) only matter to `from_file`, which rebuilds the module.
Floats are written with ``repr`` precision, so a save/load round trip is
exact.  Writing is atomic: a temporary file in the target's directory, then
``os.replace``.  Reading checks everything before changing any parameter.
"""

from __future__ import annotations

import json
import os

from .files import write_atomically

FORMAT = "chainrule.nn"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "save", "load_into", "from_file", "read", "dumps"]


def _payload(module) -> dict:
    from .module import _finite_float

    parameters = {}
    for name, p in module.named_parameters():
        try:
            parameters[name] = _finite_float(p.data, name, "save")
        except ValueError as e:
            raise ValueError(f"{e} (JSON checkpoints hold finite numbers only)") from None
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": module.architecture(),
        "options": module.options(),
        "parameters": parameters,
    }


def dumps(module) -> str:
    """The checkpoint of ``module`` as a JSON string."""
    return json.dumps(_payload(module), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def save(module, path) -> None:
    """Write ``module``'s checkpoint to ``path`` atomically.

    The text is built (and checked) first; it is then written to a temporary
    file in the same directory, flushed to disk and moved over ``path`` with
    ``os.replace``, so ``path`` holds either the old or the new checkpoint,
    never a mix.  An existing file's permission bits are kept.

    Raises:
        TypeError: if ``path`` is not a str or path-like.
        ValueError: if a parameter is not finite.
        OSError: if the directory is missing or not writable.
    """
    path = _fspath(path)
    text = dumps(module)
    write_atomically(path, text)


def read(path) -> dict:
    """The checked contents of a checkpoint file: a dict with "architecture",
    "options" and "parameters".

    Raises:
        ValueError: if the file is not JSON or not a checkpoint of this
            format and version (naming the problem).
        OSError: if it cannot be read.
    """
    path = _fspath(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not a JSON checkpoint ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a checkpoint is a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise ValueError(
            f"{path}: key 'format' must be {FORMAT!r}, got {data.get('format')!r} "
            "(not a chainrule checkpoint)"
        )
    if data.get("version") != VERSION:
        raise ValueError(
            f"{path}: key 'version' must be {VERSION}, got {data.get('version')!r} "
            "(unsupported checkpoint version)"
        )
    for key in ("architecture", "options", "parameters"):
        if not isinstance(data.get(key), dict):
            raise ValueError(f"{path}: key {key!r} must be a JSON object, got {data.get(key)!r}")
    return data


def _check_architecture(module, saved: dict, path: str) -> None:
    mine = module.architecture()
    if saved == mine:
        return
    # The model's own key order: type, then shapes, then activations.
    for key in [*mine, *(k for k in saved if k not in mine)]:
        if saved.get(key) != mine.get(key):
            raise ValueError(
                f"{path}: key 'architecture.{key}' is {saved.get(key)!r} in the checkpoint "
                f"but {mine.get(key)!r} in this model (checkpoint {_describe(saved)}, "
                f"model {_describe(mine)})"
            )


def _describe(arch: dict) -> str:
    fields = ", ".join(f"{k}={v!r}" for k, v in arch.items() if k != "type")
    return f"{arch.get('type')}({fields})"


def load_into(module, path) -> None:
    """Set ``module``'s parameters from the checkpoint at ``path``.

    Checks the format, that the recorded architecture equals
    ``module.architecture()``, and every parameter (names, finite floats),
    all before changing anything.

    Raises:
        ValueError: naming the key at fault; ``module`` is untouched.
        OSError: if the file cannot be read.
    """
    path = _fspath(path)
    _apply(module, read(path), path)


def _apply(module, data: dict, path: str) -> None:
    _check_architecture(module, data["architecture"], path)
    try:
        module.load_state_dict(data["parameters"])
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def from_file(path, expected=None):
    """A new module built from the checkpoint's architecture and options,
    with its parameters.

    Args:
        path: the checkpoint file.
        expected: a class (Neuron, Layer or MLP) the checkpoint must hold, or
            None for any.

    Raises:
        ValueError: for a bad checkpoint or another type than ``expected``.
    """
    from .layers import MLP, Layer, Neuron

    path = _fspath(path)
    data = read(path)
    arch, opts = data["architecture"], data["options"]
    kind = arch.get("type")
    classes = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}
    if kind not in classes:
        raise ValueError(
            f"{path}: key 'architecture.type' must be one of {list(classes)}, got {kind!r}"
        )
    cls = classes[kind]
    if expected is not None and not issubclass(cls, expected):
        raise ValueError(
            f"{path}: the checkpoint holds a {kind}, not a {expected.__name__}"
        )
    try:
        module = _build(cls, arch, opts)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: cannot rebuild the {kind}: {e}") from None
    _apply(module, data, path)
    return module


def _per_layer(value):
    """A layer's recorded activation: a name, or one name per neuron."""
    return value if isinstance(value, str) else None


def _build(cls, arch: dict, opts: dict):
    from .layers import MLP, Layer

    weighted_sum = opts.get("weighted_sum", "dot")
    mixed_modes = not isinstance(weighted_sum, str)
    common = {"weighted_sum": "dot" if mixed_modes else weighted_sum, "init": _zero}
    if cls is MLP:
        activations = arch.get("activations")
        if not isinstance(activations, list) or not activations:
            raise ValueError(f"'activations' must be a non-empty list, got {activations!r}")
        names = [_per_layer(a) or "linear" for a in activations]
        module = MLP(
            arch.get("nin"), arch.get("nouts"), names[:-1], names[-1], **common
        )
        for layer, a in zip(module.layers, activations):
            _set_mixed(layer, a)
    elif cls is Layer:
        a = arch.get("activation")
        module = Layer(
            arch.get("nin"), arch.get("nout"), _per_layer(a) or "linear",
            layer=opts.get("layer", 1), **common,
        )
        _set_mixed(module, a)
    else:
        module = cls(
            arch.get("nin"), arch.get("activation"),
            layer=opts.get("layer", 1), index=opts.get("index", 0), **common,
        )
    return module


def _set_mixed(layer, activation) -> None:
    if isinstance(activation, str):
        return
    if not isinstance(activation, list) or len(activation) != len(layer.neurons):
        raise ValueError(
            f"a layer's activation must be a name or one name per neuron, got {activation!r}"
        )
    for neuron, name in zip(layer.neurons, activation):
        neuron.activation = name


def _zero(rng, fan_in, fan_out) -> float:
    # The weights are about to be overwritten: draw nothing from any rng.
    return 0.0


def _fspath(path) -> str:
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return path
