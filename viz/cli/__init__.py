"""The ``chainrule`` command line (also ``python -m viz``).

Two commands:

``chainrule grad "EXPR" --at x=1.5,y=-2 [--svg FILE]``
    Parses an arithmetic expression (see `viz.cli.expression`), evaluates it
    at the given point, and prints its value and its partial derivative with
    respect to every variable, one line each, in the order in which the
    variables first appear in the expression.  ``--svg`` also writes the
    computation graph, with values and gradients.  (`viz.cli.grad`)

``chainrule demo [--out DIR] [--steps N] [--seed S] [--no-progress]``
    Trains micrograd's moons classifier (MLP 2-16-16-1, hinge loss with L2,
    SGD with micrograd's learning-rate schedule), prints the final loss and
    accuracy, the output layer's gradient table and the chain rule for two
    weights, and writes four SVGs (one neuron's computation graph, the
    network with its gradients, the decision boundary, the loss curve; the
    last two need matplotlib, ``pip install 'chainrule[plot]'``, and are
    skipped without it).  (`viz.cli.demo`)

This module holds the entry point `main`, the argument parser and the error
handling; `viz.cli.files` the output files' checks and writes.  Errors in
what the user gave (a bad expression, a bad ``--at``, a path that cannot be
written, Graphviz missing) print one line, ``chainrule: error: ...``, on
stderr and exit with status 2.  Anything else is a bug: it prints one line
too and exits with status 1 (set the environment variable
``CHAINRULE_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version

import autodiff

from . import demo, grad
from .demo import FILES as DEMO_FILES
from .errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CLIError
from .expression import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, ExpressionError
from .grad import SVG_MAX_NODES, parse_at

__all__ = [
    "main",
    "build_parser",
    "version",
    "parse_at",
    "CLIError",
    "DEMO_FILES",
    "SVG_MAX_NODES",
    "EXIT_OK",
    "EXIT_BUG",
    "EXIT_USAGE",
    "EXIT_INTERRUPTED",
]

PROG = "chainrule"


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
        return dist_version("chainrule")
    except PackageNotFoundError:
        return autodiff.__version__


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

    grad_parser = commands.add_parser(
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
            f"characters, nested at most {MAX_DEPTH} deep.  An EXPR that starts with '-' "
            "goes after '--' (chainrule grad --at x=1 -- '-x**2').",
            "example:\n  chainrule grad 'tanh(x*w + b)' --at x=1.5,w=-2,b=0.5 --svg graph.svg",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grad_parser.add_argument(
        "expression", metavar="EXPR", help="the expression, e.g. 'x**2 * sin(y)'"
    )
    grad_parser.add_argument(
        "--at",
        action="append",
        metavar="NAME=VALUE[,...]",
        help="the value of every variable, e.g. x=1.5,y=-2 (may be repeated)",
    )
    grad_parser.add_argument(
        "--svg", metavar="FILE", help="also write the computation graph to FILE (needs Graphviz)"
    )
    grad_parser.set_defaults(run=grad.run)

    demo_parser = commands.add_parser(
        "demo",
        help="train micrograd's moons MLP and draw it",
        description=_wrap(
            "Train micrograd's moons classifier (100 samples, MLP 2-16-16-1, hinge "
            "loss plus 1e-4·Σp², full-batch SGD with lr(k) = 1−0.9·k/N for N steps: "
            "micrograd's 1−0.9·k/100 for the default 100), then print the final "
            "loss and accuracy, the output layer's gradient table and the chain "
            "rule for one output and one hidden weight, and write four SVGs: one "
            "neuron's computation graph, the network with its gradients, the "
            "decision boundary and the loss curve (these two need matplotlib: "
            "pip install 'chainrule[plot]').  The data and the initial "
            "weights both come from --seed, so a run is reproducible.",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo_parser.add_argument(
        "--out", default="out", metavar="DIR", help="where to write the SVGs (default: ./out)"
    )
    demo_parser.add_argument(
        "--steps", type=_positive_int, default=100, metavar="N",
        help="training steps (default: 100)",
    )
    demo_parser.add_argument(
        "--seed", type=_int, default=1337, metavar="S", help="random seed (default: 1337)"
    )
    demo_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo_parser.set_defaults(run=demo.run)
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


def main(argv: Sequence[str] | None = None) -> int:
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
        return EXIT_INTERRUPTED
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
