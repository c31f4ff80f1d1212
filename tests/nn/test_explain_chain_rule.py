"""nn.explain: the chain rule of "Backpropagation Explained", factor by
factor, checked against that text's hand formulas (computed here with plain
math from the parameters) and against the gradients backward() leaves in
.grad."""

import math
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value, topological_order
from autodiff import sum as vsum
from nn import losses
from nn.explain import Explanation, Term, explain
from nn.layers import MLP
from nn.notation import label

ACTS = ["relu", "tanh", "sigmoid", "linear"]


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


G = {"relu": lambda z: max(z, 0.0), "tanh": math.tanh, "sigmoid": _sigmoid, "linear": lambda z: z}
G_PRIME = {
    "relu": lambda z: 1.0 if z > 0.0 else 0.0,
    "tanh": lambda z: 1.0 - math.tanh(z) ** 2,
    "sigmoid": lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)),
    "linear": lambda z: 1.0,
}


def plain_forward(model, x):
    """z⁽ˡ⁾ and a⁽ˡ⁾ (lists indexed by l; a[0] = x) with plain floats."""
    a, z = [[float(v) for v in x]], [None]
    for layer in model.layers:
        zl = [
            math.fsum([*(w.data * ak for w, ak in zip(n.w, a[-1])), n.b.data])
            for n in layer.neurons
        ]
        z.append(zl)
        a.append([G[n.activation](v) for n, v in zip(layer.neurons, zl)])
    return z, a


def approx(x, tol=1e-12):
    return pytest.approx(x, rel=tol, abs=tol)


def backward_grad(loss, param):
    for node in topological_order(loss):
        node.grad = 0.0
    loss.backward()
    return param.grad


# --------------------------------------------------------------------------
# Seed 003's network: two hidden layers, 6 nodes feeding an output layer of 4


@pytest.fixture
def seed_network():
    model = MLP(3, [5, 6, 4], activation="tanh", output_activation="sigmoid", seed=3)
    x = [0.4, -0.9, 1.3]
    y = [1.0, 0.0, 0.0, 1.0]
    out = model(x)
    loss = losses.squared_error(out, y)  # C₀ = Σⱼ (a⁽ᴸ⁾ⱼ − yⱼ)²
    return model, x, y, loss


def test_output_weight_terms_are_seed_003s(seed_network):
    model, x, y, loss = seed_network
    L = 3
    w = model.layers[L - 1].neurons[1].w[2]  # w⁽ᴸ⁾₁₂, the seed's example
    e = explain(loss, w)
    z, a = plain_forward(model, x)
    expected = [2 * (a[L][1] - y[1]), G_PRIME["sigmoid"](z[L][1]), a[L - 1][2]]
    assert [t.name for t in e.terms] == ["∂C₀/∂a⁽³⁾₁", "∂a⁽³⁾₁/∂z⁽³⁾₁", "∂z⁽³⁾₁/∂w⁽³⁾₁₂"]
    assert [t.value for t in e.terms] == approx(expected)
    assert e.terms[1].equals == "σ′(z⁽³⁾₁)"
    assert e.terms[2].equals == "a⁽²⁾₂"
    assert e.terms[0].latex == r"\frac{\partial C_{0}}{\partial a^{(3)}_{1}}"
    assert e.value == math.prod(t.value for t in e.terms)
    assert e.value == approx(math.prod(expected))
    assert e.value == approx(backward_grad(loss, w))
    assert e.n == 1 and e.direct is None and not e.hidden


def test_hidden_weight_expands_over_next_layer(seed_network):
    model, x, y, loss = seed_network
    L = 3
    w = model.layers[L - 2].neurons[2].w[2]  # w⁽ᴸ⁻¹⁾₂₂, the seed's hidden example
    e = explain(loss, w)
    z, a = plain_forward(model, x)
    # Backpropagation Explained: ∂C₀/∂a⁽ᴸ⁻¹⁾₂ = Σⱼ 2(a⁽ᴸ⁾ⱼ − yⱼ) g′(z⁽ᴸ⁾ⱼ) w⁽ᴸ⁾ⱼ₂
    rows = [
        (2 * (a[L][j] - y[j]), G_PRIME["sigmoid"](z[L][j]), w_next.data)
        for j, w_next in enumerate(n.w[2] for n in model.layers[L - 1].neurons)
    ]
    dC_da = math.fsum(math.prod(r) for r in rows)
    expected = [dC_da, G_PRIME["tanh"](z[L - 1][2]), a[L - 2][2]]
    assert e.hidden
    assert [t.value for t in e.terms] == approx(expected)
    assert e.terms[1].equals == "tanh′(z⁽²⁾₂)"
    (chain,) = e.samples
    assert len(chain.expansion) == 4 and chain.other is None
    for row, expected_row, j in zip(chain.expansion, rows, range(4)):
        assert [t.value for t in row] == approx(list(expected_row))
        assert row[2].equals == label("w", 3, j, 2)
        assert row[2].value == model.layers[2].neurons[j].w[2].data  # ∂z/∂a is exactly the weight
        assert row[0].name == f"∂C₀/∂a⁽³⁾{'₀₁₂₃'[j]}"
    assert math.fsum(math.prod(t.value for t in row) for row in chain.expansion) == approx(
        chain.factors[0].value
    )
    assert e.value == approx(backward_grad(loss, w))


def test_first_layer_weight_and_biases(seed_network):
    model, x, y, loss = seed_network
    z, a = plain_forward(model, x)
    w = model.layers[0].neurons[4].w[1]
    e = explain(loss, w)
    assert e.terms[2].value == x[1] and e.terms[2].equals == "a⁽⁰⁾₁"
    assert e.terms[1].value == approx(G_PRIME["tanh"](z[1][4]))
    for layer in model.layers:
        for n in layer.neurons:
            eb = explain(loss, n.b)
            assert eb.terms[2].value == 1.0 and eb.terms[2].equals == "1"
            assert eb.value == approx(backward_grad(loss, n.b))
    assert e.value == approx(backward_grad(loss, w))


def test_explain_changes_no_grad_and_leaves_the_graph_as_it_was(seed_network):
    model, x, y, loss = seed_network
    order = topological_order(loss)
    parents = [n.parents for n in order]
    for node in order:
        node.grad = 0.5
    reg = loss + 0.1 * vsum([p * p for p in model.parameters()])
    explain(reg, model.layers[1].neurons[0].w[3])
    after = topological_order(loss)
    assert after == order
    assert all(n.parents is p for n, p in zip(after, parents))
    assert all(n.grad == 0.5 for n in order)


# --------------------------------------------------------------------------
# Batches and terms off the chain


def test_batch_shows_average_of_per_sample_chains():
    model = MLP(2, [3, 1], activation="relu", output_activation="tanh", seed=5)
    X = [[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8], [1.0, 1.0]]
    Y = [0.5, -0.25, 1.0, 0.0]
    loss = vsum([losses.squared_error(model(x), y) for x, y in zip(X, Y)]) / len(X)
    w = model.layers[1].neurons[0].w[1]
    e = explain(loss, w)
    assert e.n == 4 and len(e.samples) == 4
    assert e.terms[0].value == 0.25 and e.terms[0].name == "1/n"
    per_sample = []
    for chain, x, y in zip(e.samples, X, Y):
        z, a = plain_forward(model, x)
        expected = [2 * (a[2][0] - y), G_PRIME["tanh"](z[2][0]), a[1][1]]
        assert [t.value for t in chain.factors] == approx(expected)
        assert chain.factors[0].name == f"∂C{'₀₁₂₃'[chain.sample]}/∂a⁽²⁾₀"
        per_sample.append(math.prod(expected))
    assert e.terms[1].value == approx(math.fsum(per_sample))
    assert e.value == approx(math.fsum(per_sample) / 4)
    assert e.value == approx(backward_grad(loss, w))
    text = str(e)
    assert "(1/n) Σᵢ₌₀ⁿ⁻¹ ∂Cᵢ/∂w⁽²⁾₀₁" in text and "n = 4 samples" in text
    assert "sample 3: ∂C₃/∂w⁽²⁾₀₁" in text


def test_l2_penalty_is_a_separate_direct_term():
    # micrograd's demo: mean hinge loss + α Σ p²
    random.seed(1337)
    model = MLP(2, [4, 4, 1], seed=1337)
    X = [[0.3, -0.7], [1.1, 0.4], [-0.5, -0.5]]
    Y = [1, -1, 1]
    alpha = 1e-2
    data_loss = vsum([losses.hinge(model(x), y) for x, y in zip(X, Y)]) * (1.0 / len(X))
    loss = data_loss + alpha * vsum([p * p for p in model.parameters()])
    picks = (
        model.layers[0].neurons[1].w[0],
        model.layers[2].neurons[0].w[3],
        model.layers[1].neurons[2].b,
    )
    for p in picks:
        e = explain(loss, p)
        assert e.direct is not None
        assert e.direct.value == approx(2 * alpha * p.data, 1e-15)  # d(α p²)/dp, by hand
        assert "not via z" in e.direct.name
        assert e.value == math.prod(t.value for t in e.terms) + e.direct.value
        assert e.value == approx(backward_grad(loss, p))
        assert e.direct.name in str(e)


def test_hidden_activation_used_elsewhere_gets_an_other_term():
    model = MLP(1, [2, 1], activation="tanh", seed=9)
    out = model([0.7])
    a_hidden = next(n for n in topological_order(out) if n.label == label("a", 1, 1))
    loss = losses.squared_error(out, 0.2) + 0.3 * a_hidden * a_hidden
    w = model.layers[0].neurons[1].w[0]
    e = explain(loss, w)
    (chain,) = e.samples
    assert chain.other is not None
    assert chain.other.value == approx(0.6 * a_hidden.data, 1e-15)  # d(0.3 a²)/da
    parts = [math.prod(t.value for t in row) for row in chain.expansion]
    total = math.fsum([*parts, chain.other.value])
    assert total == approx(chain.factors[0].value)
    assert e.value == approx(backward_grad(loss, w))
    assert "not via z⁽²⁾" in str(e)


def test_linear_layers_have_no_activation_node():
    model = MLP(2, [2, 2], activation="linear", output_activation="linear", seed=4)
    loss = losses.mse(model([1.0, 2.0]), [0.0, 1.0])
    e = explain(loss, model.layers[0].neurons[0].w[1])
    assert e.terms[1].value == 1.0 and e.terms[1].equals == "1"
    assert all(row[1].value == 1.0 for row in e.samples[0].expansion)
    assert e.value == approx(backward_grad(loss, model.layers[0].neurons[0].w[1]))


# --------------------------------------------------------------------------
# Every layer, activation, loss and batch size


@st.composite
def cases(draw):
    loss = draw(st.sampled_from(["squared_error", "mse", "cross_entropy", "hinge",
                                 "binary_cross_entropy_with_logits"]))
    single = loss in ("hinge", "binary_cross_entropy_with_logits")
    nin = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 4), max_size=2))
    nL = 1 if single else draw(st.integers(1, 3))
    acts = (draw(st.sampled_from(ACTS)), draw(st.sampled_from(ACTS)))
    m = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 1000))
    ws = draw(st.sampled_from(["dot", "products"]))
    l2 = draw(st.sampled_from([0.0, 1e-3]))
    return loss, nin, [*hidden, nL], acts, m, seed, ws, l2


@settings(max_examples=40)
@given(cases(), st.data())
def test_value_equals_backward_for_any_parameter(case, data):
    loss_name, nin, nouts, (act, out_act), m, seed, ws, l2 = case
    model = MLP(nin, nouts, activation=act, output_activation=out_act, seed=seed, weighted_sum=ws)
    rng = random.Random(seed)
    per_sample = []
    for _ in range(m):
        x = [rng.uniform(-2, 2) for _ in range(nin)]
        out = model(x)
        if loss_name == "cross_entropy":
            per_sample.append(losses.cross_entropy(out if isinstance(out, list) else [out],
                                                   rng.randrange(nouts[-1])))
        elif loss_name == "hinge":
            per_sample.append(losses.hinge(out, rng.choice([1, -1])))
        elif loss_name == "binary_cross_entropy_with_logits":
            per_sample.append(losses.binary_cross_entropy_with_logits(out, rng.choice([0, 1])))
        else:
            y = [rng.uniform(-1, 1) for _ in range(nouts[-1])]
            per_sample.append(losses.LOSSES[loss_name](out, y))
    loss = vsum(per_sample) / m
    if l2:
        loss = loss + l2 * vsum([p * p for p in model.parameters()])
    params = model.parameters()
    p = params[data.draw(st.integers(0, len(params) - 1))]
    e = explain(loss, p)
    assert e.n == m
    assert (e.direct is not None) == bool(l2)
    for chain in e.samples:
        assert chain.value == math.prod(t.value for t in chain.factors)
        if chain.expansion:
            parts = [math.prod(t.value for t in row) for row in chain.expansion]
            assert math.fsum(parts) == approx(chain.factors[0].value, 1e-11)
    assert e.hidden == (e.label.l < len(nouts))
    assert e.value == approx(backward_grad(loss, p))


# --------------------------------------------------------------------------
# Display


def test_text_and_latex_forms(seed_network):
    model, x, y, loss = seed_network
    e = explain(loss, model.layers[2].neurons[1].w[2])
    text = str(e)
    lines = text.splitlines()
    assert lines[0] == "∂C₀/∂w⁽³⁾₁₂ = (∂C₀/∂a⁽³⁾₁)(∂a⁽³⁾₁/∂z⁽³⁾₁)(∂z⁽³⁾₁/∂w⁽³⁾₁₂)"
    assert lines[1].endswith("= 2(a⁽³⁾₁ − y₁) σ′(z⁽³⁾₁) a⁽²⁾₂")
    assert f"= {e.value:.6g}" in lines[3]
    assert "∂a⁽³⁾₁/∂z⁽³⁾₁ = σ′(z⁽³⁾₁) = " in text
    assert "∂z⁽³⁾₁/∂w⁽³⁾₁₂ = a⁽²⁾₂ = " in text
    latex = e._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert r"\frac{\partial C_{0}}{\partial w^{(3)}_{12}} &=" in latex
    assert r"\sigma'(z^{(3)}_{1})" in latex
    assert latex.count("{") == latex.count("}")
    hidden = explain(loss, model.layers[1].neurons[2].w[2])
    assert "Σⱼ₌₀³ (∂C₀/∂a⁽³⁾ⱼ)(∂a⁽³⁾ⱼ/∂z⁽³⁾ⱼ)(∂z⁽³⁾ⱼ/∂a⁽²⁾₂)" in str(hidden)
    assert "w⁽³⁾₃₂ = " in str(hidden)
    hl = hidden.latex()
    assert r"\sum_{j=0}^{3}" in hl and r"w^{(3)}_{j2}" in hl and hl.count("{") == hl.count("}")
    assert repr(e).startswith("Explanation(w⁽³⁾₁₂, n=1, value=")


def test_long_batches_are_abbreviated_but_complete_in_data():
    model = MLP(1, [1], activation="tanh", seed=0)
    xs = [[0.1 * i] for i in range(9)]
    loss = vsum([losses.squared_error(model(x), 0.5) for x in xs]) / 9
    e = explain(loss, model.layers[0].neurons[0].w[0])
    assert len(e.samples) == 9
    assert "… and 3 more samples" in e.text()
    assert "sample 8:" in e.text(max_samples=None)
    assert "more samples" in e.latex() and "more samples" not in e.latex(max_samples=None)


# --------------------------------------------------------------------------
# Hand-built graphs and errors


def test_hand_labelled_graph_works():
    w = Value(0.5, label("w", 1, 0, 0))
    b = Value(-0.1, label("b", 1, 0))
    x = Value(2.0, label("a", 0, 0))
    z = w * x + b
    z.label = label("z", 1, 0)
    a = z.tanh()
    a.label = label("a", 1, 0)
    loss = (a - 1.0) ** 2
    e = explain(loss, w)
    assert [t.value for t in e.terms] == approx(
        [2 * (math.tanh(0.9) - 1.0), 1 - math.tanh(0.9) ** 2, 2.0]
    )
    assert isinstance(e, Explanation) and all(isinstance(t, Term) for t in e.terms)


def test_errors_are_clear():
    model = MLP(2, [2, 1], seed=0)
    loss = losses.squared_error(model([1.0, 2.0]), 0.0)
    with pytest.raises(TypeError, match="loss must be a Value"):
        explain(1.0, model.layers[0].neurons[0].w[0])
    with pytest.raises(TypeError, match="param must be a Value"):
        explain(loss, 0.5)
    with pytest.raises(ValueError, match=r"weight w⁽ˡ⁾ⱼₖ or a bias b⁽ˡ⁾ⱼ .* got label 'x'"):
        explain(loss, Value(1.0, "x"))
    z_node = next(n for n in topological_order(loss) if n.label == label("z", 1, 0))
    with pytest.raises(ValueError, match="got label 'z⁽¹⁾₀'"):
        explain(loss, z_node)
    other = MLP(2, [2, 1], seed=1)
    with pytest.raises(ValueError, match=r"w⁽¹⁾₀₀ is not in the loss's graph"):
        explain(loss, other.layers[0].neurons[0].w[0])
    w = model.layers[0].neurons[0].w[0]
    with pytest.raises(ValueError, match=r"no node z⁽¹⁾₀ depending on w⁽¹⁾₀₀"):
        explain(w * w + 1.0, w)


def test_z_used_outside_its_activation_is_refused():
    w = Value(0.5, label("w", 1, 0, 0))
    z = w * 2.0
    z.label = label("z", 1, 0)
    a = z.tanh()
    a.label = label("a", 1, 0)
    with pytest.raises(ValueError, match=r"z⁽¹⁾₀ is used other than through its activation"):
        explain(a + z, w)


# --------------------------------------------------------------------------
# The seeds' symbols: what each factor is, read from the graph, in either
# numbering (oracle: the seeds' hand formulas on plain-float forward values)


@pytest.fixture
def seed_003():
    """Seed 003's network: two hidden layers, 6 nodes before an output of 4."""
    model = MLP(3, [5, 6, 4], activation="tanh", output_activation="sigmoid", seed=0)
    x = [0.4, -0.9, 1.3]
    y = [1.0, 0.0, 0.0, 1.0]
    return model, x, y, losses.squared_error(model(x), y)


def test_seed_003_output_weight_in_L_notation(seed_003):
    model, x, y, C0 = seed_003
    z, a = plain_forward(model, x)
    L = 3
    e = explain(C0, model.layers[L - 1].neurons[1].w[2], notation="L")  # w⁽ᴸ⁾₁₂
    text = str(e)
    hand = [2 * (a[L][1] - y[1]), G_PRIME["sigmoid"](z[L][1]), a[L - 1][2]]
    first, second, third = e.terms
    assert f"∂C₀/∂a⁽ᴸ⁾₁ = 2(a⁽ᴸ⁾₁ − y₁) = {first.value:.6g}" in text
    assert f"∂a⁽ᴸ⁾₁/∂z⁽ᴸ⁾₁ = σ′(z⁽ᴸ⁾₁) = {second.value:.6g}" in text
    assert f"∂z⁽ᴸ⁾₁/∂w⁽ᴸ⁾₁₂ = a⁽ᴸ⁻¹⁾₂ = {third.value:.6g}" in text
    assert text.splitlines()[1].endswith("= 2(a⁽ᴸ⁾₁ − y₁) σ′(z⁽ᴸ⁾₁) a⁽ᴸ⁻¹⁾₂")
    for term, expected in zip(e.terms, hand):
        assert abs(term.value - expected) <= 1e-12
    (chain,) = e.samples
    assert chain.loss == "squared_error"
    assert abs(chain.delta.value - hand[0] * hand[1]) <= 1e-12  # δ⁽ᴸ⁾₁ = ∂C₀/∂z⁽ᴸ⁾₁
    assert chain.delta.name == "δ⁽ᴸ⁾₁" and chain.delta.equals == ""  # σ + SE: no Ŷ − Y


def test_seed_003_hidden_weight_sums_over_j(seed_003):
    model, x, y, C0 = seed_003
    z, a = plain_forward(model, x)
    L = 3
    e = explain(C0, model.layers[L - 2].neurons[2].w[2], notation="L")  # w⁽ᴸ⁻¹⁾₂₂
    text = str(e)
    assert "∂C₀/∂a⁽ᴸ⁻¹⁾₂ = Σⱼ₌₀³ (∂C₀/∂a⁽ᴸ⁾ⱼ)(∂a⁽ᴸ⁾ⱼ/∂z⁽ᴸ⁾ⱼ)(∂z⁽ᴸ⁾ⱼ/∂a⁽ᴸ⁻¹⁾₂)" in text
    assert "= Σⱼ₌₀³ 2(a⁽ᴸ⁾ⱼ − yⱼ) σ′(z⁽ᴸ⁾ⱼ) w⁽ᴸ⁾ⱼ₂" in text
    # seed 003: ∂C₀/∂a⁽ᴸ⁻¹⁾₂ = Σⱼ 2(a⁽ᴸ⁾ⱼ − yⱼ) g′(z⁽ᴸ⁾ⱼ) w⁽ᴸ⁾ⱼ₂, by hand
    rows = [
        (2 * (a[L][j] - y[j]), G_PRIME["sigmoid"](z[L][j]), n.w[2].data)
        for j, n in enumerate(model.layers[L - 1].neurons)
    ]
    (chain,) = e.samples
    for j, (row, hand) in enumerate(zip(chain.expansion, rows)):
        assert row[0].equals == f"2(a⁽ᴸ⁾{'₀₁₂₃'[j]} − y{'₀₁₂₃'[j]})"
        assert row[2].equals == f"w⁽ᴸ⁾{'₀₁₂₃'[j]}₂"
        for term, expected in zip(row, hand):
            assert abs(term.value - expected) <= 1e-12
        assert f"(w⁽ᴸ⁾{'₀₁₂₃'[j]}₂ = {hand[2]:.6g})" in text
    hand_first = math.fsum(math.prod(r) for r in rows)
    expected = [hand_first, G_PRIME["tanh"](z[L - 1][2]), a[L - 2][2]]
    for term, value in zip(e.terms, expected):
        assert abs(term.value - value) <= 1e-12
    assert e.terms[1].equals == "tanh′(z⁽ᴸ⁻¹⁾₂)" and e.terms[2].equals == "a⁽ᴸ⁻²⁾₂"
    assert abs(chain.delta.value - hand_first * expected[1]) <= 1e-12
    # the numbered default writes the same with the layers' numbers
    plain = str(explain(C0, model.layers[1].neurons[2].w[2]))
    assert "= Σⱼ₌₀³ 2(a⁽³⁾ⱼ − yⱼ) σ′(z⁽³⁾ⱼ) w⁽³⁾ⱼ₂" in plain and "ᴸ" not in plain


def test_latex_has_the_same_content_as_text(seed_003):
    model, _, _, C0 = seed_003
    for p in (model.layers[2].neurons[1].w[2], model.layers[1].neurons[2].w[2]):
        for notation in ("number", "L"):
            e = explain(C0, p, notation=notation)
            text_lines = e.text().splitlines()
            latex_rows = e.latex().split(" \\\\\n")
            assert len(text_lines) == len(latex_rows)
            assert sum("where" in r for r in latex_rows) == 1
            for t, lx in zip(text_lines, latex_rows):
                # the same numbers, line by line
                numbers = re.findall(r"-?\d+\.\d+", t)
                for number in numbers:
                    assert number in lx
            assert r"2\left(a^{" in e.latex()
    batch = vsum([losses.squared_error(model(x), [0.0] * 4) for x in ([0.1, 0.2, 0.3], [1, 0, 1])])
    e = explain(batch / 2, model.layers[0].neurons[0].w[0])
    assert len(e.text().splitlines()) == len(e.latex().split(" \\\\\n"))
    assert r"\sum_{i=0}^{n-1}" in e.latex() and "Σᵢ₌₀ⁿ⁻¹" in e.text()


def _output_chain(loss_fn, out_act, target, nout=1, x=(0.3, -0.8)):
    model = MLP(2, [3, nout], activation="tanh", output_activation=out_act, seed=11)
    out = model(list(x))
    loss = loss_fn(out, target)
    e = explain(loss, model.layers[1].neurons[0].w[1], notation="L")
    z, a = plain_forward(model, x)
    return e, z[2], a[2]


def _softmax(v):
    top = max(v)
    es = [math.exp(t - top) for t in v]
    return [e / sum(es) for e in es]


LOSS_CASES = [
    # (loss, output activation, target, outputs, ∂C₀/∂a⁽ᴸ⁾₀ by hand, formula, δ's Ŷ − Y)
    ("squared_error", "tanh", [0.5], 1, lambda a, z: 2 * (a[0] - 0.5), "2(a⁽ᴸ⁾₀ − y₀)", ""),
    ("mse", "linear", [0.5, -1.0], 2, lambda a, z: (a[0] - 0.5), "2(a⁽ᴸ⁾₀ − y₀)/2", ""),
    ("half_squared_error", "linear", [0.5], 1, lambda a, z: a[0] - 0.5, "a⁽ᴸ⁾₀ − y₀",
     "a⁽ᴸ⁾₀ − y₀  (Ŷ − Y)"),
    ("hinge", "linear", -1, 1, lambda a, z: 1.0 if 1 + a[0] > 0 else 0.0, "−y₀·[y₀·a⁽ᴸ⁾₀ < 1]", ""),
    ("binary_cross_entropy", "sigmoid", 1.0, 1, lambda a, z: -1 / a[0],
     "(a⁽ᴸ⁾₀ − y₀)/(a⁽ᴸ⁾₀(1 − a⁽ᴸ⁾₀))", "a⁽ᴸ⁾₀ − y₀  (Ŷ − Y)"),
    ("binary_cross_entropy", "sigmoid", 0.0, 1, lambda a, z: 1 / (1 - a[0]),
     "(a⁽ᴸ⁾₀ − y₀)/(a⁽ᴸ⁾₀(1 − a⁽ᴸ⁾₀))", "a⁽ᴸ⁾₀ − y₀  (Ŷ − Y)"),
    ("binary_cross_entropy", "sigmoid", 0.3, 1, lambda a, z: (a[0] - 0.3) / (a[0] * (1 - a[0])),
     "(a⁽ᴸ⁾₀ − y₀)/(a⁽ᴸ⁾₀(1 − a⁽ᴸ⁾₀))", "a⁽ᴸ⁾₀ − y₀  (Ŷ − Y)"),
    ("binary_cross_entropy_with_logits", "linear", 0.0, 1, lambda a, z: _sigmoid(a[0]),
     "σ(a⁽ᴸ⁾₀) − y₀", "σ(z⁽ᴸ⁾₀) − y₀  (Ŷ − Y)"),
    ("cross_entropy", "linear", 2, 3, lambda a, z: _softmax(a)[0], "softmax(a⁽ᴸ⁾)₀ − y₀",
     "softmax(z⁽ᴸ⁾)₀ − y₀  (Ŷ − Y)"),
    ("cross_entropy", "tanh", 2, 3, lambda a, z: _softmax(a)[0], "softmax(a⁽ᴸ⁾)₀ − y₀", ""),
]


@pytest.mark.parametrize("name, out_act, target, nout, hand, formula, combined", LOSS_CASES)
def test_each_loss_is_recognised_from_the_graph(name, out_act, target, nout, hand, formula,
                                                combined):
    for x in ((0.3, -0.8), (-1.2, 0.9)):  # both branches of the logits' BCE
        e, z, a = _output_chain(losses.LOSSES[name], out_act, target, nout, x)
        first, second, _ = e.terms
        expected_kind = name
        assert e.samples[0].loss == expected_kind
        assert first.equals == formula
        assert abs(first.value - hand(a, z)) <= 1e-12 * max(1.0, abs(hand(a, z)))
        delta = e.samples[0].delta
        assert delta.equals == combined
        assert abs(delta.value - first.value * second.value) <= 1e-12
        if combined:  # Ŷ − Y, computed by hand
            yhat = {"sigmoid": a[0], "linear": a[0]}[out_act]
            if name == "cross_entropy":
                yhat, y0 = _softmax(z)[0], 0.0
            elif name == "binary_cross_entropy_with_logits":
                yhat, y0 = _sigmoid(z[0]), float(target)
            else:
                y0 = float(target[0] if isinstance(target, list) else target)
            assert abs(delta.value - (yhat - y0)) <= 1e-12


def test_a_loss_not_from_nn_losses_gets_no_formula():
    model = MLP(2, [2, 1], activation="tanh", output_activation="tanh", seed=2)
    out = model([0.5, 0.5])
    e = explain((out - 0.2) ** 4, model.layers[1].neurons[0].w[0])
    assert e.terms[0].equals == "" and e.samples[0].loss == ""
    assert "(∂C₀/∂a⁽²⁾₀) tanh′(z⁽²⁾₀) a⁽¹⁾₀" in str(e)
    # a sum of per-sample losses (not their mean) is not seed 003's average:
    # ∂Cᵢ/∂a = n ∂C/∂a is then not the loss's formula, so none is claimed
    xs = ([0.1, 0.2], [0.3, -0.4])
    total = vsum([losses.squared_error(model(x), 0.0) for x in xs])
    assert all(c.loss == "" for c in explain(total, model.layers[1].neurons[0].w[0]).samples)
    mean = total / 2
    assert all(c.loss == "squared_error"
               for c in explain(mean, model.layers[1].neurons[0].w[0]).samples)


def test_notation_is_checked():
    model = MLP(1, [1], seed=0)
    loss = losses.squared_error(model([1.0]), 0.0)
    with pytest.raises(ValueError, match=r'notation must be "number" .* or "L" .* got \'l\''):
        explain(loss, model.layers[0].neurons[0].w[0], notation="l")
    with pytest.raises(TypeError, match="notation must be one of 'number', 'L', got int"):
        explain(loss, model.layers[0].neurons[0].w[0], notation=1)
