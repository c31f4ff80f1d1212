"""nn.losses: values against hand formulas and PyTorch (float64), gradients
against PyTorch autograd and central differences, and the argument checks."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff import Value, numerical_grad, topological_order
from nn import losses

torch = pytest.importorskip("torch", reason="PyTorch is the float64 oracle for the losses")
F = torch.nn.functional

finite = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)


def t64(xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def close(a, b, tol=1e-12):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


# --------------------------------------------------------------------------
# squared_error and mse


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_squared_error_matches_hand_formula_and_torch(pairs):
    a = [Value(p) for p, _ in pairs]
    y = [q for _, q in pairs]
    loss = losses.squared_error(a, y)
    loss.backward()
    assert close(loss.data, sum((p - q) ** 2 for p, q in pairs), 1e-12)
    ta = t64([p for p, _ in pairs])
    F.mse_loss(ta, torch.tensor(y, dtype=torch.float64), reduction="sum").backward()
    for node, expected_grad, (p, q) in zip(a, ta.grad.tolist(), pairs):
        assert close(node.grad, expected_grad)
        assert close(node.grad, 2 * (p - q))  # Backpropagation Explained: ∂C₀/∂aⱼ = 2(aⱼ − yⱼ)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_mse_matches_torch_mean(pairs):
    a = [Value(p) for p, _ in pairs]
    y = [q for _, q in pairs]
    loss = losses.mse(a, y)
    loss.backward()
    ta = t64([p for p, _ in pairs])
    expected = F.mse_loss(ta, torch.tensor(y, dtype=torch.float64))
    expected.backward()
    assert close(loss.data, expected.item())
    for node, g in zip(a, ta.grad.tolist()):
        assert close(node.grad, g)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6))
def test_half_squared_error_gradient_is_a_minus_y(pairs):
    a = [Value(p) for p, _ in pairs]
    y = [q for _, q in pairs]
    loss = losses.half_squared_error(a, y)
    loss.backward()
    assert close(loss.data, 0.5 * sum((p - q) ** 2 for p, q in pairs), 1e-12)
    ta = t64([p for p, _ in pairs])
    (0.5 * F.mse_loss(ta, torch.tensor(y, dtype=torch.float64), reduction="sum")).backward()
    for node, expected_grad, (p, q) in zip(a, ta.grad.tolist(), pairs):
        assert close(node.grad, expected_grad)
        assert node.grad == p - q  # exactly: ½ · 2(a − y)
    with pytest.raises(ValueError, match="half_squared_error: outputs and targets"):
        losses.half_squared_error([Value(1.0)], [1.0, 2.0])


def test_squared_error_single_value_and_value_targets():
    a = Value(0.75)
    loss = losses.squared_error(a, 0.25)
    assert loss.data == 0.25
    target = Value(2.0)
    loss2 = losses.squared_error([a], [target])
    loss2.backward()
    assert loss2.data == (0.75 - 2.0) ** 2
    assert a.grad == 2 * (0.75 - 2.0)
    assert target.grad == -2 * (0.75 - 2.0)  # a Value target is differentiated too


def test_squared_error_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match=r"3 outputs and 2 targets"):
        losses.squared_error([Value(1.0)] * 3, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"2 outputs and 1 targets"):
        losses.mse([1.0, 2.0], 1.0)


def test_squared_error_rejects_bad_items():
    with pytest.raises(TypeError, match=r"outputs\[1\]"):
        losses.squared_error([Value(1.0), "x"], [1.0, 2.0])
    with pytest.raises(TypeError, match="targets"):
        losses.squared_error([Value(1.0)], "1")
    with pytest.raises(ValueError, match="finite"):
        losses.squared_error([Value(1.0)], [math.nan])
    with pytest.raises(ValueError, match="empty"):
        losses.squared_error([], [])


# --------------------------------------------------------------------------
# hinge


@given(finite, st.sampled_from([1, -1, 1.0, -1.0]))
def test_hinge_matches_relu_formula(score, y):
    s = Value(score)
    loss = losses.hinge(s, y)
    loss.backward()
    assert close(loss.data, max(0.0, 1.0 - y * score))
    ts = t64([score])
    torch.relu(1 - y * ts).sum().backward()
    assert close(s.grad, ts.grad.item())


def test_hinge_has_micrographs_graph_shape():
    # micrograd: (1 + -yi*scorei).relu()  ->  relu( + ( 1, * (-y, s) ) )
    s = Value(0.3)
    loss = losses.hinge(s, -1)
    assert loss.op == "relu"
    (plus,) = loss.parents
    assert plus.op == "+"
    one, product = plus.parents
    assert one.data == 1.0 and not one.parents
    assert product.op == "*"
    assert sorted(p.data for p in product.parents) == [0.3, 1.0]
    assert s in product.parents
    assert len(topological_order(loss)) == 6


def test_hinge_rejects_bad_targets():
    with pytest.raises(ValueError, match=r"1 or -1, got 0"):
        losses.hinge(Value(0.5), 0)
    with pytest.raises(TypeError, match="target must be a real number"):
        losses.hinge(Value(0.5), "1")
    with pytest.raises(TypeError, match="target.data"):
        losses.hinge(Value(0.5), Value(1.0))


# --------------------------------------------------------------------------
# binary cross-entropy


@given(st.floats(0.01, 0.99), st.sampled_from([0.0, 1.0, 0.3, 0.5]))
def test_binary_cross_entropy_matches_torch(p, y):
    prob = Value(p)
    loss = losses.binary_cross_entropy(prob, y)
    loss.backward()
    assert close(loss.data, -(y * math.log(p) + (1 - y) * math.log(1 - p)))
    tp = t64([p])
    F.binary_cross_entropy(tp, torch.tensor([y], dtype=torch.float64)).backward()
    assert close(prob.grad, tp.grad.item(), 1e-10)


def test_binary_cross_entropy_is_ieee_honest_at_0_and_1():
    for p, y, value, grad in [
        (0.0, 0.0, 0.0, 1.0),  # -log(1 - p), gradient 1/(1 - p)
        (1.0, 1.0, 0.0, -1.0),  # -log(p), gradient -1/p
        (0.0, 1.0, math.inf, -math.inf),
        (1.0, 0.0, math.inf, math.inf),
    ]:
        prob = Value(p)
        loss = losses.binary_cross_entropy(prob, y)
        loss.backward()
        assert loss.data == value, (p, y)
        assert prob.grad == grad, (p, y)


def test_binary_cross_entropy_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"prob must be a probability in \[0, 1\], got 1.5"):
        losses.binary_cross_entropy(Value(1.5), 1)
    with pytest.raises(ValueError, match="with_logits"):
        losses.binary_cross_entropy(Value(-0.1), 0)
    with pytest.raises(ValueError, match=r"target must be in \[0, 1\], got 2"):
        losses.binary_cross_entropy(Value(0.5), 2)
    with pytest.raises(TypeError, match="prob"):
        losses.binary_cross_entropy("0.5", 1)


@given(st.floats(-30.0, 30.0), st.sampled_from([0.0, 1.0, 0.25]))
def test_bce_with_logits_matches_torch(x, y):
    logit = Value(x)
    loss = losses.binary_cross_entropy_with_logits(logit, y)
    loss.backward()
    tx = t64([x])
    expected = F.binary_cross_entropy_with_logits(tx, torch.tensor([y], dtype=torch.float64))
    expected.backward()
    assert close(loss.data, expected.item(), 1e-12)
    assert close(logit.grad, tx.grad.item(), 1e-12)


def test_bce_with_logits_gradient_is_right_at_zero_and_extremes():
    for x, y in [(0.0, 0.0), (0.0, 1.0), (0.0, 0.5), (1000.0, 0.0), (-1000.0, 1.0), (1000.0, 1.0)]:
        logit = Value(x)
        loss = losses.binary_cross_entropy_with_logits(logit, y)
        loss.backward()
        sigma = 0.5 if x == 0 else (1.0 if x > 0 else 0.0)
        assert logit.grad == pytest.approx(sigma - y, abs=1e-15), (x, y)
        # max(x, 0) − x·y + log(1 + e^(−|x|))
        expected = max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))
        assert loss.data == pytest.approx(expected, rel=1e-15, abs=1e-15), (x, y)


def test_bce_with_logits_central_differences():
    for x in (-2.0, -0.3, 0.4, 3.0):
        for y in (0.0, 1.0, 0.7):
            logit = Value(x)
            losses.binary_cross_entropy_with_logits(logit, y).backward()
            (numeric,) = numerical_grad(
                lambda v: losses.binary_cross_entropy_with_logits(v, y), [x]
            )
            assert logit.grad == pytest.approx(numeric, abs=1e-7)


# --------------------------------------------------------------------------
# softmax and cross-entropy


@given(st.lists(finite, min_size=1, max_size=6), st.data())
def test_softmax_matches_torch_values_and_vjp(zs, data):
    nodes = [Value(z) for z in zs]
    probs = losses.softmax(nodes)
    tz = t64(zs)
    expected = F.softmax(tz, dim=0)
    for p, e in zip(probs, expected.tolist()):
        assert close(p.data, e)
    # a vector-Jacobian product through both
    v = data.draw(st.lists(finite, min_size=len(zs), max_size=len(zs)))
    from autodiff import sum as vsum

    vsum([vi * p for vi, p in zip(v, probs)]).backward()
    (expected * torch.tensor(v, dtype=torch.float64)).sum().backward()
    for node, g in zip(nodes, tz.grad.tolist()):
        assert math.isclose(node.grad, g, rel_tol=1e-10, abs_tol=1e-12)


@given(st.lists(finite, min_size=1, max_size=6), st.data())
def test_cross_entropy_matches_torch(zs, data):
    t = data.draw(st.integers(0, len(zs) - 1))
    nodes = [Value(z) for z in zs]
    loss = losses.cross_entropy(nodes, t)
    loss.backward()
    tz = t64(zs)
    expected = F.cross_entropy(tz.unsqueeze(0), torch.tensor([t]))
    expected.backward()
    assert close(loss.data, expected.item())
    for node, g in zip(nodes, tz.grad.tolist()):
        assert close(node.grad, g)


def test_cross_entropy_is_stable_for_logits_of_plus_minus_1000():
    zs = [1000.0, -1000.0, 999.0, 0.0]
    # by hand: log Σ e^{zₖ} = 1000 + log(1 + e^{-1}) (the other terms vanish)
    lse = 1000.0 + math.log1p(math.exp(-1.0))
    p0 = 1.0 / (1.0 + math.exp(-1.0))
    p2 = math.exp(-1.0) / (1.0 + math.exp(-1.0))
    for t in range(4):
        nodes = [Value(z) for z in zs]
        loss = losses.cross_entropy(nodes, t)
        loss.backward()
        assert math.isfinite(loss.data)
        assert loss.data == pytest.approx(lse - zs[t], rel=1e-15)
        grads = [n.grad for n in nodes]
        assert all(math.isfinite(g) for g in grads)
        expected = [p0, 0.0, p2, 0.0]
        expected[t] -= 1.0
        assert grads == pytest.approx(expected, abs=1e-15)
        tz = t64(zs)
        F.cross_entropy(tz.unsqueeze(0), torch.tensor([t])).backward()
        assert grads == pytest.approx(tz.grad.tolist(), abs=1e-15)
    probs = losses.softmax([1000.0, -1000.0])
    assert [p.data for p in probs] == [1.0, 0.0]


def test_cross_entropy_central_differences():
    zs = [0.3, -1.2, 2.0]
    for t in range(3):
        nodes = [Value(z) for z in zs]
        losses.cross_entropy(nodes, t).backward()
        numeric = numerical_grad(lambda *v: losses.cross_entropy(list(v), t), zs)
        assert [n.grad for n in nodes] == pytest.approx(numeric, abs=1e-7)


def test_cross_entropy_rejects_bad_class_index():
    zs = [Value(0.0), Value(1.0), Value(2.0)]
    with pytest.raises(IndexError, match=r"target_index 3 is out of range for 3 logits"):
        losses.cross_entropy(zs, 3)
    with pytest.raises(IndexError, match=r"target_index -1"):
        losses.cross_entropy(zs, -1)
    with pytest.raises(TypeError, match=r"int class index, got float 1.0"):
        losses.cross_entropy(zs, 1.0)
    with pytest.raises(TypeError, match="got bool"):
        losses.cross_entropy(zs, True)
    with pytest.raises(ValueError, match="empty"):
        losses.cross_entropy([], 0)
    with pytest.raises(ValueError, match="empty"):
        losses.softmax([])


def test_loss_table_names_every_loss():
    assert set(losses.LOSSES) == {
        "squared_error",
        "mse",
        "half_squared_error",
        "hinge",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "cross_entropy",
    }
    for name, fn in losses.LOSSES.items():
        assert getattr(losses, name) is fn
