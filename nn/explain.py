"""The chain rule of "Backpropagation Explained", laid out for one weight or bias.

``explain(loss, w)`` reads the recorded graph of ``loss`` and shows how
∂C/∂w is the product "Backpropagation Explained" writes, each factor with its value:

    ∂C₀/∂w⁽ˡ⁾ⱼₖ = (∂C₀/∂a⁽ˡ⁾ⱼ)(∂a⁽ˡ⁾ⱼ/∂z⁽ˡ⁾ⱼ)(∂z⁽ˡ⁾ⱼ/∂w⁽ˡ⁾ⱼₖ)

and, for a hidden layer, the first factor expanded over the nodes i of layer
l+1 ("what puts the back in backprop"):

    ∂C₀/∂a⁽ˡ⁾ⱼ = Σᵢ (∂C₀/∂a⁽ˡ⁺¹⁾ᵢ)(∂a⁽ˡ⁺¹⁾ᵢ/∂z⁽ˡ⁺¹⁾ᵢ) w⁽ˡ⁺¹⁾ᵢⱼ

Every value is a derivative taken from the graph with `autodiff.grad`, on
the nodes found by their labels (z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ, as `nn.layers` sets them); no
derivative formula is written here, so the factors are what the engine
computed, and their product is the parameter's gradient.

A loss over n samples (n z⁽ˡ⁾ⱼ nodes for the neuron, one per forward call)
is shown as "Backpropagation Explained" averages: ∂C/∂w = (1/n) Σᵢ ∂Cᵢ/∂w, one chain per sample,
where ∂Cᵢ/∂· is n times the gradient of C through sample i's nodes (exactly
the per-sample loss's gradient when C is the mean of the Cᵢ, as `nn.fit`
builds it).  A part of the gradient that does not pass through the z nodes
(an L2 penalty α Σ p², say) is shown as a separate term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autodiff import Value, grad, topological_order

from .notation import Label, parse

__all__ = ["explain", "Explanation", "Chain", "Term"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

#: How an activation op's derivative is written, text and LaTeX.
_PRIMES = {
    "relu": ("relu′", r"\operatorname{relu}'"),
    "tanh": ("tanh′", r"\tanh'"),
    "sigmoid": ("σ′", r"\sigma'"),
}


@dataclass(frozen=True)
class Term:
    """One factor of the chain rule, with its value.

    Attributes:
        name: the factor in the seeds' notation, e.g. ``"∂C₀/∂a⁽²⁾₁"``.
        latex: the same in LaTeX, e.g. ``r"\\frac{\\partial C_{0}}{\\partial a^{(2)}_{1}}"``.
        value: its value, taken from the graph.
        equals: what the factor amounts to in the seeds' notation, when the
            graph's structure says so (``"a⁽¹⁾₂"``, ``"tanh′(z⁽²⁾₁)"``,
            ``"w⁽³⁾₀₂"``, ``"1"``); "" otherwise.
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
        expansion: for a hidden layer, one row per node i of layer l+1:
            (∂Cᵢ/∂a⁽ˡ⁺¹⁾ᵢ, ∂a⁽ˡ⁺¹⁾ᵢ/∂z⁽ˡ⁺¹⁾ᵢ, ∂z⁽ˡ⁺¹⁾ᵢ/∂a⁽ˡ⁾ⱼ = w⁽ˡ⁺¹⁾ᵢⱼ), whose
            products sum (with ``other``) to the first factor; empty for the
            output layer.
        other: for a hidden layer whose activation also reaches the loss
            other than through layer l+1's z nodes, that part of the first
            factor; None otherwise.
    """

    sample: int
    factors: tuple
    value: float
    expansion: tuple = ()
    other: Term | None = None


# --------------------------------------------------------------------------
# Names


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def _partial(num: str, den: str) -> str:
    return f"∂{num}/∂{den}"


def _partial_latex(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _loss_names(sample: int) -> tuple[str, str]:
    """Cᵢ, sample i's loss, as text and LaTeX (C₀ for a single sample)."""
    return f"C{_sub(sample)}", f"C_{{{sample}}}"


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


def explain(loss: Value, param: Value) -> "Explanation":
    """The chain-rule breakdown of ∂loss/∂param, as "Backpropagation Explained" writes it.

    Args:
        loss: the loss Value (one sample's C₀, or a batch loss C built from
            several forward calls, possibly with a penalty on the parameters).
        param: a weight w⁽ˡ⁾ⱼₖ or bias b⁽ˡ⁾ⱼ of an `nn` model (found by its
            label), used in building ``loss``.

    Returns:
        An `Explanation`: ``.terms`` (the factors), ``.value`` (equal to
        ``param.grad`` after ``loss.backward()`` from zero gradients),
        ``.samples`` (one `Chain` per sample), ``.direct`` (the part not
        through the neuron's z nodes, or None); ``str()`` gives text,
        ``_repr_latex_`` LaTeX.  No ``.grad`` is changed.

    Raises:
        TypeError: if loss or param is not a Value.
        ValueError: if param carries no w/b label in the seeds' notation, is
            not in the loss's graph, or its neuron's z⁽ˡ⁾ⱼ node is not there.
    """
    lab = _check(loss, param)
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
    n = len(zs)
    a_lab = Label("a", l, j)
    acts = [graph.activation_of(z, a_lab) for z in zs]

    # the hidden-layer expansion: each sample's z⁽ˡ⁺¹⁾ᵢ nodes fed by its a⁽ˡ⁾ⱼ
    is_next_z = _is("z", l + 1)
    nexts = []
    for a in acts:
        next_zs, other_path = graph.reach(a, is_next_z)
        labelled = sorted(((_label_of(z), z) for z in next_zs), key=lambda p: p[0].j)
        rows = [(z, graph.activation_of(z, Label("a", l + 1, lz.j))) for lz, z in labelled]
        nexts.append((rows, other_path and bool(rows)))

    # ∂C/∂node for every node needed, in one reverse sweep
    wanted = [param, *acts, *[a2 for rows, _ in nexts for _, a2 in rows]]
    dC = dict(zip(wanted, grad(loss, wanted)))  # duplicates map to the same value

    chains = []
    for i, (z, a, (rows, other_path)) in enumerate(zip(zs, acts, nexts)):
        chains.append(_chain(i, n, lab, z, a, rows, other_path, param, dC, loss))

    if n == 1:
        terms = chains[0].factors
    else:
        sum_name = "Σᵢ " + _partial("Cᵢ", lab.text())
        sum_latex = r"\sum_{i} " + _partial_latex("C_{i}", lab.latex())
        terms = (
            Term("1/n", r"\frac{1}{n}", 1.0 / n, f"1/{n}", rf"\frac{{1}}{{{n}}}"),
            Term(sum_name, sum_latex, math.fsum(c.value for c in chains)),
        )
    direct = None
    if direct_path:
        # The engine sums the chain rule over exactly the paths that avoid zs.
        (avoiding,) = grad(loss, [param], stop_at=zs)
        direct = Term(
            f"{_partial('C', lab.text())}|not via {z_lab.text()}",
            rf"\left.{_partial_latex('C', lab.latex())}\right|"
            rf"_{{\text{{not via }} {z_lab.latex()}}}",
            avoiding,
        )
    return Explanation(param, lab, chains, terms, direct)


def _chain(i, n, lab, z, a, rows, other_path, param, dC, loss) -> Chain:
    """Sample i's factors (and, for a hidden layer, the expansion)."""
    l, j = lab.l, lab.j  # noqa: E741
    c_text, c_latex = _loss_names(i)
    a_lab, z_lab = Label("a", l, j), Label("z", l, j)
    dC_da = n * dC[a]
    first = Term(_partial(c_text, a_lab.text()), _partial_latex(c_latex, a_lab.latex()), dC_da)
    second = _activation_term(a, z, a_lab, z_lab)
    if lab.symbol == "w":
        input_lab = Label("a", l - 1, lab.k)
        eq, eq_latex = input_lab.text(), input_lab.latex()
    else:
        eq, eq_latex = "1", "1"
    (dz_dp,) = grad(z, [param])
    third = Term(
        _partial(z_lab.text(), lab.text()),
        _partial_latex(z_lab.latex(), lab.latex()),
        dz_dp,
        eq,
        eq_latex,
    )
    expansion = []
    for z2, a2 in rows:
        i2 = _label_of(z2).j
        a2_lab, z2_lab = Label("a", l + 1, i2), Label("z", l + 1, i2)
        w_lab = Label("w", l + 1, i2, j)
        (dz2_da,) = grad(z2, [a])
        row = (
            Term(
                _partial(c_text, a2_lab.text()),
                _partial_latex(c_latex, a2_lab.latex()),
                n * dC[a2],
            ),
            _activation_term(a2, z2, a2_lab, z2_lab),
            Term(
                _partial(z2_lab.text(), a_lab.text()),
                _partial_latex(z2_lab.latex(), a_lab.latex()),
                dz2_da,
                w_lab.text(),
                w_lab.latex(),
            ),
        )
        expansion.append(row)
    other = None
    if other_path:
        (avoiding,) = grad(loss, [a], stop_at=[z2 for z2, _ in rows])
        other = Term(
            f"{first.name}|not via z⁽{str(l + 1).translate(_SUP)}⁾",
            rf"\left.{first.latex}\right|_{{\text{{not via }} z^{{({l + 1})}}}}",
            n * avoiding,
        )
    factors = (first, second, third)
    return Chain(i, factors, math.prod(t.value for t in factors), tuple(expansion), other)


def _activation_term(a, z, a_lab: Label, z_lab: Label) -> Term:
    name = _partial(a_lab.text(), z_lab.text())
    latex = _partial_latex(a_lab.latex(), z_lab.latex())
    if a is z:  # linear: a ≡ z
        return Term(name, latex, 1.0, "1", "1")
    (value,) = grad(a, [z])
    prime, prime_latex = _PRIMES.get(a.op, ("g′", "g'"))
    return Term(name, latex, value, f"{prime}({z_lab.text()})", rf"{prime_latex}({z_lab.latex()})")


# --------------------------------------------------------------------------
# The result


def _num(x: float) -> str:
    return f"{x + 0.0:.6g}"  # + 0.0 turns -0.0 into 0.0


def _num_latex(x: float) -> str:
    if math.isnan(x):
        return r"\text{nan}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = f"{x:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _product(terms) -> str:
    return "".join(f"({_num(t.value)})" for t in terms)


def _product_latex(terms) -> str:
    return "".join(rf"\left({_num_latex(t.value)}\right)" for t in terms)


class Explanation:
    """The chain-rule breakdown of ∂C/∂p for one parameter p (see `explain`).

    ``.value == math.prod(t.value for t in .terms) + (.direct.value if
    .direct else 0)``, and equals ``p.grad`` after ``loss.backward()`` from
    zero gradients (up to rounding in the last bits).

    Attributes:
        param (Value): the parameter p.
        label (Label): its parsed label (symbol "w" or "b", l, j, k).
        n (int): the number of samples (z⁽ˡ⁾ⱼ nodes of its neuron in the graph).
        samples (tuple[Chain]): one chain-rule product per sample.
        terms (tuple[Term]): factors whose product is the gradient through the
            z nodes: for one sample, the three factors of
            "Backpropagation Explained"; for n samples,
            1/n and Σᵢ ∂Cᵢ/∂p (that text's average; the sum's parts are
            ``samples``).
        direct (Term | None): the gradient along the paths from p to the loss
            that avoid the z nodes (e.g. an L2 penalty), or None if no such
            path exists.
        value (float): ∂C/∂p.
    """

    def __init__(self, param, label, samples, terms, direct) -> None:
        self.param = param
        self.label = label
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

    def _loss_symbol(self) -> tuple[str, str]:
        """The loss's name on the left-hand side: C₀ for one sample's own
        loss, C for a batch or a loss with a direct term."""
        if self.n == 1 and self.direct is None:
            return "C₀", "C_{0}"
        return "C", "C"

    # -- text ---------------------------------------------------------------

    def text(self, max_samples: int | None = 6) -> str:
        """The multi-line Unicode form.  With several samples, the first
        ``max_samples`` chains are written out (None: all of them)."""
        p = self.label.text()
        c, _ = self._loss_symbol()
        lhs = _partial(c, p)
        if self.n == 1:
            symbolic = "".join(f"({t.name})" for t in self.terms)
            numbers = _product(self.terms)
        else:
            symbolic = f"(1/n) Σᵢ {_partial('Cᵢ', p)}"
            numbers = f"(1/{self.n})({_num(self.terms[1].value)})"
        if self.direct is not None:
            symbolic += f" + {self.direct.name}"
            numbers += f" + ({_num(self.direct.value)})"
        note = f"    (n = {self.n} samples)" if self.n > 1 else ""
        pad = " " * len(lhs)
        lines = [f"{lhs} = {symbolic}{note}", f"{pad} = {numbers}", f"{pad} = {_num(self.value)}"]
        shown = self.samples if max_samples is None else self.samples[:max_samples]
        for chain in shown:
            if self.n > 1:
                head = f"sample {chain.sample}: {_partial(f'C{_sub(chain.sample)}', p)}"
                lines.append(f"{head} = " + "".join(f"({t.name})" for t in chain.factors))
                lines.append(f"{' ' * len(head)} = {_product(chain.factors)} = {_num(chain.value)}")
            lines.extend(self._where(chain, "  " if self.n == 1 else "    "))
        if len(shown) < self.n:
            lines.append(f"… and {self.n - len(shown)} more samples (see .samples)")
        return "\n".join(lines)

    def _where(self, chain: Chain, indent: str) -> list[str]:
        """The lines giving each factor of ``chain`` its value."""
        lines = [indent[:-2] + "where"]
        first, second, third = chain.factors
        if chain.expansion:
            nxt = f"⁽{str(self.label.l + 1).translate(_SUP)}⁾"
            c = f"C{_sub(chain.sample)}"
            a = Label("a", self.label.l, self.label.j).text()
            head = f"{indent}{first.name} = "
            pad = " " * (len(head) - 2)
            lines.append(f"{head}Σᵢ (∂{c}/∂a{nxt}ᵢ)(∂a{nxt}ᵢ/∂z{nxt}ᵢ)(∂z{nxt}ᵢ/∂{a})")
            for k, (d_a, d_z, w) in enumerate(chain.expansion):
                lines.append(
                    f"{pad}{'=' if k == 0 else '+'} ({_num(d_a.value)})({_num(d_z.value)})"
                    f"({w.equals} = {_num(w.value)})"
                )
            if chain.other is not None:
                lines.append(f"{pad}+ {chain.other.name} = {_num(chain.other.value)}")
            lines.append(f"{pad}= {_num(first.value)}")
        else:
            lines.append(f"{indent}{first.name} = {_num(first.value)}")
        for term in (second, third):
            equals = f" = {term.equals}" if term.equals and term.equals != _num(term.value) else ""
            lines.append(f"{indent}{term.name}{equals} = {_num(term.value)}")
        return lines

    def __str__(self) -> str:
        return self.text()

    # -- LaTeX --------------------------------------------------------------

    def latex(self, max_samples: int | None = 6) -> str:
        """The LaTeX form, a ``$$\\begin{aligned}…\\end{aligned}$$`` block
        (the first ``max_samples`` samples written out; None: all)."""
        p = self.label.latex()
        _, c = self._loss_symbol()
        lhs = _partial_latex(c, p)
        if self.n == 1:
            symbolic = r"\,".join(t.latex for t in self.terms)
            numbers = _product_latex(self.terms)
        else:
            symbolic = r"\frac{1}{n} \sum_{i} " + _partial_latex("C_{i}", p)
            numbers = rf"\frac{{1}}{{{self.n}}}\left({_num_latex(self.terms[1].value)}\right)"
        if self.direct is not None:
            symbolic += " + " + self.direct.latex
            numbers += rf" + \left({_num_latex(self.direct.value)}\right)"
        rows = [f"{lhs} &= {symbolic}", f"&= {numbers}", f"&= {_num_latex(self.value)}"]
        if self.n > 1:
            rows[0] += rf" \qquad (n = {self.n})"
        shown = self.samples if max_samples is None else self.samples[:max_samples]
        for chain in shown:
            if self.n > 1:
                rows.append(
                    _partial_latex(f"C_{{{chain.sample}}}", p)
                    + " &= "
                    + r"\,".join(t.latex for t in chain.factors)
                )
                rows.append(f"&= {_product_latex(chain.factors)} = {_num_latex(chain.value)}")
            rows.extend(self._where_latex(chain))
        if len(shown) < self.n:
            rows.append(rf"&\text{{… and {self.n - len(shown)} more samples}}")
        return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"

    def _where_latex(self, chain: Chain) -> list[str]:
        first, second, third = chain.factors
        rows = []
        if chain.expansion:
            l1, j = self.label.l + 1, self.label.j
            c = f"C_{{{chain.sample}}}"
            a_next, z_next = f"a^{{({l1})}}_{{i}}", f"z^{{({l1})}}_{{i}}"
            w = f"w^{{({l1})}}_{{i{',' if j >= 10 else ''}{j}}}"
            rows.append(
                rf"{first.latex} &= \sum_{{i}} {_partial_latex(c, a_next)}\,"
                rf"{_partial_latex(a_next, z_next)}\,{w}"
            )
            parts = [
                rf"\left({_num_latex(d_a.value)}\right)\left({_num_latex(d_z.value)}\right)"
                rf"\underbrace{{\left({_num_latex(wt.value)}\right)}}_{{{wt.equals_latex}}}"
                for d_a, d_z, wt in chain.expansion
            ]
            if chain.other is not None:
                parts.append(rf"\left({_num_latex(chain.other.value)}\right)")
            rows.append("&= " + " + ".join(parts))
            rows.append(f"&= {_num_latex(first.value)}")
        else:
            rows.append(f"{first.latex} &= {_num_latex(first.value)}")
        for term in (second, third):
            plain = term.equals_latex and term.equals_latex != _num_latex(term.value)
            equals = f"{term.equals_latex} = " if plain else ""
            rows.append(f"{term.latex} &= {equals}{_num_latex(term.value)}")
        return rows

    def _repr_latex_(self) -> str:
        return self.latex()
