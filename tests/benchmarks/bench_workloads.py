"""The benchmark's workloads, written once per competitor.

Competitors: ours (`autodiff` + `nn`: eager, and the step compiled with
`autodiff.compile`), ours driven by micrograd-style user code (our `Value`
under a neuron written as micrograd writes it), micrograd 0.1.0, PyTorch
with 0-d float64 tensors building the same scalar graph, and the
plain-Python reference in `bench_reference`.  Every function here does the work and returns
numbers to compare; timing, repeats and the report live in ``bench.py``, and
``test_bench_agreement.py`` checks that the competitors agree.

Workloads:

- W1, micrograd's demo step: an MLP 2-16-16-1 (ReLU, linear output) on
  ``make_moons(100, noise=0.1)`` with targets ±1; loss
  (1/n) Σᵢ relu(1 − yᵢ·sᵢ) + 1e-4·Σ p²; full batch; forward, backward and
  SGD with lr = 1.0 − 0.9·k/100.  Every competitor starts from the same
  weights (`initial_weights`).
- W2, depth: the chain x ← x·1.0001 + 0.5, N times, then backward; beside
  it the same recurrence as a plain float loop.
- W3, memory: bytes per node of W2's chain, and whether it is freed with the
  garbage collector disabled.
- W4, width: one sum over 10⁵ products, forward and backward.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
import weakref
from typing import Any, Callable

import bench_reference

SEED = 1337
SIZES = (2, 16, 16, 1)
ALPHA = 1e-4  # micrograd's demo: reg_loss = alpha * sum(p*p)
SCALE, SHIFT = 1.0001, 0.5  # W2's step x <- x*SCALE + SHIFT

#: the W1 competitors, in table order
W1_COMPETITORS = (
    "ours-products",
    "ours-dot",
    "ours-compiled",
    "ours-micrograd-style",
    "ours-micrograd-style-compiled",
    "bare-nodes-micrograd-style",
    "micrograd",
    "torch",
    "reference",
)


# --------------------------------------------------------------------------
# W1: micrograd's demo step


def moons(n: int = 100, noise: float = 0.1, seed: int = SEED):
    """The demo's data set from `nn.data.make_moons`, as plain floats.

    Returns:
        ``(X, Y)``: X a list of ``[x₁, x₂]`` lists of floats, Y a list of
        floats ±1 (the classes 0/1 mapped as the demo does, ``y*2 - 1``).
        Plain floats for every competitor (micrograd's demo feeds NumPy
        scalars, whose arithmetic is slower and would only blur the timing).
    """
    from nn.data import make_moons

    X, Y = make_moons(n, noise=noise, seed=seed)
    X = [[float(v) for v in row] for row in X]
    Y = [float(v) * 2.0 - 1.0 for v in Y]
    if set(Y) != {-1.0, 1.0}:
        raise ValueError(f"make_moons must give the classes 0 and 1, got {sorted(set(Y))}")
    return X, Y


def initial_weights(seed: int = SEED, sizes=SIZES) -> list:
    """The starting weights, drawn as micrograd and `nn.MLP` draw them.

    ``random.seed(seed)``, then per layer, per neuron, ``nin`` draws of
    ``random.uniform(-1, 1)``; every bias is 0.

    Returns:
        Per layer, a list of ``(w, b)`` pairs (w a list of floats).
    """
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in zip(sizes[:-1], sizes[1:])
    ]


def _flat(weights) -> list[float]:
    return [p for layer in weights for w, b in layer for p in (*w, b)]


class OursW1:
    """W1 on `nn.MLP` (``weighted_sum`` "products" or "dot") with the cost
    `nn.fit` trains on, `nn.batch_loss` with the "hinge" loss and l2 = alpha.

    That cost is one `autodiff.sum` node over the per-sample hinge losses
    times 1/n, plus alpha times one `autodiff.sum` over p·p: the same for
    both granularities, so that they differ only inside the neurons.
    """

    def __init__(self, weights, X, Y, weighted_sum: str = "dot") -> None:
        from nn import MLP, batch_loss

        self._batch_loss = batch_loss
        self.model = MLP(SIZES[0], list(SIZES[1:]), weighted_sum=weighted_sum)
        self.params = self.model.parameters()
        values = _flat(weights)
        if len(values) != len(self.params):
            raise ValueError(f"{len(values)} weights for {len(self.params)} parameters")
        for p, v in zip(self.params, values):
            p.data = v
        self.X, self.Y = X, Y

    def loss(self):
        """The batch loss, a Value (the graph of one step's forward pass)."""
        return self._batch_loss(self.model, self.X, self.Y, "hinge", l2=ALPHA)[0]

    def zero_grad(self) -> None:
        self.model.zero_grad()

    def update(self, k: int) -> None:
        """SGD with micrograd's learning-rate schedule."""
        lr = 1.0 - 0.9 * k / 100
        for p in self.params:
            p.data -= lr * p.grad

    def step(self, k: int) -> float:
        """One demo step; returns the loss before the update."""
        loss = self.loss()
        self.model.zero_grad()
        loss.backward()
        self.update(k)
        return loss.data

    def parameters(self) -> list[float]:
        """The parameters' current values, in micrograd's order."""
        return [p.data for p in self.params]


class _CompiledStep:
    """The step of a W1 competitor whose ``loss`` is compiled by
    `autodiff.compile`: traced once at construction (not timed in the steps;
    its time is ``compile_seconds``), then each step runs the generated code
    and the SGD update with micrograd's learning-rate schedule."""

    loss: Callable[[], Any]
    params: list

    def _compile(self) -> None:
        import autodiff

        self.compiled = autodiff.compile(self.loss, self.params)
        self.compile_seconds = self.compiled.compile_seconds

    def step(self, k: int) -> float:
        """One demo step; returns the loss before the update."""
        for p in self.params:
            p.grad = 0.0
        loss = self.compiled()
        lr = 1.0 - 0.9 * k / 100
        for p in self.params:
            p.data -= lr * p.grad
        return loss


class OursCompiledW1(_CompiledStep, OursW1):
    """W1 on `nn.MLP` (dot) with the loss of `OursW1` compiled."""

    def __init__(self, weights, X, Y) -> None:
        super().__init__(weights, X, Y, "dot")
        self._compile()


class StyleNeuron:
    """A neuron written as micrograd's users write one: a list of weights, a
    bias, and ``sum((wi*xi for wi, xi in zip(w, x)), b)`` then ``.relu()``;
    any scalar node class with ``+``, ``*`` and ``relu`` runs it."""

    def __init__(self, value_type, w, b, nonlin: bool) -> None:
        self.w = [value_type(wi) for wi in w]
        self.b = value_type(b)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list:
        return self.w + [self.b]


class StyleW1:
    """W1 as micrograd's demo notebook writes it, on ``value_type``'s nodes,
    with the neurons of `StyleNeuron` (ReLU hidden layers, linear output).

    With our `autodiff.Value` this is the user code of someone who moved
    from micrograd to chainrule and kept their own model code."""

    def __init__(self, value_type, weights, X, Y) -> None:
        self._value = value_type
        last = len(weights) - 1
        self.layers = [
            [StyleNeuron(value_type, w, b, nonlin=l < last) for w, b in layer]
            for l, layer in enumerate(weights)
        ]
        self.params = [p for layer in self.layers for n in layer for p in n.parameters()]
        self.X, self.Y = X, Y

    def model(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0]

    def loss(self):
        """The demo's loss, a node (the graph of one step's forward pass)."""
        Value = self._value
        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.Y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.params)
        return data_loss + reg_loss

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def update(self, k: int) -> None:
        """SGD with micrograd's learning-rate schedule."""
        learning_rate = 1.0 - 0.9 * k / 100
        for p in self.params:
            p.data -= learning_rate * p.grad

    def step(self, k: int) -> float:
        """One demo step; returns the loss before the update."""
        total_loss = self.loss()
        self.zero_grad()
        total_loss.backward()
        self.update(k)
        return total_loss.data

    def parameters(self) -> list[float]:
        """The parameters' current values, in micrograd's order."""
        return [float(p.data) for p in self.params]


class StyleCompiledW1(_CompiledStep, StyleW1):
    """`StyleW1` on our `Value` with its loss compiled: what a micrograd user
    gets by giving their own loss function to `autodiff.compile`.  The
    inputs' leaves made inside the loss become constants of the compiled
    step."""

    def __init__(self, weights, X, Y) -> None:
        from autodiff import Value

        super().__init__(Value, weights, X, Y)
        self._compile()


class BareValue:
    """The least node class micrograd's neuron code runs on: one slotted
    object per op node, which is all it allocates.  Its (at most two)
    parents and the local derivatives towards them are slots of the node,
    computed at the forward pass; a number operand is folded into the node
    (no constant leaf); no op, label, check or mode.  ``backward`` sorts the
    graph iteratively and pushes ``g`` × local derivative.

    For the benchmark only: it measures what the design of one Python object
    per node costs with the collector enabled, before any engine code."""

    __slots__ = ("data", "grad", "a", "b", "da", "db")

    def __init__(self, data, a=None, b=None, da=0.0, db=0.0) -> None:
        self.data, self.grad, self.a, self.b, self.da, self.db = data, 0.0, a, b, da, db

    def __add__(self, other):
        if other.__class__ is BareValue:
            return BareValue(self.data + other.data, self, other, 1.0, 1.0)
        return BareValue(self.data + other, self, None, 1.0)

    __radd__ = __add__

    def __mul__(self, other):
        if other.__class__ is BareValue:
            return BareValue(self.data * other.data, self, other, other.data, self.data)
        return BareValue(self.data * other, self, None, other)

    __rmul__ = __mul__

    def relu(self):
        passes = self.data > 0.0
        return BareValue(self.data if passes else 0.0, self, None, 1.0 if passes else 0.0)

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)  # after all of its parents
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            for parent in (node.a, node.b):
                if parent is not None and parent not in seen:
                    stack.append((parent, False))
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            if node.a is not None:
                node.a.grad += node.grad * node.da
                if node.b is not None:
                    node.b.grad += node.grad * node.db


class MicrogradW1:
    """W1 on micrograd 0.1.0, written as its demo notebook writes it."""

    def __init__(self, weights, X, Y) -> None:
        from micrograd.engine import Value
        from micrograd.nn import MLP

        self._value = Value
        self.model = MLP(SIZES[0], list(SIZES[1:]))
        self.params = self.model.parameters()
        for p, v in zip(self.params, _flat(weights), strict=True):
            p.data = v
        self.X, self.Y = X, Y

    def step(self, k: int) -> float:
        """One demo step; returns the loss before the update."""
        Value, model = self._value, self.model
        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.Y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return total_loss.data

    def parameters(self) -> list[float]:
        """The parameters' current values, in micrograd's order."""
        return [float(p.data) for p in self.params]


class TorchW1:
    """W1 as a scalar graph of 0-d float64 PyTorch tensors.

    The graph has micrograd's granularity: a node per ``w·x`` product and per
    addition (the neuron is ``sum(w·x, b)`` in Python), per ReLU, per hinge
    and per ``p·p``; each step's inputs are new 0-d tensors, as micrograd
    makes new Values.
    """

    def __init__(self, weights, X, Y) -> None:
        import torch

        self.torch = torch
        t = lambda v, g: torch.tensor(v, dtype=torch.float64, requires_grad=g)  # noqa: E731
        self.layers = [
            [([t(w, True) for w in ws], t(b, True)) for ws, b in layer] for layer in weights
        ]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]
        self.X, self.Y = X, Y

    def step(self, k: int) -> float:
        """One demo step; returns the loss before the update."""
        torch = self.torch
        relu, tensor, f64 = torch.relu, torch.tensor, torch.float64
        last = len(self.layers) - 1
        losses = []
        for xrow, yi in zip(self.X, self.Y):
            a = [tensor(v, dtype=f64) for v in xrow]
            for l, layer in enumerate(self.layers):
                z = [sum((w * x for w, x in zip(ws, a)), b) for ws, b in layer]
                a = [relu(zj) for zj in z] if l < last else z
            losses.append(relu(1 + -yi * a[0]))
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.params)
        total_loss = data_loss + reg_loss
        for p in self.params:
            p.grad = None
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in self.params:
                p -= learning_rate * p.grad
        return total_loss.item()

    def parameters(self) -> list[float]:
        """The parameters' current values, in micrograd's order."""
        return [p.item() for p in self.params]


class ReferenceW1:
    """W1 on the plain-Python reference (`bench_reference.ReferenceMLP`)."""

    def __init__(self, weights, X, Y) -> None:
        self.model = bench_reference.ReferenceMLP(weights)
        self.X, self.Y = X, Y

    def step(self, k: int) -> float:
        """One demo step; returns the loss before the update."""
        return self.model.step(self.X, self.Y, k, ALPHA)

    def parameters(self) -> list[float]:
        """The parameters' current values, in micrograd's order."""
        return self.model.parameters()


def make_w1(name: str, weights, X, Y):
    """A fresh W1 competitor ``name`` (one of `W1_COMPETITORS`) at ``weights``."""
    if name == "ours-products":
        return OursW1(weights, X, Y, "products")
    if name == "ours-dot":
        return OursW1(weights, X, Y, "dot")
    if name == "ours-compiled":
        return OursCompiledW1(weights, X, Y)
    if name == "ours-micrograd-style":
        from autodiff import Value

        return StyleW1(Value, weights, X, Y)
    if name == "ours-micrograd-style-compiled":
        return StyleCompiledW1(weights, X, Y)
    if name == "bare-nodes-micrograd-style":
        return StyleW1(BareValue, weights, X, Y)
    if name == "micrograd":
        return MicrogradW1(weights, X, Y)
    if name == "torch":
        return TorchW1(weights, X, Y)
    if name == "reference":
        return ReferenceW1(weights, X, Y)
    raise ValueError(f"unknown W1 competitor {name!r}; choose from {', '.join(W1_COMPETITORS)}")


def graph_size(root) -> tuple[int, int, int]:
    """``(nodes, op_nodes, edges)`` of our graph under ``root``.

    Nodes are all Values reachable (leaves included); edges are parent
    links, counted with repetition (``x*x`` has two).
    """
    from autodiff import topological_order

    order = topological_order(root)
    edges = 0
    op_nodes = 0
    for node in order:
        if node.parents:
            op_nodes += 1
            edges += len(node.parents)
    return len(order), op_nodes, edges


# --------------------------------------------------------------------------
# W2: depth


def _chain(value_type, n: int, x0: float) -> tuple[float, float]:
    """The chain on scalar nodes of ``value_type``, backward; ``(result,
    ∂result/∂x0)``.  One function for ours and micrograd: the same work."""
    x = start = value_type(x0)
    for _ in range(n):
        x = x * SCALE + SHIFT
    x.backward()
    return x.data, start.grad


def chain_ours(n: int, x0: float = 0.3) -> tuple[float, float]:
    """Build the chain on `autodiff.Value`, backward; ``(result, ∂result/∂x0)``."""
    from autodiff import Value

    return _chain(Value, n, x0)


def chain_micrograd(n: int, x0: float = 0.3) -> tuple[float, float]:
    """The chain on micrograd (its recursive topological sort fails past
    about a thousand levels, with RecursionError)."""
    from micrograd.engine import Value

    return _chain(Value, n, x0)


def chain_torch(n: int, x0: float = 0.3) -> tuple[float, float]:
    """The chain on a 0-d float64 tensor."""
    import torch

    x = start = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    for _ in range(n):
        x = x * SCALE + SHIFT
    x.backward()
    return x.item(), start.grad.item()


def chain_reference(n: int, x0: float = 0.3) -> tuple[float, float]:
    """The chain on floats with a tape (`bench_reference.chain`)."""
    return bench_reference.chain(x0, n, SCALE, SHIFT)


def chain_float_loop(n: int, x0: float = 0.3) -> tuple[float, float]:
    """The same recurrence as a plain float loop (`bench_reference.chain_loop`)."""
    return bench_reference.chain_loop(x0, n, SCALE, SHIFT)


class _BareNode:
    """The least a node can be: its value, its one input and the local
    derivative towards it (no op, no label, no gradient slot)."""

    __slots__ = ("data", "parent", "local")


def chain_bare_nodes(n: int, x0: float = 0.3) -> tuple[float, float]:
    """The chain as the least a graph engine does: one bare object per op
    (`_BareNode`: no constants, no tuple of parents, no op dispatch), then
    the derivative multiplied along the parent links.  With the collector
    enabled, this is what making one Python object per op node costs, before
    any engine code."""
    x = start = _BareNode()
    x.data, x.parent, x.local = x0, None, 1.0
    for _ in range(n):
        y = _BareNode()
        y.data, y.parent, y.local = x.data * SCALE, x, SCALE
        x = _BareNode()
        x.data, x.parent, x.local = y.data + SHIFT, y, 1.0
    g, node = 1.0, x
    while node is not start:
        g *= node.local
        node = node.parent
    return x.data, g


CHAINS = {
    "ours": chain_ours,
    "micrograd": chain_micrograd,
    "torch": chain_torch,
    "reference": chain_reference,
    "float-loop": chain_float_loop,
    "bare-nodes": chain_bare_nodes,
}


# --------------------------------------------------------------------------
# W3: memory


#: Memory that stays traced after a graph is freed: CPython keeps up to 2000
#: freed tuples of each length (56 bytes for a pair) and 100 floats on free
#: lists for reuse, which tracemalloc still counts as allocated.
FREE_LIST_SLACK = 2000 * 64 + 100 * 24


def _value_class(engine: str):
    if engine == "ours":
        from autodiff import Value
    elif engine == "micrograd":
        from micrograd.engine import Value
    else:
        raise ValueError(f"W3 measures 'ours' or 'micrograd', got {engine!r}")
    return Value


def chain_memory(engine: str, n: int) -> dict:
    """Memory of W2's chain of ``n`` steps, measured with tracemalloc.

    Each step ``x*1.0001 + 0.5`` creates 4 nodes: 2 op nodes (the product
    and the sum) and 2 constant leaves (for 1.0001 and 0.5).  The traced
    memory that the chain adds, divided by 4n, is the cost per node; divided
    by 2n, per op node (its constant leaves included).

    Then, with the garbage collector disabled, the only reference to the
    chain is dropped: the graph is freed if weak references to its first
    and its last op node die and the traced memory comes back to within
    `FREE_LIST_SLACK` bytes plus 1% of the chain's size.

    Returns:
        A dict with ``nodes``, ``bytes``, ``per_node``, ``per_op_node``,
        ``freed`` (bool) and ``left`` (bytes still traced after the drop).
    """
    Value = _value_class(engine)
    gc.collect()
    was_enabled = gc.isenabled()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    gc.disable()
    try:
        start = Value(0.3)
        before = tracemalloc.get_traced_memory()[0]
        x = start * SCALE + SHIFT
        first = weakref.ref(x)
        for _ in range(n - 1):
            x = x * SCALE + SHIFT
        last = weakref.ref(x)
        size = tracemalloc.get_traced_memory()[0] - before
        del x
        left = tracemalloc.get_traced_memory()[0] - before
        freed = first() is None and last() is None and left <= FREE_LIST_SLACK + 0.01 * size
    finally:
        if not was_tracing:
            tracemalloc.stop()
        if was_enabled:
            gc.enable()
        gc.collect()
    nodes = 4 * n
    return {
        "nodes": nodes,
        "bytes": size,
        "per_node": size / nodes,
        "per_op_node": size / (2 * n),
        "freed": freed,
        "left": left,
    }


# --------------------------------------------------------------------------
# W4: width


def width_inputs(n: int, seed: int = SEED) -> tuple[list[float], list[float]]:
    """n weights and n inputs, floats in [-1, 1)."""
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


class _ScalarLeaves:
    """A W4 competitor whose leaves ``w`` and ``x`` are scalar nodes with a
    ``.grad`` float (ours and micrograd's)."""

    def reset(self) -> None:
        """Zero the leaves' gradients (not part of the timed work)."""
        for v in self.w:
            v.grad = 0.0
        for v in self.x:
            v.grad = 0.0


class WidthOurs(_ScalarLeaves):
    """W4 on `autodiff`: one `autodiff.sum` node over n product nodes
    (``"dot"``: one `autodiff.dot` node, for comparison)."""

    def __init__(self, ws, xs, form: str = "sum") -> None:
        import autodiff

        if form not in ("sum", "dot"):
            raise ValueError(f"form must be 'sum' or 'dot', got {form!r}")
        self.autodiff = autodiff
        self.form = form
        self.w = [autodiff.Value(v) for v in ws]
        self.x = [autodiff.Value(v) for v in xs]

    def run(self) -> tuple[float, list[float], list[float]]:
        """Forward and backward; ``(sum, grads_w, grads_x)`` after a `reset`."""
        if self.form == "sum":
            s = self.autodiff.sum([w * x for w, x in zip(self.w, self.x)])
        else:
            s = self.autodiff.dot(self.w, self.x)
        s.backward()
        return s.data, [v.grad for v in self.w], [v.grad for v in self.x]


class WidthMicrograd(_ScalarLeaves):
    """W4 on micrograd: ``"builtin"`` is Python's ``sum`` over the products (a
    chain of n additions: its recursive backward fails with RecursionError);
    ``"tree"`` adds them pairwise (depth log₂ n), micrograd's best working
    equivalent."""

    def __init__(self, ws, xs, form: str = "builtin") -> None:
        from micrograd.engine import Value

        if form not in ("builtin", "tree"):
            raise ValueError(f"form must be 'builtin' or 'tree', got {form!r}")
        self.form = form
        self.w = [Value(v) for v in ws]
        self.x = [Value(v) for v in xs]

    def run(self) -> tuple[float, list[float], list[float]]:
        """Forward and backward; ``(sum, grads_w, grads_x)`` after a `reset`."""
        products = [w * x for w, x in zip(self.w, self.x)]
        if self.form == "builtin":
            s = sum(products)
        else:
            while len(products) > 1:
                pairs = [products[i] + products[i + 1] for i in range(0, len(products) - 1, 2)]
                if len(products) % 2:
                    pairs.append(products[-1])
                products = pairs
            s = products[0]
        s.backward()
        return s.data, [v.grad for v in self.w], [v.grad for v in self.x]


class WidthTorch:
    """W4 on 0-d float64 tensors: n product nodes, then
    ``torch.stack(products).sum()`` (one stack node and one sum node)."""

    def __init__(self, ws, xs) -> None:
        import torch

        self.torch = torch
        self.w = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in ws]
        self.x = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in xs]

    def reset(self) -> None:
        """Clear the leaves' gradients (not part of the timed work)."""
        for v in self.w:
            v.grad = None
        for v in self.x:
            v.grad = None

    def run(self) -> tuple[float, list[float], list[float]]:
        """Forward and backward; ``(sum, grads_w, grads_x)`` after a `reset`."""
        s = self.torch.stack([w * x for w, x in zip(self.w, self.x)]).sum()
        s.backward()
        return s.item(), [v.grad.item() for v in self.w], [v.grad.item() for v in self.x]


class WidthReference:
    """W4 on floats with loops (`bench_reference.weighted_sum`)."""

    def __init__(self, ws, xs) -> None:
        self.w, self.x = list(ws), list(xs)

    def reset(self) -> None:
        """Nothing to reset: no gradient is accumulated."""

    def run(self) -> tuple[float, list[float], list[float]]:
        """``(sum, grads_w, grads_x)``."""
        return bench_reference.weighted_sum(self.w, self.x)


def make_width(name: str, ws, xs):
    """A W4 competitor: "ours", "ours-dot", "micrograd", "micrograd-tree",
    "torch" or "reference"."""
    makers = {
        "ours": lambda: WidthOurs(ws, xs, "sum"),
        "ours-dot": lambda: WidthOurs(ws, xs, "dot"),
        "micrograd": lambda: WidthMicrograd(ws, xs, "builtin"),
        "micrograd-tree": lambda: WidthMicrograd(ws, xs, "tree"),
        "torch": lambda: WidthTorch(ws, xs),
        "reference": lambda: WidthReference(ws, xs),
    }
    if name not in makers:
        raise ValueError(f"unknown W4 competitor {name!r}; choose from {', '.join(makers)}")
    return makers[name]()
