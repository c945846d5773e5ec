"""`backcalc graph`: the network with one step's values, parsed back structurally and checked against `step --json`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import CONFIGS, cli, cli_json

DIGITS = 8
TOL = 0.6 * 10 ** -DIGITS

DOT_NODE = re.compile(r'^  "(\w+)" \[label="\{ (.*) \}"\];$')
DOT_EDGE = re.compile(r'^  "(\w+)" -> "(\w+)" \[label="(.*)"\];$')
MERMAID_NODE = re.compile(r'^  (\w+)\["(.*)"\]$')
MERMAID_EDGE = re.compile(r'^  (\w+) -->\|"(.*)"\| (\w+)$')


def parse_dot(text: str):
    lines = text.splitlines()
    assert lines[0] == "digraph backcalc {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := DOT_NODE.match(line):
            nodes[m[1]] = [f.replace("\\", "") for f in re.split(r"(?<!\\) \| ", m[2])]
        elif m := DOT_EDGE.match(line):
            edges.append((m[1], m[2], m[3].split("\\n")))
        else:
            assert not line.startswith('  "'), line  # every node and edge line is understood
    return nodes, edges


def parse_mermaid(text: str):
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes, edges = {}, []
    for line in lines[1:]:
        if m := MERMAID_NODE.match(line):
            nodes[m[1]] = m[2].split("<br/>")
        elif m := MERMAID_EDGE.match(line):
            edges.append((m[1], m[3], m[2].split("<br/>")))
        else:
            raise AssertionError(f"unparsed line: {line!r}")
    return nodes, edges


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def field(fields: list[str], prefix: str) -> float:
    hit = [f for f in fields if f.startswith(prefix)]
    assert len(hit) == 1, (prefix, fields)
    return number(hit[0][len(prefix):].split(",")[0])


def graph(fmt: str, config: str, *args: str):
    r = cli("graph", str(CONFIGS / f"{config}.yaml"), "--format", fmt, "--digits", str(DIGITS), *args)
    assert r.exit_code == 0, r.stderr
    return (parse_dot if fmt == "dot" else parse_mermaid)(r.stdout)


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
@pytest.mark.parametrize("config, sample", [("mazur", 1), ("batch_seed", 1), ("batch_seed", 2),
                                            ("relu_seed", 1)])
def test_graph_structure_and_values_match_the_step(fmt, config, sample):
    d = cli_json("step", str(CONFIGS / f"{config}.yaml"))
    nodes, edges = graph(fmt, config, "--sample", str(sample))
    s = sample - 1
    n_inputs = len(d["inputs"][0])
    n_neurons = sum(len(layer["neurons"]) for layer in d["layers"])
    n_weights = sum(len(w) * len(w[0]) for w in (layer["weights"] for layer in d["layers"]))
    n_outputs = len(d["layers"][-1]["neurons"])
    assert len(nodes) == n_inputs + n_neurons + 1  # inputs, neurons, the loss
    assert len(edges) == n_weights + n_outputs  # one per weight slot, outputs into the loss
    for j in range(n_inputs):
        assert field(nodes[f"in{j}"], "a = ") == pytest.approx(d["inputs"][s][j], abs=TOL)
    for li, layer in enumerate(d["layers"]):
        previous = [f"in{j}" for j in range(n_inputs)] if li == 0 else \
            [f"l{li}n{k + 1}" for k in range(len(d["layers"][li - 1]["neurons"]))]
        for i, neuron in enumerate(layer["neurons"]):
            f = nodes[f"l{li + 1}n{i + 1}"]
            assert f[0] == f"{neuron} ({layer['activation']})"
            assert field(f, "z = ") == pytest.approx(layer["z"][s][i], abs=TOL)
            assert field(f, "a = ") == pytest.approx(layer["a"][s][i], abs=TOL)
            # JSON's δ is of the batch loss L; a node shows its own sample's ℓ (the same for one sample)
            n = len(d["batch"])
            per_sample = layer["delta"][s][i] * (n if d["reduction"] == "mean" else 1)
            ell = "ℓ" if n > 1 else "L"
            assert field(f, f"δ = ∂{ell}/∂z = ") == pytest.approx(per_sample, abs=TOL * n)
            b = layer["bias_names"][i]
            assert field(f, f"{b} = ") == pytest.approx(layer["biases"][i], abs=TOL)
            assert number(f[-1].split(f"∂L/∂{b} = ")[1]) == pytest.approx(layer["grad_biases"][i], abs=TOL)
            incoming = {e[0]: e[2] for e in edges if e[1] == f"l{li + 1}n{i + 1}"}
            assert list(incoming) == previous
            for j, src in enumerate(previous):
                w = layer["weight_names"][i][j]
                assert field(incoming[src], f"{w} = ") == pytest.approx(layer["weights"][i][j], abs=TOL)
                assert field(incoming[src], f"∂L/∂{w} = ") == pytest.approx(layer["grad_weights"][i][j], abs=TOL)
    assert field(nodes["loss"], "L = ") == pytest.approx(d["loss"], abs=TOL)
    into_loss = [e for e in edges if e[1] == "loss"]
    assert [e[0] for e in into_loss] == [f"l{len(d['layers'])}n{i + 1}" for i in range(n_outputs)]
    for i, e in enumerate(into_loss):
        assert number(e[2][0].split(" = ")[1]) == pytest.approx(d["targets"][s][i], abs=TOL)


def test_tied_weights_show_their_shared_gradient():
    nodes, _ = graph("dot", "mazur")
    # Mazur's b1 is one parameter used by both hidden neurons: both nodes show its total gradient.
    h1, h2 = nodes["l1n1"][-1], nodes["l1n2"][-1]
    assert h1 == h2 and h1.startswith("b1 = 0.35, ∂L/∂b1 = ")
    grads = {p["name"]: p["grad"] for p in cli_json("step", str(CONFIGS / "mazur.yaml"))["parameters"]}
    assert number(h1.split("= ")[-1]) == pytest.approx(grads["b1"], abs=TOL)


def test_names_needing_escapes_stay_valid(tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text('name: "a {b} | <c>"\ninputs: [[1]]\ntargets: [[0.5]]\nlayers:\n  - activation: sigmoid\n'
                    '    names: ["n|1"]\n    weights: [["w\\"1": 0.5]]\n')
    r = cli("graph", spec)
    assert r.exit_code == 0, r.stderr
    nodes, edges = parse_dot(r.stdout)
    assert nodes["l1n1"][0] == "n|1 (sigmoid)"
    assert edges[0][2][0] == 'w\\"1 = 0.5'  # DOT's escaped quote inside the label string
    m = cli("graph", spec, "--format", "mermaid")
    mnodes, medges = parse_mermaid(m.stdout)
    assert medges[0][2][0] == "w#quot;1 = 0.5"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_the_output():
    r = cli("graph", str(CONFIGS / "batch_seed.yaml"))
    svg = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True, timeout=60)
    assert svg.returncode == 0 and "<svg" in svg.stdout


def test_bad_graph_options():
    r = cli("graph", str(CONFIGS / "batch_seed.yaml"), "--sample", "3")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.strip() == "--sample: the first batch has 2 samples, got 3"
    r = cli("graph", str(CONFIGS / "batch_seed.yaml"), "--format", "png")
    assert r.exit_code == 2 and r.stdout == ""
    assert "'png' is not one of 'dot', 'mermaid'" in r.stderr
