"""Warnings in `step` and `train`: one line each on stderr, silenced by --quiet, in step's JSON."""

from __future__ import annotations

import json

from conftest import CONFIGS, cli

LINEAR = str(CONFIGS / "linear_seed.yaml")
SYMMETRIC = "hidden neurons h1 and h2 (layer 1) start identical"


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("backcalc: warning: ")]


def spec(tmp_path, text: str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return str(path)


def test_symmetric_weights_of_the_linear_seed():
    # The seed's own note: "your weights are all the same … initialised in a symmetric way".
    for command in ("step", "train"):
        result = cli(command, LINEAR)
        assert result.exit_code == 0
        assert any(SYMMETRIC in w for w in warnings(result)), result.stderr
        assert all("\n" not in w for w in warnings(result))
        quiet = cli(command, LINEAR, "--quiet")
        assert quiet.stderr == "" and quiet.stdout == result.stdout
    d = json.loads(cli("step", LINEAR, "--json", "-q").stdout)
    assert any(SYMMETRIC in w for w in d["warnings"])


def test_no_warnings_for_the_textbook_examples():
    for name in ("mazur", "mazur_blog", "sigmoid_seed", "relu_seed"):
        result = cli("step", str(CONFIGS / f"{name}.yaml"))
        assert result.stderr == "", (name, result.stderr)
        result = cli("train", str(CONFIGS / f"{name}.yaml"), "--epochs", "20")
        assert result.stderr == "", (name, result.stderr)


DEAD = """
inputs: [[1, 2], [2, 1]]
targets: [[1], [0]]
layers:
  - activation: relu
    weights: [[-1, -1], [0.5, 0.3]]
    biases: [0, 0.1]
  - activation: sigmoid
    weights: [[0.5, 0.4]]
    biases: [0.1]
loss: mse
"""


def test_dead_relu_neuron(tmp_path):
    # h1: z = −1·x1 − 1·x2 < 0 on both samples, so ReLU passes no gradient.
    path = spec(tmp_path, DEAD)
    result = cli("step", path)
    assert [w for w in warnings(result) if "ReLU" in w] == [
        "backcalc: warning: ReLU neuron h1 (layer 1) is dead on every sample of the batch (z ≤ 0): no gradient "
        "flows through it, so its incoming weights and bias never change"]
    result = cli("train", path, "--epochs", "5")
    assert any("ReLU neuron h1 (layer 1) is dead on every sample at the start" in w for w in warnings(result))


def test_saturated_sigmoid(tmp_path):
    # o1: z = 0.5·a1 + 20·a2 + 30 ≥ 30 on both samples: σ′(z) < 1e-12.
    path = spec(tmp_path, DEAD.replace("[[0.5, 0.4]]", "[[0.5, 20]]").replace("biases: [0.1]", "biases: [30]"))
    result = cli("step", path)
    assert any(w.startswith("backcalc: warning: sigmoid neuron o1 (layer 2) is saturated on every sample")
               for w in warnings(result)), result.stderr


def test_saturation_of_a_combined_output_is_not_a_problem(tmp_path):
    # sigmoid with bce: δ = y − t directly, no σ′ factor to vanish
    path = spec(tmp_path, DEAD.replace("[[0.5, 0.4]]", "[[0.5, 20]]").replace("biases: [0.1]", "biases: [30]")
                .replace("loss: mse", "loss: bce"))
    assert not any("saturated" in w for w in warnings(cli("step", path)))


def test_a_learning_rate_at_which_the_loss_rises(tmp_path):
    # linear seed, lr 1.5: output 4, target 1; the first step overshoots (loss 9 → 705600)
    path = spec(tmp_path, open(LINEAR).read().replace("learning_rate: 0.1", "learning_rate: 1.5"))
    result = cli("step", path)
    assert any("the loss rises after this step (9 → 705600): the learning rate 1.5 is too large here" in w
               for w in warnings(result)), result.stderr
    d = json.loads(cli("step", path, "--json").stdout)
    assert any("loss rises" in w for w in d["warnings"])
    result = cli("train", path, "--epochs", "3")
    assert any("the loss rose in epoch 2 (9 → 705600)" in w for w in warnings(result)), result.stderr


def test_nan_or_infinity_stops_training_naming_epoch_and_parameter(tmp_path):
    path = spec(tmp_path, open(LINEAR).read().replace("learning_rate: 0.1", "learning_rate: 1.5"))
    result = cli("train", path, "--epochs", "2000")
    assert result.exit_code == 1
    stop = [line for line in result.stderr.splitlines() if "training stopped" in line]
    assert len(stop) == 1
    assert "in epoch 6" in stop[0] and "largest parameter before it: w" in stop[0]
    assert "the parameters reported are those after epoch 5" in stop[0]
    assert "RuntimeWarning" not in result.stderr
    assert "Final parameters after 5 epochs" in result.stdout  # the last good ones are still reported
    lines = cli("train", path, "--epochs", "2000", "--json").stdout.splitlines()
    final = json.loads(lines[-1])["final"]
    assert final["epochs"] == 5 and "epoch 6" in final["stopped"]


def test_a_non_finite_update_in_step_names_the_parameter(tmp_path):
    # ∂L/∂w1 = 2·(4 − 1)·w5·x1 = 6, and 1 − 1e308·6 overflows to −inf
    path = spec(tmp_path, open(LINEAR).read().replace("learning_rate: 0.1", "learning_rate: 1.0e+308"))
    result = cli("step", path)
    assert result.exit_code == 0
    assert any("parameter w1 became -inf: the step is meaningless" in w for w in warnings(result)), result.stderr
    assert "RuntimeWarning" not in result.stderr
