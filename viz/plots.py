"""Training plots with matplotlib: the loss curve and a decision boundary.

matplotlib (and NumPy) are imported inside the functions, so ``import viz``
works without them.  Figures come from pyplot, so they use the user's
backend (and matplotlib's own choice of Agg where there is no display); the
backend is never set here.  If the configured backend cannot start (a GUI
backend without a display), the figure is made outside pyplot and still
saves.  With a non-interactive backend (Agg, or Jupyter's inline one) the
figure is released from pyplot right away: it is returned, saved with
``fig.savefig(path)`` and shown once in a notebook, without piling up in
pyplot's list of open figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from autodiff.arguments import is_int, is_real, type_name
from nn.checks import real_array

# matplotlib's non-interactive builtin backends (lower case).
_NON_INTERACTIVE = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")

# Class colours: the regions are drawn pale, the points full.
_CLASS_COLOURS = (
    "#d7301f", "#2166ac", "#1a9850", "#984ea3", "#ff7f00",
    "#a65628", "#f781bf", "#666666", "#e6ab02", "#17becf",
)


def _matplotlib():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "the plots need matplotlib: pip install matplotlib (or chainrule[plot])"
        ) from None
    return plt


def _subplots(ncols: int, figsize: tuple):
    """A new figure with ``ncols`` axes side by side, as (fig, list of axes)."""
    plt = _matplotlib()
    try:
        fig, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False)
    except ImportError:
        # The configured backend cannot start here (say TkAgg without a
        # display): draw on a figure outside pyplot, which saves through Agg,
        # and leave the user's backend setting alone.
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, list(fig.subplots(1, ncols, squeeze=False)[0])
    backend = str(plt.get_backend()).lower()
    if backend in _NON_INTERACTIVE or "inline" in backend:
        # Nothing will show it from pyplot's list: release it, so a notebook
        # shows the returned figure once and scripts do not accumulate figures.
        plt.close(fig)
    return fig, list(axes[0])


def _real_list(values, what: str) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{what} must be a list of numbers, got {type_name(values)}")
    out = []
    for i, v in enumerate(values):
        if v is None:
            out.append(math.nan)  # an epoch without a value: a gap in the curve
        elif not is_real(v):
            raise TypeError(f"{what}[{i}] must be a real number, got {type_name(v)}")
        else:
            out.append(float(v))
    return out


def plot_history(history, title: str | None = None):
    """Plot the loss (and the accuracy, if recorded) per epoch.

    Args:
        history: an `nn.History` from `nn.fit`, or any mapping with a
            ``"loss"`` list and optionally an ``"accuracy"`` list of the
            same length (``None`` entries are left as gaps).
        title: an optional title over the figure.

    Returns:
        The matplotlib `Figure` (save it with ``fig.savefig("loss.svg")``).

    Raises:
        TypeError: ``history`` is not a mapping, or holds non-numbers.
        ValueError: no ``"loss"``, an empty loss list, or an accuracy list of
            another length.
    """
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be an nn.History or a mapping with a 'loss' list, "
            f"got {type_name(history)}"
        )
    if "loss" not in history:
        raise ValueError(f"history has no 'loss' list; it has {sorted(map(str, history.keys()))}")
    loss = _real_list(history["loss"], "history['loss']")
    if not loss:
        raise ValueError("history['loss'] is empty: there is nothing to plot (no epoch ran)")
    accuracy = None
    if "accuracy" in history and history["accuracy"] is not None:
        accuracy = _real_list(history["accuracy"], "history['accuracy']")
        if len(accuracy) != len(loss):
            raise ValueError(
                f"history['accuracy'] has {len(accuracy)} entries but history['loss'] has "
                f"{len(loss)}: they must have one per epoch"
            )
        if all(math.isnan(a) for a in accuracy):
            accuracy = None
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type_name(title)}")

    fig, axes = _subplots(2 if accuracy else 1, (10 if accuracy else 5.5, 3.6))
    epochs = list(range(1, len(loss) + 1))
    marker = "o" if len(loss) <= 40 else None
    ax = axes[0]
    ax.plot(epochs, loss, marker=marker, markersize=3, color="#2166ac")
    finite = [v for v in loss if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")  # a loss falling by orders of magnitude
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.grid(True, alpha=0.3)
    if accuracy:
        ax = axes[1]
        ax.plot(epochs, accuracy, marker=marker, markersize=3, color="#1a9850")
        finite = [v for v in accuracy if math.isfinite(v)]
        if finite and 0.0 <= min(finite) and max(finite) <= 1.0:
            ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title("accuracy")
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(
    model, X, y, resolution: int = 100, padding: float = 0.5, title: str | None = None
):
    """Plot a 2-input classifier's decision regions with the data on top.

    micrograd's moons picture: the plane coloured by the class the model
    predicts, the samples as points coloured by their label.

    A model with one output predicts the positive class where its output is
    above the threshold: 0.5 for a sigmoid output, 0 otherwise (a score, a
    logit, or micrograd's hinge-loss output); points with y > 0 are the
    positive class (labels ±1 or 0/1).  A model with several outputs predicts
    the index of the largest, and y holds class indices 0..n−1.

    Args:
        model: an `nn.MLP` with 2 inputs (evaluated on the whole grid at once
            with `nn.matrix.forward`), or any callable taking ``[x1, x2]`` and
            returning a `Value`, a number, or a list of them.
        X: the samples: n points of 2 real numbers (nested lists or an array).
        y: their n labels.
        resolution: grid points per axis (at least 2).
        padding: how far the plot extends beyond the data, in data units.
        title: an optional title.

    Returns:
        The matplotlib `Figure`.

    Raises:
        TypeError: ``model`` is not callable, or X or y hold non-numbers.
        ValueError: X is not n × 2, y does not have n labels, a value is not
            finite, class indices out of range, or a bad resolution/padding.
    """
    import numpy as np

    if not callable(model):
        raise TypeError(
            "model must be callable (an nn.MLP or a function of [x1, x2]), "
            f"got {type_name(model)}"
        )
    X = real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"X must hold n >= 1 points of 2 numbers each (shape n × 2), got shape {X.shape}"
        )
    y = real_array(y, "y")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must hold one label per point of X ({X.shape[0]}), got shape {y.shape}"
        )
    if not is_int(resolution) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    if not is_real(padding) or not (0 <= padding < math.inf):
        raise ValueError(f"padding must be a finite number >= 0, got {padding!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type_name(title)}")

    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    hi = np.where(hi > lo, hi, lo + 1.0)  # a single point still gets an area
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    outputs = _outputs(model, grid)  # m × n_out
    n_out = outputs.shape[1]
    if n_out == 1:
        threshold = 0.5 if _output_activation(model) == "sigmoid" else 0.0
        scores = outputs[:, 0].reshape(xx.shape)
        regions = (scores > threshold).astype(float)
        labels = (y > 0).astype(int)
        n_classes = 2
    else:
        scores = None
        regions = outputs.argmax(axis=1).reshape(xx.shape).astype(float)
        if not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= n_out:
            raise ValueError(
                f"with {n_out} outputs, y must hold class indices 0..{n_out - 1}, got values "
                f"from {y.min():g} to {y.max():g}"
            )
        labels = y.astype(int)
        n_classes = n_out
    if n_classes > len(_CLASS_COLOURS):
        raise ValueError(f"at most {len(_CLASS_COLOURS)} classes can be coloured, got {n_classes}")

    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(_CLASS_COLOURS[:n_classes])
    norm = BoundaryNorm(np.arange(-0.5, n_classes), n_classes)
    fig, (ax,) = _subplots(1, (5.5, 4.8))
    ax.contourf(xx, yy, regions, levels=np.arange(-0.5, n_classes), cmap=cmap, norm=norm, alpha=0.3)
    if scores is not None and scores.min() < threshold < scores.max():
        ax.contour(xx, yy, scores, levels=[threshold], colors="black", linewidths=1.0)
    ax.scatter(
        X[:, 0], X[:, 1], c=labels, cmap=cmap, norm=norm, s=22, edgecolors="black", linewidths=0.5
    )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("a⁽⁰⁾₀")
    ax.set_ylabel("a⁽⁰⁾₁")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _output_activation(model):
    try:
        return model.layers[-1].neurons[0].activation
    except (AttributeError, IndexError, TypeError):
        return None


def _outputs(model, grid):
    """The model's outputs on every grid point, as an m × n_out array."""
    import numpy as np

    layers = getattr(model, "layers", None)
    if layers is not None:
        try:
            nin = len(layers[0].neurons[0].w)
        except (AttributeError, IndexError, TypeError):
            nin = None
        if nin is not None:
            if nin != 2:
                raise ValueError(
                    f"the model takes {nin} inputs; a decision boundary is drawn for 2"
                )
            from nn import matrix

            cache = matrix.forward(model, grid)  # every grid point in one pass
            return np.asarray(cache.A[cache.L], dtype=float).T

    from autodiff import no_grad

    rows = []
    with no_grad():
        for point in grid:
            out = model([float(point[0]), float(point[1])])
            if not isinstance(out, (list, tuple)):
                out = [out]
            rows.append([float(getattr(o, "data", o)) for o in out])
    widths = {len(r) for r in rows}
    if len(widths) != 1 or 0 in widths:
        raise ValueError(
            "the model must return the same non-zero number of outputs for every point"
        )
    return np.array(rows, dtype=float)
