"""A few real runs of the command line in a child process: ``python -m viz``
and the installed ``chainrule`` script (found beside the running Python)."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest


def child_env():
    env = dict(os.environ)
    env.pop("CHAINRULE_DEBUG", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run(*argv, script=None):
    command = [script] if script else [sys.executable, "-m", "viz"]
    done = subprocess.run(
        [*command, *argv], capture_output=True, env=child_env(), timeout=120
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def chainrule_script():
    path = Path(sys.executable).with_name("chainrule")
    if not path.exists():
        pytest.skip("the chainrule console script is not installed beside this Python")
    return str(path)


def test_python_m_viz_grad():
    status, out, err = run("grad", "x**2 * sin(y)", "--at", "x=1.5,y=-2")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "f(x, y) = x**2 * sin(y)"
    assert float(lines[2].split(" = ")[1]) == pytest.approx(2 * 1.5 * math.sin(-2.0), rel=1e-12)
    assert float(lines[3].split(" = ")[1]) == pytest.approx(1.5**2 * math.cos(-2.0), rel=1e-12)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["grad", "__import__('os').system('echo hi')"], ["attribute access"]),
        (["grad", "__import__('os')"], ["unknown function '__import__'"]),
        (["grad", "x", "--at", "x=oops"], ["must be a number"]),
        (["grad"], ["required: EXPR"]),
    ],
)
def test_python_m_viz_bad_input(argv, words):
    status, out, err = run(*argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("chainrule: error: ")
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_console_script_version_and_help():
    from importlib.metadata import version

    script = chainrule_script()
    status, out, _ = run("--version", script=script)
    assert status == 0
    assert out.strip() == f"chainrule {version('chainrule')}"
    status, out, _ = run("grad", "--help", script=script)
    assert status == 0
    assert "usage: chainrule grad" in out


def test_console_script_grad_with_svg(tmp_path, require_dot):
    path = tmp_path / "graph.svg"
    status, out, err = run(
        "grad", "tanh(x*w + b)", "--at", "x=1.5,w=-2,b=0.5", "--svg", str(path),
        script=chainrule_script(),
    )
    assert status == 0, err
    t = math.tanh(1.5 * -2.0 + 0.5)
    line = out.splitlines()[2]
    assert line.startswith("∂f/∂x = ")
    assert float(line.split(" = ")[1]) == pytest.approx(-2.0 * (1 - t * t), rel=1e-12)
    assert path.read_bytes().lstrip().startswith(b"<?xml")


def test_console_script_demo(tmp_path, require_dot):
    status, out, err = run(
        "demo", "--steps", "2", "--out", str(tmp_path / "out"), script=chainrule_script()
    )
    assert status == 0, err
    assert "Traceback" not in err
    assert "fit" in err  # the progress bar, on stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["neuron_graph.svg", "network.svg", "decision_boundary.svg", "loss.svg"]
    )
    assert out.count(str(tmp_path / "out")) == 4


# A child Python in which the op table has one more one-input op, "cube",
# exposed as a Value method as the table's unary functions are; then the
# command line, unchanged.
WITH_CUBE = """
import sys
import autodiff.ops as ops
from autodiff import Value

ops.OPS["cube"] = ops.Op("cube", 1, lambda x: x**3, lambda F, x, r: (3.0 * x * x,), ("any",))
ops.UNARY_FUNCTIONS = (*ops.UNARY_FUNCTIONS, "cube")
Value.cube = lambda self: self * self * self

from viz.cli import main

sys.exit(main(sys.argv[1:]))
"""


def run_with_cube(*argv):
    done = subprocess.run(
        [sys.executable, "-c", WITH_CUBE, *argv], capture_output=True, env=child_env(), timeout=120
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def test_a_new_op_table_entry_needs_no_edit_in_the_command_line():
    # cube(x) + cube(2) at x = 1.5: 1.5³ + 8, and d/dx = 3·1.5²
    status, out, err = run_with_cube("grad", "cube(x) + cube(2)", "--at", "x=1.5")
    assert status == 0, err
    lines = out.splitlines()
    assert float(lines[1].split(" = ")[1]) == pytest.approx(1.5**3 + 8.0, rel=1e-12)
    assert float(lines[2].split(" = ")[1]) == pytest.approx(3 * 1.5**2, rel=1e-12)
    # the help and the error messages list it with the others
    status, out, _ = run_with_cube("grad", "--help")
    assert status == 0
    assert "cube" in " ".join(out.split())
    status, _, err = run_with_cube("grad", "cubed(x)", "--at", "x=1")
    assert status == 2
    assert "unknown function 'cubed'" in err and "cube" in err.split("functions are:")[1]
    # and without the entry, cube is unknown
    status, _, err = run("grad", "cube(x)", "--at", "x=1")
    assert status == 2 and "unknown function 'cube'" in err
