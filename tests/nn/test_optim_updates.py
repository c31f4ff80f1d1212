"""nn.optim: SGD and Adam updates against their hand-written formulas and
against torch.optim (float64, same gradients), schedules, and validation."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value
from nn import MLP
from nn.optim import SGD, Adam

GRADS = [[0.5, -1.25, 2.0], [0.1, 0.3, -0.7], [-2.0, 0.0, 1.5], [0.25, -0.5, 0.75]]
START = [0.3, -0.6, 1.1]


def run(opt_class, steps, **kwargs):
    params = [Value(v) for v in START]
    opt = opt_class(params, **kwargs)
    history = []
    for t in range(steps):
        opt.zero_grad()
        assert all(p.grad == 0.0 for p in params)
        for p, g in zip(params, GRADS[t % len(GRADS)]):
            p.grad = g
        opt.step()
        history.append([p.data for p in params])
    return history, opt


def test_plain_sgd_is_p_minus_lr_g():
    history, opt = run(SGD, 2, lr=0.1)
    assert history[0] == [p - 0.1 * g for p, g in zip(START, GRADS[0])]
    assert history[1] == [p - 0.1 * g for p, g in zip(history[0], GRADS[1])]
    assert opt.steps == 2


def test_sgd_momentum_and_weight_decay_by_hand():
    mu, wd, lr = 0.9, 0.01, 0.05
    history, _ = run(SGD, 3, lr=lr, momentum=mu, weight_decay=wd)
    p = list(START)
    buf = None
    for t in range(3):
        g = [gi + wd * pi for gi, pi in zip(GRADS[t], p)]
        buf = g if buf is None else [mu * b + gi for b, gi in zip(buf, g)]
        p = [pi - lr * b for pi, b in zip(p, buf)]
        assert history[t] == pytest.approx(p, rel=1e-15, abs=1e-15)


def test_adam_by_hand():
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.95, 1e-6, 0.1
    history, _ = run(Adam, 4, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    p = list(START)
    m = [0.0] * 3
    v = [0.0] * 3
    for t in range(1, 5):
        g = [gi + wd * pi for gi, pi in zip(GRADS[t - 1], p)]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - b1**t) for mi in m]
        v_hat = [vi / (1 - b2**t) for vi in v]
        p = [pi - lr * mh / (math.sqrt(vh) + eps) for pi, mh, vh in zip(p, m_hat, v_hat)]
        assert history[t - 1] == pytest.approx(p, rel=1e-12, abs=1e-15)


def test_lr_schedule_gets_the_zero_based_step_number():
    seen = []

    def schedule(k):
        seen.append(k)
        return 1.0 - 0.9 * k / 100

    history, _ = run(SGD, 3, lr=schedule)
    assert seen == [0, 1, 2]
    assert history[0] == [p - 1.0 * g for p, g in zip(START, GRADS[0])]
    assert history[2] == [p - (1.0 - 0.9 * 2 / 100) * g for p, g in zip(history[1], GRADS[2])]


@settings(max_examples=25)
@given(
    kind=st.sampled_from(["sgd", "adam"]),
    lr=st.floats(1e-3, 0.5),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
    beta1=st.floats(0.0, 0.95),
)
def test_matches_torch_optim_for_a_few_steps(kind, lr, momentum, weight_decay, beta1):
    torch = pytest.importorskip("torch", reason="torch.optim is the oracle")
    params = [Value(v) for v in START]
    tparams = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    if kind == "sgd":
        ours = SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
        theirs = torch.optim.SGD(tparams, lr=lr, momentum=momentum, weight_decay=weight_decay)
    else:
        ours = Adam(params, lr=lr, betas=(beta1, 0.99), weight_decay=weight_decay)
        theirs = torch.optim.Adam(tparams, lr=lr, betas=(beta1, 0.99), weight_decay=weight_decay)
    for t in range(4):
        for p, tp, g in zip(params, tparams, GRADS[t]):
            p.grad = g
            tp.grad = torch.tensor(g, dtype=torch.float64)
        ours.step()
        theirs.step()
        for p, tp in zip(params, tparams):
            assert math.isclose(p.data, tp.item(), rel_tol=1e-12, abs_tol=1e-14)


def test_an_optimizer_accepts_a_module_and_zeroes_its_gradients():
    model = MLP(2, [2, 1], seed=0)
    opt = Adam(model)
    assert opt.params == model.parameters()
    model([1.0, 2.0]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip_restores_the_buffers():
    params = [Value(1.0), Value(2.0)]
    opt = Adam(params, lr=0.1)
    for p in params:
        p.grad = 0.5
    opt.step()
    state = opt.state_dict()
    opt.step()
    assert opt.steps == 2 and opt.m != state["m"]
    opt.load_state_dict(state)
    assert opt.steps == 1 and opt.m == state["m"] and opt.v == state["v"]
    with pytest.raises(ValueError, match="not an optimiser state"):
        opt.load_state_dict({"m": []})


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: SGD(p, lr=0), ValueError, "lr must be a finite number > 0"),
        (lambda p: SGD(p, lr=-0.1), ValueError, "lr must be"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "lr must be"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a real number"),
        (
            lambda p: SGD(p, lr=0.1, momentum=1.0),
            ValueError,
            "momentum must be a finite number >= 0.0 and < 1.0",
        ),
        (lambda p: SGD(p, lr=0.1, momentum=-0.1), ValueError, "momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda p: Adam(p, betas=(0.9,)), ValueError, "betas must be a pair"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
        (lambda p: Adam(p, eps=0.0), ValueError, "eps must be a finite number > 0"),
        (lambda p: SGD([], lr=0.1), ValueError, "params is empty"),
        (lambda p: SGD([p[0], p[0]], lr=0.1), ValueError, r"params\[1\] .* appears twice"),
        (lambda p: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value, got float"),
        (lambda p: SGD(p[0], lr=0.1), TypeError, "iterable of Values"),
        (lambda p: SGD(5, lr=0.1), TypeError, "iterable of Values, got int"),
    ],
)
def test_bad_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make([Value(1.0), Value(2.0)])


def test_a_bad_schedule_value_stops_before_any_change():
    params = [Value(1.0)]
    params[0].grad = 1.0
    opt = SGD(params, lr=lambda k: -1.0)
    with pytest.raises(ValueError, match=r"lr schedule returned a bad value: lr\(0\)"):
        opt.step()
    assert params[0].data == 1.0 and opt.steps == 0
