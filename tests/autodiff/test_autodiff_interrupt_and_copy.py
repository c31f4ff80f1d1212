"""backward() is all or nothing under Ctrl-C; copy.deepcopy copies graphs of
any depth, reused nodes kept shared."""

import copy
import math

import pytest

import autodiff
from autodiff import Value
from autodiff.ops import OPS


@pytest.fixture
def dying_tanh():
    """tanh's rule raises KeyboardInterrupt at its n-th call (n set by the test)."""
    op = OPS["tanh"]
    real = op.partials
    calls = {"n": 0, "at": None}

    def rule(F, x, r):
        calls["n"] += 1
        if calls["n"] == calls["at"]:
            raise KeyboardInterrupt
        return real(F, x, r)

    object.__setattr__(op, "partials", rule)
    yield calls
    object.__setattr__(op, "partials", real)


def layer_graph():
    ws = [Value(0.1 * (i + 1), label=f"w{i}") for i in range(50)]
    out = autodiff.sum([(w * (i - 20)).tanh() for i, w in enumerate(ws)])
    return ws, out


@pytest.mark.parametrize("at", [1, 25, 50])
def test_ctrl_c_inside_backward_leaves_every_grad_as_it_was(dying_tanh, at):
    ws, out = layer_graph()
    for i, w in enumerate(ws):
        w.grad = float(i)  # gradients accumulated earlier
    dying_tanh["at"] = at
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    assert [w.grad for w in ws] == [float(i) for i in range(50)]
    assert out.grad == 0.0


def test_after_an_interrupted_pass_a_full_pass_adds_exactly_once(dying_tanh):
    ws, out = layer_graph()
    dying_tanh["at"] = 10
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    dying_tanh["at"] = None
    out.backward()
    # hand formula: d tanh(c w)/dw = c (1 - tanh²(c w))
    for i, w in enumerate(ws):
        c = i - 20
        assert w.grad == pytest.approx(c * (1 - math.tanh(c * w.data) ** 2), rel=1e-12)


def test_deepcopy_of_a_very_deep_graph():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    twin = copy.deepcopy(y)
    assert twin is not y and twin.data == y.data and twin.op == y.op
    twin.backward()
    leaves = [n for n in autodiff.topological_order(twin) if not n.parents and n.label == "x"]
    assert len(leaves) == 1 and leaves[0] is not x and leaves[0].grad == 1.0
    assert x.grad == 0.0  # the original is untouched


def test_deepcopy_keeps_a_reused_node_shared():
    x = Value(3.0, label="x")
    y = x * x + x
    a, b = copy.deepcopy([y, x])
    assert a.parents[0].parents[0] is a.parents[0].parents[1] is a.parents[1] is b
    assert a.parents[0]._op is y.parents[0]._op  # ops are shared table entries
    a.backward()
    assert b.grad == 2 * 3.0 + 1  # d(x² + x)/dx
