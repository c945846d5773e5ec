"""The gated recurrent layers through the CLI: check names each planted mistake (BPTT truncated to the
last step, the LSTM's forgotten cell path), bad input is one located line (exit 2), --exact is refused
in one line, every view runs, a trained layer is written back as it is read, and an rnn may be the
output layer (against torch.nn.RNN)."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import CONFIGS, cli, cli_json, write_file
from gated_specs import random_gated_spec, spec_path


def _answers(tmp_path, spec, mistake_id: str, keys: list[str]) -> str:
    """Answers file with the gradients `mistake_id` gives (the student's planted mistake)."""
    from backcalc import load_spec
    from backcalc.core import worked_step
    from backcalc.mistakes import variants
    from backcalc.quantities import Calc

    s = load_spec(str(spec))
    calc = Calc(worked_step(s, mistake=dict(variants(s))[mistake_id]))
    lines = [f"dL/d{name}: {calc.value(('grad', name, None)):.6f}" for name in keys]
    return str(write_file(tmp_path, "answers.yaml", "\n".join(lines) + "\n"))


@pytest.mark.parametrize(("config", "mistake", "keys", "said"), [
    ("lstm_sequence.yaml", "forgot_cell_path:0", ["Wxi1[1,1]", "Wxf1[1,2]"],
     "the LSTM's cell path forgotten (layer 1)"),
    ("lstm_sequence.yaml", "bptt_last_step:0", ["Whg1[1,1]", "bo1[1]"],
     "backpropagation through time truncated to the last step (layer 1)"),
    ("gru_sequence.yaml", "bptt_last_step:0", ["Wxr1[1,1]", "bhn1[2]"],
     "backpropagation through time truncated to the last step (layer 1)"),
])
def test_check_names_the_planted_mistake(tmp_path, config, mistake, keys, said):
    spec = CONFIGS / config
    result = cli("check", spec, "--answers", _answers(tmp_path, spec, mistake, keys), env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.stderr
    assert said in result.stdout, result.stdout
    assert all(f"dL/d{k}" in result.stdout for k in keys)
    right = cli("check", spec, "--answers", _answers(tmp_path, spec, "sign_update", keys))
    assert right.exit_code == 0, right.stdout  # the gradients themselves are right under an update mistake


def test_the_dense_layer_above_is_untouched_by_the_cell_path(tmp_path):
    spec = CONFIGS / "lstm_sequence.yaml"
    result = cli("check", spec, "--answers", _answers(tmp_path, spec, "forgot_cell_path:0", ["W2[1,1]"]))
    assert result.exit_code == 0, result.stdout  # the dense layer above reads h_T, which the mistake leaves alone


BAD = [
    ("lstm", {"weights_input": [[0.1, 0.2]] * 6}, "layers[0].weights_input",
     "lstm weights_input needs 4·hidden rows (i, f, g, o: a multiple of 4), got 6"),
    ("lstm", {"hidden_size": 2, "weights_input": [[0.1, 0.2]] * 6, "weights_hidden": [[0.1, 0.2]] * 6},
     "layers[0].weights_input", "lstm weights_input needs 4·hidden = 8 rows (i, f, g, o), got 6"),
    ("gru", {"weights_hidden": [[0.1]] * 2}, "layers[0].weights_hidden",
     "gru weights_hidden needs 3·hidden = 3 rows (r, z, n), got 2"),
    ("gru", {"biases_input": [0.1, 0.2]}, "layers[0].biases_input",
     "expected a list of 3 bias entries (one per gate unit: r, z, n × 1 hidden), got 2"),
    ("lstm", {"biases_hidden": [0.1] * 4}, "layers[0].biases_hidden", "unknown key for a lstm layer"),
    ("gru", {"initial_cell": [0.0]}, "layers[0].initial_cell", "unknown key for a gru layer"),
    ("lstm", {"initial_cell": [0.0, 1.0]}, "layers[0].initial_cell", "expected a list of 1 numbers"),
    ("gru", {"weights_input": [[0.1, 0.2, 0.3]] * 3}, "layers[0].weights_input",
     "expected 2 columns (one per feature), got 3: weights_input is 3·hidden × features"),
    ("lstm", {"input_shape": [4, 2]}, "layers[0].input_shape", "lstm reads 4×2 = 8 values"),
]


@pytest.mark.parametrize(("kind", "change", "path", "said"), BAD)
def test_bad_input_is_one_located_line(tmp_path, kind, change, path, said):
    spec = {"inputs": [[1.0, 0.5, -1.0, 2.0, 0.0, 1.0]], "targets": [[0.5]], "loss": "mse", "layers": [
        {"type": kind, "input_shape": [3, 2], "weights_input": [[0.1, 0.2]] * (4 if kind == "lstm" else 3),
         "weights_hidden": [[0.1]] * (4 if kind == "lstm" else 3), "return": "last"}]}
    spec["layers"][0].update(change)
    for command in ("step", "train", "check"):
        result = cli(command, spec_path(tmp_path, spec), *(["--answers", "x.yaml"] if command == "check" else []))
        assert result.exit_code == 2, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "spec.yaml:" in lines[0] and path in lines[0] and said in lines[0], lines
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_exact_is_refused_in_one_line(kind):
    result = cli("step", CONFIGS / f"{kind}_sequence.yaml", "--exact")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        f"{kind}_sequence.yaml:14: layers[0].type: --exact cannot run {kind}: its gates' σ and tanh are not "
        "rational; use step without --exact, or --round N"), lines


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("view", [[], ["--format", "markdown"], ["--format", "latex"], ["--format", "html"],
                                  ["--blank", "--format", "markdown"], ["--round", "3"],
                                  ["--round", "2", "--format", "markdown"], ["--json"]])
def test_every_view_shows_the_steps(kind, view):
    result = cli("step", CONFIGS / f"{kind}_sequence.yaml", *view)
    assert result.exit_code == 0, result.stderr
    if not view or view == ["--round", "3"]:  # the tables: a block per step, forward then backward
        assert f"{kind.upper()} layer 1, forward through time" in result.stdout
        assert f"{kind.upper()} layer 1, backward through time" in result.stdout
        gate = "f1[3,1]" if kind == "lstm" else "n1[3,2]"
        assert result.stdout.count(gate) >= 2  # its value forward and its δ backward
        assert "sum over 3 time steps" in result.stdout


def test_json_has_every_step_s_gates(tmp_path):
    layer = cli_json("step", CONFIGS / "lstm_sequence.yaml")["layers"][0]
    assert layer["type"] == "lstm" and layer["gates"] == ["i", "f", "g", "o"]
    gates = np.array(layer["gate_value"])[0]  # time × 4·hidden
    c, h = np.array(layer["c"])[0, :, 0], np.array(layer["hidden_state"])[0, :, 0]
    i, f, g, o = gates.T  # one hidden unit
    np.testing.assert_allclose(c, f * np.r_[0.0, c[:-1]] + i * g, rtol=1e-12)  # cₜ = f⊙cₜ₋₁ + i⊙g
    np.testing.assert_allclose(h, o * np.tanh(c), rtol=1e-12)
    assert np.array(layer["step_terms"]).shape == (1, 3, 4, 3)  # samples × time × rows × [x₁, x₂, h]


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_a_trained_layer_is_written_back_as_it_is_read(tmp_path, kind):
    from conftest import assert_same_math

    spec = random_gated_spec(11, kind=kind, output=False)
    gated = next(x for x in spec["layers"] if x.get("type") == kind)
    gated["initial_state"] = [0.25] * len(gated["weights_hidden"][0])
    path = spec_path(tmp_path, spec)
    saved = tmp_path / "trained.yaml"
    result = cli("train", path, "--epochs", "3", "--save", saved)
    assert result.exit_code == 0, result.stderr
    final = json.loads(cli("train", path, "--epochs", "3", "--json").stdout.splitlines()[-1])["final"]
    assert_same_math(cli_json("forward", saved)["output"], final["output"])
    again = cli_json("step", saved)
    assert [p["name"] for p in again["parameters"]] == list(final["parameters"])


def test_an_rnn_can_be_the_output_layer(tmp_path):
    pytest.importorskip("torch")
    from test_rnn import random_rnn_spec, torch_step

    for seed in range(6):
        spec = random_rnn_spec(300 + seed)
        rnn = spec["layers"][0]
        spec["layers"] = [rnn]
        width = len(rnn["biases"]) * (rnn["input_shape"][0] if rnn["return"] == "all" else 1)
        spec["targets"] = np.round(np.random.default_rng(seed).uniform(-1, 1, (len(spec["inputs"]), width)), 3).tolist()
        step = cli_json("step", spec_path(tmp_path, spec))
        loss, grad = torch_step(spec, {p["name"]: p["value"] for p in step["parameters"]})
        np.testing.assert_allclose(step["loss"], loss, rtol=1e-10, atol=1e-14)
        for p in step["parameters"]:
            np.testing.assert_allclose(p["grad"], grad[p["name"]], rtol=1e-10, atol=1e-13, err_msg=p["name"])
        table = cli("step", spec_path(tmp_path, spec))
        assert table.exit_code == 0 and "Recurrent layer 1, forward through time" in table.stdout


def test_a_gru_s_hidden_biases_are_biases_to_check(tmp_path):
    """b_hh sits in the weights' last column, but a student who forgets to update biases forgets it too."""
    from backcalc import load_spec
    from backcalc.core import worked_step
    from backcalc.mistakes import variants
    from backcalc.quantities import Calc

    spec = CONFIGS / "gru_sequence.yaml"
    calc = Calc(worked_step(load_spec(str(spec)), mistake=dict(variants(load_spec(str(spec))))["bias_not_updated"]))
    answers = write_file(tmp_path, "answers.yaml", "".join(f"{k}_new: {calc.value(('new', k, None)):.6f}\n"
                                                           for k in ("bhn1[1]", "Wxr1[1,1]")))
    result = cli("check", spec, "--answers", answers, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.stderr
    assert "starting at bhn1[1]_new" in result.stdout and "bias left out of the update" in result.stdout
    assert "1 of 2 right" in result.stdout  # W_ir's entry is updated as it should be


def test_tied_entries_of_unequal_values_are_named_by_their_keys(tmp_path):
    spec = {"inputs": [[1.0, 0.5, -1.0]], "targets": [[0.5]], "layers": [
        {"type": "gru", "input_shape": [3, 1], "weights_input": [[{"w": 0.5}], [0.1], [0.3]],
         "weights_hidden": [[0.3], [{"w": 0.2}], [0.2]], "biases_hidden": [0.1, 0.2, {"w": 0.5}]}]}
    result = cli("step", spec_path(tmp_path, spec))
    assert result.exit_code == 2
    said = ("layers[0].weights_hidden[1][0]: 'w' is tied to layers[0].weights_input[0][0] = 0.5: tied entries "
            "must have equal values, got 0.2")
    assert result.stderr.strip().endswith(said), result.stderr


def test_json_has_a_gru_s_two_bias_sides():
    layer = cli_json("step", CONFIGS / "gru_sequence.yaml")["layers"][0]
    assert layer["type"] == "gru" and layer["gates"] == ["r", "z", "n"]
    gates, h = np.array(layer["gate_value"])[0], np.array(layer["hidden_state"])[0]  # time × …
    gi, gh = np.array(layer["input_part"])[0], np.array(layer["hidden_part"])[0]
    r, z, n = gates[:, :2], gates[:, 2:4], gates[:, 4:]
    np.testing.assert_allclose(n, np.tanh(gi[:, 4:] + r * gh[:, 4:]), rtol=1e-12)  # b_in outside r⊙(…), b_hn inside
    h_prev = np.vstack([np.zeros(2), h[:-1]])
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, rtol=1e-12)
    d_in, d_hid = np.array(layer["gate_delta"])[0], np.array(layer["d_hid"])[0]
    np.testing.assert_allclose(d_hid[:, 4:], d_in[:, 4:] * r, rtol=1e-12)  # the hidden side of n gets δ_n⊙r
    np.testing.assert_allclose(d_hid[:, :4], d_in[:, :4], rtol=1e-12)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_graph_unrolls_a_gated_layer_and_dot_renders_it(kind):
    """One node per hidden unit and step, each with its gates' stacked rows (a GRU's b_hh column is no input)."""
    spec = CONFIGS / f"{kind}_sequence.yaml"
    result = cli("graph", spec, "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads(cli("step", spec, "--json", "-q").stdout)
    _, steps, n_h = np.array(data["layers"][0]["hidden_state"]).shape
    for t in range(1, steps + 1):
        for k in range(1, n_h + 1):
            assert f"h1[{t},{k}] ({kind}, t = {t})" in result.stdout
    svg = subprocess.run(["dot", "-Tsvg"], input=result.stdout, capture_output=True, text=True, check=True)
    assert "<svg" in svg.stdout and not svg.stderr
