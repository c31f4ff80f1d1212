"""Pictures that fit their column, collapsed layers in index order, and δ on the network."""

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
import viz
from nn import MLP
from viz.render import css_width, fit_svg

SVG_TAG = re.compile(r"<svg\b[^>]*>")


def seed_003(samples=1):
    model = MLP(3, [5, 6, 4], activation="tanh", output_activation="sigmoid", seed=0)
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(samples, 3))
    Y = rng.uniform(0, 1, size=(samples, 4))
    if samples == 1:
        loss = nn.losses.squared_error(model(list(X[0])), list(Y[0]))
    else:
        loss, _ = nn.batch_loss(model, [list(x) for x in X], [list(y) for y in Y], "squared_error")
    loss.backward()
    return model, loss, X, Y


def numpy_deltas(model, x, y):
    """Seed 002's rules by hand: δᴸ = 2(a − y) ⊙ σ′(zᴸ), δˡ = (Wˡ⁺¹)ᵀδˡ⁺¹ ⊙ g′(zˡ)."""
    Ws = [np.array([[w.data for w in n.w] for n in layer.neurons]) for layer in model.layers]
    bs = [np.array([n.b.data for n in layer.neurons]) for layer in model.layers]
    a, zs, acts = np.asarray(x, float), [], []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = W @ a + b
        a = 1 / (1 + np.exp(-z)) if i == len(Ws) - 1 else np.tanh(z)
        zs.append(z)
        acts.append(a)
    delta = 2 * (acts[-1] - y) * acts[-1] * (1 - acts[-1])
    deltas = [delta]
    for i in range(len(Ws) - 2, -1, -1):
        delta = (Ws[i + 1].T @ delta) * (1 - np.tanh(zs[i]) ** 2)
        deltas.insert(0, delta)
    return deltas


def deltas_drawn(source):
    """(l, j) -> the δ written on node a{l}_{j}."""
    out = {}
    for l, j, d in re.findall(r"^\s*a(\d+)_(\d+) \[.*?δ (\S+?)</FONT>", source, re.M):
        out[int(l), int(j)] = float(d)
    return out


def test_delta_of_one_sample_equals_the_seed_formula():
    model, loss, X, Y = seed_003()
    drawing = viz.draw_network(model, show="delta", root=loss)
    drawn = deltas_drawn(drawing.source)
    expected = numpy_deltas(model, X[0], Y[0])
    assert len(drawn) == 5 + 6 + 4
    for l, d in enumerate(expected, start=1):
        for j, v in enumerate(d):
            assert drawn[l, j] == pytest.approx(v, rel=1e-3, abs=1e-6)  # 4 significant digits
    assert "one sample" in drawing.source


def test_delta_after_a_batch_is_the_mean_or_one_named_sample():
    model, loss, X, Y = seed_003(samples=5)
    per = [numpy_deltas(model, x, y) for x, y in zip(X, Y)]
    mean = viz.draw_network(model, show="delta", root=loss)
    assert "mean over the 5 samples" in mean.source
    third = viz.draw_network(model, show="delta", root=loss, sample=2)
    assert "sample 2 of 5" in third.source
    for drawing, want in (
        (mean, lambda l, j: np.mean([p[l - 1][j] for p in per])),
        (third, lambda l, j: per[2][l - 1][j]),
    ):
        for (l, j), v in deltas_drawn(drawing.source).items():
            assert v == pytest.approx(want(l, j), rel=1e-3, abs=1e-6)


def test_delta_bad_options_are_clear():
    model = MLP(3, [5, 6, 4], seed=0)
    with pytest.raises(ValueError, match="needs root="):
        viz.draw_network(model, show="delta")
    loss = nn.losses.squared_error(model([0.1, 0.2, 0.3]), [0, 0, 0, 0])
    with pytest.raises(ValueError, match="backward"):
        viz.draw_network(model, show="delta", root=loss)
    other = MLP(3, [5, 6, 4], seed=1)
    loss.backward()
    with pytest.raises(ValueError, match="no z"):
        viz.draw_network(other, show="delta", root=loss)
    with pytest.raises(ValueError, match="sample must be in 0..0"):
        viz.draw_network(model, show="delta", root=loss, sample=1)
    with pytest.raises(ValueError, match="go with show='delta'"):
        viz.draw_network(model, root=loss)
    with pytest.raises(ValueError, match="edge_width"):
        viz.draw_network(model, edge_width="size")
    with pytest.raises(ValueError, match="not a weight of the model"):
        viz.draw_network(model, highlight=other.layers[0].neurons[0].w[0])


def test_highlight_and_edge_width_follow_the_gradient(svg_of):
    model, loss, _, _ = seed_003()
    w = model.layers[1].neurons[2].w[2]
    svg = svg_of(viz.draw_network(model, highlight=w, edge_width="grad"))
    (marked,) = [e for e in svg["edges"] if e[0] == "a1_2" and e[1] == "a2_2"]
    assert "∂C/∂w = " + f"{w.grad:.4g}" in " ".join(marked[2])
    widths = {(t, h): svg["widths"][t, h] for t, h, _, _ in svg["edges"]}
    grads = {
        (f"a{l}_{k}", f"a{l + 1}_{j}"): abs(n.w[k].grad)
        for l, layer in enumerate(model.layers)
        for j, n in enumerate(layer.neurons)
        for k in range(len(n.w))
    }
    # The widest edge (other than the marked one, drawn at least 2.5) has the largest |∂C/∂w|.
    del widths["a1_2", "a2_2"], grads["a1_2", "a2_2"]
    assert max(widths, key=widths.get) == max(grads, key=grads.get)


def test_notebook_display_fits_the_column(require_dot):
    model, loss, _, _ = seed_003()
    drawing = viz.draw_graph(loss, focus=model.layers[2].neurons[1].w[2], root_label="C₀")
    natural = SVG_TAG.search(drawing.svg()).group(0)
    width_pt = re.search(r'width="([\d.]+)pt"', natural).group(1)
    bundle = drawing._repr_mimebundle_()
    for svg in (bundle["image/svg+xml"], drawing._repr_svg_(), bundle["text/html"]):
        tag = SVG_TAG.search(svg).group(0)
        assert 'width="100%"' in tag and "height=" not in tag.replace("height:auto", "")
        assert f"max-width:{width_pt}pt" in tag and "height:auto" in tag
        assert "viewBox=" in tag
    ET.fromstring(bundle["image/svg+xml"].encode("utf-8"))
    assert bundle["text/html"].startswith('<div style="max-width:100%')
    # width= on the drawing function, and on the Drawing.
    wide = viz.draw_network(model, width=480)
    assert wide.width == "480px"
    tag = SVG_TAG.search(wide._repr_svg_()).group(0)
    assert "width:480px;max-width:100%;height:auto" in tag
    wide.width = "60%"
    assert "width:60%" in SVG_TAG.search(wide._repr_svg_()).group(0)


def test_save_keeps_the_natural_size_unless_asked(tmp_path, require_dot):
    drawing = viz.draw_graph(
        nn.losses.squared_error(MLP(2, [2, 1], seed=0)([1, 2]), 0.5), width=300
    )
    plain = drawing.save(tmp_path / "g.svg").read_text(encoding="utf-8")
    assert re.search(r'<svg width="[\d.]+pt" height="[\d.]+pt"', plain)
    sized = drawing.save(tmp_path / "h.svg", width="20em").read_text(encoding="utf-8")
    assert "width:20em;max-width:100%" in sized
    with pytest.raises(ValueError, match=r"\.svg files only"):
        drawing.save(tmp_path / "g.png", width=300)


@pytest.mark.parametrize(
    "bad, error",
    [
        (0, ValueError),
        (-3, ValueError),
        (math.inf, ValueError),
        ("wide", ValueError),
        ("10 px", ValueError),
        (True, TypeError),
        ([300], TypeError),
    ],
)
def test_bad_widths(bad, error):
    with pytest.raises(error, match="width"):
        css_width(bad)


def test_fit_svg_replaces_only_the_root_size():
    svg = '<?xml?>\n<svg width="254pt" height="116pt"\n viewBox="0 0 254 116"><g width="3"/></svg>'
    out = fit_svg(svg)
    assert out.startswith(
        '<?xml?>\n<svg width="100%" style="width:100%;max-width:254pt;height:auto"'
    )
    assert 'viewBox="0 0 254 116"' in out and '<g width="3"/>' in out


def test_legend_is_not_a_rank_of_its_own(svg_of):
    # The legend is the graph's label: a small graph's nodes and edges are the same
    # with or without it, and no legend node is drawn.
    from autodiff import Value

    x = Value(2.0, "x")
    y = (x * x).tanh()
    with_legend, without = svg_of(viz.draw_graph(y)), svg_of(viz.draw_graph(y, legend=False))
    assert with_legend["nodes"].keys() == without["nodes"].keys()
    assert "legend" not in with_legend["nodes"]


@pytest.mark.parametrize("weighted_sum", ["dot", "products"])
def test_collapsed_layers_keep_index_order(require_dot, weighted_sum):
    model = MLP(2, [5, 3, 1], seed=0, weighted_sum=weighted_sum)
    loss = nn.losses.squared_error(model([0.3, -0.2]), 1.0)
    loss.backward()
    # Read each box's y from the SVG's polygon points through the node titles.
    root = ET.fromstring(viz.draw_graph(loss, collapse="neuron", legend=False).svg().encode())
    ns = "{http://www.w3.org/2000/svg}"
    centre = {}
    for g in root.iter(f"{ns}g"):
        if g.get("class") == "node":
            points = (
                g.find(f"{ns}path") if g.find(f"{ns}polygon") is None else g.find(f"{ns}polygon")
            )
            text = "".join(t.text or "" for t in g.iter(f"{ns}text"))
            nums = [
                float(v) for v in re.findall(r"-?[\d.]+", points.get("points") or points.get("d"))
            ]
            centre[text] = sum(nums[1::2]) / len(nums[1::2])
    for layer, size in ((1, 5), (2, 3)):
        sub = "₀₁₂₃₄"
        ordered = [
            next(v for t, v in centre.items() if t.startswith(f"a⁽{'¹²'[layer - 1]}⁾{sub[j]}"))
            for j in range(size)
        ]
        assert ordered == sorted(ordered), (layer, ordered)  # node 0 on top (SVG y grows down)
