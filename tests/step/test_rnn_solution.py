"""An rnn's worked solution (markdown, latex, --blank): a block per time step forward (zₜ, hₜ with the
numbers substituted) and backward through time (∂ℓ/∂hₜ from the output and from zₜ₊₁ through W_h,
∂hₜ/∂zₜ, ∂ℓ/∂zₜ), and each recurrent weight's gradient as the sum over the steps of its products,
every number the JSON's (read from --json, not written here); pdflatex compiles it and the PDF's
text holds the per-step numbers."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import cli, cli_json
from test_solutions import f5, num

TWO = """
inputs: [[1.0, 0.5, -1.0, 2.0], [0.2, -0.3, 0.4, 0.1]]
targets: [[0.5, 0.1, -0.2, 0.3], [0.0, 0.2, 0.1, -0.1]]
loss: mse
layers:
  - type: rnn
    input_shape: [2, 2]
    weights_input: [[0.5, -0.25], [0.1, 0.2]]
    weights_hidden: [[0.3, -0.1], [0.2, 0.4]]
    biases: [0.1, -0.1]
    activation: sigmoid
    initial_state: [0.1, -0.2]
    return: all
  - weights: [[1.0, -1.0, 0.5, 0.2], [0.3, 0.2, 0.1, 0.4], [0.1, 0.1, 0.1, 0.1], [0.2, 0.3, 0.4, 0.5]]
    biases: [0, 0, 0, 0]
    activation: identity
"""


def document(spec: str, fmt: str, *args, input: str | None = None) -> str:
    result = cli("step", spec, "--format", fmt, "--quiet", *args, input=input)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def blocks(md: str) -> dict[tuple[str, str], str]:
    """Each 'Layer 1, t = …' paragraph's math block, keyed by (forward|backward, its heading)."""
    forward, backward = md.split("## 3. Backward pass")
    halves = (("forward", forward), ("backward", backward))
    return {(half, head): body.replace("\n\\end{aligned}\n", " \\\\\n") for half, text in halves
            for head, body in re.findall(r"Layer 1, (t = [^:]+):\n\n```math\n(.*?)```", text, re.S)}


def h(letter: str, t: int, k: int) -> str:
    return f"{letter}^{{(1)}}_{{{t},{k + 1}}}"


def check_steps(md: str, layer: dict, n_samples: int) -> None:
    found = blocks(md)
    n_t, n_h = len(layer["hidden_state"][0]), len(layer["hidden_state"][0][0])
    f = len(layer["step_inputs"][0][0]) - n_h
    w = layer["weights"]
    for s in range(n_samples):
        for t in range(n_t):
            head = f"t = {t + 1}" + (f", sample {s + 1}" if n_samples > 1 else "")
            fwd, back = found[("forward", head)], found[("backward", head)]
            for k in range(n_h):
                reads = " + ".join(f"{num(w[k][j])} \\cdot {num(layer['step_inputs'][s][t][j])}"
                                   for j in range(f + n_h))
                z = f5(layer["pre_activation"][s][t][k])
                assert f"&= {reads} + {num(layer['biases'][k])} \\\\\n&= {z} \\\\\n" in fwd, (head, k)
                assert f"= {f5(layer['hidden_state'][s][t][k])} \\\\" in fwd.split(h("h", t + 1, k) + " &=")[1]
                dl_dh, slope, dl_dz = (f5(layer[key][s][t][k]) for key in ("dl_dh", "dh_dz_step", "dl_dz_step"))
                if t < n_t - 1:  # what z_{t+1} sends back through W_h, factor by factor
                    through = " + ".join(f"{num(layer['dl_dz_step'][s][t + 1][m])} \\cdot {num(w[m][f + k])}"
                                         for m in range(n_h))
                    assert through in back, (head, k)
                assert f"= {dl_dh} \\\\" in back and f"= {slope} \\\\" in back
                assert f"= {num(layer['dl_dh'][s][t][k])} \\cdot {num(layer['dh_dz_step'][s][t][k])} = {dl_dz}" in back


def test_rnn_markdown_writes_every_time_step_with_the_json_numbers(config):
    spec = config("rnn_sequence")
    data, md = cli_json("step", spec), document(spec, "markdown")
    check_steps(md, data["layers"][0], 1)
    assert md.index("Layer 1, t = 1:") < md.index("Layer 1, t = 3:") < md.index("## 2. Loss")  # forward in order
    back = md.split("## 3. Backward pass")[1]
    assert back.index("Layer 1, t = 3:") < back.index("Layer 1, t = 1:")  # backward from the last step


def test_each_recurrent_weights_gradient_is_its_sum_over_time(config):
    spec = config("rnn_sequence")
    data, md = cli_json("step", spec), document(spec, "markdown")
    layer = data["layers"][0]
    n_t = len(layer["dl_dz_step"][0])
    names = [n for row in layer["weight_names"] for n in row]
    for p in (p for p in data["parameters"] if p["name"] in names or p["name"] in layer["bias_names"]):
        if p["name"] in layer["bias_names"]:
            k = layer["bias_names"].index(p["name"])
            terms = [num(layer["dl_dz_step"][0][t][k]) for t in range(n_t)]
        else:
            k, j = divmod(names.index(p["name"]), len(layer["weight_names"][0]))
            terms = [f"{num(layer['dl_dz_step'][0][t][k])} \\cdot {num(layer['step_inputs'][0][t][j])}"
                     for t in range(n_t)]
        assert f"{' + '.join(terms)}" in md and re.search(
            rf"{re.escape(' + '.join(terms))}(?: = | \\\\\n&= ){re.escape(f5(p['grad']))}", md), p["name"]


def test_a_batch_of_sequences_returning_every_step(tmp_path):
    data, md = cli_json("step", "-", input=TWO), document("-", "markdown", input=TWO)
    check_steps(md, data["layers"][0], 2)
    # every step's h feeds the output (return: all): its share of ∂ℓ/∂hₜ is the layer's ∂ℓ/∂a
    layer = data["layers"][0]
    assert rf"\left(\frac{{\partial \ell_{{2}}}}{{\partial {h('h', 1, 0)}}}\right)_{{\mathrm{{out}}}}" in md
    assert f"= {num(layer['dL_da'][1][0] * 2)} + {num(layer['dl_dz_step'][1][1][0])} \\cdot" in md  # ∂ℓ₂, not ∂L
    assert r"&= \frac{1}{2}(" in md  # the mean over the two samples


def test_blank_rnn_exercise_keeps_the_given_and_blanks_the_computed(config):
    spec = config("rnn_sequence")
    data, md = cli_json("step", spec), document(spec, "markdown", "--blank")
    fwd = blocks(md)[("forward", "t = 1")]
    assert "0.5 \\cdot 1 + (-0.25) \\cdot 0.5 + 0.3 \\cdot 0 + (-0.1) \\cdot 0 + 0.1" in fwd  # data, weights and h₀
    assert f5(data["layers"][0]["pre_activation"][0][0][0]) not in md and r"\underline{\qquad\quad}" in fwd


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                    reason="pdflatex or pdftotext is not installed (texlive-latex-base, poppler-utils)")
@pytest.mark.parametrize("blank", [False, True])
def test_rnn_latex_compiles_and_its_pages_hold_every_step(config, tmp_path, blank):
    spec = config("rnn_sequence")
    (tmp_path / "doc.tex").write_text(document(spec, "latex", *(["--blank"] if blank else [])))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    text = subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60).stdout.replace("−", "-")
    layer = cli_json("step", spec)["layers"][0]
    per_step = [f5(v) for key in ("pre_activation", "hidden_state", "dl_dh", "dh_dz_step", "dl_dz_step")
                for v in (v for row in layer[key][0] for v in row)]
    assert all(f"t = {t}" in text for t in (1, 2, 3))
    present = [v for v in per_step if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", text)]
    given = {f5(v) for v in _flat(layer["weights"]) + _flat(layer["biases"]) + _flat(layer["step_inputs"][0][0])}
    assert present == ([v for v in per_step if v in given] if blank else per_step)  # a blank keeps only the given


def _flat(rows) -> list:
    return [v for row in rows for v in (row if isinstance(row, list) else [row])]


def test_a_recurrent_kinds_own_per_step_quantities_are_written_step_by_step(config):
    """What drives the blocks is the kind's per-step quantities: a recurrent kind with quantities the
    Elman formulas do not know (a gate, as gru and lstm will have) still gets each one's value at each
    step, forward and backward, and its weights' sums over time."""
    import numpy as np

    import backcalc
    from backcalc.render import markdown as md_view

    result = backcalc.step(backcalc.load_spec(config("rnn_sequence")))
    layer = result.layers[0]
    gate = np.asarray(layer.extras["hidden_state"]) * 0 + 0.25 + np.arange(3)[None, :, None] / 8
    layer.extras = {k: v for k, v in layer.extras.items() if k not in ("step_inputs", "dl_dz_step")}
    layer.extras["update_gate"], layer.extras["dl_dgate"] = gate, -gate
    layer.kind = "gru"
    md = md_view.render(result)
    found = blocks(md)
    for t in range(3):
        assert rf"\mathrm{{update\_gate}}_{{{t + 1},1}} &= {f5(gate[0][t][0])}" in found[("forward", f"t = {t + 1}")]
        assert rf"\mathrm{{dl\_dgate}}_{{{t + 1},2}} &= {f5(-gate[0][t][1])}" in found[("backward", f"t = {t + 1}")]
    assert r"\sum_{t=1}^{3}" in md
