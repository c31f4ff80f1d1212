"""Without Graphviz's `dot` (PATH emptied) and without matplotlib/graphviz imported."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import viz
from autodiff import Value

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which no program, `dot` included, can be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def small_drawing():
    y = Value(2.0, "x") * 3.0
    y.backward()
    return viz.draw_graph(y)


def test_source_and_dot_files_work_without_dot(no_dot, tmp_path):
    drawing = small_drawing()
    assert drawing.source.startswith("digraph G {")
    path = drawing.save(tmp_path / "graph.dot")
    assert path.read_text(encoding="utf-8") == drawing.source


@pytest.mark.parametrize("ext", [".svg", ".png", ".pdf"])
def test_saving_an_image_says_how_to_install_graphviz(no_dot, tmp_path, ext):
    target = tmp_path / f"graph{ext}"
    target.write_bytes(b"previous contents")
    with pytest.raises(viz.GraphvizNotFound) as info:
        small_drawing().save(target)
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    assert "sudo apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "conda install" in message
    # The old file is untouched and no temporary file is left behind.
    assert target.read_bytes() == b"previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-bin", target.name]


def test_pipe_raises_the_same_error(no_dot):
    with pytest.raises(viz.GraphvizNotFound):
        small_drawing().pipe("svg")


def test_notebook_display_falls_back_to_text(no_dot):
    drawing = small_drawing()
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    text = bundle["text/plain"]
    assert "apt-get install graphviz" in text
    assert drawing.source.strip() in text


def test_notebook_text_fallback_is_shortened_for_huge_graphs(no_dot):
    y = Value(1.0, "x")
    for _ in range(300):
        y = y + 1.0
    text = viz.draw_graph(y, max_nodes=1000)._repr_mimebundle_()["text/plain"]
    assert "more lines in .source" in text
    assert len(text.splitlines()) < 220


BLOCKER = textwrap.dedent(
    """
    import sys

    class Block:
        # Refuse matplotlib and graphviz as if they were not installed.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("matplotlib", "graphviz"):
                raise ImportError(f"No module named {name!r} (blocked)")
            return None

    sys.meta_path.insert(0, Block())
    """
)


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_viz_needs_neither_matplotlib_nor_graphviz(tmp_path):
    target = tmp_path / "never-written.svg"
    result = run_python(
        """
        import viz
        from autodiff import Value
        d = viz.draw_graph(Value(1.0, "x") + 2.0)
        assert d.source.startswith("digraph"), d.source
        assert "matplotlib" not in sys.modules and "graphviz" not in sys.modules
        try:
            viz.plot_history({"loss": [1.0]})
        except ImportError as e:
            print("plot:", e)
        try:
            d.save(sys.argv[1])
        except ImportError as e:
            print("save:", e)
        """,
        str(target),
    )
    assert result.returncode == 0, result.stderr
    assert "plot: the plots need matplotlib: pip install matplotlib" in result.stdout
    assert "save: rendering a drawing needs the `graphviz` Python package" in result.stdout
    assert not target.exists()
