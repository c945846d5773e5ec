"""The step and train commands through the CLI: both output modes, stdin, defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CONFIGS, ROOT, assert_same_math, cli, cli_json, cli_jsonl


def test_step_json_shape(config):
    d = cli_json("step", config("sigmoid_seed"))
    assert set(d) >= {"loss", "layers", "parameters"}
    for layer in d["layers"]:
        for key in ("z", "a", "delta", "weights", "biases", "grad_weights", "grad_biases",
                    "new_weights", "new_biases"):
            assert key in layer
        n = len(layer["weights"])
        assert all(len(row) == n for row in layer["z"] + layer["a"] + layer["delta"])
        # new = old − lr × grad in every slot
        for w_row, g_row, n_row in zip(layer["weights"], layer["grad_weights"], layer["new_weights"]):
            for w, g, new in zip(w_row, g_row, n_row):
                assert new == pytest.approx(w - 0.5 * g, rel=1e-15)
    w5 = next(p for p in d["parameters"] if p["name"] == "w5")
    assert {"name", "value", "grad", "new", "factors"} <= set(w5)
    symbols = [f["symbol"] for f in w5["factors"]]
    assert symbols == ["∂L/∂out", "∂out/∂z_out", "∂z_out/∂w5"]
    product = 1.0
    for f in w5["factors"]:
        product *= f["value"]
    assert product == pytest.approx(w5["grad"], rel=1e-14)


def test_step_json_with_several_samples_gives_factors_per_sample(config):
    d = cli_json("step", config("batch_seed"))
    p = d["parameters"][0]
    assert all(isinstance(f["value"], list) and len(f["value"]) == 2 for f in p["factors"])
    assert len(d["layers"][0]["z"]) == 2


def test_step_reads_stdin(config):
    text = Path(config("relu_seed")).read_text()
    result = cli("step", "-", "--json", input=text)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["loss"] == 0.25


def test_embedded_default_is_named_on_stderr(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("step", "--json")
    assert result.exit_code == 0
    assert "embedded default" in result.stderr and "mazur" in result.stderr
    d = json.loads(result.stdout)
    assert d["name"] == "mazur"
    assert d["loss"] == pytest.approx(0.274811083176155, rel=1e-14)


def test_backcalc_yaml_in_the_current_folder_is_used(tmp_path, monkeypatch, config):
    (tmp_path / "backcalc.yaml").write_text(Path(config("relu_seed")).read_text())
    monkeypatch.chdir(tmp_path)
    result = cli("step", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["name"] == "relu-seed"


def test_step_table_shows_every_part(config):
    result = cli("step", config("sigmoid_seed"))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for heading in ("Forward pass", "Loss", "Backward pass", "Gradients", "Update"):
        assert heading in out
    assert "w1·x1 + w2·x2 + b1" in out and "0.15·0.05 + 0.2·0.1 + 0.35" in out
    assert "0.59327" in out and "0.27481" in out and "0.082167" in out and "0.35892" in out
    assert "b1 total" in out  # the tied bias: each contribution and the sum


def test_digits_option(config):
    out = cli("step", config("sigmoid_seed"), "--digits", "8").stdout
    assert "0.59326999" in out


def test_train_json_lines(config):
    lines = cli_jsonl("train", config("sigmoid_seed"), "--epochs", "25")
    assert [r["epoch"] for r in lines[:-1]] == list(range(1, 26))
    for r in lines[:-1]:
        assert set(r) >= {"epoch", "loss", "loss_min", "loss_max"}
    final = lines[-1]["final"]
    assert set(final) >= {"loss", "output", "layers", "parameters"}
    assert set(final["parameters"]) == {"w1", "w2", "w3", "w4", "b1", "w5", "w6", "b2"}
    # the epoch-1 loss is the step's loss; the final loss is measured after the last update
    assert lines[0]["loss"] == cli_json("step", config("sigmoid_seed"))["loss"]
    assert final["loss"] < lines[-2]["loss"]


def test_train_every_thins_json(config):
    lines = cli_jsonl("train", config("sigmoid_seed"), "--epochs", "100", "--every", "10")
    assert [r["epoch"] for r in lines[:-1]] == list(range(10, 101, 10))
    lines = cli_jsonl("train", config("sigmoid_seed"), "--epochs", "25", "--every", "10")
    assert [r["epoch"] for r in lines[:-1]] == [10, 20, 25]


def test_train_matches_repeated_steps(config):
    """N epochs of one full batch equal N chained steps (to rounding: train runs a fast path)."""
    from backcalc import load_spec, step
    from backcalc.network import Network

    spec = load_spec(config("batch_seed"))
    net = Network(spec)
    for _ in range(5):
        r = step(spec, net)
        net.set_theta(net.step_theta(r_grad(r, net), spec.learning_rate))
    final = cli_jsonl("train", config("batch_seed"), "--epochs", "5")[-1]["final"]
    assert_same_math(final["parameters"], dict(zip(net.names, net.theta.tolist())))


def r_grad(result, net):
    import numpy as np

    return np.array([p.grad for p in result.parameters])


def test_minibatches_in_file_order(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "inputs: [[1, 2], [0.5, -1], [2, 0], [-1, 1], [0, 3]]\n"
        "targets: [1, 0, 1, 0, 1]\n"
        "layers:\n  - {activation: sigmoid, weights: [[0.1, -0.2]], biases: [0.05]}\n"
        "loss: bce\nlearning_rate: 0.5\nbatch_size: 2\n")
    lines = cli_jsonl("train", spec, "--epochs", "1")
    rec = lines[0]
    # three batches of 2, 2 and 1 samples; checked by hand-rolled SGD below
    import numpy as np

    x = np.array([[1, 2], [0.5, -1], [2, 0], [-1, 1], [0, 3]], float)
    t = np.array([1, 0, 1, 0, 1], float)
    w, b = np.array([0.1, -0.2]), 0.05
    losses = []
    for s in range(0, 5, 2):
        xb, tb = x[s:s + 2], t[s:s + 2]
        y = 1 / (1 + np.exp(-(xb @ w + b)))
        losses.append(float(np.mean(-(tb * np.log(y) + (1 - tb) * np.log(1 - y)))))
        g = (y - tb) / len(tb)
        w, b = w - 0.5 * (g @ xb), b - 0.5 * g.sum()
    assert rec["loss"] == pytest.approx(np.mean(losses), rel=1e-12)
    assert rec["loss_min"] == pytest.approx(min(losses), rel=1e-12)
    assert rec["loss_max"] == pytest.approx(max(losses), rel=1e-12)
    final = lines[-1]["final"]["layers"][0]
    assert final["weights"][0] == pytest.approx(list(w), rel=1e-12)
    assert final["biases"][0] == pytest.approx(b, rel=1e-12)


def test_train_table(config):
    result = cli("train", config("sigmoid_seed_loop"), "--epochs", "100")
    assert result.exit_code == 0
    assert "Training" in result.stdout and "Final parameters" in result.stdout
    assert "0.11822" in result.stdout  # epoch 10 of the notebook's loop
    assert "final loss on all data" in result.stdout


def test_frozen_parameters_keep_their_values(tmp_path, config):
    text = Path(config("sigmoid_seed")).read_text() + "frozen: [b1, b2]\n"
    d = cli_json("step", "-", input=text)
    p = {q["name"]: q for q in d["parameters"]}
    assert p["b1"]["frozen"] and p["b1"]["new"] == p["b1"]["value"] and p["b1"]["grad"] != 0
    assert not p["w5"]["frozen"] and p["w5"]["new"] != p["w5"]["value"]


def test_size_only_layers_are_initialised_reproducibly(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [[1, 2, 3]]\ntargets: [[0.5]]\ninit: {seed: 7, distribution: xavier}\n"
                    "layers:\n  - {size: 4, activation: tanh}\n  - {size: 1, activation: sigmoid}\n")
    a, b = cli_json("step", spec), cli_json("step", spec)
    assert a == b
    w = a["layers"][0]["weights"]
    assert len(w) == 4 and len(w[0]) == 3
    bound = (6 / 7) ** 0.5
    assert all(abs(v) <= bound for row in w for v in row)
    spec.write_text(spec.read_text().replace("seed: 7", "seed: 8"))
    assert cli_json("step", spec)["layers"][0]["weights"] != w


def test_errors_are_one_located_line_and_exit_2(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("inputs: [1, 2]\ntarget: 1\nlayers:\n  - activation: sigmoid\n    weights: [[1, 2, 3]]\n")
    result = cli("step", spec)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"{spec}:5:15: layers[0].weights[0]: expected 2 columns "
                                     "(the input has 2 features), got 3")
    assert "Traceback" not in result.stderr


def test_version_and_help():
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("backcalc ")
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("step", "train"):
        assert command in result.stdout


def test_every_config_is_described_in_configs_readme():
    readme = (CONFIGS / "README.md").read_text()
    for path in CONFIGS.glob("*.yaml"):
        assert path.name in readme, path.name


def test_library_does_not_import_the_cli_stack():
    import subprocess
    import sys

    code = ("import sys, backcalc; from backcalc import load_spec, step, train; "
            "s = load_spec('configs/mazur.yaml'); step(s); train(s, 2); "
            "print(sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_names_with_brackets_are_shown_verbatim_not_read_as_markup(tmp_path):
    """Regression: rich read "[/]" as a closing tag (exit 70) and "w[out,x2]" as a style."""
    spec = tmp_path / "m.yaml"
    spec.write_text('inputs: [1, 2]\ntarget: 1\nlayers:\n - activation: sigmoid\n   names: ["[bold]y"]\n'
                    '   weights: [["[/]": 0.5, "w[out,x2]": 0.2]]\n   biases: ["b[out]": 0.1]\n')
    for args in (["step"], ["train", "--epochs", "2"], ["forward"], ["gradcheck", "--no-torch"],
                 ["step", "--per-sample"]):
        result = cli(*args, spec)
        assert result.exit_code == 0, (args, result.stderr)
        if args[0] != "forward":
            assert "w[out,x2]" in result.stdout and "b[out]" in result.stdout, args
        if args[0] in ("step", "forward"):
            assert "[bold]y" in result.stdout, args








def test_python_dash_m_backcalc_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "backcalc", "step", str(CONFIGS / "relu_seed.yaml"), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["loss"] == 0.25


def test_stdin_hint_on_a_terminal_only(config):
    """`step -` on a terminal says what it waits for; piped input gets no hint."""
    import pty

    spec = Path(config("relu_seed")).read_text()
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "backcalc", "step", "-", "--json"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    try:
        # Give the hint time to appear before input arrives, as for a person at the keyboard.
        time.sleep(0.5)
        for line in spec.splitlines():
            os.write(master, line.encode() + b"\n")
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert b"reading the spec from standard input; Ctrl-D to end" in err
    assert b'"loss": 0.25' in out

    piped = cli("step", "-", "--json", input=spec)
    assert piped.exit_code == 0 and "standard input" not in piped.stderr
