"""micrograd's ``nonlin=`` on Neuron, Layer and MLP: True is ReLU, False linear."""

import pytest

from nn import MLP, Layer, Neuron


def test_nonlin_means_relu_or_linear_as_in_micrograd():
    assert Neuron(2, nonlin=True).activation == "relu"
    assert Neuron(2, nonlin=False).activation == "linear"
    assert Layer(2, 3, nonlin=False).activation == "linear"
    assert MLP(2, [4, 4, 1], nonlin=False).activations == ["linear", "linear", "linear"]
    assert MLP(2, [4, 4, 1], nonlin=True).activations == ["relu", "relu", "linear"]


def test_a_linear_neuron_outputs_its_weighted_input():
    n = Neuron(2, nonlin=False, seed=3)
    out = n([-5.0, 1.0])
    z = n.w[0].data * -5.0 + n.w[1].data * 1.0 + n.b.data
    assert out.data == pytest.approx(z)
    relu = Neuron(2, nonlin=True, seed=3)([-5.0, 1.0])
    assert relu.data == pytest.approx(max(z, 0.0))


def test_nonlin_is_checked():
    with pytest.raises(TypeError, match="nonlin must be True .relu. or False .linear."):
        Neuron(2, nonlin=1)
    with pytest.raises(ValueError, match="activation= or micrograd's nonlin=, not both"):
        Layer(2, 2, "tanh", nonlin=True)
