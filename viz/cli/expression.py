"""A safe parser for arithmetic expressions that builds autodiff graphs: the
expressions of ``chainrule grad``.

    >>> from viz.cli.expression import parse
    >>> f = parse("tanh(x*w + b)")
    >>> f.variables
    ('x', 'w', 'b')
    >>> out = f(x=1.5, w=-2.0, b=0.5)
    >>> round(out.data, 6)
    -0.986614

The text is read with Python's own parser (``ast.parse(mode="eval")``) and
then checked against a whitelist; it is never evaluated, executed or compiled
to Python code.  What is allowed:

* numbers (``2``, ``0.5``, ``1e-3``; not bools, strings or complex numbers),
* variables: any other name (``x``, ``w1``, ``alpha``), bound when evaluating,
* ``+ - * / **`` and unary ``-`` / ``+``, with parentheses; precedence is
  Python's (``-x**2`` is ``-(x**2)``, ``2**3**2`` is ``2**(3**2)``),
* calls of the engine's one-input functions, ``tanh(x)``, ``exp(x)`` ...
  (`FUNCTIONS`; taken from the op table, so a new unary op is available here
  without further edits), with exactly one positional argument.

Everything else (attribute access, subscripts, keyword arguments, lambdas,
comprehensions, comparisons, ...) is rejected with an `ExpressionError`
whose one-line message says what was found and what is allowed.

Parts without variables are folded to a number when the expression is
parsed (``2*3*x`` becomes ``6*x``), using the op table's IEEE forward
functions, so ``1/0`` is ``inf`` as in the engine.  The graph that
`Expression.evaluate` builds therefore has one leaf per variable (labelled
with its name) and one constant leaf per folded number.

Limits, so that no input can make the parser hang or crash:

* at most `MAX_LENGTH` characters;
* nesting at most `MAX_DEPTH` deep (an op inside an op ...), on every
  Python version: deeper is an error, not a crash;
* an exponent without variables (``x**2``, ``2**10**3``) must be a finite
  number with absolute value at most `MAX_EXPONENT`: ``9**9**9`` is rejected
  because its exponent ``9**9`` exceeds the bound.  All arithmetic is in
  floats, so an allowed power costs one ``pow`` call whatever its result
  (overflow gives ``inf``, as elsewhere in the engine);
* a number literal must be finite as a float (``1e400`` is rejected).
"""

from __future__ import annotations

import ast
import math
import numbers
import operator
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from typing import cast

from autodiff import Value
from autodiff.arguments import is_real, type_name
from autodiff.ops import OPS, UNARY_FUNCTIONS

__all__ = [
    "Expression",
    "ExpressionError",
    "FUNCTIONS",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "parse",
]

#: The callable function names: the op table's one-input functions.
FUNCTIONS: tuple[str, ...] = tuple(
    sorted(
        name
        for name in dict.fromkeys((*UNARY_FUNCTIONS, "abs"))
        if name in OPS and OPS[name].arity == 1
    )
)

#: The longest expression text accepted, in characters.
MAX_LENGTH = 10_000

#: The deepest nesting accepted (ops within ops, parentheses aside): Python's
#: own parser stops at different depths from one version to the next, so
#: the limit is the command's, the same everywhere.
MAX_DEPTH = 1000

#: The largest absolute value allowed for an exponent without variables.
MAX_EXPONENT = 1000.0


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message is one
    line saying what is wrong and what is allowed."""


_ALLOWED_SUMMARY = (
    "allowed are numbers, variables, + - * / ** (and unary -), parentheses "
    "and the functions " + ", ".join(FUNCTIONS)
)

# Binary operators: AST class -> op-table name.
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BINARY_SYMBOL = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}

# The same operators applied to Values (or a Value and a number).
_APPLY_BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}

# What to call the constructs that are not allowed.
_FORBIDDEN = {
    ast.Attribute: "attribute access (a.b) is",
    ast.Subscript: "subscripts (a[i]) are",
    ast.Slice: "slices are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and'/'or' are",
    ast.IfExp: "conditional expressions (a if c else b) are",
    ast.NamedExpr: "assignment expressions (:=) are",
    ast.Starred: "starred expressions are",
    ast.List: "lists are",
    ast.Tuple: "tuples (a ',' outside a call) are",
    ast.Set: "sets are",
    ast.Dict: "dicts are",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.Await: "'await' is",
    ast.Yield: "'yield' is",
    ast.YieldFrom: "'yield' is",
}


def _describe(node: ast.AST) -> str:
    for cls, name in _FORBIDDEN.items():
        if isinstance(node, cls):
            return name
    return f"{type(node).__name__} nodes are"


# The instructions of a compiled expression, run by a small stack machine:
#   ("const", x)      push the float x
#   ("var", name)     push the variable's leaf
#   ("neg",)          negate the top
#   ("call", name)    apply the unary op `name` to the top
#   ("bin", name)     pop y, pop x, push x <name> y
_Instruction = tuple


def _show(x: float) -> str:
    """A number as a person would write it: 65536, not 65536.0."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _fold_binary(name: str, x: float, y: float) -> float:
    return OPS[name].forward(x, y)


class _Compiler:
    """Checks an AST against the whitelist and compiles it to instructions.

    The walk is iterative (post-order with an explicit stack) so that a long
    chain like ``x+x+...+x`` costs no Python recursion.  Constant operands
    always compile to a single ("const", x) instruction, so folding only
    looks at the last one or two instructions.
    """

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines() or [""]
        self.program: list[_Instruction] = []
        self.names: list[tuple[int, int, str]] = []  # (line, column, name)

    def _error(self, node: ast.AST, message: str, summary: bool = False) -> ExpressionError:
        """The error for ``node``, located by line and (character) column."""
        tail = f"; {_ALLOWED_SUMMARY}" if summary else ""
        line, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if line is None or col is None:
            return ExpressionError(f"{message}{tail}")
        # ast columns count UTF-8 bytes; report characters
        source = self.lines[min(line, len(self.lines)) - 1]
        col = len(source.encode("utf-8")[:col].decode("utf-8", "replace"))
        where = f"column {col + 1}" if len(self.lines) == 1 else f"line {line}, column {col + 1}"
        return ExpressionError(f"{message} at {where}{tail}")

    def _number(self, node: ast.Constant) -> float:
        value = node.value
        # bool is an int subclass, but True is not a number literal
        if not is_real(value):
            raise self._error(
                node, f"{value!r} is not a number; only int and float literals are allowed"
            )
        try:
            number = float(value)  # type: ignore[arg-type]  # a real number: checked above
        except OverflowError:  # an int literal beyond the float range
            number = math.inf
        if not math.isfinite(number):
            raise self._error(node, "number literal is out of the float range")
        return number

    def _const_tail(self, n: int) -> list[float] | None:
        """The values of the last ``n`` instructions if all are constants."""
        if len(self.program) < n:
            return None
        tail = self.program[len(self.program) - n :]
        if all(ins[0] == "const" for ins in tail):
            return [ins[1] for ins in tail]
        return None

    def compile(self, body: ast.AST) -> list[_Instruction]:
        stack: list[tuple[ast.AST, bool]] = [(body, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                self._emit(node)
                continue
            children = self._check(node)
            stack.append((node, True))
            for child in reversed(children):
                stack.append((child, False))
        return self.program

    def _check(self, node: ast.AST) -> list[ast.AST]:
        """Raise if ``node`` is not allowed; return its operand nodes."""
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                symbol = _BINARY_SYMBOL.get(type(node.op), type(node.op).__name__)
                hint = "; use ** for powers" if symbol == "^" else ""
                raise self._error(
                    node, f"operator {symbol!r} is not allowed{hint}", summary=not hint
                )
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                symbol = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?")
                raise self._error(node, f"unary {symbol!r} is not allowed", summary=True)
            return [node.operand]
        if isinstance(node, ast.Call):
            return self._check_call(node)
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise self._error(
                    node,
                    f"{node.id!r} is a function: call it as {node.id}(...); "
                    "it cannot be a variable name",
                )
            return []
        if isinstance(node, ast.Constant):
            return []
        raise self._error(node, f"{_describe(node)} not allowed", summary=True)

    def _check_call(self, node: ast.Call) -> list[ast.AST]:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise self._error(node, "attribute access (a.b) is not allowed", summary=True)
            raise self._error(
                node,
                "only a function name can be called, e.g. tanh(x) "
                f"(functions: {', '.join(FUNCTIONS)})",
            )
        name = func.id
        if name not in FUNCTIONS:
            raise self._error(
                node, f"unknown function {name!r}; the functions are: {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            raise self._error(node, f"keyword arguments are not allowed in {name}(...)")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._error(arg, f"starred arguments are not allowed in {name}(...)")
        arity = OPS[name].arity
        if len(node.args) != arity:
            raise self._error(
                node,
                f"{name}() takes exactly {arity} argument, got {len(node.args)}",
            )
        return list(node.args)

    def _emit(self, node: ast.AST) -> None:
        program = self.program
        if isinstance(node, ast.Constant):
            program.append(("const", self._number(node)))
        elif isinstance(node, ast.Name):
            program.append(("var", node.id))
            self.names.append((node.lineno, node.col_offset, node.id))
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return  # +x is x: no node
            const = self._const_tail(1)
            if const is not None:
                program[-1] = ("const", -const[0])
            else:
                program.append(("neg",))
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # what _check_call lets through
            name = node.func.id
            const = self._const_tail(1)
            if const is not None:
                program[-1] = ("const", OPS[name].forward(const[0]))
            else:
                program.append(("call", name))
        else:
            assert isinstance(node, ast.BinOp)  # the only other node _check lets through
            name = _BINARY[type(node.op)]
            right_is_const = program[-1][0] == "const"
            if name == "**" and right_is_const:
                exponent = program[-1][1]
                if not (math.isfinite(exponent) and abs(exponent) <= MAX_EXPONENT):
                    raise self._error(
                        node.right,
                        f"exponent {_show(exponent)} is out of bounds: an exponent without "
                        f"variables must be a finite number with |value| <= {MAX_EXPONENT:g}",
                    )
            const = self._const_tail(2)
            if const is not None:
                del program[-1]
                program[-1] = ("const", _fold_binary(name, const[0], const[1]))
            else:
                program.append(("bin", name))


def _syntax_message(text: str, err: SyntaxError) -> str:
    msg = err.msg or "invalid syntax"
    if "null bytes" in msg:
        return "expression contains a null byte"
    lines = text.splitlines() or [""]
    line = err.lineno or 1
    col = err.offset or 1
    where = f"column {col}" if len(lines) == 1 else f"line {line}, column {col}"
    # A short excerpt around the error, on one line.
    source = lines[min(max(line, 1), len(lines)) - 1]
    start = max(col - 11, 0)
    excerpt = source[start : col + 10]
    near = f" near {excerpt.strip()!r}" if excerpt.strip() else ""
    return f"syntax error at {where}{near}: {msg}"


class Expression:
    """A parsed, checked expression; call it (or `evaluate`) to build a graph.

    Attributes:
        text (str): the expression as given.
        variables (tuple[str, ...]): the variable names, in order of first
            appearance in the text (reading left to right).
    """

    __slots__ = ("text", "variables", "_program")

    def __init__(self, text: str, variables: tuple[str, ...], program: list) -> None:
        self.text = text
        self.variables = variables
        self._program = program

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def _bind(self, values: Mapping) -> dict[str, Value]:
        """One leaf per variable from ``values`` (names NFKC-normalised, as
        Python's parser normalises identifiers)."""
        bound: dict[str, Value] = {}
        for name, value in values.items():
            if not isinstance(name, str):
                raise TypeError(f"variable names must be str, got {type_name(name)}")
            key = unicodedata.normalize("NFKC", name)
            if key in bound:
                raise ExpressionError(f"variable {name!r} is given more than once")
            if isinstance(value, Value):
                leaf = value
            elif isinstance(value, numbers.Real):
                # Value checks the number itself (a too-large int, say)
                leaf = Value(cast(float, value), label=key)
            else:
                raise TypeError(
                    f"the value of {name!r} must be a real number or a Value, "
                    f"got {type_name(value)}"
                )
            bound[key] = leaf
        extra = [name for name in bound if name not in self.variables]
        if extra:
            known = ", ".join(self.variables) if self.variables else "none"
            raise ExpressionError(
                f"unknown variable{'s' if len(extra) > 1 else ''} "
                f"{', '.join(map(repr, extra))}; the expression's variables are: {known}"
                + _lookalikes(extra, self.variables)
            )
        missing = [name for name in self.variables if name not in bound]
        if missing:
            raise ExpressionError(
                f"no value for variable{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing))} (the expression's variables are: "
                f"{', '.join(self.variables)})"
            )
        return bound

    def evaluate(self, values: Mapping | None = None, /, **kwargs) -> Value:
        """Build the expression's graph at the given point; return its root.

        Args:
            values: a mapping from variable name to value (optional).
            **kwargs: more variable values by name.
            Every variable needs exactly one value: a real number becomes a
            leaf `Value` labelled with the variable's name; a `Value` is used
            as is (not relabelled), so gradients can be taken with respect
            to it.

        Returns:
            The root `Value` (a constant leaf if there are no variables).

        Raises:
            ExpressionError: a variable without a value, a name that is not
                a variable of the expression, or a name given twice.
            TypeError: a value that is neither a real number nor a Value.
        """
        if values is not None and not isinstance(values, Mapping):
            raise TypeError(
                f"values must be a mapping of variable name -> value, got {type_name(values)}"
            )
        given = dict(values) if values is not None else {}
        for name in kwargs:
            if name in given:
                raise ExpressionError(f"variable {name!r} is given more than once")
        given.update(kwargs)
        leaves = self._bind(given)
        stack: list = []
        push, pop = stack.append, stack.pop
        for ins in self._program:
            kind = ins[0]
            if kind == "var":
                push(leaves[ins[1]])
            elif kind == "const":
                push(ins[1])
            elif kind == "bin":
                y = pop()
                push(_APPLY_BINARY[ins[1]](pop(), y))
            elif kind == "call":
                push(getattr(pop(), ins[1])())
            else:  # "neg"
                push(-pop())
        result = stack[0]
        return result if isinstance(result, Value) else Value(result)

    __call__ = evaluate


def parse(text: str) -> Expression:
    """Parse and check ``text``; return an `Expression`.

    Args:
        text: the expression, e.g. ``"tanh(x*w + b)"`` (see the module
            docstring for what is allowed).

    Returns:
        An `Expression` with ``.variables`` in order of first appearance.

    Raises:
        TypeError: ``text`` is not a str.
        ExpressionError: anything outside the whitelist, a syntax error
            (with its column), text longer than `MAX_LENGTH`, nesting too
            deep, an exponent or a number out of bounds.
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type_name(text)}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long: {len(text)} characters (the limit is {MAX_LENGTH})"
        )
    if not text.strip():
        raise ExpressionError("expression is empty")
    # Leading spaces would be an "unexpected indent"; columns count from here.
    source = text.strip()
    try:
        with warnings.catch_warnings():
            # e.g. "invalid decimal literal" for "1if": the whitelist decides
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(_syntax_message(source, err)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "expression is nested too deeply for the parser; split it into parts"
        ) from None
    except ValueError as err:  # e.g. null bytes on some Python versions
        raise ExpressionError(f"expression cannot be read: {err}") from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionError(
            f"expression is nested too deeply (more than {MAX_DEPTH} levels); "
            "split it into parts"
        )
    compiler = _Compiler(source)
    program = compiler.compile(tree.body)
    names = sorted(compiler.names)  # textual order: (line, column)
    variables = tuple(dict.fromkeys(name for _, _, name in names))
    return Expression(text, variables, program)


def _depth(node: ast.AST) -> int:
    """How deep ``node``'s tree goes, walked without recursion."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


# Letters of other scripts drawn like Latin ones: the usual confusions in
# names typed on another keyboard layout (Cyrillic, Greek).  Only the
# messages use it: a name is never silently mapped to another.
_LOOKS_LATIN = str.maketrans(
    "асԁеһіјӏорԛѕԝхуАВСЕНІЈКМОРЅТХУԜ"
    "αβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "acdehijlopqswxyABCEHIJKMOPSTXYW"
    "aBeikvoptuxABEZHIKMNOPTYX",
)


def _script(name: str) -> str:
    """The scripts of ``name``'s letters, as Unicode names them (``Latin``)."""
    scripts = []
    for c in name:
        try:
            word = unicodedata.name(c).split()[0].capitalize()
        except ValueError:
            continue
        if c.isalpha() and word not in scripts:
            scripts.append(word)
    return "/".join(scripts) or "no letters"


def _lookalikes(given: Iterable[str], known: Iterable[str]) -> str:
    """A note for each given name that looks like a known one but is spelt
    in another script, e.g. ``'x' (Latin) and 'х' (Cyrillic) look alike``."""
    notes = []
    for name in given:
        skeleton = name.translate(_LOOKS_LATIN)
        for other in known:
            if other != name and other.translate(_LOOKS_LATIN) == skeleton:
                notes.append(
                    f"{name!r} ({_script(name)}) and {other!r} ({_script(other)}) look alike "
                    "but are different letters"
                )
    return f" ({'; '.join(notes)})" if notes else ""
