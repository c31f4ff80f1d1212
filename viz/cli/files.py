"""The command line's output files: checks made before any work, and writes.

Every check raises `CLIError` with one line naming the path and what is
wrong, so that a command fails before its work rather than after it.  Every
file is written through `nn.files.write_atomically`: an interrupted or failed
write leaves the old file (or none), never half a picture; a link is
followed, and a device or pipe is written to, never replaced.
"""

from __future__ import annotations

import io
import os
import shutil

from nn.files import check_writable, target_kind, write_atomically
from viz.render import Drawing, GraphvizNotFound

from .errors import CLIError


def check_dot() -> None:
    """Fail early, before any work, when Graphviz's ``dot`` is not installed."""
    if shutil.which("dot") is None:
        raise CLIError(
            "Graphviz's 'dot' program was not found on PATH; install Graphviz "
            "(e.g. apt-get install graphviz, brew install graphviz) to write SVGs"
        )


def check_writable_file(path: str, what: str) -> None:
    """Fail early when ``path`` clearly cannot be written as a file.

    A symbolic link is judged by what it points to; a character device or a
    FIFO with a reader is accepted (it is written to directly, never
    replaced); a FIFO without a reader, a socket or a block device is
    refused (see `nn.files`).

    Args:
        path: the file to be written.
        what: how the messages name it (e.g. ``"--svg"``).
    """
    if not path:
        raise CLIError(f"{what} needs a file name")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory, not a file")
    try:
        kind = target_kind(path)
        if kind != "file":
            check_writable(path)  # a FIFO must have a reader
    except OSError as err:
        raise CLIError(f"cannot write {what} {path!r}: {err.strerror or err}") from None
    if kind != "file":
        if not os.access(path, os.W_OK):
            raise CLIError(f"cannot write {what} {path!r}: permission denied")
        return
    real = os.path.realpath(path)  # a link's target is the file written
    parent = os.path.dirname(real)
    if not os.path.isdir(parent):
        raise CLIError(f"cannot write {what} {path!r}: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise CLIError(f"cannot write {what} {path!r}: directory {parent!r} is not writable")
    if os.path.exists(real) and not os.access(real, os.W_OK):
        raise CLIError(f"cannot write {what} {path!r}: permission denied")


def check_out_dir(path: str) -> None:
    """Fail early on an ``--out`` that can never be a directory."""
    if not path:
        raise CLIError("--out needs a directory name")
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"--out {path!r} exists and is not a directory")


def prepare_out_dir(path: str) -> str:
    """Create the ``--out`` directory if missing and return it; fail clearly
    if it cannot be created or written."""
    check_out_dir(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise CLIError(f"cannot create --out directory {path!r}: {err.strerror or err}") from None
    if not os.access(path, os.W_OK):
        raise CLIError(f"cannot write to --out directory {path!r}: permission denied")
    return path


def write_file(path: str, data: bytes, what: str = "file") -> None:
    """`nn.files.write_atomically`, with a failure as a one-line `CLIError`."""
    try:
        write_atomically(path, data)
    except OSError as err:
        raise CLIError(f"cannot write {what} {path!r}: {err.strerror or err}") from None


def drawing_svg(drawing: Drawing) -> bytes:
    """The SVG of a `viz.Drawing`, with Graphviz failures as `CLIError`."""
    try:
        return drawing.pipe(format="svg")
    except GraphvizNotFound:
        check_dot()  # says how to install it
        raise CLIError("Graphviz's 'dot' program could not be run") from None
    except RuntimeError as err:  # dot itself failed
        raise CLIError(str(err)) from None


def figure_svg(fig) -> bytes:
    """A matplotlib figure as SVG bytes, reproducibly (no date in the
    metadata, fixed ids), the figure closed afterwards."""
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "chainrule", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()
