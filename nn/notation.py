"""The seeds' notation for labels: w⁽ˡ⁾ⱼₖ, b⁽ˡ⁾ⱼ, z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ.

Layers are numbered l = 1..L, the input being layer 0; nodes are 0-based.
w⁽ˡ⁾ⱼₖ connects node k of layer l−1 to node j of layer l.

Labels have a plain-text form for terminals (Unicode super- and subscripts,
``w⁽²⁾₁₂``) and a LaTeX form for notebooks (``w^{(2)}_{12}``).  When an index
has two or more digits the subscripts are separated by a comma
(``w⁽¹⁾₁₅,₀`` / ``w^{(1)}_{15,0}``) so the label stays unambiguous.

Labels on nodes always carry the layer's number.  For display, the seeds'
other numbering writes layers relative to the output layer L (“Backpropagation Explained”):
with ``notation="L"`` layer l is shown as L − (L − l), so in a network of
L = 3 layers w⁽³⁾₁₂ is shown as w⁽ᴸ⁾₁₂, w⁽²⁾₂₂ as w⁽ᴸ⁻¹⁾₂₂ and a⁽¹⁾ₖ as
a⁽ᴸ⁻²⁾ₖ (`layer_name`, `display`, `relabel`).  ``notation="number"``, the
default everywhere, keeps the numbers.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from autodiff import topological_order
from autodiff.arguments import is_int

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_FROM_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_FROM_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")

#: The symbols a label may carry: weight, bias, weighted input, activation.
SYMBOLS = ("w", "b", "z", "a")

#: The layer numberings: "number" (w⁽²⁾₁₂) and "L", relative to the output
#: layer (w⁽ᴸ⁻¹⁾₁₂).
NOTATIONS = ("number", "L")

# Subscript and superscript letters used for summation indices and for L.
_SUB_LETTERS = {"i": "ᵢ", "j": "ⱼ", "k": "ₖ", "m": "ₘ", "n": "ₙ", "l": "ₗ"}
_SUP_CHARS = {"L": "ᴸ", "-": "⁻", "+": "⁺", "n": "ⁿ", "l": "ˡ"}

_RELATIVE = re.compile(r"^([wbza])⁽ᴸ(?:⁻([⁰¹²³⁴⁵⁶⁷⁸⁹]+))?⁾([₀₁₂₃₄₅₆₇₈₉,]+)$")
_LABEL = re.compile(r"^([wbza])⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾([₀₁₂₃₄₅₆₇₈₉]+)(?:,([₀₁₂₃₄₅₆₇₈₉]+))?$")


class Label(NamedTuple):
    """A parsed label: ``symbol`` in SYMBOLS, layer ``l``, node ``j``, and
    ``k`` (the node of layer l−1, weights only; None otherwise)."""

    symbol: str
    l: int  # noqa: E741 - the seeds' name for the layer index
    j: int
    k: int | None = None

    def text(self, notation: str = "number", L: int | None = None) -> str:  # noqa: N803
        """The plain-text form, e.g. ``w⁽²⁾₁₂`` (``w⁽ᴸ⁻¹⁾₁₂`` with
        ``notation="L"`` and the number of layers ``L``; see `layer_name`)."""
        if notation == "number" and L is None:
            return label(self.symbol, self.l, self.j, self.k)
        return display(self.symbol, self.l, self.j, self.k, notation=notation, L=L)[0]

    def latex(self, notation: str = "number", L: int | None = None) -> str:  # noqa: N803
        """The LaTeX form, e.g. ``w^{(2)}_{12}`` (``w^{(L-1)}_{12}`` with
        ``notation="L"``)."""
        return display(self.symbol, self.l, self.j, self.k, notation=notation, L=L)[1]


def _indices(j: int, k: int | None, sep: str) -> str:
    if k is None:
        return str(j)
    return f"{j}{sep}{k}" if (j >= 10 or k >= 10) else f"{j}{k}"


def _check(symbol: str, l: int, j: int, k: int | None) -> None:
    if symbol not in SYMBOLS:
        raise ValueError(f"label symbol must be one of {SYMBOLS}, got {symbol!r}")
    for name, v in (("l", l), ("j", j), ("k", k)):
        if v is None and name == "k":
            continue
        if v is None or not is_int(v) or v < 0:
            raise ValueError(f"label index {name} must be an int >= 0, got {v!r}")
    if (k is None) != (symbol != "w"):
        raise ValueError("a weight label takes j and k; b, z and a labels take j only")


def label(symbol: str, l: int, j: int, k: int | None = None) -> str:
    """The plain-text label, e.g. ``label("w", 2, 1, 2) == "w⁽²⁾₁₂"``."""
    _check(symbol, l, j, k)
    sub = _indices(j, k, ",").translate(_SUB)
    return f"{symbol}⁽{str(l).translate(_SUP)}⁾{sub}"


def parse(text: str) -> Label | None:
    """The `Label` behind a plain-text label, or None if ``text`` is not one.

    A weight's two-digit-or-shorter indices are read one digit each
    (``w⁽²⁾₁₂`` is j=1, k=2); longer ones are comma-separated.
    """
    if not isinstance(text, str):
        return None
    m = _LABEL.match(text)
    if m is None:
        return None
    symbol, l_text, first, second = m.groups()
    l = int(l_text.translate(_FROM_SUP))  # noqa: E741
    first = first.translate(_FROM_SUB)
    if symbol == "w":
        if second is not None:
            return Label(symbol, l, int(first), int(second.translate(_FROM_SUB)))
        if len(first) != 2:
            return None
        return Label(symbol, l, int(first[0]), int(first[1]))
    if second is not None:
        return None
    return Label(symbol, l, int(first))


def to_latex(text: str) -> str:
    """The LaTeX form of a plain-text label; other text is returned escaped
    for use inside ``\\text{...}``-free math (only `_`, `^`, braces kept safe)."""
    parsed = parse(text)
    if parsed is not None:
        return parsed.latex()
    relative = _RELATIVE.match(text) if isinstance(text, str) else None
    if relative is not None:  # a label written relative to L, as `relabel` writes it
        symbol, back, subs = relative.groups()
        layer = "L" if back is None else f"L-{back.translate(_FROM_SUP)}"
        return f"{symbol}^{{({layer})}}_{{{subs.translate(_FROM_SUB)}}}"
    return re.sub(r"([_^{}#$%&\\])", r"\\\1", text)


def check_notation(notation) -> str:
    """``notation`` itself if it is one of `NOTATIONS`.

    Raises:
        TypeError: if it is not a str.
        ValueError: if it is not "number" or "L".
    """
    if not isinstance(notation, str):
        raise TypeError(
            f"notation must be one of {', '.join(map(repr, NOTATIONS))}, "
            f"got {type(notation).__name__}"
        )
    if notation not in NOTATIONS:
        raise ValueError(
            f"notation must be \"number\" (layers by number, w⁽²⁾₁₂) or \"L\" (layers "
            f"relative to the output layer, w⁽ᴸ⁻¹⁾₁₂), got {notation!r}"
        )
    return notation


def layer_name(l: int, L: int | None = None, notation: str = "number") -> tuple[str, str]:  # noqa: E741, N803
    """How layer ``l`` is written in a superscript, as (text, LaTeX).

    ``layer_name(2)`` is ("²", "2"); ``layer_name(2, L=3, notation="L")`` is
    ("ᴸ⁻¹", "L-1") and ``layer_name(3, L=3, notation="L")`` is ("ᴸ", "L").

    Args:
        l: the layer's number (0 for the input layer).
        L: the number of layers (the output layer's number); needed for "L".
        notation: "number" or "L".

    Raises:
        TypeError, ValueError: for a bad notation, or "L" without an int
            L >= l.
    """
    check_notation(notation)
    if notation == "number":
        return str(l).translate(_SUP), str(l)
    if isinstance(L, bool) or not isinstance(L, int) or L < l:
        raise ValueError(
            f'notation="L" needs the number of layers L, an int >= the layer {l}, got {L!r}'
        )
    if L == l:
        return "ᴸ", "L"
    return f"ᴸ⁻{str(L - l).translate(_SUP)}", f"L-{L - l}"


def _sub_text(index) -> str:
    if isinstance(index, int):
        return str(index).translate(_SUB)
    return "".join(_SUB_LETTERS.get(c, c) for c in str(index))


def display(
    symbol: str,
    l: int,  # noqa: E741
    j,
    k=None,
    *,
    notation: str = "number",
    L: int | None = None,  # noqa: N803
) -> tuple[str, str]:
    """A symbol with its layer and node indices, as (text, LaTeX), for
    display: ``display("w", 2, 1, 2, notation="L", L=3)`` is
    ("w⁽ᴸ⁻¹⁾₁₂", "w^{(L-1)}_{12}").

    Unlike `label`, ``j`` and ``k`` may also be index letters ("j", "k"), for
    a generic element (``display("a", 3, "j")`` is ("a⁽³⁾ⱼ", "a^{(3)}_{j}")),
    and ``symbol`` any symbol (δ, say).
    """
    sup_text, sup_latex = layer_name(l, L, notation)
    if isinstance(j, int) and (k is None or isinstance(k, int)):
        sub_plain = _indices(j, k, ",")
        sub_text = sub_plain.translate(_SUB)
    else:
        parts = [j] if k is None else [j, k]
        sep = "," if any(isinstance(p, int) and p >= 10 for p in parts) else ""
        sub_plain = sep.join(str(p) for p in parts)
        sub_text = ("," if sep else "").join(_sub_text(p) for p in parts)
    latex_symbol = {"δ": r"\delta"}.get(symbol, symbol)
    return f"{symbol}⁽{sup_text}⁾{sub_text}", f"{latex_symbol}^{{({sup_latex})}}_{{{sub_plain}}}"


def relabel(text: str, L: int, notation: str = "L") -> str:  # noqa: N803
    """A plain-text label written in ``notation``: ``relabel("w⁽²⁾₁₂", L=3)``
    is "w⁽ᴸ⁻¹⁾₁₂"; text that is not a label comes back unchanged.  For
    pictures and tables that show labels the user chose to see relative to
    the output layer.
    """
    check_notation(notation)
    parsed = parse(text)
    if parsed is None:
        return text
    return parsed.text(notation, L)


def relabel_latex(text: str, L: int, notation: str = "L") -> str:  # noqa: N803
    """The LaTeX form of `relabel` (other text escaped, as `to_latex`)."""
    check_notation(notation)
    parsed = parse(text)
    if parsed is None:
        return to_latex(text)
    return parsed.latex(notation, L)


def output_layer(labels) -> int:
    """The output layer's number L: the largest layer among ``labels``
    (plain-text labels; others are ignored).

    Raises:
        ValueError: if none of them is a label in the seeds' notation.
    """
    layers = [p.l for p in map(parse, labels) if p is not None]
    if not layers:
        raise ValueError("no label in the seeds' notation (w⁽ˡ⁾ⱼₖ, b⁽ˡ⁾ⱼ, z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ) found")
    return max(layers)


def labelled_nodes(root) -> dict:
    """The nodes of ``root``'s graph labelled in the seeds' notation (w⁽ˡ⁾ⱼₖ,
    b⁽ˡ⁾ⱼ, z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ), keyed by label, in topological order.

    Args:
        root: a Value (or a list of Values) built by one forward call of an
            nn model, e.g. a single sample's loss C₀.

    Raises:
        ValueError: if a label is on two different nodes: the graph holds
            several forward calls (look up each sample's graph on its own).
    """
    found: dict = {}
    for node in topological_order(root):
        text = node.label
        if text and parse(text) is not None:
            if text in found:
                raise ValueError(
                    f"labelled_nodes: the label {text} is on more than one node: the graph "
                    "holds several forward calls (look up each sample's graph on its own)"
                )
            found[text] = node
    return found
