"""The recurrent layer (`type: rnn`): random specs (an rnn, a dense layer or two after it) against
torch.nn.RNN float64 (one bias: torch's bias_hh is 0) on the loss, every gradient and update of `step`
and 5 epochs of `train`; central differences on every activation; located errors through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli, cli_json, write_file
from torch_agrees import five_epochs_agree, step_agrees


def random_rnn_spec(seed: int, activations=("tanh", "relu")) -> dict:
    rng = np.random.default_rng(seed)
    n, t, f, h = (int(rng.integers(1, k)) for k in (4, 5, 4, 4))
    draw = lambda *shape: np.round(rng.uniform(-1, 1, shape), 3).tolist()  # noqa: E731
    returns = str(rng.choice(["last", "all"]))
    rnn = {"type": "rnn", "input_shape": [t, f], "activation": str(rng.choice(activations)),
           "weights_input": draw(h, f), "weights_hidden": draw(h, h), "biases": draw(h), "return": returns}
    if rng.random() < 0.5:
        rnn["initial_state"] = draw(h)
    width = h * (t if returns == "all" else 1)
    layers = [rnn]
    if rng.random() < 0.5:
        layers.append({"weights": draw(2, width), "biases": draw(2), "activation": "tanh"})
        width = 2
    outputs = int(rng.integers(1, 3))
    layers.append({"weights": draw(outputs, width), "biases": draw(outputs), "activation": "identity"})
    return {"name": f"rnn {seed}", "inputs": draw(n, t * f), "targets": draw(n, outputs), "loss": "mse",
            "learning_rate": 0.1, "layers": layers}


def _spec_path(tmp_path, spec: dict):
    return write_file(tmp_path, "spec.yaml", json.dumps(spec))  # YAML reads JSON


def torch_step(spec: dict, theta: dict):
    """Loss and every parameter's gradient of `spec` in torch (nn.RNN, then nn.functional.linear)."""
    import torch

    F = torch.nn.functional
    x, t = torch.tensor(spec["inputs"], dtype=torch.float64), torch.tensor(spec["targets"], dtype=torch.float64)
    rnn_layer = spec["layers"][0]
    steps, features = rnn_layer["input_shape"]
    hidden = len(rnn_layer["biases"])
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in theta.items()}
    grid = lambda prefix, rows, cols: torch.stack([torch.stack([leaves[f"{prefix}[{i + 1},{j + 1}]"]  # noqa: E731
                                                                for j in range(cols)]) for i in range(rows)])
    net = torch.nn.RNN(features, hidden, nonlinearity=rnn_layer["activation"], batch_first=True,
                       dtype=torch.float64)
    params = {"weight_ih_l0": grid("Wx1", hidden, features), "weight_hh_l0": grid("Wh1", hidden, hidden),
              "bias_ih_l0": torch.stack([leaves[f"b1[{i + 1}]"] for i in range(hidden)]),
              "bias_hh_l0": torch.zeros(hidden, dtype=torch.float64)}  # backcalc's one bias is their sum
    h0 = torch.tensor(rnn_layer.get("initial_state", [0.0] * hidden), dtype=torch.float64).reshape(1, 1, hidden)
    out, last = torch.func.functional_call(net, params, (x.reshape(len(x), steps, features), h0.expand(1, len(x),
                                                                                                        hidden)))
    a = out.reshape(len(x), -1) if rnn_layer["return"] == "all" else last[0]
    for li, layer in enumerate(spec["layers"][1:], start=2):
        w = grid(f"W{li}", len(layer["weights"]), len(layer["weights"][0]))
        b = torch.stack([leaves[f"b{li}[{i + 1}]"] for i in range(len(layer["biases"]))])
        a = F.linear(a, w, b)
        a = torch.tanh(a) if layer["activation"] == "tanh" else a
    loss = F.mse_loss(a, t)
    loss.backward()
    return loss.item(), {k: v.grad.item() for k, v in leaves.items()}


@pytest.mark.parametrize("seed", range(30))
def test_step_agrees_with_torch_rnn(tmp_path, seed):
    pytest.importorskip("torch")
    spec = random_rnn_spec(seed)
    step_agrees(_spec_path(tmp_path, spec), spec, torch_step)


@pytest.mark.parametrize("seed", range(8))
def test_five_epochs_agree_with_torch_rnn(tmp_path, seed):
    pytest.importorskip("torch")
    spec = random_rnn_spec(100 + seed)
    five_epochs_agree(_spec_path(tmp_path, spec), spec, torch_step)


@pytest.mark.parametrize("seed", range(12))
def test_gradients_agree_with_central_differences(tmp_path, seed):
    spec = random_rnn_spec(200 + seed, activations=("tanh", "sigmoid", "identity", "leaky_relu", "softplus"))
    result = cli("gradcheck", _spec_path(tmp_path, spec), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["checked"] == report["of"], report
    assert all(p["verdict"] == "agree" for p in report["parameters"]), report
    if report["torch"]:  # the kind's own torch mirror (the recurrence step by step) agrees too
        assert all(p["torch_verdict"] == "agree" for p in report["parameters"]), report


def test_a_located_shape_error(tmp_path):
    spec = random_rnn_spec(1)
    spec["layers"][0]["weights_hidden"] = [[0.1] * 5 for _ in spec["layers"][0]["biases"]]
    result = cli("step", _spec_path(tmp_path, spec))
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "spec.yaml" in line and "layers[0].weights_hidden" in line and "expected" in line, line


def test_an_rnn_reads_time_by_features(tmp_path):
    spec = random_rnn_spec(2)
    spec["layers"][0]["input_shape"] = [7, 5]
    result = cli("step", _spec_path(tmp_path, spec))
    assert result.exit_code == 2
    assert "layers[0].input_shape" in result.stderr and "rnn reads 7×5 = 35 values" in result.stderr


def _answers(tmp_path, spec, mistake_id: str, keys: list[str]) -> str:
    """An answers file holding the numbers a student makes with this mistake, from the core's hook."""
    from backcalc import load_spec
    from backcalc.core import worked_step
    from backcalc.mistakes import variants
    from backcalc.quantities import Calc

    s = load_spec(str(spec))
    mistake = dict(variants(s))[mistake_id]
    calc = Calc(worked_step(s, mistake=mistake))
    lines = [f"dL/d{name}: {calc.value(('grad', name, None)):.6f}" for name in keys]
    return str(write_file(tmp_path, "answers.yaml", "\n".join(lines) + "\n"))


def test_check_names_truncated_bptt(tmp_path):
    from conftest import CONFIGS

    spec = CONFIGS / "rnn_sequence.yaml"
    answers = _answers(tmp_path, spec, "bptt_last_step:0", ["Wh1[1,1]", "Wx1[2,2]"])
    result = cli("check", spec, "--answers", answers, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.stderr
    assert "backpropagation through time truncated to the last step (layer 1)" in result.stdout, result.stdout
    right = cli("check", spec, "--answers", _answers(tmp_path, spec, "bptt_last_step:0", ["W2[1,1]"]))
    assert right.exit_code == 0, right.stdout  # the dense layer above is not touched by the mistake


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_exact_agrees_with_float(tmp_path, activation):
    from fractions import Fraction

    from conftest import assert_same_math

    spec = random_rnn_spec(7)
    spec["layers"][0]["activation"] = activation
    spec["layers"][1:] = [{"weights": [[0.5] * len(spec["layers"][-1]["weights"][0])], "biases": [0.25],
                           "activation": "identity"}]
    spec["targets"] = [[0.5] for _ in spec["inputs"]]
    path = _spec_path(tmp_path, spec)
    exact, floats = cli_json("step", path, "--exact"), cli_json("step", path)
    # the exact step reads the spec's decimals as written, the float one rounds every product through
    # the recurrence: they agree to the float's rounding over a few steps, not to the last ulp
    assert_same_math([float(Fraction(p["grad"])) for p in exact["parameters"]],
                     [p["grad"] for p in floats["parameters"]], rtol=1e-11, atol=1e-13)
    assert_same_math(float(Fraction(exact["loss"])), floats["loss"], rtol=1e-11, atol=1e-13)


def test_a_trained_rnn_is_written_back_as_it_is_read(tmp_path):
    from conftest import assert_same_math

    spec = random_rnn_spec(11)
    spec["layers"][0]["initial_state"] = [0.25] * len(spec["layers"][0]["biases"])
    path = _spec_path(tmp_path, spec)
    saved = tmp_path / "trained.yaml"
    result = cli("train", path, "--epochs", "3", "--save", saved)
    assert result.exit_code == 0, result.stderr
    trained = cli_json("forward", saved)
    final = json.loads(cli("train", path, "--epochs", "3", "--json").stdout.splitlines()[-1])["final"]
    assert_same_math(trained["output"], final["output"])
    reread = cli_json("step", saved)["layers"][0]
    assert reread["weight_names"][0][0] == "Wx1[1,1]" and "initial_state: [0.25" in saved.read_text()
