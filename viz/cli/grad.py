"""``chainrule grad "EXPR" --at x=1.5,y=-2 [--svg FILE]``.

Parses the expression (`viz.cli.expression`), evaluates it at the point
given by ``--at``, and prints its value and its partial derivative with
respect to every variable, one line each, in the order in which the
variables first appear in the expression.  ``--svg`` also writes the
computation graph, with values and gradients.
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from collections.abc import Iterable

import viz
from autodiff import Value, topological_order

from . import files
from .errors import EXIT_OK, CLIError
from .expression import parse

#: The most values ``grad --svg`` draws (a picture beyond that is unreadable).
SVG_MAX_NODES = 2000


def parse_at(items: Iterable[str]) -> dict[str, float]:
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
                raise CLIError(
                    f"--at: the value of {name} must be a number, got {text!r}"
                ) from None
            if not math.isfinite(value):
                raise CLIError(f"--at: the value of {name} must be finite, got {text!r}")
            if name in values:
                raise CLIError(f"--at: {name} is given more than once")
            values[name] = value
    return values


def run(args: argparse.Namespace) -> int:
    """``chainrule grad``: print f and every ∂f/∂variable; optionally the SVG.

    Args:
        args: the parsed arguments: ``expression``, ``at`` (a list of
            ``--at`` strings or None) and ``svg`` (a path or None).

    Returns:
        0.  A bad expression raises `ExpressionError`, any other user error
        `CLIError`.
    """
    expression = parse(args.expression)
    at = parse_at(args.at or [])
    if args.svg is not None:
        files.check_writable_file(args.svg, "--svg")
        files.check_dot()
    # The variables' leaves, made here so that their gradients can be read.
    leaves = {name: Value(value, label=name) for name, value in at.items()}
    out = expression.evaluate(leaves)  # checks for missing and unknown names
    out.backward()  # fills every node's .grad, so the SVG shows them too

    # The picture first: if it cannot be written, nothing is printed.
    if args.svg is not None:
        size = len(topological_order(out))
        if size > SVG_MAX_NODES:
            raise CLIError(
                f"cannot draw the graph: it has {size} values, more than the "
                f"{SVG_MAX_NODES} a picture shows; leave out --svg or shorten EXPR"
            )
        drawing = viz.draw_graph(out, max_nodes=SVG_MAX_NODES)
        files.write_file(args.svg, files.drawing_svg(drawing), "--svg")

    names = ["f", *(f"∂f/∂{name}" for name in expression.variables)]
    width = max(len(name) for name in names)
    print(f"f({', '.join(expression.variables)}) = {expression.text.strip()}")
    print(f"{'f':<{width}} = {out.data!r}")
    for name in expression.variables:
        print(f"{'∂f/∂' + name:<{width}} = {leaves[name].grad!r}")
    if args.svg is not None:
        print(f"graph: {args.svg}")
    return EXIT_OK
