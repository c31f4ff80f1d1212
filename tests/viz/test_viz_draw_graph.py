"""draw_graph: nodes, colours, highlighted chain-rule paths, arguments, saving."""

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import viz
from autodiff import Value, grad
from viz.graph import COLOURS, PATH_COLOUR

HERE = Path(__file__).parent


def micrograd_example():
    """micrograd's first example, L = (a*b + c) * f, with its gradients."""
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L


def fill_of(source: str) -> dict:
    """node id -> the BGCOLOR of its table, read from the DOT text."""
    return dict(re.findall(r'^\s*(n\d+) \[.*?BGCOLOR="(#[0-9a-f]+)"', source, re.M))


def test_values_show_label_data_and_grad_and_each_op_is_a_node(svg_of):
    drawing = viz.draw_graph(micrograd_example())
    svg = svg_of(drawing)
    # 7 values, 3 ops, the legend; each op has 2 edges in and 1 out.
    assert len(svg["nodes"]) == 10 == drawing.node_count
    assert len(svg["edges"]) == 9 == drawing.edge_count
    texts = {tuple(t) for t in svg["nodes"].values()}
    # Hand-derived: dL/da = f*b = 6, dL/db = f*a = -4, dL/dc = dL/de = dL/dd = f = -2,
    # dL/df = d = 4.
    for expected in [
        ("a", "data 2", "grad 6"),
        ("b", "data -3", "grad -4"),
        ("c", "data 10", "grad -2"),
        ("e", "data -6", "grad -2"),
        ("d", "data 4", "grad -2"),
        ("f", "data -2", "grad 4"),
        ("L", "data -8", "grad 1"),
        ("*",),
        ("+",),
    ]:
        assert expected in texts
    assert sum(t == ("*",) for t in texts) == 1  # the two "*" nodes have the same text
    ops = [title for title, t in svg["nodes"].items() if t in (["*"], ["+"])]
    assert len(ops) == 3
    # Every op sits between its inputs and its output: edges in, then one edge out.
    for op in ops:
        assert sum(1 for tail, head, *_ in svg["edges"] if head == op) == 2
        assert sum(1 for tail, head, *_ in svg["edges"] if tail == op) == 1


def test_data_and_grad_have_four_significant_digits():
    x = Value(math.pi, "x")
    y = x * 1000.0
    y.backward()
    source = viz.draw_graph(y).source
    assert "data 3.142<" in source and "grad 1000<" in source and "data 3142<" in source


def test_kinds_are_coloured_apart_with_a_legend():
    x = Value(1.5, "x")
    w = Value(-0.5, "w⁽¹⁾₀₀")
    b = Value(0.1, "b⁽¹⁾₀")
    y = (x * w + b) * 2.0
    source = viz.draw_graph(y).source
    fills = fill_of(source)
    # Traversal order: x, w, x*w, b, x*w+b, 2.0, y.
    assert fills["n0"] == COLOURS["input"]
    assert fills["n1"] == COLOURS["parameter"]
    assert fills["n2"] == COLOURS["computed"]
    assert fills["n3"] == COLOURS["parameter"]
    assert fills["n5"] == COLOURS["constant"]
    assert fills["n6"] == COLOURS["root"]
    # The legend is the graph's label (under the picture), not a node.
    assert not re.search(r"^\s*legend \[", source, re.M)
    legend = re.search(r'^\s*graph \[labelloc="b".*$', source, re.M).group(0)
    for kind in ("root", "parameter", "input", "constant", "computed value", "operation"):
        assert kind in legend
    assert "path" not in legend  # nothing highlighted


def test_show_grad_false_and_no_legend(svg_of):
    svg = svg_of(viz.draw_graph(micrograd_example(), show_grad=False, legend=False))
    assert len(svg["nodes"]) == 10
    assert not any(t.startswith("grad") for texts in svg["nodes"].values() for t in texts)


def test_several_roots_are_drawn_together():
    x = Value(2.0, "x")
    y1, y2 = x * 3.0, x.exp()
    drawing = viz.draw_graph([y1, y2], legend=False)
    # x, 3.0, y1 (+ op), y2 (+ op)
    assert drawing.node_count == 6
    fills = fill_of(drawing.source)
    assert list(fills.values()).count(COLOURS["root"]) == 2


def test_graph_is_drawn_from_the_topological_order_even_when_deep():
    x = Value(0.1, "x")
    y = x
    for _ in range(3000):  # far deeper than any recursive walk could go
        y = y + 1.0
    drawing = viz.draw_graph(y, max_nodes=10_000, legend=False)
    # 3001 values on the chain, 3000 constants, 3000 ops; 3 edges per op.
    assert drawing.node_count == 9001
    assert drawing.edge_count == 9000


# --------------------------------------------------------------------------
# Highlighted paths


def red_labelled_edges(svg):
    return [
        (t, h, texts) for t, h, texts, stroke in svg["edges"] if stroke == PATH_COLOUR and texts
    ]


def test_chain_highlight_product_of_edge_labels_is_the_gradient(svg_of):
    x = Value(0.3, "x")
    w = Value(-1.2, "w")
    b = Value(0.4, "b")
    z = x * w + b
    h = z.tanh()
    u = h.exp() * 3.0
    y = u.sin()
    drawing = viz.draw_graph(y, highlight=x)
    svg = svg_of(drawing)
    labelled = red_labelled_edges(svg)
    # The path x -> * -> + -> tanh -> exp -> * -> sin: one labelled edge per op.
    assert len(labelled) == 6
    product = math.prod(float(texts[0]) for _, _, texts in labelled)
    # Oracles: the engine's gradient, and the hand-derived chain rule.
    zd = 0.3 * -1.2 + 0.4
    hd = math.tanh(zd)
    by_hand = math.cos(3 * math.exp(hd)) * 3 * math.exp(hd) * (1 - hd**2) * -1.2
    assert product == pytest.approx(grad(y, [x])[0], rel=5e-3)
    assert product == pytest.approx(by_hand, rel=5e-3)
    # Edges off the path stay black and unlabelled: w, b and the constant 3.0.
    others = [e for e in svg["edges"] if e[3] != PATH_COLOUR]
    assert len(others) == 3 and all(not texts for _, _, texts, _ in others)
    assert "path to the highlighted node" in drawing.source


def test_diamond_highlight_labels_every_path_and_duplicated_parents(svg_of):
    x = Value(0.7, "x")
    sq = x * x
    s = x.sin()
    y = sq + s
    svg = svg_of(viz.draw_graph(y, highlight=[x], legend=False))
    labelled = red_labelled_edges(svg)
    labels = sorted(float(texts[0]) for _, _, texts in labelled)
    # x*x: two edges from x, each ∂(x·x)/∂x-slot = 0.7; sin: cos 0.7; the sum: 1 and 1.
    assert labels == pytest.approx(sorted([0.7, 0.7, math.cos(0.7), 1.0, 1.0]), rel=1e-3)
    # Summed over the paths, the products give dy/dx = 2x + cos x.
    assert 0.7 * 1 + 0.7 * 1 + math.cos(0.7) * 1 == pytest.approx(2 * 0.7 + math.cos(0.7))
    # Every edge here is on a path to x.
    assert all(stroke == PATH_COLOUR for *_, stroke in svg["edges"])


def test_highlight_stops_at_the_target():
    x = Value(1.0, "x")
    t = x * 2.0
    t.label = "t"
    y = t + 1.0
    source = viz.draw_graph(y, highlight=t, legend=False).source
    # x -> * is not on a path from y to t; t -> + is.
    assert re.search(r"^\s*n0 -> o2;$", source, re.M)
    assert re.search(rf'^\s*n2 -> o4 \[color="{PATH_COLOUR}".*label=<1>\];$', source, re.M)


def test_highlight_target_not_in_graph_is_a_value_error():
    y = Value(1.0, "x") * 2.0
    with pytest.raises(ValueError, match="not in the graph"):
        viz.draw_graph(y, highlight=Value(1.0, "elsewhere"))
    with pytest.raises(TypeError, match=r"highlight\[1\] must be a Value"):
        viz.draw_graph(y, highlight=[y, 3.0])
    with pytest.raises(TypeError, match="highlight must be"):
        viz.draw_graph(y, highlight=3.0)


# --------------------------------------------------------------------------
# Arguments and size


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
        ({"rankdir": "lr"}, ValueError, "rankdir"),
        ({"show_grad": "yes"}, TypeError, "show_grad"),
        ({"legend": 1}, TypeError, "legend"),
        ({"max_nodes": 0}, ValueError, "max_nodes"),
        ({"max_nodes": True}, ValueError, "max_nodes"),
        ({"max_nodes": 50.0}, ValueError, r"max_nodes must be an int >= 1, got 50\.0"),
        ({"legend": None}, TypeError, "legend must be True or False, got None"),
        ({"collapse": "neurons"}, ValueError, "collapse must be"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        viz.draw_graph(micrograd_example(), **kwargs)


@pytest.mark.parametrize(
    "root, error", [(3.0, TypeError), ([], ValueError), ([Value(1.0), 2], TypeError)]
)
def test_bad_root(root, error):
    with pytest.raises(error, match="root"):
        viz.draw_graph(root)


@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
def test_every_rankdir_is_written(rankdir):
    assert f'rankdir="{rankdir}"' in viz.draw_graph(micrograd_example(), rankdir=rankdir).source


def test_too_large_without_collapse_says_how_large_and_suggests_collapse():
    y = Value(0.0, "x")
    for _ in range(50):
        y = y * 1.5
    with pytest.raises(ValueError) as info:
        viz.draw_graph(y, max_nodes=60)
    message = str(info.value)
    assert "101 values" in message and "collapse='neuron'" in message and "max_nodes=60" in message
    assert viz.draw_graph(y, max_nodes=101).node_count == 101 + 50


# --------------------------------------------------------------------------
# Determinism


def neuron_for_expected_file():
    """micrograd's neuron example, highlighted at w1."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, w1


def test_same_graph_gives_byte_identical_dot_matching_the_stored_file():
    o, w1 = neuron_for_expected_file()
    first = viz.draw_graph(o, highlight=w1).source
    o2, w1b = neuron_for_expected_file()
    assert viz.draw_graph(o2, highlight=w1b).source == first
    expected = (HERE / "expected_neuron_highlight.dot").read_text(encoding="utf-8")
    assert first == expected


# --------------------------------------------------------------------------
# Saving and showing


def test_save_writes_every_format(tmp_path, require_dot):
    drawing = viz.draw_graph(micrograd_example())
    svg = drawing.save(tmp_path / "g.svg")
    assert svg == tmp_path / "g.svg"
    ET.fromstring(svg.read_bytes())
    assert drawing.save(tmp_path / "g.PNG").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert drawing.save(str(tmp_path / "g.pdf")).read_bytes().startswith(b"%PDF")
    assert (drawing.save(tmp_path / "g.dot")).read_text(encoding="utf-8") == drawing.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.PNG", "g.dot", "g.pdf", "g.svg"]


def test_save_rejects_unknown_extensions_and_missing_folders(tmp_path):
    drawing = viz.draw_graph(micrograd_example())
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        drawing.save(tmp_path / "g.jpg")
    with pytest.raises(ValueError, match="none"):
        drawing.save(tmp_path / "graph")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        drawing.save(tmp_path / "missing" / "g.dot")
    with pytest.raises(TypeError, match="path"):
        drawing.save(3)
    assert list(tmp_path.iterdir()) == []


def test_jupyter_display_is_svg(require_dot):
    drawing = viz.draw_graph(micrograd_example())
    bundle = drawing._repr_mimebundle_()
    assert sorted(bundle) == ["image/svg+xml", "text/html"]
    ET.fromstring(bundle["image/svg+xml"].encode("utf-8"))
    assert "10 nodes" in repr(drawing)


def test_an_integral_max_nodes_of_another_type_is_accepted():
    np = pytest.importorskip("numpy")
    drawing = viz.draw_graph(micrograd_example(), max_nodes=np.int64(9))
    assert drawing.node_count > 0
    with pytest.raises(ValueError, match="more than max_nodes=1"):
        viz.draw_graph(micrograd_example(), max_nodes=np.int64(1))
