"""draw_graph(focus=...): the chain-rule paths to one node, and their sum."""

import re

import pytest

import nn
import viz
from autodiff import Value, topological_order
from nn import MLP
from viz.focus import Focus

# The caption's exact numbers (15 significant digits).
NUM = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def seed_003_network():
    """Seed 003's network: 3 inputs, hidden layers of 5 and 6, 4 outputs; C₀ the squared error."""
    model = MLP(3, [5, 6, 4], activation="tanh", output_activation="sigmoid", seed=0)
    loss = nn.losses.squared_error(model([0.5, -1.0, 0.25]), [0.0, 1.0, 0.0, 1.0])
    loss.backward()
    return model, loss


def caption(source: str) -> list[str]:
    """The caption lines of a drawing (the graph label's rows, unescaped)."""
    label = re.search(r'graph \[labelloc="b".*$', source, re.M).group(0)
    rows = re.findall(r'<FONT POINT-SIZE="11">(.*?)</FONT></TD>', label)
    return [
        r.replace("&#93;", "]").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
        for r in rows
    ]


@pytest.mark.parametrize("weighted_sum", ["dot", "products"])
def test_one_path_reads_as_seed_003(weighted_sum):
    model = MLP(
        3,
        [5, 6, 4],
        activation="tanh",
        output_activation="sigmoid",
        seed=0,
        weighted_sum=weighted_sum,
    )
    x, y = [0.5, -1.0, 0.25], [0.0, 1.0, 0.0, 1.0]
    loss = nn.losses.squared_error(model(x), y)
    loss.backward()
    w = model.layers[2].neurons[1].w[2]
    lines = caption(viz.draw_graph(loss, focus=w, root_label="C₀").source)
    assert lines[0] == "∂C₀/∂w⁽³⁾₁₂ = (∂C₀/∂a⁽³⁾₁)(∂a⁽³⁾₁/∂z⁽³⁾₁)(∂z⁽³⁾₁/∂w⁽³⁾₁₂)"
    # The three factors by hand (seed 003): 2(a − y), σ′(z) = a(1 − a), a⁽²⁾₂.
    neurons = model.layers
    import math

    def forward(layer_neurons, inputs, g):
        zs = [
            sum(n.w[k].data * inputs[k] for k in range(len(inputs))) + n.b.data
            for n in layer_neurons
        ]
        return zs, [g(z) for z in zs]

    _, a1 = forward(neurons[0].neurons, x, math.tanh)
    _, a2 = forward(neurons[1].neurons, a1, math.tanh)
    _, a3 = forward(neurons[2].neurons, a2, lambda z: 1 / (1 + math.exp(-z)))
    factors = [2 * (a3[1] - y[1]), a3[1] * (1 - a3[1]), a2[2]]
    values = [float(v) for v in re.findall(NUM, lines[1].split(" = ")[0])]
    assert values == pytest.approx(factors, rel=1e-3)  # 4 significant digits
    product = float(lines[1].split(" = ")[-1])
    assert product == pytest.approx(factors[0] * factors[1] * factors[2], rel=1e-12, abs=1e-12)
    assert abs(product - w.grad) <= 1e-12


def test_four_paths_add_up_to_the_gradient_and_show_the_back_in_backprop():
    model, loss = seed_003_network()
    w = model.layers[1].neurons[2].w[2]  # w⁽²⁾₂₂
    drawing = viz.draw_graph(loss, focus=w, root_label="C₀")
    lines = caption(drawing.source)
    assert lines[0] == "∂C₀/∂w⁽²⁾₂₂: the sum over its 4 paths"
    paths = [x for x in lines if x.startswith("path ")]
    assert len(paths) == 4
    for j, line in enumerate(paths):
        assert line == (
            f"path {j + 1}: (∂C₀/∂a⁽³⁾{'₀₁₂₃'[j]})(∂a⁽³⁾{'₀₁₂₃'[j]}/∂z⁽³⁾{'₀₁₂₃'[j]})"
            f"(∂z⁽³⁾{'₀₁₂₃'[j]}/∂a⁽²⁾₂)(∂a⁽²⁾₂/∂z⁽²⁾₂)(∂z⁽²⁾₂/∂w⁽²⁾₂₂)"
        )
    products = [float(lines[lines.index(p) + 1].split(" = ")[-1]) for p in paths]
    (total_line,) = [x for x in lines if x.startswith("∂C₀/∂w⁽²⁾₂₂ = ")]
    terms = [float(t) for t in re.findall(NUM, total_line.split(" = ", 1)[1].replace("− ", "-"))]
    assert terms[:-1] == products
    assert abs(sum(products) - w.grad) <= 1e-12
    assert abs(terms[-1] - w.grad) <= 1e-12
    # The partner of a⁽²⁾₂ in each z⁽³⁾ⱼ is w⁽³⁾ⱼ₂ = ∂z⁽³⁾ⱼ/∂a⁽²⁾₂, drawn beside it.
    for j in range(4):
        weight = model.layers[2].neurons[j].w[2]
        assert f"{weight.label} = {weight.data:.4g}" in drawing.source


def test_the_focus_draws_only_its_paths_and_inputs(svg_of):
    model, loss = seed_003_network()
    w = model.layers[2].neurons[1].w[2]
    drawing = viz.draw_graph(loss, focus=w, root_label="C₀")
    svg = svg_of(drawing)
    # The path w → z⁽³⁾₁ → a⁽³⁾₁ → (a − y) → (·)² → C₀ (6 boxes), the inputs the
    # local derivatives need (a⁽²⁾₂, y₁, the exponent 2), and two notes of the
    # other inputs (z's 11, the sum's 3).
    assert drawing.node_count == len(svg["nodes"]) == 6 + 3 + 2
    red = [e for e in svg["edges"] if e[3] == viz.graph.PATH_COLOUR]
    assert len(red) == 5
    texts = " ".join(t for e in red for t in e[2])
    assert "∂a⁽³⁾₁/∂z⁽³⁾₁" in texts and "∂z⁽³⁾₁/∂w⁽³⁾₁₂" in texts
    # The root is named.
    assert any("C₀" in " ".join(t) for t in svg["nodes"].values())


def test_a_training_step_focus_is_small_and_adds_up():
    model = MLP(2, [16, 16, 1], seed=0)
    X, y = nn.data.make_moons(100)
    y = [2 * t - 1 for t in y]
    loss, _ = nn.batch_loss(model, X, y, "hinge", l2=1e-4)
    loss.backward()
    assert len(topological_order(loss)) > 7000
    for w in (
        model.layers[0].neurons[3].w[1],
        model.layers[1].neurons[2].w[5],
        model.layers[2].neurons[0].w[7],
    ):
        drawing = viz.draw_graph(loss, focus=w)
        assert drawing.node_count <= 30, (w.label, drawing.node_count)
        lines = caption(drawing.source)
        assert "paths, grouped by their first step" in lines[0]
        goal = f"∂C/∂{w.label}"
        (total_line,) = [x for x in lines if x.startswith(goal + " = ")]
        said = float(re.findall(NUM, total_line)[-1])
        assert abs(said - w.grad) <= 1e-12
        shares = [float(re.findall(NUM, x)[-1]) for x in lines if x.startswith("through ")]
        assert len(shares) == 2  # the data term and the L2 penalty w·w
        assert abs(sum(shares) - w.grad) <= 1e-12


def test_path_sum_is_independent_of_backward():
    # Without backward the grads are 0, but the caption's sum is still ∂C/∂x.
    x = Value(0.7, "x")
    y = x * x + x.sin() * x
    lines = caption(viz.draw_graph(y, focus=x).source)
    import math

    expected = 2 * 0.7 + math.cos(0.7) * 0.7 + math.sin(0.7)
    (total,) = [t for t in lines if t.startswith("∂C/∂x = ")]
    assert float(total.split(" = ")[-1]) == pytest.approx(expected, rel=1e-13)
    assert "backward gave x.grad = 0" in lines[-1]


def test_focus_on_several_nodes_and_bad_arguments():
    model, loss = seed_003_network()
    ws = [model.layers[2].neurons[0].w[0], model.layers[2].neurons[3].w[5]]
    lines = caption(viz.draw_graph(loss, focus=ws, root_label="C₀").source)
    assert sum(line.startswith("∂C₀/∂w⁽³⁾") for line in lines) == 2
    with pytest.raises(ValueError, match="not in the graph"):
        viz.draw_graph(loss, focus=Value(1.0))
    with pytest.raises(TypeError, match="focus"):
        viz.draw_graph(loss, focus="w")
    with pytest.raises(ValueError, match="empty"):
        viz.draw_graph(loss, focus=[])
    with pytest.raises(ValueError, match="single root"):
        viz.draw_graph([loss, loss * 2], focus=ws[0])
    with pytest.raises(ValueError, match="not both"):
        viz.draw_graph(loss, focus=ws[0], highlight=ws[0])
    with pytest.raises(TypeError, match="root_label"):
        viz.draw_graph(loss, root_label=3)
    with pytest.raises(ValueError, match="max_paths"):
        viz.draw_graph(loss, focus=ws[0], max_paths=0)


def test_focus_walk_counts_paths_of_a_diamond_and_a_square():
    x = Value(3.0, "x")
    y = x * x  # two slots: two paths
    z = y + y  # two more: four paths
    f = Focus(topological_order(z), z, [x])
    assert f.paths_up[x] == 4
    assert f.total(x) == pytest.approx(4 * 3.0)  # d(2x²)/dx


@pytest.mark.parametrize("mode", ["neuron", "layer"])
def test_collapsed_focus_marks_the_weight_edge_and_gives_the_total(mode):
    model, loss = seed_003_network()
    w = model.layers[1].neurons[2].w[2]
    source = viz.draw_graph(loss, collapse=mode, focus=w, root_label="C₀").source
    edges = [line for line in source.splitlines() if "penwidth=4" in line]
    assert len(edges) == 1 and f"{w.label}: grad {w.grad:.4g}" in edges[0]
    (line,) = caption(source)
    assert line.startswith("∂C₀/∂w⁽²⁾₂₂ = ") and "4 paths" in line
    assert abs(float(line.split(" = ")[1].split(",")[0]) - w.grad) <= 1e-12


def test_a_focused_graph_is_drawn_top_to_bottom_unless_asked():
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    y = (x * w).tanh()
    assert 'rankdir="TB"' in viz.draw_graph(y, focus=w).source
    assert 'rankdir="LR"' in viz.draw_graph(y, focus=w, rankdir="LR").source
    assert 'rankdir="LR"' in viz.draw_graph(y).source  # a whole graph stays left to right
