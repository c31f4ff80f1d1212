"""`chainrule demo` as a plain ``pip install chainrule`` has it: graphviz and
tqdm, but neither matplotlib nor numpy (they come with ``chainrule[plot]``).
The demo then writes the two Graphviz pictures, says in one line how to get
the two plots, and succeeds."""

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# A child Python in which importing matplotlib or numpy fails as it does when
# they are not installed, then `python -m viz` with the given arguments.
BLOCKED_RUN = textwrap.dedent(
    """
    import runpy, sys

    class NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("matplotlib", "numpy"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    sys.argv = ["chainrule", *sys.argv[1:]]
    try:
        runpy.run_module("viz", run_name="__main__", alter_sys=True)
    finally:
        loaded = sorted(m for m in sys.modules if m.partition(".")[0] in ("matplotlib", "numpy"))
        print("loaded:", loaded, file=sys.stderr)
    """
)


def run_without_plots(*argv):
    env = {k: v for k, v in os.environ.items() if k != "CHAINRULE_DEBUG"}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, *argv],
        capture_output=True, env=env, cwd=ROOT, timeout=300,
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def test_the_blocker_works():
    code = "import sys; sys.argv[1:] = []\n" + BLOCKED_RUN.replace(
        'runpy.run_module("viz", run_name="__main__", alter_sys=True)', "import matplotlib"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "ModuleNotFoundError: No module named 'matplotlib'" in done.stderr


def test_demo_without_matplotlib_and_numpy(tmp_path, require_dot):
    out_dir = tmp_path / "pictures"
    status, out, err = run_without_plots(
        "demo", "--steps", "2", "--out", str(out_dir), "--no-progress"
    )
    assert status == 0, err
    assert "Traceback" not in err and "error" not in err
    assert "loaded: []" in err  # nothing on the demo's path imported them
    skipped = [line for line in out.splitlines() if "skipped" in line]
    assert skipped == [
        "decision boundary and loss curve skipped: they need matplotlib — "
        "pip install 'chainrule[plot]'"
    ]
    assert out.splitlines()[-1] == skipped[0]
    # the two Graphviz pictures, and only they, are written and listed
    assert sorted(p.name for p in out_dir.iterdir()) == ["network.svg", "neuron_graph.svg"]
    for name in ("neuron_graph.svg", "network.svg"):
        path = out_dir / name
        assert path.stat().st_size > 1000
        assert ET.parse(path).getroot().tag.endswith("svg")
    wrote = out[out.index("wrote:") :].splitlines()[1:-1]
    assert [line.split()[0] for line in wrote] == [
        str(out_dir / "neuron_graph.svg"), str(out_dir / "network.svg")
    ]
    # the report itself is all there
    assert "step 2: loss" in out and "accuracy" in out
    assert "Gradients of the output layer (layer 3)" in out
    assert "The chain rule for the output weight" in out
    assert "The chain rule for the hidden weight" in out
