"""`backcalc forward`: the forward pass only, checked against numpy written here and the seed's digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli, cli_json

# Seed 004's first cell, transcribed: weights_input_hidden is inputs × neurons there.
SEED_W1 = np.array([[0.1, 0.2], [0.3, 0.4]])
SEED_B1 = np.array([0.1, 0.2])
SEED_W2 = np.array([0.5, 0.6])
SEED_B2 = 0.3
SEED_X = np.array([[1.0, 2.0], [3.0, 4.0]])
SEED_PRINTED = ["0.80533842", "0.92689883"]  # `Output: [0.80533842 0.92689883]`


def seed_reference(x):
    z_hidden = x @ SEED_W1 + SEED_B1
    a_hidden = np.maximum(0, z_hidden)
    z_out = a_hidden @ SEED_W2 + SEED_B2
    return z_hidden, a_hidden, z_out, 1 / (1 + np.exp(-z_out))


def test_batch_seed_forward_json_matches_numpy_and_the_printed_digits(config):
    d = cli_json("forward", config("batch_seed_forward"))
    z_h, a_h, z_o, a_o = seed_reference(SEED_X)
    hidden, out = d["layers"]
    assert np.allclose(hidden["z"], z_h, rtol=0, atol=1e-15)
    assert np.allclose(hidden["a"], a_h, rtol=0, atol=1e-15)
    assert np.allclose(np.array(out["z"])[:, 0], z_o, rtol=0, atol=1e-15)
    assert np.allclose(np.array(out["a"])[:, 0], a_o, rtol=0, atol=1e-15)
    assert [f"{row[0]:.8f}" for row in d["output"]] == SEED_PRINTED
    assert d["inputs"] == SEED_X.tolist() and d["inputs_from"] == "spec"
    assert hidden["neurons"] == ["h1", "h2"] and out["activation"] == "sigmoid"


def test_batch_seed_forward_table_shows_every_z_and_a(config):
    r = cli("forward", config("batch_seed_forward"), "--digits", "8")
    assert r.exit_code == 0, r.stderr
    z_h, a_h, z_o, a_o = seed_reference(SEED_X)
    rows = {}
    layer = None
    for line in r.stdout.splitlines():
        cells = line.split()
        if len(cells) >= 2 and cells[0].isdigit() and not cells[1][0].isdigit():
            layer = cells[1]
            cells = cells[2:]
        if len(cells) == 4 and cells[1] in ("1", "2"):
            rows[(layer, cells[0], int(cells[1]))] = (cells[2], cells[3])
        elif len(cells) == 3 and cells[0] in ("1", "2"):  # a neuron's second sample
            name = [k for k in rows if k[0] == layer][-1][1]
            rows[(layer, name, int(cells[0]))] = (cells[1], cells[2])
    for s in range(2):
        for i, name in enumerate(["h1", "h2"]):
            assert rows[("relu", name, s + 1)] == (f"{z_h[s, i]:.8f}", f"{a_h[s, i]:.8f}")
        assert rows[("sigmoid", "o1", s + 1)] == (f"{z_o[s]:.8f}", SEED_PRINTED[s])


def test_inputs_option_replaces_the_spec_inputs(config):
    x = [[0.5, -1.0], [2.0, 0.25], [0.0, 0.0]]
    d = cli_json("forward", config("batch_seed_forward"), "--inputs", json.dumps(x))
    assert d["inputs_from"] == "--inputs" and d["inputs"] == x
    _, _, _, a_o = seed_reference(np.array(x))
    assert np.allclose(np.array(d["output"])[:, 0], a_o, rtol=0, atol=1e-15)
    one = cli_json("forward", config("batch_seed_forward"), "--inputs", "[1, 2]")  # a flat list: one sample
    assert f"{one['output'][0][0]:.8f}" == SEED_PRINTED[0]


@pytest.mark.parametrize("text, message", [
    ("[[1, 2, 3]]", "--inputs:1:1: inputs: expected 2 numbers per sample (the network has 2 inputs), got 3"),
    ("[[1, 2], [3]]", "--inputs:1:10: inputs[1]: expected 2 numbers (like row 0), got 1"),
    ("[[1, x]]", "--inputs:1:6: inputs[0][1]: expected a number, got the string 'x'"),
    ("[[1, 2]", "--inputs:2:1: not valid YAML"),
    ("", "--inputs: expected a list of samples such as [[1, 2], [3, 4]], got nothing"),
])
def test_bad_inputs_are_one_located_line_and_exit_2(config, text, message):
    r = cli("forward", config("batch_seed_forward"), "--inputs", text)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(message), r.stderr
    assert "Traceback" not in r.stderr


def _random_network(rng):
    sizes = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 4)))]
    acts = [str(rng.choice(["identity", "relu", "leaky_relu", "sigmoid", "tanh"])) for _ in sizes[:-1]]
    acts.append(str(rng.choice(["identity", "sigmoid", "tanh", "softmax"])))
    if acts[-1] == "softmax":
        sizes[-1] = max(sizes[-1], 2)  # a one-neuron softmax is refused (it is the constant 1)
    n_in = int(rng.integers(1, 4))
    layers, prev = [], n_in
    for size, act in zip(sizes, acts, strict=True):
        layers.append((rng.normal(0, 1, (size, prev)).round(3), rng.normal(0, 1, size).round(3), act))
        prev = size
    return n_in, layers


def _reference_forward(x, layers):
    zs, acts = [], []
    a = x
    for w, b, act in layers:
        z = a @ w.T + b
        if act == "relu":
            a = np.maximum(z, 0)
        elif act == "leaky_relu":
            a = np.where(z > 0, z, 0.01 * z)
        elif act == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        elif act == "tanh":
            a = np.tanh(z)
        elif act == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = z
        zs.append(z)
        acts.append(a)
    return zs, acts


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_match_an_independent_forward_pass(tmp_path, seed):
    rng = np.random.default_rng(1000 + seed)
    n_in, layers = _random_network(rng)
    k = layers[-1][0].shape[0]
    lines = ["inputs: " + json.dumps(rng.normal(0, 1, (2, n_in)).round(3).tolist()),
             "targets: " + json.dumps([[1 / k] * k] * 2), "layers:"]
    for w, b, act in layers:
        lines += [f"  - activation: {act}", f"    weights: {json.dumps(w.tolist())}",
                  f"    biases: {json.dumps(b.tolist())}"]
    path = tmp_path / "net.yaml"
    path.write_text("\n".join(lines) + "\n")
    x = rng.normal(0, 2, (int(rng.integers(1, 6)), n_in)).round(3)
    d = cli_json("forward", path, "--inputs", json.dumps(x.tolist()))
    zs, acts = _reference_forward(x, layers)
    for li, layer in enumerate(d["layers"]):
        assert np.allclose(layer["z"], zs[li], rtol=1e-12, atol=1e-12)
        assert np.allclose(layer["a"], acts[li], rtol=1e-12, atol=1e-12)


def test_forward_summarises_wide_layers_unless_full(tmp_path):
    spec = tmp_path / "wide.yaml"
    spec.write_text("inputs: [[1, 2]]\ntargets: [[0, 1, 0]]\nlayers:\n  - activation: tanh\n    size: 12\n"
                    "  - activation: softmax\n    size: 3\nloss: cross_entropy\n")
    short = cli("forward", spec)
    assert short.exit_code == 0, short.stderr
    names = [f"h{i}" for i in range(1, 13)]
    shown = [n for n in names if f" {n} " in short.stdout]
    assert shown == ["h1", "h2", "h3", "h12"]
    assert "⋮ 8 more neurons (--full)" in short.stdout
    full = cli("forward", spec, "--full")
    assert [n for n in names if f" {n} " in full.stdout] == names
    assert "more neurons" not in full.stdout
