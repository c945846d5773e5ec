"""`--round N`: every value rounded as on paper before it is used again."""

from __future__ import annotations

import json

from conftest import cli

# One sigmoid neuron, z = 2: rounded to 2 decimals the output is 0.88, and a student's bce loss
# is −log(1 − 0.88) = 2.1203 → 2.12 (from z, softplus(2) = 2.1269 → 2.13, is not what they compute).
HAND_BCE = """
inputs: [1.0]
target: {target}
layers:
  - activation: sigmoid
    weights: [[2.0]]
    biases: [0.0]
loss: {loss}
"""


def test_hand_rounded_loss_on_a_sigmoid_output_is_computed_from_the_rounded_output(tmp_path):
    import math

    o = round(1 / (1 + math.exp(-2.0)), 2)
    assert o == 0.88
    for loss, target, by_hand in (("bce", 0, -math.log(1 - o)), ("cross_entropy", 1, -math.log(o))):
        path = tmp_path / f"{loss}.yaml"
        path.write_text(HAND_BCE.format(loss=loss, target=target))
        data = json.loads(cli("step", path, "--json", "--round", "2").stdout)
        rows = {q["quantity"]: q for q in data["hand_rounding"]["quantities"]}
        assert rows["loss"]["by_hand"] == round(by_hand, 2), loss
        doc = cli("step", path, "--format", "markdown", "--round", "2").stdout
        section = doc[doc.index("## 2."):doc.index("## 3.")]
        assert f"= {round(by_hand, 2):g}" in section, section


def test_hand_rounding_rounds_halves_up_as_on_paper(config):
    from backcalc.handcalc import round_half_up

    # 0.6 − 0.5·0.1385 = 0.53075 exactly on paper; the float is 0.530749999…, which round() takes down
    assert round(0.6 - 0.5 * 0.1385, 4) == 0.5307
    assert round_half_up(0.6 - 0.5 * 0.1385, 4) == 0.5308
    assert round_half_up(-0.53075, 4) == -0.5308 and round_half_up(2.5, 0) == 3.0
    assert round_half_up(9.999999999999995e25, 4) == 1e26  # beyond Decimal's default precision
    data = json.loads(cli("step", config("mazur"), "--round", "4", "--json").stdout)["hand_rounding"]
    b2 = next(q for q in data["quantities"] if q["quantity"] == "b2_new")
    assert b2["by_hand"] == 0.5308 and b2["drift"] == 0
