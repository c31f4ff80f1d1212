"""nn: neurons, layers and MLPs on the autodiff engine, in the seeds' notation.

    from autodiff import Value
    from nn import MLP

    model = MLP(2, [16, 16, 1])          # micrograd's network and weights
    score = model([1.0, -0.5])           # a Value labelled z⁽³⁾₀
    score.backward()
    print(model.grad_table(layer=3))     # every w⁽³⁾₀ₖ, b⁽³⁾₀ with value and grad

The pieces: `Module` (parameters, state, checkpoints, gradient table),
`Neuron`/`Layer`/`MLP` (in `layers`), weight initialisation (`init`), the
losses (`losses`), optimisers (`optim`), toy data sets (`data`), the training
loop `fit` and its `History` (in `train`), the chain-rule breakdown of one
weight's gradient (`explain`), the four rules in matrix form with NumPy
(`matrix`, which needs NumPy and is loaded on first use, so that ``import
nn`` works without NumPy) and the labels (`notation`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from . import data, init, losses, notation, optim
from .explain import Explanation, explain
from .layers import MLP, Layer, Neuron
from .module import Module
from .table import GradTable
from .train import History, accuracy, batch_loss, fit

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "fit",
    "accuracy",
    "batch_loss",
    "History",
    "GradTable",
    "explain",
    "Explanation",
    "losses",
    "optim",
    "data",
    "init",
    "notation",
]
# `matrix` is left out of __all__: ``from nn import *`` must work without NumPy.


def __getattr__(name: str) -> ModuleType:
    # ``nn.matrix`` is imported on first access, so that ``import nn`` works
    # without NumPy (``nn.matrix`` then raises an ImportError naming the fix).
    if name == "matrix":
        return importlib.import_module(".matrix", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "matrix"})
