"""Worked solutions: step --format markdown|latex|table|json, --blank, --solution, --digits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from conftest import CONFIGS, ROOT, cli, cli_json, network_configs, shown


def f5(value: float, digits: int = 5) -> str:
    """The test's own rounding: `digits` significant figures and at least `digits` decimals, without
    trailing zeros (ASCII minus); below 0.001 as m × 10^k."""
    if value != 0 and abs(value) < 1e-3:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return rf"{mantissa.rstrip('0').rstrip('.')} \times 10^{{{int(exponent)}}}"
    text = (shown(value, digits) if value else "0").rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def num(value: float, digits: int = 5) -> str:
    """An operand as the solution writes it: negative numbers in parentheses."""
    text = f5(value, digits)
    return f"({text})" if text.startswith("-") or "\\" in text else text


def markdown(*args) -> str:
    result = cli("step", *args, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def param(data: dict, name: str) -> dict:
    return next(p for p in data["parameters"] if p["name"] == name)


def test_sigmoid_seed_forward_formulas_with_numbers_substituted(config):
    md = markdown(config("sigmoid_seed"))
    data = cli_json("step", config("sigmoid_seed"))
    z = data["layers"][0]["z"][0]
    h = data["layers"][0]["a"][0]
    # The issue's own example line, numbers from the JSON output.
    assert (rf"z_{{h_{{1}}}} &= w_{{1}} x_{{1}} + w_{{2}} x_{{2}} + b_{{1}} = 0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 "
            rf"= {f5(z[0])}") in md
    assert f5(z[0]) == "0.3775"
    assert rf"h_{{1}} &= \sigma(z_{{h_{{1}}}}) = \frac{{1}}{{1 + e^{{-z_{{h_{{1}}}}}}}} = " \
           rf"\frac{{1}}{{1 + e^{{-{f5(z[0])}}}}} = {f5(h[0])}" in md
    z_out = data["layers"][1]["z"][0][0]
    assert (rf"z_{{\mathrm{{out}}}} &= w_{{5}} h_{{1}} + w_{{6}} h_{{2}} + b_{{2}} = 0.4 \cdot {f5(h[0])} + "
            rf"0.45 \cdot {f5(h[1])} + 0.6 = {f5(z_out)}") in md
    # the notebook's printed values (seed 003)
    written = [float(n) for n in re.findall(r"\d+\.\d+", md)]
    for published in ("0.59327", "0.59688", "0.75137", "0.27481", "0.08217", "0.08267", "0.35892", "0.40867"):
        assert any(f"{n:.5f}" == published for n in written), published


def test_sigmoid_seed_loss_backward_chain_rule_and_update(config):
    md = markdown(config("sigmoid_seed"))
    data = cli_json("step", config("sigmoid_seed"))
    out, hidden = data["layers"][1], data["layers"][0]
    y = out["a"][0][0]
    assert (rf"L &= \tfrac{{1}}{{2}}(\mathrm{{out}} - t)^2 = \tfrac{{1}}{{2}}({f5(y)} - 0.01)^2 "
            rf"= {f5(data['loss'])}") in md
    # δ_h1 uses the OLD w5 = 0.4 (the notebook used the updated one)
    d_out = out["delta"][0][0]
    assert (rf"\frac{{\partial L}}{{\partial h_{{1}}}} &= \delta_{{\mathrm{{out}}}} w_{{5}} = {f5(d_out)} \cdot 0.4 "
            rf"= {f5(hidden['dL_da'][0][0])}") in md
    # every parameter: its chain-rule factors, product and update
    for p in data["parameters"]:
        for term in p["terms"]:
            factors = [f["value"] for f in p["factors"] if f["term"] == p["terms"].index(term)]
            assert " \\cdot ".join(num(v) for v in factors) + f" = {f5(term['product'])}" in md, p["name"]
        assert f"= {num(p['value'])} - 0.5 \\cdot {num(p['grad'])} = {f5(p['new'])}" in md, p["name"]
    # the tied bias b1: each contribution, then their sum
    b1 = param(data, "b1")
    assert len(b1["terms"]) == 2
    contributions = " + ".join(num(t["contribution"]) for t in b1["terms"])
    assert rf"\frac{{\partial L}}{{\partial b_{{1}}}} &= {contributions} = {f5(b1['grad'])}" in md


def test_batch_seed_per_sample_then_the_sum(config):
    md = markdown(config("batch_seed"))
    data = cli_json("step", config("batch_seed"))
    l1, l2 = data["losses"]
    assert rf"L &= \ell_{{1}} + \ell_{{2}} = {f5(l1)} + {f5(l2)} = {f5(data['loss'])}" in md
    w = param(data, "W2[1,1]")
    p1, p2 = w["terms"][0]["product"]
    assert r"\frac{\partial \ell_{1}}{\partial z_{o_{1}}} \cdot " in md
    assert rf"\frac{{\partial L}}{{\partial W^{{(2)}}_{{1,1}}}} &= {num(p1)} + {num(p2)} = {f5(w['grad'])}" in md
    # the notebook's dW2 and db2 (reduction: sum)
    assert f5(w["grad"]) == f5(0.6144307)
    assert f"= {f5(0.62712197)}" in md and f"= {f5(0.6267222)}" in md
    assert "### Sample 1" in md and "### Sample 2" in md


def test_mean_reduction_writes_one_over_n(tmp_path):
    spec = tmp_path / "mean.yaml"
    spec.write_text("inputs: [[1], [2]]\ntargets: [[0], [1]]\nlayers:\n  - activation: identity\n"
                    "    weights: [[w: 0.5]]\n    biases: [b: 0]\nloss: mse\nreduction: mean\n")
    md = markdown(spec)
    data = cli_json("step", spec)
    w = param(data, "w")
    p1, p2 = w["terms"][0]["product"]
    assert rf"\frac{{\partial L}}{{\partial w}} &= \frac{{1}}{{2}}({num(p1)} + {num(p2)}) = {f5(w['grad'])}" in md
    assert r"L &= \frac{1}{2}(\ell_{1} + \ell_{2})" in md


def test_digits_apply(config):
    md = markdown(config("sigmoid_seed"), "--digits", "2")
    assert r"0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = 0.38" in md
    assert "0.3775" not in md


def test_markdown_uses_github_math_syntax(config):
    md = markdown(config("mazur"))
    assert md.startswith("# Worked solution: mazur\n")
    blocks = re.findall(r"```math\n(.*?)\n```", md, flags=re.S)
    assert len(blocks) >= 6
    for block in blocks:
        assert block.startswith(r"\begin{aligned}") and block.endswith(r"\end{aligned}")
        assert_balanced(block)
    assert "$\\eta = 0.5$" in md
    assert md.count("```") % 2 == 0


def test_format_json_equals_json_and_table_is_default(config):
    as_json = cli("step", config("relu_seed"), "--format", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == cli_json("step", config("relu_seed"))
    table = cli("step", config("relu_seed"), "--format", "table")
    default = cli("step", config("relu_seed"))
    assert table.exit_code == 0 and table.stdout == default.stdout
    assert "Forward pass" in table.stdout


def test_blank_exercise_and_solution_from_one_spec(config, tmp_path):
    out = tmp_path / "solution.md"
    result = cli("step", config("sigmoid_seed"), "--format", "markdown", "--blank", "--solution", out)
    assert result.exit_code == 0, result.stderr
    exercise = result.stdout
    assert exercise.startswith("# Exercise: sigmoid-seed")
    assert "Fill in every blank" in exercise
    blanks = exercise.count(r"\underline{\qquad\quad}")
    assert blanks > 50
    # the given data stay, every computed number is gone
    assert r"0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = \underline{\qquad\quad}" in exercise
    for computed in ("0.3775", "0.59327", "0.27481", "0.08217", "0.35892"):
        assert computed not in exercise
    # the solution file is exactly the worked solution
    assert out.read_text() == markdown(config("sigmoid_seed"))
    assert [p.name for p in tmp_path.iterdir()] == ["solution.md"]  # no temporary file left behind


def test_blank_latex_exercise(config, tmp_path):
    out = tmp_path / "solution.tex"
    result = cli("step", config("relu_seed"), "--format", "latex", "--blank", "--solution", out)
    assert result.exit_code == 0, result.stderr
    assert r"\underline{\qquad\quad}" in result.stdout
    assert r"\title{Exercise: relu-seed}" in result.stdout
    assert r"\title{Worked solution: relu-seed}" in out.read_text()
    assert_balanced(result.stdout)
    assert_balanced(out.read_text())


@pytest.mark.parametrize("args, message", [
    (["--blank"], "--blank writes an exercise"),
    (["--format", "json", "--blank"], "--blank writes an exercise"),
    (["--format", "markdown", "--solution", "x.md"], "--solution FILE goes with --blank"),
    (["--json", "--format", "latex"], "--json and --format latex"),
])
def test_bad_combinations_are_usage_errors(config, args, message):
    result = cli("step", config("relu_seed"), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unwritable_solution_is_an_error_with_nothing_printed(config, tmp_path):
    result = cli("step", config("relu_seed"), "--format", "markdown", "--blank",
                 "--solution", tmp_path / "missing" / "sol.md")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--solution" in result.stderr and "Traceback" not in result.stderr


# -- LaTeX ------------------------------------------------------------------------------

def assert_balanced(tex: str) -> None:
    """Every \\begin has its \\end in order, and every unescaped brace is closed."""
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} does not close the open environment"
    assert not stack, f"unclosed environments: {stack}"
    depth = 0
    for m in re.finditer(r"\\[{}]|[{}]", tex):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
            assert depth >= 0, "a } without its {"
    assert depth == 0, "a { without its }"


CONFIG_NAMES = ["sigmoid_seed", "batch_seed", "relu_seed", "linear_seed", "mazur", "batch_seed_forward"]


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_latex_is_a_complete_balanced_document(config, name):
    result = cli("step", config(name), "--format", "latex")
    assert result.exit_code == 0, result.stderr
    tex = result.stdout
    assert tex.startswith(r"\documentclass")
    assert tex.rstrip().endswith(r"\end{document}")
    assert_balanced(tex)
    assert "−" not in tex  # pdflatex needs an ASCII minus


def test_latex_numbers_match_json(config):
    tex = cli("step", config("sigmoid_seed"), "--format", "latex").stdout
    data = cli_json("step", config("sigmoid_seed"))
    for p in data["parameters"]:
        assert f"= {f5(p['new'])}" in tex
    assert r"\begin{align*}" in tex


def test_latex_escapes_user_text(tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text("name: 'a_b & c # 100% {x} ünï'\ninputs: [1]\ntarget: 1\nlayers:\n"
                    "  - activation: identity\n    names: ['n_1 $x']\n    weights: [[w: 1]]\n    biases: [b: 0]\n"
                    "loss: mse\n")
    result = cli("step", spec, "--format", "latex")
    assert result.exit_code == 0, result.stderr
    assert r"\title{Worked solution: a\_b \& c \# 100\% \{x\} uni}" in result.stdout
    assert_balanced(result.stdout)
    _compile_if_possible(result.stdout, tmp_path)


def _compile_if_possible(tex: str, where) -> None:
    if shutil.which("pdflatex") is None:
        return
    (where / "doc.tex").write_text(tex)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=where,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (where / "doc.pdf").stat().st_size > 1000


@pytest.mark.parametrize("name, blank", [("sigmoid_seed", False), ("batch_seed", False), ("relu_seed", True)])
def test_latex_compiles_with_pdflatex(config, tmp_path, name, blank):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base texlive-latex-recommended)")
    args = ["--blank"] if blank else []
    tex = cli("step", config(name), "--format", "latex", *args).stdout
    _compile_if_possible(tex, tmp_path)


DEEP = """
inputs: [[1, -2], [0.5, 0.3]]
targets: [[1, 0, 0], [0, 1, 0]]
layers:
  - activation: tanh
    weights: [[0.1, 0.2], [-0.3, 0.4]]
    biases: [0.1, -0.1]
  - activation: leaky_relu
    alpha: 0.1
    weights: [[0.5, -0.6], [0.7, 0.1]]
    biases: [0, 0]
  - activation: softmax
    weights: [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]
    biases: [0, 0, 0]
"""


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_softmax_tanh_leaky_documents(tmp_path, loss):
    text = DEEP + f"loss: {loss}\n"
    data = cli_json("step", "-", input=text)
    tex = cli("step", "-", "--format", "latex", input=text)
    assert tex.exit_code == 0, tex.stderr
    assert_balanced(tex.stdout)
    md = cli("step", "-", "--format", "markdown", input=text).stdout
    out = data["layers"][2]
    # the JSON's delta is ∂L/∂z of the batch loss (the mean over 2 samples); the document's is sample 1's ∂ℓ₁/∂z
    assert f"= {f5(out['delta'][0][0] * 2)} \\\\\n" in md
    assert r"\tanh z_{h_{1,1}}" in md and r"\max(z_{h_{2,1}}, \alpha z_{h_{2,1}})" in md
    _compile_if_possible(tex.stdout, tmp_path)


NET_8_10_3 = ROOT / "tests" / "data" / "net_8_10_3.yaml"


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                    reason="pdflatex or pdftotext is not installed (texlive-latex-base, poppler-utils)")
@pytest.mark.parametrize("spec, blank", [*((p, False) for p in network_configs()), (NET_8_10_3, False),
                                         (NET_8_10_3, True), (CONFIGS / "softmax_classifier.yaml", True)],
                         ids=lambda v: v.stem if hasattr(v, "stem") else ("blank" if v else "solution"))
def test_latex_pages_hold_every_value(spec, blank, tmp_path):
    """Nothing runs off the page: no line more than 3 pt too wide (an 8-term sum used to run 204 pt
    past the margin) and every given and computed value in the PDF's text (the Given table of an
    8-10-3 net used to lose 59 parameters below the bottom of its page); an exercise keeps the
    given values."""
    args = ["--blank"] if blank else []
    (tmp_path / "doc.tex").write_text(cli("step", str(spec), "--format", "latex", "--quiet", *args).stdout)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log)]
    assert not [x for x in overfull if x > 3], overfull
    assert "Overfull \\vbox" not in log
    text = subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60).stdout.replace("−", "-")
    data = cli_json("step", str(spec))
    shown = slice(0, 8)  # the document writes out the first 8 samples of a batch
    values = [v for row in data["inputs"][shown] + data["targets"][shown] for v in row]
    values += [p["value"] for p in data["parameters"]]
    if not blank:
        values += [data["loss"], *data["losses"][shown]]
        values += [v for p in data["parameters"] for v in (p["grad"], p["new"])]
        values += [v for layer in data["layers"] for key in ("z", "a") for row in layer[key][shown] for v in row]
    if spec == NET_8_10_3:  # its 113 parameters run in three columns: the forward pass starts by page 3
        first_pages = subprocess.run(["pdftotext", "-l", "3", "doc.pdf", "-"], cwd=tmp_path, capture_output=True,
                                     text=True, timeout=60).stdout
        assert "1. Forward pass" in first_pages
    written = [f5(v) for v in values if v == 0 or 1e-3 <= abs(v) < 1e9]  # no scientific notation (numbers.py)
    missing = sorted({w for w in written if not re.search(rf"(?<![\d.]){re.escape(w)}(?!\d)", text)})
    assert written and not missing, missing


# A sigmoid output at z = 30 under bce: rounded to 3 decimals the output is exactly 1, so
# ∂L/∂o = (o − t)/(o(1 − o)) cannot be computed by hand (1/0); its drift is null in JSON.
SATURATED = """
inputs: [1.0]
target: 0
layers:
  - activation: sigmoid
    weights: [[30.0]]
    biases: [0.0]
loss: bce
"""


def test_round_document_does_not_claim_no_drift_when_a_value_is_not_finite_by_hand(tmp_path):
    path = tmp_path / "saturated.yaml"
    path.write_text(SATURATED)
    data = json.loads(cli("step", path, "--json", "--round", "3").stdout)
    broken = [q["quantity"] for q in data["hand_rounding"]["quantities"] if q["drift"] is None]
    assert broken and broken[0] in data["hand_rounding"]["drifted"]
    for fmt in ("markdown", "latex"):
        result = cli("step", path, "--format", fmt, "--round", "3")
        assert result.exit_code == 0, result.stderr
        assert "changes nothing" not in result.stdout
        section = result.stdout[result.stdout.index("Hand-rounding"):]
        assert broken[0].replace("/", "") in section.replace("/", "").replace("\\", "")
        # the same warning as the JSON and table outputs give
        assert "cannot be computed by hand" in result.stderr


def test_worked_solution_shows_the_optimizer_update(config):
    d = cli_json("step", config("adam_neuron"))
    w = next(p for p in d["parameters"] if p["name"] == "w")
    for fmt in ("markdown", "latex"):
        doc = cli("step", config("adam_neuron"), "--format", fmt).stdout
        assert r"\hat m" in doc and r"\hat v" in doc, fmt
        assert f"= {w['new']:g}" in doc.replace("\n", " ") or f"{w['new']:.5g}" in doc, fmt
