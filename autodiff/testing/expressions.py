"""Random expression graphs over the whole op table, at a point.

`expressions` is the Hypothesis strategy; it draws a `RandomExpression`,
built op by op by `_Builder` so that it stays valid at its point, and shown
by its formula (`_format`, the pretty-printer).
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, Sequence

from hypothesis import assume
from hypothesis import strategies as st

from .. import primitives as _primitives
from .. import value as _value_module
from ..arguments import is_int, type_name
from ..modes import no_grad
from ..ops import OPS
from ..value import Value, dot
from ..value import sum as value_sum
from .strategies import DOMAINS, MARGIN, _domain_of, _floats, _in_domain, floats_in, points

#: The largest magnitude of any value inside a drawn expression; keeps the
#: round-off of central differences small against the gradients.
BOUND = 1e3

#: Half-width of the box around an expression's point inside which every op's
#: inputs are checked to stay in their domains (100 times the default eps of
#: the central differences).
NEIGHBOURHOOD = 1e-4

# Operands that are plain numbers (constants) keep this far from 0 and this
# small, and "**c" exponents are drawn from this range.
_CONSTANT_MARGIN = 0.25
_CONSTANT_BOUND = 3.0
_EXPONENT_RANGE = (-2.0, 3.0)


# --------------------------------------------------------------------------
# How to apply each op: to Values (through the public operators and
# functions), and to torch tensors.  An op not listed is applied through its
# `Value` method when it has one (a new unary op), else through the engine's
# general node constructor.

_OPERATORS: dict[str, Callable[..., Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "**c": operator.pow,
    "%": operator.mod,
    "neg": operator.neg,
    "abs": abs,
}

#: The table's one-input ops that are ``torch.nn.functional`` functions of
#: the same name, with the arguments that make them the table's (the others
#: are ``torch.<name>``).
_TORCH_FUNCTIONAL: dict[str, dict[str, Any]] = {
    "leaky_relu": {},
    "elu": {},
    "gelu": {"approximate": "tanh"},
    "silu": {},
    "softplus": {},
}


def _dot_of(args):
    # args: w₁..wₙ, x₁..xₙ and, when there is an odd number, a bias last
    n = len(args) // 2
    if len(args) % 2:
        return dot(args[:n], args[n : 2 * n], args[-1])
    return dot(args[:n], args[n:])


def _apply_value(name: str, args: list):
    """Op ``name`` on ``args`` (Values and numbers), as a user would write it."""
    if name in _OPERATORS:
        return _OPERATORS[name](*args)
    if name == "sum":
        return value_sum(args)
    if name == "dot":
        return _dot_of(args)
    user = _primitives.FUNCTIONS.get(name)
    if user is not None:  # a user primitive: its autodiff function
        return user(*args)
    if len(args) == 1 and hasattr(Value, name):
        return getattr(Value, name)(args[0])
    parents = tuple(a if isinstance(a, Value) else Value(a) for a in args)
    return _value_module.apply(OPS[name], parents)


def _apply_torch(name: str, args: list):
    """Op ``name`` on ``args`` (float64 tensors and numbers), in PyTorch."""
    import torch

    if name in _primitives.FUNCTIONS:
        raise NotImplementedError(
            f"op {name!r} is a user primitive, which PyTorch does not know: "
            f'check it with oracle="central", or leave it out with '
            f"expressions(ops=[...])"
        )
    if name == "%":
        return torch.remainder(*args) if isinstance(args[0], torch.Tensor) else (
            torch.remainder(torch.tensor(float(args[0]), dtype=torch.float64), args[1])
        )
    if name in _OPERATORS:
        if name == "abs":
            return torch.abs(args[0])
        return _OPERATORS[name](*args)
    tensors = [
        a if isinstance(a, torch.Tensor) else torch.tensor(float(a), dtype=torch.float64)
        for a in args
    ]
    if name == "sum":
        return torch.stack(tensors).sum()
    if name == "dot":
        n = len(tensors) // 2
        out = torch.dot(torch.stack(tensors[:n]), torch.stack(tensors[n : 2 * n]))
        return out + tensors[-1] if len(tensors) % 2 else out
    if name in _TORCH_FUNCTIONAL:
        return getattr(torch.nn.functional, name)(tensors[0], **_TORCH_FUNCTIONAL[name])
    function = getattr(torch, name, None)
    if len(args) != 1 or function is None:
        raise NotImplementedError(
            f"autodiff.testing has no PyTorch translation for op {name!r}; "
            f"add one to _apply_torch"
        )
    return function(tensors[0])


# --------------------------------------------------------------------------
# Expressions


class RandomExpression:
    """A random expression graph over the op table, at a point.

    Call it with one Value per input, ``expr(*values)``, to build its graph
    and get the output Value.  ``expr.torch(*tensors)`` computes the same
    formula in PyTorch (used by ``assert_gradients_close(..., oracle="torch")``).

    Attributes:
        n_inputs (int): how many inputs it takes.
        point (list[float]): where it is valid: at this point every op's
            inputs are inside the op's domain with MARGIN (and stay on the
            same side of 0 within ±NEIGHBOURHOOD), and every value that is
            the input of an op has magnitude at most BOUND (only the final
            "+" joins of loose ends may exceed it).
        ops_used (frozenset[str]): the OPS names of the ops it contains,
            repairs included.
        steps (tuple): the ops in order, as ``(name, args)``; an int in
            ``args`` is the index of an earlier node (inputs are nodes
            0..n_inputs-1, then one node per step), a float is a constant.
        formula (str): the expression as text, e.g. ``"log((x0 * x1) + 0.5)"``;
            a node used more than once is named (``"t3 = ...; t3 * t3"``).
    """

    __slots__ = ("n_inputs", "point", "steps", "ops_used", "_formula")

    def __init__(self, n_inputs: int, point: Sequence[float], steps) -> None:
        """Args: as the attributes of the same names (`expressions` makes
        these; build one by hand to pin down a case found by Hypothesis)."""
        if not is_int(n_inputs) or n_inputs < 0:
            raise ValueError(f"n_inputs must be an int >= 0, got {n_inputs!r}")
        if len(point) != n_inputs:
            raise ValueError(f"point must have n_inputs={n_inputs} coordinates, got {len(point)}")
        self.n_inputs = n_inputs
        self.point = _floats(point)
        self.steps = tuple((name, tuple(args)) for name, args in steps)
        for i, (name, args) in enumerate(self.steps):
            if name not in OPS:
                raise ValueError(f"steps[{i}]: unknown op {name!r}; known: {', '.join(OPS)}")
            for a in args:
                if type(a) is int:
                    if not 0 <= a < n_inputs + i:
                        raise ValueError(
                            f"steps[{i}]: node {a} is not an earlier node (0..{n_inputs + i - 1})"
                        )
                elif type(a) is not float:
                    raise TypeError(
                        f"steps[{i}]: an argument is a node index (int) or a constant "
                        f"(float), got {type_name(a)}"
                    )
        self.ops_used = frozenset(name for name, _ in self.steps)
        self._formula: str | None = None

    def _run(self, inputs, apply_op, record=None):
        nodes = list(inputs)
        for name, args in self.steps:
            out = apply_op(name, [nodes[a] if type(a) is int else a for a in args])
            nodes.append(out)
            if record is not None:
                record.append(out)
        return nodes[-1]

    def __call__(self, *inputs) -> Value:
        """Build the expression's graph on ``inputs`` (Values, or numbers that
        become leaves) and return its output Value."""
        if len(inputs) != self.n_inputs:
            raise TypeError(
                f"this expression takes {self.n_inputs} inputs, got {len(inputs)}"
            )
        values = [
            x if isinstance(x, Value) else Value(x, label=f"x{i}") for i, x in enumerate(inputs)
        ]
        return self._run(values, _apply_value)

    def torch(self, *tensors):
        """The same formula computed in PyTorch on ``tensors`` (float64 scalars)."""
        if len(tensors) != self.n_inputs:
            raise TypeError(
                f"this expression takes {self.n_inputs} inputs, got {len(tensors)}"
            )
        return self._run(tensors, _apply_torch)

    @property
    def formula(self) -> str:
        """The expression as text (see the class docstring)."""
        if self._formula is None:
            self._formula = _format(self.n_inputs, self.steps)
        return self._formula

    def __repr__(self) -> str:
        return f"RandomExpression({self.formula!r}, point={self.point!r})"


def _format(n_inputs: int, steps) -> str:
    uses = [0] * (n_inputs + len(steps))
    for _, args in steps:
        for a in args:
            if type(a) is int:
                uses[a] += 1
    texts = [f"x{i}" for i in range(n_inputs)]
    atoms = [True] * n_inputs  # an atom needs no parentheses as an operand
    bindings = []

    def raw(a) -> str:
        return texts[a] if type(a) is int else repr(a)

    def operand(a) -> str:
        if type(a) is not int:
            return f"({a!r})" if a < 0 else repr(a)
        return texts[a] if atoms[a] else f"({texts[a]})"

    for i, (name, args) in enumerate(steps):
        node = n_inputs + i
        symbol = OPS[name].symbol
        if name == "neg":
            text, atom = f"-{operand(args[0])}", False
        elif len(args) == 2 and symbol in ("+", "-", "*", "/", "**", "%"):
            text, atom = f"{operand(args[0])} {symbol} {operand(args[1])}", False
        elif name == "dot":
            n = len(args) // 2
            ws = ", ".join(map(raw, args[:n]))
            xs = ", ".join(map(raw, args[n : 2 * n]))
            bias = f", {raw(args[-1])}" if len(args) % 2 else ""
            text, atom = f"dot([{ws}], [{xs}]{bias})", True
        elif name == "sum":
            text, atom = f"sum([{', '.join(map(raw, args))}])", True
        else:
            text, atom = f"{name}({', '.join(map(raw, args))})", True
        if uses[node] > 1:
            bindings.append(f"t{node} = {text}")
            text, atom = f"t{node}", True
        texts.append(text)
        atoms.append(atom)
    return "; ".join(bindings + [texts[-1]])


class _Builder:
    """Grows an expression at a fixed point, one op at a time, keeping every
    op's inputs inside its domain and every value inside BOUND."""

    def __init__(self, draw, point: list[float]) -> None:
        self.draw = draw
        self.n_inputs = len(point)
        self.data = list(point)  # the value of every node at the point
        self.steps: list[tuple[str, tuple]] = []

    # -- nodes --------------------------------------------------------------

    def node(self, name: str, args, bounded: bool = True):
        """Append op ``name`` on ``args``; its node index, or None (nothing
        appended) when its value is not finite or, if ``bounded``, exceeds BOUND."""
        with no_grad():
            out = _apply_value(name, [Value(self.data[a]) if type(a) is int else a for a in args])
        v = out.data
        if not math.isfinite(v) or (bounded and abs(v) > BOUND):
            return None
        if name == "%":
            x, y = (self.data[a] if type(a) is int else a for a in args)
            if not _clear_of_jumps(x, y):
                return None
        self.steps.append((name, tuple(args)))
        self.data.append(v)
        return len(self.data) - 1

    def rollback(self, n_steps: int) -> None:
        del self.steps[n_steps:]
        del self.data[self.n_inputs + n_steps :]

    def pick(self) -> int:
        # Counted back from the newest node, so that shrinking makes chains.
        return len(self.data) - 1 - self.draw(st.integers(0, len(self.data) - 1))

    def constant(self, domain: str) -> float:
        return self.draw(floats_in(domain, bound=_CONSTANT_BOUND, margin=_CONSTANT_MARGIN))

    def maybe_constant(self) -> bool:
        return self.draw(st.sampled_from((False, False, False, False, True)))

    # -- repairs ------------------------------------------------------------

    def scaled(self, a):
        """``a``, or ``a * 10⁻ᵏ`` when |a| > 1, so that the result is at most 1."""
        if type(a) is not int or abs(self.data[a]) <= 1.0:
            return a
        k = math.ceil(math.log10(abs(self.data[a])))
        return self.node("*", (a, 10.0**-k))

    def fit(self, a, domain: str):
        """``a`` moved inside ``domain`` with MARGIN (None if that fails)."""
        if a is None or type(a) is not int or _in_domain(domain, self.data[a], MARGIN):
            return a
        if domain == "unit":  # 0.9·t, with t scaled to |t| <= 1
            t = self.scaled(a)
            return None if t is None else self.node("*", (t, 0.9))
        if domain in ("positive", "above_minus_one"):  # t*t + c, t scaled so t*t stays small
            t = self.scaled(a)
            square = None if t is None else self.node("*", (t, t))
            c = self.draw(st.floats(0.5, 2.0))
            return None if square is None else self.node("+", (square, c))
        # nonzero / nonkink: |a| < MARGIN, so a ± c with c >= 0.5 is >= 0.4 away from 0
        c = self.draw(st.floats(0.5, 2.0))
        return self.node("+", (a, c if self.data[a] >= 0.0 else -c))

    def between_jumps(self, x, y) -> list:
        """The operands of x % y, x moved by a constant when x/y is near an
        integer (a jump of the remainder), so that x/y ends half-way between two."""
        xv = self.data[x] if type(x) is int else x
        yv = self.data[y] if type(y) is int else y
        if _clear_of_jumps(xv, yv):
            return [x, y]
        q = xv / yv
        shift = (0.5 - (q - math.floor(q))) * yv
        if type(x) is not int:
            return [x + shift, y]
        return [self.node("+", (x, shift)), y]

    # -- ops ----------------------------------------------------------------

    def operands(self, name: str, op) -> list:
        """Draw the operands of one application of ``op``: node indices, and
        constants where Python's operators or the n-ary functions take them."""
        if name == "**c":  # Value ** number
            return [self.pick(), self.draw(st.floats(*_EXPONENT_RANGE))]
        if name == "**":  # Value ** Value, or number ** Value (reflected)
            base = self.constant("positive") if self.maybe_constant() else self.pick()
            # At an exponent of exactly 0 PyTorch takes ∂(x^y)/∂x as the
            # constant 0, losing ∂²/∂y∂x, so its double backward is no oracle
            # there: keep the exponent clear of 0.
            return [base, self.fit(self.pick(), "nonzero")]
        if name in ("+", "-", "*", "/", "%"):
            args: list[int | float] = [self.pick(), self.pick()]
            if self.maybe_constant():  # 2 - x or x - 2: reflected or plain
                side = self.draw(st.sampled_from((0, 1)))
                args[side] = self.constant(_domain_of(op, side))
            return args
        if op.arity is None:
            if name == "dot":  # n pairs, and sometimes a bias
                count = 2 * self.draw(st.integers(1, 3)) + self.draw(st.sampled_from((0, 1)))
            else:
                count = self.draw(st.integers(1, 4))
            args = [
                self.constant("any") if self.maybe_constant() else self.pick()
                for _ in range(count)
            ]
            if all(type(a) is not int for a in args):
                args[0] = self.pick()
            return args
        return [self.pick() for _ in range(op.arity)]

    def add(self, name: str):
        """Apply op ``name`` once; its node index, or None if it could not be
        kept inside the domains and BOUND."""
        op = OPS[name]
        drawn = self.operands(name, op)
        mark = len(self.steps)
        for attempt in range(2):
            if attempt:  # second try: every operand scaled to |v| <= 1 first
                self.rollback(mark)
                args = [self.scaled(a) for a in drawn]
            else:
                args = drawn
            args = [self.fit(a, _domain_of(op, i)) for i, a in enumerate(args)]
            if name == "%" and None not in args:
                args = self.between_jumps(*args)
            if None not in args:
                out = self.node(name, args)
                if out is not None:
                    return out
        self.rollback(mark)
        return None

    def join(self) -> None:
        """Add every node no op uses (inputs included) into the output, so
        that the output depends on every input and every op."""
        used = {a for _, args in self.steps for a in args if type(a) is int}
        out = len(self.data) - 1
        for i in range(len(self.data) - 1):
            if i not in used:
                joined = self.node("+", (out, i), bounded=False)
                if joined is not None:
                    out = joined


#: How far from a jump of x mod y (an integer x/y) the ratio of a "%" op
#: stays, as a fraction of one period.
_JUMP_MARGIN = 0.05


def _clear_of_jumps(x: float, y: float) -> bool:
    """Whether x mod y is ``_JUMP_MARGIN`` of a period away from its jumps."""
    q = x / y
    frac = q - math.floor(q)
    return _JUMP_MARGIN <= frac <= 1.0 - _JUMP_MARGIN


def _stable_near(expr: RandomExpression, data: list[float], h: float) -> bool:
    """True when, at the point moved by ±h in each input, every op's inputs
    keep the side of 0 they have at the point (for restricted domains) and
    every value stays finite."""
    checks = []  # the nodes that are inputs of ops with a domain whose edge is 0
    inside = []  # (node, domain) for the domains with other edges
    ratios = []  # the operands of each "%", whose floor(x/y) must not move
    for name, args in expr.steps:
        op = OPS[name]
        if name == "%":
            ratios.append(args)
        for k, a in enumerate(args):
            domain = _domain_of(op, k)
            if type(a) is int and domain in ("unit", "above_minus_one"):
                inside.append((a, domain))
            elif type(a) is int and domain != "any":
                checks.append(a)
    for j in range(expr.n_inputs):
        for step in (h, -h):
            moved = list(expr.point)
            moved[j] += step
            record: list = []
            with no_grad():
                expr._run([Value(x) for x in moved], _apply_value, record)
            values = moved + [v.data for v in record]
            if not all(math.isfinite(v) for v in values):
                return False
            for a in checks:
                if values[a] == 0.0 or (values[a] > 0.0) != (data[a] > 0.0):
                    return False
            for a, domain in inside:
                if not _in_domain(domain, values[a], 0.0):
                    return False

            def at(a, vs):
                return vs[a] if type(a) is int else a

            for x, y in ratios:
                moved_floor = math.floor(at(x, values) / at(y, values))
                if moved_floor != math.floor(at(x, data) / at(y, data)):
                    return False
    return True


def expressions(n_inputs: int = 2, max_ops: int = 8, ops=None):
    """A strategy of `RandomExpression`: random graphs over the op table.

    Args:
        n_inputs: how many inputs (>= 1); the point is drawn in [-3, 3].
        max_ops: how many ops to draw (1..max_ops); repairs and the final
            joins add a few "+", "*" nodes on top.
        ops: the OPS names to draw from (default: every entry of the table).
            Ask for one op, ``ops=["log"]``, to test it inside random graphs;
            repairs still use "+" and "*".

    Returns:
        A Hypothesis strategy.  Every expression uses each of its inputs and
        each of its nodes, is valid at its ``.point`` (see `RandomExpression`)
        and shows its formula in its repr, so a failing example reads well.
    """
    for name, value in (("n_inputs", n_inputs), ("max_ops", max_ops)):
        if not is_int(value):
            raise TypeError(f"{name} must be an int, got {type_name(value)}")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if ops is None:
        names = list(OPS)
    else:
        if isinstance(ops, str):
            raise TypeError(f"ops must be a list of op names, got the str {ops!r}")
        names = list(ops)
        unknown = [n for n in names if n not in OPS]
        if unknown or not names:
            raise ValueError(
                f"ops must be a non-empty list of names from autodiff.ops.OPS "
                f"({', '.join(OPS)}); unknown: {unknown}"
            )
    for name in names:
        for d in OPS[name].domain:
            if d not in DOMAINS:
                raise ValueError(f"op {name!r} has domain {d!r}; known: {', '.join(DOMAINS)}")

    @st.composite
    def draw_expression(draw):
        point = draw(points(n_inputs, "any"))
        builder = _Builder(draw, point)
        for _ in range(draw(st.integers(1, max_ops))):
            builder.add(draw(st.sampled_from(names)))
        if not builder.steps:  # every drawn op failed (an op with a narrow range)
            builder.node("+", (0, 0))
        builder.join()
        expr = RandomExpression(n_inputs, point, builder.steps)
        assume(_stable_near(expr, builder.data, NEIGHBOURHOOD))
        return expr

    return draw_expression()
