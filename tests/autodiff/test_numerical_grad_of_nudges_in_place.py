"""numerical_grad_of: the seeds' nudge of Values a function reads, in place."""

import math

import pytest

from autodiff import Value, numerical_grad_of


def test_matches_hand_derivatives_and_restores_the_data():
    w, b = Value(0.7), Value(-0.3)
    x = 1.5

    def loss():
        return (w * x + b).tanh() ** 2

    grads = numerical_grad_of(loss, [w, b])
    t = math.tanh(0.7 * 1.5 - 0.3)
    dz = 2 * t * (1 - t * t)  # d tanh²(z)/dz, by hand
    assert grads == pytest.approx([dz * x, dz], rel=1e-7)
    assert (w.data, b.data) == (0.7, -0.3)  # exactly restored


def test_restores_the_data_when_f_raises():
    w = Value(2.0)
    calls = []

    def broken():
        calls.append(w.data)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        numerical_grad_of(broken, [w])
    assert calls == [2.0 + 1e-6] and w.data == 2.0


def test_bad_arguments():
    with pytest.raises(TypeError, match=r"values\[1\] must be a Value, got float"):
        numerical_grad_of(lambda: Value(1.0), [Value(1.0), 2.0])
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_grad_of(lambda: Value(1.0), [Value(1.0)], eps=0.0)
    with pytest.raises(TypeError, match="f must return a Value or a number, got str"):
        numerical_grad_of(lambda: "x", [Value(1.0)])
