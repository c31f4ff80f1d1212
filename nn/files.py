"""Atomic file writes, shared by checkpoints (`nn.serialization`) and
pictures (`viz`): a file is either left as it was or holds all the new data,
never a half-written mix, whatever interrupts the write."""

from __future__ import annotations

import os
import stat
import tempfile


def _default_mode() -> int:
    mask = os.umask(0)  # the only way to read the umask is to set it
    os.umask(mask)
    return 0o666 & ~mask


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
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
