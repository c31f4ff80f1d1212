"""Atomic file writes, shared by checkpoints (`nn.serialization`) and
pictures (`viz`): a file is either left as it was or holds all the new data,
never a half-written mix, whatever interrupts the write.

Only a regular file (or a new one) is written that way.  What the target
path is decides how it is written:

- a regular file, or no file yet: a temporary file beside it, then
  ``os.replace`` (atomic);
- a symbolic link: followed; what it points to is written by these rules
  (a link to a regular file has its target replaced atomically, the link
  itself stays);
- a character device (``/dev/null``, a terminal, ``/dev/stdout`` on a
  terminal) or a FIFO with a reader (a pipe, ``/dev/stdout`` in a pipeline,
  ``>(command)``): written to directly, never replaced — such a write is not
  atomic, there is no file to keep;
- a FIFO without a reader, a socket, a block device or a directory: refused
  with an `OSError` naming the path and what it is; nothing is written.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat

__all__ = ["write_atomically", "check_writable", "target_kind"]

# Exclusive creation; no inheriting by child processes; binary on Windows.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(
    os, "O_BINARY", 0
)
# An existing special file: never created, never truncated, and a FIFO opened
# without waiting for a reader (ENXIO when there is none: refused).
_DIRECT = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)

#: How the file types that are never replaced are named in the messages.
_REFUSED = {
    stat.S_IFDIR: "a directory",
    stat.S_IFSOCK: "a socket",
    stat.S_IFBLK: "a block device",
}


def target_kind(path) -> str:
    """How `write_atomically` would write ``path``: ``"file"`` (atomic
    replacement of a regular file, or a new file), ``"device"`` (a direct
    write to a character device) or ``"fifo"`` (a direct write to a FIFO).

    Symbolic links are followed.

    Raises:
        OSError: for a target that is never written (a directory, a socket,
            a block device), naming it.
    """
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode  # follows symlinks
    except FileNotFoundError:
        return "file"  # a new file (or a link to a missing one)
    except NotADirectoryError:
        return "file"  # the folder check reports it
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFREG:
        return "file"
    if kind == stat.S_IFCHR:
        return "device"
    if kind == stat.S_IFIFO:
        return "fifo"
    what = _REFUSED.get(kind, "not a regular file")
    raise OSError(
        errno.EISDIR if kind == stat.S_IFDIR else errno.EINVAL,
        f"{path!r} is {what}; only a regular file, a character device or a pipe is written",
    )


def check_writable(path) -> None:
    """Fail, before any work, when `write_atomically` could not write ``path``.

    Raises:
        OSError: for a target that is never written (see `target_kind`),
            a FIFO without a reader, or a missing folder.
    """
    path = os.fspath(path)
    kind = target_kind(path)
    if kind == "file":
        folder = os.path.dirname(os.path.realpath(path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(
                errno.ENOENT, f"cannot write {path!r}: folder {folder!r} does not exist"
            )
    elif kind == "fifo":
        os.close(_open_direct(path))


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


def _open_direct(path: str) -> int:
    try:
        return os.open(path, _DIRECT)
    except OSError as e:
        if e.errno == errno.ENXIO:  # a FIFO nobody reads: a write would block
            raise OSError(
                errno.ENXIO, f"{path!r} is a FIFO (named pipe) that no process is reading"
            ) from None
        raise


def _write_direct(path: str, data: bytes) -> None:
    """Write ``data`` into an existing character device or FIFO, in place."""
    fd = _open_direct(path)
    try:
        # Opened non-blocking only so that a FIFO without a reader is not
        # waited for; the write itself waits for the reader as usual.
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def write_atomically(path, data: bytes | str) -> None:
    """Write ``data`` (bytes, or str written as UTF-8) to ``path``.

    A regular file (or a new one) is written atomically: the data goes to a
    temporary file in the same folder, is flushed to disk, and is moved over
    the file with ``os.replace``.  An existing file's permission bits are
    kept; a new file gets the usual mode (0666 less the umask).  On any
    failure, Ctrl-C included, the temporary file is removed and the
    exception propagates.

    A symbolic link is followed (its target is written, the link stays).  A
    character device or a FIFO with a reader is written to directly, never
    replaced; a FIFO without a reader, a socket, a block device or a
    directory is refused (see the module docstring).

    Raises:
        TypeError: if ``data`` is neither bytes nor str.
        OSError: if the folder is missing or not writable, or the target is
            refused (the message says what it is).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes or str, got {type(data).__name__}")
    path = os.fspath(path)
    kind = target_kind(path)
    if kind != "file":
        _write_direct(path, bytes(data))
        return
    # A link is followed: the file it names is the one replaced.
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    try:
        keep: int | None = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        keep = None  # a new file: the temporary file's mode is already right
    fd, tmp = _create_temporary(folder, os.path.basename(real))
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
        _still_replaceable(real)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _still_replaceable(real: str) -> None:
    """Refuse if, since it was looked at, ``real`` became something other
    than a regular file or nothing (a link or a device put in its place)."""
    try:
        mode = os.lstat(real).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, f"{real!r} changed while it was written; not replaced")
