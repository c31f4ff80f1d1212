"""Property-based gradient testing: Hypothesis strategies and a gradient assertion.

This module is for writing tests, of the engine or of your own functions: it
gives Hypothesis strategies for points inside an op's domain (`floats_in`,
`points`) and for random expression graphs over the whole op table
(`expressions`), and one assertion, `assert_gradients_close`, that compares
the engine's gradients (or second derivatives) with an independent oracle —
central differences, or PyTorch's float64 autograd — and fails with a table,
one row per input.

    from hypothesis import given
    from autodiff.testing import assert_gradients_close, points

    @given(points(2))
    def test_my_loss(xs):
        assert_gradients_close(lambda w, b: (w * 3.0 + b).tanh() ** 2, xs)

and over random graphs of every op in the table:

    from autodiff.testing import expressions

    @given(expressions(n_inputs=3))
    def test_engine(expr):
        assert_gradients_close(expr, expr.point, oracle="torch")

The strategies read `autodiff.ops.OPS`: the arity and the per-input domain of
each entry ("any", "positive", "nonzero", "nonkink"), so a new table entry is
drawn without any edit here.  Expressions are built at their point, one op
at a time: an operand outside the op's domain is first moved inside it by a
visible repair (``t*t + c`` for a positive input, ``t + c`` away from zero or
a kink), operands are scaled down when a result would exceed `BOUND`, and an
expression is kept only if, within ±`NEIGHBOURHOOD` of the point in every
input, every op's input stays on its side of 0 (the edge of its domain), so
that central differences are accurate there.

Hypothesis is imported by this package and only by it: ``import autodiff``
does not need it.  PyTorch is imported only when ``oracle="torch"`` is asked for.

The kit is three modules: `strategies` (points), `expressions` (random
graphs) and `oracles` (the assertion); their public names are all here.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401 - the kit's one requirement, checked first
except ImportError as err:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "autodiff.testing needs Hypothesis (pip install hypothesis); "
        "the rest of autodiff does not"
    ) from err

from .expressions import BOUND, NEIGHBOURHOOD, RandomExpression, expressions
from .oracles import DEFAULT_TOLERANCES, assert_gradients_close
from .strategies import DOMAINS, MARGIN, floats_in, points

__all__ = [
    "DEFAULT_TOLERANCES",
    "DOMAINS",
    "MARGIN",
    "BOUND",
    "NEIGHBOURHOOD",
    "floats_in",
    "points",
    "expressions",
    "RandomExpression",
    "assert_gradients_close",
]
