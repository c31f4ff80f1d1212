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
label numbering) only matter to `Module.from_file`, which rebuilds the module
(each class rebuilds itself: ``from_architecture``).  This module works on a
module through its public methods only, and imports no other part of nn but
the file writer and the value check.

Floats are written with ``repr`` precision, so a save/load round trip is
exact.  Writing is atomic: a temporary file in the target's directory, then
``os.replace``.  Reading checks everything before changing any parameter.
"""

from __future__ import annotations

import json
import os

from .checks import finite_float
from .files import write_atomically

FORMAT = "chainrule.nn"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "save", "load_into", "apply", "read", "dumps"]


def _payload(module) -> dict:
    parameters = {}
    for name, value in module.state_dict().items():
        try:
            parameters[name] = finite_float(value, name, "save")
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
    apply(module, read(path), path)


def apply(module, data: dict, path) -> None:
    """Set ``module``'s parameters from checkpoint contents ``data`` (as
    returned by `read` for the file ``path``, named in the messages).

    The recorded architecture must equal ``module.architecture()``; then
    ``module.load_state_dict`` checks every parameter before setting any.

    Raises:
        ValueError: naming the key at fault; ``module`` is untouched.
    """
    path = _fspath(path)
    _check_architecture(module, data["architecture"], path)
    try:
        module.load_state_dict(data["parameters"])
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _fspath(path) -> str:
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}") from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return path
