"""`fit`'s progress bar: tqdm in a terminal, one line updated in place in a notebook.

tqdm draws its bar by rewriting a line with carriage returns.  A terminal
shows one line; a notebook kernel's stderr is not a terminal, and the
notebook that nbconvert or nbclient executes keeps every rewrite, so the
bar turns into dozens of lines.  In a Jupyter kernel the bar is therefore a
display output instead (text and an HTML ``<progress>`` element) that is
updated in place through its display id: a live notebook and an executed
one both show a single line, holding the last state.  No widget library is
needed.
"""

from __future__ import annotations

import html
import sys
import time
from typing import Any, Callable

#: Seconds between two updates of the notebook line (the last one is always shown).
NOTEBOOK_INTERVAL = 0.2


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), without importing
    IPython where it is not already loaded."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class NotebookLine:
    """A progress line shown as one display output and updated in place.

    Args:
        total: the number of units (epochs).
        desc: the name before the count.
        display: IPython's ``display`` (given for tests); imported when None.
    """

    def __init__(self, total: int, desc: str, display: Callable[..., Any] | None = None) -> None:
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self.total = total
        self.desc = desc
        self.n = 0
        self.postfix: dict[str, str] = {}
        self._started = time.perf_counter()
        self._shown = 0.0
        self._handle = display(self._bundle(), raw=True, display_id=True)

    def _bundle(self) -> dict[str, str]:
        seconds = time.perf_counter() - self._started
        rest = "".join(f", {k} {v}" for k, v in self.postfix.items())
        text = f"{self.desc}: {self.n}/{self.total} epochs{rest} ({seconds:.1f} s)"
        bar = f'<progress value="{self.n}" max="{self.total}"></progress>'
        return {"text/plain": text, "text/html": f"{bar} <code>{html.escape(text)}</code>"}

    def set_postfix(self, postfix: dict[str, str], refresh: bool = False) -> None:
        """The values shown after the count (tqdm's name), e.g. the loss."""
        self.postfix = dict(postfix)
        if refresh:
            self._show()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units; redraw at most every `NOTEBOOK_INTERVAL`."""
        self.n += n
        if time.perf_counter() - self._shown >= NOTEBOOK_INTERVAL or self.n >= self.total:
            self._show()

    def _show(self) -> None:
        self._shown = time.perf_counter()
        self._handle.update(self._bundle(), raw=True)

    def close(self) -> None:
        """Show the last state (a stopped run keeps its count)."""
        self._show()


def progress_bar(total: int, desc: str) -> Any:
    """A progress bar over ``total`` epochs: a `NotebookLine` in a Jupyter
    kernel, a tqdm bar on stderr elsewhere.  Both have ``set_postfix``,
    ``update`` and ``close``."""
    if in_notebook():
        return NotebookLine(total, desc)
    from tqdm import tqdm

    return tqdm(total=total, unit="epoch", desc=desc, leave=True)
