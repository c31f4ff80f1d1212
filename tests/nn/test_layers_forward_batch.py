"""`forward_batch`: a model's outputs for a whole batch, the nodes of one
call per sample (same labels, ops, wiring and numbers), with errors naming
the sample.  Oracle for the numbers: a plain-float forward pass written here;
for the structure, the per-sample calls the method promises to equal."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import Value
from nn import batch_loss
from nn.layers import MLP, Layer, Neuron
from nn.module import Module


def _plain(model, x):
    """The MLP's outputs with floats and loops only."""
    fns = {"relu": lambda z: max(z, 0.0), "tanh": math.tanh, "linear": lambda z: z}
    a = [float(v) for v in x]
    for layer in model.layers:
        a = [
            fns[n.activation](sum(w.data * ak for w, ak in zip(n.w, a)) + n.b.data)
            for n in layer.neurons
        ]
    return a


def _shape(outputs):
    """Every node below ``outputs`` as (label, op, data, parents by position)."""
    roots = [o for out in outputs for o in (out if isinstance(out, list) else [out])]
    order = autodiff.topological_order(roots)
    where = {node: i for i, node in enumerate(order)}
    return [
        (n.label, n.op, n.data, tuple(where[p] for p in n.parents)) for n in order
    ], order


def _inputs(n, nin, seed):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 3),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(["relu", "tanh", "linear"]),
    st.sampled_from(["dot", "products"]),
    st.integers(0, 10_000),
)
def test_mlp_batch_makes_the_nodes_of_one_call_per_sample(nin, nouts, act, mode, seed):
    model = MLP(nin, nouts, activation=act, seed=seed, weighted_sum=mode)
    X = _inputs(4, nin, seed)
    batch = model.forward_batch(X)
    single = [model(x) for x in X]
    assert _shape(batch)[0] == _shape(single)[0]  # labels, ops, numbers, wiring
    for out, x in zip(batch, X):
        outs = out if isinstance(out, list) else [out]
        assert all(isinstance(o, Value) for o in outs)
        for o, e in zip(outs, _plain(model, x)):
            assert math.isclose(o.data, e, rel_tol=1e-12, abs_tol=1e-12)
    # and they share the model's parameter leaves, so gradients reach them
    _, order = _shape(batch)
    assert set(model.parameters()) <= set(order)


def test_layer_and_neuron_batches_equal_their_calls():
    layer = Layer(3, 2, "tanh", layer=2, seed=1)
    neuron = Neuron(3, "relu", layer=3, index=1, seed=2)
    single_out = Layer(3, 1, seed=3)
    X = _inputs(5, 3, 4)
    for module in (layer, neuron, single_out):
        batch = module.forward_batch(X)
        assert _shape(batch)[0] == _shape([module(x) for x in X])[0]
    assert all(isinstance(out, list) and len(out) == 2 for out in layer.forward_batch(X))
    assert all(isinstance(out, Value) for out in single_out.forward_batch(X))
    assert neuron.forward_batch(X)[0].label == neuron(X[0]).label == "a⁽³⁾₁"


def test_mixed_neurons_take_the_per_sample_path_with_the_same_result():
    layer = Layer(2, 3, seed=5)
    layer.neurons[1].weighted_sum = "products"
    layer.neurons[2].activation = "sigmoid"
    X = _inputs(3, 2, 6)
    assert _shape(layer.forward_batch(X))[0] == _shape([layer(x) for x in X])[0]


def test_values_given_as_inputs_are_used_and_gradients_flow_to_them():
    model = MLP(2, [3, 1], seed=7)
    x = [Value(0.5, "x0"), Value(-1.5, "x1")]
    (out,) = model.forward_batch([x])
    assert out.data == model(x).data
    out.backward()
    expected = autodiff.grad(model(x), x)
    assert [v.grad for v in x] == pytest.approx(expected, rel=1e-15)


def test_batch_loss_is_the_same_through_the_batch_path():
    model = MLP(2, [4, 4, 1], seed=8)
    X, y = _inputs(6, 2, 9), [1, -1, 1, 1, -1, -1]
    cost, outputs = batch_loss(model, X, y, "hinge", l2=1e-3)
    per_sample = [model(x) for x in X]
    expected = autodiff.sum(
        [(1 + -t * out).relu() for out, t in zip(per_sample, y)]
    ) * (1.0 / len(X)) + 1e-3 * autodiff.sum([p * p for p in model.parameters()])
    assert cost.data == expected.data
    assert [o.data for o in outputs] == [o.data for o in per_sample]


def test_a_module_of_ones_own_batches_through_its_call():
    class Doubler(Module):
        def __call__(self, x):
            return Value(2.0) * x[0]

    outputs = Doubler().forward_batch([[1.5], [Value(-2.0)]])
    assert [o.data for o in outputs] == [3.0, -4.0]


def test_empty_batch_gives_an_empty_list():
    assert MLP(2, [3, 1], seed=1).forward_batch([]) == []
    assert Layer(2, 3, seed=1).forward_batch([]) == []
    assert Neuron(2, seed=1).forward_batch(()) == []


@pytest.mark.parametrize("module", [MLP(2, [3, 1], seed=1), Layer(2, 3, seed=1), Neuron(2)])
def test_errors_name_the_sample(module):
    with pytest.raises(ValueError, match=r"X\[1\]: input has 3 values, but the model takes 2"):
        module.forward_batch([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match=r"X\[0\]: input\[1\] must be a real number or a Value"):
        module.forward_batch([[1.0, "a"]])
    with pytest.raises(TypeError, match=r"X must be a sequence of samples, got int"):
        module.forward_batch(3)
    with pytest.raises(TypeError, match=r"X\[0\]: input must be a sequence"):
        module.forward_batch([1.0, 2.0])


def test_a_numpy_batch_is_read_row_by_row():
    np = pytest.importorskip("numpy", reason="the batch is a NumPy array here")
    model = MLP(2, [3, 1], seed=4)
    X = np.array(_inputs(4, 2, 5))
    batch = model.forward_batch(X)
    assert [o.data for o in batch] == [model(list(x)).data for x in X]
