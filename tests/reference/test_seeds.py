"""Every published number of the five seed documents, through the real CLI."""

from __future__ import annotations

import json
import math
import re

import pytest
from conftest import ROOT, cli, cli_json, cli_jsonl


def params(d: dict) -> dict:
    return {p["name"]: p for p in d["parameters"]}


def printed(value: float, text: str) -> bool:
    """`value` shows as `text` when printed with as many decimals as `text` has."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:.{decimals}f}" == f"{float(text):.{decimals}f}"


# -- seed 001: ReLU ---------------------------------------------------------------

def test_relu_seed_update(config):
    d = cli_json("step", config("relu_seed"))
    assert d["loss"] == pytest.approx(0.25, abs=1e-15)
    p = params(d)
    expected = {"w1": 0.99, "w2": 0.49, "w3": 1.0, "w4": -0.5, "w5": 0.985, "w6": 0.995,
                "b1": 0.49, "b2": -0.01, "b3": 0.49}
    for name, value in expected.items():
        assert p[name]["new"] == pytest.approx(value, abs=1e-12), name
    # the notebook's intermediate values
    assert p["w5"]["grad"] == 1.5 and p["w6"]["grad"] == 0.5 and p["b3"]["grad"] == 1.0
    assert d["layers"][0]["a"] == [[1.5, 0.5]] and d["layers"][1]["a"] == [[2.5]]


# -- seed 003: sigmoid --------------------------------------------------------------

def test_sigmoid_seed_forward_loss_and_output_gradients(config):
    d = cli_json("step", config("sigmoid_seed"))
    hidden, out = d["layers"]
    assert printed(hidden["z"][0][0], "0.37750") and printed(hidden["z"][0][1], "0.39250")
    assert printed(hidden["a"][0][0], "0.59327") and printed(hidden["a"][0][1], "0.59688")
    assert printed(out["z"][0][0], "1.10591") and printed(out["a"][0][0], "0.75137")
    assert printed(d["loss"], "0.27481")
    assert printed(out["delta"][0][0], "0.13850")
    p = params(d)
    assert printed(p["w5"]["grad"], "0.08217") and printed(p["w6"]["grad"], "0.08267")
    assert printed(p["w5"]["new"], "0.35892") and printed(p["w6"]["new"], "0.40867")


def test_sigmoid_seed_backward_uses_the_old_w5(config):
    """The notebook prints δh1 0.01199 from the updated w5; backprop uses the old 0.40."""
    d = cli_json("step", config("sigmoid_seed"))
    hidden, out = d["layers"]
    delta_out = out["delta"][0][0]
    a1 = hidden["a"][0][0]
    assert hidden["delta"][0][0] == pytest.approx(delta_out * 0.40 * a1 * (1 - a1), rel=1e-14)
    assert hidden["delta"][0][0] == pytest.approx(0.013368, abs=5e-7)
    assert not printed(hidden["delta"][0][0], "0.01199")
    # the shared bias b1: one parameter, two contributions
    b1 = params(d)["b1"]
    assert len(b1["terms"]) == 2
    assert b1["grad"] == pytest.approx(sum(t["contribution"] for t in b1["terms"]), rel=1e-15)
    assert b1["grad"] == pytest.approx(sum(hidden["delta"][0]), rel=1e-15)


def test_sigmoid_seed_loop(config):
    lines = cli_jsonl("train", config("sigmoid_seed_loop"), "--epochs", "100")
    epochs = {r["epoch"]: r["loss"] for r in lines if "epoch" in r}
    published = {10: "0.11822", 20: "0.04518", 30: "0.02329", 40: "0.01463", 50: "0.01029",
                 60: "0.00778", 70: "0.00617", 80: "0.00506", 90: "0.00426", 100: "0.00366"}
    for epoch, text in published.items():
        assert printed(epochs[epoch], text), (epoch, epochs[epoch], text)


# -- seeds 000/002: linear ------------------------------------------------------------

def test_linear_seed(config):
    lines = cli_jsonl("train", config("linear_seed"))
    records = [r for r in lines if "epoch" in r]
    assert len(records) == 10
    assert records[0]["loss"] == 9.0
    assert records[0]["loss_min"] == 9.0 and records[0]["loss_max"] == 9.0
    # the notebook's own loop, run here as an independent reference
    b0 = [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    b1 = [0.0, 1.0, 1.0]
    lr, (x1, x2, t) = 0.1, (1, 1, 1)
    losses = []
    for _ in range(10):
        a1 = b0[0][1] * x1 + b0[0][2] * x2 + b0[0][0]
        a2 = b0[1][1] * x1 + b0[1][2] * x2 + b0[1][0]
        y = b1[1] * a1 + b1[2] * a2 + b1[0]
        losses.append((t - y) ** 2)
        g = -2 * (t - y)
        grads0 = [[g * b1[1], g * b1[1] * x1, g * b1[1] * x2], [g * b1[2], g * b1[2] * x1, g * b1[2] * x2]]
        grads1 = [g, g * a1, g * a2]
        for i in range(2):
            for j in range(3):
                b0[i][j] -= lr * grads0[i][j]
        for j in range(3):
            b1[j] -= lr * grads1[j]
    for record, loss in zip(records, losses):
        assert record["loss"] == pytest.approx(loss, rel=1e-12)
    final = lines[-1]["final"]["parameters"]
    assert final["w1"] == pytest.approx(b0[0][1], rel=1e-12)
    assert final["w5"] == pytest.approx(b1[1], rel=1e-12)
    assert final["b3"] == pytest.approx(b1[0], rel=1e-12)


# -- seed 004: batch, BCE --------------------------------------------------------------

def test_batch_seed_gradients_with_reduction_sum(config):
    d = cli_json("step", config("batch_seed"))
    hidden, out = d["layers"]
    # its dW2 is a column (hidden × 1); ours is the output layer's row
    assert printed(out["grad_weights"][0][0], "0.6144307")
    assert printed(out["grad_weights"][0][1], "0.62712197")
    assert printed(out["grad_biases"][0], "0.6267222")
    # its dW1 is inputs × neurons: dW1[i][j] is our grad_weights[j][i]
    dw1 = [["0.00274407", "0.01512979"], ["0.0035295", "0.01584567"]]
    for i in range(2):
        for j in range(2):
            assert printed(hidden["grad_weights"][j][i], dw1[i][j]), (i, j)
    assert printed(hidden["grad_biases"][0], "0.00078544")
    assert printed(hidden["grad_biases"][1], "0.00071587")
    # its printed loss is the mean over the two samples
    assert d["mean_sample_loss"] == pytest.approx(0.9590413360683729, rel=1e-15)
    assert d["loss"] == pytest.approx(2 * 0.9590413360683729, rel=1e-15)
    # updated values
    new_w1 = [["0.37426571", "0.94920133"], ["0.73164099", "0.59707392"]]
    for i in range(2):
        for j in range(2):
            assert printed(hidden["new_weights"][j][i], new_w1[i][j])
    assert printed(hidden["new_biases"][0], "0.1559401") and printed(hidden["new_biases"][1], "0.15592293")
    assert printed(out["new_weights"][0][0], "-0.00335946") and printed(out["new_weights"][0][1], "0.80346395")
    assert printed(out["new_biases"][0], "0.53844279")


def test_batch_seed_training_losses(config):
    lines = cli_jsonl("train", config("batch_seed"), "--epochs", "902")
    by_epoch = {r["epoch"]: r for r in lines if "epoch" in r}
    published = [0.903348793298792, 0.6785156101299639, 0.6558760710323448, 0.6005594228611344,
                 0.4793240909116128, 0.322165987070469, 0.20531123826507064, 0.1379114421875627,
                 0.09950109101359064, 0.07616360712960568]
    for k, value in enumerate(published):
        ours = by_epoch[2 + 100 * k]["mean_sample_loss"]
        # printed with Python's shortest repr: agree to the last printed digit
        assert math.isclose(ours, value, rel_tol=2e-15), (2 + 100 * k, ours, value)


def test_batch_seed_forward_cell(config):
    d = cli_json("step", config("batch_seed_forward"))
    out = [row[0] for row in d["output"]]
    assert printed(out[0], "0.80533842") and printed(out[1], "0.92689883")


def test_seed_configs_render_as_tables(config):
    for name in ("relu_seed", "sigmoid_seed", "linear_seed", "batch_seed", "mazur"):
        result = cli("step", config(name))
        assert result.exit_code == 0, result.stderr
        assert "Update" in result.stdout


def test_the_seed_documents_are_described_inside_the_repository():
    readme, configs = (ROOT / "README.md").read_text(), (ROOT / "configs" / "README.md").read_text()
    for text, base in ((readme, ROOT), (configs, ROOT / "configs")):
        for path in re.findall(r"[`(](\.\./[^`)\s]+)", text):
            assert (base / path).resolve().is_relative_to(ROOT), f"{path} points outside the repository"
    # each seed config's document, with the numbers where it goes wrong
    seeds = [e["name"] for e in json.loads(cli("examples", "--json").stdout) if "seed" in e["name"]]
    assert all(f"`{name}.yaml`" in configs for name in seeds)
    for number in ("0.01199", "0.01362", "0.013368", "0.014996", "0.9590413360683729", "0.07616360712960568"):
        assert number in configs, number
