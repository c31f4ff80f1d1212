"""plot_history and plot_decision_boundary (matplotlib)."""

import math
import xml.etree.ElementTree as ET

import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the plots need matplotlib")
np = pytest.importorskip("numpy", reason="the decision boundary needs numpy")

import matplotlib.pyplot as plt  # noqa: E402

import viz  # noqa: E402
from autodiff import Value  # noqa: E402
from nn.layers import MLP  # noqa: E402
from viz.plots import _outputs  # noqa: E402


@pytest.fixture(autouse=True)
def unchanged_backend():
    """Every plot leaves the backend as it was and no figure open in pyplot."""
    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    yield
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == figures


def saved_files_are_good(fig, tmp_path, stem):
    svg, png = tmp_path / f"{stem}.svg", tmp_path / f"{stem}.png"
    fig.savefig(svg)
    fig.savefig(png)
    assert svg.stat().st_size > 0 and png.stat().st_size > 0
    ET.parse(svg)  # well-formed
    assert png.read_bytes().startswith(b"\x89PNG")


def test_history_loss_and_accuracy(tmp_path):
    history = {"loss": [1.0, 0.5, 0.25, 0.2], "accuracy": [0.5, 0.75, None, 1.0]}
    fig = viz.plot_history(history, title="training")
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert list(loss_ax.lines[0].get_xdata()) == [1, 2, 3, 4]
    assert list(loss_ax.lines[0].get_ydata()) == [1.0, 0.5, 0.25, 0.2]
    acc = list(acc_ax.lines[0].get_ydata())
    assert acc[:2] == [0.5, 0.75] and math.isnan(acc[2]) and acc[3] == 1.0
    assert loss_ax.get_ylabel() == "loss" and acc_ax.get_ylabel() == "accuracy"
    saved_files_are_good(fig, tmp_path, "history")


def test_history_loss_only_and_a_mapping_that_is_not_a_dict(tmp_path):
    class Record(dict):
        pass

    fig = viz.plot_history(Record(loss=[3.0, 2.0]))
    assert len(fig.axes) == 1
    saved_files_are_good(fig, tmp_path, "loss")


def test_loss_falling_by_orders_of_magnitude_uses_a_log_axis():
    fig = viz.plot_history({"loss": [10.0, 1.0, 0.01]})
    assert fig.axes[0].get_yscale() == "log"


@pytest.mark.parametrize(
    "history, error, match",
    [
        ([1.0, 2.0], TypeError, "history must be"),
        ({"accuracy": [1.0]}, ValueError, "no 'loss'"),
        ({"loss": []}, ValueError, "empty"),
        ({"loss": [1.0, 2.0], "accuracy": [0.5]}, ValueError, "1 entries but"),
        ({"loss": [1.0, "x"]}, TypeError, r"history\['loss'\]\[1\] must be a real number"),
        ({"loss": "abc"}, TypeError, "must be a list of numbers"),
    ],
)
def test_bad_history(history, error, match):
    with pytest.raises(error, match=match):
        viz.plot_history(history)


# --------------------------------------------------------------------------


def moons_like(n=24):
    t = np.linspace(0, math.pi, n // 2)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    X = np.vstack([upper, lower])
    y = np.array([1] * (n // 2) + [-1] * (n // 2))
    return X, y


def test_decision_boundary_figure(tmp_path):
    X, y = moons_like()
    mlp = MLP(2, [8, 1], activation="tanh", seed=4)
    fig = viz.plot_decision_boundary(mlp, X, y, resolution=30, title="moons")
    (ax,) = fig.axes
    # The samples are drawn where they are.
    points = [c for c in ax.collections if c.get_offsets().shape == X.shape]
    assert len(points) == 1 and np.allclose(points[0].get_offsets(), X)
    assert ax.get_title() == "moons"
    saved_files_are_good(fig, tmp_path, "boundary")


def test_grid_outputs_match_a_numpy_forward_pass():
    mlp = MLP(2, [5, 3], activation="tanh", seed=7)
    grid = np.array([[0.0, 0.0], [1.5, -2.0], [-0.3, 0.7]])
    W1 = np.array([[w.data for w in n.w] for n in mlp.layers[0].neurons])
    b1 = np.array([n.b.data for n in mlp.layers[0].neurons])
    W2 = np.array([[w.data for w in n.w] for n in mlp.layers[1].neurons])
    b2 = np.array([n.b.data for n in mlp.layers[1].neurons])
    expected = np.tanh(grid @ W1.T + b1) @ W2.T + b2  # linear output layer
    assert np.allclose(_outputs(mlp, grid), expected, rtol=1e-12, atol=1e-12)


def test_any_callable_model_and_several_classes(tmp_path):
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    y = [0, 1, 2]

    def model(point):
        return [Value(-point[0]), Value(1.0 - abs(point[0] - 1.0)), Value(point[0] - 2.0)]

    assert np.allclose(_outputs(model, X), [[0, 0, -2], [-1, 1, -1], [-2, 0, 0]])
    fig = viz.plot_decision_boundary(model, X, y, resolution=10)
    saved_files_are_good(fig, tmp_path, "classes")


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        ([[0.0, 1.0, 2.0]], [1], ValueError, "shape n × 2"),
        ([], [], ValueError, "shape n × 2"),
        ([[0.0, 1.0], [1.0, 0.0]], [1], ValueError, "one label per point"),
        ([[0.0, float("nan")]], [1], ValueError, "finite"),
        ([[0.0, "a"]], [1], TypeError, "real numbers"),
    ],
)
def test_bad_data(X, y, error, match):
    with pytest.raises(error, match=match):
        viz.plot_decision_boundary(MLP(2, [1]), X, y)


def test_bad_model_and_options():
    X, y = [[0.0, 0.0], [1.0, 1.0]], [1, -1]
    with pytest.raises(TypeError, match="model must be callable"):
        viz.plot_decision_boundary("model", X, y)
    with pytest.raises(ValueError, match="takes 3 inputs"):
        viz.plot_decision_boundary(MLP(3, [1]), X, y)
    with pytest.raises(ValueError, match="class indices 0..1"):
        viz.plot_decision_boundary(MLP(2, [2]), X, [0, 2])
    with pytest.raises(ValueError, match="resolution"):
        viz.plot_decision_boundary(MLP(2, [1]), X, y, resolution=1)
    with pytest.raises(ValueError, match="padding"):
        viz.plot_decision_boundary(MLP(2, [1]), X, y, padding=-1)
    with pytest.raises(ValueError, match="resolution must be an int >= 2, got True"):
        viz.plot_decision_boundary(MLP(2, [1]), X, y, resolution=True)
    with pytest.raises(ValueError, match="padding must be a finite number >= 0, got False"):
        viz.plot_decision_boundary(MLP(2, [1]), X, y, padding=False)
    with pytest.raises(TypeError, match=r"history\['loss'\]\[0\] must be a real number, got bool"):
        viz.plot_history({"loss": [True]})
    with pytest.raises(TypeError, match=r"must be a real number, got numpy\.bool"):
        viz.plot_history({"loss": [np.bool_(True)]})


def test_a_gui_backend_that_cannot_start_still_gives_a_figure(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    # A user's GUI backend chosen after pyplot is loaded, on a machine without
    # a display: pyplot cannot make figures, but the plot still comes back,
    # saves, and the user's setting is left as it was.
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    target = tmp_path / "loss.png"
    code = (
        "import sys, matplotlib, matplotlib.pyplot, viz\n"
        "matplotlib.rcParams['backend'] = 'QtAgg'\n"
        "viz.plot_history({'loss': [2.0, 1.0]}).savefig(sys.argv[1])\n"
        "print(matplotlib.rcParams['backend'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "QtAgg"
    assert target.read_bytes().startswith(b"\x89PNG")
