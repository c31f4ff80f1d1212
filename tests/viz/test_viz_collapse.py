"""draw_graph(collapse=...): an nn model's neurons or layers as boxes."""

import math
import re

import pytest

import viz
from autodiff import Value, topological_order
from autodiff import sum as vsum
from nn.layers import MLP
from nn.notation import label
from viz.graph import PATH_COLOUR

N = 5  # samples in one graph


def training_loss(weighted_sum, samples=N, sizes=(3, 2, 1), seed=0):
    """Σᵢ (mlp(xᵢ) − yᵢ)² / N built with plain engine ops (so its shape is known)."""
    mlp = MLP(
        2, list(sizes), activation="tanh", output_activation="tanh", seed=seed,
        weighted_sum=weighted_sum,
    )
    terms = []
    for i in range(samples):
        x = [0.1 * i - 0.2, 0.3 - 0.05 * i]
        terms.append((mlp(x) - (1.0 if i % 2 else -1.0)) ** 2)
    loss = vsum(terms) * (1.0 / samples)
    loss.backward()
    return mlp, loss


def squash(text):
    """``text`` without whitespace: SVG splits a line into runs (bold, plain)."""
    return "".join(text.split())


def box_texts(svg):
    """title -> all the text of the node, without whitespace."""
    return {title: squash("".join(texts)) for title, texts in svg["nodes"].items()}


@pytest.mark.parametrize("weighted_sum", ["products", "dot"])
def test_neuron_boxes_per_neuron_aggregating_the_samples(svg_of, weighted_sum):
    mlp, loss = training_loss(weighted_sum)
    values = len(topological_order(loss))
    drawing = viz.draw_graph(loss, collapse="neuron", max_nodes=50)
    svg = svg_of(drawing)
    # Hand count: 3 + 2 + 1 neuron boxes, 2 input boxes, and the loss drawn
    # once for all samples: "-" with its merged targets, "**" with its merged
    # exponents, the sum, "*" with the constant 1/N (the legend is the graph's
    # label, not a node).
    assert len(svg["nodes"]) == 6 + 2 + 7 == drawing.node_count
    assert drawing.node_count < values / (8 if weighted_sum == "products" else 5)
    # Edges: 2×3 inputs→layer 1, 3×2 layer 1→2, 2×1 layer 2→3, 7 in the loss.
    assert len(svg["edges"]) == 6 + 6 + 2 + 7 == drawing.edge_count
    texts = box_texts(svg)
    for l, size in ((1, 3), (2, 2), (3, 1)):
        nin = 2 if l == 1 else (3, 2)[l - 2]
        for j in range(size):
            boxes = [t for t in texts.values() if t.startswith(label("a", l, j) + "=")]
            assert len(boxes) == 1, (l, j, texts)
            box = boxes[0]
            assert squash(f"{nin} weights, 1 bias") in box
            assert squash(f"× {N} samples") in box
            # Per sample (nn's conventions): the weighted sum's nodes (nin
            # products and their sum z, or the one dot node z), then
            # a = tanh(z); plus the neuron's nin + 1 parameters.
            per = nin + 2 if weighted_sum == "products" else 2
            assert squash(f"{per * N + nin + 1} values") in box
            assert "tanh" in box
    for k in range(2):
        (box,) = [t for t in texts.values() if t.startswith(label("a", 0, k))]
        assert squash(f"× {N} samples") in box and squash(f"{N} values") in box
    assert any(t.startswith(squash("constant × 5")) for t in texts.values())


def test_layer_boxes(svg_of):
    mlp, loss = training_loss("products")
    svg = svg_of(viz.draw_graph(loss, collapse="layer", legend=False))
    # Layers 0..3 and the 7 loss nodes; a chain of 3 edges between layers, 7 in the loss.
    assert len(svg["nodes"]) == 4 + 7
    assert len(svg["edges"]) == 3 + 7
    texts = box_texts(svg).values()
    assert any(t.startswith(squash(f"layer 0: 2 inputs × {N} samples")) for t in texts)
    for line in ("layer 1: 3 neurons, tanh 9 parameters", "layer 2: 2 neurons, tanh 8 parameters",
                 "layer 3: 1 neuron, tanh 3 parameters"):
        assert any(t.startswith(squash(line + f" × {N} samples")) for t in texts), line


def test_single_sample_boxes_show_the_output_data_and_grad():
    mlp = MLP(2, [1], output_activation="tanh")
    n = mlp.layers[0].neurons[0]
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    out = mlp([2.0, 3.0])
    out.backward()
    source = viz.draw_graph(out, collapse="neuron").source
    a = math.tanh(0.5 * 2.0 - 1.0 * 3.0 + 0.25)  # hand-computed a⁽¹⁾₀
    assert f"data {a:.4g}  grad 1<" in source
    assert "a⁽⁰⁾₀</B> input<BR/>data 2  grad " in source


def test_linear_output_neuron_is_its_z(svg_of):
    mlp = MLP(2, [2, 1], seed=3)  # relu hidden layer, linear output
    out = mlp([1.0, -1.0])
    texts = box_texts(svg_of(viz.draw_graph(out, collapse="neuron")))
    output = squash(f"{label('a', 2, 0)} = {label('z', 2, 0)} 2 weights")
    assert any(t.startswith(output) for t in texts.values())
    hidden = squash(f"{label('a', 1, 1)} = relu({label('z', 1, 1)})")
    assert any(t.startswith(hidden) for t in texts.values())


def test_collapsed_highlight_marks_the_boxes_and_edges_on_the_path(svg_of):
    mlp, loss = training_loss("dot")
    target = mlp.layers[0].neurons[0].w[0]
    svg = svg_of(viz.draw_graph(loss, collapse="neuron", highlight=target))
    titles = box_texts(svg)
    red = [(titles[t], titles[h]) for t, h, _, stroke in svg["edges"] if stroke == PATH_COLOUR]
    # From neuron (1,0) to both neurons of layer 2, from both to the output
    # neuron, then output → "-" → "**" → sum → "*".
    assert len(red) == 2 + 2 + 4
    assert sum(1 for tail, _ in red if tail.startswith(label("a", 1, 0))) == 2
    assert not any(tail.startswith(label("a", 1, 1)) for tail, _ in red)
    # Aggregated edges carry no derivative labels.
    assert all(not texts for _, _, texts, _ in svg["edges"])


def test_a_large_training_step_collapses_to_a_readable_picture(svg_of):
    # micrograd's moons model on 100 samples: tens of thousands of values.
    mlp, loss = training_loss("products", samples=100, sizes=(16, 16, 1), seed=1337)
    values = len(topological_order(loss))
    assert values > 30_000
    with pytest.raises(ValueError, match=f"{values:,} values.*collapse="):
        viz.draw_graph(loss)
    drawing = viz.draw_graph(loss, collapse="neuron")
    # 33 neurons, 2 inputs, 7 loss nodes (the legend is not a node).
    assert drawing.node_count == 33 + 2 + 7
    svg = svg_of(viz.draw_graph(loss, collapse="layer"))
    assert len(svg["nodes"]) == 4 + 7
    assert any(squash("× 100 samples") in t for t in box_texts(svg).values())


def test_collapse_that_cannot_shrink_enough_is_a_value_error():
    y = Value(1.0, "x")
    for _ in range(30):
        y = y.sin()
    with pytest.raises(ValueError, match="even with collapse='neuron'.*31 boxes"):
        viz.draw_graph(y, collapse="neuron", max_nodes=20)


def test_other_nodes_keep_their_labels_and_merge_by_structure():
    x = Value(0.5, "x")
    losses = [(x * float(i)).exp() for i in range(4)]
    for v in losses:
        v.label = "Cᵢ"
    total = vsum(losses)
    total.label = "C"
    source = viz.draw_graph(total, collapse="neuron", legend=False).source
    # x, the four products merged, their constants merged, the four exps merged, C.
    assert len(re.findall(r"^\s*g\d+ \[", source, re.M)) == 5
    assert "<B>Cᵢ</B> exp<BR/>× 4" in source
    assert "<B>C</B> sum<BR/>data " in source
