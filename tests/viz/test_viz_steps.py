"""viz.backward_steps: the backward pass as data.

Oracles: hand-computed derivatives for small graphs (tanh(x·w + b), a reused
node, x·x), and for random expressions over the whole op table PyTorch's
float64 autograd and `autodiff.grad` (which takes its own walk of the graph).
"""

import json
import math

import pytest
from hypothesis import given, settings

import viz
from autodiff import Value, grad, topological_order
from autodiff.testing import expressions


def tanh_neuron():
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    b = Value(0.25, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return x, w, b, n, o


def test_steps_of_tanh_neuron_match_hand_computation():
    x, w, b, n, o = tanh_neuron()
    steps = viz.backward_steps(o)
    names = {i: node for i, node in enumerate(steps.nodes)}
    xw = n.parents[0]
    t = math.tanh(0.5 * -2.0 + 0.25)
    dn = 1 - t * t  # d tanh(n)/dn
    by_node = {names[s.node]: s for s in steps}

    assert len(steps) == 6
    assert steps[0].node == steps.ids[o] and steps[0].grad == 1.0
    (push,) = by_node[o].pushes
    assert names[push.parent] is n
    assert push.local_grad == pytest.approx(dn, rel=1e-15)
    assert push.contribution == pytest.approx(dn, rel=1e-15)

    # n = xw + b: local derivatives 1 and 1, contributions dn each
    step_n = by_node[n]
    assert step_n.grad == pytest.approx(dn, rel=1e-15)
    assert [names[p.parent] for p in step_n.pushes] == [xw, b]
    assert [p.local_grad for p in step_n.pushes] == [1.0, 1.0]
    assert [p.contribution for p in step_n.pushes] == pytest.approx([dn, dn], rel=1e-15)

    # xw = x * w: ∂/∂x = w = -2, ∂/∂w = x = 0.5
    step_xw = by_node[xw]
    assert [p.local_grad for p in step_xw.pushes] == [-2.0, 0.5]
    assert [p.contribution for p in step_xw.pushes] == pytest.approx([-2 * dn, 0.5 * dn])

    # leaves push nothing; their received gradients are the hand values
    for leaf, expected in ((x, -2 * dn), (w, 0.5 * dn), (b, dn)):
        assert by_node[leaf].pushes == ()
        assert by_node[leaf].grad == pytest.approx(expected, rel=1e-15)

    # the gradients after each step: the root seeded, then filled in
    final = {x: -2 * dn, w: 0.5 * dn, b: dn, n: dn, xw: dn, o: 1.0}
    first = dict(zip(steps.nodes, steps[0].grads))
    assert first[o] == 1.0 and first[n] == pytest.approx(dn)
    assert first[x] == first[w] == first[b] == first[xw] == 0.0
    last = dict(zip(steps.nodes, steps[-1].grads))
    for node, expected in final.items():
        assert last[node] == pytest.approx(expected, rel=1e-15)
        assert steps.grad_of(node) == pytest.approx(expected, rel=1e-15)


def test_order_is_the_engines_and_each_node_is_complete_when_reached():
    x, w, b, n, o = tanh_neuron()
    y = (n * x + o * n).exp() - x  # x and n reused
    steps = viz.backward_steps(y)
    order = list(reversed(topological_order(y)))
    assert [steps.nodes[s.node] for s in steps] == order
    final = steps.grads
    for step in steps:
        # reached with the whole gradient: nothing is added to it later
        assert step.grad == final[step.node]
        later = [p for s in steps[step.index + 1:] for p in s.pushes if p.parent == step.node]
        assert later == []


def test_reused_input_receives_one_push_per_use():
    x = Value(3.0, label="x")
    y = x * x  # two parents, the same node: dy/dx = 2x = 6
    steps = viz.backward_steps(y)
    pushes = steps[0].pushes
    assert [p.position for p in pushes] == [0, 1]
    assert [p.parent for p in pushes] == [steps.ids[x]] * 2
    assert [p.local_grad for p in pushes] == [3.0, 3.0]
    assert [p.grad_after for p in pushes] == [3.0, 6.0]  # the running sum
    assert steps.grad_of(x) == 6.0


def test_no_grad_is_changed():
    x, w, b, n, o = tanh_neuron()
    for i, v in enumerate((x, w, b, n, o)):
        v.grad = 10.0 + i
    before = [v.grad for v in (x, w, b, n, o)]
    viz.backward_steps(o)
    viz.backward_steps(o, focus=x)
    assert [v.grad for v in (x, w, b, n, o)] == before


@settings(max_examples=40)
@given(expressions(n_inputs=3))
def test_final_gradients_match_pytorch_and_autodiff_grad(expr):
    torch = pytest.importorskip("torch")
    inputs = [Value(v) for v in expr.point]
    out = expr(*inputs)
    steps = viz.backward_steps(out)

    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in expr.point]
    expr.torch(*tensors).backward()
    for inp, t in zip(inputs, tensors):
        expected = 0.0 if t.grad is None else t.grad.item()
        got = steps.grad_of(inp) if inp in steps.ids else 0.0
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (got, expected)

    nodes = list(steps.nodes)
    engine = grad(out, nodes)
    for node, g_engine, g_steps in zip(nodes, engine, steps.grads):
        assert math.isclose(g_steps, g_engine, rel_tol=1e-12, abs_tol=1e-300), (node, g_steps)


def test_focus_keeps_the_paths_to_the_focus_and_their_inputs():
    x, w, b, n, o = tanh_neuron()
    c = Value(1.5, label="c")
    d = Value(-1.0, label="d")
    cw = (c * d) * w  # w also feeds a node off the paths to x
    root = o + cw
    steps = viz.backward_steps(root, focus=x)
    xw = n.parents[0]
    on_path = [x, xw, n, o, root]
    shown = set(steps.nodes)
    assert shown == set(on_path) | {w, b, cw}  # c, d and c*d lie beyond cw
    assert [steps.nodes[s.node] for s in steps] == [
        node for node in reversed(topological_order(root)) if node in set(on_path)
    ]
    complete = dict(zip(steps.nodes, steps.complete))
    assert {v for v, flag in complete.items() if not flag} == {w}
    # every node marked complete has its whole gradient, the hand values here
    t = math.tanh(0.5 * -2.0 + 0.25)
    dn = 1 - t * t
    expected = {root: 1.0, o: 1.0, n: dn, xw: dn, x: -2 * dn, b: dn, cw: 1.0}
    for node, g in expected.items():
        assert steps.grad_of(node) == pytest.approx(g, rel=1e-14)
    for node, g in zip(expected, grad(root, list(expected))):
        assert steps.grad_of(node) == pytest.approx(g, rel=1e-14)
    # w shows only its share through x*w (x = 0.5), not the one through cw
    assert steps.grad_of(w) == pytest.approx(0.5 * dn, rel=1e-14)
    assert steps.focus == (x,)


def test_focus_on_one_weight_of_a_training_step():
    from nn import MLP, losses

    model = MLP(2, [4, 1])
    xs = [[0.1 * i, -0.2 * i] for i in range(30)]
    loss = losses.mse([model(x) for x in xs], [1.0 if i % 2 else -1.0 for i in range(30)])
    total = len(topological_order(loss))
    weight = model.parameters()[0]
    with pytest.raises(ValueError, match="focus="):
        viz.backward_steps(loss, max_nodes=total - 1)
    steps = viz.backward_steps(loss, focus=weight)
    assert len(steps.nodes) < total
    assert steps.grad_of(weight) == pytest.approx(grad(loss, weight)[0], rel=1e-12)


def test_to_dict_is_strict_json_with_non_finite_numbers_as_strings():
    x = Value(0.0, label="x")
    y = x.log()  # log(0) = -inf, d/dx = 1/0 = inf
    data = viz.backward_steps(y).to_dict()
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["nodes"][back["root"]]["data"] == "-Infinity"
    push = back["steps"][0]["pushes"][0]
    assert push["local_grad"] == "Infinity" and push["contribution"] == "Infinity"
    assert back["nodes"][0]["label"] == "x" and back["nodes"][1]["op"] == "log"
    assert back["nodes"][1]["parents"] == [0]


def test_to_dict_numbers_are_the_steps():
    *_, o = tanh_neuron()
    steps = viz.backward_steps(o)
    data = steps.to_dict()
    assert [s["node"] for s in data["steps"]] == [s.node for s in steps]
    assert [s["grad"] for s in data["steps"]] == [s.grad for s in steps]
    assert data["focus"] == []


def test_bad_arguments():
    x = Value(1.0)
    y = x * 2
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        viz.backward_steps(1.0)
    with pytest.raises(TypeError, match="focus must be a Value"):
        viz.backward_steps(y, focus="x")
    with pytest.raises(TypeError, match=r"focus\[1\] must be a Value"):
        viz.backward_steps(y, focus=[x, 3])
    with pytest.raises(ValueError, match="not in the graph"):
        viz.backward_steps(y, focus=Value(2.0))
    with pytest.raises(ValueError, match="empty"):
        viz.backward_steps(y, focus=[])
    with pytest.raises(TypeError, match="max_nodes must be an int, got bool"):
        viz.backward_steps(y, max_nodes=True)
    with pytest.raises(ValueError, match="max_nodes must be an int >= 1"):
        viz.backward_steps(y, max_nodes=0)
    with pytest.raises(ValueError, match="not one of the nodes"):
        viz.backward_steps(y).grad_of(Value(3.0))


def test_focus_summarises_the_inputs_of_a_dot_that_its_derivatives_do_not_need():
    from autodiff import dot

    ws = [Value(0.1 * (k + 1), label=f"w{k}") for k in range(4)]
    xs = [Value(1.0 - 0.3 * k, label=f"x{k}") for k in range(4)]
    b = Value(0.2, label="b")
    z = dot(ws, xs, b)
    root = z.tanh()
    steps = viz.backward_steps(root, focus=ws[1])
    # on the paths: w1, z, root; beside them only x1 (∂z/∂w1 = x1)
    assert set(steps.nodes) == {ws[1], xs[1], z, root}
    for hidden in ws[:1] + ws[2:] + xs[:1] + xs[2:] + [b]:
        assert hidden not in steps.ids
    others = dict(zip(steps.nodes, steps.others))
    assert others == {ws[1]: 0, xs[1]: 0, z: 7, root: 0}  # 3 weights, 3 inputs and b
    (step_z,) = [s for s in steps if steps.nodes[s.node] is z]
    assert [(steps.nodes[p.parent], p.position) for p in step_z.pushes] == [(ws[1], 1), (xs[1], 5)]
    # hand values: ∂root/∂z = 1 - tanh², ∂root/∂w1 = that × x1
    zv = sum(w.data * x.data for w, x in zip(ws, xs)) + b.data
    dz = 1 - math.tanh(zv) ** 2
    assert steps.grad_of(z) == pytest.approx(dz, rel=1e-14)
    assert steps.grad_of(ws[1]) == pytest.approx(dz * xs[1].data, rel=1e-14)
    assert steps.to_dict()["nodes"][steps.ids[z]]["others"] == 7


def test_the_running_sums_follow_the_engines_order_bit_for_bit():
    # A leaf s given to one dot at both halves, after s·p has given it a
    # gradient: its sum is (p + a) + c in the engine's order (dot pushes each
    # pair wᵢ, xᵢ together) and (p + c) + a in the parents' order.  Numbers
    # for which the two differ, so that the steps must follow the engine.
    import random

    from autodiff import dot

    rng = random.Random(3)
    while True:
        a, c, p = (rng.uniform(-1, 1) * 10.0 ** rng.randint(-3, 3) for _ in range(3))
        if (p + a) + c != (p + c) + a:
            break
    A, C, S, P = Value(a, label="a"), Value(c, label="c"), Value(1.0, label="s"), Value(p)
    root = dot([A, S], [S, C]) + S * P
    steps = viz.backward_steps(root)
    (expected,) = grad(root, [S])
    assert expected == (p + a) + c
    assert steps.grad_of(S) == expected
    (step_dot,) = [s for s in steps if steps.nodes[s.node].op == "dot"]
    assert [p.position for p in step_dot.pushes] == [0, 2, 1, 3]
