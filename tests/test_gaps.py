"""Contract points that deserve their own test: python -m, init distributions, defaults, optimizer documents."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import CONFIGS, ROOT, cli, cli_json


def test_python_dash_m_backcalc_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "backcalc", "step", str(CONFIGS / "relu_seed.yaml"), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["loss"] == 0.25


@pytest.mark.parametrize("distribution", ["uniform", "normal", "xavier", "he"])
def test_every_init_distribution_is_reproducible_and_scaled(tmp_path, distribution):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"inputs: [[1, 2, 3, 4]]\ntargets: [[0.5]]\ninit: {{seed: 3, distribution: {distribution}}}\n"
                    "layers:\n  - {size: 200, activation: tanh}\n  - {size: 1, activation: sigmoid}\n")
    a, b = cli_json("step", spec), cli_json("step", spec)
    assert a["layers"][0]["weights"] == b["layers"][0]["weights"]
    w = np.array(a["layers"][0]["weights"])
    assert w.shape == (200, 4)
    fan_in, fan_out = 4, 200
    if distribution == "uniform":
        assert np.abs(w).max() <= 1 / math.sqrt(fan_in)
        assert np.abs(a["layers"][0]["biases"]).max() <= 1 / math.sqrt(fan_in)
    elif distribution == "xavier":
        assert np.abs(w).max() <= math.sqrt(6 / (fan_in + fan_out))
    else:
        expected_std = 1 / math.sqrt(fan_in) if distribution == "normal" else math.sqrt(2 / fan_in)
        assert w.std() == pytest.approx(expected_std, rel=0.1)
        assert a["layers"][0]["biases"] == [0.0] * 200


def test_defaults_mse_mean_and_full_batch(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [[1, 2], [3, 4]]\ntargets: [[1, 0], [0, 1]]\n"
                    "layers:\n  - {activation: identity, weights: [[0.1, 0.2], [0.3, 0.4]]}\n")
    d = cli_json("step", spec)
    assert d["loss_function"] == "mse" and d["reduction"] == "mean" and d["batch"] == [0, 1]
    y = np.array([[1, 2], [3, 4]]) @ np.array([[0.1, 0.2], [0.3, 0.4]]).T
    t = np.array([[1, 0], [0, 1]])
    assert d["loss"] == pytest.approx(np.mean(np.mean((y - t) ** 2, axis=1)), rel=1e-14)


def test_relu_derivative_is_zero_at_zero(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [1]\ntarget: 1\nlayers:\n  - {activation: relu, weights: [[1]], biases: [-1]}\n"
                    "  - {activation: identity, weights: [[2]]}\n")
    d = cli_json("step", spec)
    assert d["layers"][0]["z"] == [[0.0]] and d["layers"][0]["da_dz"] == [[0.0]]
    assert {p["name"]: p["grad"] for p in d["parameters"]}["W1[1,1]"] == 0


def test_several_batches_show_min_and_max_in_the_train_table(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [[1], [2], [3], [4]]\ntargets: [2, 4, 6, 8]\n"
                    "layers:\n  - {activation: identity, weights: [[0.5]]}\nlearning_rate: 0.01\nbatch_size: 2\n")
    out = cli("train", spec, "--epochs", "3", env={"NO_COLOR": "1"}).stdout
    assert "loss (mean over batches)" in out and " min " in out and " max\n" in out  # max: the last column
    records = [json.loads(line) for line in cli("train", spec, "--epochs", "3", "--json").stdout.splitlines()[:-1]]
    first = records[0]
    assert first["loss_min"] < first["loss"] < first["loss_max"]
    assert f"{first['loss_min']:.5f}" in out and f"{first['loss_max']:.5f}" in out


def test_worked_solution_shows_the_optimizer_update(config):
    d = cli_json("step", config("adam_neuron"))
    w = next(p for p in d["parameters"] if p["name"] == "w")
    for fmt in ("markdown", "latex"):
        doc = cli("step", config("adam_neuron"), "--format", fmt).stdout
        assert r"\hat m" in doc and r"\hat v" in doc, fmt
        assert f"= {w['new']:g}" in doc.replace("\n", " ") or f"{w['new']:.5g}" in doc, fmt
