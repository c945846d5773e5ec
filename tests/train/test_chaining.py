"""Chaining: `train --emit-spec` into `step -` (through real processes) and `--set` overrides."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import CONFIGS, cli, cli_json, cli_jsonl

BACKCALC = Path(sys.executable).parent / "backcalc"


def params(d: dict) -> dict:
    return {p["name"]: p for p in d["parameters"]}


def run_pipeline(first: list[str], second: list[str]) -> tuple[subprocess.CompletedProcess, str]:
    """`backcalc FIRST | backcalc SECOND` with the installed executable, as a shell would run it."""
    upstream = subprocess.Popen([str(BACKCALC), *first], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    downstream = subprocess.run([str(BACKCALC), *second], stdin=upstream.stdout, capture_output=True,
                                text=True, timeout=120, env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"})
    upstream.stdout.close()
    upstream_err = upstream.stderr.read().decode()
    assert upstream.wait(timeout=120) == 0, upstream_err
    return downstream, upstream_err


@pytest.mark.skipif(not BACKCALC.exists(), reason="the backcalc executable is not installed in this venv")
def test_emit_spec_pipes_into_step_through_real_processes():
    """One full-batch epoch of Mazur's example is one step: the piped spec holds the seed's new w5, w6."""
    mazur = str(CONFIGS / "mazur.yaml")
    down, up_err = run_pipeline(["train", mazur, "--epochs", "1", "--emit-spec"], ["step", "-", "--json"])
    assert down.returncode == 0, down.stderr
    d = json.loads(down.stdout)
    p = params(d)
    assert f"{p['w5']['value']:.5f}" == "0.35892" and f"{p['w6']['value']:.5f}" == "0.40867"  # seed 003
    original = params(cli_json("step", mazur))
    for name, q in original.items():
        assert p[name]["value"] == q["new"], name  # exactly: the YAML keeps every digit
    assert "Training" in up_err  # the tables went to stderr, not into the pipe


@pytest.mark.skipif(not BACKCALC.exists(), reason="the backcalc executable is not installed in this venv")
def test_the_readme_pipeline_runs_with_fifty_epochs():
    down, _ = run_pipeline(["train", str(CONFIGS / "mazur.yaml"), "--epochs", "50", "--emit-spec", "--quiet"],
                           ["step", "-"])
    assert down.returncode == 0, down.stderr
    assert down.stdout.startswith("mazur: one step on sample 1 of 1")
    assert down.stderr == ""


def test_emit_spec_writes_only_yaml_on_stdout_with_the_trained_values():
    mazur = str(CONFIGS / "mazur.yaml")
    r = cli("train", mazur, "--epochs", "20", "--emit-spec")
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(r.stdout)  # stdout is nothing but the spec
    assert data["name"] == "mazur" and data["learning_rate"] == 0.5
    assert r.stdout.startswith("# Trained by backcalc") and "# epochs: 20 of 20 completed" in r.stdout
    trained = cli_jsonl("train", mazur, "--epochs", "20")[-1]["final"]["parameters"]
    # the user's names survive; the tied bias is still one name with one value
    w = data["layers"][0]["weights"]
    assert w[0][0] == {"w1": trained["w1"]} and w[1][1] == {"w4": trained["w4"]}
    assert data["layers"][0]["biases"] == [{"b1": trained["b1"]}, {"b1": trained["b1"]}]
    assert data["layers"][1]["weights"] == [[{"w5": trained["w5"]}, {"w6": trained["w6"]}]]
    assert "Training" in r.stderr and "Final parameters" in r.stderr


def test_emit_spec_of_an_initialised_network_writes_explicit_weights(tmp_path):
    spec = tmp_path / "init.yaml"
    spec.write_text("inputs: [[1, 2], [0, 1]]\ntargets: [[1], [0]]\nlayers:\n  - activation: tanh\n    size: 3\n"
                    "  - activation: sigmoid\n    size: 1\nloss: bce\ninit: {seed: 7}\n")
    r = cli("train", spec, "--epochs", "5", "--emit-spec", "--quiet")
    assert r.exit_code == 0 and r.stderr == ""
    again = tmp_path / "again.yaml"
    again.write_text(r.stdout)
    trained = cli_jsonl("train", spec, "--epochs", "5")[-1]["final"]
    reloaded = cli_json("forward", again)
    assert np.array_equal(np.array(reloaded["output"]), np.array(trained["output"]))


def test_emit_spec_and_json_together_is_a_usage_error():
    r = cli("train", str(CONFIGS / "mazur.yaml"), "--emit-spec", "--json")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.strip() == "--json and --emit-spec both write to standard output; choose one"


# -- --set ----------------------------------------------------------------------------

def test_set_learning_rate_changes_the_update():
    base = params(cli_json("step", str(CONFIGS / "mazur.yaml")))
    d = cli_json("step", str(CONFIGS / "mazur.yaml"), "--set", "learning_rate=0.25")
    assert d["learning_rate"] == 0.25
    for name, p in params(d).items():
        assert p["grad"] == base[name]["grad"]
        assert p["new"] == pytest.approx(p["value"] - 0.25 * p["grad"], abs=1e-15)


@pytest.mark.parametrize("key", ["layers.1.activation", "layers[1].activation", "layers.-1.activation"])
def test_set_dotted_and_bracketed_keys(key):
    d = cli_json("step", str(CONFIGS / "mazur.yaml"), "--set", f"{key}=tanh")
    out = d["layers"][1]
    assert out["activation"] == "tanh" and d["layers"][0]["activation"] == "sigmoid"
    assert out["a"][0][0] == pytest.approx(math.tanh(out["z"][0][0]), abs=1e-15)


def test_set_keeps_an_entry_name_and_applies_in_order():
    d = cli_json("step", str(CONFIGS / "mazur.yaml"), "--set", "layers.0.weights.0.0=0.9",
                 "--set", "layers.0.weights[0][0]=0.5")
    p = params(d)
    assert p["w1"]["value"] == 0.5 and "W1[1,1]" not in p


def test_set_takes_yaml_values_and_adds_missing_keys():
    d = cli_json("forward", str(CONFIGS / "batch_seed_forward.yaml"), "--set", "inputs=[[1, 2]]",
                 "--set", "targets=[[1]]")
    assert d["inputs"] == [[1.0, 2.0]] and f"{d['output'][0][0]:.8f}" == "0.80533842"
    lines = cli_jsonl("train", str(CONFIGS / "mazur.yaml"), "--set", "epochs=3")
    assert [x["epoch"] for x in lines[:-1]] == [1, 2, 3]
    seeded = cli_json("forward", str(CONFIGS / "mazur.yaml"), "--set", "init.seed=3")  # new nested mapping
    assert seeded["name"] == "mazur"


def test_set_applies_to_standard_input_and_every_spec_command():
    text = (CONFIGS / "mazur.yaml").read_text()
    d = cli_json("step", "-", "--set", "learning_rate=0.1", input=text)
    assert d["learning_rate"] == 0.1
    g = cli("graph", str(CONFIGS / "mazur.yaml"), "--set", "layers.0.weights.0.0=0.75")
    assert g.exit_code == 0 and "w1 = 0.75" in g.stdout
    t = cli("train", str(CONFIGS / "mazur.yaml"), "--epochs", "2", "--set", "learning_rate=1e-9", "--emit-spec",
            "--quiet")
    assert yaml.safe_load(t.stdout)["learning_rate"] == 1e-9


@pytest.mark.parametrize("assignment, message", [
    ("learning_rate=abc", "--set learning_rate=abc: learning_rate: expected a number, got the string 'abc'"),
    ("learning_rate=-1", "--set learning_rate=-1: learning_rate: expected a number > 0, got -1"),
    ("layers.0.activation=tanhh", "--set layers.0.activation=tanhh: layers[0].activation: unknown activation "
                                  "'tanhh'; expected one of:"),
    ("lerning_rate=0.2", "--set lerning_rate=0.2: lerning_rate: unknown key (did you mean `learning_rate`?)"),
    ("layers.5.activation=tanh", "--set layers.5.activation=tanh: layers[5]: no such item; layers has 2 items "
                                 "(indices 0 to 1)"),
    ("learning_rate.x=1", "--set learning_rate.x=1: learning_rate.x: no such key; learning_rate is a single "
                          "value"),
    ("layers.activation=tanh", "--set layers.activation=tanh: layers.activation: layers is a list; use an index"),
    ("learning_rate", "--set learning_rate: expected KEY=VALUE"),
    ("=3", "--set =3: cannot read the key ''"),
    ("learning_rate=[1", "--set learning_rate=[1: the value is not valid YAML"),
])
def test_bad_set_is_one_line_naming_the_option_exit_2(assignment, message):
    r = cli("step", str(CONFIGS / "mazur.yaml"), "--set", assignment)
    assert r.exit_code == 2, r.stdout
    assert r.stdout == ""
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_set_problems_and_file_problems_are_reported_together(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text((CONFIGS / "mazur.yaml").read_text().replace("loss: half_squared_error", "loss: nope"))
    r = cli("step", spec, "--set", "learning_rate=abc")
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert any(line.startswith(f"{spec}:") and "loss: unknown loss 'nope'" in line for line in lines)
    assert "--set learning_rate=abc: learning_rate: expected a number, got the string 'abc'" in lines


def test_emitted_spec_with_tiny_numbers_loads_back():
    """repr(1e-12) is `1e-12`, which YAML 1.1 reads as text: the writer must write `1.0e-12`."""
    r = cli("train", str(CONFIGS / "mazur.yaml"), "--epochs", "1", "--set", "learning_rate=1e-12",
            "--set", "layers.1.biases.0=3e-20", "--emit-spec", "--quiet")
    assert r.exit_code == 0, r.stderr
    assert "learning_rate: 1.0e-12" in r.stdout
    d = cli_json("step", "-", input=r.stdout)
    assert d["learning_rate"] == 1e-12
    assert params(d)["b2"]["value"] == pytest.approx(3e-20 - 1e-12 * params(d)["b2"]["grad"], rel=1e-3)


def test_emit_spec_carries_the_optimizer_state_so_training_continues_exactly():
    """Adam's moments travel with the spec: 3 epochs, emitted, then 2 more = 5 epochs at once."""
    adam = str(CONFIGS / "sigmoid_seed_adam.yaml")
    first = cli("train", adam, "--epochs", "3", "--emit-spec", "--quiet")
    assert first.exit_code == 0, first.stderr
    assert "optimizer_state:" in first.stdout and "optimizer:" in first.stdout
    then = cli_jsonl("train", "-", "--epochs", "2", input=first.stdout)[-1]["final"]["parameters"]
    at_once = cli_jsonl("train", adam, "--epochs", "5")[-1]["final"]["parameters"]
    assert then == at_once
