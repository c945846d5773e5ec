"""The worked-step core: every arithmetic against central differences, each other and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_same_math
from random_specs import random_spec

from backcalc import parse_spec
from backcalc.arithmetic import ByHand, Exact, Float, round_half_up, round_half_up_array
from backcalc.core import worked_step
from backcalc.mistakes import Mistake, variants
from backcalc.quantities import Calc

SEEDS = range(40)


def _spec(seed: int, **kw):
    return parse_spec(random_spec(seed, **kw), f"<random {seed}>")


def _batch_loss(spec, theta) -> float:
    from backcalc.network import Network

    net = Network(spec)
    net.set_theta(np.asarray(theta, dtype=float))
    w = worked_step(spec, Float(), net=net)
    return float(w.loss)


@pytest.mark.parametrize("seed", SEEDS)
def test_float_gradient_matches_central_differences(seed):
    spec = _spec(seed)
    w = worked_step(spec, Float())
    theta = w.net.theta.astype(float)
    h = 1e-6
    numeric = np.array([(_batch_loss(spec, theta + h * e) - _batch_loss(spec, theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(w.grad, numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_by_hand_unrounded_is_the_same_math_as_float(seed):
    spec = _spec(seed)
    f, h = worked_step(spec, Float()), worked_step(spec, ByHand())
    assert_same_math(h.loss, f.loss, rtol=1e-12)
    assert_same_math(h.grad, f.grad, rtol=1e-9, atol=1e-12)
    assert_same_math(h.new, f.new, rtol=1e-12, atol=1e-15)
    for li in range(len(spec.layers)):
        assert_same_math(h.delta[li], f.delta[li], rtol=1e-9, atol=1e-12)
    # the per-sample gradients reduce to the batch gradient
    reduced = h.grad_samples.sum(axis=0) / (h.n if spec.reduction == "mean" else 1)
    assert_same_math(reduced, h.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [s for s in SEEDS if s % 4 == 0])
def test_exact_agrees_with_float(seed):
    spec = _spec(seed)
    from backcalc.losses import get_loss

    if not get_loss(spec.loss).exact or any(layer.activation in ("sigmoid", "tanh", "softmax")
                                            for layer in spec.layers):
        pytest.skip("not rational")
    e, f = worked_step(spec, Exact()), worked_step(spec, Float())
    assert e.grad.dtype == object
    assert_same_math(e.grad.astype(float), f.grad, rtol=1e-12, atol=1e-15)


def test_vectorised_rounding_is_round_half_up():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(0, 1, 3000), rng.normal(0, 1e4, 500), rng.normal(0, 1e-5, 500),
                             [0.53075, -0.53075, 0.125, -0.125, 2.5, -0.0, 0.0, 1e300, np.inf, -np.inf,
                              np.nan, 0.15 - 0.14685, 1234567.5, 0.000049999999, 5e-9]])
    halves = np.round(rng.normal(0, 10, 500), 3) + 0.0005  # decimal halves at 3 decimals
    for d in (0, 1, 2, 3, 4, 6, 9, 12, 13, 15):
        for v in (values, halves):
            got = round_half_up_array(v, d)
            want = np.array([round_half_up(x, d) for x in v])
            same = (got == want) | (np.isnan(got) & np.isnan(want))
            assert same.all(), (d, v[~same][:5])
            assert (np.signbit(got) == np.signbit(want))[~np.isnan(want)].all()


@pytest.mark.parametrize("seed", SEEDS)
def test_dependencies_point_back_to_quantities_computed_before(seed):
    calc = Calc(worked_step(_spec(seed), ByHand(3)))
    order = calc.order()
    for key in order:
        for dep in calc.deps[key]:
            assert order[dep] < order[key], (key, dep)


@pytest.mark.parametrize("seed", range(12))
def test_each_mistake_changes_the_step_at_its_hook(seed):
    spec = _spec(seed)
    right = worked_step(spec, ByHand())
    for name, mistake in variants(spec):
        wrong = worked_step(spec, ByHand(), mistake)
        if name == "sign_grad":
            assert_same_math(wrong.grad, -right.grad, rtol=1e-12, atol=1e-300)
        if name == "factor_half_loss":
            assert_same_math(wrong.loss, 2 * right.loss, rtol=1e-12)
        if name == "sign_update":
            moved = ~right.net.frozen
            assert_same_math((wrong.new - right.net.theta)[moved], -(right.new - right.net.theta)[moved],
                             rtol=1e-9, atol=1e-12)
    # the same hooks in NumPy order give the same numbers
    for _, mistake in variants(spec):
        assert_same_math(worked_step(spec, Float(), mistake).new, worked_step(spec, ByHand(), mistake).new,
                         rtol=1e-9, atol=1e-12)


def test_overrides_carry_forward():
    spec = _spec(3)
    right = worked_step(spec, ByHand(4))
    name = spec.layers[0].neuron_names[0]
    key = ("z", name, 0)
    w = worked_step(spec, ByHand(4), Mistake(), {key: 123.0})
    assert w.z[0][0, 0] == 123.0 and w.computed[key] == right.z[0][0, 0]
    assert w.a[0][0, 0] != right.a[0][0, 0] or spec.layers[0].activation == "relu"


@pytest.mark.parametrize("seed", SEEDS)
def test_float_gradient_matches_torch(seed):
    torch = pytest.importorskip("torch")
    spec = _spec(seed)
    w = worked_step(spec, Float())
    theta = torch.tensor(w.net.theta.astype(float), dtype=torch.float64, requires_grad=True)
    a = torch.tensor(w.x, dtype=torch.float64)
    for li, layer in enumerate(spec.layers):
        weights = theta[torch.tensor(w.net.w_index[li])]
        z = a @ weights.T + theta[torch.tensor(w.net.b_index[li])]
        a = {"identity": lambda v: v, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
             "softmax": lambda v: torch.softmax(v, dim=-1),
             "leaky_relu": lambda v, al=layer.alpha: torch.nn.functional.leaky_relu(v, al)}[layer.activation](z)
    t = torch.tensor(w.t, dtype=torch.float64)
    per = {"squared_error": lambda: ((a - t) ** 2).sum(-1), "half_squared_error": lambda: 0.5 * ((a - t) ** 2).sum(-1),
           "mse": lambda: ((a - t) ** 2).mean(-1),
           "bce": lambda: -(t * torch.log(a) + (1 - t) * torch.log(1 - a)).mean(-1),
           "cross_entropy": lambda: -(t * torch.log(a)).nan_to_num().sum(-1)}[spec.loss]()
    total = per.mean() if spec.reduction == "mean" else per.sum()
    total.backward()
    if not torch.isfinite(theta.grad).all():
        pytest.skip("saturated output")
    np.testing.assert_allclose(w.grad.astype(float), theta.grad.numpy(), rtol=1e-6, atol=1e-9)
