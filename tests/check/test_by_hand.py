"""The hand recomputation (`--round`, and `check`'s correct values) against the engine, and `step --round`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CONFIGS, cli
from reference_step import (
    near_kink,
    random_spec,
    sigmoid_seed_by_hand,
    spec_text,
)


def engine_answers(d: dict) -> dict[str, float]:
    """Every quantity `step --json` reports, keyed by the names `check` reads (docs/check.md)."""
    n = len(d["batch"])
    per_sample = n if d["reduction"] == "mean" else 1  # JSON's δ and ∂L/∂a are of the batch loss

    def key(name: str, s: int | None) -> str:
        return name if s is None or n == 1 else f"{name}[{s + 1}]"

    out = {"loss": d["loss"]}
    for s in range(n):
        out[key("loss", s)] = d["losses"][s]
    for layer in d["layers"]:
        for i, m in enumerate(layer["neurons"]):
            for s in range(n):
                out[key(f"z_{m}", s)] = layer["z"][s][i]
                out[key(m, s)] = layer["a"][s][i]
                out[key(f"delta_{m}", s)] = layer["delta"][s][i] * per_sample
                if layer["dL_da"] is not None:
                    out[key(f"dL/d{m}", s)] = layer["dL_da"][s][i] * per_sample
                if layer["da_dz"] is not None:
                    out[key(f"d{m}/dz_{m}", s)] = layer["da_dz"][s][i]
    for p in d["parameters"]:
        out[f"dL/d{p['name']}"] = p["grad"]
        out[f"{p['name']}_new"] = p["new"]
        if n > 1:
            for s in range(n):
                out[f"dL/d{p['name']}[{s + 1}]"] = sum(t["product"][s] for t in p["terms"])
    return out


@pytest.mark.parametrize("seed", range(0, 80, 2))
def test_check_grades_the_engines_own_numbers_right(seed, tmp_path):
    """Fed every number `step` computes at full precision, `check` (the hand recomputation) agrees."""
    x, t, layers, loss, reduction, batch = random_spec(seed)
    if near_kink(x[:batch], layers):
        pytest.skip("a ReLU input sits on its kink")
    text = spec_text(x, t, layers, loss, reduction, batch)
    (tmp_path / "spec.yaml").write_text(text)
    d = json.loads(cli("step", str(tmp_path / "spec.yaml"), "--json", "-q").stdout)
    answers = engine_answers(d)
    answers = {k: v for k, v in answers.items() if v is not None and np.isfinite(v)}
    (tmp_path / "answers.yaml").write_text("".join(f"{json.dumps(k)}: {v!r}\n" for k, v in answers.items()))
    result = cli("check", str(tmp_path / "spec.yaml"), "--answers", str(tmp_path / "answers.yaml"), "--json")
    assert result.exit_code == 0, [v for v in json.loads(result.stdout)["verdicts"] if v["verdict"] != "right"] \
        if result.stdout else result.stderr
    assert json.loads(result.stdout)["summary"]["total"] == len(answers)


def test_round_shows_where_hand_rounding_drifts():
    # By hand at 2 decimals δh1 = 0.01 and δh2 = 0.01, so b1's gradient (their sum) is 0.02;
    # exactly it is 0.02836 → 0.03. Everything before it survives the rounding.
    exact = sigmoid_seed_by_hand()
    d = json.loads(cli("step", str(CONFIGS / "sigmoid_seed.yaml"), "--round", "2", "--json").stdout)
    rows = {r["quantity"]: r for r in d["hand_rounding"]["quantities"]}
    assert d["hand_rounding"]["decimals"] == 2
    assert rows["dL/db1"]["by_hand"] == 0.02 and rows["dL/db1"]["drift"] == -1
    assert rows["dL/db1"]["exact"] == pytest.approx(exact["delta_h1"] + exact["delta_h2"], rel=1e-12)
    assert d["hand_rounding"]["drifted"][0] == "dL/db1"
    assert rows["h1"]["by_hand"] == 0.59 and rows["h1"]["drift"] == 0
    for r in rows.values():
        assert r["by_hand"] == round(r["by_hand"], 2)
    table = cli("step", str(CONFIGS / "sigmoid_seed.yaml"), "--round", "2", env={"COLUMNS": "120"}).stdout
    assert "Hand-rounding: every intermediate rounded to 2 decimals" in table
    row = next(line for line in table.splitlines() if line.lstrip().startswith("dL/db1 "))
    assert "0.02" in row and "−1 in decimal 2" in row
    assert "drifts at" in table and "first at dL/db1" in table


def test_round_with_many_decimals_drifts_at_most_one_unit():
    d = json.loads(cli("step", str(CONFIGS / "sigmoid_seed.yaml"), "--round", "10", "--json").stdout)
    assert all(abs(r["drift"]) <= 1 for r in d["hand_rounding"]["quantities"])
    assert all(abs(r["by_hand"] - r["exact"]) < 2e-10 for r in d["hand_rounding"]["quantities"])


def test_round_rejects_nonsense():
    result = cli("step", str(CONFIGS / "sigmoid_seed.yaml"), "--round", "-1")
    assert result.exit_code == 2 and result.stdout == ""


def test_step_json_keys_unchanged_without_the_new_options():
    d = json.loads(cli("step", str(CONFIGS / "sigmoid_seed.yaml"), "--json").stdout)
    assert "hand_rounding" not in d and "per_sample" not in d


@pytest.mark.parametrize("name", ["sigmoid_seed_adam", "adam_neuron"])
def test_check_follows_the_specs_optimizer(name, tmp_path):
    """With an optimizer other than plain SGD, the updated values are the optimizer's."""
    config = str(CONFIGS / f"{name}.yaml")
    d = json.loads(cli("step", config, "--json", "-q").stdout)
    answers = {f"{p['name']}_new": p["new"] for p in d["parameters"]}
    (tmp_path / "a.yaml").write_text("".join(f"{json.dumps(k)}: {v!r}\n" for k, v in answers.items()))
    result = cli("check", config, "--answers", str(tmp_path / "a.yaml"))
    assert result.exit_code == 0, result.stdout
