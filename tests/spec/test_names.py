"""Names of neurons and parameters: what is accepted, what clashes, what survives saving."""

from __future__ import annotations

import json

import pytest
from conftest import CONFIGS, cli, one_line, where, write_file

BASE = (CONFIGS / "mazur.yaml").read_text()








ODD_NAMES = """\
inputs: [0.05, 0.10]
target: 0.01
layers:
  - activation: sigmoid
    names: ["h: 1", "#h2"]
    weights:
      - ["a: b": 0.15, "#x": 0.20]
      - ['1.5': 0.25, 'yes': 0.30]
    biases: ['null': 0.35, "- x": 0.35]
  - activation: sigmoid
    names: ["o'1"]
    weights: [['"dq"': 0.40, "w[1]": 0.45]]
    biases: ["é∂ x": 0.60]
loss: mse
learning_rate: 0.5
"""


def test_a_name_that_only_looks_like_a_default_name_is_accepted(tmp_path):
    # `W１[1,1]` (a full-width digit) and "W1[1,1]\n" are not backcalc's default name W1[1,1]:
    # the collision check parses names, and must parse them as backcalc writes them.
    for name in ("W\uff11[1,1]", "W1[1,1]\\n"):
        path = tmp_path / "s.yaml"
        path.write_text(f'inputs: [1.0, 2.0]\ntarget: 0.5\nlayers:\n  - activation: identity\n'
                        f'    weights: [[0.1, "{name}": 0.2]]\n    biases: [0.0]\nloss: mse\n', encoding="utf-8")
        result = cli("step", path, "--json")
        assert result.exit_code == 0, result.stderr


def test_a_parameter_named_like_a_neuron(tmp_path):
    text = BASE.replace("[[w5: 0.40, w6: 0.45]]", "[[h1: 0.40, w6: 0.45]]")
    spec = write_file(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, 'h1: 0.40')}: layers[1].weights[0][0]: the parameter "
                                           "name 'h1' is already used by a neuron of layers[0]; parameters, neurons "
                                           "and inputs need distinct names")


def test_a_parameter_named_like_an_input(tmp_path):
    text = BASE.replace("[b2: 0.60]", "[x2: 0.60]")
    spec = write_file(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, 'x2: 0.60')}: layers[1].biases[0]: the parameter "
                                           "name 'x2' is already used by an input; parameters, neurons and inputs "
                                           "need distinct names")


def test_an_empty_parameter_name(tmp_path):
    text = BASE.replace("[b2: 0.60]", "['': 0.60]")
    spec = write_file(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, chr(39) * 2)}: layers[1].biases[0]: expected a "
                                           "parameter name, got the string ''")


def test_an_empty_neuron_name(tmp_path):
    text = BASE.replace("names: [h1, h2]", "names: [h1, '']")
    spec = write_file(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, chr(39) * 2)}: layers[0].names[1]: expected a "
                                           "neuron name, got the string ''")


@pytest.mark.parametrize("how", ["--save", "--emit-spec"])
def test_names_that_need_quotes_survive_saving(tmp_path, how):

    spec = write_file(tmp_path, "odd.yaml", ODD_NAMES)
    trained = json.loads(cli("train", spec, "--epochs", "3", "--json").stdout.splitlines()[-1])["final"]["parameters"]
    if how == "--save":
        result = cli("train", spec, "--epochs", "3", "--save", tmp_path / "out.yaml", "--quiet")
        assert result.exit_code == 0, result.stderr
        saved = (tmp_path / "out.yaml").read_text()
    else:
        result = cli("train", spec, "--epochs", "3", "--emit-spec", "--quiet")
        assert result.exit_code == 0, result.stderr
        saved = result.stdout
    reloaded = cli("step", "-", "--json", input=saved)
    assert reloaded.exit_code == 0, reloaded.stderr
    assert {p["name"]: p["value"] for p in json.loads(reloaded.stdout)["parameters"]} == trained
