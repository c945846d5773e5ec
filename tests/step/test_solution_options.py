"""Worked solutions with `--round N` and `--per-sample`, per-sample loss symbols and optimizer lines, via the CLI."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import cli, cli_json
from random_specs import random_spec


def _doc(*args, input=None) -> str:
    result = cli("step", *args, "-q", input=input)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def _last_value(doc: str, lhs: str) -> float:
    """The final number of the (first) equation whose left-hand side is `lhs`."""
    lines = doc.splitlines()
    for k, line in enumerate(lines):
        if line.startswith(lhs + " &= "):
            while lines[k + 1].startswith("&= "):  # an equation broken over several lines
                k += 1
            text = lines[k].rstrip(" \\").rsplit("= ", 1)[1]
            return float(re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", text).strip("()"))
    raise AssertionError(f"no equation for {lhs}")


def _hand(config_args, decimals: int) -> dict:
    data = cli_json("step", *config_args, "--round", str(decimals))
    return {q["quantity"]: q for q in data["hand_rounding"]["quantities"]}


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_round_writes_the_hand_rounded_computation(config, fmt):
    """batch_seed drifts at 3 decimals (the loss by hand is 1.917, exact 1.91808): the document shows 1.917."""
    args = [config("batch_seed")]
    hand = _hand(args, 3)
    assert hand["loss"]["drift"] != 0  # the case worth testing: by hand is not the exact value rounded
    doc = _doc(*args, "--format", fmt, "--round", "3")
    assert _last_value(doc, "L") == pytest.approx(hand["loss"]["by_hand"], abs=1e-12)
    assert _last_value(doc, r"\frac{\partial L}{\partial W^{(2)}_{1,2}}") == \
        pytest.approx(hand["dL/dW2[1,2]"]["by_hand"], abs=1e-12)
    assert _last_value(doc, r"{W^{(2)}_{1,2}}^{\mathrm{new}}") == \
        pytest.approx(hand["W2[1,2]_new"]["by_hand"], abs=1e-12)
    assert "rounded to 3 decimals before it is used again" in doc
    assert r"each chain-rule product is the rounded $\delta$ times the input" in doc  # (pdflatex drops a bare δ)
    assert "Numbers are rounded for display only" not in doc
    # the drift section names each drifted quantity, as the --round table does
    for q in hand.values():
        if q["drift"]:
            assert re.sub(r"([_\[\]])", r"\\\1", q["quantity"]) in doc or \
                q["quantity"].replace("_", r"\_") in doc
    exact = _doc(*args, "--format", fmt)
    assert _last_value(exact, "L") == pytest.approx(cli_json("step", *args)["loss"], abs=1e-5)


def test_round_products_are_the_rounded_delta_times_the_input(config):
    """Every chain-rule product line `δ · x = p` of the document holds with p = round(δ·x, N)."""
    doc = _doc(config("sigmoid_seed"), "--format", "markdown", "--round", "4")
    section = doc[doc.index("## 4."):doc.index("## 5.")]
    products = re.findall(r"= \(?(-?[\d.]+)\)? \\cdot \(?(-?[\d.]+)\)? = (-?[\d.]+)(?: \\\\)?$", section, re.M)
    assert len(products) == 9  # one per slot: 8 parameters, the tied b1 twice
    for delta, source, product in products:
        assert float(product) == pytest.approx(round(float(delta) * float(source), 4), abs=1e-12)


def test_round_shows_at_least_n_decimals(config):
    doc = _doc(config("sigmoid_seed"), "--format", "markdown", "--round", "6", "--digits", "2")
    hand = _hand([config("sigmoid_seed")], 6)
    assert _last_value(doc, "h_{1}") == pytest.approx(hand["h1"]["by_hand"], abs=1e-12)


def test_round_with_an_optimizer_recomputes_its_lines(config):
    args = [config("sigmoid_seed_adam")]
    hand = _hand(args, 4)
    doc = _doc(*args, "--format", "markdown", "--round", "4")
    for p in ("w1", "w5", "b2"):
        sym = re.sub(r"([a-z])(\d)", r"\1_{\2}", p)
        assert _last_value(doc, rf"{{{sym}}}^{{\mathrm{{new}}}}") == pytest.approx(hand[f"{p}_new"]["by_hand"],
                                                                                  abs=1e-12)


def test_blank_round_exercise_and_its_solution(config, tmp_path):
    solution = tmp_path / "solution.md"
    args = [config("batch_seed"), "--format", "markdown", "--round", "3"]
    exercise = _doc(*args, "--blank", "--solution", solution)
    assert "rounded to 3 decimals before it is used again" in exercise
    assert "Hand-rounding" not in exercise  # the drift table would give the answers away
    assert solution.read_text() == _doc(*args)
    assert "Hand-rounding to 3 decimals" in solution.read_text()


def test_exact_and_round_in_a_document_is_a_usage_error(config):
    result = cli("step", config("relu_seed"), "--format", "markdown", "--exact", "--round", "2")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--exact and --round" in result.stderr
    # tables keep taking both: the exact step and the hand-rounding table beside it
    assert cli("step", config("relu_seed"), "--exact", "--round", "2").exit_code == 0


def _ten_samples() -> str:
    xs = [[i / 10, 1 - i / 7] for i in range(10)]
    ts = [[(i % 3) / 2] for i in range(10)]
    return f"""
inputs: {xs}
targets: {ts}
learning_rate: 0.5
loss: squared_error
reduction: mean
layers:
  - activation: tanh
    weights: [[0.3, -0.2], [0.1, 0.4]]
    biases: [0.05, -0.1]
  - activation: sigmoid
    weights: [[0.7, -0.6]]
    biases: [0.2]
"""


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_per_sample_writes_every_sample_and_the_per_sample_table(fmt):
    text = _ten_samples()
    data = cli_json("step", "-", "--per-sample", input=text)["per_sample"]
    plain = _doc("-", "--format", fmt, input=text)
    assert "remaining 2 samples" in plain and "Sample 9" not in plain
    doc = _doc("-", "--format", fmt, "--per-sample", input=text)
    assert "remaining" not in doc
    assert "Sample 10" in doc and r"\ell_{10}" in doc
    table = doc[doc.index("Per sample, before the mean"):]
    # LaTeX cuts a table wider than the page into several, each repeating the first column
    rows = [line for line in table.splitlines() if r"\partial W^{(2)}_{1,1}}" in line]
    assert (len(rows) > 1) == (fmt == "latex")
    cells = [c for row in rows for c in re.findall(r"\$(-?[\d.]+(?: \\times 10\^\{-?\d+\})?)\$", row)]
    values = [float(re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", c)) for c in cells]
    expected = data["grad"]["W2[1,1]"] + [data["reduced_grad"]["W2[1,1]"]]
    assert values == pytest.approx(expected, abs=1e-5)
    assert "Per sample" not in plain


def test_per_sample_table_sums_a_tied_parameters_slots(config):
    """mazur's b1 is tied (two slots): the table's ∂ℓ/∂b1 is the --per-sample JSON's, the slots added."""
    data = cli_json("step", config("mazur"), "--per-sample")["per_sample"]
    doc = _doc(config("mazur"), "--format", "markdown", "--per-sample")
    row = next(line for line in doc.splitlines() if line.startswith(r"| $\frac{\partial \ell_n}{\partial b_{1}}$"))
    values = [float(v) for v in re.findall(r"\$(-?[\d.]+)\$", row)]
    assert values == pytest.approx(data["grad"]["b1"] + [data["reduced_grad"]["b1"]], abs=1e-5)


LOSS_SPECS = {
    "squared_error": ("sigmoid", [[0.2], [0.9]]),
    "half_squared_error": ("identity", [[0.2], [0.9]]),
    "mse": ("tanh", [[0.2], [-0.5]]),
    "bce": ("sigmoid", [[1], [0]]),
    "cross_entropy": ("sigmoid", [[1], [0.25]]),
}


def _two_samples(loss: str, outputs: int = 1) -> str:
    act, ts = LOSS_SPECS[loss]
    if outputs == 2:
        ts = [[t[0], 1 - t[0]] for t in ts]
        act = "softmax" if loss == "cross_entropy" else act
    weights = [[0.4, -0.3]] if outputs == 1 else [[0.4, -0.3], [0.2, 0.5]]
    return f"""
inputs: [[1, 2], [0.5, -1]]
targets: {ts}
loss: {loss}
learning_rate: 0.1
layers:
  - activation: {act}
    weights: {weights}
    biases: {[0.1] * outputs}
"""


@pytest.mark.parametrize("outputs", [1, 2])
@pytest.mark.parametrize("loss", sorted(LOSS_SPECS))
def test_loss_lines_index_target_and_output_by_sample(loss, outputs):
    text = _two_samples(loss, outputs)
    doc = _doc("-", "--format", "markdown", input=text)
    section = doc[doc.index("## 2. Loss"):doc.index("## 3.")]
    line1 = next(line for line in section.splitlines() if line.startswith(r"\ell_{1} &="))
    line2 = next(line for line in section.splitlines() if line.startswith(r"\ell_{2} &="))
    t = "t" if outputs == 1 else "t_{1}"
    assert f"{t}^{{(1)}}" in line1 and "o_{1}^{(1)}" in line1 and "^{(2)}" not in line1
    assert f"{t}^{{(2)}}" in line2 and "o_{1}^{(2)}" in line2 and "^{(1)}" not in line2
    # no target or output symbol left without its sample
    symbolic = line1.split(" = ")[0]
    assert not re.search(r"(?<![\\a-z])t(?:_\{\d\})?(?![_^a-z])", symbolic.split("&=")[1])
    assert not re.search(r"o_\{\d\}(?!\^)", symbolic.split("&=")[1])
    # the backward pass's derivative of each sample's loss names the sample's target too
    backward = doc[doc.index("## 3."):doc.index("## 4.")]
    assert f"{t}^{{(2)}}" in backward
    # one sample: no index
    single = _doc("-", "--format", "markdown", "--set", "inputs=[[1, 2]]",
                  "--set", f"targets=[{LOSS_SPECS[loss][1][0] if outputs == 1 else [0.2, 0.8]}]", input=text)
    assert f"{t}^{{(1)}}" not in single and "o_{1}^{(1)}" not in single
    assert f"{t} \\log o_{{1}}" in single or f"(o_{{1}} - {t})" in single


OPTIMIZERS = [
    ["--set", "optimizer.name=momentum"],
    ["--set", "optimizer.name=momentum", "--set", "optimizer.nesterov=true", "--set", "optimizer.weight_decay=0.01"],
    ["--set", "optimizer.name=adam"],
    ["--set", "optimizer.name=adam", "--set", "optimizer.weight_decay=0.01"],
    ["--set", "optimizer.name=adamw", "--set", "optimizer.weight_decay=0.1"],
]


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: "+".join(a.split("=")[1] for a in o[1::2]))
def test_optimizer_lines_name_the_parameter(config, opt, fmt):
    doc = _doc(config("sigmoid_seed"), "--format", fmt, *opt)
    update = doc[doc.index("5. Update"):]
    generic = re.compile(r"(?<![\\A-Za-z])p(?![A-Za-z])")
    lines = [line for line in update.splitlines() if "&=" in line]
    assert lines
    for line in lines:
        assert not generic.search(line), line
    new_w5 = next(line for line in lines if line.startswith(r"{w_{5}}^{\mathrm{new}} &= "))
    decayed = "adamw" in opt[1]
    expected = r"{w_{5}}^{\mathrm{decayed}} - " if decayed else "w_{5} - "
    assert new_w5.split("&= ", 1)[1].startswith(expected)
    if decayed:
        assert any(line.startswith(r"{w_{5}}^{\mathrm{decayed}} &= w_{5}\,(1") for line in lines)


@pytest.mark.parametrize("seed", range(12))
def test_round_and_per_sample_on_random_specs(seed):
    """Any spec: the rounded document's loss is the hand-rounded loss; nothing fails."""
    text = random_spec(seed)
    data = cli_json("step", "-", "--round", "3", input=text)
    hand = {q["quantity"]: q for q in data["hand_rounding"]["quantities"]}
    doc = _doc("-", "--format", "markdown", "--round", "3", "--per-sample", input=text)
    assert _last_value(doc, "L") == pytest.approx(hand["loss"]["by_hand"], abs=1e-12)


def test_latex_with_round_and_per_sample_compiles(config, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    doc = _doc(config("batch_seed"), "--format", "latex", "--round", "3", "--per-sample",
               "--set", "optimizer.name=adamw", "--set", "optimizer.weight_decay=0.1")
    (tmp_path / "doc.tex").write_text(doc)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def test_per_sample_with_exact_arithmetic(config):
    from fractions import Fraction

    data = cli_json("step", config("linear_seed"), "--exact", "--per-sample")["per_sample"]
    doc = _doc(config("linear_seed"), "--format", "markdown", "--exact", "--per-sample")
    row = next(line for line in doc.splitlines() if line.startswith(r"| $\frac{\partial \ell_n}{\partial w_{5}}$"))
    cells = re.findall(r"\$(-?\\tfrac\{\d+\}\{\d+\}|-?[\d.]+)\$", row)
    values = [Fraction(*map(int, re.findall(r"\d+", c))) * (-1 if c.startswith("-") else 1) if "tfrac" in c
              else Fraction(c) for c in cells]
    assert values == [Fraction(v) for v in data["grad"]["w5"] + [data["reduced_grad"]["w5"]]]
