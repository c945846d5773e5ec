"""The fused output δ (a loss's combined form on its output activation) is written as what is computed:
the worked solution's formula, evaluated with the numbers it shows, gives the δ it shows, and the
table's footnote, evaluated with the step's own y and t, gives the step's δ."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import cli, cli_json

from backcalc.losses import LOSSES

PAIRS = [(loss.name, act) for loss in LOSSES.values() for act in loss.fused]
DIGITS = 12


def _spec(tmp_path, loss: str, act: str, k: int) -> str:
    """A 2-input network with a K-output `act` layer on two samples, targets valid for `loss`."""
    targets = [[0.2, 0.7, 0.1][:k], [1.0, 0.0, 0.0][:k]] if act == "softmax" or loss == "cross_entropy" \
        else [[0.3, 0.9, 0.0][:k], [1.0, 0.2, 0.6][:k]]
    if loss == "cross_entropy" and act == "softmax":
        targets = [[t / sum(row) for t in row] for row in targets]
    weights = [[0.4, -0.3], [0.25, 0.5], [-0.6, 0.1]][:k]
    text = f"""name: fused
inputs: [[0.5, -1.2], [1.5, 0.3]]
targets: {targets}
layers:
  - activation: tanh
    weights: [[0.3, -0.2], [0.7, 0.1]]
    biases: [0.1, -0.1]
  - activation: {act}
    weights: {weights}
    biases: {[0.05, -0.2, 0.3][:k]}
loss: {loss}
learning_rate: 0.1
"""
    path = tmp_path / "fused.yaml"
    path.write_text(text)
    return str(path)


def _sizes(act: str) -> list[int]:
    return [2, 3] if act == "softmax" else [1, 3]  # a one-neuron softmax is refused


def _braced(text: str, start: int) -> tuple[str, int]:
    """The text inside the braces opening at `start`, and the index after them."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1:i], i + 1
    raise ValueError(text)


def python_of(latex: str) -> str:
    """The numbers side of an equation (numbers, + −, \\cdot, fractions, brackets) as Python."""
    out, i = [], 0
    while i < len(latex):
        m = re.match(r"\\t?frac", latex[i:])
        if m:
            num, i = _braced(latex, i + m.end())
            den, i = _braced(latex, i)
            out.append(f"(({python_of(num)})/({python_of(den)}))")
            continue
        out.append(latex[i])
        i += 1
    text = "".join(out)
    text = re.sub(r"\\times 10\^\{(-?\d+)\}", r"*10**(\1)", text)
    text = text.replace(r"\left", "").replace(r"\right", "").replace(r"\cdot", "*")
    text = text.replace("[", "(").replace("]", ")").replace("{", "(").replace("}", ")")
    return re.sub(r"(?<=[0-9)])\s*\(", "*(", text)  # juxtaposition is a product: 0.5(0.3 - 1)


def output_deltas(markdown: str) -> list[list[str]]:
    """Each output neuron's δ equation in the backward pass, as its sides (the lines joined back)."""
    backward = markdown.split("## 3. Backward pass")[1].split("## 4.")[0]
    equations = []
    for block in re.findall(r"Layer 2 \(\w+\):\n\n```math\n\\begin\{aligned\}\n(.*?)\\end\{aligned\}", backward, re.S):
        for line in block.splitlines():
            line = line.removesuffix(r" \\")
            if line.startswith(r"\delta_"):
                equations.append(line.split(" &= ", 1)[1].split(" = "))
            elif line.startswith("&= "):
                equations[-1] += line[3:].split(" = ")
            elif line.startswith(r"&\quad {}+ "):
                equations[-1][-1] += " + " + line[len(r"&\quad {}+ "):]
    return equations


@pytest.mark.parametrize("loss,act", PAIRS)
def test_the_worked_solution_s_fused_delta_evaluates_to_the_delta_it_shows(tmp_path, loss, act):
    for k in _sizes(act):
        spec = _spec(tmp_path, loss, act, k)
        result = cli("step", spec, "--format", "markdown", "--digits", str(DIGITS))
        assert result.exit_code == 0, result.stderr
        equations = output_deltas(result.stdout)
        assert len(equations) == 2 * k  # every output neuron of both samples
        for sides in equations:
            numbers, value = sides[-2], float(sides[-1])
            assert re.fullmatch(r"[-0-9. ()+\\a-z{}\[\]^]*", numbers), numbers  # numbers only: no symbol left
            assert eval(python_of(numbers)) == pytest.approx(value, rel=1e-9, abs=1e-11), (loss, act, k, sides)


def python_of_footnote(formula: str) -> tuple[str, str | None]:
    """A footnote's Unicode formula (and its `with u_k = …` clause) as Python over arrays y, t, u, K."""
    def py(text):
        text = text.replace("−", "-").replace("·", "*").replace("Σ_k u_k", "np.sum(u)").replace("Σt", "np.sum(t)")
        return re.sub(r"_[jk]\b", "", text)
    main, _, where = formula.partition(" with ")
    return py(main), (py(where.split(" = ", 1)[1]) if where else None)


@pytest.mark.parametrize("loss,act", PAIRS)
def test_the_table_footnote_states_the_fused_delta_computed(tmp_path, loss, act):
    for k in _sizes(act):
        spec = _spec(tmp_path, loss, act, k)
        table = cli("step", spec)
        assert table.exit_code == 0, table.stderr
        footnote = " ".join(table.stdout.split(f"* {act} with {loss}: δ = ∂ℓ/∂z = ")[1].split("\n")[:3])
        formula = LOSSES[loss].fused[act].formula
        assert " ".join(footnote.split()).startswith(" ".join(formula.split()) + " directly")
        data = cli_json("step", spec, "--set", "batch_size=1")  # one sample: the JSON's δ is ∂ℓ/∂z itself
        y = np.array(data["layers"][-1]["a"][0], dtype=float)
        t = np.array(data["targets"][0], dtype=float)
        main, where = python_of_footnote(formula)
        env = {"np": np, "y": y, "t": t, "K": k}
        if where is not None:
            env["u"] = eval(where, env)
        np.testing.assert_allclose(eval(main, env), data["layers"][-1]["delta"][0], rtol=1e-12, atol=1e-15)
