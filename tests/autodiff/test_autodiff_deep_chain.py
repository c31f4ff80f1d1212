"""A chain of a million nodes: built, differentiated and freed without
recursion and without the cycle collector."""

import math
import weakref

import pytest

import autodiff
from autodiff import Value


@pytest.mark.slow
def test_million_node_chain_backward_matches_closed_form(gc_disabled):
    n = 1_000_000
    x = Value(0.5)
    k = Value(1.0 + 1e-7)
    y = x
    for _ in range(n):
        y = y * k  # y = x k^n: one new node per step, k reused n times
    middle = weakref.ref(y.parents[0])
    y.backward()
    # dy/dx = k^n, dy/dk = n x k^(n-1); the engine multiplies n factors one by
    # one, so allow n rounding errors of 2^-53 each.
    assert x.grad == pytest.approx(math.pow(1.0 + 1e-7, n), rel=1e-9)
    assert k.grad == pytest.approx(n * 0.5 * math.pow(1.0 + 1e-7, n - 1), rel=1e-9)
    assert y.data == pytest.approx(0.5 * math.pow(1.0 + 1e-7, n), rel=1e-9)
    del y
    assert middle() is None  # freed by reference counting, collector off
    assert x.grad > 0 and k.parents == ()


def test_deep_chain_grad_create_graph_and_zero_grad():
    n = 20_000
    x = Value(0.75)
    k = Value(1.0 + 1e-5)
    y = x
    for _ in range(n):
        y = y * k
    (dk,) = autodiff.grad(y, [k], create_graph=True)  # n x k^(n-1), itself a deep graph
    assert dk.data == pytest.approx(n * 0.75 * (1.0 + 1e-5) ** (n - 1), rel=1e-10)
    (dkdx,) = autodiff.grad(dk, [x])  # n k^(n-1)
    assert dkdx == pytest.approx(n * (1.0 + 1e-5) ** (n - 1), rel=1e-10)
    y.backward()
    assert x.grad != 0.0
    y.zero_grad()
    assert x.grad == 0.0 and k.grad == 0.0 and y.grad == 0.0
