"""nn.init: micrograd's default draw, the He/Xavier schemes (checked against
their textbook distributions), seeding, and errors."""

import math
import random
import statistics

import pytest

from nn.init import SCHEMES, resolve_rng, sampler
from nn.layers import MLP, Layer, Neuron


def weights(model):
    return [w.data for layer in model.layers for n in layer.neurons for w in n.w]


def test_default_is_random_uniform_in_neuron_order():
    # the oracle: micrograd's loop, drawn by hand from the same global stream
    random.seed(5)
    expected = []
    for nin, nout in [(2, 3), (3, 2)]:
        for _ in range(nout):
            expected.append([random.uniform(-1, 1) for _ in range(nin)])
    after = random.random()
    random.seed(5)
    model = MLP(2, [3, 2])
    assert [[w.data for w in n.w] for layer in model.layers for n in layer.neurons] == expected
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)
    assert random.random() == after  # exactly as many draws as micrograd


def test_seed_and_rng_give_reproducible_weights_without_touching_global_random():
    state = random.getstate()
    a = MLP(2, [4, 1], seed=42)
    b = MLP(2, [4, 1], rng=random.Random(42))
    assert random.getstate() == state
    assert weights(a) == weights(b)
    assert weights(a) != weights(MLP(2, [4, 1], seed=43))
    # seed=s draws what random.seed(s) would
    random.seed(42)
    assert weights(MLP(2, [4, 1])) == weights(a)


@pytest.mark.parametrize(
    "scheme, nin, nout, dist, spread",
    [
        ("he", 50, 40, "normal", math.sqrt(2 / 50)),
        ("he_uniform", 50, 40, "uniform", math.sqrt(6 / 50)),
        ("xavier", 50, 40, "uniform", math.sqrt(6 / 90)),
        ("xavier_normal", 50, 40, "normal", math.sqrt(2 / 90)),
    ],
)
def test_schemes_follow_their_distributions(scheme, nin, nout, dist, spread):
    layer = Layer(nin, nout, init=scheme, seed=0)
    ws = [w.data for n in layer.neurons for w in n.w]
    assert len(ws) == 2000
    mean = statistics.fmean(ws)
    std = statistics.pstdev(ws)
    if dist == "uniform":
        assert all(-spread <= w <= spread for w in ws)
        expected_std = spread / math.sqrt(3)
        assert max(ws) > 0.95 * spread and min(ws) < -0.95 * spread
    else:
        expected_std = spread
        assert max(abs(w) for w in ws) > 2 * spread  # tails: not a uniform
    assert abs(mean) < 0.1 * expected_std
    assert abs(std / expected_std - 1) < 0.08


def test_a_callable_scheme_gets_rng_fan_in_and_fan_out():
    seen = []

    def constant(rng, fan_in, fan_out):
        seen.append((fan_in, fan_out))
        return 0.25

    model = MLP(3, [2, 1], init=constant)
    assert set(weights(model)) == {0.25}
    assert seen == [(3, 2)] * 6 + [(2, 1)] * 2


def test_bad_schemes_and_sources_are_refused():
    with pytest.raises(ValueError, match="init must be one of"):
        sampler("glorot")
    with pytest.raises(TypeError, match="init must be a scheme name"):
        sampler(3)
    with pytest.raises(ValueError, match="either seed= or rng="):
        resolve_rng(random.Random(1), 1)
    with pytest.raises(TypeError, match="rng must be a random.Random"):
        Neuron(2, rng=object())
    with pytest.raises(TypeError, match="seed must be an int"):
        Neuron(2, seed=1.5)
    with pytest.raises(ValueError, match="non-finite"):
        Neuron(2, init=lambda rng, i, o: math.inf)
    with pytest.raises(TypeError, match="must return a real number"):
        Neuron(2, init=lambda rng, i, o: "0.1")
    assert set(SCHEMES) == {"uniform", "he", "he_uniform", "xavier", "xavier_normal"}


class _UniformOnly:
    """A generator with uniform() alone, as a micrograd user might pass."""

    def __init__(self, seed):
        self._r = random.Random(seed)

    def uniform(self, low, high):
        return self._r.uniform(low, high)


def test_any_generator_with_uniform_draws_the_uniform_weights():
    from nn import MLP

    ours = MLP(2, [3, 1], rng=_UniformOnly(5))
    r = random.Random(5)
    expected = [r.uniform(-1, 1) for _ in range(2 * 3 + 3 * 1)]
    assert [w.data for layer in ours.layers for n in layer.neurons for w in n.w] == expected
    with pytest.raises(TypeError, match="normal distribution: rng needs gauss"):
        Neuron(2, init="he", rng=_UniformOnly(5))


def test_a_numpy_generator_is_a_source():
    np = pytest.importorskip("numpy")
    n = Neuron(3, init="he", rng=np.random.default_rng(0))
    expected = np.random.default_rng(0).normal(0.0, math.sqrt(2.0 / 3), size=3)
    assert [w.data for w in n.w] == pytest.approx(list(expected), rel=1e-15)
