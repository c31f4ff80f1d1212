"""viz.play_backward without a browser: the page's content, limits and errors.

What the page does when played is tested in Chromium
(test_viz_player_browser.py).
"""

import html
import json
import re

import pytest

import viz
from autodiff import Value, topological_order
from autodiff import sum as value_sum
from viz.player import BackwardPlayer


def neuron():
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    b = Value(0.25, label="b")
    o = (x * w + b).tanh()
    o.label = "o"
    return x, w, b, o


def embedded_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_page_is_self_contained(require_dot):
    *_, o = neuron()
    page = viz.play_backward(o).html()
    assert page.startswith("<!DOCTYPE html>")
    # nothing to fetch: no external scripts, styles, images or fonts
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    # one SVG from Graphviz, with an id on every value, op and edge
    assert page.count("<svg") == 1
    for i in range(len(topological_order(o))):
        assert f'id="v{i}"' in page


def test_page_carries_the_steps(require_dot):
    x, w, b, o = neuron()
    player = viz.play_backward(o)
    data = embedded_data(player.html())
    steps = viz.backward_steps(o)
    assert [s["node"] for s in data["steps"]] == [s.node for s in steps]
    assert [s["grad"] for s in data["steps"]] == [s.grad for s in steps]
    assert [n["name"] for n in data["nodes"]][: 3] == ["x", "w", "#2 *"]


def test_labels_cannot_break_out_of_the_data_script(require_dot):
    x = Value(1.0, label="</script><script>alert(1)</script>")
    y = x * 2
    page = viz.play_backward(y).html()
    data_part = page.split('id="steps-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_part
    assert embedded_data(page)["nodes"][0]["label"] == x.label


def test_notebook_output_is_an_iframe_with_a_static_table(require_dot):
    *_, o = neuron()
    player = viz.play_backward(o)
    bundle = player._repr_mimebundle_()
    out = bundle["text/html"]
    assert out.startswith('<iframe class="chainrule-player" srcdoc="')
    srcdoc = re.search(r'srcdoc="([^"]*)"', out).group(1)
    assert html.unescape(srcdoc) == player.html()
    assert "<summary>the 6 steps as a table</summary>" in out
    assert player._repr_html_() == out
    assert "1. o: grad 1; #4 + += 1 × 0.5966 = 0.5966" in bundle["text/plain"]


def test_large_graph_is_refused_with_a_hint_and_plays_focused():
    xs = [Value(float(i), label=f"x{i}") for i in range(300)]
    w = Value(0.5, label="w")
    total = value_sum([(x * w).tanh() for x in xs])  # one n-ary sum node
    with pytest.raises(ValueError, match=r"play_backward: the graph has .* max_nodes=400.*focus="):
        viz.play_backward(total)
    player = viz.play_backward(total, focus=xs[7])
    assert len(player.steps.nodes) < 400
    assert xs[7] in player.steps.ids
    with pytest.raises(ValueError, match="even focused"):
        viz.play_backward(total, focus=w)
    assert len(viz.play_backward(total, focus=w, max_nodes=5000).steps.nodes) > 400


def test_save_writes_the_page(tmp_path, require_dot):
    *_, o = neuron()
    player = viz.play_backward(o)
    path = player.save(tmp_path / "backprop.html")
    assert path.read_text(encoding="utf-8") == player.html()
    with pytest.raises(ValueError, match=r"\.html or \.htm"):
        player.save(tmp_path / "backprop.svg")
    with pytest.raises(TypeError, match="path must be a str"):
        player.save(3)


def test_bad_arguments():
    *_, o = neuron()
    with pytest.raises(ValueError, match="rankdir"):
        viz.play_backward(o, rankdir="up")
    with pytest.raises(TypeError, match="root must be a Value"):
        viz.play_backward([o])
    with pytest.raises(TypeError, match="max_nodes must be an int"):
        viz.play_backward(o, max_nodes=2.5)
    with pytest.raises(TypeError, match="steps must be a BackwardSteps"):
        BackwardPlayer([])


def test_focused_dot_draws_its_other_inputs_as_one_note(require_dot):
    from autodiff import dot

    ws = [Value(0.1 * (k + 1), label=f"w{k}") for k in range(6)]
    xs = [Value(1.0 - 0.3 * k, label=f"x{k}") for k in range(6)]
    z = dot(ws, xs, Value(0.2, label="b"))
    player = viz.play_backward(z.tanh(), focus=ws[2])
    page = player.html()
    i = player.steps.ids[z]
    assert f'id="n{i}"' in page and "+ 11 other inputs" in page
    for k in (0, 1, 3, 4, 5):  # neither the other weights nor their inputs are drawn
        assert f">w{k}<" not in page and f">x{k}<" not in page
    assert ">x2<" in page  # the partner ∂z/∂w2 needs
    assert "(+ 11 other inputs not shown)" in player._text()
