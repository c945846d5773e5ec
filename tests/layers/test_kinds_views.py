"""The layer kinds through every view: step's tables (at 80 columns), --json, markdown and latex
(and --blank), --exact, --round, check with each kind's planted mistake, graph, forward, train.
Expected numbers are computed here with NumPy, independently of backcalc's gathers."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import CONFIGS, assert_same_math, cli, cli_json, shown, write_file

CONV = CONFIGS / "conv_image.yaml"
NORM = CONFIGS / "batchnorm_batch.yaml"
IMAGE = np.array([[0.4, 0.7, 0.7, 0.1], [0.5, 0.0, 0.8, 0.2], [0.7, 0.1, 0.1, 0.2], [0.2, 0.9, 0.9, 0.9]])
KERNEL, BIAS = np.array([[0.5, -0.2], [0.1, 0.3]]), 0.1


def conv_by_hand() -> np.ndarray:
    return np.array([[np.sum(KERNEL * IMAGE[i:i + 2, j:j + 2]) + BIAS for j in range(3)] for i in range(3)])


def table(*args) -> str:
    result = cli("step", *args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_conv_table_writes_each_position_and_each_kernel_entry_per_position():
    out = table(CONV)
    assert max(map(len, out.splitlines())) <= 80
    z = conv_by_hand()
    assert "field x1 x2 x5 x6" in out and "field x11 x12 x15 x16" in out
    for value in z.ravel():
        if value > 0:
            assert shown(value) in out
    assert out.count("sum over 9 positions") == 5  # 4 kernel entries and the bias
    a = np.maximum(z, 0)
    for i in range(2):
        for j in range(2):
            window = a[i:i + 2, j:j + 2].ravel()
            r, c = divmod(int(np.argmax(window)), 2)
            assert f"← c1[1,{i + r + 1},{j + c + 1}]" in out  # the input that won the window (its own line)
    assert "0 (won no window)" in out and "(won)" in out


def test_batchnorm_table_shows_the_statistics_and_the_three_term_backward():
    out = table(NORM)
    from rich.cells import cell_len  # x̂ is two characters in one cell

    assert max(map(cell_len, out.splitlines())) <= 80
    x = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.0], [2.0, 1.0]]) @ np.array([[0.5, -0.4], [0.3, 0.8]]).T \
        + np.array([0.1, -0.2])
    mean, var = x.mean(axis=0), x.var(axis=0)
    for k in range(2):
        assert shown(mean[k]) in out and shown(var[k]) in out and shown(np.sqrt(var[k] + 1e-5)) in out
    assert "∂ℓ/∂x = γ/(N·√(σ²+ε))·(N·δ − Σδ − x̂·Σδx̂)" in " ".join(out.split())


def test_json_has_each_kinds_own_quantities():
    step = cli_json("step", NORM)
    norm = step["layers"][1]
    x = np.array(step["layers"][0]["a"])
    assert norm["type"] == "batchnorm"
    np.testing.assert_allclose(norm["mean"], x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(norm["variance"], x.var(axis=0), rtol=1e-13)
    np.testing.assert_allclose(norm["x_hat"], (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5), rtol=1e-12)
    conv = cli_json("step", CONV)["layers"]
    assert conv[0]["type"] == "conv2d" and conv[0]["receptive_field"][0] == [0, 1, 4, 5]
    np.testing.assert_allclose(np.ravel(conv[0]["z"]), conv_by_hand().ravel(), rtol=1e-14)
    assert conv[1]["type"] == "maxpool2d" and len(conv[1]["winner"][0]) == 4


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
@pytest.mark.parametrize("config", [CONV, NORM])
def test_documents_and_exercises(fmt, config):
    solution = table(config, "--format", fmt)
    exercise = table(config, "--format", fmt, "--blank")
    assert "Worked solution" in solution and "Exercise" in exercise
    assert r"\underline{\qquad\quad}" in exercise and r"\underline" not in solution
    if config == CONV:
        assert r"\max(" in solution and "0.5 \\cdot 0.4" in exercise  # the given kernel and input stay


def test_exact_conv_is_rational():
    step = cli_json("step", CONV, "--exact")
    z = [Fraction(v) for v in step["layers"][0]["z"][0]]
    k = [[Fraction(str(v)) for v in row] for row in KERNEL]
    x = [[Fraction(str(v)) for v in row] for row in IMAGE]
    by_hand = [sum(k[a][b] * x[i + a][j + b] for a in range(2) for b in range(2)) + Fraction("0.1")
               for i in range(3) for j in range(3)]
    assert z == by_hand


def test_round_works_by_hand():
    out = table(CONV, "--round", "2")
    assert "Rounding to 2 decimals along the way" in out
    document = table(CONV, "--round", "2", "--format", "markdown")
    assert "Every computed value is rounded to 2 decimals" in document


def _answers(tmp_path, spec, mistake_id: str, keys: list[str]) -> str:
    """An answers file holding the numbers a student makes with this mistake, from the core's hook."""
    from backcalc import load_spec
    from backcalc.core import worked_step
    from backcalc.mistakes import variants
    from backcalc.quantities import Calc

    s = load_spec(str(spec))
    mistake = dict(variants(s))[mistake_id]
    calc = Calc(worked_step(s, mistake=mistake))
    lines = []
    for key in keys:
        kind, name = key.split(" ")
        value = calc.value((kind, name, None if kind == "grad" else 0))
        lines.append(f"{'dL/d' + name if kind == 'grad' else 'δ_' + name}: {value:.6f}")
    return str(write_file(tmp_path, "answers.yaml", "\n".join(lines) + "\n"))


@pytest.mark.parametrize(("spec", "mistake", "keys", "named"), [
    (CONV, "forgot_position:0:5", ["grad K1[1,1,1,1]"], "a kernel gradient that forgets a position (layer 1, "
                                                         "c1[1,2,3] left out)"),
    (CONV, "spread_max:1", ["delta c1[1,1,1]"], "max-pool gradient spread to all inputs (layer 2)"),
    (NORM, "no_mean_terms:1", ["grad W1[1,1]"], "batch norm backward without the mean terms (layer 2)"),
    (CONV, "updated_weights", ["delta f3[1]"], "updated W4[1,1] used"),  # the common mistakes still apply
    (CONV, "updated_weights", ["delta c1[1,1,2]"], "updated weights used"),
])
def test_check_names_each_kinds_planted_mistake(tmp_path, spec, mistake, keys, named):
    result = cli("check", spec, "--answers", _answers(tmp_path, spec, mistake, keys), env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.stderr
    assert named in result.stdout, result.stdout


def test_forward_and_train_run_the_kinds():
    forward = cli_json("forward", CONV)
    assert forward["layers"][0]["neurons"][0] == "c1[1,1,1]"
    result = cli("train", NORM, "--epochs", "5", "--json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    first = cli_json("step", NORM)
    assert records[0]["loss"] == pytest.approx(first["loss"], rel=1e-15)
    assert records[-1]["final"]["epochs"] == 5


@pytest.mark.parametrize("config", [CONV, NORM])
def test_a_trained_spec_reads_back_and_carries_on(tmp_path, config):
    """3 epochs written out (--emit-spec), then 2 more from the file: the same run as 5 at once."""
    first = cli("train", config, "--epochs", "3", "--emit-spec")
    assert first.exit_code == 0, first.stderr
    saved = write_file(tmp_path, "after3.yaml", first.stdout)
    resumed = cli("train", saved, "--epochs", "2", "--json")
    whole = cli("train", config, "--epochs", "5", "--json")
    final = [json.loads(r.stdout.splitlines()[-1])["final"]["parameters"] for r in (resumed, whole)]
    assert final[0] == final[1]


def test_named_kernel_entries_keep_their_names_when_written(tmp_path):
    text = ("inputs: [[1, 2, 3, 4]]\ntarget: [1]\nlayers:\n  - type: conv1d\n    input_shape: [1, 4]\n"
            "    kernels: [[[k: 0.5, 0.25, k: 0.5]]]\n  - type: flatten\n  - weights: [[1, -1]]\n"
            "    activation: identity\n")
    written = cli("train", write_file(tmp_path, "spec.yaml", text), "--epochs", "1", "--emit-spec")
    assert written.exit_code == 0, written.stderr
    assert "kernels: [[[k: " in written.stdout and ", k: " in written.stdout
    again = cli_json("step", write_file(tmp_path, "again.yaml", written.stdout))
    assert [p["name"] for p in again["parameters"]][:3] == ["k", "K1[1,1,2]", "b1[1]"]


def test_exact_agrees_with_float_through_padding_pools_and_a_reshaped_view():
    """Padded conv and pools (0 and −∞ padding), a 2×3×3 output read as 2×9 by a maxpool1d."""
    spec = Path(__file__).parent / "padded_views.yaml"
    exact, floats = cli_json("step", spec, "--exact"), cli_json("step", spec)
    assert_same_math(float(Fraction(exact["loss"])), floats["loss"], rtol=1e-15)
    for e, f in zip(exact["parameters"], floats["parameters"]):
        assert_same_math(float(Fraction(e["grad"])), f["grad"], rtol=1e-13, atol=1e-16)
