"""The drawing object and the Graphviz plumbing shared by every drawing.

`draw_graph` and `draw_network` write DOT text themselves (a list of strings:
fast, and byte-for-byte deterministic) and wrap it in a `Drawing`.  Only
rendering needs Graphviz: the ``graphviz`` Python package, imported here when
a picture is asked for, and its ``dot`` program.  Without ``dot`` a drawing
still has its ``.source`` and saves as ``.dot``; saving an image raises
`GraphvizNotFound`, which says how to install it, and a notebook shows the DOT
text instead of failing the cell.

Labels are Graphviz HTML-like labels built only through `html_text`, which
escapes every character that could end or restructure the label, so no label
text can change the DOT structure.  A label text longer than
`MAX_LABEL_CHARS` is cut, with a note of how much was left out (Graphviz
cannot lay out labels of more than about 16 KB); bidirectional controls such
as U+202E are shown escaped, so a viewer never reorders a label.

`dot` is run with a time limit, `RENDER_TIMEOUT` seconds (60 by default;
``Drawing.svg(timeout=...)``, ``.pipe``, ``.save`` take one per call); past
it the drawing raises `RenderTimeout` (a `RuntimeError`) saying what to do,
and a notebook shows the DOT text instead.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from pathlib import Path

from autodiff.arguments import type_name
from nn.files import write_atomically

#: The file formats `Drawing.save` writes, by file extension.
FORMATS = (".svg", ".png", ".pdf", ".dot")

#: The most characters of one label text a drawing shows; the rest is cut,
#: with a note (Graphviz rejects labels of more than about 16 KB, and every
#: character may take up to 6 once escaped).
MAX_LABEL_CHARS = 1000

#: Seconds `dot` may take to render one drawing (adjustable).
RENDER_TIMEOUT = 60.0

# Bidirectional controls: shown escaped, or a viewer reorders the text
# around them (U+202E shows "abc\u202edef" as "abcfed").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH. Install Graphviz "
    "(the program, not only the Python package):\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  Fedora:         sudo dnf install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz  (then add its bin folder to PATH)\n"
    "then check that `dot -V` works in a new terminal. "
    "Without it you can still use `.source` or `.save('graph.dot')`."
)


class RenderTimeout(RuntimeError):
    """Raised when Graphviz's ``dot`` does not finish within the time limit."""


class GraphvizNotFound(RuntimeError):
    """Raised when a drawing must be rendered but Graphviz's ``dot`` is missing.

    The message says how to install Graphviz on common systems.
    """

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


# --------------------------------------------------------------------------
# Text in labels


def _visible_char(c: str) -> str:
    """``c`` itself if Graphviz and XML can carry it, else a visible escape."""
    o = ord(c)
    if c == "\t":
        return "\\t"
    if c == "\r":
        return "\\r"
    # XML 1.0 allows #x9 #xA #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF;
    # C1 controls (#x7F-#x9F) are allowed but invisible, so they are escaped too.
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return f"\\x{o:02x}"
    if 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF) or c in _BIDI:
        return f"\\u{o:04x}"
    return c


def visible(text: str) -> str:
    """``text`` with every character that a picture could not show replaced
    by a visible escape: tab and carriage return as ``\\t`` and ``\\r``, other
    control characters as ``\\xNN``, lone surrogates, the non-characters
    U+FFFE/U+FFFF and the bidirectional controls (U+202A–U+202E,
    U+2066–U+2069, U+200E, U+200F, U+061C) as ``\\uNNNN``.  Newlines are
    kept (they break the line).  A text longer than `MAX_LABEL_CHARS` is cut
    there, and ``… (N more characters)`` says so.

    Args:
        text: any string.

    Returns:
        The string as a drawing shows it.
    """
    if len(text) > MAX_LABEL_CHARS:
        cut = len(text) - MAX_LABEL_CHARS
        text = text[:MAX_LABEL_CHARS]
        note = f"… ({cut:,} more character{'s' if cut > 1 else ''})"
    else:
        note = ""
    if text.isprintable():  # the common case: nothing to replace
        return text + note
    return "".join(c if c == "\n" else _visible_char(c) for c in text) + note


# Beyond HTML's five: "]", because Graphviz (2.43 at least) rejects a label
# in which a text run ends with "]" just before a tag (<B>]</B>); and "\",
# because Graphviz expands \N, \G, \E, \T, \H and \L (the node's name, the
# graph's...) even in HTML-like text, where "\\" stands for one backslash.
_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "]": "&#93;",
     "\\": "\\\\"}
)


def html_text(text: str) -> str:
    """``text`` escaped for use inside a Graphviz HTML-like label.

    Every ``& < > " ' ]`` becomes an entity, a backslash is doubled (Graphviz
    reads ``\\N`` as the node's name and ``\\\\`` as one backslash),
    characters a picture cannot show become visible escapes (see `visible`),
    and a newline becomes ``<BR/>``.
    Whatever ``text`` holds, the result is shown literally and cannot end
    the label or add markup to it.

    Args:
        text: any string.

    Returns:
        The escaped text (a fragment of an HTML-like label).
    """
    out = visible(text).translate(_HTML_ESCAPES)
    if "\n" in out:
        out = out.replace("\n", "<BR/>")
    return out


def quoted(text: str) -> str:
    """``text`` as a double-quoted DOT string (for attribute values such as
    colours and tooltips): backslashes and quotes are escaped."""
    return '"' + visible(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def number(x: float) -> str:
    """``x`` with 4 significant digits, as drawings show numbers."""
    return f"{x:.4g}"


# --------------------------------------------------------------------------
# Rendering


def _graphviz():
    try:
        import graphviz
    except ImportError:  # the package is a dependency, but may be missing
        raise ImportError(
            "rendering a drawing needs the `graphviz` Python package: "
            "pip install graphviz (and Graphviz's `dot` program: " + INSTALL_HINT + ")"
        ) from None
    return graphviz


def _timeout(timeout) -> float:
    if timeout is None:
        timeout = RENDER_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, got {type_name(timeout)}")
    if not (timeout > 0 and not math.isnan(timeout)):
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    return float(timeout)


def render(source: str, fmt: str, timeout: float | None = None) -> bytes:
    """The picture of DOT ``source`` in format ``fmt`` ("svg", "png", "pdf").

    Args:
        source: DOT text.
        fmt: the output format.
        timeout: seconds ``dot`` may take; None for `RENDER_TIMEOUT`.

    Raises:
        GraphvizNotFound: Graphviz's ``dot`` is not installed.
        RenderTimeout: ``dot`` took longer than ``timeout`` (it is stopped).
        RuntimeError: ``dot`` failed (its error output is in the message).
    """
    limit = _timeout(timeout)
    # The package names the program (its DOT_BINARY); it is run here, not
    # through graphviz.pipe, which has no time limit.
    program = os.fspath(_graphviz().DOT_BINARY)
    try:
        # communicate() ignores a broken pipe, so a dot that dies early on
        # a large input reports its own error below.
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=limit,
            check=False,
        )
    except FileNotFoundError:
        raise GraphvizNotFound() from None
    except subprocess.TimeoutExpired:
        raise RenderTimeout(
            f"Graphviz's dot did not finish within {limit:g} s and was stopped; draw fewer "
            "nodes (collapse=..., a lower max_nodes) or allow more time "
            "(timeout=..., or viz.render.RENDER_TIMEOUT)"
        ) from None
    except OSError as error:  # e.g. dot found but not executable
        raise RuntimeError(f"Graphviz's dot could not be run: {error}") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        raise RuntimeError(
            f"Graphviz's dot failed (exit status {done.returncode}): {stderr}"
        )
    return done.stdout


_TEXT_FALLBACK_LINES = 200

# A CSS length for `width=`: a number and a unit (px, pt, em, rem, %, cm, mm, in, vw).
_CSS_LENGTH = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)(?:px|pt|em|rem|%|cm|mm|in|vw)$")
# The size attributes of the root <svg> element Graphviz writes.
_SVG_TAG = re.compile(r"<svg\b[^>]*>")
_SIZE_ATTR = re.compile(r'\s(width|height)="([^"]*)"')


def css_width(width) -> str | None:
    """``width`` as a CSS length: None stays None, a positive number is
    pixels, a string must be a CSS length such as ``"600px"`` or ``"80%"``.

    Raises:
        TypeError: a bool or anything else that is neither a number nor a str.
        ValueError: a number <= 0 or not finite, or a string that is not a length.
    """
    if width is None:
        return None
    if isinstance(width, str):
        text = width.strip()
        if not _CSS_LENGTH.match(text) or float(re.sub(r"[a-z%]+$", "", text)) <= 0:
            raise ValueError(
                f"width must be a positive number of pixels or a CSS length such as "
                f"'600px', '80%' or '30em', got {width!r}"
            )
        return text
    if isinstance(width, bool) or not isinstance(width, (int, float)):
        raise TypeError(
            f"width must be a number of pixels or a CSS length string, got {type(width).__name__}"
        )
    if not (0 < width < float("inf")):
        raise ValueError(f"width must be a positive, finite number of pixels, got {width!r}")
    return f"{width:g}px"


def fit_svg(svg: str, width: str | None = None) -> str:
    """``svg`` (Graphviz's output) made to fit the column it is shown in.

    The root element's fixed ``width``/``height`` are replaced by
    ``width="100%"`` and a style: with ``width`` None the picture fills the
    column but never grows past its natural width (``max-width`` is the
    natural width, so small pictures keep their size and large ones shrink
    to fit, without a horizontal scroll bar); with a CSS length it is drawn
    that wide, still never wider than the column (``max-width:100%``).
    The height follows (``height:auto``) and the ``viewBox`` is kept, so the
    picture scales as a whole.

    Args:
        svg: SVG text with a root ``<svg width=... height=... viewBox=...>``.
        width: None or a CSS length (see `css_width`).

    Returns:
        The SVG text with the new root element (unchanged if it has none).
    """
    m = _SVG_TAG.search(svg)
    if m is None:
        return svg
    tag = m.group(0)
    sizes = dict(_SIZE_ATTR.findall(tag))
    natural = sizes.get("width")
    bare = _SIZE_ATTR.sub("", tag)
    if width is None:
        cap = f"max-width:{natural};" if natural else "max-width:100%;"
        style = f"width:100%;{cap}height:auto"
    else:
        style = f"width:{width};max-width:100%;height:auto"
    new = bare[:4] + f' width="100%" style="{style}"' + bare[4:]
    return svg[: m.start()] + new + svg[m.end():]


class Drawing:
    """A drawing of a graph: its DOT text, shown inline as SVG in Jupyter.

    Made by `viz.draw_graph` and `viz.draw_network`; the text is fixed when
    the drawing is made (later changes to the graph do not show).

    In a notebook the picture fits its column (see `fit_svg`): it is never
    wider than the column nor than its natural size, or it is ``width`` wide
    when one is set.  `save` and `svg` keep Graphviz's natural size unless a
    width is asked for.

    Attributes:
        source (str): the DOT text.
        node_count (int): how many nodes the picture has (the legend and the
            caption are the graph's label, not nodes).
        edge_count (int): how many visible edges the picture has.
        width (str | None): the width shown in a notebook, a CSS length such
            as ``"600px"``, or None (fit the column, at most the natural
            width).  Assign a number of pixels or a CSS length to change it.
    """

    __slots__ = ("source", "node_count", "edge_count", "_svg", "_width")
    _svg: str | None

    def __init__(self, source: str, node_count: int, edge_count: int, width=None) -> None:
        self.source = source
        self.node_count = node_count
        self.edge_count = edge_count
        self._svg: str | None = None
        self._width = css_width(width)

    @property
    def width(self) -> str | None:
        """The notebook width: None (fit the column) or a CSS length."""
        return self._width

    @width.setter
    def width(self, value) -> None:
        self._width = css_width(value)

    def __repr__(self) -> str:
        return (
            f"<Drawing: {self.node_count} nodes, {self.edge_count} edges; "
            ".source is the DOT text, .save(path) writes .svg/.png/.pdf/.dot>"
        )

    def pipe(self, format: str = "svg", timeout: float | None = None) -> bytes:  # noqa: A002
        """The rendered picture as bytes.

        Args:
            format: "svg", "png" or "pdf".
            timeout: seconds ``dot`` may take; None for `RENDER_TIMEOUT`.

        Raises:
            ValueError: another format.
            GraphvizNotFound: Graphviz's ``dot`` is not installed.
            RenderTimeout: ``dot`` took longer than ``timeout``.
            RuntimeError: ``dot`` failed.
        """
        allowed = tuple(ext[1:] for ext in FORMATS if ext != ".dot")
        if format not in allowed:
            raise ValueError(f"format must be one of {allowed}, got {format!r}")
        if format == "svg":
            return self.svg(timeout).encode("utf-8")
        return render(self.source, format, timeout)

    def svg(self, timeout: float | None = None) -> str:
        """The picture as SVG text (rendered once, then kept).

        Args:
            timeout: seconds ``dot`` may take; None for `RENDER_TIMEOUT`.

        Raises:
            GraphvizNotFound: Graphviz's ``dot`` is not installed.
            RenderTimeout: ``dot`` took longer than ``timeout``.
            RuntimeError: ``dot`` failed.
        """
        if self._svg is None:
            self._svg = render(self.source, "svg", timeout).decode("utf-8")
        return self._svg

    def save(self, path, width=None, timeout: float | None = None) -> Path:
        """Write the drawing to ``path``, in the format its extension names.

        Args:
            path: a str or path ending in .svg, .png, .pdf or .dot (any case).
                The file is written atomically: it is either complete or
                left as it was.  A symlink is followed; a character device
                or a pipe with a reader is written to, never replaced (see
                `nn.files`).
            width: None (default: Graphviz's natural size), or, for .svg
                only, a width in pixels or a CSS length (the SVG then
                scales, as in a notebook; see `fit_svg`).
            timeout: seconds ``dot`` may take; None for `RENDER_TIMEOUT`.

        Returns:
            The path written, as a `pathlib.Path`.

        Raises:
            TypeError: ``path`` is not a str or path.
            ValueError: an unknown extension, a bad ``width``, or a width
                for a format other than .svg.
            GraphvizNotFound: an image format without Graphviz's ``dot``
                (``.dot`` always works).
            RenderTimeout: ``dot`` took longer than ``timeout``.
            RuntimeError: ``dot`` failed.
            OSError: the folder does not exist, or the target is refused
                (a socket, a FIFO without a reader...).
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type_name(path)}")
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in FORMATS:
            raise ValueError(
                f"cannot tell the format of {str(path)!r}: the extension must be one of "
                f"{', '.join(FORMATS)}, got {ext or 'none'!r}"
            )
        css = css_width(width)
        if css is not None and ext != ".svg":
            raise ValueError(f"width= applies to .svg files only, got {ext!r}")
        if ext == ".dot":
            data = self.source.encode("utf-8")
        elif css is not None:
            data = fit_svg(self.svg(), css).encode("utf-8")
        else:
            data = self.pipe(ext[1:], timeout)
        write_atomically(path, data)
        return path

    def fitted_svg(self) -> str:
        """The SVG as a notebook shows it: scaled to its column (`fit_svg`
        with this drawing's ``width``)."""
        return fit_svg(self.svg(), self._width)

    def _repr_svg_(self) -> str:
        """The fitted SVG (see `fitted_svg`)."""
        return self.fitted_svg()

    def _repr_html_(self) -> str:
        """The fitted SVG inline in a block as wide as the column."""
        return f'<div style="max-width:100%;overflow:hidden">{self.fitted_svg()}</div>'

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Jupyter's hook: the fitted SVG inline as HTML (front ends that
        prefer it scale it to the column) and as ``image/svg+xml``; without
        Graphviz, a message and the DOT text as plain text (so the cell does
        not fail)."""
        try:
            svg = self.fitted_svg()
            return {
                "text/html": f'<div style="max-width:100%;overflow:hidden">{svg}</div>',
                "image/svg+xml": svg,
            }
        except (GraphvizNotFound, ImportError, RuntimeError, OSError) as error:
            lines = self.source.splitlines()
            text = "\n".join(lines[:_TEXT_FALLBACK_LINES])
            if len(lines) > _TEXT_FALLBACK_LINES:
                text += f"\n... ({len(lines) - _TEXT_FALLBACK_LINES} more lines in .source)"
            return {"text/plain": f"(cannot draw the picture: {error})\n\nDOT source:\n{text}"}


class DotWriter:
    """Collects DOT statements as strings; `Drawing` wraps the result.

    Node ids and attribute values are written by the callers (ids are plain
    ASCII names such as ``n12``; labels come from `html_text`).  The legend
    and any caption are the graph's own label (`caption`), drawn under the
    picture: they take no rank and cover no node.
    """

    __slots__ = ("lines", "nodes", "edges", "_caption", "_legend")

    def __init__(
        self, graph_attrs: dict[str, str], node_attrs: dict[str, str], edge_attrs: dict[str, str]
    ) -> None:
        self.lines = ["digraph G {"]
        self.nodes = 0
        self.edges = 0
        self._caption: list[str] = []
        self._legend: list[tuple[str, str]] = []
        for kind, attrs in (("graph", graph_attrs), ("node", node_attrs), ("edge", edge_attrs)):
            if attrs:
                self.lines.append(f"  {kind} [{_attrs(attrs)}];")

    def node(self, node_id: str, attrs: str) -> None:
        """Add node ``node_id`` with the attribute text ``attrs`` (``a=1, b="x"``)."""
        self.lines.append(f"  {node_id} [{attrs}];")
        self.nodes += 1

    def edge(self, tail: str, head: str, attrs: str = "", visible: bool = True) -> None:
        """Add the edge tail -> head; invisible edges (layout only) are not counted."""
        self.lines.append(f"  {tail} -> {head} [{attrs}];" if attrs else f"  {tail} -> {head};")
        if visible:
            self.edges += 1

    def raw(self, line: str) -> None:
        """Add a statement that is neither a node nor an edge (e.g. a rank)."""
        self.lines.append(f"  {line}")

    def caption(self, line: str) -> None:
        """Add a line (escaped HTML-like text) to the caption under the picture."""
        self._caption.append(line)

    def legend(self, entries: list[tuple[str, str]]) -> None:
        """Set the legend: (fill colour, description) pairs, in the order shown."""
        self._legend = list(entries)

    def drawing(self, width=None) -> Drawing:
        """The finished `Drawing` (``width``: its notebook width, see `Drawing`)."""
        lines = self.lines
        label = _graph_label(self._caption, self._legend)
        if label:
            lines = [*lines, f'  graph [labelloc="b", labeljust="l", label=<{label}>];']
        return Drawing("\n".join(lines) + "\n}\n", self.nodes, self.edges, width)


def _attrs(attrs: dict[str, str]) -> str:
    return ", ".join(f"{k}={quoted(v)}" for k, v in attrs.items())


#: Legend entries per row: a compact strip rather than a tall table.
_LEGEND_ROW = 4


def _swatch(colour: str) -> str:
    # A filled square in the colour; white (or near it) gets an outlined one.
    if colour.lower() in ("#ffffff", "white", "#fff"):
        return '<FONT COLOR="#757575">□</FONT>'
    return f'<FONT COLOR="{html_text(colour)}">■</FONT>'


def _graph_label(caption: list[str], entries: list[tuple[str, str]]) -> str:
    """The graph's label: the caption lines, then the legend as a strip of
    swatches (a few per line), as one HTML-like table; "" if both are empty."""
    rows = [
        f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="11">{line}</FONT></TD></TR>'
        for line in caption
    ]
    if entries:
        items = [f"{_swatch(colour)} {html_text(text)}" for colour, text in entries]
        lines = [
            "   ".join(items[i:i + _LEGEND_ROW]) for i in range(0, len(items), _LEGEND_ROW)
        ]
        rows.append(
            '<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="9">'
            + "<BR/>".join(lines) + "</FONT></TD></TR>"
        )
    if not rows:
        return ""
    return (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        + "".join(rows) + "</TABLE>"
    )


def legend(writer: DotWriter, entries: list[tuple[str, str]]) -> None:
    """Give the drawing a legend: a compact strip of colour swatches, each
    with its name, under the picture (the graph's label, so it adds no rank
    and covers no node).

    Args:
        writer: the DOT being built.
        entries: (fill colour, description) pairs, in the order shown.
    """
    writer.legend(entries)
