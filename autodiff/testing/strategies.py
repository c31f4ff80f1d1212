"""Hypothesis strategies for points inside the op table's input domains.

`floats_in` draws one coordinate inside a domain ("any", "positive",
"nonzero", "nonkink", "unit", "above_minus_one": the names an op's
``domain`` uses), `points` a list of
them; `_in_domain` and `_domain_of` say what a domain allows, for the
expression builder.
"""

from __future__ import annotations

import math
import numbers

from hypothesis import strategies as st

from .. import ops as _ops
from ..arguments import integer, is_real, type_name
from ..value import Value

#: The domain names an op's inputs may have (`autodiff.ops.Op.domain`).
DOMAINS = _ops.DOMAINS

#: How far from the edge of a domain (0 for "positive", the pole of
#: "nonzero", the kink of "nonkink"; ±1 for "unit", the interval (-1, 1) of
#: asin and acos; -1 for "above_minus_one", log1p's x > -1) drawn points and
#: the inputs of every op in an expression stay.
MARGIN = 0.1


def _check_domain(domain) -> str:
    if not isinstance(domain, str) or domain not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}; got {domain!r}")
    return domain


def floats_in(domain: str = "any", *, bound: float = 3.0, margin: float = MARGIN):
    """A strategy of finite floats inside one op-input domain.

    Args:
        domain: "any" (in [-bound, bound]), "positive" (in [margin, bound]),
            "nonzero" or "nonkink" (margin <= |x| <= bound), "unit" (|x| <=
            1 - margin, whatever the bound), "above_minus_one" (in
            [-1 + margin, bound]).
        bound: the largest magnitude drawn.
        margin: the distance kept from 0 by the restricted domains.

    Returns:
        A Hypothesis strategy of floats.
    """
    _check_domain(domain)
    if not (is_real(margin) and is_real(bound)):
        raise TypeError(
            f"bound and margin must be real numbers, got {type_name(bound)} "
            f"and {type_name(margin)}"
        )
    if not (0.0 < margin < bound < math.inf):
        raise ValueError(
            f"need 0 < margin < bound < inf, got margin={margin!r}, bound={bound!r}"
        )
    hi, lo = float(bound), float(margin)
    if domain == "any":
        return st.floats(-hi, hi)
    if domain == "positive":
        return st.floats(lo, hi)
    if domain == "unit":
        edge = max(1.0 - lo, 0.0)
        return st.floats(-edge, edge)
    if domain == "above_minus_one":
        return st.floats(min(-1.0 + lo, hi), hi)
    return st.one_of(st.floats(lo, hi), st.floats(-hi, -lo))


def points(n: int, domain="any", *, bound: float = 3.0, margin: float = MARGIN):
    """A strategy of points: lists of ``n`` floats, each inside its domain.

    Args:
        n: the number of coordinates (>= 0).
        domain: one domain name for every coordinate, or a sequence of ``n``
            names (an op's ``domain``, for instance): see `floats_in`.
        bound, margin: as in `floats_in`.

    Returns:
        A Hypothesis strategy of lists of floats.
    """
    n = integer(n, "n", minimum=0)
    if isinstance(domain, str):
        domains = [domain] * n
    else:
        domains = list(domain)
        if len(domains) != n:
            raise ValueError(
                f"domain must be one name or a sequence of n={n} names, got {len(domains)} names"
            )
    return st.tuples(*[floats_in(d, bound=bound, margin=margin) for d in domains]).map(list)


def _domain_of(op, i: int) -> str:
    """The domain of input ``i`` of ``op`` (an n-ary op lists one, for all)."""
    if not op.domain:
        return "any"
    return op.domain[i] if i < len(op.domain) else op.domain[-1]


def _in_domain(domain: str, v: float, margin: float) -> bool:
    """Whether ``v`` is inside ``domain``, ``margin`` away from its edge."""
    if domain == "positive":
        return v > margin
    if domain in ("nonzero", "nonkink"):
        return abs(v) >= margin
    if domain == "unit":
        return abs(v) <= 1.0 - margin and (margin > 0.0 or abs(v) < 1.0)
    if domain == "above_minus_one":
        return v > -1.0 + margin
    return True


def _floats(xs) -> list[float]:
    """A point given as numbers (or Values) as a list of floats; TypeError
    naming the first coordinate that is not a real number."""
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"xs must be a sequence of numbers, got {type_name(xs)}")
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, Value):
            x = x.data
        if not isinstance(x, numbers.Real):  # NumPy scalars are Real; str is not
            raise TypeError(f"xs[{i}] must be a real number, got {type_name(x)}")
        out.append(float(x))
    return out
