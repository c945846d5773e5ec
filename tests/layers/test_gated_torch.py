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
from torch_agrees import five_epochs_agree, step_agrees


@pytest.mark.parametrize("seed", range(32))
def test_step_agrees_with_torch(tmp_path, seed):
    pytest.importorskip("torch")
    spec = random_gated_spec(seed, kind=("gru", "lstm")[seed % 2], output=seed % 4 >= 2)
    step_agrees(spec_path(tmp_path, spec), spec, torch_step)


@pytest.mark.parametrize("seed", range(8))
def test_five_epochs_agree_with_torch(tmp_path, seed):
    pytest.importorskip("torch")
    spec = random_gated_spec(100 + seed, kind=("gru", "lstm")[seed % 2], output=seed % 4 >= 2)
    five_epochs_agree(spec_path(tmp_path, spec), spec, torch_step)


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


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_hidden_size_draws_from_init_and_agrees_with_torch(tmp_path, kind):
    pytest.importorskip("torch")
    spec = random_gated_spec(7, kind=kind, output=True)
    gated = spec["layers"][-1]
    for key in ("weights_input", "weights_hidden", "biases", "biases_input", "biases_hidden"):
        gated.pop(key, None)
    gated["hidden_size"] = 2
    spec["targets"] = [[0.5] * (2 * (gated["input_shape"][0] if gated["return"] == "all" else 1))
                       for _ in spec["inputs"]]
    spec["init"] = {"seed": 3}
    path = spec_path(tmp_path, spec)
    values = [p["value"] for p in cli_json("step", path)["parameters"]]
    assert len(set(values)) == len(values)  # every entry drawn (a GRU's b_hh too)
    step_agrees(path, spec, torch_step)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_a_tied_entry_s_gradient_is_the_sum_of_its_slots(tmp_path, kind):
    spec = random_gated_spec(9, kind=kind, output=True)
    gated = spec["layers"][-1]
    value = gated["weights_input"][0][0]
    gated["weights_hidden"][-1][-1] = value  # two slots of one value: apart, then tied
    untied = {p["name"]: p for p in cli_json("step", spec_path(tmp_path, spec))["parameters"]}
    gated["weights_input"][0][0] = {"w": value}
    gated["weights_hidden"][-1][-1] = {"w": value}  # the same parameter in the last gate's hidden weights
    L, g, h = len(spec["layers"]), "o" if kind == "lstm" else "n", len(gated["weights_hidden"][0])
    tied = {p["name"]: p for p in cli_json("step", spec_path(tmp_path, spec))["parameters"]}
    first = f"Wx{'i' if kind == 'lstm' else 'r'}{L}[1,1]"
    last = f"Wh{g}{L}[{h},{h}]"
    untied_sum = untied[first]["grad"] + untied[last]["grad"]
    np.testing.assert_allclose(tied["w"]["grad"], untied_sum, rtol=1e-12, atol=1e-15)
    assert first not in tied and last not in tied and len(tied["w"]["terms"]) == 2
