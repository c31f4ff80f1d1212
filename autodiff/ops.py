"""The op table: every primitive of the engine, defined once.

Each entry holds the forward function on floats beside the rule for its local
derivatives, with the maths in a one-line comment.  `Value`'s operators and
functions only dispatch here; adding an op means adding one entry (a one-input
entry marked ``function=True`` is also a `Value` method and an `autodiff`
function, and a name the command line's expressions accept).

A rule is pure: ``partials(F, *inputs, result)`` returns the tuple of
∂result/∂input, one per input (an n-ary op's rule takes the inputs as one
sequence, ``partials(F, inputs, result)``, as does its forward), and never
touches ``.grad`` (the engine multiplies by the incoming gradient and sums).
``F`` is a namespace of the few functions a rule needs beyond ``+ - *``:
`FLOAT` when the inputs are floats (first-order backward), `GRAPH` when they
are `Value` nodes (``create_graph``), so the same rule yields derivatives of
any order.

Forward functions follow IEEE float64 as PyTorch's double does: they return
``inf`` or ``nan`` where Python's ``math`` would raise.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable

INF = math.inf
NAN = math.nan

#: The domain names an op's inputs may have (`Op.domain`), for
#: `autodiff.testing`: where central differences are reliable.
DOMAINS = ("any", "positive", "nonzero", "nonkink", "unit", "above_minus_one")


# --------------------------------------------------------------------------
# IEEE-safe float functions (Python raises where IEEE gives inf or nan)


def div(x: float, y: float) -> float:
    """x / y with IEEE semantics: ±inf for a non-zero over zero, nan for 0/0."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == int(y) and int(y) % 2 == 1


def pow_(x: float, y: float) -> float:
    """x ** y with IEEE semantics: nan for a negative base and fractional exponent."""
    try:
        return math.pow(x, y)
    except ValueError:  # 0 ** negative, or negative ** non-integer
        if x == 0.0:
            return math.copysign(INF, x) if _is_odd_integer(y) else INF
        return NAN
    except OverflowError:
        return -INF if x < 0.0 and _is_odd_integer(y) else INF


def exp(x: float) -> float:
    """e ** x; inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural log: -inf at 0, nan below 0."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN  # negative or nan


def sqrt(x: float) -> float:
    """Square root: nan below 0."""
    return math.sqrt(x) if x >= 0.0 else NAN


def sin(x: float) -> float:
    """Sine; nan at ±inf."""
    return math.sin(x) if math.isfinite(x) else NAN


def cos(x: float) -> float:
    """Cosine; nan at ±inf."""
    return math.cos(x) if math.isfinite(x) else NAN


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = exp(x)
    return e / (1.0 + e)


def relu(x: float) -> float:
    """max(0, x); nan stays nan."""
    return x if x > 0.0 or x != x else 0.0


def _unit_interval(f: Callable[[float], float]) -> Callable[[float], float]:
    # asin and acos: nan outside [-1, 1] (and at nan), where math raises
    def safe(x: float) -> float:
        return f(x) if -1.0 <= x <= 1.0 else NAN

    safe.__name__ = f.__name__
    safe.__doc__ = f"{f.__name__}(x); nan outside [-1, 1]."
    return safe


asin = _unit_interval(math.asin)
acos = _unit_interval(math.acos)


def atan(x: float) -> float:
    """Arctangent; ±π/2 at ±inf."""
    return math.atan(x)


def log1p(x: float) -> float:
    """ln(1 + x), accurate near 0: -inf at -1, nan below."""
    if x > -1.0:
        return math.log1p(x)
    if x == -1.0:
        return -INF
    return NAN  # below -1, or nan


def expm1(x: float) -> float:
    """eˣ - 1, accurate near 0; inf on overflow."""
    try:
        return math.expm1(x)
    except OverflowError:
        return INF


def mod(x: float, y: float) -> float:
    """x mod y with the sign of y (Python's ``%``, PyTorch's ``remainder``),
    as PyTorch double computes it: nan for y = 0 or an infinite x; the fmod
    result moved by y when their signs differ (so ``-0.0 % 2.0`` is -0.0)."""
    if y == 0.0 or not math.isfinite(x) or y != y:
        return NAN
    r = math.fmod(x, y)
    if r != 0.0 and (y < 0.0) != (r < 0.0):
        r += y
    return r


#: The fixed negative slope of `leaky_relu` (PyTorch's default).
LEAKY_SLOPE = 0.01

#: `softplus` is x itself above this input (PyTorch's default threshold).
SOFTPLUS_THRESHOLD = 20.0

#: √(2/π), the scale of gelu's tanh approximation.
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


def leaky_relu(x: float) -> float:
    """x for x > 0, else 0.01·x (PyTorch's default slope); nan stays nan."""
    return x if x > 0.0 else LEAKY_SLOPE * x


def elu(x: float) -> float:
    """x for x > 0, else eˣ - 1 (alpha = 1)."""
    return x if x > 0.0 else expm1(x)


def gelu(x: float) -> float:
    """x·Φ(x) by the tanh approximation (PyTorch's ``approximate="tanh"``):
    ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    # x*x*x rather than x**3: inf rather than OverflowError for a huge x
    return 0.5 * x * (1.0 + math.tanh(_GELU_K * (x + _GELU_C * (x * x * x))))


def silu(x: float) -> float:
    """x·σ(x) (the swish)."""
    return x * sigmoid(x)


def softplus(x: float) -> float:
    """ln(1 + eˣ), and x itself above 20 (PyTorch's beta = 1, threshold = 20)."""
    return x if x > SOFTPLUS_THRESHOLD else math.log1p(exp(x))


class _FloatMath:
    """The rule namespace for float inputs."""

    div = staticmethod(div)
    pow = staticmethod(pow_)
    exp = staticmethod(exp)
    log = staticmethod(log)
    sqrt = staticmethod(sqrt)
    sin = staticmethod(sin)
    cos = staticmethod(cos)
    tanh = staticmethod(math.tanh)
    sigmoid = staticmethod(sigmoid)

    @staticmethod
    def value(x: float) -> float:
        return x

    @staticmethod
    def mask(make) -> float:
        # a first-order masked partial is an exact zero (see `_Masked`)
        return MASKED


class _GraphMath:
    """The rule namespace for `Value` inputs: each function records new nodes."""

    div = staticmethod(operator.truediv)
    pow = staticmethod(operator.pow)
    exp = staticmethod(lambda x: x.exp())
    log = staticmethod(lambda x: x.log())
    sqrt = staticmethod(lambda x: x.sqrt())
    sin = staticmethod(lambda x: x.sin())
    cos = staticmethod(lambda x: x.cos())
    tanh = staticmethod(lambda x: x.tanh())
    sigmoid = staticmethod(lambda x: x.sigmoid())

    @staticmethod
    def value(x) -> float:
        return x.data if hasattr(x, "data") else x

    @staticmethod
    def mask(make):
        # the partial's node is kept, for the higher derivatives it carries
        return MaskedNode(make())


FLOAT = _FloatMath()
GRAPH = _GraphMath()


class _Masked(float):
    """The local derivative of an input that PyTorch masks out: its
    contribution is exactly +0.0 whatever the incoming gradient, even inf or
    nan (torch's backward is a ``where``, not a product: relu's is
    ``where(x <= 0, 0, grad)``, pow's ``where(exponent == 0, 0, ...)``).

    It equals 0.0 wherever a partial is read as a number.  ``g * MASKED``
    for a float ``g`` is 0.0: being a float subclass with its own
    ``__rmul__``, it is asked before ``float.__mul__``.  With a `Value` ``g``
    (``create_graph``) the engine asks `masked` for a constant zero node.
    """

    __slots__ = ()

    def __rmul__(self, other):
        return 0.0

    __mul__ = __rmul__

    def __repr__(self) -> str:
        return "MASKED"


#: See `_Masked`.
MASKED = _Masked(0.0)


class MaskedNode:
    """A masked partial under ``create_graph`` that keeps its node: a partial
    whose value is 0 but whose derivatives are not (d(x^y)/dx = y·x^(y-1) at
    y = 0 still varies with y).  Its contribution is ``g * node`` when that
    is an exact 0 (a finite ``g``, a node of value 0), else a constant zero,
    never the nan of inf·0.  See `contribution`.
    """

    __slots__ = ("node",)

    def __init__(self, node) -> None:
        self.node = node

    def __repr__(self) -> str:
        return f"MaskedNode({self.node!r})"


def masked(g):
    """The contribution of a masked input for the incoming gradient ``g``:
    0.0, or a constant zero node of ``g``'s type when ``g`` is a `Value`
    (so that it has no derivative either, as in PyTorch)."""
    return 0.0 if isinstance(g, float) else type(g)(0.0)


def contribution(g, d):
    """What a parent receives through a partial ``d`` for the incoming
    gradient ``g``: ``g * d``, except for a masked partial (see `MASKED`,
    `MaskedNode`), which contributes an exact zero whatever ``g`` is."""
    if d is MASKED:
        return masked(g)
    if type(d) is MaskedNode:
        node = d.node
        g_data = g.data if hasattr(g, "data") else g
        if node.data == 0.0 and math.isfinite(g_data):
            return g * node
        return masked(g)
    return g * d


# --------------------------------------------------------------------------
# The table


#: The shapes of `Op.shape`: local derivatives simple enough for the
#: first-order walk to push ``g`` × an input's value, or ``g`` itself,
#: without calling the rule.
#:
#: - ONES: every local derivative is 1 (x + y, Σ xᵢ).
#: - CROSSED: the inputs are two halves u₁…uₙ, v₁…vₙ, then maybe more;
#:   ∂/∂uᵢ = vᵢ, ∂/∂vᵢ = uᵢ, and 1 for each input after the halves
#:   (x·y; dot's Σ wᵢxᵢ + b).
#: - GATE: one input x; the derivative is 1 where x > 0 or x is nan, and
#:   `MASKED` (an exact zero) where x ≤ 0 (relu).
ONES = "ones"
CROSSED = "crossed"
GATE = "gate"


def push_order(op: Op, n: int) -> range | list[int]:
    """The order in which the walk adds a node's ``n`` contributions into its
    parents: the parents' order, except for a `CROSSED` op, whose pairs are
    pushed together (u₁, v₁, u₂, v₂, …, then the inputs after the halves).

    It matters only for a parent given more than once to one node, whose
    contributions are summed in this order; `backward`, `grad` and
    `autodiff.compile` all follow it, so their floats agree bit for bit.
    """
    if op.shape is not CROSSED or n <= 2:
        return range(n)
    half = n >> 1
    return [*(k for i in range(half) for k in (i, half + i)), *range(2 * half, n)]


@dataclass(frozen=True, eq=False, slots=True)
class Op:
    """One primitive.

    name:     the table key ("+", "tanh", "**c", ...).
    arity:    number of inputs, or None for an n-ary op.
    forward:  floats -> float: ``forward(*inputs)``; an n-ary op takes the
              sequence itself, ``forward(inputs)``.
    partials: ∂result/∂input for each input: ``partials(F, *inputs, result)``;
              an n-ary op takes ``partials(F, inputs, result)``.
    domain:   per input, where finite differences are reliable, for
              `autodiff.testing`: "any", "positive", "nonzero", "nonkink",
              "unit" (inside (-1, 1)), "above_minus_one" (x > -1).
    symbol:   what `Value.op` shows; the name unless given.
    function: for a one-input op, whether it is also the `Value` method and
              the `autodiff` function of its name (``x.tanh()``,
              ``autodiff.tanh(x)``); those are listed in `UNARY_FUNCTIONS`.
    forward_code, partials_code: optional, for `autodiff.compile`: the
              forward and each local derivative as an inline Python
              expression.  For a fixed arity, format strings over the input
              names ``{x}`` (and ``{y}``) and the result ``{r}``
              (``"{x} * {y}"``; ``("{y}", "{x}")``); for an n-ary op,
              functions of the list of input expressions (and ``r``) that
              return the code.  They may use the names in `CODE_GLOBALS`.
              Where they return, they must give the very float that
              ``forward``/``partials`` give; they may raise
              (ZeroDivisionError, ValueError, OverflowError) where those
              return inf or nan: the compiled step then reruns through the
              functions.  An op without them compiles to calls of
              ``forward`` and ``partials``.
    shape:    optional, `ONES`, `CROSSED` or `GATE` for an op whose local
              derivatives have that shape: the same derivatives as
              ``partials``, stated so that the first-order walk pushes
              ``g × value`` without calling the rule (a test holds the two
              to agreement).
    """

    name: str
    arity: int | None
    forward: Callable[..., float]
    partials: Callable[..., tuple]
    domain: tuple[str, ...] = ()
    symbol: str = ""
    function: bool = False
    forward_code: str | Callable[[list], str] | None = None
    partials_code: tuple[str, ...] | Callable[[list, str], tuple] | None = None
    shape: str | None = None

    def __post_init__(self) -> None:
        if self.shape is not None:
            shapes = {ONES: ONES, CROSSED: CROSSED, GATE: GATE}
            if not isinstance(self.shape, str) or self.shape not in shapes:
                raise ValueError(
                    f"op {self.name!r}: shape must be ONES, CROSSED, GATE or None, "
                    f"got {self.shape!r}"
                )
            object.__setattr__(self, "shape", shapes[self.shape])  # the constant itself
        if self.shape is GATE and self.arity != 1:
            raise ValueError(f"op {self.name!r}: only a one-input op can have the GATE shape")
        if self.function and self.arity != 1:
            raise ValueError(f"op {self.name!r}: only a one-input op can be a function")
        if not self.symbol:
            object.__setattr__(self, "symbol", self.name)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def _dpow_dexponent(F, x, y, r):
    # d x^y/dy = x^y ln x; taken as 0 at x = 0 for y >= 0 (as PyTorch does)
    if F.value(x) == 0.0 and F.value(y) >= 0.0:
        return 0.0
    return r * F.log(x)


def _dpow_dbase(F, x, y):
    # d x^y/dx = y x^(y-1); masked to an exact 0 at y = 0, whatever x and the
    # incoming gradient (PyTorch's where(exponent == 0, 0, ...): no 0·inf at
    # x = 0 or x = 5e-324, no inf·0 from above); elsewhere the formula, which
    # keeps the dependence on y that higher derivatives need
    if F.value(y) == 0.0:
        return F.mask(lambda: y * F.pow(x, y - 1.0))
    return y * F.pow(x, y - 1.0)


def _sign(F, x) -> float:
    v = F.value(x)
    return 1.0 if v > 0.0 else -1.0 if v < 0.0 else 0.0


def _minus_floor_ratio(F, x, y) -> float:
    # -floor(x/y), a float even on Values (its own derivative is 0 between the
    # jumps).  Python's float // computes it from fmod as PyTorch's floor
    # division does (1.0 // 0.1 is 9.0, where floor(1.0 / 0.1) is 10.0), so
    # it matches the remainder; PyTorch takes x / y at y = 0.
    xv, yv = F.value(x), F.value(y)
    return -div(xv, yv) if yv == 0.0 else -(xv // yv)


def _dgelu(F, x):
    t = F.tanh(_GELU_K * (x + _GELU_C * (x * x * x)))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_K * (1.0 + 3.0 * _GELU_C * (x * x))


def _dsilu(F, x):
    s = F.sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def _dsoftplus(F, x):
    return 1.0 if F.value(x) > SOFTPLUS_THRESHOLD else F.sigmoid(x)


def weighted_sum(ws, xs, b: float = 0.0) -> float:
    """Σ wᵢxᵢ + b over two equal-length sequences of floats: dot's forward."""
    return sum(map(operator.mul, ws, xs), b)


def _dot_forward(inputs) -> float:
    # inputs: w₁..wₙ, x₁..xₙ, and optionally a bias b last
    n = len(inputs) >> 1
    return weighted_sum(inputs[:n], inputs[n : 2 * n], inputs[-1] if len(inputs) & 1 else 0.0)


def _dot_partials(F, inputs, r):
    # d(Σ wᵢxᵢ + b)/dwᵢ = xᵢ ; d/dxᵢ = wᵢ ; d/db = 1
    n = len(inputs) >> 1
    partials = [*inputs[n : 2 * n], *inputs[:n]]
    if len(inputs) & 1:
        partials.append(1.0)
    return partials


def _sum_forward(inputs) -> float:
    return sum(inputs, 0.0)


_ONES: dict[int, tuple] = {}


def _sum_partials(F, inputs, r):
    # d(Σ xᵢ)/dxᵢ = 1
    n = len(inputs)
    ones = _ONES.get(n)
    if ones is None:
        ones = _ONES[n] = (1.0,) * n
    return ones


# --------------------------------------------------------------------------
# Inline code for `autodiff.compile`

#: The names the entries' ``forward_code``/``partials_code`` may use.  The
#: plain ``math`` functions raise where the IEEE-safe ones above return inf or
#: nan, and return the same float everywhere else.
CODE_GLOBALS = {
    "_sum": sum,
    "_pow": math.pow,
    "_exp": math.exp,
    "_log": math.log,
    "_tanh": math.tanh,
    "_sin": math.sin,
    "_cos": math.cos,
    "_sqrt": math.sqrt,
    "_MASKED": MASKED,
}


def _tuple_code(items) -> str:
    return f"({', '.join(items)},)" if items else "()"


def _sum_code(xs) -> str:
    # the builtin sum over the same floats as the forward (compensated on 3.12+)
    return f"_sum({_tuple_code(xs)}, 0.0)"


def _dot_code(xs) -> str:
    # sum(map(mul, ws, xs), b) as the forward does: the same products, the same sum
    n = len(xs) >> 1
    products = [f"{w} * {x}" for w, x in zip(xs[:n], xs[n : 2 * n])]
    return f"_sum({_tuple_code(products)}, {xs[-1] if len(xs) & 1 else '0.0'})"


def _dot_partials_code(xs, r) -> tuple:
    n = len(xs) >> 1
    return (*xs[n : 2 * n], *xs[:n], *(("1.0",) if len(xs) & 1 else ()))


_POW_DBASE = "(_MASKED if {y} == 0.0 else {y} * _pow({x}, {y} - 1.0))"

_ENTRIES = [
    # d(x+y)/dx = 1 ; d(x+y)/dy = 1
    Op("+", 2, operator.add, lambda F, x, y, r: (1.0, 1.0), ("any", "any"),
       forward_code="{x} + {y}", partials_code=("1.0", "1.0"), shape=ONES),
    # d(x-y)/dx = 1 ; d(x-y)/dy = -1
    Op("-", 2, operator.sub, lambda F, x, y, r: (1.0, -1.0), ("any", "any"),
       forward_code="{x} - {y}", partials_code=("1.0", "-1.0")),
    # d(xy)/dx = y ; d(xy)/dy = x
    Op("*", 2, operator.mul, lambda F, x, y, r: (y, x), ("any", "any"),
       forward_code="{x} * {y}", partials_code=("{y}", "{x}"), shape=CROSSED),
    # d(x/y)/dx = 1/y ; d(x/y)/dy = -x/y² = -r/y
    Op("/", 2, div, lambda F, x, y, r: (F.div(1.0, y), -F.div(r, y)), ("any", "nonzero"),
       forward_code="{x} / {y}", partials_code=("1.0 / {y}", "-({r} / {y})")),
    # d(x^y)/dx = y x^(y-1) ; d(x^y)/dy = x^y ln x
    Op(
        "**",
        2,
        pow_,
        lambda F, x, y, r: (_dpow_dbase(F, x, y), _dpow_dexponent(F, x, y, r)),
        ("positive", "any"),
        forward_code="_pow({x}, {y})",
        partials_code=(_POW_DBASE, "(0.0 if {x} == 0.0 and {y} >= 0.0 else {r} * _log({x}))"),
    ),
    # x ** c for a plain number c: d/dx = c x^(c-1); the constant gets no gradient
    Op(
        "**c",
        2,
        pow_,
        lambda F, x, c, r: (_dpow_dbase(F, x, c), 0.0),
        ("positive", "any"),
        symbol="**",
        forward_code="_pow({x}, {y})",
        partials_code=(_POW_DBASE, "0.0"),
    ),
    # d(-x)/dx = -1
    Op("neg", 1, operator.neg, lambda F, x, r: (-1.0,), ("any",),
       forward_code="-{x}", partials_code=("-1.0",)),
    # d|x|/dx = sign(x), taken as 0 at 0
    Op("abs", 1, abs, lambda F, x, r: (_sign(F, x),), ("nonkink",), function=True,
       forward_code="abs({x})",
       partials_code=("(1.0 if {x} > 0.0 else -1.0 if {x} < 0.0 else 0.0)",)),
    # d eˣ/dx = eˣ
    Op("exp", 1, exp, lambda F, x, r: (r,), ("any",), function=True,
       forward_code="_exp({x})", partials_code=("{r}",)),
    # d ln x/dx = 1/x
    Op("log", 1, log, lambda F, x, r: (F.div(1.0, x),), ("positive",), function=True,
       forward_code="_log({x})", partials_code=("1.0 / {x}",)),
    # d tanh x/dx = 1 - tanh² x
    Op("tanh", 1, math.tanh, lambda F, x, r: (1.0 - r * r,), ("any",), function=True,
       forward_code="_tanh({x})", partials_code=("1.0 - {r} * {r}",)),
    # d σ(x)/dx = σ(x)(1 - σ(x))
    Op("sigmoid", 1, sigmoid, lambda F, x, r: (r * (1.0 - r),), ("any",), function=True,
       forward_code="(1.0 / (1.0 + _exp(-{x})) if {x} >= 0.0 else _exp({x}) / (1.0 + _exp({x})))",
       partials_code=("{r} * (1.0 - {r})",)),
    # d relu(x)/dx = 1 for x > 0, else 0 (0 at the kink), the 0 masked as
    # PyTorch's where(x <= 0, 0, grad): nothing passes, not even inf or nan;
    # a nan x passes the gradient, as there
    Op("relu", 1, relu, lambda F, x, r: (MASKED if x <= 0.0 else 1.0,), ("nonkink",),
       function=True, forward_code="({x} if {x} > 0.0 or {x} != {x} else 0.0)",
       partials_code=("(_MASKED if {x} <= 0.0 else 1.0)",), shape=GATE),
    # d sin x/dx = cos x
    Op("sin", 1, sin, lambda F, x, r: (F.cos(x),), ("any",), function=True,
       forward_code="_sin({x})", partials_code=("_cos({x})",)),
    # d cos x/dx = -sin x
    Op("cos", 1, cos, lambda F, x, r: (-F.sin(x),), ("any",), function=True,
       forward_code="_cos({x})", partials_code=("-_sin({x})",)),
    # d √x/dx = 1/(2√x)
    Op("sqrt", 1, sqrt, lambda F, x, r: (F.div(0.5, r),), ("positive",), function=True,
       forward_code="_sqrt({x})", partials_code=("0.5 / {r}",)),
    # d atan x/dx = 1/(1 + x²)
    Op("atan", 1, atan, lambda F, x, r: (F.div(1.0, 1.0 + x * x),), ("any",), function=True),
    # d asin x/dx = 1/√(1 - x²)
    Op("asin", 1, asin, lambda F, x, r: (F.div(1.0, F.sqrt(1.0 - x * x)),), ("unit",),
       function=True),
    # d acos x/dx = -1/√(1 - x²)
    Op("acos", 1, acos, lambda F, x, r: (-F.div(1.0, F.sqrt(1.0 - x * x)),), ("unit",),
       function=True),
    # d ln(1 + x)/dx = 1/(1 + x)
    Op("log1p", 1, log1p, lambda F, x, r: (F.div(1.0, 1.0 + x),), ("above_minus_one",),
       function=True),
    # d(eˣ - 1)/dx = eˣ = r + 1
    Op("expm1", 1, expm1, lambda F, x, r: (r + 1.0,), ("any",), function=True),
    # d(x mod y)/dx = 1 ; d(x mod y)/dy = -floor(x/y), a constant between the
    # jumps (PyTorch's remainder), so every second derivative is 0
    Op("%", 2, mod, lambda F, x, y, r: (1.0, _minus_floor_ratio(F, x, y)),
       ("any", "nonzero")),
    # d leaky_relu(x)/dx = 1 for x > 0, else 0.01 (0.01 at the kink, as PyTorch)
    Op("leaky_relu", 1, leaky_relu, lambda F, x, r: (1.0 if F.value(x) > 0.0 else LEAKY_SLOPE,),
       ("nonkink",), function=True),
    # d elu(x)/dx = eˣ = r + 1 for x <= 0, else 1 (1 at the kink and at nan, as PyTorch)
    Op("elu", 1, elu, lambda F, x, r: (r + 1.0 if F.value(x) <= 0.0 else 1.0,), ("nonkink",),
       function=True),
    # d gelu(x)/dx = ½(1 + t) + ½x(1 - t²)·√(2/π)(1 + 3·0.044715x²),
    # t = tanh(√(2/π)(x + 0.044715x³))
    Op("gelu", 1, gelu, lambda F, x, r: (_dgelu(F, x),), ("any",), function=True),
    # d(x σ(x))/dx = σ(x)(1 + x(1 - σ(x)))
    Op("silu", 1, silu, lambda F, x, r: (_dsilu(F, x),), ("any",), function=True),
    # d ln(1 + eˣ)/dx = σ(x); 1 above the threshold 20
    Op("softplus", 1, softplus, lambda F, x, r: (_dsoftplus(F, x),), ("any",), function=True),
    # d(Σ xᵢ)/dxᵢ = 1
    Op("sum", None, _sum_forward, _sum_partials, ("any",),
       forward_code=_sum_code, partials_code=lambda xs, r: ("1.0",) * len(xs),
       shape=ONES),
    # d(Σ wᵢxᵢ + b)/dwᵢ = xᵢ ; d/dxᵢ = wᵢ ; d/db = 1    (inputs w₁..wₙ, x₁..xₙ[, b])
    Op("dot", None, _dot_forward, _dot_partials, ("any",),
       forward_code=_dot_code, partials_code=_dot_partials_code, shape=CROSSED),
]

#: name -> Op, for every primitive of the engine.
OPS: dict[str, Op] = {op.name: op for op in _ENTRIES}

#: The names of the ops that `Value` exposes as methods and `autodiff` as
#: functions (the entries with ``function=True``), in table order.
UNARY_FUNCTIONS: tuple[str, ...] = tuple(op.name for op in _ENTRIES if op.function)
