"""`backcalc graph`: the network with one step's values, parsed back structurally and checked against `step --json`."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest
from conftest import CONFIGS, ROOT, cli, cli_json, network_configs

DATA = ROOT / "tests" / "data"

DIGITS = 8
TOL = 0.6 * 10 ** -DIGITS

DOT_NODE = re.compile(r'^  "(\w+)" \[label=<(<TABLE.*</TABLE>)>(?:, [^\]]*)?\];$')
DOT_EDGE = re.compile(r'^  "(\w+)"(?::out)?:e -> "(\w+)"(?::(p\d+))?:w(?: \[.*\])?;$')
DOT_RANK = re.compile(r'^  \{ rank=same; ((?:"\w+" ?)+);(?: .* \[style=invis\];)? \}$')
MERMAID_NODE = re.compile(r'^  (\w+)\["(.*)"\]$')
MERMAID_EDGE = re.compile(r'^  (\w+) (?:-->|==>)\|"(.*)"\| (\w+)$')  # ==>: a max pool's winner


def _cells(row: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<TD[^>]*>(.*?)</TD>", row)]


def parse_dot(text: str, ranks: list | None = None):
    """Nodes (id: the fields of build(): title, values) and edges (source, target, the fields of the row
    where the edge ends) of to_dot's output; `ranks` collects the node ids of each column in order."""
    lines = re.sub(r"\n    (<TR>)", r"\1", text).splitlines()  # a node's table rows, one a line
    assert lines[0] == "digraph backcalc {" and lines[-1] == "}"
    nodes, ports, edges = {}, {}, []
    for line in lines[1:-1]:
        if m := DOT_NODE.match(line):
            rows = re.findall(r"<TR>.*?</TR>", m[2])
            nodes[m[1]] = [", ".join(_cells(r)) for r in rows if "PORT=\"p" not in r]
            ports[m[1]] = {p: _cells(r) for r in rows for p in re.findall(r'PORT="(p\d+)"', r)}
        elif m := DOT_EDGE.match(line):
            edges.append((m[1], m[2], m[3]))
        elif m := DOT_RANK.match(line):
            if ranks is not None:
                ranks.append(re.findall(r'"(\w+)"', m[1]))
        else:
            assert not line.startswith(('  "', "  {")), line  # every node, edge and rank line is understood
    edges = [(a, b, ports[b][p] if p else []) for a, b, p in edges]
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
        elif m := re.match(r"^  (\w+) -\.-> (\w+)$", line):
            edges.append((m[1], m[2], []))
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
    assert edges[0][2][0] == 'w"1 = 0.5' and "w&quot;1 = 0.5" in r.stdout  # HTML-escaped in the label
    m = cli("graph", spec, "--format", "mermaid")
    mnodes, medges = parse_mermaid(m.stdout)
    assert medges[0][2][0] == "w#quot;1 = 0.5"


NET_8_10_3 = DATA / "net_8_10_3.yaml"
# every network config, of every layer kind (test_graph_kinds.py checks the kinds' edges)
DRAWN = [*network_configs(), NET_8_10_3, DATA / "wide.yaml"]


def _svg_size_and_texts(svg: str) -> tuple[float, float, set[str]]:
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    texts = {html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)}
    return float(m[1]), float(m[2]), texts


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("spec", DRAWN, ids=lambda p: p.stem)
def test_graphviz_draws_a_readable_figure(spec):
    """A figure, not a strip: the drawing's sides within 1:4 of each other (the record-shaped nodes
    of old made Mazur's net 13 times wider than high), and every value written in it."""
    r = cli("graph", str(spec), "--quiet")
    assert r.exit_code == 0, r.stderr
    svg = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True, timeout=60)
    assert svg.returncode == 0, svg.stderr
    # no warning about the drawing (an unknown port, a bad label); a machine's missing fonts are not ours
    assert not [w for w in svg.stderr.splitlines() if "font" not in w.lower() and "metrics" not in w], svg.stderr
    width, height, texts = _svg_size_and_texts(svg.stdout)
    # a gated cell's edges list its gates side by side and time unrolls left to right: up to 1:8 there
    widest = 8 if spec.stem in ("gru_sequence", "lstm_sequence") else 4
    assert 1 / 4 <= width / height <= widest, (width, height)
    nodes, edges = parse_dot(r.stdout)
    labels = {f for fields in nodes.values() for f in fields} | {f for *_, fields in edges for f in fields}
    # a row of two cells (a value, its gradient) is two texts in the SVG; parse_dot joins them with ", "
    # (a gated cell's cells hold commas of their own: any split into two written texts will do)
    missing = {f for f in labels if f not in texts and not any(
        f[:k] in texts and f[k + 2:] in texts for k in range(len(f)) if f.startswith(", ", k))}
    assert labels and not missing, missing


def test_columns_in_spec_order_and_wide_layers_summarised():
    ranks: list = []
    r = cli("graph", str(NET_8_10_3))
    nodes, edges = parse_dot(r.stdout, ranks)
    assert "ordering=out" in r.stdout and "rankdir=LR" in r.stdout
    assert ranks == [[f"in{j}" for j in range(8)], ["l1n1", "l1n2", "l1n3", "l1more", "l1n10"],
                     ["l2n1", "l2n2", "l2n3"], ["loss"]]
    assert nodes["l1more"] == ["⋮", "6 more neurons", "(--full)"]
    # every shown neuron of layer 2 has a row per shown neuron of layer 1 and one for the gap
    into = [(a, fields[0].split(" = ")[0]) for a, b, fields in edges if b == "l2n1"]
    assert into == [("l1n1", "W2[1,1]"), ("l1n2", "W2[1,2]"), ("l1n3", "W2[1,3]"), ("l1more", "⋮"),
                    ("l1n10", "W2[1,10]")]
    full: list = []
    nodes, edges = parse_dot(cli("graph", str(NET_8_10_3), "--full").stdout, full)
    assert full[1] == [f"l1n{i}" for i in range(1, 11)] and not any(n.endswith("more") for n in nodes)
    assert len([e for e in edges if e[1] != "loss"]) == 8 * 10 + 10 * 3
    mermaid = cli("graph", str(NET_8_10_3), "--format", "mermaid").stdout
    mnodes, medges = parse_mermaid(mermaid)
    assert mnodes["l1more"] == ["⋮", "6 more neurons", "(--full)"] and ("l1more", "l2n1", []) in medges


def test_bad_graph_options():
    r = cli("graph", str(CONFIGS / "batch_seed.yaml"), "--sample", "3")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.strip() == "--sample: the first batch has 2 samples, got 3"
    r = cli("graph", str(CONFIGS / "batch_seed.yaml"), "--format", "png")
    assert r.exit_code == 2 and r.stdout == ""
    assert "'png' is not one of 'dot', 'mermaid'" in r.stderr
