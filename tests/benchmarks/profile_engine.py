"""Where our engine spends W1's time: a profile of micrograd's demo step.

Run it as a script (pytest does not collect it):

    python tests/benchmarks/profile_engine.py                  # every graph
    python tests/benchmarks/profile_engine.py --graph dot --steps 20 --top 25

For each W1 graph (``nn.MLP(..., weighted_sum="products")``, a node per w·x
as micrograd builds it; the default ``"dot"``; and micrograd's own neuron
code on our `Value`, the benchmark's ours-micrograd-style) it prints:

- the graph of one step: nodes (every Value, leaves included), op nodes and
  edges (parent links, with repetition);
- the split of a step into phases, medians over the steps: forward (building
  the loss), zero_grad, backward (of which `autodiff.topological_order`, timed
  on its own on the same graph), the SGD update, and freeing the graph;
  plus the time spent in garbage collections, from `gc.callbacks`, and per
  generation the collections a step and their time (means);
- cProfile's top functions by self time over the same number of steps.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE))

import bench_workloads as W  # noqa: E402

#: The W1 graphs the profile can take (`bench_workloads.make_w1`'s "ours-" names).
GRAPHS = ("products", "dot", "micrograd-style")

#: The collector's generations, as the profile names them.
GENERATIONS = ("young", "middle", "full")


class GcTimer:
    """Time spent in garbage collections while installed (gc.callbacks): in
    total, and per generation with the number of collections."""

    def __init__(self) -> None:
        self.total = 0.0
        self.collections = 0
        self.by_generation = {g: [0, 0.0] for g in range(len(GENERATIONS))}
        self._start = None

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        elif self._start is not None:
            spent = time.perf_counter() - self._start
            self.total += spent
            self.collections += 1
            counted = self.by_generation[info["generation"]]
            counted[0] += 1
            counted[1] += spent
            self._start = None

    def __enter__(self) -> "GcTimer":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> bool:
        gc.callbacks.remove(self)
        return False


def phases(model, steps: int) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Median seconds per phase of a W1 step, over ``steps`` steps after one
    warm-up step; and per generation of the collector, the mean number of
    collections and seconds in them per step (collections are too rare for
    a median)."""
    from autodiff import topological_order

    model.step(0)
    gc.collect()
    rows: dict[str, list[float]] = {
        "forward": [],
        "zero_grad": [],
        "backward": [],
        "  of which topological_order": [],
        "update": [],
        "free graph": [],
        "step total": [],
        "gc collections (inside the phases above)": [],
    }
    clock = time.perf_counter
    timers: list[GcTimer] = []
    for k in range(1, steps + 1):
        with GcTimer() as gc_time:
            t0 = clock()
            loss = model.loss()
            t1 = clock()
            model.zero_grad()
            t2 = clock()
            loss.backward()
            t3 = clock()
            model.update(k)
            t4 = clock()
            del loss
            t5 = clock()
        rows["forward"].append(t1 - t0)
        rows["zero_grad"].append(t2 - t1)
        rows["backward"].append(t3 - t2)
        rows["update"].append(t4 - t3)
        rows["free graph"].append(t5 - t4)
        rows["step total"].append(t5 - t0)
        rows["gc collections (inside the phases above)"].append(gc_time.total)
        timers.append(gc_time)
        # the traversal alone, on a graph like the one just timed (not in the total)
        loss = model.loss()
        t6 = clock()
        topological_order(loss)
        rows["  of which topological_order"].append(clock() - t6)
        del loss
    per_generation = {
        name: (
            statistics.mean(t.by_generation[g][0] for t in timers),
            statistics.mean(t.by_generation[g][1] for t in timers),
        )
        for g, name in enumerate(GENERATIONS)
    }
    return {name: statistics.median(ts) for name, ts in rows.items()}, per_generation


def profile(model, steps: int, top: int) -> str:
    """cProfile's top ``top`` functions by self time over ``steps`` steps."""
    model.step(0)
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    for k in range(1, steps + 1):
        model.step(k)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    # keep the table, drop pstats' preamble
    text = out.getvalue()
    return text[text.find("   ncalls") :] if "   ncalls" in text else text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Profile our engine on W1 (micrograd's demo step)."
    )
    parser.add_argument(
        "--graph",
        "--weighted-sum",
        dest="graph",
        choices=(*GRAPHS, "all"),
        default="all",
        help="which W1 graph to profile: nn.MLP's products or dot neurons, or "
        "micrograd's neuron code on our Value (default: all)",
    )
    parser.add_argument("--steps", type=int, default=10, help="steps per measurement (≥ 1)")
    parser.add_argument("--top", type=int, default=20, help="functions to list (≥ 1)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    if args.top < 1:
        parser.error(f"--top must be at least 1, got {args.top}")
    kinds = GRAPHS if args.graph == "all" else (args.graph,)
    X, Y = W.moons()
    weights = W.initial_weights()
    for kind in kinds:
        name = f"ours-{kind}"
        nodes, ops, edges = W.graph_size(W.make_w1(name, weights, X, Y).loss())
        print(f"## W1, {name}")
        print()
        leaves = nodes - ops
        print(f"Graph per step: {nodes} nodes ({ops} op nodes, {leaves} leaves), {edges} edges")
        print()
        split, per_generation = phases(W.make_w1(name, weights, X, Y), args.steps)
        total = split["step total"]
        print(f"Phases (median of {args.steps} steps, gc enabled):")
        for phase, t in split.items():
            print(f"  {phase:<42} {t * 1e3:8.2f} ms  {t / total:6.1%}")
        print("Collections per step, by generation (means):")
        for generation, (count, t) in per_generation.items():
            print(f"  {generation:<8} {count:7.1f} collections {t * 1e3:8.2f} ms  {t / total:6.1%}")
        print()
        print(f"cProfile, top {args.top} by self time over {args.steps} steps:")
        print(profile(W.make_w1(name, weights, X, Y), args.steps, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
