"""nn.layers: Neuron/Layer/MLP structure, labels in the seeds' notation, the
forward graph of the conventions, values and gradients against plain-float
and PyTorch oracles, and clear errors for bad arguments."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value
from nn.layers import MLP, Layer, Neuron
from nn.notation import label

ACTS = ["relu", "tanh", "sigmoid", "linear"]


def g(name, z):
    """The activations by their textbook formulas."""
    if name == "relu":
        return z if z > 0 else 0.0
    if name == "tanh":
        return math.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    return z


def plain_forward(model, x):
    """The MLP's output from its weights, with floats and loops only."""
    a = [float(v) for v in x]
    for layer in model.layers:
        a = [
            g(n.activation, sum(w.data * ak for w, ak in zip(n.w, a)) + n.b.data)
            for n in layer.neurons
        ]
    return a


architectures = st.tuples(
    st.integers(1, 4),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(ACTS),
    st.sampled_from(ACTS),
    st.integers(0, 10_000),
)


# -- structure --------------------------------------------------------------


def test_mlp_structure_is_micrographs():
    model = MLP(3, [4, 5, 2])
    assert [len(layer.neurons) for layer in model.layers] == [4, 5, 2]
    assert [len(layer.neurons[0].w) for layer in model.layers] == [3, 4, 5]
    for layer in model.layers:
        for n in layer.neurons:
            assert all(isinstance(w, Value) for w in n.w)
            assert isinstance(n.b, Value) and n.b.data == 0.0
            assert all(-1.0 <= w.data <= 1.0 for w in n.w)
    assert model.activations == ["relu", "relu", "linear"]
    assert model.nin == 3 and model.nouts == [4, 5, 2]


def test_parameter_labels_follow_the_seeds():
    model = MLP(2, [3, 12, 1])
    assert model.layers[1].neurons[1].w[2].label == "w⁽²⁾₁₂"
    assert model.layers[0].neurons[2].b.label == "b⁽¹⁾₂"
    assert model.layers[1].neurons[11].w[0].label == "w⁽²⁾₁₁,₀"
    assert model.layers[2].neurons[0].w[10].label == "w⁽³⁾₀,₁₀"
    for l, layer in enumerate(model.layers, start=1):
        for j, n in enumerate(layer.neurons):
            assert n.b.label == label("b", l, j)
            assert [w.label for w in n.w] == [label("w", l, j, k) for k in range(len(n.w))]


def test_standalone_neuron_and_layer_take_layer_and_index():
    n = Neuron(2, "tanh", layer=3, index=4)
    assert [w.label for w in n.w] == ["w⁽³⁾₄₀", "w⁽³⁾₄₁"]
    assert n.b.label == "b⁽³⁾₄"
    a = n([0.5, -1.0])
    assert a.label == "a⁽³⁾₄" and a.parents[0].label == "z⁽³⁾₄"
    z = a.parents[0]
    assert [x.label for x in z.parents[2:4]] == ["a⁽²⁾₀", "a⁽²⁾₁"]
    layer = Layer(2, 3, "sigmoid", layer=2)
    assert [n.index for n in layer.neurons] == [0, 1, 2]
    assert layer.neurons[2].w[1].label == "w⁽²⁾₂₁"
    outs = layer([1.0, 2.0])
    assert [o.label for o in outs] == ["a⁽²⁾₀", "a⁽²⁾₁", "a⁽²⁾₂"]


# -- the forward graph of the conventions -------------------------------------


def test_dot_forward_graph_matches_the_conventions():
    model = MLP(2, [3, 1], activation="tanh")
    out = model([0.5, -2.0])
    # linear output: no activation node; the z node, one dot node over the
    # weights, the inputs and the bias, is the output
    assert out.label == "z⁽²⁾₀" and out.op == "dot"
    ws, hidden, (b,) = out.parents[:3], out.parents[3:6], out.parents[6:]
    assert b is model.layers[1].neurons[0].b
    assert list(ws) == model.layers[1].neurons[0].w
    assert [h.label for h in hidden] == ["a⁽¹⁾₀", "a⁽¹⁾₁", "a⁽¹⁾₂"]
    assert all(h.op == "tanh" for h in hidden)
    assert [h.parents[0].label for h in hidden] == ["z⁽¹⁾₀", "z⁽¹⁾₁", "z⁽¹⁾₂"]
    # the input leaves are built once per call and shared by every neuron
    inputs = [h.parents[0].parents[2:4] for h in hidden]
    assert inputs[0][0] is inputs[1][0] is inputs[2][0]
    assert [x.label for x in inputs[0]] == ["a⁽⁰⁾₀", "a⁽⁰⁾₁"]
    assert [x.data for x in inputs[0]] == [0.5, -2.0]
    assert all(x.op == "" for x in inputs[0])


def test_products_forward_graph_matches_the_conventions():
    model = MLP(2, [2, 1], activation="relu", weighted_sum="products")
    out = model([1.5, 0.25])
    assert out.op == "sum" and out.label == "z⁽²⁾₀"
    *products, b = out.parents
    assert b is model.layers[1].neurons[0].b
    assert [p.op for p in products] == ["*", "*"]
    assert [p.parents[0] for p in products] == model.layers[1].neurons[0].w
    assert [p.parents[1].label for p in products] == ["a⁽¹⁾₀", "a⁽¹⁾₁"]


def test_values_passed_in_are_used_as_they_are():
    x0, x1 = Value(0.3, label="x"), Value(-0.7)
    neuron = Neuron(2, "linear")
    z = neuron([x0, x1])
    assert z.parents[2] is x0 and z.parents[3] is x1
    assert x0.label == "x" and x1.label == ""


def test_call_returns_a_value_for_one_output_else_a_list():
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    out = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 3)([1.0, 2.0]), list)
    assert isinstance(Neuron(2)([1.0, 2.0]), Value)


def test_inputs_may_be_tuples_and_numpy_rows():
    np = pytest.importorskip("numpy", reason="checks NumPy rows as inputs")
    model = MLP(2, [2, 1], seed=3)
    a = model((0.5, -1.0)).data
    b = model(np.array([0.5, -1.0])).data
    c = model([0.5, -1.0]).data
    assert a == b == c


# -- values and gradients -----------------------------------------------------


@settings(max_examples=40)
@given(architectures, st.lists(st.floats(-2, 2), min_size=4, max_size=4))
def test_forward_values_equal_a_plain_float_forward(arch, xs):
    nin, nouts, act, out_act, seed = arch
    model = MLP(nin, nouts, activation=act, output_activation=out_act, seed=seed)
    x = xs[:nin]
    out = model(x)
    outs = [out] if isinstance(out, Value) else out
    expected = plain_forward(model, x)
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        assert math.isclose(o.data, e, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=40)
@given(architectures, st.lists(st.floats(-2, 2), min_size=4, max_size=4))
def test_dot_and_products_give_the_same_values_and_gradients(arch, xs):
    nin, nouts, act, out_act, seed = arch
    a = MLP(nin, nouts, activation=act, output_activation=out_act, seed=seed)
    b = MLP(nin, nouts, activation=act, output_activation=out_act, seed=seed,
            weighted_sum="products")
    assert b.weighted_sum == "products" and a.weighted_sum == "dot"
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    x = xs[:nin]
    out_a, out_b = a(x), b(x)
    outs_a = [out_a] if isinstance(out_a, Value) else out_a
    outs_b = [out_b] if isinstance(out_b, Value) else out_b
    for oa, ob in zip(outs_a, outs_b):
        assert math.isclose(oa.data, ob.data, rel_tol=1e-12, abs_tol=1e-12)
    # a scalar of every output: Σ (j+1)·outⱼ
    sum(o * (j + 1) for j, o in enumerate(outs_a)).backward()
    sum(o * (j + 1) for j, o in enumerate(outs_b)).backward()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert math.isclose(pa.grad, pb.grad, rel_tol=1e-12, abs_tol=1e-12)


def test_gradients_equal_pytorch_float64():
    torch = pytest.importorskip("torch", reason="PyTorch is the gradient oracle")
    for act in ACTS:
        model = MLP(3, [4, 3, 2], activation=act, output_activation="sigmoid", seed=7)
        x = [0.3, -1.2, 0.8]
        outs = model(x)
        (outs[0] * 2.0 + outs[1] * -0.5).backward()
        # the same network written directly in torch
        fns = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
               "linear": lambda t: t}
        a = torch.tensor(x, dtype=torch.float64)
        Ws, bs = [], []
        for layer in model.layers:
            W = torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                             dtype=torch.float64, requires_grad=True)
            b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                             requires_grad=True)
            Ws.append(W)
            bs.append(b)
            a = fns[layer.activation](W @ a + b)
        (a[0] * 2.0 + a[1] * -0.5).backward()
        for layer, W, b in zip(model.layers, Ws, bs):
            for j, n in enumerate(layer.neurons):
                for k, w in enumerate(n.w):
                    assert math.isclose(w.grad, W.grad[j, k].item(), rel_tol=1e-12, abs_tol=1e-12)
                assert math.isclose(n.b.grad, b.grad[j].item(), rel_tol=1e-12, abs_tol=1e-12)


# -- configuration --------------------------------------------------------------


def test_activation_and_weighted_sum_can_be_changed_and_are_checked():
    n = Neuron(2, "relu", seed=1)
    n.activation = "sigmoid"
    a = n([1.0, 1.0])
    assert a.op == "sigmoid"
    with pytest.raises(ValueError, match="relu.*tanh.*sigmoid.*linear"):
        n.activation = "swish"
    assert n.activation == "sigmoid"
    layer = Layer(2, 2)
    layer.activation = "tanh"
    assert [m.activation for m in layer.neurons] == ["tanh", "tanh"]
    layer.neurons[0].activation = "relu"
    assert layer.activation == ["relu", "tanh"]
    model = MLP(2, [2, 1])
    model.weighted_sum = "products"
    assert model([1.0, 2.0]).op == "sum"
    with pytest.raises(ValueError, match="dot.*products"):
        model.weighted_sum = "matmul"


def test_hidden_activations_may_be_given_per_layer():
    model = MLP(2, [3, 3, 1], activation=["tanh", "relu"], output_activation="sigmoid")
    assert model.activations == ["tanh", "relu", "sigmoid"]
    with pytest.raises(ValueError, match="one per hidden layer"):
        MLP(2, [3, 3, 1], activation=["tanh"])


def test_reprs_are_informative():
    assert repr(Neuron(2, "tanh", layer=2, index=1)) == (
        "Neuron(nin=2, activation='tanh', layer=2, index=1)"
    )
    assert repr(Layer(2, 16, layer=1)) == "Layer(nin=2, nout=16, activation='relu', layer=1)"
    text = repr(MLP(2, [16, 16, 1]))
    assert "nin=2" in text and "[16, 16, 1]" in text and "parameters=337" in text
    assert "'relu', 'relu', 'linear'" in text


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: MLP(2, [3, 1], activation="softmax"), ValueError, "relu.*tanh.*sigmoid.*linear"),
        (lambda: MLP(2, [3, 1], output_activation="selu"), ValueError, "output_activation"),
        (lambda: Neuron(2, "swish"), ValueError, "activation must be one of"),
        (lambda: Layer(2, 2, "mish"), ValueError, "activation must be one of"),
        (lambda: Neuron(0), ValueError, "nin must be an int >= 1, got 0"),
        (lambda: Neuron(-3), ValueError, "nin must be an int >= 1"),
        (lambda: Neuron(2.0), TypeError, "nin must be an int, got float"),
        (lambda: Neuron(True), TypeError, "nin must be an int, got bool"),
        (lambda: Neuron("2"), TypeError, "nin must be an int, got str"),
        (lambda: Layer(2, 0), ValueError, "nout must be an int >= 1"),
        (lambda: Layer(2, None), TypeError, "nout must be an int"),
        (lambda: MLP(2, []), ValueError, "at least one layer"),
        (lambda: MLP(2, 3), TypeError, "nouts must be a list"),
        (lambda: MLP(2, "16"), TypeError, "nouts must be a list"),
        (lambda: MLP(2, [3, 0, 1]), ValueError, r"nouts\[1\] must be an int >= 1"),
        (lambda: MLP(2, [3, 2.5]), TypeError, r"nouts\[1\] must be an int"),
        (lambda: MLP(0, [3]), ValueError, "nin must be"),
        (lambda: Neuron(2, layer=0), ValueError, "layer must be an int >= 1"),
        (lambda: Neuron(2, index=-1), ValueError, "index must be an int >= 0"),
        (lambda: MLP(2, [3], weighted_sum="sum"), ValueError, "weighted_sum must be one of"),
        (lambda: MLP(2, [3], init="lecun"), ValueError, "init must be one of"),
    ],
)
def test_bad_construction_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_wrong_input_length_names_both_lengths():
    model = MLP(3, [2, 1])
    with pytest.raises(ValueError, match="input has 2 values, but the model takes 3"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match="input has 4 values, but the model takes 3"):
        Layer(3, 2)([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="input has 1 value, but the model takes 3"):
        Neuron(3)([1.0])


def test_wrong_input_types_raise_type_errors():
    model = MLP(2, [2, 1])
    with pytest.raises(TypeError, match=r"input\[1\] must be a real number or a Value, got str"):
        model([1.0, "x"])
    with pytest.raises(TypeError, match="input must be a sequence of 2"):
        model(3.0)
    with pytest.raises(TypeError, match="input must be a sequence of 2"):
        model("ab")


def test_a_failed_call_leaves_no_labels_changed():
    model = MLP(2, [2, 1], seed=0)
    before = [(p.label, p.data) for p in model.parameters()]
    with pytest.raises(TypeError):
        model([1.0, None])
    assert [(p.label, p.data) for p in model.parameters()] == before


def test_global_random_drives_the_default_init():
    random.seed(12)
    a = MLP(2, [3, 1])
    random.seed(12)
    b = MLP(2, [3, 1])
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_labelled_nodes_finds_one_forward_call_by_label():
    from nn.notation import labelled_nodes

    model = MLP(2, [3, 1], activation="tanh", seed=1)
    out = model([0.5, -2.0])
    nodes = labelled_nodes(out)
    assert nodes["z⁽²⁾₀"] is out
    assert nodes["w⁽¹⁾₂₁"] is model.layers[0].neurons[2].w[1]
    assert nodes["a⁽¹⁾₁"].op == "tanh" and nodes["a⁽⁰⁾₁"].data == -2.0
    assert set(nodes) == (
        {
            label("w", l, j, k)
            for l, n, m in ((1, 3, 2), (2, 1, 3))
            for j in range(n)
            for k in range(m)
        }
        | {label(s, l, j) for s in "bz" for l, n in ((1, 3), (2, 1)) for j in range(n)}
        | {label("a", 1, j) for j in range(3)} | {label("a", 0, k) for k in range(2)}
    )
    two = model([1.0, 1.0]) + out
    with pytest.raises(ValueError, match="more than one node"):
        labelled_nodes(two)
