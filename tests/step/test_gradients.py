"""Every gradient path against central finite differences of an independent forward pass.

Random small specs cover every activation, loss, reduction, batch size and tied
names; the spec goes through the real CLI (`step --json`), and the reference
loss below is written separately from backcalc's engine.
"""

from __future__ import annotations

import math

import pytest
from conftest import cli, cli_json
from reference_step import (
    LOSS_OUT,
    param_slots,
    random_spec,
    random_step,
    ref_batch_loss,
    spec_text,
    with_values,
)


@pytest.mark.parametrize("seed", range(80))
def test_gradients_match_finite_differences(seed):
    (x, t, layers, loss, reduction, batch), d = random_step(seed)
    xb, tb = x[:batch], t[:batch]

    def loss_at(values: dict[tuple, float]) -> float:
        return ref_batch_loss(with_values(layers, values), xb, tb, loss, reduction)

    assert d["loss"] == pytest.approx(loss_at({}), rel=1e-12, abs=1e-14)
    slots = param_slots(d)
    h = 1e-6
    for p in d["parameters"]:
        v = p["value"]
        plus = loss_at({s: v + h for s in slots[p["name"]]})
        minus = loss_at({s: v - h for s in slots[p["name"]]})
        numeric = (plus - minus) / (2 * h)
        assert math.isclose(p["grad"], numeric, rel_tol=1e-6, abs_tol=1e-6), (p["name"], p["grad"], numeric)
        assert p["new"] == pytest.approx(v - 0.1 * p["grad"], rel=1e-12, abs=1e-15)
        # every slot of the parameter holds its whole gradient
        for li, kind, i, j in slots[p["name"]]:
            layer = d["layers"][li]
            slot_grad = layer["grad_weights"][i][j] if kind == "w" else layer["grad_biases"][i]
            assert slot_grad == p["grad"]
        # JSON delta is ∂L/∂z of the batch loss: an untied bias's gradient is its column sum
        if len(slots[p["name"]]) == 1 and slots[p["name"]][0][1] == "b":
            li, _, i, _ = slots[p["name"]][0]
            column = sum(row[i] for row in d["layers"][li]["delta"])
            assert column == pytest.approx(p["grad"], rel=1e-9, abs=1e-12)
        # the chain-rule terms add up to the gradient
        assert sum(term["contribution"] for term in p["terms"]) == pytest.approx(p["grad"], rel=1e-9, abs=1e-12)


def test_random_specs_cover_every_loss_output_and_tie():
    """The random specs above really exercise every loss, output activation and tying."""
    combos = set()
    for seed in range(80):
        x, t, layers, loss, reduction, batch = random_spec(seed)
        names = [n for *_, w_names, b_names in layers for n in [*sum(w_names, []), *b_names] if n]
        combos.add((loss, layers[-1][2], reduction, batch < len(x), len(names) > len(set(names))))
    assert {c[0] for c in combos} == set(LOSS_OUT)
    assert {c[1] for c in combos} >= {"identity", "sigmoid", "tanh", "softmax", "relu", "leaky_relu"}
    assert {c[2] for c in combos} == {"mean", "sum"}
    assert True in {c[3] for c in combos}  # a batch smaller than the data
    assert True in {c[4] for c in combos}  # a tied parameter with several terms


@pytest.mark.parametrize("seed", range(0, 80, 4))
def test_random_specs_render_as_tables(seed):
    x, t, layers, loss, reduction, batch = random_spec(seed)
    result = cli("step", "-", input=spec_text(x, t, layers, loss, reduction, batch))
    assert result.exit_code == 0, result.stderr
    assert "Update" in result.stdout
    result = cli("train", "-", "--epochs", "3", input=spec_text(x, t, layers, loss, reduction, batch))
    assert result.exit_code == 0, result.stderr
    assert "Final parameters after 3 epochs" in result.stdout


def test_relu_derivative_is_zero_at_zero(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [1]\ntarget: 1\nlayers:\n  - {activation: relu, weights: [[1]], biases: [-1]}\n"
                    "  - {activation: identity, weights: [[2]]}\n")
    d = cli_json("step", spec)
    assert d["layers"][0]["z"] == [[0.0]] and d["layers"][0]["da_dz"] == [[0.0]]
    assert {p["name"]: p["grad"] for p in d["parameters"]}["W1[1,1]"] == 0
