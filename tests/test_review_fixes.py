"""Bugs found reviewing the session's changes, each proved through the CLI."""

from __future__ import annotations

import json

from conftest import cli

# A sigmoid output at z = 30 under bce: rounded to 3 decimals the output is exactly 1, so
# ∂L/∂o = (o − t)/(o(1 − o)) cannot be computed by hand (1/0); its drift is null in JSON.
SATURATED = """
inputs: [1.0]
target: 0
layers:
  - activation: sigmoid
    weights: [[30.0]]
    biases: [0.0]
loss: bce
"""


def test_round_document_does_not_claim_no_drift_when_a_value_is_not_finite_by_hand(tmp_path):
    path = tmp_path / "saturated.yaml"
    path.write_text(SATURATED)
    data = json.loads(cli("step", path, "--json", "--round", "3").stdout)
    broken = [q["quantity"] for q in data["hand_rounding"]["quantities"] if q["drift"] is None]
    assert broken and broken[0] in data["hand_rounding"]["drifted"]
    for fmt in ("markdown", "latex"):
        result = cli("step", path, "--format", fmt, "--round", "3")
        assert result.exit_code == 0, result.stderr
        assert "changes nothing" not in result.stdout
        section = result.stdout[result.stdout.index("Hand-rounding"):]
        assert broken[0].replace("/", "") in section.replace("/", "").replace("\\", "")
        # the same warning as the JSON and table outputs give
        assert "cannot be computed by hand" in result.stderr


def test_a_name_that_only_looks_like_a_default_name_is_accepted(tmp_path):
    # `W１[1,1]` (a full-width digit) and "W1[1,1]\n" are not backcalc's default name W1[1,1]:
    # the collision check parses names, and must parse them as backcalc writes them.
    for name in ("W\uff11[1,1]", "W1[1,1]\\n"):
        path = tmp_path / "s.yaml"
        path.write_text(f'inputs: [1.0, 2.0]\ntarget: 0.5\nlayers:\n  - activation: identity\n'
                        f'    weights: [[0.1, "{name}": 0.2]]\n    biases: [0.0]\nloss: mse\n', encoding="utf-8")
        result = cli("step", path, "--json")
        assert result.exit_code == 0, result.stderr


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


def test_check_round_accepts_the_loss_a_student_computes_from_the_rounded_output(tmp_path):
    spec = tmp_path / "bce.yaml"
    spec.write_text(HAND_BCE.format(loss="bce", target=0))
    answers = tmp_path / "answers.yaml"
    answers.write_text("o1: 0.88\nloss: 2.12\n")  # −log(1 − 0.88) = 2.1203
    result = cli("check", spec, "-a", answers, "--round", "2")
    assert result.exit_code == 0, result.stdout + result.stderr


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


def test_size_zero_is_one_line(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("inputs: [[1, 2]]\ntargets: [[1]]\nlayers:\n  - {size: 0, activation: sigmoid}\n"
                    "  - {size: 1, activation: sigmoid}\n")
    result = cli("step", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}:4:12: layers[0].size: expected a whole number ≥ 1, got 0"]


def test_exact_with_adam_is_a_located_line(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("inputs: [[1, 2]]\ntargets: [[1]]\nlayers:\n  - {size: 1, activation: relu}\n"
                    "init: {seed: 1}\noptimizer: {name: adamw}\n")
    result = cli("step", str(path), "--exact")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}:6:12: optimizer: --exact cannot run adamw: it needs square "
                                          "roots; use sgd (with or without momentum)"]


def test_exact_json_optimizer_settings_are_exact_strings(config):
    args = ["step", config("linear_seed"), "--json", "-q",
            "--set", "optimizer={name: sgd, momentum: 0.9, weight_decay: 0.01}"]
    exact = json.loads(cli(*args, "--exact").stdout)["optimizer"]
    assert exact["hyperparameters"] == {"momentum": "0.9", "dampening": "0", "nesterov": False, "weight_decay": "0.01"}
    assert exact["learning_rate"] == "0.1"
    floats = json.loads(cli(*args).stdout)["optimizer"]["hyperparameters"]
    assert floats == {"momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.01}
