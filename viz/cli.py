"""The ``chainrule`` command line (also ``python -m viz``).

Two commands:

``chainrule grad "EXPR" --at x=1.5,y=-2 [--svg FILE]``
    Parses an arithmetic expression (see `autodiff.expression`), evaluates it
    at the given point, and prints its value and its partial derivative with
    respect to every variable, one line each, in the order in which the
    variables first appear in the expression.  ``--svg`` also writes the
    computation graph, with values and gradients.

``chainrule demo [--out DIR] [--steps N] [--seed S] [--no-progress]``
    Trains micrograd's moons classifier (MLP 2-16-16-1, hinge loss with L2,
    SGD with micrograd's learning-rate schedule), prints the final loss and
    accuracy, the output layer's gradient table and the chain rule for two
    weights, and writes four SVGs (one neuron's computation graph, the
    network with its gradients, the decision boundary, the loss curve).

Errors in what the user gave (a bad expression, a bad ``--at``, a path that
cannot be written, Graphviz missing) print one line,
``chainrule: error: ...``, on stderr and exit with status 2.  Anything else
is a bug: it prints one line too and exits with status 1 (set the
environment variable ``CHAINRULE_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import textwrap
import unicodedata

import autodiff
from autodiff import Value
from nn.files import write_atomically
from autodiff.expression import FUNCTIONS, MAX_EXPONENT, MAX_LENGTH, ExpressionError, parse

PROG = "chainrule"

#: Exit statuses.
EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2


class CLIError(Exception):
    """A problem with what the user asked for; shown as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error becomes one `CLIError` line (no usage dump)."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        if "EXPR" in message:  # argparse took an EXPR such as -x**2 for an option
            message += (
                " (an EXPR that starts with '-' goes after '--', e.g. "
                "chainrule grad --at x=1 -- '-x**2')"
            )
        raise CLIError(f"{message} (see '{self.prog} --help')")


def version() -> str:
    """The installed distribution's version, or the engine's when not installed."""
    try:
        from importlib.metadata import PackageNotFoundError, version as dist_version

        return dist_version("chainrule")
    except PackageNotFoundError:
        return autodiff.__version__


# --------------------------------------------------------------------------
# --at


def parse_at(items) -> dict[str, float]:
    """The ``name=value`` pairs of one or more ``--at`` arguments.

    Args:
        items: strings such as ``"x=1.5,y=-2"`` (pairs separated by commas;
            spaces around names and values are ignored).

    Returns:
        ``{name: float}`` in the order given.  Names are NFKC-normalised as
        Python's parser normalises identifiers (so a full-width ``ｘ`` matches
        the expression's ``x``).

    Raises:
        CLIError: an item that is not ``name=value``, a name that is not an
            identifier, a value that is not a finite number, a name given twice.
    """
    values: dict[str, float] = {}
    for item in items:
        for pair in item.split(","):
            if not pair.strip():
                raise CLIError(
                    f"--at {item!r}: empty entry; expected name=value pairs "
                    "separated by commas, e.g. --at x=1.5,y=-2"
                )
            name, sep, text = pair.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise CLIError(
                    f"--at: {pair.strip()!r} is not name=value (e.g. --at x=1.5,y=-2)"
                )
            if not name.isidentifier():
                raise CLIError(f"--at: {name!r} is not a variable name")
            name = unicodedata.normalize("NFKC", name)
            try:
                value = float(text)
            except ValueError:
                raise CLIError(f"--at: the value of {name} must be a number, got {text!r}") from None
            if not math.isfinite(value):
                raise CLIError(f"--at: the value of {name} must be finite, got {text!r}")
            if name in values:
                raise CLIError(f"--at: {name} is given more than once")
            values[name] = value
    return values


# --------------------------------------------------------------------------
# Output files


def _check_dot() -> None:
    """Fail early, before any work, when Graphviz's ``dot`` is not installed."""
    if shutil.which("dot") is None:
        raise CLIError(
            "Graphviz's 'dot' program was not found on PATH; install Graphviz "
            "(e.g. apt-get install graphviz, brew install graphviz) to write SVGs"
        )


def _check_writable_file(path: str, what: str) -> None:
    """Fail early when ``path`` clearly cannot be written as a file."""
    if not path:
        raise CLIError(f"{what} needs a file name")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory, not a file")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError(f"cannot write {what} {path!r}: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise CLIError(f"cannot write {what} {path!r}: directory {parent!r} is not writable")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise CLIError(f"cannot write {what} {path!r}: permission denied")


def _check_out_dir(path: str) -> None:
    """Fail early on an ``--out`` that can never be a directory."""
    if not path:
        raise CLIError("--out needs a directory name")
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"--out {path!r} exists and is not a directory")


def _prepare_out_dir(path: str) -> str:
    """Create the output directory if missing; fail clearly if it cannot be."""
    _check_out_dir(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise CLIError(f"cannot create --out directory {path!r}: {err.strerror or err}") from None
    if not os.access(path, os.W_OK):
        raise CLIError(f"cannot write to --out directory {path!r}: permission denied")
    return path


def _write_atomically(path: str, data: bytes, what: str) -> None:
    """`nn.atomic.write_atomically`, with a failure as a one-line `CLIError`."""
    try:
        write_atomically(path, data)
    except OSError as err:
        raise CLIError(f"cannot write {what} {path!r}: {err.strerror or err}") from None


def _render_svg(drawing) -> bytes:
    """The SVG of a `viz` drawing, with Graphviz failures as `CLIError`."""
    from viz.render import GraphvizNotFound

    try:
        return drawing.pipe(format="svg")
    except GraphvizNotFound:
        _check_dot()  # says how to install it
        raise CLIError("Graphviz's 'dot' program could not be run") from None
    except RuntimeError as err:  # dot itself failed
        raise CLIError(str(err)) from None


# --------------------------------------------------------------------------
# chainrule grad


#: The most values ``grad --svg`` draws (a picture beyond that is unreadable).
SVG_MAX_NODES = 2000


def _cmd_grad(args) -> int:
    """``chainrule grad``: print f and every ∂f/∂variable; optionally the SVG."""
    expression = parse(args.expression)
    at = parse_at(args.at or [])
    if args.svg is not None:
        _check_writable_file(args.svg, "--svg")
        _check_dot()
    # The variables' leaves, made here so that their gradients can be read.
    leaves = {name: Value(value, label=name) for name, value in at.items()}
    out = expression.evaluate(leaves)  # checks for missing and unknown names
    out.backward()  # fills every node's .grad, so the SVG shows them too

    # The picture first: if it cannot be written, nothing is printed.
    if args.svg is not None:
        import viz

        size = len(autodiff.topological_order(out))
        if size > SVG_MAX_NODES:
            raise CLIError(
                f"cannot draw the graph: it has {size} values, more than the "
                f"{SVG_MAX_NODES} a picture shows; leave out --svg or shorten EXPR"
            )
        drawing = viz.draw_graph(out, max_nodes=SVG_MAX_NODES)
        _write_atomically(args.svg, _render_svg(drawing), "--svg")

    names = ["f", *(f"∂f/∂{name}" for name in expression.variables)]
    width = max(len(name) for name in names)
    print(f"f({', '.join(expression.variables)}) = {expression.text.strip()}")
    print(f"{'f':<{width}} = {out.data!r}")
    for name in expression.variables:
        print(f"{'∂f/∂' + name:<{width}} = {leaves[name].grad!r}")
    if args.svg is not None:
        print(f"graph: {args.svg}")
    return EXIT_OK


# --------------------------------------------------------------------------
# chainrule demo


#: The demo's settings: micrograd's moons problem (its demo.ipynb).
DEMO_SAMPLES = 100
DEMO_NOISE = 0.1
DEMO_SIZES = [16, 16, 1]
DEMO_L2 = 1e-4

#: The files `demo` writes, and what each shows.
DEMO_FILES = {
    "neuron_graph.svg": "the output neuron and one sample's loss C₀, with gradients",
    "network.svg": "the network, edges coloured by the sign of ∂C/∂w",
    "decision_boundary.svg": "the decision boundary over the data",
    "loss.svg": "the loss and accuracy per step",
}


def _schedule(steps: int):
    """micrograd's learning rate, 1 − 0.9·k/100 for its 100 steps; for N steps
    1 − 0.9·k/N, so that it decays the same way and stays positive."""

    def lr(k: int) -> float:
        return 1.0 - 0.9 * k / steps

    return lr


def _largest_grad(params):
    """The parameter with the largest |grad| (the first of equals)."""
    return max(params, key=lambda p: abs(p.grad))


def _save_figure(fig, path: str) -> None:
    """A matplotlib figure as SVG, written atomically and reproducibly (no
    date in the metadata, fixed ids)."""
    import io

    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "chainrule", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    _write_atomically(path, buffer.getvalue(), "file")


def _cmd_demo(args) -> int:
    """``chainrule demo``: train, print the report, write the four SVGs."""
    # Check what can fail before the training, not after it.
    _check_out_dir(args.out)
    _check_dot()
    out_dir = _prepare_out_dir(args.out)
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window

    from nn.data import make_moons
    from nn.explain import explain
    from nn.layers import MLP
    from nn.losses import hinge
    from nn.notation import label
    from nn.optim import SGD
    from nn.train import batch_loss, fit

    import viz

    steps, seed = args.steps, args.seed
    X, labels = make_moons(DEMO_SAMPLES, noise=DEMO_NOISE, seed=seed)
    y = [2 * t - 1 for t in labels]  # classes 0/1 -> micrograd's targets -1/+1
    model = MLP(2, DEMO_SIZES, activation="relu", output_activation="linear", seed=seed)
    optimizer = SGD(model.parameters(), lr=_schedule(steps))
    print(
        f"micrograd's moons: {DEMO_SAMPLES} samples (noise {DEMO_NOISE}, seed {seed}), "
        f"MLP 2-{'-'.join(map(str, DEMO_SIZES))} ({model.num_parameters()} parameters, "
        "relu hidden, linear output)"
    )
    print(
        f"hinge loss + {DEMO_L2:g}·Σp², full-batch SGD with lr = 1 − 0.9·k/{steps}, "
        f"{steps} steps"
    )
    sys.stdout.flush()  # before the progress bar starts on stderr
    history = fit(
        model, X, y, "hinge", optimizer, epochs=steps, l2=DEMO_L2, progress=not args.no_progress
    )
    if history.interrupted:
        raise KeyboardInterrupt
    print(
        f"step {steps}: loss {history['loss'][-1]:.6f}, "
        f"accuracy {history['accuracy'][-1]:.0%}  (before its update)"
    )

    # The trained model's loss graph: its gradients are what the table, the
    # explanations and the network picture show.
    model.zero_grad()
    loss, scores = batch_loss(model, X, y, "hinge", l2=DEMO_L2)
    accuracy = sum(1 for s, t in zip(scores, y) if (s.data > 0) == (t > 0)) / len(X)
    loss.backward()
    print(f"trained model: loss C = {loss.data:.6f}, accuracy {accuracy:.0%}")

    L = len(model.layers)
    output_weight = _largest_grad(model.layers[-1].neurons[0].w)
    hidden_weight = _largest_grad([w for n in model.layers[-2].neurons for w in n.w])
    print()
    print(f"Gradients of the output layer (layer {L}), ∂C/∂p:")
    print(model.grad_table(layer=L))

    # For each weight, the sample whose own loss Cᵢ depends on it most: its
    # chain has no zero factor, so it is the one worth reading.
    weights = [output_weight, hidden_weight]
    best = [(0.0, 0)] * len(weights)
    for i, (x, target) in enumerate(zip(X, y)):
        sample_grads = autodiff.grad(hinge(model(x), target), weights)
        best = [max(b, (abs(g), -i)) for b, g in zip(best, sample_grads)]
    chosen = [-i for _, i in best]

    for what, weight, i in zip(("output", "hidden"), weights, chosen):
        print()
        print(f"The chain rule for the {what} weight {weight.label} (largest |∂C/∂w| of its layer):")
        lines = explain(loss, weight).text(max_samples=0).splitlines()
        print("\n".join(line for line in lines if not line.startswith("…")))
        print(f"Sample {i} on its own, with C₀ = relu(1 − y·{label('a', L, 0)}) its loss:")
        print(explain(hinge(model(X[i]), y[i]), weight).text())

    network = viz.draw_network(model, show="grad")

    # The output neuron on the output weight's sample, with that sample's
    # loss C₀: small enough to read.  The last layer's inputs a⁽ᴸ⁻¹⁾ₖ come in
    # as numbers, so the graph stops at them.
    i = chosen[0]
    with autodiff.no_grad():
        hidden = X[i]
        for layer in model.layers[:-1]:
            hidden = [a.data for a in layer(hidden)]
    model.zero_grad()
    sample_loss = hinge(model.layers[-1].neurons[0](hidden), y[i])
    sample_loss.label = "C₀"
    sample_loss.backward()
    neuron_graph = viz.draw_graph(sample_loss, highlight=output_weight)

    paths = {name: os.path.join(out_dir, name) for name in DEMO_FILES}
    _write_atomically(paths["neuron_graph.svg"], _render_svg(neuron_graph), "file")
    _write_atomically(paths["network.svg"], _render_svg(network), "file")
    _save_figure(
        viz.plot_decision_boundary(model, X, y, title=f"moons after {steps} steps"),
        paths["decision_boundary.svg"],
    )
    _save_figure(viz.plot_history(history, title="training"), paths["loss.svg"])
    print()
    print("wrote:")
    width = max(len(path) for path in paths.values())
    for name, path in paths.items():
        print(f"  {path:<{width}}  {DEMO_FILES[name]}")
    return EXIT_OK


# --------------------------------------------------------------------------
# The parser and main


def _wrap(*paragraphs: str) -> str:
    """Help text wrapped to the terminal's width, paragraphs kept apart (a
    paragraph with a newline is kept as written)."""
    width = min(shutil.get_terminal_size().columns, 100) - 2
    return "\n\n".join(
        p if "\n" in p else textwrap.fill(p, width=max(width, 40)) for p in paragraphs
    )


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``chainrule`` and its commands."""
    parser = _Parser(
        prog=PROG,
        description="See backpropagation happen: gradients of expressions, and "
        "micrograd's moons demo with pictures.",
        epilog="Run 'chainrule COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    grad = commands.add_parser(
        "grad",
        help="value and partial derivatives of an expression at a point",
        description=_wrap(
            "Evaluate EXPR at the point given by --at and print its value and its "
            "partial derivative with respect to each variable, one per line, in "
            "order of first appearance in EXPR."
        ),
        epilog=_wrap(
            "EXPR may use numbers, variable names, + - * / ** (with Python's "
            "precedence: -x**2 is -(x**2)), unary minus, parentheses, and the "
            f"functions {', '.join(FUNCTIONS)}.  A constant exponent must be at most "
            f"{MAX_EXPONENT:g} in absolute value; EXPR is at most {MAX_LENGTH} "
            "characters.  An EXPR that starts with '-' goes after '--' "
            "(chainrule grad --at x=1 -- '-x**2').",
            "example:\n  chainrule grad 'tanh(x*w + b)' --at x=1.5,w=-2,b=0.5 --svg graph.svg",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grad.add_argument("expression", metavar="EXPR", help="the expression, e.g. 'x**2 * sin(y)'")
    grad.add_argument(
        "--at",
        action="append",
        metavar="NAME=VALUE[,...]",
        help="the value of every variable, e.g. x=1.5,y=-2 (may be repeated)",
    )
    grad.add_argument(
        "--svg", metavar="FILE", help="also write the computation graph to FILE (needs Graphviz)"
    )
    grad.set_defaults(run=_cmd_grad)

    demo = commands.add_parser(
        "demo",
        help="train micrograd's moons MLP and draw it",
        description=_wrap(
            "Train micrograd's moons classifier (100 samples, MLP 2-16-16-1, hinge "
            "loss plus 1e-4·Σp², full-batch SGD with lr(k) = 1−0.9·k/N for N steps: "
            "micrograd's 1−0.9·k/100 for the default 100), then print the final "
            "loss and accuracy, the output layer's gradient table and the chain "
            "rule for one output and one hidden weight, and write four SVGs: one "
            "neuron's computation graph, the network with its gradients, the "
            "decision boundary and the loss curve.  The data and the initial "
            "weights both come from --seed, so a run is reproducible.",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--out", default="out", metavar="DIR", help="where to write the SVGs (default: ./out)"
    )
    demo.add_argument(
        "--steps", type=_positive_int, default=100, metavar="N", help="training steps (default: 100)"
    )
    demo.add_argument("--seed", type=_int, default=1337, metavar="S", help="random seed (default: 1337)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=_cmd_demo)
    return parser


def _tolerant_streams() -> None:
    """On a terminal that cannot show ∂ or w⁽¹⁾ (not UTF-8), print escapes
    instead of failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot be changed
                pass


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _error(message: str) -> None:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the command line.

    Args:
        argv: the arguments (without the program name); ``sys.argv[1:]``
            when None.

    Returns:
        The exit status: 0 on success, 2 for a user error (one line on
        stderr), 1 for an unexpected failure, 130 when interrupted.
    """
    _tolerant_streams()
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help and --version end here
            return done.code if isinstance(done.code, int) else EXIT_OK
        return args.run(args)
    except (CLIError, ExpressionError) as err:
        _error(str(err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `chainrule demo | head`: stop quietly
        try:  # keep Python's final flush of stdout from failing again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK
    except Exception as err:  # a bug: one line, unless asked for the traceback
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        _error(
            f"internal error: {type(err).__name__}: {err} "
            "(set CHAINRULE_DEBUG=1 to see the traceback)"
        )
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
