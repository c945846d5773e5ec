"""Issue 17's `init:` with size-style keys (`out_channels` + `kernel_size`, `hidden_size`), through the
CLI: every parameter drawn, named and counted as the contract says, within U(±1/√fan_in), the same
for the same seed; and the drawn numbers, written back into the spec as explicit entries, give the
reference's step (contract_reference.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import cli_json, write_file
from contract_reference import reference_step
from contract_specs import spec_text

RTOL = 1e-9


def _inputs(n, width, seed=0):
    return np.round(np.random.default_rng(seed).uniform(-1, 1, (n, width)), 3).tolist()


def conv_spec(seed=7):
    return {"inputs": _inputs(2, 2 * 4 * 5), "targets": [[0.1], [0.4]], "learning_rate": 0.1,
            "init": {"seed": seed},
            "layers": [{"type": "conv2d", "input_shape": [2, 4, 5], "out_channels": 3, "kernel_size": [2, 3],
                        "stride": [1, 2], "activation": "relu"},
                       {"type": "maxpool2d", "size": [3, 1]}, {"type": "flatten"},
                       {"size": 1, "activation": "identity"}]}


def rnn_spec(seed=7):
    return {"inputs": _inputs(3, 4 * 2), "targets": [[0.1], [0.4], [-0.2]], "learning_rate": 0.1,
            "init": {"seed": seed}, "layers": [{"type": "rnn", "input_shape": [4, 2], "hidden_size": 3},
                                               {"size": 1, "activation": "identity"}]}


def conv1d_bn_spec(seed=7):
    return {"inputs": _inputs(4, 2 * 6), "targets": [[0.1], [0.4], [-0.2], [0.3]], "learning_rate": 0.1,
            "init": {"seed": seed}, "layers": [
                {"type": "conv1d", "input_shape": [2, 6], "out_channels": 2, "kernel_size": 3, "padding": 1},
                {"type": "avgpool1d", "kernel_size": 2, "stride": 1}, {"type": "flatten"},
                {"type": "batchnorm", "activation": "tanh"}, {"size": 1, "activation": "identity"}]}


def _params(tmp_path, spec):
    return cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)), "-q")


def _names(prefix, shape):
    return [f"{prefix}[{','.join(str(i + 1) for i in idx)}]" for idx in np.ndindex(*shape)]


def test_conv_kernels_and_biases_from_out_channels_and_kernel_size(tmp_path):
    step = _params(tmp_path, conv_spec())
    names = [p["name"] for p in step["parameters"]]
    # the conv's 3×2×2×3 kernels row-major, its 3 biases, then the dense layer's 1×(3·1·2) weights and bias
    assert names == _names("K1", (3, 2, 2, 3)) + _names("b1", (3,)) + _names("W4", (1, 6)) + ["b4[1]"]
    bound = 1 / math.sqrt(2 * 2 * 3)  # fan_in = in channels × window
    values = [p["value"] for p in step["parameters"][:39]]
    assert all(abs(v) <= bound for v in values) and len(set(values)) == 39
    assert step["layers"][0]["type"] == "conv2d" and np.shape(step["layers"][0]["weights"]) == (3, 2, 2, 3)


def test_rnn_weights_from_hidden_size(tmp_path):
    step = _params(tmp_path, rnn_spec())
    names = {p["name"] for p in step["parameters"]}
    assert names == set(_names("Wx1", (3, 2)) + _names("Wh1", (3, 3)) + _names("b1", (3,)) + _names("W2", (1, 3))
                        + ["b2[1]"])
    bound = 1 / math.sqrt(2 + 3)  # docs/layers.md: as a dense layer over [x_t, h_{t−1}]
    assert all(abs(p["value"]) <= bound for p in step["parameters"] if p["name"][:2] in ("Wx", "Wh", "b1"))


def test_batchnorm_defaults_to_gamma_1_and_beta_0(tmp_path):
    step = _params(tmp_path, conv1d_bn_spec())
    by = {p["name"]: p["value"] for p in step["parameters"]}
    width = 2 * 5  # conv1d: 6 + 2·1 − 3 + 1 = 6 positions, avg pool 2 stride 1: 5
    assert [by[f"gamma4[{k + 1}]"] for k in range(width)] == [1.0] * width
    assert [by[f"beta4[{k + 1}]"] for k in range(width)] == [0.0] * width


@pytest.mark.parametrize("make", [conv_spec, rnn_spec, conv1d_bn_spec])
def test_the_same_seed_draws_the_same_numbers_and_another_seed_others(tmp_path, make):
    a, b, c = (_params(tmp_path, make(seed)) for seed in (7, 7, 8))
    assert [p["value"] for p in a["parameters"]] == [p["value"] for p in b["parameters"]]
    assert [p["value"] for p in a["parameters"]] != [p["value"] for p in c["parameters"]]


def _explicit(spec, step):
    """The spec with every drawn layer's numbers written in as entries (backcalc's JSON `weights`)."""
    spec = {**spec, "layers": [dict(layer) for layer in spec["layers"]]}
    for layer, done in zip(spec["layers"], step["layers"]):
        kind = layer.get("type", "dense")
        for key in ("out_channels", "kernel_size", "hidden_size", "size"):
            if key in layer and not kind.endswith("pool1d") and not kind.endswith("pool2d"):
                del layer[key]
        if kind.startswith("conv"):
            layer.update(kernels=done["weights"], biases=done["biases"])
        elif kind == "rnn":
            features = layer["input_shape"][1]
            layer.update(weights_input=[row[:features] for row in done["weights"]],
                         weights_hidden=[row[features:] for row in done["weights"]], biases=done["biases"])
        elif kind == "batchnorm":
            layer.update(gamma=[row[0] for row in done["weights"]], beta=done["biases"])
        elif kind == "dense":
            layer.update(weights=done["weights"], biases=done["biases"])
    return spec


@pytest.mark.parametrize("make", [conv_spec, rnn_spec, conv1d_bn_spec])
def test_drawn_parameters_give_the_references_step(tmp_path, make):
    spec = make()
    step = _params(tmp_path, spec)
    loss, grads, _, _ = reference_step(_explicit(spec, step))
    np.testing.assert_allclose(step["loss"], loss, rtol=RTOL)
    for p in step["parameters"]:
        np.testing.assert_allclose(p["grad"], grads[p["name"]], rtol=RTOL, atol=1e-12, err_msg=p["name"])
