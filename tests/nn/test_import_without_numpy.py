"""NumPy stays optional: ``import nn`` works without it, ``nn.matrix`` is
loaded on first use, and without NumPy it says how to get it."""

import subprocess
import sys
import textwrap

import pytest

BLOCK_NUMPY = textwrap.dedent(
    """
    import sys

    class NoNumpy:
        # A finder that makes NumPy look uninstalled.
        def find_spec(self, name, path=None, target=None):
            if name == "numpy" or name.startswith("numpy."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoNumpy())
    """
)


# The other way Python marks a module as missing.
NUMPY_IS_NONE = "import sys\nsys.modules['numpy'] = None\n"


def run(code: str, block: str = BLOCK_NUMPY) -> str:
    out = subprocess.run(
        [sys.executable, "-c", block + textwrap.dedent(code)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_nn_works_without_numpy():
    out = run(
        """
        import nn
        from nn import *
        model = nn.MLP(2, [3, 1], seed=0)
        print(type(model(([0.5, -1.0]))).__name__, "numpy" in sys.modules)
        """
    )
    assert out.split() == ["Value", "False"]


@pytest.mark.parametrize("block", [BLOCK_NUMPY, NUMPY_IS_NONE], ids=["finder", "none"])
def test_nn_matrix_without_numpy_names_the_fix(block):
    out = run(
        """
        import nn
        for attempt in ("nn.matrix", "import nn.matrix", "from nn import matrix"):
            try:
                exec(attempt)
            except ImportError as error:
                print(type(error).__name__, "|", error)
            else:
                print("imported")
        """,
        block,
    )
    lines = out.splitlines()
    assert len(lines) == 3
    for line in lines:
        kind, message = line.split(" | ")
        assert kind in ("ImportError", "ModuleNotFoundError")
        assert "nn.matrix needs NumPy" in message and "pip install numpy" in message


def test_nn_matrix_is_loaded_lazily_with_numpy():
    code = (
        "import sys, nn; before = 'nn.matrix' in sys.modules; "
        "import nn.matrix as m; print(before, nn.matrix is m, callable(nn.matrix.backprop), "
        "'matrix' in dir(nn))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True"]


def test_an_unknown_attribute_is_still_an_attribute_error():
    import nn

    with pytest.raises(AttributeError, match="module 'nn' has no attribute 'matrx'"):
        nn.matrx  # noqa: B018
