"""grad(..., stop_at=): gradients along the paths that avoid given nodes; and
numbers too large for a float64."""

import math

import pytest

from autodiff import Value, grad


def test_stop_at_keeps_only_the_paths_that_avoid_the_stop_nodes():
    w, x = Value(2.0), Value(3.0)
    z = w * x
    loss = z * z + w * w  # ∂/∂w = 2z·x + 2w = 36 + 4; avoiding z: 2w = 4
    assert grad(loss, [w]) == [2 * 6.0 * 3.0 + 2 * 2.0]
    assert grad(loss, [w], stop_at=[z]) == [2 * 2.0]
    assert grad(loss, [w], stop_at=z) == [2 * 2.0]  # a single Value is accepted
    # The stop node's own gradient is still given, and nothing flows past it.
    assert grad(loss, [z, x], stop_at=[z]) == [2 * 6.0, 0.0]


def test_stop_at_with_create_graph_gives_differentiable_results():
    w = Value(0.5)
    z = w.tanh()
    loss = z * w  # avoiding z: ∂/∂w = z, a function of w
    (g,) = grad(loss, [w], create_graph=True, stop_at=[z])
    assert g.data == pytest.approx(math.tanh(0.5), rel=1e-15)
    (gg,) = grad(g, [w])
    assert gg == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-12)


def test_stop_at_rejects_non_values():
    w = Value(1.0)
    with pytest.raises(TypeError, match=r"stop_at\[0\] must be a Value, got float"):
        grad(w * w, [w], stop_at=[1.0])


def test_ints_too_large_for_a_float_get_a_clear_overflow_error():
    with pytest.raises(OverflowError, match="Value data is too large for a float64"):
        Value(10**400)
    with pytest.raises(OverflowError, match="operand is too large for a float64"):
        Value(1.0) + 10**400
    # Comparisons need no conversion: Python compares floats with ints exactly.
    assert Value(1e308) < 10**400 and not Value(1e308) >= 10**400


def test_foreign_types_are_named_with_their_module():
    np = pytest.importorskip("numpy", reason="numpy names its bool type numpy.bool")
    with pytest.raises(TypeError, match=r"got numpy\.bool"):
        Value(np.bool_(True))
