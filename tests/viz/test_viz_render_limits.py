"""Rendering limits: over-long labels are cut with a note, bidirectional
controls are shown escaped, and `dot` runs under a time limit whose expiry is
a clear RuntimeError (the notebook then shows the DOT text)."""

import os
import stat
import sys

import pytest

import viz
from autodiff import Value
from viz import render
from viz.render import MAX_LABEL_CHARS, RenderTimeout, html_text, visible

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_are_escaped_like_other_controls():
    assert visible("abc\u202edef") == "abc\\u202edef"
    assert visible("\u2067x\u2069") == "\\u2067x\\u2069"
    assert visible(BIDI) == "".join(f"\\u{ord(c):04x}" for c in BIDI)
    # a zero-width joiner (emoji sequences) is not a bidi control: kept
    assert visible("👩\u200d💻") == "👩\u200d💻"
    assert not any(c in html_text("a\u202eb") for c in BIDI)


def test_bidi_controls_never_reach_the_svg(svg_of):
    root = Value(1.0, label="cost\u202eevil") * 2.0
    svg = svg_of(viz.draw_graph(root))
    texts = [t for texts in svg["nodes"].values() for t in texts]
    assert any("cost\\u202eevil" in t for t in texts)
    assert not any(c in t for t in texts for c in BIDI)


def test_a_long_label_is_cut_with_a_note():
    text = "x" * (MAX_LABEL_CHARS + 5000)
    shown = visible(text)
    assert shown == "x" * MAX_LABEL_CHARS + "… (5,000 more characters)"
    assert visible("y" * (MAX_LABEL_CHARS + 1)).endswith("… (1 more character)")
    assert visible("z" * MAX_LABEL_CHARS) == "z" * MAX_LABEL_CHARS


@pytest.mark.parametrize("unit", ["x", '"', "\x00", "<>&", "中"])
@pytest.mark.parametrize("size", [16_500, 100_000, 1_000_000])
def test_labels_of_any_length_render(svg_of, unit, size):
    label = unit * (size // len(unit))
    root = Value(1.0, label=label) + 2.0
    svg = svg_of(viz.draw_graph(root))
    texts = [t for texts in svg["nodes"].values() for t in texts]
    assert any("more characters)" in t for t in texts)


def fake_dot(tmp_path, monkeypatch, body):
    """A `dot` program on an otherwise empty PATH, running ``body`` (sh)."""
    if sys.platform == "win32":
        pytest.skip("a shell script as dot")
    folder = tmp_path / "bin"
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text(f"#!/bin/sh\n{body}\n")
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(folder))
    return dot


def test_a_slow_dot_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, f"exec '{sys.executable}' -c 'import time; time.sleep(60)'")
    drawing = viz.draw_graph(Value(1.0, label="x") * 2.0)
    with pytest.raises(RenderTimeout, match=r"did not finish within 0\.5 s .*timeout=") as info:
        drawing.svg(timeout=0.5)
    assert isinstance(info.value, RuntimeError)
    monkeypatch.setattr(render, "RENDER_TIMEOUT", 0.5)
    target = tmp_path / "g.svg"
    with pytest.raises(RenderTimeout):
        drawing.save(target)
    assert not target.exists()
    bundle = drawing._repr_mimebundle_()  # the notebook's text fallback
    assert "did not finish" in bundle["text/plain"] and "digraph G" in bundle["text/plain"]


def test_a_dot_dying_on_a_large_input_is_a_runtime_error_not_a_broken_pipe(
    tmp_path, monkeypatch
):
    fake_dot(tmp_path, monkeypatch, "echo 'Error: label too long' >&2; exit 1")
    drawing = viz.draw_graph(Value(1.0) + Value(2.0))
    drawing.source += "// " + "x" * 2_000_000 + "\n"  # more than a pipe buffer holds
    with pytest.raises(RuntimeError, match="exit status 1.*label too long"):
        drawing.pipe("png")
    target = tmp_path / "g.png"
    with pytest.raises(RuntimeError):
        drawing.save(target)
    assert not target.exists()
    assert "cannot draw the picture" in drawing._repr_mimebundle_()["text/plain"]


def test_bad_timeouts():
    drawing = viz.draw_graph(Value(1.0) * 2.0)
    with pytest.raises(ValueError, match="timeout must be > 0"):
        drawing.pipe("png", timeout=0)
    with pytest.raises(TypeError, match="timeout must be a number"):
        drawing.svg(timeout="1")


def test_no_dot_is_still_graphviz_not_found(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(viz.GraphvizNotFound):
        viz.draw_graph(Value(1.0) * 2.0).svg()
    assert os.listdir(empty) == []
