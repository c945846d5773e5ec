"""`backcalc graph` for every layer kind, through the CLI: each unit's edges are the kind's `reads`
(conv's receptive field, a pool's window, flatten's and batchnorm's one input, an rnn unrolled:
xₜ and hₜ₋₁ into hₜ), each conv edge labelled with the kernel entry found here from the geometry,
every tied label the same wherever it appears, a max pool's winner the one strong edge, and Graphviz
renders each drawing without a warning. On the bundled configs and random mixed specs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CONFIGS, cli, cli_json
from test_graph import TOL, field, number, parse_dot, parse_mermaid

import backcalc
from backcalc.layers import kind_of
from backcalc.render.graph import build as graph_build

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers"))
from kind_specs import random_kind_spec  # noqa: E402
from test_rnn import random_rnn_spec  # noqa: E402

KIND_CONFIGS = ["conv_image", "batchnorm_batch", "rnn_sequence"]
STRONG = re.compile(r'^  "(\w+)"(?::out)?:e -> "(\w+)"(?::p\d+)?:w \[color="firebrick", penwidth=2\.5\];$', re.M)


def spec_file(tmp_path, spec: dict) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(json.dumps(spec))  # YAML reads JSON
    return path


def specs() -> list:
    return ([CONFIGS / f"{c}.yaml" for c in KIND_CONFIGS] + [("kinds", s) for s in range(12)]
            + [("rnn", s) for s in range(6)])


def resolve(tmp_path, spec) -> Path:
    if isinstance(spec, Path):
        return spec
    kind, seed = spec
    return spec_file(tmp_path, random_kind_spec(seed) if kind == "kinds" else random_rnn_spec(seed))


def output_ids(spec, li: int) -> list[str]:
    """The node id of each output unit of layer li (−1: the inputs), as the drawing names them."""
    if li < 0:
        return [f"in{j}" for j in range(len(spec.inputs[0]))]
    kind = kind_of(spec.layers[li])
    if kind.name != "rnn":
        return [f"l{li + 1}n{i + 1}" for i in range(len(kind.neurons))]
    t_last = kind.time if not kind.every else None
    if t_last:
        return [f"l{li + 1}t{t_last}n{k + 1}" for k in range(kind.hidden)]
    return [f"l{li + 1}t{t + 1}n{k + 1}" for t in range(kind.time) for k in range(kind.hidden)]


def conv_entry(options: dict, i: int, k: int) -> tuple[int, ...]:
    """The kernel entry (out channel, in channel, offsets…) that input k meets at output unit i, from
    the geometry alone: k's position minus the output position times the stride, plus the padding."""
    shape, kernel, stride, pad = (tuple(options[key]) for key in ("in_shape", "kernel", "stride", "padding"))
    out = tuple((n + 2 * p - kk) // s + 1 for n, kk, s, p in zip(shape[1:], kernel, stride, pad))
    c_out, q = divmod(i, int(np.prod(out)))
    c_in, *at = np.unravel_index(k, shape)
    where = np.unravel_index(q, out)
    offsets = tuple(int(a - w * s + p) for a, w, s, p in zip(at, where, stride, pad))
    assert all(0 <= o < kk for o, kk in zip(offsets, kernel))
    return (c_out, int(c_in), *offsets)


def into(edges, target: str) -> list[tuple[str, list[str]]]:
    return [(a, fields) for a, b, fields in edges if b == target]


def check_layer(spec, d: dict, li: int, nodes: dict, edges: list, strong: set, s: int = 0) -> None:
    """Layer li's drawn edges against its kind's `reads` and its labels against `step --json`."""
    layer, kind, out = spec.layers[li], kind_of(spec.layers[li]), d["layers"][li]
    below = output_ids(spec, li - 1)
    names = d["layers"][li - 1]["neurons"] if li else [f"x{j + 1}" for j in range(len(below))]
    a_below = np.array(d["inputs"] if li == 0 else d["layers"][li - 1]["a"], dtype=float)
    if kind.name == "rnn":
        return check_rnn(spec, d, li, nodes, edges, s)
    for i, target in enumerate(output_ids(spec, li)):
        drawn = into(edges, target)
        assert sorted(a for a, _ in drawn) == sorted(below[k] for k in kind.reads(i)), (li, i)
        for src, fields in drawn:
            k = below.index(src)
            if kind.name == "conv":
                c_out, c_in, *at = conv_entry(layer.options, i, k)
                name = np.array(out["weight_names"], dtype=object)[(c_out, c_in, *at)]
                assert fields[0].split(" = ")[0] == name
            elif kind.name == "maxpool":
                assert ((src, target) in strong) == (fields[1] == "∂a/∂x = 1 (max ◀)") and fields[0] == names[k]
            elif kind.name == "avgpool":
                assert fields[0] == f"1/{int(np.prod(layer.options['kernel']))} · {names[k]}"
            elif kind.name == "flatten":
                assert fields == [f"= {names[k]}"]
            elif kind.name == "batchnorm":
                gamma = out["weight_names"][i][0]
                assert field(fields, f"γ: {gamma} = ") == pytest.approx(out["weights"][i][0], abs=TOL)
        if kind.name == "maxpool":  # one strong edge: from an input holding the window's largest value
            won = [below.index(a) for a, _ in drawn if (a, target) in strong]
            assert len(won) == 1 and a_below[s, won[0]] == max(a_below[s, k] for k in kind.reads(i))
        if kind.name == "batchnorm":
            row = next(f for f in nodes[target] if f.startswith("μ = "))
            mean, var = row.split(", σ² = ")
            assert number(mean[4:]) == pytest.approx(a_below[:, i].mean(), abs=TOL)
            assert number(var.split()[0]) == pytest.approx(a_below[:, i].var(), abs=TOL)
        if kind.name != "flatten":
            assert field(nodes[target], "a = ") == pytest.approx(out["a"][s][i], abs=TOL)


def check_rnn(spec, d: dict, li: int, nodes: dict, edges: list, s: int) -> None:
    """hₜ's unit k reads xₜ's features through W_x and hₜ₋₁ through W_h, the same labels every step."""
    kind, out = kind_of(spec.layers[li]), d["layers"][li]
    below, f, n_h = output_ids(spec, li - 1), kind.features, kind.hidden
    for t in range(1, kind.time + 1):
        for k in range(n_h):
            target = f"l{li + 1}t{t}n{k + 1}"
            drawn = into(edges, target)
            expected = [below[(t - 1) * f + j] for j in range(f)] + \
                [f"l{li + 1}t{t - 1}n{m + 1}" for m in range(n_h)]
            assert [a for a, _ in drawn] == expected
            assert [fields[0].split(" = ")[0] for _, fields in drawn] == out["weight_names"][k]
            assert field(nodes[target], "a = ") == pytest.approx(out["hidden_state"][s][t - 1][k], abs=TOL)
            assert field(nodes[target], "z = ") == pytest.approx(out["pre_activation"][s][t - 1][k], abs=TOL)
    for m in range(n_h):  # h₀: the initial state
        assert field(nodes[f"l{li + 1}t0n{m + 1}"], "a = ") == pytest.approx(kind.h0[m], abs=TOL)


def tied_labels(d: dict, edges: list, nodes: dict) -> int:
    """Every label naming a parameter carries the same value and gradient wherever it is drawn, and
    they are the step's; returns how many edges share a label with another."""
    seen: dict[str, set] = {}
    for *_, fields in edges:
        if len(fields) == 2 and fields[1].startswith("∂L/∂"):
            name = fields[0].split(" = ")[0].removeprefix("γ: ")
            seen.setdefault(name, set()).add(tuple(fields))
    params = {p["name"]: p for p in d["parameters"]}
    for name, labels in seen.items():
        assert len(labels) == 1, labels
        value, grad = next(iter(labels))
        assert number(value.split(" = ")[1]) == pytest.approx(params[name]["value"], abs=TOL)
        assert number(grad.split(" = ")[1]) == pytest.approx(params[name]["grad"], abs=TOL)
    counts: dict[str, int] = {}
    for *_, fields in edges:
        if len(fields) == 2 and fields[1].startswith("∂L/∂"):
            counts[fields[0]] = counts.get(fields[0], 0) + 1
    return sum(c for c in counts.values() if c > 1)


def draw(path: Path, fmt: str, *args: str) -> str:
    r = cli("graph", str(path), "--format", fmt, "--digits", "8", "--full", "-q", *args)
    assert r.exit_code == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.stem if isinstance(s, Path) else f"{s[0]}{s[1]}")
def test_each_kinds_edges_are_its_reads_and_tied_labels_agree(tmp_path, spec):
    path = resolve(tmp_path, spec)
    loaded, d = backcalc.load_spec(path), cli_json("step", str(path))
    text = draw(path, "dot")
    nodes, edges = parse_dot(text)
    strong = {(m[1], m[2]) for m in STRONG.finditer(text)}
    for li in range(len(loaded.layers)):
        check_layer(loaded, d, li, nodes, edges, strong)
    shared = tied_labels(d, edges, nodes)
    kinds = [kind_of(layer) for layer in loaded.layers]
    if any(k.name == "conv" and k.window.positions > 1 or k.name == "rnn" and k.time > 1 for k in kinds):
        assert shared > 0  # a kernel entry (an rnn weight) labels several edges: the sharing shows
    mermaid = draw(path, "mermaid")
    mnodes, medges = parse_mermaid(mermaid)
    assert set(mnodes) == set(nodes)
    assert sorted((a, b, f) for a, b, f in map(lambda e: (e[0], e[1], tuple(e[2])), medges)) == \
        sorted((a, b, tuple(f)) for a, b, f in edges)  # the same edges, the same labels
    strong_mermaid = set(re.findall(r"^  (\w+) ==>\|.*\| (\w+)$", mermaid, re.M))
    assert strong_mermaid == strong


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.stem if isinstance(s, Path) else f"{s[0]}{s[1]}")
def test_graphviz_renders_every_kind_without_a_warning(tmp_path, spec):
    path = resolve(tmp_path, spec)
    for args in ([], ["--full"]):
        r = cli("graph", str(path), "-q", *args)
        assert r.exit_code == 0, r.stderr
        svg = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True, timeout=120)
        assert svg.returncode == 0, svg.stderr
        assert not [w for w in svg.stderr.splitlines() if "font" not in w.lower() and "metrics" not in w], svg.stderr
        assert svg.stdout.count('class="node"') == r.stdout.count("[label=<")


def big_conv(rng) -> dict:
    """3 channels of 12×12 through 2 kernels of 3×3 (27 inputs a position, 200 units), a pool, a dense."""
    draw = lambda *shape: np.round(rng.uniform(-1, 1, shape), 2).tolist()  # noqa: E731
    return {"inputs": draw(1, 3 * 12 * 12), "targets": [[0.5]], "loss": "mse", "learning_rate": 0.1,
            "init": {"seed": 1}, "layers": [
                {"type": "conv2d", "input_shape": [3, 12, 12], "out_channels": 2, "kernel_size": 3,
                 "activation": "relu"},
                {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"}, {"size": 1, "activation": "identity"}]}


def test_a_big_layer_is_summarised_with_a_note_and_drawn_whole_with_full(tmp_path):
    path = spec_file(tmp_path, big_conv(np.random.default_rng(1)))
    ranks: list = []
    text = cli("graph", str(path), "-q").stdout
    nodes, edges = parse_dot(text, ranks)
    # at most 16 units a column of a grid (14, a gap, the last), at most 9 edges into a node
    assert [len(r) for r in ranks] == [16, 16, 16, 16, 1, 1]
    assert nodes["inmore"] == ["⋮", "417 more inputs", "(--full)"] and nodes["l1more"][1] == "185 more units"
    assert max(len(into(edges, n)) for n in nodes) == 16  # the dense output: one row a drawn input
    conv = [n for n in nodes if n.startswith("l1n")]
    assert all(len(into(edges, n)) <= 9 and "⋮ 18 more inputs (--full)" in nodes[n] for n in conv)
    assert len(edges) < 300
    full = parse_dot(cli("graph", str(path), "-q", "--full").stdout)[1]
    assert len(full) == 200 * 27 + 50 * 4 + 50 + 50 + 1  # conv, pool windows, flatten, dense, loss


def test_a_long_rnn_is_summarised_by_steps_and_units(tmp_path):
    rng = np.random.default_rng(2)
    draw = lambda *shape: np.round(rng.uniform(-1, 1, shape), 2).tolist()  # noqa: E731
    t, f, h = 10, 2, 9
    spec = {"inputs": draw(1, t * f), "targets": [[0.5]], "loss": "mse", "learning_rate": 0.1, "init": {"seed": 3},
            "layers": [{"type": "rnn", "input_shape": [t, f], "weights_input": draw(h, f),
                        "weights_hidden": draw(h, h), "biases": draw(h), "activation": "tanh", "return": "all"},
                       {"size": 1, "activation": "identity"}]}
    path = spec_file(tmp_path, spec)
    ranks: list = []
    nodes, edges = parse_dot(cli("graph", str(path), "-q").stdout, ranks)
    # the inputs of the steps drawn (1, 2, 3 and 10), h₀, those steps' first 3 units, a gap, the last
    assert ranks[0] == ["in0", "in1", "in2", "in3", "in4", "in5", "inmore", "in18", "in19"]
    assert nodes["l1tmore"][1] == "6 more time steps" and nodes["l1t1more"][1] == "5 more units"
    assert [r[0] for r in ranks[1:6]] == ["l1t0n1", "l1t1n1", "l1t2n1", "l1t3n1", "l1tmore"]
    assert [a for a, _ in into(edges, "l1t10n1")] == ["in18", "in19", "l1tmore"]  # x₁₀, then h₉ left out
    assert len(edges) < 200


def test_a_kind_graph_does_not_know_is_one_line_not_a_wrong_drawing(monkeypatch):
    """A kind added later (without a drawing here) is refused in one line; the page says so and goes on."""
    from backcalc.errors import UsageError
    from backcalc.render import html_page
    from backcalc.render.html_page_graph import network_svg

    result = backcalc.step(backcalc.load_spec(CONFIGS / "batchnorm_batch.yaml"))
    kind, result.layers[1].kind = result.layers[1].kind, "mystery"
    with pytest.raises(UsageError, match=r"^graph cannot draw layer 2 \(mystery\) yet: see its tables") as refused:
        graph_build(result)
    with pytest.raises(UsageError):
        network_svg(result)
    result.layers[1].kind = kind  # the rest of the page reads the kind too: only the drawing refuses

    def refuse(*args):
        raise refused.value

    monkeypatch.setattr(html_page, "network_svg", refuse)
    page = html_page.render(result)
    assert '<p class="note">No drawing of the network: graph cannot draw layer 2 (mystery) yet' in page
    assert "<svg" not in page and "The step's tables" in page
