"""backcalc gradcheck: analytic gradients against central differences and torch.autograd."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import CONFIGS, cli, cli_json, one_line, write_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcalc.gradcheck import gradcheck
from backcalc.spec import parse_spec

SEEDS = ["sigmoid_seed", "batch_seed", "relu_seed", "linear_seed", "mazur", "batch_seed_forward"]


@pytest.mark.parametrize("name", SEEDS)
def test_seed_gradients_agree(config, name):
    result = cli("gradcheck", config(name), "--no-torch")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "all gradients agree" in result.stdout
    data = cli_json("gradcheck", config(name), "--no-torch")
    assert data["ok"] is True and data["torch"] is None and data["torch_skipped"] == "not requested"
    step = cli_json("step", config(name))
    assert [p["name"] for p in data["parameters"]] == [p["name"] for p in step["parameters"]]
    for row, p in zip(data["parameters"], step["parameters"], strict=True):
        assert row["analytic"] == pytest.approx(p["grad"], rel=1e-12, abs=1e-15)
        assert row["verdict"] == "agree" and row["rel_error"] <= data["tol"]


def test_table_lists_every_parameter_with_its_relative_error(config):
    out = cli("gradcheck", config("sigmoid_seed"), "--no-torch").stdout
    for name in ("w1", "w2", "w3", "w4", "b1", "w5", "w6", "b2"):
        assert f"\n {name} " in out
    assert "rel. error" in out and "✓" in out


def test_a_coarse_eps_disagrees_and_exits_1(config):
    # ε = 0.5 on a sigmoid network: the central difference is off in the third digit.
    result = cli("gradcheck", config("sigmoid_seed"), "--eps", "0.5", "--no-torch")
    assert result.exit_code == 1
    assert "disagree" in result.stdout
    assert "backcalc: gradcheck:" in result.stderr and "w5" in result.stderr
    data = json.loads(cli("gradcheck", config("sigmoid_seed"), "--eps", "0.5", "--no-torch", "--json").stdout)
    assert data["ok"] is False
    assert all(r["verdict"] == "disagree" for r in data["parameters"])


def test_a_broken_backward_pass_is_caught(config, monkeypatch):
    from backcalc import network

    real = network.Network.backward

    def broken(self, trace, t, record=True):
        back = real(self, trace, t, record)
        back.grad[self.names.index("w6")] *= 1.001  # a subtle bug in one gradient
        return back

    monkeypatch.setattr(network.Network, "backward", broken)
    result = cli("gradcheck", config("sigmoid_seed"), "--no-torch", "--json")
    assert result.exit_code == 1
    bad = [r["name"] for r in json.loads(result.stdout)["parameters"] if r["verdict"] == "disagree"]
    assert bad == ["w6"]
    assert "w6 disagree" in result.stderr


@pytest.mark.parametrize("eps", ["1e-13", "1e-12", "1e-10", "1e-8", None, "1e-4", "0.5"])
def test_the_verdict_is_judged_on_what_is_shown(config, eps):
    # A tiny step once agreed while showing relative errors of 17–100 %: its difference was
    # within the noise floor, which was counted as agreement.
    args = ["gradcheck", config("sigmoid_seed"), "--no-torch", *(["--eps", eps] if eps else [])]
    table, result = cli(*args), cli(*args, "--json")
    data = json.loads(result.stdout)
    rows = data["parameters"]
    for r in rows:
        diff = abs(r["analytic"] - r["finite_difference"])
        assert (r["verdict"] == "agree") == (r["rel_error"] <= data["tol"]), r
        if r["verdict"] == "undecidable":
            assert r["reason"] == "noise" and diff <= r["noise_floor"], r
        if r["verdict"] == "disagree":
            assert diff > r["noise_floor"], r
    verdicts = {r["verdict"] for r in rows}
    disagree = "disagree" in verdicts
    assert result.exit_code == table.exit_code == (1 if disagree else 0)
    assert data["ok"] is (not disagree)
    assert data["verdict"] == ("disagree" if disagree else "undecidable" if "undecidable" in verdicts else "agree")
    assert ("all gradients agree" in table.stdout) == (verdicts == {"agree"})
    marks = {"agree": "✓", "disagree": "✗", "undecidable": "? below noise"}
    for r in rows:
        line = next(line for line in table.stdout.splitlines() if line.split()[:1] == [r["name"]])
        assert line.rstrip().endswith(marks[r["verdict"]]), (line, r["verdict"])


def test_a_tiny_eps_cannot_decide_rather_than_agree(config):
    result = cli("gradcheck", config("sigmoid_seed"), "--no-torch", "--eps", "1e-12")
    assert result.exit_code == 0, result.stderr  # nothing disagrees
    assert "all gradients agree" not in result.stdout
    assert ("0 of 8 agree, none disagree; finite differences cannot decide 8: w1, w2, w3, w4, b1, w5, w6, b2 "
            "below the noise floor") in " ".join(result.stdout.split())
    assert "finite differences cannot decide w1, w2" in result.stderr and "the default step" in result.stderr
    data = json.loads(cli("gradcheck", config("sigmoid_seed"), "--no-torch", "--eps", "1e-12", "--json").stdout)
    assert data["verdict"] == "undecidable" and data["ok"] is True
    assert all((r["verdict"], r["reason"]) == ("undecidable", "noise") for r in data["parameters"])


def test_the_default_step_is_cbrt_eps_times_the_parameter(tmp_path):
    # parameters far from 1: the step scales with them, and the check still agrees
    (tmp_path / "big.yaml").write_text(
        "inputs: [[0.5, -2.0]]\ntargets: [[0.3]]\nlayers:\n"
        "  - {activation: tanh, weights: [[300.0, -0.002], [0.5, 40.0]], biases: [-250.0, 80.0]}\n"
        "  - {activation: identity, weights: [[1e4, 2.0]], biases: [0.0]}\nloss: mse\n")
    path = str(tmp_path / "big.yaml")
    data = cli_json("gradcheck", path, "--no-torch")
    assert data["eps"] is None and data["verdict"] == "agree", data["parameters"]
    values = {p["name"]: p["value"] for p in cli_json("step", path)["parameters"]}
    cbrt = np.finfo(float).eps ** (1 / 3)
    for r in data["parameters"]:
        # as represented: (p + h) − (p − h) is 2h rounded to p's ulps
        assert r["step"] == pytest.approx(cbrt * max(1.0, abs(values[r["name"]])), rel=1e-9), r
    assert "h = ∛ε·max(1, |p|)" in cli("gradcheck", path, "--no-torch").stdout


KINK = """
inputs: [1]
target: 1
layers:
  - activation: relu
    weights: [[w1: 1]]
    biases: [b1: -1]
  - activation: identity
    weights: [[w2: 1]]
    biases: [b2: 0]
loss: mse
"""


def test_relu_kink_is_reported_not_failed():
    # z = 1·1 − 1 = 0 exactly: ReLU has no derivative there.
    result = cli("gradcheck", "-", "--no-torch", "--json", input=KINK)
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)["parameters"]}
    assert all((rows[n]["verdict"], rows[n]["reason"]) == ("undecidable", "kink") for n in ("w1", "b1"))
    assert rows["w2"]["verdict"] == "agree" and rows["b2"]["verdict"] == "agree"
    assert "kink" in result.stderr and "w1" in result.stderr


@pytest.mark.parametrize("option", ["--eps", "--tol"])
def test_non_positive_eps_or_tol_is_bad_input(config, option):
    result = cli("gradcheck", config("relu_seed"), option, "0")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == f"{option}: expected a number > 0, got 0"


# -- random specs -------------------------------------------------------------------------

HIDDEN = ["identity", "relu", "leaky_relu", "sigmoid", "tanh"]
OUTPUT_LOSSES = [("identity", "mse"), ("identity", "squared_error"), ("tanh", "half_squared_error"),
                 ("sigmoid", "bce"), ("softmax", "cross_entropy"), ("softmax", "mse"), ("sigmoid", "mse"),
                 ("softmax", "bce")]


@st.composite
def random_specs(draw):
    n_in = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(HIDDEN)), min_size=0, max_size=2))
    out_act, loss = draw(st.sampled_from(OUTPUT_LOSSES))
    n_out = draw(st.integers(2 if out_act == "softmax" else 1, 3))
    n_samples = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    tie = draw(st.booleans())
    rng = np.random.default_rng(seed)
    sizes = [n_in, *[h[0] for h in hidden], n_out]
    acts = [h[1] for h in hidden] + [out_act]
    lines = [f"inputs: {rng.uniform(-2, 2, (n_samples, n_in)).round(3).tolist()}"]
    if loss in ("bce",):
        targets = rng.integers(0, 2, (n_samples, n_out)).astype(float)
    elif loss == "cross_entropy":
        targets = np.eye(n_out)[rng.integers(0, n_out, n_samples)]
    else:
        targets = rng.uniform(-1, 1, (n_samples, n_out)).round(3)
    lines.append(f"targets: {targets.tolist()}")
    lines.append("layers:")
    for li, act in enumerate(acts):
        w = rng.uniform(-1, 1, (sizes[li + 1], sizes[li])).round(3)
        b = rng.uniform(-1, 1, sizes[li + 1]).round(3)
        rows = [[float(v) for v in row] for row in w]
        if tie and li == 0 and rows[0]:
            rows[0][0] = {"shared": 0.25}
        if tie and li == len(acts) - 1 and len(rows[0]) > 0:
            rows[-1][-1] = {"shared": 0.25}
        lines += [f"  - activation: {act}", f"    weights: {json.dumps(rows)}", f"    biases: {b.tolist()}"]
    lines += [f"loss: {loss}", f"reduction: {draw(st.sampled_from(['mean', 'sum']))}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_random_specs_agree_with_finite_differences(text):
    spec = parse_spec(text, "<random>")
    result = gradcheck(spec, use_torch=False)
    bad = [(r.name, r.analytic, r.numeric, r.rel_error) for r in result.rows if r.verdict == "disagree"]
    assert not bad, text


# -- torch (optional) --------------------------------------------------------------------------

def test_torch_autograd_agrees_on_the_seeds(config):
    pytest.importorskip("torch")
    for name in SEEDS:
        data = cli_json("gradcheck", config(name))
        assert data["torch"] is not None
        for row in data["parameters"]:
            assert row["torch_verdict"] == "agree", (name, row)
            assert row["torch_rel_error"] < 1e-12


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_random_specs_agree_with_torch(text):
    pytest.importorskip("torch")
    result = gradcheck(parse_spec(text, "<random>"), use_torch=True)
    assert result.torch_version is not None
    bad = [(r.name, r.analytic, r.torch) for r in result.rows if r.torch_verdict != "agree"]
    assert not bad, text


def test_torch_columns_in_the_table(config):
    pytest.importorskip("torch")
    out = cli("gradcheck", config("mazur")).stdout
    assert "torch" in out and "all gradients agree" in out


def _wide_spec(tmp_path, hidden: int) -> str:
    rng = np.random.default_rng(3)
    np.save(tmp_path / "X.npy", rng.normal(size=(4, 30)))
    np.save(tmp_path / "T.npy", rng.uniform(size=(4, 2)))
    (tmp_path / "net.yaml").write_text(
        "inputs: {file: X.npy}\ntargets: {file: T.npy}\n"
        f"layers:\n  - {{size: {hidden}, activation: tanh}}\n  - {{size: 2, activation: sigmoid}}\n"
        "init: {seed: 2}\nloss: mse\nlearning_rate: 0.1\n")
    return str(tmp_path / "net.yaml")


def test_a_large_network_checks_a_fixed_sample_of_max_params(tmp_path):
    path = _wide_spec(tmp_path, 10)  # 30·10 + 10 + 10·2 + 2 = 332 parameters
    first = cli("gradcheck", path, "--no-torch", "--json", "--max-params", "25")
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert (data["checked"], data["of"]) == (25, 332) and len(data["parameters"]) == 25
    assert "checked 25 of the 332 parameters" in first.stderr
    names = [p["name"] for p in data["parameters"]]
    assert len(set(names)) == 25
    again = json.loads(cli("gradcheck", path, "--no-torch", "--json", "--max-params", "25").stdout)
    assert [p["name"] for p in again["parameters"]] == names  # the same sample every run
    # the sampled rows are the same numbers as in a check of everything
    everything = json.loads(cli("gradcheck", path, "--no-torch", "--json", "--max-params", "0").stdout)
    assert (everything["checked"], everything["of"]) == (332, 332)
    by_name = {p["name"]: p for p in everything["parameters"]}
    assert all(p == by_name[p["name"]] for p in data["parameters"])
    # the default checks 200
    default = json.loads(cli("gradcheck", path, "--no-torch", "--json").stdout)
    assert (default["checked"], default["of"]) == (200, 332)


def test_a_sampled_check_still_catches_a_broken_gradient(tmp_path, monkeypatch):
    from backcalc import network

    path = _wide_spec(tmp_path, 10)
    real = network.Network.backward

    def broken(self, trace, t, record=True):
        back = real(self, trace, t, record)
        back.grad[:] = back.grad * 1.01  # every gradient 1 % off
        return back

    monkeypatch.setattr(network.Network, "backward", broken)
    result = cli("gradcheck", path, "--no-torch", "--max-params", "7")
    assert result.exit_code == 1
    assert "7 of 7 disagree" in result.stdout


def test_an_infinite_loss_is_named_not_just_a_disagreement(tmp_path):
    (tmp_path / "inf.yaml").write_text(
        "inputs: [[1e200, 1e200]]\ntargets: [[0.0]]\n"
        "layers:\n  - {activation: identity, weights: [[1e200, 1e200]], biases: [0]}\n"
        "loss: mse\nlearning_rate: 0.1\n")
    result = cli("gradcheck", str(tmp_path / "inf.yaml"), "--no-torch")
    assert result.exit_code == 1
    assert "the loss is inf at the spec's parameters" in result.stderr


BASE = (CONFIGS / "mazur.yaml").read_text()




MAZUR = str(CONFIGS / "mazur.yaml")




def test_gradcheck_with_an_overflowing_loss_reports_not_crashes(tmp_path):
    spec = write_file(tmp_path, "spec.yaml", BASE.replace("target: 0.01", "target: 1e308"))
    result = cli("gradcheck", spec)
    assert result.exit_code == 1, result.stderr
    assert "internal error" not in result.stderr
    assert re.search(r"w1 .* nan .* ✗", result.stdout)


@pytest.mark.parametrize("option", ["--eps", "--tol"])
def test_gradcheck_infinite_eps_or_tol(option):
    assert one_line(cli("gradcheck", MAZUR, option, "inf")) == f"{option}: expected a finite number, got inf"
