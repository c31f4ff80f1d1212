"""The seeds' notation for labels: w⁽ˡ⁾ⱼₖ, b⁽ˡ⁾ⱼ, z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ.

Layers are numbered l = 1..L, the input being layer 0; nodes are 0-based.
w⁽ˡ⁾ⱼₖ connects node k of layer l−1 to node j of layer l.

Labels have a plain-text form for terminals (Unicode super- and subscripts,
``w⁽²⁾₁₂``) and a LaTeX form for notebooks (``w^{(2)}_{12}``).  When an index
has two or more digits the subscripts are separated by a comma
(``w⁽¹⁾₁₅,₀`` / ``w^{(1)}_{15,0}``) so the label stays unambiguous.
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

_LABEL = re.compile(r"^([wbza])⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾([₀₁₂₃₄₅₆₇₈₉]+)(?:,([₀₁₂₃₄₅₆₇₈₉]+))?$")


class Label(NamedTuple):
    """A parsed label: ``symbol`` in SYMBOLS, layer ``l``, node ``j``, and
    ``k`` (the node of layer l−1, weights only; None otherwise)."""

    symbol: str
    l: int  # noqa: E741 - the seeds' name for the layer index
    j: int
    k: int | None = None

    def text(self) -> str:
        """The plain-text form, e.g. ``w⁽²⁾₁₂``."""
        return label(self.symbol, self.l, self.j, self.k)

    def latex(self) -> str:
        """The LaTeX form, e.g. ``w^{(2)}_{12}``."""
        sub = _indices(self.j, self.k, ",")
        return f"{self.symbol}^{{({self.l})}}_{{{sub}}}"


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
    return re.sub(r"([_^{}#$%&\\])", r"\\\1", text)


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
