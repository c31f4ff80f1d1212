"""draw_network: columns of nodes a⁽ˡ⁾ⱼ, one edge per weight w⁽ˡ⁾ⱼₖ."""

import re
from types import SimpleNamespace

import pytest

import viz
from autodiff import Value
from nn.layers import MLP
from nn.notation import label
from viz.network import NEGATIVE, POSITIVE, ZERO


def model_with_known_weights():
    """MLP 3-4-2 with w⁽ˡ⁾ⱼₖ = (j - k + l)/4 and grads of alternating sign (one 0)."""
    mlp = MLP(3, [4, 2], activation="tanh")
    for l, layer in enumerate(mlp.layers, start=1):
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                w.data = (j - k + l) / 4
                w.grad = 0.0 if (l, j, k) == (1, 0, 0) else (-1) ** (j + k) * 0.25 * (k + 1)
            n.b.data, n.b.grad = 0.1 * j, -0.2
    return mlp


def colour(sign):
    return POSITIVE if sign > 0 else NEGATIVE if sign < 0 else ZERO


def test_columns_nodes_and_one_edge_per_weight(svg_of):
    mlp = model_with_known_weights()
    drawing = viz.draw_network(mlp)
    svg = svg_of(drawing)
    # 3 inputs + 4 + 2 nodes (the legend is the graph's label); 3×4 + 4×2 visible edges
    # (the invisible edges that keep each column in order are not drawn).
    assert len(svg["nodes"]) == 3 + 4 + 2 == drawing.node_count
    assert len(svg["edges"]) == 12 + 8 == drawing.edge_count
    for l, size in enumerate([3, 4, 2]):
        for j in range(size):
            assert svg["nodes"][f"a{l}_{j}"][0] == label("a", l, j)
    # Each layer is a column (same x, rank order left to right), node 0 on top.
    centres = svg["centres"]
    xs = [{centres[f"a{l}_{j}"][0] for j in range(size)} for l, size in enumerate([3, 4, 2])]
    assert all(len(x) == 1 for x in xs) and xs[0].pop() < xs[1].pop() < xs[2].pop()
    for l, size in enumerate([3, 4, 2]):
        ys = [centres[f"a{l}_{j}"][1] for j in range(size)]
        assert ys == sorted(ys)


def test_edge_colour_is_the_sign_of_the_gradient_or_of_the_weight(svg_of):
    mlp = model_with_known_weights()
    for show, sign_of in (("grad", lambda w: w.grad), ("weight", lambda w: w.data)):
        svg = svg_of(viz.draw_network(mlp, show=show))
        strokes = {(t, h): stroke for t, h, _, stroke in svg["edges"]}
        for l, layer in enumerate(mlp.layers, start=1):
            for j, n in enumerate(layer.neurons):
                for k, w in enumerate(n.w):
                    edge = (f"a{l - 1}_{k}", f"a{l}_{j}")
                    assert strokes[edge] == colour(sign_of(w)), (show, l, j, k)
        used = set(strokes.values())
        assert used == {POSITIVE, NEGATIVE, ZERO}


def test_edge_width_grows_with_the_weight_magnitude(svg_of):
    mlp = model_with_known_weights()
    widths = svg_of(viz.draw_network(mlp))["widths"]
    biggest = max(abs(w.data) for layer in mlp.layers for n in layer.neurons for w in n.w)
    for l, layer in enumerate(mlp.layers, start=1):
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                # Width from 0.4 (w = 0) to 4.0 (the largest |w|), linear in |w|.
                expected = 0.4 + 3.6 * abs(w.data) / biggest
                assert widths[(f"a{l - 1}_{k}", f"a{l}_{j}")] == pytest.approx(expected, abs=0.01)


def test_value_labels(svg_of):
    mlp = model_with_known_weights()
    svg = svg_of(viz.draw_network(mlp, labels=True))
    texts = {(t, h): texts for t, h, texts, _ in svg["edges"]}
    # w⁽²⁾₁₂ = (1 - 2 + 2)/4 = 0.25, grad (-1)^3 · 0.25 · 3 = -0.75
    assert texts[("a1_2", "a2_1")] == [f"{label('w', 2, 1, 2)} = 0.25", "grad -0.75"]
    assert f"{label('b', 1, 3)} = 0.3" in svg["nodes"]["a1_3"]
    assert "grad -0.2" in svg["nodes"]["a1_3"]
    assert "tanh" in svg["nodes"]["a1_3"]


def test_any_object_with_layers_neurons_w_b_is_accepted():
    neuron = SimpleNamespace(w=[Value(1.0), Value(-2.0)], b=Value(0.0))
    model = SimpleNamespace(layers=[SimpleNamespace(neurons=[neuron])])
    drawing = viz.draw_network(model, legend=False)
    assert drawing.node_count == 3 and drawing.edge_count == 2


@pytest.mark.parametrize(
    "model",
    [
        3,
        Value(1.0),
        SimpleNamespace(layers=[]),
        SimpleNamespace(layers=[SimpleNamespace(neurons=[SimpleNamespace(w=[1.0], b=Value(0.0))])]),
        SimpleNamespace(layers=[SimpleNamespace(neurons=[SimpleNamespace(w=[Value(1.0)], b=0.0)])]),
        SimpleNamespace(layers="abc"),
    ],
)
def test_anything_else_is_a_type_error(model):
    with pytest.raises(TypeError, match="model must be an nn.MLP"):
        viz.draw_network(model)


def test_layer_sizes_that_do_not_chain_are_a_value_error():
    mlp = MLP(2, [3, 1])
    mlp.layers[1].neurons[0].w.pop()
    message = r"layers\[1\].neurons\[0\] has 2 weights, but layer 1 has 3 nodes"
    with pytest.raises(ValueError, match=message):
        viz.draw_network(mlp)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"show": "grads"}, ValueError),
        ({"rankdir": "up"}, ValueError),
        ({"labels": "yes"}, TypeError),
        ({"max_edges": 0}, ValueError),
        ({"max_edges": True}, ValueError),
        ({"max_edges": 10.0}, ValueError),
        ({"legend": 1}, TypeError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        viz.draw_network(MLP(2, [2]), **kwargs)


def test_too_many_weights():
    with pytest.raises(ValueError, match="20 weights, more than max_edges=10"):
        viz.draw_network(MLP(4, [4, 1]), max_edges=10)


def test_network_dot_is_deterministic():
    a = viz.draw_network(model_with_known_weights()).source
    b = viz.draw_network(model_with_known_weights()).source
    assert a == b
    assert len(re.findall(r"style=invis", a)) == 2 + 3 + 1  # column-order edges
