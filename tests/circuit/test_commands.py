"""Every command on a circuit, through the real CLI: step's tables, JSON contract, documents and exercise,
--exact and --round, check, gradcheck and graph."""

from __future__ import annotations

import json
import re

import pytest
from conftest import cli, cli_json, write_file

from backcalc.circuit.step import worked_step
from backcalc.spec import load_spec


def test_step_table_shows_every_node_in_computation_order_and_the_forks(config):
    result = cli("step", config("micrograd"), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    order = [n.name for n in load_spec(config("micrograd")).nodes]
    rows = [line.split()[0] for line in out.split("Nodes in computation order")[1].split("Gradients of")[0]
            .splitlines() if line.startswith(" ") and line.split() and line.split()[0] in order]
    assert rows == order
    assert "gradients add at forks" in out and "(via c)" in out and "(via d_1)" in out
    assert "Nodes used more than once" in out


def test_step_table_says_max_routes(config):
    out = cli("step", config("cs231n_gates")).stdout
    assert "z: 1.00000 (wins)" in out and "max routes the gradient to its larger input" in out


def test_step_json_contract(config):
    d = cli_json("step", config("cs231n_circuit"))
    assert {"value", "gradients", "nodes"} <= set(d)
    assert d["value"] == -12.0 and d["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert d["nodes"] == [
        {"name": "q", "op": "add", "inputs": ["x", "y"], "value": 3.0, "local": {"x": 1.0, "y": 1.0}, "grad": -4.0},
        {"name": "f", "op": "mul", "inputs": ["q", "z"], "value": -12.0, "local": {"q": -4.0, "z": 3.0}, "grad": 1.0}]


def test_a_leaf_used_twice_adds_its_paths_and_json_lists_them(tmp_path):
    path = write_file(tmp_path, "c.yaml", "values: {x: 3}\nexpression: x * x\n")
    d = cli_json("step", str(path))
    assert d["gradients"] == {"x": 6.0} and d["nodes"][0]["local"] == {"x": 6.0}
    assert [u["grad"] for u in d["forks"]["x"]] == [3.0, 3.0]


def test_update_of_the_parameters(config):
    d = cli_json("step", config("micrograd_lecture"))
    g = d["gradients"]
    assert d["new_values"] == {p: pytest.approx(d["leaves"][p] - 0.01 * g[p], abs=1e-15) for p in "abcf"}
    assert "Update (learning rate 0.01): p − η·∂L/∂p" in cli("step", config("micrograd_lecture")).stdout


def test_exact_gives_fractions(tmp_path):
    path = write_file(tmp_path, "c.yaml", "values: {x: 1, y: 3, z: 0.1}\nexpression: (x / y + z) ** 2\n")
    d = cli_json("step", str(path), "--exact")
    assert d["exact"] is True
    assert d["value"] == "169/900"  # (1/3 + 1/10)² = (13/30)²
    assert d["gradients"] == {"x": "13/45", "y": "-13/135", "z": "13/15"}


def test_round_recomputes_by_hand(config):
    d = cli_json("step", config("cs231n_neuron"), "--round", "2")
    assert d["round"] == 2 and d["value"] == 0.73
    # every number rounded to 2 decimals as it is written: ∂f/∂(dot) becomes 0.20 before it is multiplied,
    # so x0 gets 2·0.20 = 0.40 where the figure, computing in full, prints 0.39
    assert d["gradients"] == {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}


@pytest.mark.parametrize("kind", ["markdown", "latex"])
def test_worked_solution_and_its_exercise(config, kind):
    solution = cli("step", config("cs231n_circuit"), "--format", kind)
    assert solution.exit_code == 0, solution.stderr
    text = solution.stdout
    assert r"\frac{\partial f}{\partial q}" in text and "-12" in text
    blank = cli("step", config("cs231n_circuit"), "--format", kind, "--blank").stdout
    assert r"\underline{\qquad\quad}" in blank and "-12" not in blank
    assert "-2" in blank and "-4" in blank  # the leaves' values are given
    if kind == "latex":
        assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")


def test_solution_file_with_blank(tmp_path, config):
    target = tmp_path / "solution.md"
    result = cli("step", config("cs231n_circuit"), "--format", "markdown", "--blank", "--solution", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text() == cli("step", config("cs231n_circuit"), "--format", "markdown").stdout


def test_check_right_and_wrong_answers_with_the_circuit_mistakes(tmp_path, config):
    answers = write_file(tmp_path, "a.yaml", "xy: -12\nm: 2\ndf/dm: 2\ndf/dw: 2.0\ndx: -8\ndy: -6\n")
    result = cli("check", config("cs231n_gates"), "--answers", str(answers), "--json")
    assert result.exit_code == 1, result.stderr
    verdicts = {v["key"]: v for v in json.loads(result.stdout)["verdicts"]}
    assert [verdicts[k]["verdict"] for k in ("xy", "m", "df/dm", "dx")] == ["right"] * 4
    assert verdicts["df/dw"]["causes"][0]["mistake"] == "max_to_both"
    assert verdicts["dy"]["causes"][0]["mistake"] == "sign"


def test_check_names_a_fork_counted_once_and_follows_wrong_answers(tmp_path, config):
    answers = write_file(tmp_path, "a.yaml", "c: -2\ndc: -13.8834\nd: 1\ndd_1: 83.3003\n")
    result = cli("check", config("micrograd"), "--answers", str(answers))
    assert result.exit_code == 1
    d = json.loads(cli("check", config("micrograd"), "--answers", str(answers), "--json").stdout)
    verdicts = {v["key"]: v for v in d["verdicts"]}
    assert verdicts["dc"]["causes"][0]["mistake"] == "fork_one_path"
    assert "gradients add at forks" in verdicts["dc"]["causes"][0]["text"]
    assert verdicts["d"]["verdict"] == "wrong" and verdicts["dd_1"]["verdict"] == "right"
    assert "only the path through c'_1 counted" in result.stdout


def test_check_carries_a_wrong_value_forward(tmp_path, config):
    # q wrong (x + y taken as 2): f = q·z and df/dz = q then follow from it, right for that q
    answers = write_file(tmp_path, "a.yaml", "q: 2\nf: -8\ndf/dz: 2\ndf/dx: -4\n")
    d = json.loads(cli("check", config("cs231n_circuit"), "--answers", str(answers), "--json").stdout)
    verdicts = {v["key"]: v for v in d["verdicts"]}
    assert verdicts["f"]["first_wrong_upstream"] == "q" and verdicts["f"]["causes"] == []
    assert verdicts["df/dz"]["first_wrong_upstream"] == "q" and verdicts["df/dx"]["verdict"] == "right"
    assert d["summary"]["first_wrong"] == ["q"]


def test_check_tolerance_is_half_a_unit_of_the_last_decimal(tmp_path, config):
    ok = write_file(tmp_path, "ok.yaml", "f: 0.73\ndf/dx0: 0.39\n")
    assert cli("check", config("cs231n_neuron"), "--answers", str(ok)).exit_code == 0
    bad = write_file(tmp_path, "bad.yaml", "f: 0.7\n")  # 0.731 is not within 0.05 of 0.7? it is: 0.031
    assert cli("check", config("cs231n_neuron"), "--answers", str(bad)).exit_code == 0
    wrong = write_file(tmp_path, "wrong.yaml", "f: 0.732\n")
    assert cli("check", config("cs231n_neuron"), "--answers", str(wrong)).exit_code == 1


def test_check_round_accepts_numbers_rounded_along_the_way(tmp_path, config):
    answers = write_file(tmp_path, "a.yaml", "dw0: -0.20\n")  # −0.19661 to two decimals is −0.20 anyway
    assert cli("check", config("cs231n_neuron"), "--answers", str(answers), "--round", "2").exit_code == 0


def test_gradcheck_agrees(config):
    result = cli("gradcheck", config("micrograd"), "--json")
    assert result.exit_code == 0, result.stderr
    d = json.loads(result.stdout)
    assert d["ok"] and [p["name"] for p in d["parameters"]] == ["a", "b"]
    table = cli("gradcheck", config("micrograd"))
    assert table.exit_code == 0 and "all gradients agree" in table.stdout


def test_gradcheck_at_a_kink_is_undecided_not_wrong(tmp_path):
    path = write_file(tmp_path, "c.yaml", "values: {x: 0.0, y: 1.0}\nexpression: relu(x) * y\n")
    d = json.loads(cli("gradcheck", str(path), "--json", "--no-torch").stdout)
    assert d["ok"] and d["parameters"][0]["verdict"] in ("agree", "undecidable")


@pytest.mark.parametrize("kind", ["dot", "mermaid"])
def test_graph_draws_values_above_and_gradients_below(config, kind):
    result = cli("graph", config("cs231n_circuit"), "--format", kind, "--digits", "2")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    if kind == "dot":
        assert text.startswith("digraph circuit {")
        wires = re.findall(r'<font color="darkgreen">([^<]*)</font><br/><font color="red">([^<]*)</font>', text)
    else:
        assert text.startswith("flowchart LR")
        wires = re.findall(r'\|"([^<"]*)<br/>∂ ([^"]*)"\|', text)
    # x, y, q, z and f's wires as CS231n's figure prints them (value, gradient)
    assert sorted(wires) == sorted([("−2.00", "−4.00"), ("5.00", "−4.00"), ("3.00", "−4.00"),
                                    ("−4.00", "3.00"), ("−12.00", "1.00")])


def test_the_library_step_is_what_the_cli_prints(config):
    spec = load_spec(config("micrograd_neuron"))
    assert cli_json("step", config("micrograd_neuron")) == json.loads(json.dumps(worked_step(spec).to_dict()))


def test_gradcheck_below_the_noise_floor_is_undecided(tmp_path):
    from random_circuits import circuit, spec_text

    # a random circuit (the dump's circuit-0013) with a leaf whose gradient is 0 and whose difference is noise
    path = write_file(tmp_path, "c.yaml", spec_text(*circuit(14 * 1000 + 13)))
    result = cli("gradcheck", str(path), "--no-torch")
    assert result.exit_code == 0, result.stderr
    assert "? below noise" in result.stdout and "none disagree" in result.stdout


def test_output_file_and_html_refused(tmp_path, config):
    target = tmp_path / "doc.md"
    result = cli("step", config("cs231n_circuit"), "--format", "markdown", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text() == cli("step", config("cs231n_circuit"), "--format", "markdown").stdout
    html = cli("step", config("cs231n_circuit"), "--format", "html")
    assert html.exit_code == 2 and "--format html: not written for circuits yet" in html.stderr
