"""Label safety: any label text is shown literally and never changes the DOT."""

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import viz
from autodiff import Value
from autodiff import sum as vsum
from viz.render import html_text, visible

HOSTILE = [
    "{", "}", "|", "<", ">", '"', "'", "\\", "\n", "&", ";", "[", "]", "=", "->", "--",
    "<b>x</b>", "<TABLE>", "</TD>", "&amp;", "&#60;", "&lt;", "\\n", "\\l", "\\N", "\\G",
    "<BR/>", "]]>", "<!--", "-->", "digraph", "node [shape=record]", "%", "w⁽²⁾₁₂", "中文",
    "é", "🙂", "\u202e", "  ",
]

labels = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE),
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=4),
    ),
    max_size=6,
).map("".join)


def test_html_text_escapes_everything_that_is_markup():
    # Oracle: the standard library's HTML escaping (quote=True), plus "]" as an
    # entity and doubled backslashes (Graphviz's own escapes), <BR/> for newlines.
    text = '<b>x</b> & "q" \'s\' {|} \\'
    expected = html.escape(text, quote=True).replace("&#x27;", "&#39;").replace("]", "&#93;")
    expected = expected.replace("\\", "\\\\")
    assert html_text(text) == expected
    assert html_text("a\nb") == "a<BR/>b"
    assert "<" not in html_text("<<>>") and ">" not in html_text("<<>>")


def test_visible_escapes_characters_a_picture_cannot_show():
    assert visible("a\tb\rc\x00d\x7f") == "a\\tb\\rc\\x00d\\x7f"
    assert visible("\ud800x\uffff") == "\\ud800x\\uffff"
    assert visible("keep\nnewline and ünïcödé 中") == "keep\nnewline and ünïcödé 中"


def _expected_lines(label: str) -> list[str]:
    # What the picture shows: the visible text, one SVG <text> per non-blank
    # line (no-break spaces read as spaces, as in `read_svg`).
    text = visible(label).replace("\xa0", " ")
    return [line for line in text.split("\n") if line.strip()]


def _is_subsequence(wanted, texts):
    it = iter(texts)
    return all(any(t == w for t in it) for w in wanted)


# svg_of holds no state, so sharing it between examples is safe.
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(labels, min_size=1, max_size=3))
def test_hostile_labels_render_literally_through_dot(svg_of, texts):
    leaves = [Value(float(i + 1), label=t) for i, t in enumerate(texts)]
    root = vsum(leaves)
    root.label = texts[0]
    drawing = viz.draw_graph(root)
    svg = svg_of(drawing)

    # Structure unchanged: one node per leaf, the root and its op (the legend
    # is the graph's label);
    # one edge per leaf into the op, and the op's edge to the root.
    n = len(texts)
    assert len(svg["nodes"]) == n + 2 == drawing.node_count
    assert len(svg["edges"]) == n + 1 == drawing.edge_count
    # Node ids come from the traversal: the leaves, then the root n{n} and its op.
    for i, t in enumerate(texts):
        node = svg["nodes"][f"n{i}"]
        assert _is_subsequence(_expected_lines(t), node), (t, node)
        assert f"data {i + 1}" in svg["nodes"][f"n{i}"]
    assert _is_subsequence(_expected_lines(texts[0]), svg["nodes"][f"n{n}"])


def test_control_characters_are_shown_as_escapes(svg_of):
    root = Value(1.0, label="tab\there\x07bell") + Value(2.0, label="<b>bold?</b>")
    svg = svg_of(viz.draw_graph(root))
    assert "tab\\there\\x07bell" in svg["nodes"]["n0"]
    assert "<b>bold?</b>" in svg["nodes"]["n1"]  # shown as text, not made bold


def test_hostile_labels_in_collapsed_boxes_and_networks(svg_of):
    from nn.layers import MLP

    evil = '"]; evil [label="x'
    x = Value(1.0, label=evil)
    loss = (MLP(1, [2, 1], seed=0)([x]) - Value(0.5, label="<y>")) ** 2
    svg = svg_of(viz.draw_graph(loss, collapse="neuron"))
    assert "evil" not in svg["nodes"]  # no node was injected
    assert any(evil in texts for texts in svg["nodes"].values())
    assert any("<y>" in texts for texts in svg["nodes"].values())
