"""fit's progress bar: one line in a notebook, updated in place, and tqdm elsewhere."""

import pytest

import nn
from nn.progress import NotebookLine, in_notebook, progress_bar


class FakeDisplay:
    """IPython's display, recording what a NotebookLine shows."""

    def __init__(self):
        self.shown = []
        self.updates = []

    def __call__(self, bundle, raw, display_id):
        assert raw is True and display_id is True
        self.shown.append(bundle)
        return self

    def update(self, bundle, raw):
        assert raw is True
        self.updates.append(bundle)


def test_the_notebook_line_is_one_output_updated_in_place():
    display = FakeDisplay()
    line = NotebookLine(3, "fit", display=display)
    for epoch in range(3):
        line.set_postfix({"loss": f"{1.0 / (epoch + 1):.4g}"})
        line.update(1)
    line.close()
    assert len(display.shown) == 1  # one output, the rest are updates of it
    assert display.shown[0]["text/plain"].startswith("fit: 0/3 epochs")
    last = display.updates[-1]
    assert last["text/plain"].startswith("fit: 3/3 epochs, loss 0.3333")
    assert '<progress value="3" max="3">' in last["text/html"]


def test_the_notebook_line_escapes_its_text():
    display = FakeDisplay()
    line = NotebookLine(1, "<b>fit</b>", display=display)
    line.close()
    assert "<b>" not in display.updates[-1]["text/html"]
    assert "&lt;b&gt;fit&lt;/b&gt;" in display.updates[-1]["text/html"]


def test_outside_a_kernel_the_bar_is_tqdm():
    assert not in_notebook()
    bar = progress_bar(2, "fit")
    try:
        assert type(bar).__module__.startswith("tqdm")
    finally:
        bar.close()


def test_fit_in_an_executed_notebook_leaves_one_line():
    nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient")
    pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel")
    code = (
        "import nn\n"
        "model = nn.MLP(2, [4, 1], seed=0)\n"
        "X, labels = nn.data.make_moons(20, noise=0.1, seed=0)\n"
        "y = [2 * t - 1 for t in labels]\n"
        "opt = nn.optim.SGD(model.parameters(), lr=0.1)\n"
        "history = nn.fit(model, X, y, loss='hinge', optimizer=opt, epochs=40)\n"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    text = outputs[0].data["text/plain"]
    assert text.startswith("fit: 40/40 epochs, loss "), text
    assert "<progress" in outputs[0].data["text/html"]


def test_fit_still_trains_with_the_bar_on(capsys):
    model = nn.MLP(2, [3, 1], seed=0)
    X, labels = nn.data.make_moons(10, noise=0.1, seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    history = nn.fit(model, X, [2 * t - 1 for t in labels], loss="hinge", optimizer=opt, epochs=3)
    assert history.epochs == 3
    assert "fit" in capsys.readouterr().err  # tqdm's bar went to stderr
