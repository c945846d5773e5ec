"""Numerics stay finite: stable activations and losses, and NaN/inf in training stops cleanly."""

from __future__ import annotations

import json
import math
import re
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest
from conftest import assert_same_math, cli
from reference_step import (
    SATURATING,
    one_layer_spec,
)

from backcalc.activations import ACTIVATIONS, softmax_jacobian, softmax_jvp
from backcalc.losses import LOSSES

Z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "identity", "relu", "leaky_relu"])
def test_activations_at_plus_minus_1000(name):
    act = ACTIVATIONS[name]
    a = act.forward(Z, 0.01)
    assert np.all(np.isfinite(a))
    if act.elementwise:
        assert np.all(np.isfinite(act.derivative(Z, a, 0.01)))
    else:
        assert np.all(np.isfinite(softmax_jvp(a, np.ones_like(a))))
        assert np.all(np.isfinite(softmax_jacobian(a)))


def test_saturated_values_are_the_limits():
    sigmoid = ACTIVATIONS["sigmoid"].forward(Z, 0)[0].tolist()
    assert sigmoid[0] == 0.0 and sigmoid[2] == 0.5 and sigmoid[4] == 1.0  # the limits themselves
    # NumPy's exp and math.exp may differ in the last bit: the rest agree to rounding
    assert_same_math(sigmoid, [0.0, 1 / (1 + math.exp(40)), 0.5, 1 / (1 + math.exp(-40)), 1.0])
    assert ACTIVATIONS["tanh"].forward(Z, 0)[0, [0, 4]].tolist() == [-1.0, 1.0]
    s = ACTIVATIONS["softmax"].forward(np.array([[1000.0, -1000.0, 0.0]]), 0)
    assert s[0].tolist() == [1.0, 0.0, 0.0]


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@pytest.mark.parametrize("z", [-1000.0, -40.0, 40.0, 1000.0])
@pytest.mark.parametrize("t", [0.0, 0.25, 1.0])
def test_bce_on_a_saturated_sigmoid_is_finite_and_right(z, t):
    zz = np.array([[z]])
    y = ACTIVATIONS["sigmoid"].forward(zz, 0)
    value, note = LOSSES["bce"].value(y, np.array([[t]]), zz, "sigmoid")
    expected = t * _softplus(-z) + (1 - t) * _softplus(z)  # −[t log σ(z) + (1−t) log(1−σ(z))]
    assert note is None
    assert value[0] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("z", [[1000.0, -1000.0], [-1000.0, 1000.0], [40.0, -40.0], [0.0, 800.0, -800.0]])
def test_bce_and_cross_entropy_on_a_saturated_softmax_are_finite(z):
    zz = np.array([z])
    k = zz.shape[1]
    y = ACTIVATIONS["softmax"].forward(zz, 0)
    for t in np.eye(k):
        tt = t[None, :]
        for loss in ("bce", "cross_entropy"):
            value, note = LOSSES[loss].value(y, tt, zz, "softmax")
            assert note is None and np.all(np.isfinite(value))
            delta = LOSSES[loss].fused_delta("softmax", y, tt, zz)
            assert np.all(np.isfinite(delta))
        # cross-entropy of a one-hot target is −log softmax: the margin itself when saturated
        m = max(z)
        lse = m + math.log(sum(math.exp(v - m) for v in z))
        ce, _ = LOSSES["cross_entropy"].value(y, tt, zz, "softmax")
        assert ce[0] == pytest.approx(lse - z[int(np.argmax(t))], rel=1e-12)


def test_cross_entropy_on_a_saturated_sigmoid():
    zz = np.array([[-1000.0, 1000.0]])
    y = ACTIVATIONS["sigmoid"].forward(zz, 0)
    value, note = LOSSES["cross_entropy"].value(y, np.array([[1.0, 0.0]]), zz, "sigmoid")
    assert note is None and value[0] == pytest.approx(1000.0)


def _spec(tmp_path, text: str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return str(path)


SATURATED = """\
inputs: [[1.0]]
targets: [[{t}]]
layers:
  - activation: sigmoid
    weights: [[{w}]]
    biases: [0]
loss: bce
"""


@pytest.mark.parametrize("w, t, loss", [(1000, 0, 1000.0), (-1000, 1, 1000.0), (1000, 1, 0.0), (-1000, 0, 0.0)])
def test_cli_bce_saturated_sigmoid_is_finite_without_warnings(tmp_path, w, t, loss):
    result = cli("step", _spec(tmp_path, SATURATED.format(w=w, t=t)), "--json")
    assert result.exit_code == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr and "clipped" not in result.stderr
    data = json.loads(result.stdout)
    assert data["loss"] == pytest.approx(loss)  # finite where the math is finite: no clipping
    # ∂ℓ/∂y = (y − t)/(y(1 − y)) itself is out of range at y = σ(±1000): that, and only that, is flagged
    for warning in data["warnings"]:
        assert warning.endswith("∂ℓ/∂a of layer 1 (shown only: δ comes from the combined formula and is finite)")
    # ∂ℓ/∂z = σ(z) − t: exactly ±1 or 0 when saturated
    assert data["parameters"][0]["grad"] == pytest.approx((1.0 if w > 0 else 0.0) - t)


@pytest.mark.parametrize("layer, col", [("  - activation: softmax\n    weights: [[1]]\n    biases: [0]\n", 5),
                                        ("  - {activation: softmax, size: 1}\n", 5)])
@pytest.mark.parametrize("command", ["step", "gradcheck", "train"])
def test_cli_one_neuron_softmax_is_refused_at_the_layer(tmp_path, layer, col, command):
    # A one-neuron softmax is the constant 1: every gradient through it is 0 and with bce the true
    # loss is infinite (once reported as the clipped 34.54). The loader refuses it, located at the layer.
    path = _spec(tmp_path, SATURATED.format(w=1, t=0).split("layers:")[0] + "layers:\n" + layer + "loss: bce\n")
    result = cli(command, path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:4:{col}: layers[0]: expected at least 2 neurons for softmax, got 1: a one-neuron softmax is "
        "always 1, so every gradient through it is 0; for one output use `activation: sigmoid` (with `loss: bce`)"]


def test_bce_without_z_clips_an_output_of_exactly_1_with_a_note():
    # only a library caller without the output's z gets here; every CLI path has z and log space
    value, note = LOSSES["bce"].value(np.array([[1.0]]), np.array([[0.0]]), None, "softmax")
    assert note == "bce: an output of exactly 0 or 1 was clipped to [1e-15, 1 − 1e-15]"
    assert value[0] == pytest.approx(-math.log(1e-15), rel=1e-4)


def test_cli_overflow_in_a_step_is_a_plain_warning(tmp_path):
    spec = """\
inputs: [[1e200]]
targets: [[0]]
layers:
  - activation: identity
    weights: [[1e200]]
    biases: [0]
"""
    result = cli("step", _spec(tmp_path, spec), "--json")
    assert result.exit_code == 0
    assert "RuntimeWarning" not in result.stderr
    warning = [ln for ln in result.stderr.splitlines() if ln.startswith("backcalc: warning: not finite")]
    assert warning and "z of layer 1" in warning[0] and "the loss" in warning[0]
    data = json.loads(result.stdout)
    assert data["loss"] is None and data["warnings"]


DIVERGES = """\
inputs: [[0.05, 0.10], [0.3, 0.9]]
targets: [[0.01], [0.5]]
layers:
  - activation: identity
    weights: [[0.15, 0.20], [0.25, 0.30]]
    biases: [0.35, 0.35]
  - activation: identity
    weights: [[0.40, 0.45]]
    biases: [0.60]
loss: mse
learning_rate: 10000000000.0
batch_size: 1
"""


def test_training_stops_at_the_first_non_finite_epoch_json(tmp_path):
    result = cli("train", _spec(tmp_path, DIVERGES), "--epochs", "50", "--json")
    assert result.exit_code == 1  # ExitCode.WRONG: the run did not do what was asked
    assert "RuntimeWarning" not in result.stderr and "Traceback" not in result.stderr
    lines = [json.loads(ln) for ln in result.stdout.splitlines()]  # valid JSON Lines
    final = lines[-1]["final"]
    records = [ln for ln in lines[:-1]]
    assert [r["epoch"] for r in records] == list(range(1, final["epochs"] + 1))
    assert final["epochs"] < 50
    message = re.search(r"backcalc: (.+) became (\S+) in epoch (\d+) \(largest parameter before it: (\S+) = "
                        r"\S+\); training stopped, the parameters reported are those after epoch (\d+)$",
                        result.stderr, re.M)
    assert message, result.stderr
    assert int(message.group(3)) == final["epochs"] + 1 == int(message.group(5)) + 1
    assert message.group(4) in final["parameters"]  # it names a parameter
    assert final["stopped"] in result.stderr
    assert all(v is not None and math.isfinite(v) for v in final["parameters"].values())
    # batch_size 1: the run stopped inside an epoch; the report holds the end of the last whole one
    again = cli("train", _spec(tmp_path, DIVERGES), "--epochs", str(final["epochs"]), "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout.splitlines()[-1])["final"]["parameters"] == final["parameters"]


def test_training_stop_names_the_parameter(tmp_path):
    # One huge step from a finite loss: the loss was finite, the updated weight is not.
    spec = """\
inputs: [[1.0]]
targets: [[0]]
layers:
  - activation: identity
    weights: [[w: 1e150]]
    biases: [0]
loss: half_squared_error
learning_rate: 1e300
"""
    result = cli("train", _spec(tmp_path, spec), "--epochs", "3")
    assert result.exit_code == 1
    assert "backcalc: parameter w became -inf in epoch 1 (" in result.stderr
    assert "RuntimeWarning" not in result.stderr
    assert "Final parameters after 0 epochs" in result.stdout
    assert re.search(r"^ w +1\.0+e\+150 *$", result.stdout, re.M)  # the table shows the last finite value


def test_training_stop_table_shows_the_last_epoch(tmp_path):
    result = cli("train", _spec(tmp_path, DIVERGES), "--epochs", "50")
    assert result.exit_code == 1
    done = int(re.search(r"Final parameters after (\d+) epochs?", result.stdout).group(1))
    rows = [int(m) for m in re.findall(r"^\s+(\d+)\s", result.stdout.split("Final parameters")[0], re.M)]
    assert rows[-1] == done


# -- losses in log space against a 60-digit reference ---------------------------------------------

def _decimal_loss(act: str, loss: str, z: list, t: list[float]) -> Decimal:
    """The per-sample loss from z (floats or decimal strings) in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        zd = [Decimal(v if isinstance(v, str) else repr(v)) for v in z]
        if act == "sigmoid":
            y = [1 / (1 + (-v).exp()) for v in zd]
        else:
            e = [v.exp() for v in zd]
            y = [v / sum(e) for v in e]
        td = [Decimal(repr(v)) for v in t]
        if loss == "cross_entropy":
            return -sum(tk * yk.ln() for tk, yk in zip(td, y, strict=True) if tk != 0)
        terms = [(tk * yk.ln() if tk != 0 else 0) + ((1 - tk) * (1 - yk).ln() if tk != 1 else 0)
                 for tk, yk in zip(td, y, strict=True)]
        return -sum(terms) / len(y)






@pytest.mark.parametrize("case", list(SATURATING))
def test_step_and_train_losses_near_saturation_match_a_60_digit_reference(tmp_path, case):
    act, loss, weights, targets = SATURATING[case]
    path = _spec(tmp_path, one_layer_spec(act, loss, weights, targets))
    step = json.loads(cli("step", path, "--json").stdout)
    assert step["warnings"] == [] or all("clipped" not in w for w in step["warnings"])
    expected = float(_decimal_loss(act, loss, step["layers"][-1]["z"][0], targets))
    assert_same_math(step["loss"], expected)
    # training's first epoch (the generated scalar code for a network this small) measures the same loss
    first = json.loads(cli("train", path, "--epochs", "1", "--json").stdout.splitlines()[0])
    assert_same_math(first["loss"], expected)


@pytest.mark.parametrize("case", list(SATURATING))
def test_gradcheck_near_saturation_agrees(tmp_path, case):
    # at y₁ = 1 − 2e-7 the textbook log(1 − y₁) made finite differences disagree with a right gradient
    act, loss, weights, targets = SATURATING[case]
    result = cli("gradcheck", _spec(tmp_path, one_layer_spec(act, loss, weights, targets)), "--no-torch", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "agree", data["parameters"]


@pytest.mark.parametrize("case", [c for c in SATURATING if SATURATING[c][0] == "softmax"])
def test_gradients_near_saturation_match_a_60_digit_reference(tmp_path, case):
    """∂L/∂w of `step` against central differences of the 60-digit loss (h = 1e-25: exact to 1e-45)."""
    act, loss, weights, targets = SATURATING[case]
    step = json.loads(cli("step", _spec(tmp_path, one_layer_spec(act, loss, weights, targets)), "--json").stdout)
    grads = {p["name"]: p["grad"] for p in step["parameters"]}
    h = Decimal("1e-25")
    with localcontext() as ctx:
        ctx.prec = 60
        for i, w in enumerate(weights):
            plus = [Decimal(repr(float(v))) for v in weights]  # z = w·1 + 0
            minus = list(plus)
            plus[i] += h
            minus[i] -= h
            num = (_decimal_loss(act, loss, [str(v) for v in plus], targets)
                   - _decimal_loss(act, loss, [str(v) for v in minus], targets)) / (2 * h)
            assert_same_math(grads[f"W1[{i + 1},1]"], float(num))


@pytest.mark.parametrize("case", [c for c in SATURATING if SATURATING[c][0] == "softmax"])
def test_one_training_epoch_near_saturation_is_the_step(tmp_path, case):
    # the generated scalar code's δ for softmax + bce is the stable one too (it lost 5e-4 at z = [30, 0])
    path = _spec(tmp_path, one_layer_spec(*SATURATING[case]))
    step = json.loads(cli("step", path, "--json").stdout)
    final = json.loads(cli("train", path, "--epochs", "1", "--json").stdout.splitlines()[-1])["final"]
    assert_same_math(final["parameters"], {p["name"]: p["new"] for p in step["parameters"]}, rtol=4e-15)
