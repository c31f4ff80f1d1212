"""``chainrule demo [--out DIR] [--steps N] [--seed S] [--no-progress]``.

micrograd's moons classifier (its demo.ipynb: 100 points, MLP 2-16-16-1,
hinge loss with L2, full-batch SGD with its learning-rate schedule), trained,
explained and drawn.  The work is in two parts:

- `train` computes everything — the trained model and its `History`, the
  trained model's cost C with its gradients, the output layer's gradient
  table, the chain rule for one output and one hidden weight, the sample
  each is shown on, and the two Graphviz drawings — and returns a
  `DemoResult`;
- `present` prints the result and writes its pictures: one neuron's
  computation graph, the network with its gradients (both need only
  Graphviz), the decision boundary and the loss curve (both need
  matplotlib, an optional extra: without it they are skipped, and one line
  says how to get them).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import viz
from autodiff import Value, grad, no_grad
from nn.data import make_moons
from nn.explain import Explanation, explain
from nn.layers import MLP
from nn.losses import hinge
from nn.notation import label
from nn.optim import SGD
from nn.train import History, accuracy, batch_loss, fit
from viz.render import Drawing

from . import files
from .errors import EXIT_OK

#: The demo's settings: micrograd's moons problem (its demo.ipynb).
SAMPLES = 100
NOISE = 0.1
SIZES = (16, 16, 1)
L2 = 1e-4

#: The files `present` writes, and what each shows.
FILES = {
    "neuron_graph.svg": "the output neuron and one sample's loss C₀, with gradients",
    "network.svg": "the network, edges coloured by the sign of ∂C/∂w",
    "decision_boundary.svg": "the decision boundary over the data",
    "loss.svg": "the loss and accuracy per step",
}

#: The files drawn with matplotlib (skipped without it).
PLOTS = ("decision_boundary.svg", "loss.svg")

#: The one line printed when they are skipped ({} is the missing module).
SKIPPED = "decision boundary and loss curve skipped: they need {} — pip install 'chainrule[plot]'"


@dataclass
class Problem:
    """The data and the untrained model, both made from ``seed``."""

    seed: int
    X: list[list[float]]
    y: list[int]  # the targets ±1
    model: MLP


@dataclass
class ExplainedWeight:
    """One weight's chain rule, on the whole batch and on one sample.

    Attributes:
        role: "output" or "hidden" (the layer it is in).
        weight: the weight w⁽ˡ⁾ⱼₖ, the largest |∂C/∂w| of its layer.
        sample: the index of the sample whose own loss Cᵢ depends on it most
            (its chain has no zero factor, so it is the one worth reading).
        batch: the breakdown of ∂C/∂w over the batch cost C.
        alone: the breakdown of ∂C₀/∂w for that sample's loss alone.
    """

    role: str
    weight: Value
    sample: int
    batch: Explanation
    alone: Explanation


@dataclass
class DemoResult:
    """Everything `train` computed, for `present` to show.

    Attributes:
        problem: the data and the (now trained) model.
        steps: the training steps taken.
        history: `nn.fit`'s loss and accuracy per step (before its update).
        cost: the trained model's cost C = (1/n) Σᵢ Cᵢ + l2·Σp², a Value
            whose graph the explanations read; the model's ``.grad`` fields
            hold ∂C/∂p.
        accuracy: the trained model's accuracy (`nn.accuracy`, the rule
            `nn.fit` counts with), from the same forward pass.
        grad_table: the output layer's table of ∂C/∂p, as text.
        explained: the output weight's and a hidden weight's chain rules.
        neuron_graph: the output neuron on the output weight's sample, with
            that sample's loss C₀ and its gradients.
        network: the network, edges coloured by the sign of ∂C/∂w.
    """

    problem: Problem
    steps: int
    history: History
    cost: Value
    accuracy: float
    grad_table: str
    explained: tuple[ExplainedWeight, ...]
    neuron_graph: Drawing
    network: Drawing


def moons(seed: int) -> Problem:
    """micrograd's moons data and its untrained MLP 2-16-16-1, from ``seed``."""
    X, classes = make_moons(SAMPLES, noise=NOISE, seed=seed)
    y = [2 * t - 1 for t in classes]  # classes 0/1 -> micrograd's targets -1/+1
    model = MLP(2, list(SIZES), activation="relu", output_activation="linear", seed=seed)
    return Problem(seed, X, y, model)


def _schedule(steps: int):
    """micrograd's learning rate, 1 − 0.9·k/100 for its 100 steps; for N steps
    1 − 0.9·k/N, so that it decays the same way and stays positive."""

    def lr(k: int) -> float:
        return 1.0 - 0.9 * k / steps

    return lr


def _largest_grad(params: list[Value]) -> Value:
    """The parameter with the largest |grad| (the first of equals)."""
    return max(params, key=lambda p: abs(p.grad))


def train(problem: Problem, steps: int, progress: bool = True) -> DemoResult:
    """Train ``problem.model`` for ``steps`` full-batch SGD steps and gather
    what the demo shows.

    Args:
        problem: from `moons`; its model is trained in place.
        steps: the number of steps (≥ 1).
        progress: show `nn.fit`'s progress bar (on stderr).

    Returns:
        The `DemoResult`.

    Raises:
        KeyboardInterrupt: when training was interrupted (Ctrl-C).
    """
    X, y, model = problem.X, problem.y, problem.model
    optimizer = SGD(model.parameters(), lr=_schedule(steps))
    history = fit(model, X, y, "hinge", optimizer, epochs=steps, l2=L2, progress=progress)
    if history.interrupted:
        raise KeyboardInterrupt

    # The trained model's cost, one forward pass: its graph holds every
    # sample's output, which both the explanations and the sample choice use.
    cost, outputs = batch_loss(model, X, y, "hinge", l2=L2)
    trained_accuracy = accuracy(model, X, y, "hinge", outputs=outputs)
    model.zero_grad()
    cost.backward()
    L = len(model.layers)
    weights = {
        "output": _largest_grad(model.layers[-1].neurons[0].w),
        "hidden": _largest_grad([w for n in model.layers[-2].neurons for w in n.w]),
    }
    # For each weight, the sample whose own loss Cᵢ depends on it most (the
    # first of equals, hence -i in the key).  The losses are built on the
    # outputs above (a few nodes each, no new forward pass); `grad` leaves
    # every .grad as it is.
    best = {role: (0.0, 0) for role in weights}
    for i, (output, target) in enumerate(zip(outputs, y)):
        sample_grads = grad(hinge(output, target), list(weights.values()))
        for role, g in zip(weights, sample_grads):
            best[role] = max(best[role], (abs(g), -i))
    chosen = {role: -negated for role, (_, negated) in best.items()}
    explained = tuple(
        ExplainedWeight(
            role,
            weight,
            chosen[role],
            explain(cost, weight),
            explain(hinge(outputs[chosen[role]], y[chosen[role]]), weight),
        )
        for role, weight in weights.items()
    )
    grad_table = str(model.grad_table(layer=L))
    network = viz.draw_network(model, show="grad")  # the drawing keeps ∂C/∂w

    # The output neuron on the output weight's sample, with that sample's
    # loss C₀: small enough to read.  The last layer's inputs a⁽ᴸ⁻¹⁾ₖ come in
    # as numbers, so the graph stops at them.
    i = explained[0].sample
    with no_grad():
        hidden = X[i]
        for layer in model.layers[:-1]:
            hidden = [a.data for a in layer(hidden)]
    model.zero_grad()
    sample_loss = hinge(model.layers[-1].neurons[0](hidden), y[i])
    sample_loss.label = "C₀"
    sample_loss.backward()
    neuron_graph = viz.draw_graph(sample_loss, highlight=weights["output"])
    # Back to ∂C/∂p, which the result says the model holds.
    model.zero_grad()
    cost.backward()
    return DemoResult(
        problem, steps, history, cost, trained_accuracy, grad_table, explained, neuron_graph,
        network,
    )


def header(problem: Problem, steps: int) -> str:
    """The two lines saying what is trained, and how."""
    sizes = "-".join(map(str, SIZES))
    return (
        f"micrograd's moons: {SAMPLES} samples (noise {NOISE}, seed {problem.seed}), "
        f"MLP 2-{sizes} ({problem.model.num_parameters()} parameters, "
        "relu hidden, linear output)\n"
        f"hinge loss + {L2:g}·Σp², full-batch SGD with lr = 1 − 0.9·k/{steps}, "
        f"{steps} steps"
    )


def _matplotlib() -> str | None:
    """None when the plots can be made (matplotlib set to draw to files
    only, never a window), else the name of the missing module."""
    try:
        import matplotlib
        import numpy  # noqa: F401 - the decision boundary needs it too
    except ImportError as err:
        return err.name or "matplotlib"
    matplotlib.use("Agg")
    return None


def present(result: DemoResult, out_dir: str) -> None:
    """Print the result's report and write its pictures into ``out_dir``.

    Raises:
        CLIError: a picture that cannot be rendered or written.
    """
    problem, history, steps = result.problem, result.history, result.steps
    L = len(problem.model.layers)
    print(
        f"step {steps}: loss {history['loss'][-1]:.6f}, "
        f"accuracy {history['accuracy'][-1]:.0%}  (before its update)"
    )
    print(f"trained model: loss C = {result.cost.data:.6f}, accuracy {result.accuracy:.0%}")
    print()
    print(f"Gradients of the output layer (layer {L}), ∂C/∂p:")
    print(result.grad_table)
    for item in result.explained:
        print()
        print(
            f"The chain rule for the {item.role} weight {item.weight.label} "
            "(largest |∂C/∂w| of its layer):"
        )
        lines = item.batch.text(max_samples=0).splitlines()
        print("\n".join(line for line in lines if not line.startswith("…")))
        output = label("a", L, 0)
        print(f"Sample {item.sample} on its own, with C₀ = relu(1 − y·{output}) its loss:")
        print(item.alone.text())

    paths = {name: os.path.join(out_dir, name) for name in FILES}
    files.write_file(paths["neuron_graph.svg"], files.drawing_svg(result.neuron_graph))
    files.write_file(paths["network.svg"], files.drawing_svg(result.network))
    missing = _matplotlib()
    if missing is None:
        boundary = viz.plot_decision_boundary(
            problem.model, problem.X, problem.y, title=f"moons after {steps} steps"
        )
        files.write_file(paths["decision_boundary.svg"], files.figure_svg(boundary))
        curve = viz.plot_history(history, title="training")
        files.write_file(paths["loss.svg"], files.figure_svg(curve))
    else:
        for name in PLOTS:
            del paths[name]
    print()
    print("wrote:")
    width = max(len(path) for path in paths.values())
    for name, path in paths.items():
        print(f"  {path:<{width}}  {FILES[name]}")
    if missing is not None:
        print(SKIPPED.format(missing))


def run(args: argparse.Namespace) -> int:
    """``chainrule demo``: check the output, train, print and write.

    Args:
        args: the parsed arguments: ``out``, ``steps``, ``seed``, ``no_progress``.

    Returns:
        0.  A bad ``--out`` or a missing Graphviz raises `CLIError` before
        the training.
    """
    # Check what can fail before the training, not after it.
    files.check_out_dir(args.out)
    files.check_dot()
    out_dir = files.prepare_out_dir(args.out)
    problem = moons(args.seed)
    print(header(problem, args.steps))
    sys.stdout.flush()  # before the progress bar starts on stderr
    result = train(problem, args.steps, progress=not args.no_progress)
    present(result, out_dir)
    return EXIT_OK
