"""Issue 17's contract, held against an independent reference (contract_reference.py: scalar
nodes and plain loops, from the equations) through the real CLI: random specs of every kind and
mixes with dense layers — loss, every gradient, every update and the JSON `parameters` order of
`step`, and 5 epochs of `train` under every optimizer, with frozen entries."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli, cli_json, write_file
from contract_reference import optimizer_update, reference_step
from contract_specs import KINDS, random_contract_spec, spec_text

RTOL = 1e-9  # two different computations of the same float64 numbers: agree to rounding
SEEDS = range(12)


def _step(tmp_path, spec):
    return cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)), "-q")


def _assert_step(step, spec):
    loss, grads, names, values = reference_step(spec)
    np.testing.assert_allclose(step["loss"], loss, rtol=RTOL, atol=1e-14)
    by_name = {p["name"]: p for p in step["parameters"]}
    assert sorted(by_name) == sorted(names)
    for name in names:
        p = by_name[name]
        assert p["value"] == pytest.approx(values[name], rel=1e-12, abs=1e-15), name
        np.testing.assert_allclose(p["grad"], grads[name], rtol=RTOL, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(p["new"], values[name] - 0.1 * grads[name], rtol=RTOL, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_step_agrees_with_the_reference(tmp_path, kind, seed):
    spec = random_contract_spec(seed, kind)
    _assert_step(_step(tmp_path, spec), spec)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "rnn"])
@pytest.mark.parametrize("seed", SEEDS[:6])
def test_json_parameters_in_first_appearance_order(tmp_path, kind, seed):
    spec = random_contract_spec(seed, kind)
    assert [p["name"] for p in _step(tmp_path, spec)["parameters"]] == reference_step(spec)[2]


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_rnn_json_parameters_in_first_appearance_order(tmp_path, seed):
    spec = random_contract_spec(seed, "rnn")
    assert [p["name"] for p in _step(tmp_path, spec)["parameters"]] == reference_step(spec)[2]


def test_tied_kernel_entries_are_one_parameter_with_the_summed_gradient(tmp_path):
    spec = {"inputs": [[0.1, 0.9, -0.4, 0.3, 0.7]], "targets": [[0.2]], "learning_rate": 0.1, "layers": [
        {"type": "conv1d", "input_shape": [1, 5], "kernels": [[[{"k": 0.5}, -0.3, {"k": 0.5}]]], "biases": [0.1],
         "stride": 2},
        {"type": "flatten"}, {"weights": [[0.6, -0.2]], "biases": [0.0], "activation": "identity"}]}
    step = _step(tmp_path, spec)
    names = [p["name"] for p in step["parameters"]]
    assert names == ["k", "K1[1,1,2]", "b1[1]", "W3[1,1]", "W3[1,2]", "b3[1]"]
    _assert_step(step, spec)


def _train(tmp_path, spec, optimizer, frozen):
    spec = dict(spec, optimizer=optimizer, **({"frozen": frozen} if frozen else {}))
    result = cli("train", write_file(tmp_path, "spec.yaml", spec_text(spec)), "--epochs", "5", "--json", "-q")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return [r["loss"] for r in records if "epoch" in r], records[-1]["final"]["parameters"]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adamw"])
@pytest.mark.parametrize("kind", KINDS)
def test_five_epochs_of_train_agree_with_the_reference(tmp_path, kind, optimizer):
    spec = random_contract_spec(KINDS.index(kind) + 100, kind)
    _, _, names, values = reference_step(spec)
    frozen = [names[0], names[-1]]  # a kind's first entry and the output's last bias keep their values
    losses, final = _train(tmp_path, spec, optimizer, frozen)
    state: dict = {}
    expected = []
    for _ in range(5):
        loss, grads, _, _ = reference_step(spec, values)
        expected.append(loss)
        values = optimizer_update(optimizer, values, grads, state, 0.1, frozen)
    np.testing.assert_allclose(losses, expected, rtol=1e-8, atol=1e-13)
    assert sorted(final) == sorted(names)
    # A bias feeding a batch norm has gradient 0 exactly (the mean removes it): what backcalc and the
    # reference compute is rounding noise, which Adam's m/√v turns into steps of the learning rate's size.
    noisy = optimizer in ("adam", "adamw") and kind == "batchnorm"
    for name in names:
        np.testing.assert_allclose(final[name], values[name], rtol=1e-8, atol=1e-6 if noisy else 1e-12, err_msg=name)
    assert final[frozen[0]] == reference_step(spec)[3][frozen[0]]


def _central(spec, name, values, h=1e-6):
    up, down = dict(values), dict(values)
    up[name] += h
    down[name] -= h
    return (reference_step(spec, up)[0] - reference_step(spec, down)[0]) / (2 * h)


@pytest.mark.parametrize("kind", ["conv2d", "conv1d", "rnn", "batchnorm", "mix"])
@pytest.mark.parametrize("seed", range(4))
def test_every_gradient_agrees_with_central_differences(tmp_path, kind, seed):
    """backcalc's gradients against central differences of the reference's forward pass alone."""
    spec = random_contract_spec(seed, kind)
    step = _step(tmp_path, spec)
    values = {p["name"]: p["value"] for p in step["parameters"]}
    for p in step["parameters"]:
        numeric = _central(spec, p["name"], values)
        assert p["grad"] == pytest.approx(numeric, rel=1e-5, abs=1e-7), p["name"]
