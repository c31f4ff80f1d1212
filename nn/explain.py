"""The chain rule of "Backpropagation Explained", laid out for one weight or bias.

``explain(loss, w)`` reads the recorded graph of ``loss`` and shows how
∂C/∂w is the product “Backpropagation Explained” writes, each factor with what it is in the
seeds' notation and its value:

    ∂C₀/∂w⁽ᴸ⁾₁₂ = (∂C₀/∂a⁽ᴸ⁾₁)(∂a⁽ᴸ⁾₁/∂z⁽ᴸ⁾₁)(∂z⁽ᴸ⁾₁/∂w⁽ᴸ⁾₁₂)
                = 2(a⁽ᴸ⁾₁ − y₁) σ′(z⁽ᴸ⁾₁) a⁽ᴸ⁻¹⁾₂

and, for a hidden layer, the first factor expanded over the nodes j of layer
l+1 ("what puts the back in backprop"), the sum written with its range:

    ∂C₀/∂a⁽ᴸ⁻¹⁾₂ = Σⱼ₌₀³ (∂C₀/∂a⁽ᴸ⁾ⱼ)(∂a⁽ᴸ⁾ⱼ/∂z⁽ᴸ⁾ⱼ)(∂z⁽ᴸ⁾ⱼ/∂a⁽ᴸ⁻¹⁾₂)
                 = Σⱼ₌₀³ 2(a⁽ᴸ⁾ⱼ − yⱼ) σ′(z⁽ᴸ⁾ⱼ) w⁽ᴸ⁾ⱼ₂

Indices: j is the node of the parameter's layer l (and, in a hidden layer's
sum, the node of layer l+1, as “Backpropagation Explained” writes it), k the
node of layer l−1, and i the sample (Cᵢ, as “Demystifying Deep Learning,
part 5” and “Backpropagation Explained” write it).  ``notation="L"`` writes layers
relative to the output layer (w⁽ᴸ⁻¹⁾₂₂); the default, "number", keeps their
numbers (w⁽²⁾₂₂).

Every value is a derivative taken from the graph with `autodiff.grad`, on the
nodes found by their labels (z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ, as `nn.layers` sets them), so the
factors are what the engine computed and their product is the parameter's
gradient.  What a factor *is* is read from the graph's structure, not
assumed: the loss's derivative ∂Cᵢ/∂a⁽ᴸ⁾ⱼ is named by the ops that made the
per-sample loss from the output activation (a − y, then a square, then a
sum is `squared_error`, whose derivative is 2(a − y); see `LOSS_FORMULAS`),
the activation's derivative by the op that made a from z.  Where the output
activation and the loss combine into the Ŷ − Y of “Demystifying Deep
Learning, part 5” (a sigmoid with binary
cross-entropy, a linear output with cross-entropy on its logits, with
binary cross-entropy on logits, or with ½ squared error), the chain says so
in δ⁽ᴸ⁾ⱼ.

δ has one definition, “Backward Propagation”'s: δ⁽ˡ⁾ⱼ = ∂Cᵢ/∂z⁽ˡ⁾ⱼ for one observation i;
the batch mean's gradient is δ/m (as `nn.matrix`).

A loss over n samples (n z⁽ˡ⁾ⱼ nodes for the neuron, one per forward call)
is shown as “Backpropagation Explained” averages: ∂C/∂w = (1/n) Σᵢ₌₀ⁿ⁻¹ ∂Cᵢ/∂w, one chain per
sample, where ∂Cᵢ/∂· is n times the gradient of C through sample i's nodes
(exactly the per-sample loss's gradient when C is the mean of the Cᵢ, as
`nn.fit` builds it; a loss's formula is shown only when that holds).  A part
of the gradient that does not pass through the z nodes (an L2 penalty
α Σ p², say) is shown as a separate term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autodiff import Value, grad, topological_order

from .notation import Label, check_notation, display, layer_name, output_layer, parse

__all__ = ["explain", "Explanation", "Chain", "Term", "LOSS_FORMULAS"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

#: How an activation op's derivative is written, text and LaTeX.
_PRIMES = {
    "relu": ("relu′", r"\operatorname{relu}'"),
    "tanh": ("tanh′", r"\tanh'"),
    "sigmoid": ("σ′", r"\sigma'"),
    "leaky_relu": ("leaky_relu′", r"\operatorname{leaky\_relu}'"),
    "elu": ("elu′", r"\operatorname{elu}'"),
    "gelu": ("gelu′", r"\operatorname{gelu}'"),
    "silu": ("silu′", r"\operatorname{silu}'"),
    "softplus": ("softplus′", r"\operatorname{softplus}'"),
}

#: The per-sample losses `explain` recognises in a graph, with ∂Cᵢ/∂aⱼ as it
#: writes it (a = a⁽ᴸ⁾ⱼ, y = yⱼ, n the number of outputs).
LOSS_FORMULAS = {
    "squared_error": "2(a − y)",
    "mse": "2(a − y)/n",
    "half_squared_error": "a − y",
    "hinge": "−y·[y·a < 1]",
    "binary_cross_entropy": "(a − y)/(a(1 − a))",
    "binary_cross_entropy_with_logits": "σ(a) − y",
    "cross_entropy": "softmax(a⁽ᴸ⁾)ⱼ − yⱼ",
}

#: (loss, output activation) pairs whose δ⁽ᴸ⁾ = ∇ₐC ⊙ g′(z) is the Ŷ − Y of
#: “Demystifying Deep Learning, part 5”.
_COMBINED = {
    ("binary_cross_entropy", "sigmoid"),
    ("half_squared_error", ""),
    ("cross_entropy", ""),
    ("binary_cross_entropy_with_logits", ""),
}


@dataclass(frozen=True)
class Term:
    """One factor of the chain rule, with its value.

    Attributes:
        name: the factor in the seeds' notation, e.g. ``"∂C₀/∂a⁽²⁾₁"``.
        latex: the same in LaTeX, e.g. ``r"\\frac{\\partial C_{0}}{\\partial a^{(2)}_{1}}"``.
        value: its value, taken from the graph.
        equals: what the factor amounts to in the seeds' notation, read from
            the graph's structure (``"2(a⁽²⁾₁ − y₁)"``, ``"tanh′(z⁽²⁾₁)"``,
            ``"a⁽¹⁾₂"``, ``"w⁽³⁾₀₂"``, ``"1"``); "" when the graph does not say.
        equals_latex: the same in LaTeX.
    """

    name: str
    latex: str
    value: float
    equals: str = ""
    equals_latex: str = ""


@dataclass(frozen=True)
class Chain:
    """One sample's chain-rule product (∂Cᵢ/∂a)(∂a/∂z)(∂z/∂p).

    Attributes:
        sample: the sample's index i (the order of its z node in the graph).
        factors: the three Terms.
        value: their product, ∂Cᵢ/∂p.
        expansion: for a hidden layer, one row per node j of layer l+1:
            (∂Cᵢ/∂a⁽ˡ⁺¹⁾ⱼ, ∂a⁽ˡ⁺¹⁾ⱼ/∂z⁽ˡ⁺¹⁾ⱼ, ∂z⁽ˡ⁺¹⁾ⱼ/∂a⁽ˡ⁾ = w⁽ˡ⁺¹⁾ⱼ.), whose
            products sum (with ``other``) to the first factor; empty for the
            output layer.
        other: for a hidden layer whose activation also reaches the loss
            other than through layer l+1's z nodes, that part of the first
            factor; None otherwise.
        delta: δ⁽ˡ⁾ⱼ = ∂Cᵢ/∂z⁽ˡ⁾ⱼ (“Backward Propagation”), the product of the first two
            factors, taken from the graph; its ``equals`` is Ŷ − Y's element
            where the output activation and the loss combine so.
        loss: the per-sample loss recognised in the graph for the output
            layer's parameters (a key of `LOSS_FORMULAS`), or "".
    """

    sample: int
    factors: tuple
    value: float
    expansion: tuple = ()
    other: Term | None = None
    delta: Term | None = None
    loss: str = ""


# --------------------------------------------------------------------------
# Names


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def _partial(num: str, den: str) -> str:
    return f"∂{num}/∂{den}"


def _partial_latex(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


class _Names:
    """Symbols written in the chosen notation (layers by number or from L)."""

    def __init__(self, notation: str, L: int) -> None:  # noqa: N803
        self.notation = notation
        self.L = L

    def node(self, symbol: str, l: int, j, k=None) -> tuple[str, str]:  # noqa: E741
        return display(symbol, l, j, k, notation=self.notation, L=self.L)

    def label(self, lab: Label) -> tuple[str, str]:
        return self.node(lab.symbol, lab.l, lab.j, lab.k)

    def vector(self, symbol: str, l: int) -> tuple[str, str]:  # noqa: E741
        """The layer's vector, a⁽ᴸ⁾ / a^{(L)}."""
        text, latex = layer_name(l, self.L, self.notation)
        return f"{symbol}⁽{text}⁾", f"{symbol}^{{({latex})}}"


def _loss_name(sample: int) -> tuple[str, str]:
    """Cᵢ, sample i's loss, as text and LaTeX (C₀ for a single sample)."""
    return f"C{_sub(sample)}", f"C_{{{sample}}}"


def _range_sum(letter: str, lo: int, hi: int | str) -> tuple[str, str]:
    """Σ with its index range, text and LaTeX: Σⱼ₌₀³ / \\sum_{j=0}^{3}."""
    sub_letter = {"i": "ᵢ", "j": "ⱼ", "k": "ₖ"}[letter]
    hi_text = str(hi).translate(_SUP) if isinstance(hi, int) else "ⁿ⁻¹"
    hi_latex = str(hi) if isinstance(hi, int) else "n-1"
    return f"Σ{sub_letter}₌{_sub(lo)}{hi_text}", rf"\sum_{{{letter}={lo}}}^{{{hi_latex}}}"


def _node_sum(js: list[int]) -> tuple[str, str]:
    if js == list(range(js[0], js[-1] + 1)):
        return _range_sum("j", js[0], js[-1])
    listed = ", ".join(map(str, js))
    return f"Σ_{{j ∈ {{{listed}}}}}", rf"\sum_{{j \in \{{{listed}\}}}}"


# --------------------------------------------------------------------------
# The graph


class _Graph:
    """The loss's graph: its topological order, positions and children."""

    def __init__(self, loss: Value) -> None:
        self.loss = loss
        self.order = topological_order(loss)
        self.position = {node: i for i, node in enumerate(self.order)}
        children: dict = {}
        for node in self.order:
            for parent in node.parents:
                kids = children.setdefault(parent, [])
                if not kids or kids[-1] is not node:  # x*x lists x's child once
                    kids.append(node)
        self.children = children

    def kids(self, node) -> list:
        return self.children.get(node, [])

    def only(self, node, op: str):
        """``node``'s one child if it is made by ``op``, else None."""
        kids = self.kids(node)
        return kids[0] if len(kids) == 1 and kids[0].op == op else None

    def reach(self, start, stop) -> tuple[list, bool]:
        """The nodes with ``stop(node)`` true reached from ``start`` going to
        children without passing through such a node (in graph order), and
        whether the loss is reached along a path that avoids them all."""
        found, seen = [], {start}
        reaches_loss = False
        stack = [start]
        while stack:
            node = stack.pop()
            for child in self.children.get(node, ()):
                if child in seen:
                    continue
                seen.add(child)
                if stop(child):
                    found.append(child)
                    continue
                if child is self.loss:
                    reaches_loss = True
                stack.append(child)
        if start is self.loss:
            reaches_loss = True
        found.sort(key=self.position.__getitem__)
        return found, reaches_loss

    def activation_of(self, z: Value, lab: Label) -> Value:
        """The a⁽ˡ⁾ⱼ node made from ``z`` (``z`` itself for a linear node).

        Raises ValueError when z also reaches the loss other than through its
        activation, a graph the chain of "Backpropagation Explained" does not describe.
        """
        a_label = lab.text()
        kids = self.children.get(z, [])
        acts = [c for c in kids if c.label == a_label and c.parents == (z,)]
        if not acts:
            return z
        if len(kids) > 1:
            raise ValueError(
                f"{z.label} is used other than through its activation {a_label}; "
                "the chain rule of 'Backpropagation Explained' (C ← a ← z ← w) "
                "does not describe this graph"
            )
        return acts[0]


def _label_of(node) -> Label:
    """The parsed label of a node found by an `_is` test (so it has one)."""
    lab = parse(node.label)
    if lab is None:
        raise ValueError(f"explain: the node {node!r} has no label of the seeds' notation")
    return lab


def _is(symbol: str, l: int, j: int | None = None):  # noqa: E741 - the seeds' layer index
    def test(node) -> bool:
        lab = parse(node.label) if node.label else None
        return (
            lab is not None
            and lab.symbol == symbol
            and lab.l == l
            and (j is None or lab.j == j)
        )

    return test


def _parsed(node) -> Label:
    """The label of a node found by `_is` (so it has one)."""
    lab = parse(node.label)
    if lab is None:  # pragma: no cover - _is only finds labelled nodes
        raise ValueError(f"explain: {node.label!r} is not a label in the seeds' notation")
    return lab


# --------------------------------------------------------------------------
# Recognising the per-sample loss from the ops that made it


@dataclass(frozen=True)
class _LossForm:
    kind: str  # a key of LOSS_FORMULAS
    y: float  # the target yⱼ
    node: Value  # the per-sample loss Cᵢ
    n: int  # the number of outputs (mse) or classes (cross-entropy)


def _constant(node, value: float | None = None) -> bool:
    """True for a leaf (a constant of the loss), equal to ``value`` if given."""
    return not node.parents and (value is None or node.data == value)


def _recognise(g: _Graph, a) -> _LossForm | None:
    """The per-sample loss made from the output activation ``a``, read from
    the ops between them, as `nn.losses` builds each; None if none fits."""
    kids = g.kids(a)
    ops = sorted(k.op for k in kids)
    if ops == ["-"]:
        (d,) = kids
        if d.parents[0] is a and d.parents[1] is not a:
            return _squared(g, d, d.parents[1].data) or _cross_entropy(g, a, d)
        if _constant(d.parents[0], 1.0) and d.parents[1] is a:  # 1 − p: BCE with y = 0
            lg = g.only(d, "log")
            neg = lg is not None and g.only(lg, "neg")
            return _LossForm("binary_cross_entropy", 0.0, neg, 1) if neg else None
        return None
    if ops == ["*"]:  # hinge: relu(1 + (−y)·s)
        (p,) = kids
        if p.parents[1] is a and _constant(p.parents[0]):
            q = g.only(p, "+")
            if q is not None and _constant(q.parents[0], 1.0) and q.parents[1] is p:
                r = g.only(q, "relu")
                if r is not None:
                    return _LossForm("hinge", -p.parents[0].data, r, 1)
        return None
    if ops == ["log"]:  # −log p: BCE with y = 1
        neg = g.only(kids[0], "neg")
        return _LossForm("binary_cross_entropy", 1.0, neg, 1) if neg is not None else None
    if ops == ["-", "log"]:  # −(y log p + (1 − y) log(1 − p))
        return _bce(g, a, kids)
    if ops in (["*", "neg"], ["*", "exp"]):
        return _bce_logits(g, a, kids)
    return None


def _squared(g: _Graph, d, y: float) -> _LossForm | None:
    """(a − y)² summed: squared error, mse (÷ n) or half squared error (× ½)."""
    s = g.only(d, "**")
    if s is None or s.parents[0] is not d or not _constant(s.parents[1], 2.0):
        return None
    total = g.only(s, "sum")
    if total is None:
        return _LossForm("squared_error", y, s, 1)
    n = len(total.parents)
    after = g.kids(total)
    if len(after) == 1 and len(after[0].parents) == 2 and after[0].parents[0] is total:
        scaled = after[0]
        factor = scaled.parents[1]
        if scaled.op == "/" and _constant(factor, float(n)):
            return _LossForm("mse", y, scaled, n)
        if scaled.op == "*" and _constant(factor, 0.5):
            return _LossForm("half_squared_error", y, scaled, n)
    return _LossForm("squared_error", y, total, n)


def _cross_entropy(g: _Graph, a, shifted) -> _LossForm | None:
    """log Σₖ e^(zₖ − m) − (zₜ − m), with a = zⱼ, shifted = zⱼ − m."""
    if not _constant(shifted.parents[1]):
        return None
    exps = [k for k in g.kids(shifted) if k.op == "exp"]
    rest = [k for k in g.kids(shifted) if k.op != "exp"]
    if len(exps) != 1:
        return None
    total = g.only(exps[0], "sum")
    lse = total is not None and g.only(total, "log")
    if not lse:
        return None
    loss = g.only(lse, "-")
    if loss is None or loss.parents[0] is not lse or rest not in ([], [loss]):
        return None
    return _LossForm("cross_entropy", 1.0 if rest else 0.0, loss, len(total.parents))


def _bce(g: _Graph, a, kids) -> _LossForm | None:
    lg1 = next(k for k in kids if k.op == "log")
    d = next(k for k in kids if k.op == "-")
    if not (_constant(d.parents[0], 1.0) and d.parents[1] is a):
        return None
    m1 = g.only(lg1, "*")
    lg2 = g.only(d, "log")
    m2 = lg2 is not None and g.only(lg2, "*")
    if m1 is None or not m2 or not _constant(m1.parents[0]):
        return None
    total = g.only(m1, "+")
    if total is None or total.parents != (m1, m2):
        return None
    neg = g.only(total, "neg")
    return _LossForm("binary_cross_entropy", m1.parents[0].data, neg, 1) if neg else None


def _bce_logits(g: _Graph, x, kids) -> _LossForm | None:
    """x(1 − y) + log(1 + e^(−x)) for x ≥ 0; log(1 + eˣ) − x·y for x < 0."""
    m = next(k for k in kids if k.op == "*")
    other = next(k for k in kids if k.op != "*")
    if m.parents[0] is not x or not _constant(m.parents[1]):
        return None
    e = g.only(other, "exp") if other.op == "neg" else other
    one_plus = e is not None and g.only(e, "+")
    lg = one_plus and _constant(one_plus.parents[0], 1.0) and g.only(one_plus, "log")
    if not lg:
        return None
    if other.op == "neg":
        loss = g.only(lg, "+")
        if loss is not None and loss.parents == (m, lg) and g.only(m, "+") is loss:
            return _LossForm("binary_cross_entropy_with_logits", 1.0 - m.parents[1].data, loss, 1)
        return None
    loss = g.only(lg, "-")
    if loss is not None and loss.parents == (lg, m) and g.only(m, "-") is loss:
        return _LossForm("binary_cross_entropy_with_logits", m.parents[1].data, loss, 1)
    return None


def _loss_formula(form: _LossForm, a, y, vec, j) -> tuple[str, str]:
    """∂Cᵢ/∂a for ``form``, with a, y, the output vector and the index j
    given as (text, LaTeX) pairs."""
    (at, al), (yt, yl), (vt, vl), (jt, jl) = a, y, vec, j
    kind, n = form.kind, form.n
    if kind == "squared_error":
        return f"2({at} − {yt})", rf"2\left({al} - {yl}\right)"
    if kind == "mse":
        return f"2({at} − {yt})/{n}", rf"\frac{{2}}{{{n}}}\left({al} - {yl}\right)"
    if kind == "half_squared_error":
        return f"{at} − {yt}", f"{al} - {yl}"
    if kind == "hinge":
        return f"−{yt}·[{yt}·{at} < 1]", rf"-{yl}\,[{yl}\,{al} < 1]"
    if kind == "binary_cross_entropy":
        return (
            f"({at} − {yt})/({at}(1 − {at}))",
            rf"\frac{{{al} - {yl}}}{{{al}\left(1 - {al}\right)}}",
        )
    if kind == "binary_cross_entropy_with_logits":
        return f"σ({at}) − {yt}", rf"\sigma({al}) - {yl}"
    return f"softmax({vt}){jt} − {yt}", rf"\operatorname{{softmax}}({vl})_{{{jl}}} - {yl}"


def _combined(form: _LossForm, act_op: str, a, y, vec, j) -> tuple[str, str] | None:
    """δ⁽ᴸ⁾ⱼ as “Demystifying Deep Learning, part 5”'s Ŷ − Y when the output activation and the loss
    combine so (``act_op`` "" for a linear output); None otherwise."""
    if (form.kind, act_op) not in _COMBINED:
        return None
    (at, al), (yt, yl), (vt, vl), (jt, jl) = a, y, vec, j
    if form.kind in ("binary_cross_entropy", "half_squared_error"):
        text, latex = f"{at} − {yt}", f"{al} - {yl}"
    elif form.kind == "binary_cross_entropy_with_logits":
        text, latex = f"σ({at}) − {yt}", rf"\sigma({al}) - {yl}"
    else:
        text = f"softmax({vt}){jt} − {yt}"
        latex = rf"\operatorname{{softmax}}({vl})_{{{jl}}} - {yl}"
    return f"{text}  (Ŷ − Y)", rf"{latex} \quad (\hat{{Y}} - Y)"


# --------------------------------------------------------------------------
# Building the explanation


def _check(loss, param) -> Label:
    if not isinstance(loss, Value):
        raise TypeError(f"explain: loss must be a Value, got {type(loss).__name__}")
    if not isinstance(param, Value):
        raise TypeError(
            f"explain: param must be a Value (a weight or bias), got {type(param).__name__}"
        )
    lab = parse(param.label)
    if lab is None or lab.symbol not in ("w", "b"):
        raise ValueError(
            f"explain: param must be a weight w⁽ˡ⁾ⱼₖ or a bias b⁽ˡ⁾ⱼ labelled in the seeds' "
            f"notation (as nn.Neuron, nn.Layer and nn.MLP label theirs), got label "
            f"{param.label!r}"
        )
    return lab


def explain(loss: Value, param: Value, notation: str = "number") -> "Explanation":
    """The chain-rule breakdown of ∂loss/∂param, as “Backpropagation Explained” writes it.

    Args:
        loss: the loss Value (one sample's C₀, or a batch loss C built from
            several forward calls, possibly with a penalty on the parameters).
        param: a weight w⁽ˡ⁾ⱼₖ or bias b⁽ˡ⁾ⱼ of an `nn` model (found by its
            label), used in building ``loss``.
        notation: how layers are written: "number" (the default: w⁽²⁾₂₂) or
            "L", relative to the output layer L, as “Backpropagation Explained” (w⁽ᴸ⁻¹⁾₂₂).  L
            is the largest layer labelled in the loss's graph.

    Returns:
        An `Explanation`: ``.terms`` (the factors), ``.value`` (equal to
        ``param.grad`` after ``loss.backward()`` from zero gradients),
        ``.samples`` (one `Chain` per sample), ``.direct`` (the part not
        through the neuron's z nodes, or None); ``str()`` gives text,
        ``_repr_latex_`` LaTeX with the same content.  No ``.grad`` is changed.

    Raises:
        TypeError: if loss or param is not a Value, or notation not a str.
        ValueError: if param carries no w/b label in the seeds' notation, is
            not in the loss's graph, or its neuron's z⁽ˡ⁾ⱼ node is not there;
            or notation is not "number" or "L".
    """
    lab = _check(loss, param)
    check_notation(notation)
    graph = _Graph(loss)
    if param not in graph.position:
        raise ValueError(
            f"explain: {param.label} is not in the loss's graph (the loss does not depend "
            "on it; was it computed with this model, outside no_grad?)"
        )
    l, j = lab.l, lab.j  # noqa: E741
    z_lab = Label("z", l, j)
    zs, direct_path = graph.reach(param, _is("z", l, j))
    if not zs:
        raise ValueError(
            f"explain: the loss's graph has no node {z_lab.text()} depending on {param.label}, "
            f"so there is no chain C ← a ← z ← {lab.symbol} to lay out (the loss must be "
            "built from the model's forward calls)"
        )
    names = _Names(notation, output_layer(node.label for node in graph.order if node.label))
    n = len(zs)
    a_lab = Label("a", l, j)
    acts = [graph.activation_of(z, a_lab) for z in zs]

    # the hidden-layer expansion: each sample's z⁽ˡ⁺¹⁾ⱼ nodes fed by its a⁽ˡ⁾ⱼ
    is_next_z = _is("z", l + 1)
    nexts = []
    for a in acts:
        next_zs, other_path = graph.reach(a, is_next_z)
        labelled = sorted(((_parsed(z), z) for z in next_zs), key=lambda p: p[0].j)
        rows = [(z, graph.activation_of(z, Label("a", l + 1, lz.j))) for lz, z in labelled]
        nexts.append((rows, other_path and bool(rows)))

    # the per-sample loss behind each output activation, from the graph's ops
    outputs = [a for a, (rows, _) in zip(acts, nexts) if not rows]
    outputs += [a2 for rows, _ in nexts for _, a2 in rows]
    forms = {a: _recognise(graph, a) for a in outputs}

    # ∂C/∂node for every node needed, in one reverse sweep
    wanted = [param, *acts, *zs, *[a2 for rows, _ in nexts for _, a2 in rows]]
    wanted += [form.node for form in forms.values() if form is not None]
    dC = dict(zip(wanted, grad(loss, wanted)))  # duplicates map to the same value
    for a, form in forms.items():
        # the formula is ∂Cᵢ/∂a only if Cᵢ enters C as (1/n) Cᵢ, as a mean does
        if form is not None and abs(n * dC[form.node] - 1.0) > 1e-12:
            forms[a] = None

    builder = _Builder(names, lab, n, dC, forms)
    chains = [
        builder.chain(i, z, a, rows, other_path, param, loss)
        for i, (z, a, (rows, other_path)) in enumerate(zip(zs, acts, nexts))
    ]

    p_text, p_latex = names.label(lab)
    if n == 1:
        terms = chains[0].factors
    else:
        terms = (
            Term("1/n", r"\frac{1}{n}", 1.0 / n, f"1/{n}", rf"\frac{{1}}{{{n}}}"),
            Term(
                f"{_range_sum('i', 0, 'n')[0]} {_partial('Cᵢ', p_text)}",
                rf"{_range_sum('i', 0, 'n')[1]} {_partial_latex('C_{i}', p_latex)}",
                math.fsum(c.value for c in chains),
            ),
        )
    direct = None
    if direct_path:
        # The engine sums the chain rule over exactly the paths that avoid zs.
        (avoiding,) = grad(loss, [param], stop_at=zs)
        z_text, z_latex = names.label(z_lab)
        direct = Term(
            f"{_partial('C', p_text)}|not via {z_text}",
            rf"\left.{_partial_latex('C', p_latex)}\right|_{{\text{{not via }} {z_latex}}}",
            avoiding,
        )
    return Explanation(param, lab, chains, terms, direct, notation=notation, L=names.L)


class _Builder:
    """Builds each sample's Chain: its Terms, named and valued."""

    def __init__(self, names: _Names, lab: Label, n: int, dC: dict, forms: dict) -> None:
        self.names, self.lab, self.n, self.dC, self.forms = names, lab, n, dC, forms

    def loss_term(self, c, a, layer: int, node: int) -> Term:
        """∂Cᵢ/∂a⁽ˡ⁾ⱼ, with the loss's formula when the graph gives one."""
        names = self.names
        at, al = names.node("a", layer, node)
        form = self.forms.get(a)
        equals = ("", "")
        if form is not None:
            y = (f"y{_sub(node)}", f"y_{{{node}}}")
            equals = _loss_formula(form, (at, al), y, names.vector("a", layer), (_sub(node), node))
        return Term(_partial(c[0], at), _partial_latex(c[1], al), self.n * self.dC[a], *equals)

    def chain(self, i, z, a, rows, other_path, param, loss) -> Chain:
        names, lab = self.names, self.lab
        l, j = lab.l, lab.j  # noqa: E741
        c = _loss_name(i)
        first = self.loss_term(c, a, l, j)
        second = _activation_term(a, z, names.node("a", l, j), names.node("z", l, j))
        if lab.symbol == "w":
            eq = names.node("a", l - 1, lab.k)
        else:
            eq = ("1", "1")
        (dz_dp,) = grad(z, [param])
        zt, zl = names.node("z", l, j)
        pt, pl = names.label(lab)
        third = Term(_partial(zt, pt), _partial_latex(zl, pl), dz_dp, *eq)

        expansion = []
        for z2, a2 in rows:
            j2 = _parsed(z2).j
            (dz2_da,) = grad(z2, [a])
            w = names.node("w", l + 1, j2, j)
            z2t, z2l = names.node("z", l + 1, j2)
            at, al = names.node("a", l, j)
            expansion.append(
                (
                    self.loss_term(c, a2, l + 1, j2),
                    _activation_term(a2, z2, names.node("a", l + 1, j2), (z2t, z2l)),
                    Term(_partial(z2t, at), _partial_latex(z2l, al), dz2_da, *w),
                )
            )
        other = None
        if other_path:
            (avoiding,) = grad(loss, [a], stop_at=[z2 for z2, _ in rows])
            sup_t, sup_l = layer_name(l + 1, names.L, names.notation)
            other = Term(
                f"{first.name}|not via z⁽{sup_t}⁾",
                rf"\left.{first.latex}\right|_{{\text{{not via }} z^{{({sup_l})}}}}",
                self.n * avoiding,
            )
        if expansion:
            first = Term(first.name, first.latex, first.value, *self.sum_form(rows, l, j))

        dt, dl = names.node("δ", l, j)
        delta_equals = ("", "")
        form = self.forms.get(a)
        if not expansion and form is not None:
            y = (f"y{_sub(j)}", f"y_{{{j}}}")
            act_op = "" if a is z else a.op
            vec = names.vector("z" if a is z else "a", l)
            ahat = names.node("z" if a is z and form.kind != "half_squared_error" else "a", l, j)
            delta_equals = _combined(form, act_op, ahat, y, vec, (_sub(j), j)) or ("", "")
        delta = Term(dt, dl, self.n * self.dC[z], *delta_equals)

        factors = (first, second, third)
        loss_kind = form.kind if (form is not None and not expansion) else ""
        return Chain(
            i,
            factors,
            math.prod(t.value for t in factors),
            tuple(expansion),
            other,
            delta,
            loss_kind,
        )

    def sum_form(self, rows, l: int, j: int) -> tuple[str, str]:  # noqa: E741
        """Σⱼ over layer l+1 of the rows' factors, written generically: the
        loss's formula and the activation's derivative when every row shares
        them, the ∂ symbol otherwise."""
        names = self.names
        js = [_parsed(z2).j for z2, _ in rows]
        sum_t, sum_l = _node_sum(js)
        a_j, z_j = names.node("a", l + 1, "j"), names.node("z", l + 1, "j")
        forms = [self.forms.get(a2) for _, a2 in rows]
        kinds = {(f.kind, f.n) if f is not None else None for f in forms}
        parts = []
        if len(kinds) == 1 and forms[0] is not None:
            parts.append(
                _loss_formula(forms[0], a_j, ("yⱼ", "y_{j}"), names.vector("a", l + 1), ("ⱼ", "j"))
            )
        else:
            c = ("C₀", "C_{0}") if self.n == 1 else ("Cᵢ", "C_{i}")
            parts.append(
                (f"({_partial(c[0], a_j[0])})", rf"\left({_partial_latex(c[1], a_j[1])}\right)")
            )
        ops = {"" if a2 is z2 else a2.op for z2, a2 in rows}
        if len(ops) == 1:
            (op,) = ops
            if op:
                prime = _PRIMES.get(op, ("g′", "g'"))
                parts.append((f"{prime[0]}({z_j[0]})", rf"{prime[1]}({z_j[1]})"))
        else:
            parts.append(
                (f"({_partial(a_j[0], z_j[0])})", rf"\left({_partial_latex(a_j[1], z_j[1])}\right)")
            )
        parts.append(names.node("w", l + 1, "j", j))
        text = " ".join(p[0] for p in parts)
        latex = r"\,".join(p[1] for p in parts)
        return f"{sum_t} {text}", rf"{sum_l} {latex}"


def _activation_term(a, z, a_name, z_name) -> Term:
    name = _partial(a_name[0], z_name[0])
    latex = _partial_latex(a_name[1], z_name[1])
    if a is z:  # linear: a ≡ z
        return Term(name, latex, 1.0, "1", "1")
    (value,) = grad(a, [z])
    prime, prime_latex = _PRIMES.get(a.op, ("g′", "g'"))
    return Term(name, latex, value, f"{prime}({z_name[0]})", rf"{prime_latex}({z_name[1]})")


# --------------------------------------------------------------------------
# The result: one list of equations, written as text or as LaTeX


def _num(x: float) -> str:
    return f"{x + 0.0:.6g}"  # + 0.0 turns -0.0 into 0.0


def _num_latex(x: float) -> str:
    if math.isnan(x):
        return r"\text{nan}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = f"{x + 0.0:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


@dataclass
class _Eq:
    """lhs = rhs₁ = rhs₂ …, each rhs (relation, text, LaTeX); ``stacked``
    puts each on its own line.  An Eq without lhs and rhs is a heading."""

    lhs: tuple[str, str]
    rhs: list
    indent: int = 0
    stacked: bool = False
    head: tuple[str, str] = ("", "")

    def text(self) -> str:
        pad = "  " * self.indent
        head = f"{self.head[0]} " if self.head[0] else ""
        if not self.rhs:
            return f"{pad}{head}{self.lhs[0]}".rstrip()
        start = f"{pad}{head}{self.lhs[0]} "
        if not self.stacked:
            return start + " ".join(f"{rel} {t}" for rel, t, _ in self.rhs)
        blank = " " * len(start)
        return "\n".join(
            f"{start if k == 0 else blank}{rel} {t}" for k, (rel, t, _) in enumerate(self.rhs)
        )

    def latex(self) -> list[str]:
        head = rf"\text{{{self.head[1]}}}\ " if self.head[1] else ""
        if not self.rhs:
            return [rf"\text{{{self.lhs[1]}}} &"]
        if not self.stacked:
            first, *rest = self.rhs
            line = f"{head}{self.lhs[1]} &{first[0]} {first[2]}"
            return [line + "".join(f" {rel} {lx}" for rel, _, lx in rest)]
        rows = []
        for k, (rel, _, lx) in enumerate(self.rhs):
            rows.append(f"{head}{self.lhs[1]} &{rel} {lx}" if k == 0 else f"&{rel} {lx}")
        return rows


def _product(terms) -> tuple[str, str]:
    return (
        "".join(f"({_num(t.value)})" for t in terms),
        "".join(rf"\left({_num_latex(t.value)}\right)" for t in terms),
    )


def _symbols(terms) -> tuple[str, str]:
    return "".join(f"({t.name})" for t in terms), r"\,".join(t.latex for t in terms)


def _closed(terms) -> tuple[str, str]:
    """The factors as the seeds write them: each factor's ``equals`` (its ∂
    name when there is none), factors equal to 1 left out."""
    texts, latexes = [], []
    for t in terms:
        if t.equals == "1":
            continue
        if t.equals:
            hidden_sum = t.equals.startswith("Σ")
            texts.append(f"({t.equals})" if hidden_sum else t.equals)
            latexes.append(rf"\left({t.equals_latex}\right)" if hidden_sum else t.equals_latex)
        else:
            texts.append(f"({t.name})")
            latexes.append(rf"\left({t.latex}\right)")
    return " ".join(texts) or "1", r"\,".join(latexes) or "1"


class Explanation:
    """The chain-rule breakdown of ∂C/∂p for one parameter p (see `explain`).

    ``.value == math.prod(t.value for t in .terms) + (.direct.value if
    .direct else 0)``, and equals ``p.grad`` after ``loss.backward()`` from
    zero gradients (up to rounding in the last bits).

    Attributes:
        param (Value): the parameter p.
        label (Label): its parsed label (symbol "w" or "b", l, j, k).
        notation (str): "number" or "L", how layers are written.
        L (int): the output layer's number (the largest layer in the graph).
        n (int): the number of samples (z⁽ˡ⁾ⱼ nodes of its neuron in the graph).
        samples (tuple[Chain]): one chain-rule product per sample.
        terms (tuple[Term]): factors whose product is the gradient through the
            z nodes: for one sample, “Backpropagation Explained”'s three factors; for n samples,
            1/n and Σᵢ₌₀ⁿ⁻¹ ∂Cᵢ/∂p (“Backpropagation Explained”'s average; the sum's parts are
            ``samples``).
        direct (Term | None): the gradient along the paths from p to the loss
            that avoid the z nodes (e.g. an L2 penalty), or None if no such
            path exists.
        value (float): ∂C/∂p.
    """

    def __init__(
        self, param, label, samples, terms, direct, notation: str = "number", L: int = 0  # noqa: N803
    ) -> None:
        self.param = param
        self.label = label
        self.notation = notation
        self.L = L
        self.samples = tuple(samples)
        self.n = len(self.samples)
        self.terms = tuple(terms)
        self.direct = direct
        self.value = math.prod(t.value for t in self.terms) + (direct.value if direct else 0.0)

    @property
    def hidden(self) -> bool:
        """True when p's layer feeds a next layer (the first factor is then
        expanded over the nodes of layer l+1)."""
        return any(chain.expansion for chain in self.samples)

    def __repr__(self) -> str:
        return f"Explanation({self.param.label}, n={self.n}, value={self.value!r})"

    def _p(self) -> tuple[str, str]:
        return display(
            self.label.symbol, self.label.l, self.label.j, self.label.k,
            notation=self.notation, L=self.L,
        )

    def _loss_symbol(self) -> tuple[str, str]:
        """The loss's name on the left-hand side: C₀ for one sample's own
        loss, C for a batch or a loss with a direct term."""
        if self.n == 1 and self.direct is None:
            return "C₀", "C_{0}"
        return "C", "C"

    def equations(self, max_samples: int | None = 6) -> list[_Eq]:
        """The explanation as a list of equations, rendered by `text` and
        `latex` (so both have the same content)."""
        p_t, p_l = self._p()
        c_t, c_l = self._loss_symbol()
        lhs = (_partial(c_t, p_t), _partial_latex(c_l, p_l))
        if self.n == 1:
            rhs = [("=", *_symbols(self.terms)), ("=", *_closed(self.terms))]
            numbers = list(_product(self.terms))
        else:
            s_t, s_l = _range_sum("i", 0, "n")
            rhs = [
                (
                    "=",
                    f"(1/n) {s_t} {_partial('Cᵢ', p_t)}",
                    rf"\frac{{1}}{{n}} {s_l} {_partial_latex('C_{i}', p_l)}",
                )
            ]
            numbers = [
                f"(1/{self.n})({_num(self.terms[1].value)})",
                rf"\frac{{1}}{{{self.n}}}\left({_num_latex(self.terms[1].value)}\right)",
            ]
        if self.direct is not None:
            t, lx = rhs[0][1], rhs[0][2]
            rhs[0] = ("=", f"{t} + {self.direct.name}", f"{lx} + {self.direct.latex}")
            numbers[0] += f" + ({_num(self.direct.value)})"
            numbers[1] += rf" + \left({_num_latex(self.direct.value)}\right)"
        if self.n > 1:
            t, lx = rhs[0][1], rhs[0][2]
            rhs[0] = ("=", f"{t}    (n = {self.n} samples)", rf"{lx} \qquad (n = {self.n})")
        rhs += [("=", numbers[0], numbers[1]), ("=", _num(self.value), _num_latex(self.value))]
        eqs = [_Eq(lhs, rhs, stacked=True)]
        shown = self.samples if max_samples is None else self.samples[:max_samples]
        for chain in shown:
            indent = 1
            if self.n > 1:
                c_i = _loss_name(chain.sample)
                eqs.append(
                    _Eq(
                        (_partial(c_i[0], p_t), _partial_latex(c_i[1], p_l)),
                        [
                            ("=", *_symbols(chain.factors)),
                            ("=", *_closed(chain.factors)),
                            ("=", *_product(chain.factors)),
                            ("=", _num(chain.value), _num_latex(chain.value)),
                        ],
                        stacked=True,
                        head=(f"sample {chain.sample}:", f"sample {chain.sample}:"),
                    )
                )
                indent = 2
            eqs.extend(self._where(chain, indent))
        if len(shown) < self.n:
            more = f"… and {self.n - len(shown)} more samples (see .samples)"
            eqs.append(_Eq((more, more), []))
        return eqs

    def _where(self, chain: Chain, indent: int) -> list[_Eq]:
        """The equations giving each factor of ``chain`` what it is and its value."""
        eqs = [_Eq(("where", "where"), [], indent=indent - 1)]
        first, second, third = chain.factors
        if chain.expansion:
            l, j = self.label.l, self.label.j  # noqa: E741
            names = _Names(self.notation, self.L)
            sum_t, sum_l = self._sum_symbol(chain)
            c = _loss_name(chain.sample)
            a_j = names.node("a", l + 1, "j")
            z_j = names.node("z", l + 1, "j")
            a_here = names.node("a", l, j)
            generic = (
                f"{sum_t} ({_partial(c[0], a_j[0])})({_partial(a_j[0], z_j[0])})"
                f"({_partial(z_j[0], a_here[0])})",
                rf"{sum_l} {_partial_latex(c[1], a_j[1])}\,{_partial_latex(a_j[1], z_j[1])}\,"
                rf"{_partial_latex(z_j[1], a_here[1])}",
            )
            rhs = [("=", *generic), ("=", first.equals, first.equals_latex)]
            for k, (d_a, d_z, w) in enumerate(chain.expansion):
                rhs.append(
                    (
                        "=" if k == 0 else "+",
                        f"({_num(d_a.value)})({_num(d_z.value)})({w.equals} = {_num(w.value)})",
                        rf"\left({_num_latex(d_a.value)}\right)\left({_num_latex(d_z.value)}\right)"
                        rf"\underbrace{{\left({_num_latex(w.value)}\right)}}_{{{w.equals_latex}}}",
                    )
                )
            if chain.other is not None:
                rhs.append(
                    ("+", f"{chain.other.name} = {_num(chain.other.value)}",
                     rf"\underbrace{{\left({_num_latex(chain.other.value)}\right)}}"
                     rf"_{{{chain.other.latex}}}")
                )
            rhs.append(("=", _num(first.value), _num_latex(first.value)))
            eqs.append(_Eq((first.name, first.latex), rhs, indent=indent, stacked=True))
            rows = [d_a for d_a, _, _ in chain.expansion if d_a.equals]
            for d_a in rows:
                eqs.append(self._factor(d_a, indent + 1))
        else:
            eqs.append(self._factor(first, indent))
        eqs.append(self._factor(second, indent))
        eqs.append(self._factor(third, indent))
        if chain.delta is not None:
            names = _Names(self.notation, self.L)
            c = _loss_name(chain.sample)
            z_t, z_l = names.node("z", self.label.l, self.label.j)
            rhs = [("=", _partial(c[0], z_t), _partial_latex(c[1], z_l))]
            rhs.append(("=", *_symbols([first, second])))
            if chain.delta.equals:
                rhs.append(("=", chain.delta.equals, chain.delta.equals_latex))
            rhs.append(("=", _num(chain.delta.value), _num_latex(chain.delta.value)))
            eqs.append(_Eq((chain.delta.name, chain.delta.latex), rhs, indent=indent))
        return eqs

    def _sum_symbol(self, chain: Chain) -> tuple[str, str]:
        text = chain.factors[0].equals
        latex = chain.factors[0].equals_latex
        return text.split(" ", 1)[0], latex.split(" ", 1)[0]

    @staticmethod
    def _factor(term: Term, indent: int) -> _Eq:
        rhs = []
        if term.equals and term.equals != _num(term.value):
            rhs.append(("=", term.equals, term.equals_latex))
        rhs.append(("=", _num(term.value), _num_latex(term.value)))
        return _Eq((term.name, term.latex), rhs, indent=indent)

    # -- text and LaTeX -----------------------------------------------------

    def text(self, max_samples: int | None = 6) -> str:
        """The multi-line Unicode form.  With several samples, the first
        ``max_samples`` chains are written out (None: all of them)."""
        return "\n".join(eq.text() for eq in self.equations(max_samples))

    def __str__(self) -> str:
        return self.text()

    def latex(self, max_samples: int | None = 6) -> str:
        """The LaTeX form, a ``$$\\begin{aligned}…\\end{aligned}$$`` block with
        the same equations as `text` (the first ``max_samples`` samples
        written out; None: all)."""
        rows = [row for eq in self.equations(max_samples) for row in eq.latex()]
        return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"

    def _repr_latex_(self) -> str:
        return self.latex()
