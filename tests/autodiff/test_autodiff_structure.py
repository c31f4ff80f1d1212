"""Structural cases with hand-derived gradients: reuse, x*x, diamonds, deep
chains, freeing, repeated backward, zero_grad, grad(), detach and repr."""

import math
import weakref

import pytest

import autodiff
from autodiff import Value

# -- Value itself ------------------------------------------------------------


def test_value_stores_data_as_float_and_starts_as_a_leaf():
    for given, expected in ((3, 3.0), (True, 1.0), (False, 0.0), (2.5, 2.5)):
        v = Value(given)
        assert type(v.data) is float and v.data == expected
        assert v.grad == 0.0 and v.label == "" and v.op == "" and v.parents == ()


def test_value_keeps_its_slots_and_takes_users_own_attributes():
    v = Value(1.0)
    assert {"data", "grad", "label", "parents"} <= set(Value.__slots__)
    v.something_else = 1  # a user's own attribute, kept in the node's __dict__
    assert v.something_else == 1 and v.__dict__ == {"something_else": 1}
    assert "data" not in v.__dict__  # the engine's own attributes stay in slots


def test_equality_and_hash_are_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and not (a == b) and a == a
    assert len({a, b}) == 2
    assert {a: "a", b: "b"}[b] == "b"


def test_comparisons_compare_data_and_return_bool():
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a <= b) is True and (a > b) is False and (a >= b) is False
    assert (a < 1.5) is True and (a >= 1) is True and (3 > a) is True and (0.5 >= a) is False
    assert max([Value(3.0), Value(-1.0), Value(7.0)]).data == 7.0


def test_x_times_x_keeps_both_parents_and_gets_2x():
    x = Value(3.0)
    y = x * x
    assert y.parents == (x, x) and y.op == "*"
    y.backward()
    assert x.grad == 6.0


def test_parents_keep_order():
    x, y = Value(2.0), Value(5.0)
    assert (x - y).parents == (x, y)
    assert (y - x).parents == (y, x)
    assert (x / y).parents == (x, y)


def test_reflected_operators_put_the_number_first():
    x = Value(4.0)
    for expr, expected, op in (
        (2 + x, 6.0, "+"),
        (2 - x, -2.0, "-"),
        (2 * x, 8.0, "*"),
        (2 / x, 0.5, "/"),
        (2**x, 16.0, "**"),
    ):
        assert expr.data == expected and expr.op == op
        const, var = expr.parents
        assert var is x and const.op == "" and const.label == "" and const.data == 2.0


def test_reused_intermediate_gets_gradient_from_every_use():
    a = Value(1.5)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0 and c.grad == 1.0


def test_diamond():
    # y = (x*2) * (x+3): dy/dx = 2(x+3) + 2x = 4x + 6
    x = Value(1.25)
    left = x * 2
    right = x + 3
    y = left * right
    y.backward()
    assert x.grad == pytest.approx(4 * 1.25 + 6, rel=1e-15)
    assert left.grad == right.data and right.grad == left.data


def test_intermediates_receive_their_gradients():
    # y = tanh(w*x + b); dy/dz = 1 - tanh(z)^2 at every intermediate
    w, x, b = Value(-0.5), Value(2.0), Value(0.25)
    s = w * x
    z = s + b
    y = z.tanh()
    y.backward()
    dz = 1 - math.tanh(-0.75) ** 2
    assert y.grad == 1.0
    assert z.grad == pytest.approx(dz, rel=1e-15)
    assert s.grad == pytest.approx(dz, rel=1e-15)
    assert w.grad == pytest.approx(dz * 2.0, rel=1e-15)
    assert x.grad == pytest.approx(dz * -0.5, rel=1e-15)
    assert b.grad == pytest.approx(dz, rel=1e-15)


def test_sum_and_dot_are_single_nodes_with_ordered_parents():
    ws = [Value(1.0), Value(-2.0), Value(0.5)]
    xs = [Value(3.0), Value(4.0), Value(-6.0)]
    d = autodiff.dot(ws, xs)
    assert d.op == "dot" and d.parents == (*ws, *xs)
    assert d.data == 1 * 3 - 2 * 4 + 0.5 * -6
    d.backward()
    assert [w.grad for w in ws] == [3.0, 4.0, -6.0]
    assert [x.grad for x in xs] == [1.0, -2.0, 0.5]
    s = autodiff.sum([ws[0], ws[0], 2.0, xs[1]])
    assert s.op == "sum" and len(s.parents) == 4 and s.parents[0] is ws[0] and s.parents[1] is ws[0]
    assert s.data == 1.0 + 1.0 + 2.0 + 4.0


def test_sum_of_repeated_value_counts_each_occurrence():
    x = Value(0.3)
    s = autodiff.sum([x] * 5)
    s.backward()
    assert x.grad == 5.0


def test_dot_with_shared_value_on_both_sides():
    # dot([x, x], [x, 3]) = x^2 + 3x, derivative 2x + 3
    x = Value(2.0)
    d = autodiff.dot([x, x], [x, 3])
    d.backward()
    assert d.data == 10.0 and x.grad == 7.0


def test_numbers_in_sum_and_dot_become_constant_leaves():
    x = Value(2.0)
    s = autodiff.sum([1, x, 2.5])
    assert s.data == 5.5
    assert [p.op for p in s.parents] == ["", "", ""] and s.parents[1] is x
    d = autodiff.dot([2, x], [x, 1])
    assert d.data == 6.0


def test_empty_sum_and_dot_are_zero_leaves():
    assert autodiff.sum([]).data == 0.0
    assert autodiff.dot([], []).data == 0.0


# -- backward, twice, and zero_grad ------------------------------------------


def test_backward_twice_doubles_every_gradient_exactly():
    a = Value(1.7)
    b = a * a
    c = b * b
    c.backward()
    first = (a.grad, b.grad, c.grad)
    assert first == pytest.approx((4 * 1.7**3, 2 * 1.7**2, 1.0), rel=1e-14)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (2 * first[0], 2 * first[1], 2 * first[2])


def test_backward_from_an_intermediate_adds_to_existing_grads():
    x = Value(3.0)
    y = x * x
    z = y + x
    z.backward()  # dz/dx = 2x + 1 = 7, dz/dy = 1
    y.backward()  # dy/dx = 6 more, y.grad grows by 1
    assert x.grad == 13.0 and y.grad == 2.0 and z.grad == 1.0


def test_zero_grad_zeros_every_reachable_node():
    x, w = Value(2.0), Value(-1.0)
    h = (x * w).tanh()
    y = h * h + x
    y.backward()
    assert x.grad != 0.0 and w.grad != 0.0 and h.grad != 0.0
    other = Value(5.0)
    other.grad = 3.0
    y.zero_grad()
    assert all(n.grad == 0.0 for n in autodiff.topological_order(y))
    assert other.grad == 3.0  # not reachable: untouched
    y.backward()
    assert x.grad == pytest.approx(2 * math.tanh(-2) * (1 - math.tanh(-2) ** 2) * -1 + 1, rel=1e-14)


# -- grad() ------------------------------------------------------------------


def test_grad_returns_gradients_and_touches_no_grad():
    x, y = Value(2.0), Value(-3.0)
    u = x * y
    f = u * x + y.exp()
    expected = [2 * 2.0 * -3.0, 4.0 + math.exp(-3.0)]  # [2xy, x^2 + e^y]
    assert autodiff.grad(f, [x, y]) == pytest.approx(expected, rel=1e-15)
    assert all(n.grad == 0.0 for n in autodiff.topological_order(f))


def test_grad_accepts_one_value_and_gives_zero_for_unrelated_inputs():
    x, unrelated = Value(2.0), Value(1.0)
    f = x * x
    assert autodiff.grad(f, x) == [4.0]
    assert autodiff.grad(f, [unrelated, x]) == [0.0, 4.0]
    assert autodiff.grad(f, [f]) == [1.0]  # d f/d f
    assert autodiff.grad(f, [u for u in (x,)]) == [4.0]
    assert autodiff.grad(f, []) == []


def test_grad_with_create_graph_returns_values_for_any_order():
    x = Value(2.0)
    f = x**3
    (d1,) = autodiff.grad(f, [x], create_graph=True)
    assert isinstance(d1, Value) and d1.data == 12.0  # 3x^2
    (d2,) = autodiff.grad(d1, [x], create_graph=True)
    assert isinstance(d2, Value) and d2.data == 12.0  # 6x
    (d3,) = autodiff.grad(d2, [x], create_graph=True)
    assert d3.data == 6.0
    (d4,) = autodiff.grad(d3, [x])
    assert d4 == 0.0
    assert x.grad == 0.0


def test_grad_with_create_graph_of_unrelated_input_is_a_zero_value():
    x, y = Value(2.0), Value(5.0)
    g = autodiff.grad(x * x, [y], create_graph=True)
    assert isinstance(g[0], Value) and g[0].data == 0.0


def test_mixed_partials_by_nested_grad():
    # f = x^2 y^3: d2f/dxdy = 6 x y^2
    x, y = Value(1.5), Value(-2.0)
    f = x**2 * y**3
    dfdx, dfdy = autodiff.grad(f, [x, y], create_graph=True)
    assert autodiff.grad(dfdx, [y]) == pytest.approx([6 * 1.5 * 4.0], rel=1e-14)
    assert autodiff.grad(dfdy, [x]) == pytest.approx([6 * 1.5 * 4.0], rel=1e-14)


def test_backward_on_a_gradient_graph():
    # g = d(sin x)/dx = cos x, then backward on g gives -sin x
    x = Value(0.7)
    (g,) = autodiff.grad(x.sin(), [x], create_graph=True)
    g.backward()
    assert x.grad == pytest.approx(-math.sin(0.7), rel=1e-15)


# -- no cycles: graphs are freed by reference counting alone -----------------


def _build(x):
    u = x * x
    v = u.tanh() + u.exp() / (x + 2.0)
    w = autodiff.dot([v, u], [x, 3.0]) + autodiff.sum([v, x, 1.0])
    return u, w


@pytest.mark.parametrize("after", ["forward", "backward", "grad", "create_graph"])
def test_graph_is_freed_without_the_cycle_collector(gc_disabled, after):
    x = Value(0.5)
    u, w = _build(x)
    extra = None
    if after == "backward":
        w.backward()
    elif after == "grad":
        autodiff.grad(w, [x, u])
    elif after == "create_graph":
        extra = autodiff.grad(w, [x], create_graph=True)
    refs = [weakref.ref(n) for n in autodiff.topological_order(w) if n is not x]
    assert refs and all(r() is not None for r in refs)
    del u, w
    if extra is not None:
        # the gradient graph refers to the original nodes; it goes with them
        extra_refs = [weakref.ref(n) for n in autodiff.topological_order(extra) if n is not x]
        assert extra_refs
        del extra
        assert [r for r in extra_refs if r() is not None] == []
    assert [r for r in refs if r() is not None] == []
    assert x.data == 0.5


def test_leaf_is_not_kept_alive_by_its_graph_users(gc_disabled):
    x = Value(1.0)
    y = x * 2
    ref = weakref.ref(x)
    del x
    assert ref() is not None  # y still needs it
    del y
    assert ref() is None


# -- detach and repr ---------------------------------------------------------


def test_detach_returns_a_leaf_with_the_same_data():
    x = Value(3.0)
    y = (x * x).tanh()
    d = y.detach()
    assert d is not y and d.data == y.data and d.op == "" and d.parents == () and d.grad == 0.0
    (d * x).backward()
    assert x.grad == d.data and y.grad == 0.0


def test_repr_shows_data_grad_and_label():
    v = Value(2.5, label="w⁽¹⁾₀₁")
    v.grad = -0.75
    text = repr(v)
    assert "2.5" in text and "-0.75" in text and "w⁽¹⁾₀₁" in text
    unlabelled = repr(Value(1.0))
    assert "1.0" in unlabelled and "0.0" in unlabelled


def test_labels_are_kept_and_results_are_unlabelled():
    x = Value(1.0, label="x")
    y = x + 1
    assert x.label == "x" and y.label == ""
    y.label = "y"
    assert y.label == "y"


def test_dot_with_a_bias_is_one_node():
    # z = w0 a0 + w1 a1 + b, the neuron's weighted input
    w = [Value(0.5), Value(-1.5)]
    a = [Value(2.0), Value(4.0)]
    b = Value(0.25)
    z = autodiff.dot(w, a, b)
    assert z.op == "dot" and z.parents == (*w, *a, b)
    assert z.data == 0.5 * 2.0 - 1.5 * 4.0 + 0.25
    z.backward()
    assert [v.grad for v in w] == [2.0, 4.0] and [v.grad for v in a] == [0.5, -1.5]
    assert b.grad == 1.0
    assert autodiff.dot([Value(2.0)], [3.0], 1).data == 7.0
    assert autodiff.dot([], [], b).data == 0.25


# -- the one traversal -------------------------------------------------------


def test_topological_order_of_several_roots_lists_each_node_once_after_its_parents():
    x, y = Value(1.0), Value(2.0)
    u = x * y
    v = u + x
    w = u.exp()
    order = autodiff.topological_order([v, w, v])
    assert len(order) == len(set(order)) == 5
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)
    assert autodiff.topological_order(x) == [x]


def test_leaves_made_the_short_way_keep_every_check():
    class Name(str):
        pass

    for v, label in ((Value(1.5), ""), (Value(1.5, "x"), "x"), (Value(1.5, label="y"), "y"),
                     (Value(1.5, (), "", Name("z")), "z")):
        assert (v.data, v.grad, v.label, v.op, v.parents) == (1.5, 0.0, label, "", ())
    with pytest.raises(TypeError, match="_op must be a str"):
        Value(1.0, (), 0)
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=None)
    with pytest.raises(TypeError, match="a str second argument is the label"):
        Value(1.0, "x", label="y")
    with pytest.raises(TypeError, match="data must be a real number"):
        Value("1.0")
