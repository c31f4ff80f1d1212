"""The performance benchmark: our engine beside micrograd, PyTorch and plain Python.

Run it as a script (pytest does not collect it, and no test asserts a time):

    python tests/benchmarks/bench.py            # full run, a few minutes
    python tests/benchmarks/bench.py --quick    # a fast, rougher run
    python tests/benchmarks/bench.py --out RESULTS.md

Every competitor runs in the same process, with the garbage collector
enabled (as users run), after a warm-up.  The competitors take turns (blocks
of steps or single repeats, in rounds) so that a change in the machine's load
is shared, with a ``gc.collect()`` before each turn so that none pays for
another's garbage.  PyTorch runs last: importing it leaves ~165,000 objects
that every later full garbage collection walks, which would slow the others;
the report shows that effect separately.  Times are medians.  The Markdown
report (machine, tables of medians and ratios ours ÷ competitor, and the
targets with PASS/FAIL) is printed and written to ``--out`` (default:
RESULTS.md beside this script).

The workloads are described in ``bench_workloads``.  W1's competitors must
agree: the script stops with an error, before writing anything, if their
losses differ by more than 1e-9 at any step.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.util
import math
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE))

import bench_workloads as W  # noqa: E402

#: W1's agreement tolerance on the loss, at every step
LOSS_TOLERANCE = 1e-9

#: Runs of ours with the garbage collector paused (`autodiff.gc_paused`)
#: during each step (W1) or run (W2)
NO_GC = " (gc paused)"

# The targets
W1_PRODUCTS_VS_MICROGRAD = 8.0
W1_DOT_VS_MICROGRAD = 40.0
W1_DOT_VS_REFERENCE = 2.5
W1_COMPILED_VS_REFERENCE = 0.5
W1_STYLE_VS_MICROGRAD = 15.0
W2_VS_FLOAT_LOOP = 100.0
# Linear: the per-node time at 10⁶ within this factor of that at 10⁵ (a tenfold
# N costs about tenfold time).  At 10⁴ a graph still fits in the CPU's caches
# and each collector pass is short, so its per-node time is shown, not used.
W2_LINEAR_SLACK = 1.5
W3_BYTES_PER_NODE = 200.0


class Failed:
    """A competitor that raised instead of finishing (shown by its error's name)."""

    def __init__(self, error: BaseException) -> None:
        self.name = type(error).__name__
        self.message = str(error)

    def __str__(self) -> str:
        return self.name


class Missing:
    """A competitor whose package is not installed."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __str__(self) -> str:
        return f"{self.package} not installed"


def available(package: str) -> bool:
    """Whether ``package`` is installed (found without importing it: importing
    torch early would slow everyone else's garbage collections, see `main`)."""
    return importlib.util.find_spec(package) is not None


def clock(fn, *args):
    """``(seconds, result)`` of one call; a `Failed` result on an exception
    (RecursionError, MemoryError ...)."""
    start = time.perf_counter()
    try:
        result = fn(*args)
    except (RecursionError, MemoryError) as error:
        return time.perf_counter() - start, Failed(error)
    return time.perf_counter() - start, result


def median(times: list[float]) -> float:
    """The median of ``times`` (nan for none)."""
    return statistics.median(times) if times else math.nan


def seconds(t) -> str:
    """A time for a table: s, ms or µs with 3 significant digits, or the failure."""
    if isinstance(t, (Failed, Missing)):
        return str(t)
    if t is None or t != t:
        return "—"
    if t >= 1.0:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def ratio(ours, theirs) -> str:
    """ours ÷ theirs for a table (— when either is missing or failed)."""
    if not isinstance(ours, float) or not isinstance(theirs, float) or theirs <= 0.0:
        return "—"
    return f"{ours / theirs:.3g}"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


# --------------------------------------------------------------------------
# The machine


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else `platform.processor()`."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def source_revision() -> str:
    """The git commit of the code measured (and whether autodiff/ or nn/ have
    uncommitted changes), or "unknown" outside a git checkout."""
    import subprocess

    root = HERE.parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "autodiff", "nn"],
            cwd=root, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"git {commit}" + (" with uncommitted changes in autodiff/ or nn/" if dirty else "")


def machine() -> list[str]:
    """The machine's description, one Markdown bullet per fact."""
    return [
        f"- Platform: {platform.platform()}",
        f"- CPU: {cpu_model()}; {os.cpu_count()} logical cores",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- Packages: chainrule {version('chainrule')} ({source_revision()}), "
        f"micrograd {version('micrograd')}, torch {version('torch')}",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- Load average at the start (1, 5, 15 min): {load_average()}",
    ]


def load_average() -> str:
    """The system's load averages, or "unknown" where the OS has none."""
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


# --------------------------------------------------------------------------
# W1


def run_w1(names, steps: int, extra: int, rounds: int, fast_limit: float = 0.5) -> dict:
    """The W1 competitors ``names`` from the same weights, ``steps`` steps each.

    Each competitor's step 0 is its warm-up; later steps are timed.  Those
    whose warm-up took less than ``fast_limit`` seconds ("fast") run
    ``extra`` more steps for a steadier median.  The steps are spread over
    ``rounds`` rounds so that a change in the machine's load is shared by
    all.  In each round every competitor runs a block as a user's training
    loop does: after a ``gc.collect()`` (not timed) that clears the other
    competitors' garbage, one untimed lead step, then its timed steps back to
    back.  So each timed step pays, with the collector enabled, for whatever
    its previous step left: nothing for ours and the reference (their graphs
    go with their last reference), the cyclic graph for micrograd (which only
    the collector frees).  The lead step's loss is checked like the others
    but not timed.

    Returns:
        ``{"times": {name: [s]}, "losses": {name: [loss per step]}}``; a
        competitor whose package is missing has a `Missing` time.
    """
    X, Y = W.moons()
    weights = W.initial_weights()
    times: dict = {}
    losses: dict = {}
    models: dict = {}
    total: dict = {}
    compile_seconds: dict = {}
    for name in names:
        if name in ("micrograd", "torch") and not available(name):
            times[name] = Missing(name)
            continue
        if name.endswith(NO_GC):
            models[name] = WithoutGc(W.make_w1(name[: -len(NO_GC)], weights, X, Y))
        else:
            models[name] = W.make_w1(name, weights, X, Y)
        times[name], losses[name] = [], []
        compiled = getattr(models[name], "compile_seconds", None)
        if compiled is not None:
            compile_seconds[name] = compiled
        gc.collect()
        t, loss = clock(models[name].step, 0)  # the warm-up
        losses[name].append(loss)
        total[name] = steps + extra if t < fast_limit else steps

    done = {name: 1 for name in models}  # steps run, the warm-up included

    def block(name: str, goal: int) -> None:
        """Run ``name`` up to ``goal`` steps: a lead step, then timed ones."""
        if done[name] >= goal:
            return
        gc.collect()
        lead = True
        while done[name] < goal:
            k = done[name]
            t, loss = clock(models[name].step, k)
            if not lead:
                times[name].append(t)
            lead = False
            if k < steps:
                losses[name].append(loss)
            done[name] += 1

    for r in range(1, rounds + 1):
        for name in models:
            # each round's share, plus one lead step per round
            block(name, math.ceil((total[name] + rounds) * r / rounds))
    for name in models:
        print(f"  W1 {name}: {seconds(median(times[name]))} per step", file=sys.stderr)
    models.clear()
    gc.collect()
    return {"times": times, "losses": losses, "compile_seconds": compile_seconds}


class WithoutGc:
    """A W1 competitor whose steps run with the garbage collector paused, as
    a user's loop does under ``with autodiff.gc_paused():``."""

    def __init__(self, model) -> None:
        import autodiff

        self.model = model
        self.paused = autodiff.gc_paused

    def step(self, k: int) -> float:
        """The model's step ``k`` with the collector paused."""
        with self.paused():
            return self.model.step(k)


def graph_sizes() -> dict:
    """``{name: (nodes, op nodes, edges)}`` of one W1 step's graph, for ours."""
    X, Y = W.moons()
    weights = W.initial_weights()
    return {
        name: W.graph_size(W.make_w1(name, weights, X, Y).loss())
        for name in ("ours-products", "ours-dot", "ours-micrograd-style")
    }


def check_w1(losses: dict) -> None:
    """Stop (SystemExit) unless every competitor's loss agrees with the
    reference's to `LOSS_TOLERANCE` at every step."""
    expected = losses["reference"]
    for name, got in losses.items():
        if len(got) != len(expected):
            raise SystemExit(f"W1: {name} ran {len(got)} steps, the reference {len(expected)}")
        for k, (a, b) in enumerate(zip(got, expected)):
            if isinstance(a, Failed) or not abs(a - b) <= LOSS_TOLERANCE:
                raise SystemExit(
                    f"W1: {name} disagrees with the reference at step {k}: loss {a} "
                    f"vs {b!r} (tolerance {LOSS_TOLERANCE}); timings would compare "
                    "different computations, nothing is written"
                )


def report_w1(r: dict, steps: int) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """W1's Markdown section and its targets."""
    t = {name: median(ts) for name, ts in r["times"].items() if isinstance(ts, list)}
    prod, dot = t["ours-products"], t["ours-dot"]
    lines = [
        "## W1 — micrograd's demo step",
        "",
        "MLP 2-16-16-1 (ReLU, linear output), `nn.data.make_moons(100, noise=0.1)` "
        "with targets ±1, loss (1/n) Σ relu(1 − yᵢ·sᵢ) + 1e-4·Σp², full batch: "
        "forward + backward + SGD update (lr = 1.0 − 0.9k/100) per step. "
        "All competitors start from the same weights. They take turns in rounds; in each "
        "round a competitor runs as a user's training loop does: after a `gc.collect()` "
        "(not timed) that clears the others' garbage, an untimed lead step, then timed steps "
        "back to back with the collector enabled. So each timed step pays for what its "
        "previous step left: nothing for ours and the reference (a graph is freed with its "
        "last reference), the cyclic graph for micrograd (freed only by the collector). "
        "Ours is `nn.MLP(2, [16, 16, 1], weighted_sum=...)` with the cost of "
        "`nn.batch_loss(model, X, y, \"hinge\", l2=1e-4)` (which builds the forward pass "
        "with `model.forward_batch(X)` and the collector paused), then `model.zero_grad()`, "
        "`backward()` and the update as a loop over the parameters; PyTorch builds "
        "micrograd's graph (a node per w·x and per addition) from 0-d float64 tensors.",
        "",
        "| competitor | median per step | fastest step | timed steps | ours-products ÷ it "
        "| ours-dot ÷ it |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in W.W1_COMPETITORS:
        if name not in t:
            lines.append(f"| {name} | {r['times'].get(name, Missing(name))} | — | 0 | — | — |")
            continue
        lines.append(
            f"| {name} | {seconds(t[name])} | {seconds(min(r['times'][name]))} | "
            f"{len(r['times'][name])} | "
            f"{ratio(prod, t[name])} | {ratio(dot, t[name])} |"
        )
    final = {name: ls[-1] for name, ls in r["losses"].items()}
    spread = max(final.values()) - min(final.values())
    lines += [
        "",
        f"Agreement: after {steps} steps every competitor's loss is "
        f"{final['reference']:.12g} (largest difference at any step ≤ {LOSS_TOLERANCE:g}; "
        f"spread of the final losses {spread:.2g}).",
        "",
        "Ours-compiled and ours-micrograd-style-compiled trace and compile the step once, "
        "before its first step: "
        + "; ".join(f"{name} {seconds(v)}" for name, v in r.get("compile_seconds", {}).items())
        + " (not in their step times). Ours-micrograd-style is our `Value` driven by "
        "micrograd's neuron code written in the benchmark "
        "(`sum((wi*xi for wi, xi in zip(w, x)), b)`, `.relu()`, the demo's loss); "
        "ours-micrograd-style-compiled is that same loss function given to "
        "`autodiff.compile`. Bare-nodes-micrograd-style runs the same code on the least "
        "node class it can run on (`bench_workloads.BareValue`: one slotted object per op "
        "node and nothing else: its two parents and local derivatives in slots, number "
        "operands folded in, no constant leaves, no checks), with the collector enabled: "
        "what making one Python object per node costs before any engine code.",
        "",
        "Ours with the garbage collector paused during each step (`with autodiff.gc_paused():` "
        "around forward, backward and update), for information (run in the same rounds): "
        + ", ".join(
            f"{name} {seconds(t[name + NO_GC])} per step "
            f"({t[name + NO_GC] / t[name]:.2f}× the time with it enabled)"
            for name in ("ours-products", "ours-dot", "ours-micrograd-style")
            if name + NO_GC in t
        )
        + ".",
        "",
        "Graph per step (ours; nodes are all Values, leaves included; edges are parent links): "
        + "; ".join(
            f"{name}: {n} nodes, {ops} op nodes, {e} edges"
            for name, (n, ops, e) in r["size"].items()
        )
        + ".",
        "",
    ]
    targets = []
    mg = t.get("micrograd")
    if mg is not None:
        targets.append(
            (
                f"W1 products ≥ {W1_PRODUCTS_VS_MICROGRAD:g}× faster than micrograd",
                f"{mg / prod:.1f}×",
                mg / prod >= W1_PRODUCTS_VS_MICROGRAD,
            )
        )
        targets.append(
            (
                f"W1 dot ≥ {W1_DOT_VS_MICROGRAD:g}× faster than micrograd",
                f"{mg / dot:.1f}×",
                mg / dot >= W1_DOT_VS_MICROGRAD,
            )
        )
        style = t.get("ours-micrograd-style")
        if style is not None:
            paused = t.get("ours-micrograd-style" + NO_GC)
            note = f"; {mg / paused:.1f}× with gc paused" if paused else ""
            compiled_style = t.get("ours-micrograd-style-compiled")
            if compiled_style:
                note += f"; {mg / compiled_style:.0f}× compiled"
            bare = t.get("bare-nodes-micrograd-style")
            if bare:
                note += f"; bare nodes with the same code: {mg / bare:.1f}×"
            targets.append(
                (
                    f"W1 micrograd's neuron code on our Value ≥ {W1_STYLE_VS_MICROGRAD:g}× "
                    "faster than micrograd (gc enabled)",
                    f"{mg / style:.1f}×{note}",
                    mg / style >= W1_STYLE_VS_MICROGRAD,
                )
            )
    ref = t["reference"]
    targets.append(
        (
            f"W1 dot (eager nn.MLP) within {W1_DOT_VS_REFERENCE:g}× of the plain-Python "
            "reference",
            f"{dot / ref:.2f}× the reference's time",
            dot / ref <= W1_DOT_VS_REFERENCE,
        )
    )
    compiled = t.get("ours-compiled")
    if compiled is not None:
        targets.append(
            (
                f"W1 compiled step ≤ {W1_COMPILED_VS_REFERENCE:g}× the plain-Python reference",
                f"{compiled / ref:.2f}× the reference's time",
                compiled / ref <= W1_COMPILED_VS_REFERENCE,
            )
        )
    th = t.get("torch")
    if th is not None:
        for name, ours in (("products", prod), ("dot", dot)):
            targets.append(
                (
                    f"W1 {name} faster than PyTorch's scalar graph",
                    f"{th / ours:.2f}×",
                    ours < th,
                )
            )
    return lines, targets


# --------------------------------------------------------------------------
# W2


def chain_ours_without_gc(n: int):
    """W2's chain on ours with the garbage collector paused (for information)."""
    import autodiff

    with autodiff.gc_paused():
        return W.chain_ours(n)


#: W2's runners: the competitors, and ours with gc paused (for information)
CHAIN_RUNNERS = {**W.CHAINS, "ours" + NO_GC: chain_ours_without_gc}


def run_w2(names, sizes: list[int], repeats: dict) -> dict:
    """The chain at each N for the competitors ``names``:
    ``{name: {N: [s], Failed, or None (not run)}}`` (or `Missing`).

    At each N the repeats take turns (ours, then the next competitor, ...,
    then ours again), each after a ``gc.collect()``.  A competitor that
    fails at some N is not run at larger N (every larger chain is deeper, so
    it fails too; a 10⁶-step micrograd chain would also hold about 2.5 GB).
    """
    out: dict = {}
    for name in names:
        if name in ("micrograd", "torch") and not available(name):
            out[name] = Missing(name)
        else:
            CHAIN_RUNNERS[name](50)  # warm-up (shallow enough for micrograd)
            out[name] = {}
    running = [name for name in names if isinstance(out[name], dict)]
    for n in sizes:
        for name in running:
            failed = any(isinstance(v, Failed) for v in out[name].values())
            out[name][n] = None if failed else []
        for rep in range(max(repeats.get(n, 1), 1)):
            for name in running:
                runs = out[name][n]
                if not isinstance(runs, list) or rep >= repeats.get((name, n), repeats.get(n, 1)):
                    continue
                gc.collect()
                t, result = clock(CHAIN_RUNNERS[name], n)
                if isinstance(result, Failed):
                    out[name][n] = result
                else:
                    runs.append(t)
        for name in running:
            runs = out[name][n]
            if runs is None:
                shown = "not run (failed at a smaller N)"
            else:
                shown = seconds(median(runs)) if isinstance(runs, list) else runs
            print(f"  W2 {name} N={n}: {shown}", file=sys.stderr)
    gc.collect()
    return out


def report_w2(r: dict, sizes: list[int]) -> tuple[list[str], list]:
    """W2's Markdown section and its target."""
    names = list(W.CHAINS)
    quiet = "ours" + NO_GC
    lines = [
        "## W2 — depth",
        "",
        "A chain `x = x * 1.0001 + 0.5` repeated N times, then backward (building it, the "
        "backward pass and freeing it are timed; each step makes 4 nodes: 2 op nodes and 2 "
        "constant leaves). Median per run, the competitors taking turns; µs/step is ours "
        "divided by N, ns/node ours divided by 4N. The float-loop is the same recurrence on "
        "a float, its derivative multiplied along, no graph. Bare-nodes is the least a graph "
        "engine does: one object of two slots and a local derivative per op (no constant "
        "leaves, no tuple of parents, no op dispatch), then the derivative multiplied along "
        "the parent links; with the collector enabled it measures what making a Python object "
        "per op node costs before any engine code. The last column, for "
        "information, is ours run under `autodiff.gc_paused()`: what is left when no "
        "collection walks the growing graph.",
        "",
        "| N | " + " | ".join(names) + " | ours µs/step | ours ns/node | ours ÷ torch | "
        "ours ÷ reference | ours ÷ float-loop | ours with gc paused: ns/node |",
        "|---:|" + "---:|" * (len(names) + 6),
    ]
    ours_per_node = {}
    quiet_per_node = {}
    versus_loop: dict = {}
    for n in sizes:
        cells = []
        med = {}
        for name in names:
            v = r[name]
            if isinstance(v, Missing):
                cells.append(str(v))
                continue
            runs = v.get(n)
            if runs is None:
                failure = next(str(x) for x in v.values() if isinstance(x, Failed))
                cells.append(f"{failure} (not run: fails at a smaller N)")
            elif isinstance(runs, Failed):
                cells.append(runs.name)
            else:
                med[name] = median(runs)
                cells.append(f"{seconds(med[name])} ({len(runs)}×)")
        ours = med.get("ours")
        per_step = per_node = "—"
        if ours is not None:
            ours_per_node[n] = ours / (4 * n)
            per_step = f"{ours / n * 1e6:.3g}"
            per_node = f"{ours / (4 * n) * 1e9:.0f}"
        runs = r.get(quiet, {}).get(n) if isinstance(r.get(quiet), dict) else None
        quiet_cell = "—"
        if isinstance(runs, list) and runs:
            quiet_per_node[n] = median(runs) / (4 * n)
            quiet_cell = f"{quiet_per_node[n] * 1e9:.0f}"
        lines.append(
            f"| {n:.0e} | "
            + " | ".join(cells)
            + f" | {per_step} | {per_node} | "
            f"{ratio(ours, med.get('torch'))} | {ratio(ours, med.get('reference'))} | "
            f"{ratio(ours, med.get('float-loop'))} | {quiet_cell} |"
        )
        if ours is not None and med.get("float-loop"):
            versus_loop[n] = ours / med["float-loop"]
    lines.append("")
    big = max(sizes)
    if big >= 10**6 and big in ours_per_node and 10**5 in ours_per_node:
        decade = ours_per_node[big] / ours_per_node[10**5]
        notes = [f"10⁶ vs the smallest per-node time: "
                 f"{ours_per_node[big] / min(ours_per_node.values()):.2f}×"]
        if big in quiet_per_node and 10**5 in quiet_per_node:
            notes.append(
                f"with gc paused, 10⁶ vs 10⁵: {quiet_per_node[big] / quiet_per_node[10**5]:.2f}×"
            )
        target = (
            f"W2 N = 10⁶ works, time linear in N (per-node time at 10⁶ ≤ "
            f"{W2_LINEAR_SLACK:g}× that at 10⁵)",
            f"works; {decade:.2f}× ({'; '.join(notes)})",
            decade <= W2_LINEAR_SLACK,
        )
    else:
        target = ("W2 N = 10⁶ works, time linear in N", "not run (--quick)", None)
    targets = [target]
    if big in versus_loop:
        quiet_loop = ""
        runs = r.get(quiet, {}).get(big) if isinstance(r.get(quiet), dict) else None
        loop = r["float-loop"].get(big) if isinstance(r.get("float-loop"), dict) else None
        if isinstance(runs, list) and runs and isinstance(loop, list) and loop:
            quiet_loop = f"; {median(runs) / median(loop):.0f}× with gc paused"
        bare = r["bare-nodes"].get(big) if isinstance(r.get("bare-nodes"), dict) else None
        if isinstance(bare, list) and bare and isinstance(loop, list) and loop:
            quiet_loop += f"; bare nodes alone: {median(bare) / median(loop):.0f}×"
        targets.append(
            (
                f"W2 N = {big:.0e} chain ≤ {W2_VS_FLOAT_LOOP:g}× a plain float loop of the "
                "same recurrence, per step",
                f"{versus_loop[big]:.0f}×{quiet_loop}",
                versus_loop[big] <= W2_VS_FLOAT_LOOP,
            )
        )
    return lines, targets


# --------------------------------------------------------------------------
# W3


def run_w3(n: int) -> dict:
    """Memory per node of an n-step chain, ours and micrograd."""
    out = {}
    for engine in ("ours", "micrograd"):
        if engine == "micrograd" and not available("micrograd"):
            out[engine] = Missing("micrograd")
            continue
        out[engine] = W.chain_memory(engine, n)
        print(f"  W3 {engine}: {out[engine]['per_node']:.0f} B/node", file=sys.stderr)
    return out


def report_w3(r: dict, n: int) -> tuple[list[str], list]:
    """W3's Markdown section and its targets."""
    lines = [
        "## W3 — memory",
        "",
        f"The W2 chain with N = {n} steps, measured with tracemalloc (the traced memory the "
        f"chain adds while it is alive). A node is any Value: each step `x*1.0001 + 0.5` "
        f"makes 2 op nodes (the product, the sum) and 2 constant leaves (1.0001 and 0.5), so "
        f"{4 * n} nodes; per op node counts its constant leaf with it. Freed: with "
        "`gc.disable()`, the last reference is dropped; freed when weakrefs to the first and "
        "last op nodes are dead and the traced memory is back within 1% of the chain's size "
        f"plus {W.FREE_LIST_SLACK} bytes (CPython's free lists keep up to 2000 freed pairs "
        "and 100 floats allocated for reuse).",
        "",
        "| engine | nodes | bytes | bytes/node | bytes/op node | freed with gc disabled |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for engine, m in r.items():
        if isinstance(m, Missing):
            lines.append(f"| {engine} | {m} | | | | |")
            continue
        freed = "yes" if m["freed"] else f"no ({m['left']} bytes still held)"
        lines.append(
            f"| {engine} | {m['nodes']} | {m['bytes']} | {m['per_node']:.0f} | "
            f"{m['per_op_node']:.0f} | {freed} |"
        )
    lines.append("")
    ours = r["ours"]
    targets = [
        (
            f"W3 ≤ {W3_BYTES_PER_NODE:g} bytes per node (any Value)",
            f"{ours['per_node']:.0f} B/node ({ours['per_op_node']:.0f} B per op node)",
            ours["per_node"] <= W3_BYTES_PER_NODE,
        ),
        ("W3 freed with gc disabled", "yes" if ours["freed"] else "no", ours["freed"]),
    ]
    return lines, targets


# --------------------------------------------------------------------------
# W4

W4_NAMES = ("ours", "ours-dot", "micrograd", "micrograd-tree", "torch", "reference")


def run_w4(names, n: int, repeats: int) -> tuple[dict, dict]:
    """One sum of n products, forward + backward, for the competitors
    ``names``, the repeats taking turns across competitors.

    Returns:
        ``({name: [s] or Failed or Missing}, {name: (sum, grads_w, grads_x)})``.
    """
    ws, xs = W.width_inputs(n)
    times: dict = {}
    results: dict = {}
    competitors: dict = {}
    for name in names:
        package = name.split("-")[0]
        if package in ("micrograd", "torch") and not available(package):
            times[name] = Missing(package)
            continue
        competitor = W.make_width(name, ws, xs)
        gc.collect()
        competitor.reset()
        _, first = clock(competitor.run)  # warm-up, and the result to compare
        if isinstance(first, Failed):
            times[name] = first
            continue
        results[name] = first
        times[name] = []
        competitors[name] = competitor
    for _ in range(repeats):
        for name, competitor in competitors.items():
            competitor.reset()
            gc.collect()
            times[name].append(clock(competitor.run)[0])
    for name in competitors:
        print(f"  W4 {name}: {seconds(median(times[name]))}", file=sys.stderr)
    competitors.clear()
    gc.collect()
    return times, results


def check_w4(results: dict) -> None:
    """Stop (SystemExit) unless every W4 competitor's sum agrees with the
    reference's to 1e-9 (relative) and its gradients exactly."""
    s_ref, gw_ref, gx_ref = results["reference"]
    for name, (s, gw, gx) in results.items():
        if not (abs(s - s_ref) <= 1e-9 * max(1.0, abs(s_ref)) and gw == gw_ref and gx == gx_ref):
            raise SystemExit(f"W4: {name} disagrees with the reference (sum {s} vs {s_ref})")


def report_w4(r: dict, n: int) -> list[str]:
    """W4's Markdown section."""
    how = {
        "ours": "`autodiff.sum` (one node) over n `w*x` nodes",
        "ours-dot": "`autodiff.dot(ws, xs)`, one node (for comparison)",
        "micrograd": "built-in `sum` over the products (a chain of n additions)",
        "micrograd-tree": "pairwise sums (depth log₂ n), micrograd's working equivalent",
        "torch": "`torch.stack(products).sum()` over n 0-d product tensors",
        "reference": "loops over floats",
    }
    ours = median(r["ours"]) if isinstance(r.get("ours"), list) else None
    lines = [
        "## W4 — width",
        "",
        f"One sum over n = {n} products wᵢ·xᵢ of leaves, forward + backward (leaves made "
        "beforehand; results checked against the reference).",
        "",
        "| competitor | how | median | ours ÷ it |",
        "|---|---|---:|---:|",
    ]
    for name in W4_NAMES:
        v = r[name]
        t = median(v) if isinstance(v, list) else v
        lines.append(f"| {name} | {how[name]} | {seconds(t)} | {ratio(ours, t)} |")
    lines.append("")
    return lines


# --------------------------------------------------------------------------


def targets_section(targets: list) -> list[str]:
    lines = ["## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for name, measured, ok in targets:
        lines.append(f"| {name} | {measured} | {'not run' if ok is None else verdict(ok)} |")
    lines.append("")
    return lines


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark chainrule's engine against micrograd, PyTorch and plain Python."
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the Markdown report (default: RESULTS.md beside this script; "
        "with --only, nothing is written unless --out is given)",
    )
    parser.add_argument(
        "--only",
        default="W1,W2,W3,W4",
        help="comma-separated workloads to run, of W1,W2,W3,W4 (default: all)",
    )
    args = parser.parse_args(argv)
    only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    bad = [w for w in only if w not in ("W1", "W2", "W3", "W4")]
    if bad or not only:
        parser.error(f"--only takes W1, W2, W3, W4 separated by commas, got {args.only!r}")
    args.only = only
    if args.out is None and len(only) == 4:
        args.out = HERE / "RESULTS.md"
    if args.out is not None and args.out.is_dir():
        parser.error(f"--out: {str(args.out)!r} is a directory; give a file name")
    if args.out is not None and not args.out.parent.is_dir():
        parser.error(f"--out: the directory {str(args.out.parent)!r} does not exist")
    return args


def run_ours_again(quick: bool) -> list[str]:
    """Ours on W1 (dot) and W2 (N = 10⁴) in the process as it is now, and the
    time of one full garbage collection, as report lines."""
    X, Y = W.moons()
    model = W.make_w1("ours-dot", W.initial_weights(), X, Y)
    gc.collect()
    w1 = median([clock(model.step, k)[0] for k in range(6 if quick else 16)][1:])
    del model
    w2 = []
    for _ in range(3 if quick else 5):
        gc.collect()
        w2.append(clock(W.chain_ours, 10**4)[0])
    return [
        f"W1 ours-dot {seconds(w1)} per step",
        f"W2 ours N = 10⁴ {seconds(median(w2))}",
        full_collection(),
    ]


def full_collection() -> str:
    """The time of one full garbage collection with nothing to free (after a
    first one), and the number of objects it walks."""
    gc.collect()
    start = time.perf_counter()
    gc.collect()
    return (
        f"one full `gc.collect()` {seconds(time.perf_counter() - start)} "
        f"({len(gc.get_objects())} tracked objects)"
    )


def main(argv=None) -> int:
    """Run the workloads chosen on the command line, print the report and
    write it.  Returns the exit status."""
    args = parse_args(argv)
    if not gc.isenabled():
        gc.enable()
    if "torch" in sys.modules:
        raise SystemExit("torch is already imported: run bench.py as a script")
    quick = args.quick
    facts = machine()  # before the run, so that the load average is the machine's own
    only = args.only
    steps, extra = (3, 5) if quick else (10, 20)
    rounds = steps - 1  # one timed step of a slow competitor per round
    sizes = [10**4, 10**5] if quick else [10**4, 10**5, 10**6]
    repeats = {10**4: 3, 10**5: 1} if quick else {10**4: 5, 10**5: 3, 10**6: 2}
    repeats_torch = {10**4: 3, 10**5: 1} if quick else {10**4: 3, 10**5: 2, 10**6: 1}
    w4_n, w4_repeats = 10**5, (3 if quick else 7)
    w3_n = 10**4 if quick else 10**5
    pure = [n for n in W.W1_COMPETITORS if n != "torch"]
    paused = [f"{n}{NO_GC}" for n in ("ours-products", "ours-dot", "ours-micrograd-style")]
    w2_pure = [n for n in CHAIN_RUNNERS if n != "torch"]
    w4_pure = [n for n in W4_NAMES if n != "torch"]

    # Phase 1: everything but torch.  Importing torch adds ~165,000 objects
    # that every full garbage collection then walks, which slows our engine
    # (whose nodes trigger collections) by up to 2-3× on deep graphs; torch
    # runs last and that effect is reported separately.
    w1 = w2 = w3 = None
    if "W1" in only:
        w1 = run_w1(pure + paused, steps, extra, rounds)
        w1["size"] = graph_sizes()
    if "W2" in only:
        w2 = run_w2(w2_pure, sizes, repeats)
    if "W3" in only:
        w3 = run_w3(w3_n)
    if "W4" in only:
        w4_times, w4_results = run_w4(w4_pure, w4_n, w4_repeats)
    before_torch = run_ours_again(quick)

    # Phase 2: torch, then ours again beside it.
    torch_effect = None
    if available("torch") and only != ["W3"]:
        if "W1" in only:
            r = run_w1(["torch"], steps, extra, rounds)
            w1["times"].update(r["times"])
            w1["losses"].update(r["losses"])
        if "W2" in only:
            w2.update(run_w2(["torch"], sizes, repeats_torch))
        if "W4" in only:
            t, res = run_w4(["torch"], w4_n, w4_repeats)
            w4_times.update(t)
            w4_results.update(res)
        torch_effect = run_ours_again(quick)

    sections: list[str] = []
    targets: list = []
    if w1 is not None:
        check_w1(w1["losses"])
        lines, t = report_w1(w1, steps)
        sections += lines
        targets += t
    if w2 is not None:
        w2 = {name: w2[name] for name in CHAIN_RUNNERS if name in w2}  # table order
        lines, t = report_w2(w2, sizes)
        sections += lines
        targets += t
    if w3 is not None:
        lines, t = report_w3(w3, w3_n)
        sections += lines
        targets += t
    if "W4" in only:
        check_w4(w4_results)
        if "torch" not in w4_times:
            w4_times["torch"] = Missing("torch")
        sections += report_w4(w4_times, w4_n)
    sections += [
        "## The environment's effect on ours (for information)",
        "",
        "The competitors run in one process, torch last: importing torch leaves about "
        "165,000 more objects for every full garbage collection to walk, and our graphs "
        "trigger collections (each node is a tracked container).",
        "",
        "- Before torch was imported: " + "; ".join(before_torch) + ".",
    ]
    if torch_effect is not None:
        sections.append("- After torch was imported and run: " + "; ".join(torch_effect) + ".")
    sections.append("")
    head = [
        "# Benchmark results",
        "",
        "Written by `python tests/benchmarks/bench.py"
        + (" --quick" if quick else "")
        + "`. Times are medians with the garbage collector enabled, after a warm-up; "
        "ratios are ours ÷ competitor (below 1: ours is faster). The machine is shared: "
        "when its load average is above its core count, medians spread (W1's fastest step, "
        "the least disturbed, is shown beside the median).",
        "",
        *facts,
        f"- Run: {'quick (`--quick`)' if quick else 'full'}",
        "",
    ]
    text = "\n".join(head + targets_section(targets) + sections)
    print(text)
    if args.out is not None:
        from nn.files import write_atomically  # never a half-written report

        write_atomically(args.out, text)
        print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
