"""Atomic file writes, shared by checkpoints (`nn.serialization`) and
pictures (`viz`): a file is either left as it was or holds all the new data,
never a half-written mix, whatever interrupts the write."""

from __future__ import annotations

import os
import secrets
import stat

__all__ = ["write_atomically"]

# Exclusive creation; no inheriting by child processes; binary on Windows.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(
    os, "O_BINARY", 0
)


def _create_temporary(folder: str, name: str) -> tuple[int, str]:
    """A new, empty file beside the target, opened for writing.

    It is created with mode 0666, from which the kernel takes the umask:
    exactly the mode a new file of the target's name would get, without
    reading the umask (setting it, the only way to read it, would change it
    for every thread of the process).
    """
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file for {name!r} in {folder!r}")


def write_atomically(path, data: bytes | str) -> None:
    """Write ``data`` (bytes, or str written as UTF-8) to ``path`` atomically.

    The data goes to a temporary file in the same folder, is flushed to disk,
    and is moved over ``path`` with ``os.replace``.  An existing file's
    permission bits are kept; a new file gets the usual mode (0666 less the
    umask).  On any failure, Ctrl-C included, the temporary file is removed
    and the exception propagates.

    Raises:
        TypeError: if ``data`` is neither bytes nor str.
        OSError: if the folder is missing or not writable.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes or str, got {type(data).__name__}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    try:
        keep: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        keep = None  # a new file: the temporary file's mode is already right
    fd, tmp = _create_temporary(folder, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            if keep is not None:
                # The old file's bits, exactly (the umask may have cleared some).
                if hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), keep)
                else:  # pragma: no cover - Windows
                    os.chmod(tmp, keep)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
