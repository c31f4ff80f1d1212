"""Initialisation schemes: how a neuron's first weights are drawn.

A scheme draws one weight at a time from a `random.Random`-like source, so a
network's weights are a function of that source's state alone, in neuron
order (w₀, w₁, … of neuron 0, then neuron 1, …).  Biases always start at 0.

Schemes (``fan_in`` = the neuron's number of inputs, ``fan_out`` = the number
of neurons in its layer):

- ``"uniform"`` (the default): U(−1, 1), exactly micrograd's
  ``random.uniform(-1, 1)``.  With the global ``random`` module as the source,
  ``random.seed(s); MLP(2, [16, 16, 1])`` has micrograd's weights.
- ``"he"``: He/Kaiming **normal**, N(0, 2/fan_in) (for ReLU layers).
- ``"he_uniform"``: U(−√(6/fan_in), √(6/fan_in)), the same variance.
- ``"xavier"``: Glorot/Xavier **uniform**,
  U(−√(6/(fan_in+fan_out)), √(6/(fan_in+fan_out))) (for tanh/sigmoid layers).
- ``"xavier_normal"``: N(0, 2/(fan_in+fan_out)).

A callable ``init(rng, fan_in, fan_out) -> float`` is accepted wherever a
scheme name is.
"""

from __future__ import annotations

import math
import random
from typing import Callable

from autodiff.arguments import integer, is_real, type_name

__all__ = ["SCHEMES", "sampler", "resolve_rng", "draw"]


def _uniform(rng, fan_in: int, fan_out: int) -> float:
    return rng.uniform(-1, 1)


def _normal(rng, sd: float) -> float:
    """One draw from N(0, sd²): ``rng.gauss`` (random.Random) or ``rng.normal``
    (a NumPy Generator)."""
    gauss = getattr(rng, "gauss", None) or getattr(rng, "normal", None)
    if gauss is None:
        raise TypeError(
            f"this init scheme draws from a normal distribution: rng needs gauss() or "
            f"normal(), and a {type(rng).__name__} has neither"
        )
    return gauss(0.0, sd)


def _he(rng, fan_in: int, fan_out: int) -> float:
    return _normal(rng, math.sqrt(2.0 / fan_in))


def _he_uniform(rng, fan_in: int, fan_out: int) -> float:
    bound = math.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound)


def _xavier(rng, fan_in: int, fan_out: int) -> float:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound)


def _xavier_normal(rng, fan_in: int, fan_out: int) -> float:
    return _normal(rng, math.sqrt(2.0 / (fan_in + fan_out)))


#: Scheme name -> function(rng, fan_in, fan_out) -> one weight.
SCHEMES: dict[str, Callable] = {
    "uniform": _uniform,
    "he": _he,
    "he_uniform": _he_uniform,
    "xavier": _xavier,
    "xavier_normal": _xavier_normal,
}


def sampler(init) -> Callable:
    """The weight-drawing function for ``init``.

    Args:
        init: a scheme name from `SCHEMES`, or a callable
            ``init(rng, fan_in, fan_out) -> float``.

    Returns:
        A function ``(rng, fan_in, fan_out) -> float``.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything that is neither a name nor a callable.
    """
    if isinstance(init, str):
        try:
            return SCHEMES[init]
        except KeyError:
            raise ValueError(
                f"init must be one of {sorted(SCHEMES)} or a callable, got {init!r}"
            ) from None
    if callable(init):
        return init
    raise TypeError(
        f"init must be a scheme name ({', '.join(sorted(SCHEMES))}) or a callable "
        f"(rng, fan_in, fan_out) -> float, got {type(init).__name__}"
    )


def resolve_rng(rng=None, seed=None):
    """The random source for an initialisation.

    Args:
        rng: a `random.Random`, or any generator with ``uniform(low, high)``
            (a NumPy Generator, a micrograd-style source); the normal schemes
            also need ``gauss`` or ``normal``.  None for the global ``random``
            module (micrograd's behaviour).
        seed: an int (or str/bytes) seeding a fresh ``random.Random(seed)``;
            None to use ``rng``.  Giving both is an error.

    Returns:
        The source to draw from.
    """
    if seed is not None and rng is not None:
        raise ValueError("give either seed= or rng=, not both")
    if seed is not None:
        if isinstance(seed, (str, bytes)):
            return random.Random(seed)
        return random.Random(integer(seed, "seed"))
    if rng is None:
        return random
    if not callable(getattr(rng, "uniform", None)):
        raise TypeError(
            f"rng must be a random.Random or a generator with uniform(low, high), "
            f"got {type(rng).__name__}"
        )
    return rng


def draw(init, rng, fan_in: int, fan_out: int) -> float:
    """One weight from ``init`` (a resolved sampler), checked to be a finite real."""
    w = init(rng, fan_in, fan_out)
    if not is_real(w):
        raise TypeError(f"init must return a real number, got {type_name(w)}")
    w = float(w)
    if not math.isfinite(w):
        raise ValueError(f"init returned a non-finite weight {w!r}")
    return w
