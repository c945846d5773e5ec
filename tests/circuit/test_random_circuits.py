"""Random circuits (depth up to 8, every gate, leaves reused, names reassigned): every leaf's gradient
against central differences always, and against torch.autograd (float64) where PyTorch is installed."""

from __future__ import annotations

import math

import pytest
from random_circuits import circuit, spec_text, torch_reference

from backcalc.circuit.gradcheck import value_at
from backcalc.circuit.ops import GATES
from backcalc.circuit.step import worked_step
from backcalc.spec import parse_spec

SEEDS = range(60)
KINKED = ("relu", "abs", "leaky_relu", "max", "min")


def built(seed: int):
    leaves, steps = circuit(seed)
    return leaves, steps, parse_spec(spec_text(leaves, steps), f"<random {seed}>")


def near_kink(step, margin: float) -> bool:
    """Whether a kinked gate sits within `margin` of its kink, where a difference quotient straddles it."""
    for n in step.nodes:
        if n.gate in KINKED:
            a = [float(x) for x in n.args]
            if (n.gate in ("max", "min") and abs(a[0] - a[1]) < margin) or (n.gate not in ("max", "min")
                                                                             and abs(a[0]) < margin):
                return True
    return False


def test_the_random_circuits_reach_every_gate_and_depth_eight():
    gates, deepest = set(), 0
    for seed in SEEDS:
        _, steps, c = built(seed)
        gates |= {n.gate for n in c.nodes}
        deepest = max(deepest, max(text.count("(") for _, text in steps))
    assert gates >= set(GATES) - {"linear"}, set(GATES) - gates
    assert deepest >= 8


@pytest.mark.parametrize("seed", SEEDS)
def test_gradients_match_central_differences(seed):
    leaves, steps, c = built(seed)
    step = worked_step(c)
    for leaf, x in leaves.items():
        h = 1e-6 * max(1.0, abs(x))
        if near_kink(worked_step(c.with_values({leaf: x - 2 * h})), 1e-4) or near_kink(step, 1e-4):
            continue
        numeric = (value_at(c, {leaf: x + h}) - value_at(c, {leaf: x - h})) / (2 * h)
        analytic = float(step.grads[leaf])
        scale = max(1.0, abs(analytic), abs(float(step.value)))
        assert abs(analytic - numeric) <= 1e-5 * scale, (leaf, analytic, numeric, steps)


@pytest.mark.parametrize("seed", SEEDS)
def test_gradients_match_torch_autograd(seed):
    pytest.importorskip("torch")
    leaves, steps, c = built(seed)
    step = worked_step(c)
    value, grads = torch_reference(leaves, steps)
    assert math.isclose(float(step.value), value, rel_tol=1e-12, abs_tol=1e-12)
    for leaf in leaves:
        assert math.isclose(float(step.grads[leaf]), grads[leaf], rel_tol=1e-9, abs_tol=1e-12), (leaf, steps)
