"""model.to_torch(): an equivalent float64 torch.nn.Sequential — same
outputs and same gradients for every weight."""

import math
import sys

import pytest

from autodiff import sum as vsum
from nn import MLP, Layer, Neuron

torch = pytest.importorskip("torch", reason="to_torch needs PyTorch")

X = [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4], [-0.7, -0.9, 2.0]]


@pytest.mark.parametrize(
    "act",
    ["relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu", "softplus"],
)
@pytest.mark.parametrize("out_act", ["linear", "sigmoid"])
def test_outputs_and_gradients_match(act, out_act):
    model = MLP(3, [4, 3, 2], activation=act, output_activation=out_act, seed=11)
    net = model.to_torch()
    assert isinstance(net, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    # ours: Σ over samples of (out₀ − 2·out₁)
    terms = []
    for x in X:
        o = model(x)
        terms.append(o[0] - 2.0 * o[1])
    vsum(terms).backward()
    out = net(torch.tensor(X, dtype=torch.float64))
    assert out.shape == (3, 2)
    for x, row in zip(X, out):
        ours = model(x)
        assert [o.data for o in ours] == pytest.approx(row.tolist(), rel=1e-12, abs=1e-12)
    (out[:, 0] - 2.0 * out[:, 1]).sum().backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3
    for layer, lin in zip(model.layers, linears):
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                assert lin.weight[j, k].item() == w.data
                assert math.isclose(
                    lin.weight.grad[j, k].item(), w.grad, rel_tol=1e-12, abs_tol=1e-12
                )
            assert math.isclose(lin.bias.grad[j].item(), n.b.grad, rel_tol=1e-12, abs_tol=1e-12)


def test_activation_modules_follow_the_layers():
    net = MLP(2, [3, 3, 1], activation=["tanh", "relu"], output_activation="sigmoid").to_torch()
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "Tanh", "Linear", "ReLU", "Linear", "Sigmoid"]
    assert [type(m).__name__ for m in MLP(2, [1]).to_torch()] == ["Linear"]


def test_layer_and_neuron_export():
    neuron = Neuron(2, "tanh", seed=1)
    x = [0.5, -0.25]
    out = neuron.to_torch()(torch.tensor(x, dtype=torch.float64))
    assert out.shape == (1,) and out.item() == pytest.approx(neuron(x).data, rel=1e-12)
    layer = Layer(2, 3, "sigmoid", seed=2)
    out = layer.to_torch()(torch.tensor(x, dtype=torch.float64))
    assert out.tolist() == pytest.approx([o.data for o in layer(x)], rel=1e-12)


def test_the_export_is_a_copy():
    model = MLP(2, [2, 1], seed=0)
    net = model.to_torch()
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert model.layers[0].neurons[0].w[0].data != net[0].weight[0, 0].item()


def test_mixed_activations_in_a_layer_are_refused():
    model = MLP(2, [2, 1])
    model.layers[0].neurons[1].activation = "tanh"
    with pytest.raises(ValueError, match="layer 1 mixes activations"):
        model.to_torch()


def test_importing_nn_does_not_import_torch():
    import subprocess

    code = "import nn, sys; print('torch' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_export_reads_only_architecture_and_state_dict():
    class Described:
        """Not an nn class: just the two public descriptions of an MLP."""

        def __init__(self, model):
            self._model = model

        def architecture(self):
            return self._model.architecture()

        def state_dict(self):
            return self._model.state_dict()

    from nn.export import to_torch

    model = MLP(2, [3, 1], activation="tanh", seed=6)
    net = to_torch(Described(model))
    x = [0.25, -0.5]
    assert net(torch.tensor(x, dtype=torch.float64)).item() == pytest.approx(
        model(x).data, rel=1e-12
    )


def test_what_cannot_be_exported_is_refused():
    from nn import Module
    from nn.export import to_torch

    with pytest.raises(TypeError, match="expected an MLP, Layer or Neuron, got int"):
        to_torch(3)
    with pytest.raises(TypeError, match="expected an MLP, Layer or Neuron, got .*Module"):
        Module().to_torch()
    layer = Layer(2, 2, seed=0)
    layer.neurons[1].w.append(layer.neurons[1].w[0])  # resized by hand
    with pytest.raises(ValueError, match="the neurons of layer 1 have different input counts"):
        layer.to_torch()
