"""Compiled steps: trace a loss once, then run it as straight-line Python.

``step = autodiff.compile(loss_fn, params)`` calls ``loss_fn()`` once, walks
the graph it returns and writes a Python function with one statement per
node: the forward pass, then the chain rule written out op by op, children
first, exactly as ``backward()`` walks it.  Each ``step()`` then recomputes
the loss from the params' current ``.data`` and adds ∂loss/∂p to every
param's ``.grad``, without building a graph:

    step = autodiff.compile(lambda: ((w * x + b).tanh() - y) ** 2, [w, b])
    for _ in range(100):
        w.grad = b.grad = 0.0
        loss = step()                 # a float; w.grad and b.grad are set
        w.data -= 0.1 * w.grad
        b.data -= 0.1 * b.grad
    print(step.source)                # the generated code, readable

The numbers are those of the eager engine, bit for bit: the forward of each
op is the table's own expression (or its function), and every gradient is
summed with the same multiplications and additions, in the same order, as
``backward()`` (``loss.backward()`` after ``loss_fn()`` gives the same
``.grad`` on every param, and ``step()`` returns ``loss.data``).

What a compiled step assumes, and what it does not do:

- The graph's structure must not depend on the data.  The trace is frozen:
  the ops, how they are wired, and every leaf that is not a param (inputs,
  targets, constants) are baked into the code.  A ``loss_fn`` that branches
  on values (``if x.data > 0``) or reads inputs that change between calls is
  compiled for the branch and the inputs of the trace.  ``check_every=k``
  re-traces ``loss_fn()`` every k-th call and raises `GraphChangedError` at
  the first difference; `CompiledStep.check` does it on demand.
- Only params' ``.grad`` are written (added to, like ``backward()``, so zero
  them between steps); intermediate nodes' gradients are not kept, and no
  node's ``.grad`` other than the params' changes.
- Any node whose op is an `autodiff.ops.Op` compiles: through the entry's
  ``forward_code``/``partials_code`` when it has them, else through calls of
  its ``forward`` and ``partials`` functions (correct, slower).  Anything
  else is refused with `CompileError` naming the node.
- Inline code raises where the IEEE-safe functions return inf or nan (a
  division by zero, the log of 0): the step then runs again through the
  table's functions, which give the eager engine's inf and nan.
- ``no_grad``: a trace under ``no_grad`` records no graph, so `compile`
  refuses it; a compiled step ignores ``no_grad`` (it always writes the
  params' grads).  Under ``detect_anomaly`` a step runs the eager engine
  instead (``loss_fn()``, then ``backward()``), so the error names the op.
- The generated code grows with the graph: one statement per node forward
  and one per parent backward (and a comment line per node), and CPython
  needs 2-3 kB per line to compile it.  A graph of more than ``max_nodes``
  nodes is refused before any code is generated, and code of more than
  ``max_lines`` lines before CPython compiles it; the eager engine handles
  such graphs.
"""

from __future__ import annotations

import builtins
import math
import re
import threading
import time
from typing import Callable, Iterable

from .graph import topological_order
from .modes import state
from .ops import CODE_GLOBALS, FLOAT, Op, push_order
from .value import Value, type_name

__all__ = [
    "compile",
    "CompiledStep",
    "CompileError",
    "GraphChangedError",
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_LINES",
]

#: The largest graph `compile` traces into code unless told otherwise.
DEFAULT_MAX_NODES = 2_000_000

#: The longest code `compile` hands to CPython unless told otherwise.
#: CPython's compiler needs 1.7-3 kB per line of straight-line code
#: (measured on CPython 3.11: micrograd's moons step, 8·10⁴ lines, 0.25
#: GB and 0.8 s; a chain of 10⁶ nodes, 1.5·10⁶ lines, 2.6 GB and 21 s),
#: so this keeps a compile near 1 GB and 10 s.
DEFAULT_MAX_LINES = 400_000


class CompileError(Exception):
    """A loss that `compile` cannot turn into a compiled step."""


class GraphChangedError(CompileError):
    """The graph ``loss_fn()`` builds now differs from the one compiled."""


# One compiled step at a time writes its params' grads (as backward() does).
_lock = threading.Lock()

_SIMPLE = re.compile(r"[\w.]+|_d\[\d+\]")


def _literal(x: float) -> str:
    """Python source for the float ``x``, exactly (repr round-trips)."""
    if x != x:
        return "_nan"
    if x in (math.inf, -math.inf):
        return "_inf" if x > 0 else "(-_inf)"
    text = repr(x)
    return f"({text})" if text[0] == "-" else text


def _describe(node) -> str:
    label = f" (label {node.label!r})" if getattr(node, "label", "") else ""
    return f"{type_name(node)}{label}"


class _Program:
    """The traced graph, reduced to what the code needs.

    nodes: per live node (one that depends on a param), in topological
    order, ``(i, op, args)``: ``i`` its index in the trace, ``op`` its Op and
    ``args`` one entry per parent, an int (a live node's index) or a str (the
    literal of a constant); a param is ``(i, None, k)`` with ``k`` its index
    in ``params``.  root: the loss's index.
    """

    __slots__ = ("nodes", "root", "n_nodes", "ops", "labels")

    def __init__(self, root, param_index: dict, max_nodes: int) -> None:
        order = topological_order(root)
        n = len(order)
        if n > max_nodes:
            raise CompileError(
                f"compile: the graph of loss_fn() has {n:,} nodes, more than "
                f"max_nodes={max_nodes:,}.  Use loss.backward() (the eager engine "
                f"handles graphs of any size) or pass a larger max_nodes."
            )
        index: dict = {}
        live: list[bool] = []
        literals: list[str | None] = []
        nodes: list[tuple] = []
        ops: dict[Op, int] = {}
        labels: dict[int, str] = {}
        for i, node in enumerate(order):
            if node.__class__ is not Value:
                raise CompileError(
                    f"compile: node {i} of the graph is a {_describe(node)}, not a Value"
                )
            index[node] = i
            parents = node.parents
            if not parents:
                k = param_index.get(node)
                live.append(k is not None)
                if k is None:
                    literals.append(_literal(node.data))
                else:
                    literals.append(None)
                    nodes.append((i, None, k))
                    if node.label:
                        labels[i] = node.label
                continue
            op = node._rule
            if not isinstance(op, Op):
                raise CompileError(
                    f"compile: node {i} of the graph has op {op!r}, which is not an entry "
                    f"of the op table (autodiff.ops.Op); a compiled step can only run ops "
                    f"that have a forward and a partials function"
                )
            if op.arity is not None and len(parents) != op.arity:
                raise CompileError(
                    f"compile: node {i} (op {op.name!r}) has {len(parents)} parents, "
                    f"but the op takes {op.arity}"
                )
            js = [index[p] for p in parents]
            if any(live[j] for j in js):
                live.append(True)
                literals.append(None)
                ops.setdefault(op, len(ops))
                args = tuple(j if live[j] else literals[j] for j in js)
                nodes.append((i, op, args))
            else:  # depends on no param: a constant, computed once by the trace
                live.append(False)
                literals.append(_literal(node.data))
        self.nodes = nodes
        self.root = n - 1
        self.n_nodes = n
        self.ops = ops
        self.labels = labels


def _names(args) -> list[str]:
    return [f"v{a}" if type(a) is int else a for a in args]


def _format(template, names: list[str], r: str | None = None):
    """An entry's code template applied to input expressions ``names``."""
    if callable(template):
        return template(names) if r is None else template(names, r)
    keys = dict(zip("xyz", names))
    if r is None:
        return template.format(*names, **keys)
    return tuple(t.format(*names, r=r, **keys) for t in template)


def _show_op(op: Op, names: list[str]) -> str:
    """``v2 + v3``, ``tanh(v4)``, ``dot(v1, v2, … v9)``: a node for a comment."""
    if len(names) == 2 and not op.symbol.isidentifier():
        return f"{names[0]} {op.symbol} {names[1]}"
    shown = ", ".join(names) if len(names) <= 4 else f"{', '.join(names[:3])}, … {names[-1]}"
    return f"{op.symbol}({shown})"


def _generate(program: _Program, inline: bool) -> str:
    """The source of ``def _step(_params)``; ``inline`` uses the ops' code
    templates where they have them, otherwise every op is a call of its
    table functions (``_fK``, ``_dK``), which is what the eager engine runs."""
    out: list[str] = []
    emit = out.append
    emit("def _step(_params):")
    emit('    """One step: v<i> is node i of the traced graph, g<i> = ∂loss/∂v<i>."""')
    emit("    # forward: read the params, then one statement per op")
    ops = program.ops
    for i, op, args in program.nodes:
        if op is None:
            label = program.labels.get(i)
            comment = f"  # {label!r}" if label else ""
            emit(f"    v{i} = _params[{args}].data{comment}")
            continue
        names = _names(args)
        if inline and op.forward_code is not None:
            emit(f"    v{i} = {_format(op.forward_code, names)}")
        elif op.arity is None:
            emit(f"    v{i} = _f{ops[op]}([{', '.join(names)}])  # {op.name}")
        else:
            emit(f"    v{i} = _f{ops[op]}({', '.join(names)})  # {op.name}")
    root = program.root
    emit("    # backward: the chain rule, children first, as backward() walks the graph")
    emit(f"    g{root} = 1.0")
    seen = {root}
    for i, op, args in reversed(program.nodes):
        if op is None:
            continue
        names = _names(args)
        if inline and op.partials_code is not None:
            partials = _format(op.partials_code, names, f"v{i}")
            rule = "".join(
                f"; ∂v{i}/∂{x} = {d}" for a, x, d in zip(args, names, partials) if type(a) is int
            )
            emit(f"    # v{i} = {_show_op(op, names)}{rule if len(args) <= 2 else ''}")
        else:
            emit(f"    # v{i} = {_show_op(op, names)}")
            inputs = f"[{', '.join(names)}]" if op.arity is None else ", ".join(names)
            emit(f"    _d = _d{ops[op]}(_F, {inputs}, v{i})")
            partials = [f"_d[{k}]" for k in range(len(args))]
        for k in push_order(op, len(args)):  # the walk's order of the sums
            a, d = args[k], partials[k]
            if type(a) is not int:
                continue  # a constant: its gradient is never needed
            if d == "1.0":
                term = f"g{i}"  # g·1.0 is g exactly
            elif _SIMPLE.fullmatch(d) or d.startswith("(") and d.endswith(")"):
                term = f"g{i} * {d}"
            else:
                term = f"g{i} * ({d})"
            if a in seen:
                emit(f"    g{a} += {term}")
            else:
                seen.add(a)
                emit(f"    g{a} = {term}")
    emit("    # every param's .grad += ∂loss/∂param")
    for i, op, args in program.nodes:
        if op is None:
            # 0.0 + g: backward() sums each gradient from 0.0, so its sum is
            # never -0.0; this gives the same sign to a zero gradient
            emit(f"    _params[{args}].grad += 0.0 + g{i}")
    emit(f"    return v{root}")
    return "\n".join(out) + "\n"


def _structure(root, param_index: dict) -> list:
    """The graph's structure: per node, in topological order, its op and
    parents' indices, or for a leaf its param index or exact data."""
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    out: list = []
    for node in order:
        if node.parents:
            out.append((node._rule, tuple(index[p] for p in node.parents)))
        else:
            k = param_index.get(node)
            out.append(("param", k) if k is not None else ("constant", float(node.data).hex()))
    return out


def _show(entry) -> str:
    kind, detail = entry
    if kind == "param":
        return f"params[{detail}]"
    if kind == "constant":
        return f"the constant {float.fromhex(detail)!r}"
    return f"op {getattr(kind, 'name', kind)!r} of nodes {list(detail)}"


class CompiledStep:
    """A loss and its gradients as one generated Python function.

    Made by `compile`.  Call it, ``step()``, to recompute the loss from the
    params' current data, add ∂loss/∂p to each param's ``.grad`` and return
    the loss as a float.

    Attributes:
        source (str): the generated code of the step.
        params (tuple[Value, ...]): the params, in the order given.
        n_nodes (int): nodes in the traced graph.
        n_compiled (int): nodes in the code: the params and the ops that
            depend on them (the rest are constants).
        check_every (int | None): re-trace and compare every k-th call.
        calls (int): how many times the step has been called.
        compile_seconds (float): the time taken to trace and compile.
    """

    __slots__ = (
        "source", "params", "n_nodes", "n_compiled", "check_every", "calls",
        "compile_seconds", "_loss_fn", "_param_index", "_program", "_fast", "_safe",
        "_globals", "_structure",
    )

    def __init__(
        self, loss_fn, params: tuple, program: _Program, structure, check_every, max_lines: int
    ) -> None:
        self._loss_fn = loss_fn
        self.params = params
        self._param_index = {p: k for k, p in enumerate(params)}
        self._program = program
        self.n_nodes = program.n_nodes
        self.n_compiled = len(program.nodes)
        self.check_every = check_every
        self.calls = 0
        self.compile_seconds = 0.0
        self._structure = structure
        self._globals: dict = {
            **CODE_GLOBALS,
            "_F": FLOAT,
            "_nan": math.nan,
            "_inf": math.inf,
        }
        for op, k in program.ops.items():
            self._globals[f"_f{k}"] = op.forward
            self._globals[f"_d{k}"] = op.partials
        header = "".join(f"# _f{k}, _d{k}: op {op.name!r}\n" for op, k in program.ops.items())
        self.source = header + _generate(program, inline=True)
        lines = self.source.count("\n")
        if lines > max_lines:
            raise CompileError(
                f"compile: the code for this graph ({program.n_nodes:,} nodes) has "
                f"{lines:,} lines, more than max_lines={max_lines:,}; CPython would need "
                f"about {lines * 3 // 1000:,} MB to compile it.  Use loss.backward() (the "
                f"eager engine handles graphs of any size) or pass a larger max_lines."
            )
        self._fast = self._build(self.source)
        self._safe: Callable | None = None

    def _build(self, source: str) -> Callable:
        namespace = dict(self._globals)
        exec(builtins.compile(source, "<autodiff.compile>", "exec"), namespace)
        return namespace["_step"]

    def __call__(self) -> float:
        """Recompute the loss at the params' current data, add its gradient to
        each param's ``.grad`` and return the loss (a float)."""
        self.calls += 1
        if self.check_every and self.calls % self.check_every == 0:
            self.check()
        if state.anomaly:  # let the eager engine name the op that makes a nan
            loss = self._loss_fn()
            loss.backward()
            return loss.data
        with _lock:
            try:
                return self._fast(self.params)
            except (ArithmeticError, ValueError):
                # Inline code raised where a table function returns inf or nan
                # (no grad was written yet: the writes come last): rerun
                # through the functions themselves.
                if self._safe is None:
                    self._safe = self._build(_generate(self._program, inline=False))
                return self._safe(self.params)

    def check(self) -> None:
        """Re-trace ``loss_fn()`` and raise `GraphChangedError` if its graph
        differs from the compiled one (ops, wiring, params or constants)."""
        state.push(True, state.anomaly)  # a trace must record, even under no_grad
        try:
            root = self._loss_fn()
        finally:
            state.pop()
        if root.__class__ is not Value:
            raise GraphChangedError(
                f"compiled step: loss_fn() now returns a {type_name(root)}, not a Value"
            )
        now = _structure(root, self._param_index)
        before = self._structure
        if now == before:
            return
        if len(now) != len(before):
            detail = f"it has {len(now)} nodes, the compiled graph {len(before)}"
        else:
            i = next(i for i, (a, b) in enumerate(zip(now, before)) if a != b)
            detail = f"node {i} is now {_show(now[i])}, compiled as {_show(before[i])}"
        raise GraphChangedError(
            f"compiled step (call {self.calls}): the graph of loss_fn() changed: {detail}.  "
            f"A compiled step needs a graph whose structure does not depend on the data "
            f"(no branch on .data, the same inputs and constants); compile again, or use "
            f"the eager engine for this loss."
        )

    def __repr__(self) -> str:
        return (
            f"<compiled step: {len(self.params)} params, {self.n_nodes} nodes "
            f"({self.n_compiled} compiled)>"
        )


def compile(  # noqa: A001 - autodiff.compile, like torch.compile
    loss_fn: Callable[[], Value],
    params: Iterable[Value],
    check_every: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_lines: int = DEFAULT_MAX_LINES,
) -> CompiledStep:
    """Trace ``loss_fn()`` once and compile its forward and backward passes.

    Args:
        loss_fn: a function of no arguments that builds the loss, a Value,
            from ``params`` (and anything else, frozen at the trace).
        params: the leaf Values whose gradients the step computes (e.g.
            ``model.parameters()``); each must appear in the loss's graph.
        check_every: None (the default) or an int k >= 1: every k-th call
            re-traces ``loss_fn()`` and raises `GraphChangedError` if the
            graph's structure differs from the compiled one (costs one eager
            forward pass per check).
        max_nodes: refuse (`CompileError`) a graph of more nodes than this,
            before generating any code.
        max_lines: refuse (`CompileError`) code of more lines than
            this, before CPython compiles it (which takes the memory: 1.7-3
            kB per line).  Measured on CPython 3.11: micrograd's moons
            step (an MLP 2-16-16-1 over 100 points: 7,881 nodes, 80,000
            lines) compiles in 0.8 s with 0.25 GB; a chain of 2·10⁵
            nodes (300,000 lines) in 3.6 s with 0.56 GB.

    Returns:
        A `CompiledStep`: ``step()`` returns the loss (a float) and adds its
        gradient to every param's ``.grad``; ``step.source`` is the code.

    Raises:
        TypeError: ``loss_fn`` is not callable, does not return a Value, or
            a param is not a Value.
        ValueError: a param is not a leaf, is given twice or is not in the
            graph; ``check_every``, ``max_nodes`` or ``max_lines`` is not a
            positive int.
        CompileError: tracing under ``no_grad``, a leaf returned as the
            loss, a node the compiler cannot run, or a graph too large.
    """
    started = time.perf_counter()
    if not callable(loss_fn):
        raise TypeError(f"compile: loss_fn must be callable, got {type_name(loss_fn)}")
    limits = (("check_every", check_every), ("max_nodes", max_nodes), ("max_lines", max_lines))
    for name, value in limits:
        if value is None and name == "check_every":
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"compile: {name} must be an int, got {type_name(value)}")
        if value < 1:
            raise ValueError(f"compile: {name} must be >= 1, got {value}")
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(
            f"compile: params must be a sequence of Values, got {type_name(params)}"
        )
    params = tuple(params)
    if not params:
        raise ValueError("compile: params is empty; give the Values to differentiate")
    param_index: dict = {}
    for k, p in enumerate(params):
        if p.__class__ is not Value:
            raise TypeError(f"compile: params[{k}] must be a Value, got {type_name(p)}")
        if p.parents:
            raise ValueError(
                f"compile: params[{k}]{_label(p)} is not a leaf (it was made by op "
                f"{p.op!r}); params must be leaf Values"
            )
        if p in param_index:
            raise ValueError(f"compile: params[{k}] is params[{param_index[p]}] again")
        param_index[p] = k
    if not state.grad_enabled:
        raise CompileError(
            "compile: cannot trace under no_grad (no graph is recorded); "
            "call autodiff.compile outside the no_grad block"
        )
    root = loss_fn()
    if root.__class__ is not Value:
        raise TypeError(f"compile: loss_fn() must return a Value, got {type_name(root)}")
    if not root.parents:
        raise CompileError(
            "compile: loss_fn() returned a leaf Value, not the result of ops on the "
            "params; there is no graph to compile"
        )
    program = _Program(root, param_index, max_nodes)
    found = {args for _, op, args in program.nodes if op is None}
    missing = [k for k in range(len(params)) if k not in found]
    if missing:
        shown = ", ".join(f"params[{k}]{_label(params[k])}" for k in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ValueError(
            f"compile: {shown}{more} not in the graph of loss_fn(): the loss does not "
            f"depend on {'it' if len(missing) == 1 else 'them'}"
        )
    structure = _structure(root, param_index)
    del root
    step = CompiledStep(loss_fn, params, program, structure, check_every, max_lines)
    step.compile_seconds = time.perf_counter() - started
    return step


def _label(p) -> str:
    return f" (label {p.label!r})" if p.label else ""
