"""Layer (b): random expression graphs over the whole op table, against
central differences and PyTorch float64 autograd, to first and second order."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import Value
from autodiff.ops import OPS
from autodiff.testing import assert_gradients_close, expressions

torch = pytest.importorskip("torch", reason="PyTorch float64 autograd is the second oracle")

EXPRESSIONS = st.integers(1, 4).flatmap(lambda n: expressions(n_inputs=n, max_ops=8))


@given(EXPRESSIONS)
def test_backward_matches_central_differences(expr):
    assert_gradients_close(expr, expr.point, oracle="central")


@given(EXPRESSIONS)
def test_backward_matches_torch_float64(expr):
    assert_gradients_close(expr, expr.point, oracle="torch", rtol=1e-9, atol=1e-12)


@given(EXPRESSIONS)
def test_forward_value_matches_torch_float64(expr):
    out = expr(*expr.point)
    t_out = expr.torch(*[torch.tensor(x, dtype=torch.float64) for x in expr.point])
    assert math.isclose(out.data, t_out.item(), rel_tol=1e-9, abs_tol=1e-12)


@given(EXPRESSIONS)
def test_grad_equals_backward_and_leaves_grads_alone(expr):
    xs = [Value(x) for x in expr.point]
    out = expr(*xs)
    by_grad = autodiff.grad(out, xs)
    assert all(n.grad == 0.0 for n in autodiff.topological_order(out))
    out.backward()
    assert [x.grad for x in xs] == by_grad
    out.backward()
    assert [x.grad for x in xs] == [2 * g for g in by_grad]


@settings(max_examples=40)
@given(st.integers(1, 3).flatmap(lambda n: expressions(n_inputs=n, max_ops=6)))
def test_second_derivatives_match_central_differences_of_the_gradient(expr):
    assert_gradients_close(expr, expr.point, oracle="central", order=2)


@settings(max_examples=40)
@given(st.integers(1, 3).flatmap(lambda n: expressions(n_inputs=n, max_ops=6)))
def test_second_derivatives_match_torch_double_backward(expr):
    assert_gradients_close(expr, expr.point, oracle="torch", order=2, rtol=1e-9, atol=1e-12)


# Every entry of the table, inside random graphs: a new entry is picked up
# here (and drawn by the strategies) without editing this file.


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=12)
@given(data=st.data())
def test_each_op_inside_random_graphs(name, data):
    expr = data.draw(expressions(n_inputs=2, max_ops=4, ops=[name]), label="expr")
    assert name in expr.ops_used
    assert_gradients_close(expr, expr.point, oracle="central")
    assert_gradients_close(expr, expr.point, oracle="torch", rtol=1e-9, atol=1e-12)
    assert_gradients_close(expr, expr.point, oracle="torch", order=2, rtol=1e-9, atol=1e-12)


@given(EXPRESSIONS)
def test_topological_order_puts_parents_first_and_lists_each_node_once(expr):
    out = expr(*expr.point)
    order = autodiff.topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    reached = {out}
    for node in reversed(order):
        assert node in reached  # nothing unreachable is listed
        for parent in node.parents:
            assert position[parent] < position[node]
            reached.add(parent)
    assert reached == set(order)
