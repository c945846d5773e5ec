"""`check` grades a recurrent layer's time steps by the names its tables show: hₜ as `h1[t,k]`,
∂ℓ/∂hₜ as `dL/dh1[t,k]`, and an rnn's zₜ and ∂ℓ/∂zₜ as `z_h1[t,k]` and `delta_h1[t,k]`, each
against the step's own per-step quantities (the JSON's `hidden_state`, `dl_dh`, …)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli, cli_json

CONFIGS = Path(__file__).parents[2] / "configs"


def _check(tmp_path, config: str, lines: list[str], *extra: str):
    answers = tmp_path / "answers.yaml"
    answers.write_text("\n".join(lines) + "\n")
    result = cli("check", str(CONFIGS / f"{config}.yaml"), "--answers", str(answers), "--json", *extra)
    assert result.exit_code in (0, 1), result.stderr
    return {v["key"]: v for v in json.loads(result.stdout)["verdicts"]}


def test_every_time_step_of_an_rnn_is_graded_against_the_step(tmp_path):
    layer = cli_json("step", str(CONFIGS / "rnn_sequence.yaml"), "-q")["layers"][0]
    lines, expected = [], {}
    for t in range(3):
        for k in range(2):
            name = f"h1[{t + 1},{k + 1}]"
            for key, field in ((name, "hidden_state"), (f"z_{name}", "pre_activation"),
                               (f"dL/d{name}", "dl_dh"), (f"delta_{name}", "dl_dz_step")):
                value = layer[field][0][t][k]
                lines.append(f"{key}: {value!r}")
                expected[key] = value
    verdicts = _check(tmp_path, "rnn_sequence", lines)
    assert set(verdicts) == set(expected)
    assert all(v["verdict"] == "right" for v in verdicts.values()), [v for v in verdicts.values()
                                                                      if v["verdict"] != "right"]
    for key, v in verdicts.items():
        assert v["correct"] == pytest.approx(expected[key], rel=1e-12, abs=1e-15)


def test_a_wrong_hidden_state_is_marked_wrong_and_the_rest_right(tmp_path):
    verdicts = _check(tmp_path, "rnn_sequence", ["h1[2,1]: -0.65115", "h1[2,2]: 0.2", "dL/dh1[1,2]: 0.33958"])
    assert verdicts["h1[2,1]"]["verdict"] == "right"
    assert verdicts["h1[2,2]"]["verdict"] == "wrong"
    assert verdicts["h1[2,2]"]["correct"] == pytest.approx(0.3170043607982334)
    assert verdicts["dL/dh1[1,2]"]["verdict"] == "right"


def test_hidden_states_rounded_by_hand_are_accepted_with_round(tmp_path):
    """tanh(−0.777) = −0.651 is step 2's h by hand; step 3 reads it (test_round_kinds has the reference)."""
    lines = ["h1[2,1]: -0.651", "h1[3,2]: 0.097"]
    plain = _check(tmp_path, "rnn_sequence", lines)
    assert plain["h1[3,2]"]["verdict"] == "wrong"  # exactly 0.096272
    assert any(c["mistake"] == "rounding" for c in plain["h1[3,2]"]["causes"])
    rounded = _check(tmp_path, "rnn_sequence", lines, "--round", "3")
    assert {v["verdict"] for v in rounded.values()} <= {"right", "right_by_rounding"}


def test_an_lstm_hidden_state_by_its_table_name(tmp_path):
    layer = cli_json("step", str(CONFIGS / "lstm_sequence.yaml"), "-q")["layers"][0]
    h2 = layer["hidden_state"][0][1][0]
    verdicts = _check(tmp_path, "lstm_sequence", [f"h1[2,1]: {h2!r}", f"dL/dh1[1,1]: {layer['dl_dh'][0][0][0]!r}"])
    assert {v["verdict"] for v in verdicts.values()} == {"right"}


def test_a_step_past_the_sequence_is_one_located_line(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("h1[4,1]: 0.5\n")
    result = cli("check", str(CONFIGS / "rnn_sequence.yaml"), "--answers", str(answers))
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "answers.yaml:1:1" in line and "unknown quantity `h1[4,1]`" in line


def test_the_last_step_is_the_layers_output_one_quantity(tmp_path):
    """h1[3,k] is h1[k] (h_T is what the layer returns): written twice, it is one located line."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("dL/dh1[1]: -1.91282\ndL/dh1[3,1]: -1.91282\n")
    result = cli("check", str(CONFIGS / "rnn_sequence.yaml"), "--answers", str(answers))
    assert result.exit_code == 2
    assert "names the same quantity as `dL/dh1[1]` (line 1)" in result.stderr
    verdicts = _check(tmp_path, "rnn_sequence", ["h1[3,2]: 0.096272", "dL/dh1[3,1]: -1.91282"])
    assert {v["verdict"] for v in verdicts.values()} == {"right"}


def test_haykins_sign_convention_covers_the_time_steps_deltas(tmp_path):
    layer = cli_json("step", str(CONFIGS / "rnn_sequence.yaml"), "-q")["layers"][0]
    lines = [f"delta_h1[{t + 1},{k + 1}]: {-layer['dl_dz_step'][0][t][k]!r}" for t in range(3) for k in range(2)]
    answers = tmp_path / "answers.yaml"
    answers.write_text("\n".join(lines) + "\n")
    result = cli("check", str(CONFIGS / "rnn_sequence.yaml"), "--answers", str(answers), "--conventions")
    assert "6 of 6 are right under it" in " ".join(result.stdout.split())


def test_a_misspelt_weight_still_suggests_the_weight(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("dL/dWh1[3,2]: 0.5\n")
    result = cli("check", str(CONFIGS / "rnn_sequence.yaml"), "--answers", str(answers))
    assert result.exit_code == 2 and "did you mean `dL/dWh1[2,2]`" in result.stderr
