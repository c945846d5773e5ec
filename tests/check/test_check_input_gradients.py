"""`check` grades the inputs' gradients ∂L/∂x (step's "Input gradients" table), per sample as the table has them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import CONFIGS, cli, cli_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from random_specs import random_spec  # noqa: E402

MAZUR = str(CONFIGS / "mazur.yaml")
BATCH = str(CONFIGS / "batch_seed.yaml")


def check_json(spec: str, answers: str, tmp_path: Path) -> dict:
    path = tmp_path / "answers.yaml"
    path.write_text(answers, encoding="utf-8")
    result = cli("check", spec, "-a", path, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def by_key(report: dict) -> dict:
    return {v["key"]: v for v in report["verdicts"]}


def test_right_input_gradients_are_accepted_in_the_tables_spellings(tmp_path):
    grads = cli_json("step", MAZUR)["input_gradients"][0]
    answers = f"dL/dx1: {grads[0]:.7f}\n∂L/∂x2: {grads[1]:.7f}\n"
    report = check_json(MAZUR, answers, tmp_path)
    assert report["summary"]["right"] == 2, report
    assert [v["quantity"] for v in report["verdicts"]] == ["dL/dx1", "dL/dx2"]


def test_per_sample_keys_follow_the_tables_samples(tmp_path):
    step = cli_json("step", BATCH)
    grads = step["input_gradients"]  # reduction: sum, so ∂L/∂x of the batch loss is each ∂ℓₙ/∂x
    assert step["reduction"] == "sum"
    answers = "".join(f"∂ℓ/∂x{j + 1}[{s + 1}]: {grads[s][j]:.8f}\n" for s in range(2) for j in range(2))
    assert check_json(BATCH, answers, tmp_path)["summary"]["right"] == 4
    path = tmp_path / "one.yaml"
    path.write_text("dL/dx1: 0.1\n", encoding="utf-8")
    result = cli("check", BATCH, "-a", path)
    assert result.exit_code == 2
    assert "one value per sample in this batch of 2; write `dL/dx1[1]` … `dL/dx1[2]`" in result.stderr


def test_a_wrong_input_gradient_follows_from_the_first_layers_delta(tmp_path):
    step = cli_json("step", MAZUR)
    first = step["layers"][0]
    wrong_delta = first["delta"][0][0] + 0.007  # δ_h1 off; x1's gradient computed from it
    carried = wrong_delta * first["weights"][0][0] + first["delta"][0][1] * first["weights"][1][0]
    report = check_json(MAZUR, f"delta_h1: {wrong_delta:.6f}\ndL/dx1: {carried:.7f}\n", tmp_path)
    verdict = by_key(report)["dL/dx1"]
    assert verdict["verdict"] == "wrong"
    assert verdict["first_wrong_upstream"] == "delta_h1"
    assert report["summary"]["first_wrong"] == ["delta_h1"]


def test_planted_mistakes_are_named_at_the_input_gradient(tmp_path):
    grads = cli_json("step", MAZUR)["input_gradients"][0]
    flipped = by_key(check_json(MAZUR, f"dL/dx1: {-grads[0]:.7f}\n", tmp_path))["dL/dx1"]
    assert [c["mistake"] for c in flipped["causes"]] == ["sign_grad"]
    # through layer 1's weights after their update: x1's gradient through the new w1 and w3
    text = cli("step", MAZUR, "--json").stdout
    new = {p["name"]: p["new"] for p in json.loads(text)["parameters"]}
    delta = json.loads(text)["layers"][0]["delta"][0]
    updated = delta[0] * new["w1"] + delta[1] * new["w3"]
    # the δs answered right, so the mistake is made at x1 alone (δ through the updated w5, w6 would differ)
    answers = f"delta_h1: {delta[0]!r}\ndelta_h2: {delta[1]!r}\ndL/dx1: {updated:.7f}\n"
    verdict = by_key(check_json(MAZUR, answers, tmp_path))["dL/dx1"]
    causes = {c["mistake"]: c["text"] for c in verdict["causes"]}
    assert "updated_weights" in causes, verdict
    assert "w1" in causes["updated_weights"] and "w3" in causes["updated_weights"]


@pytest.mark.parametrize("seed", range(12))
def test_the_graded_value_is_the_jsons_input_gradient(seed, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(random_spec(seed), encoding="utf-8")
    step = cli_json("step", spec)
    grads = step["input_gradients"]
    n, width = len(grads), len(grads[0])
    names = [f"x{j + 1}" for j in range(width)]
    keys = [f"dL/d{x}" + (f"[{s + 1}]" if n > 1 else "") for s in range(n) for x in names]
    report = check_json(spec, "".join(f"'{k}': 0\n" for k in keys), tmp_path)
    scale = 1 / n if step["reduction"] == "mean" else 1  # the JSON's are of the batch loss, check's of ℓₙ
    graded = by_key(report)
    for s in range(n):
        for j in range(width):
            assert graded[keys[s * width + j]]["correct"] * scale == pytest.approx(grads[s][j], rel=1e-12, abs=1e-300)
