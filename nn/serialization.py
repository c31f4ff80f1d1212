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
``os.replace`` (a symlink is followed; see `nn.files` for devices and pipes).

Reading checks everything before changing any parameter, and reads at most
`MAX_BYTES` bytes (64 MiB, about two million parameters): a larger file is
refused before its contents are read — from its size for a regular file,
after ``MAX_BYTES + 1`` bytes for a device or a pipe.  Raise the limit per
call (``read(path, max_bytes=...)``, ``Module.load(path, max_bytes=...)``,
``MLP.from_file(path, max_bytes=...)``) or for the process
(``nn.serialization.MAX_BYTES = ...``).  Every malformed file, however
deep its nesting or odd its bytes, raises `ValueError` naming the problem.
"""

from __future__ import annotations

import json
import os
import stat

from autodiff.arguments import integer

from .checks import finite_float
from .files import write_atomically

FORMAT = "chainrule.nn"
VERSION = 1

#: The largest checkpoint `read` accepts, in bytes (adjustable; see above).
MAX_BYTES = 64 * 2**20

_CHUNK = 2**20

__all__ = ["FORMAT", "VERSION", "MAX_BYTES", "save", "load_into", "apply", "read", "dumps"]


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


def read(path, max_bytes: int | None = None) -> dict:
    """The checked contents of a checkpoint file: a dict with "architecture",
    "options" and "parameters".

    Args:
        path: the file (a str or path-like).
        max_bytes: the largest file accepted, in bytes; None (default) for
            `MAX_BYTES`.  Nothing past it is read.

    Raises:
        ValueError: if the file is too large, not UTF-8, not JSON (or nested
            too deep to parse) or not a checkpoint of this format and
            version (naming the problem).
        OSError: if it cannot be read.
    """
    path = _fspath(path)
    limit = _limit(max_bytes)
    raw = _read_bounded(path, limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not a JSON checkpoint (not UTF-8 text: {e.reason} "
                         f"at byte {e.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not a JSON checkpoint ({e})") from None
    except RecursionError:
        raise ValueError(
            f"{path}: not a checkpoint (JSON nested too deeply to read)"
        ) from None
    except (ValueError, MemoryError) as e:  # e.g. an integer of too many digits
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


def _limit(max_bytes) -> int:
    if max_bytes is None:
        max_bytes = MAX_BYTES
    return integer(max_bytes, "max_bytes", minimum=0)


def _read_bounded(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``; ValueError, with nothing more
    read, if it holds more."""
    too_big = (
        f"{path}: larger than the {limit:,}-byte checkpoint limit (max_bytes); "
        "pass max_bytes=... or set nn.serialization.MAX_BYTES to read it"
    )
    # Non-blocking open: a FIFO without a writer reads as empty, never hangs.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb", buffering=0) as f:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", path)
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise ValueError(too_big + f" (the file has {info.st_size:,} bytes)")
        os.set_blocking(fd, True)
        chunks = []
        left = limit + 1  # one byte more tells a file of exactly ``limit``
        while left > 0:
            chunk = f.read(min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    if left <= 0:
        raise ValueError(too_big)
    return b"".join(chunks)


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


def load_into(module, path, max_bytes: int | None = None) -> None:
    """Set ``module``'s parameters from the checkpoint at ``path``.

    Checks the format, that the recorded architecture equals
    ``module.architecture()``, and every parameter (names, finite floats),
    all before changing anything.  ``max_bytes`` is as for `read`.

    Raises:
        ValueError: naming the key at fault; ``module`` is untouched.
        OSError: if the file cannot be read.
    """
    path = _fspath(path)
    apply(module, read(path, max_bytes), path)


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
