"""The gated recurrent layers (`type: gru`, `type: lstm`) against torch.nn.GRU / nn.LSTM float64: random
specs (dense layers before and after, `return: last|all`, the gated layer as the output layer) agree on
the loss, every gradient and every update of `step` and on 5 epochs of `train`; central differences
agree with or without torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli, cli_json
from gated_specs import random_gated_spec, spec_path, torch_step

RTOL = 1e-10  # different computations (torch's kernels against the kind's loop over time): rounding


@pytest.mark.parametrize("seed", range(32))
def test_step_agrees_with_torch(tmp_path, seed):
    pytest.importorskip("torch")
    spec = random_gated_spec(seed, kind=("gru", "lstm")[seed % 2], output=seed % 4 >= 2)
    step = cli_json("step", spec_path(tmp_path, spec))
    theta = {p["name"]: p["value"] for p in step["parameters"]}
    loss, grad = torch_step(spec, theta)
    np.testing.assert_allclose(step["loss"], loss, rtol=RTOL, atol=1e-14)
    for p in step["parameters"]:
        np.testing.assert_allclose(p["grad"], grad[p["name"]], rtol=RTOL, atol=1e-13, err_msg=p["name"])
        np.testing.assert_allclose(p["new"], p["value"] - 0.1 * grad[p["name"]], rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("seed", range(8))
def test_five_epochs_agree_with_torch(tmp_path, seed):
    pytest.importorskip("torch")
    spec = random_gated_spec(100 + seed, kind=("gru", "lstm")[seed % 2], output=seed % 4 >= 2)
    path = spec_path(tmp_path, spec)
    step = cli_json("step", path)
    result = cli("train", path, "--epochs", "5", "--json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    theta = {p["name"]: p["value"] for p in step["parameters"]}
    losses = []
    for _ in range(5):
        loss, grad = torch_step(spec, theta)
        losses.append(loss)
        theta = {k: v - 0.1 * grad[k] for k, v in theta.items()}
    epochs = [r for r in records if "epoch" in r]
    assert epochs
    np.testing.assert_allclose([r["loss"] for r in epochs], losses[:len(epochs)], rtol=1e-9, atol=1e-13)
    final = records[-1]["final"]["parameters"]
    np.testing.assert_allclose([final[k] for k in theta], list(theta.values()), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_gradients_agree_with_central_differences(tmp_path, seed):
    spec = random_gated_spec(200 + seed, kind=("gru", "lstm")[seed % 2])
    result = cli("gradcheck", spec_path(tmp_path, spec), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["checked"] == report["of"], report
    assert all(p["verdict"] == "agree" for p in report["parameters"]), report
    if report["torch"]:  # the kind's own torch mirror (torch's nn.GRU / nn.LSTM module) agrees too
        assert all(p["torch_verdict"] == "agree" for p in report["parameters"]), report


def test_the_parameters_come_in_the_spec_s_order(tmp_path):
    spec = random_gated_spec(3, kind="gru", output=True)
    gated = spec["layers"][-1]
    spec["layers"], spec["inputs"] = [gated], [[0.5] * (gated["input_shape"][0] * gated["input_shape"][1])]
    spec["targets"] = spec["targets"][:1]
    names = [p["name"] for p in cli_json("step", spec_path(tmp_path, spec))["parameters"]]
    h, f = len(gated["weights_hidden"][0]), gated["input_shape"][1]
    rows = [(g, k) for g in "rzn" for k in range(1, h + 1)]
    # weights_input row by row, then weights_hidden, biases_input and biases_hidden: as the spec writes them
    assert names == ([f"Wx{g}1[{k},{j}]" for g, k in rows for j in range(1, f + 1)]
                     + [f"Wh{g}1[{k},{m}]" for g, k in rows for m in range(1, h + 1)]
                     + [f"bx{g}1[{k}]" for g, k in rows] + [f"bh{g}1[{k}]" for g, k in rows])
