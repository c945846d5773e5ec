"""The number rule: every view shows at least --digits significant figures."""

from __future__ import annotations

import json
import math
import re

import pytest
from conftest import cli

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[+−-]\d+| \\times 10\^\{-?\d+\})?")


def _numbers(text: str) -> list[float]:
    """Every number written in `text` (tables, formulas, LaTeX's m × 10^k)."""
    out = []
    for token in NUMBER.findall(text):
        token = re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", token).replace("−", "-")
        out.append(float(token))
    return out


def _significant(value: float, written: list[float], digits: int) -> bool:
    """Some number in `written` is `value` correct to `digits` significant figures."""
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    return any(abs(w - value) <= half_unit * (1 + 1e-9) for w in written)


def _step_values(data: dict) -> list[float]:
    values = [data["loss"]]
    for p in data["parameters"]:
        values += [p["grad"], p["new"], p["value"]]
    for layer in data["layers"]:
        values += [v for row in layer["z"] + layer["a"] for v in row]
    return [v for v in values if v != 0]


@pytest.mark.parametrize("name", ["mazur", "relu_seed", "batch_seed", "sigmoid_seed_adam", "linear_regression"])
@pytest.mark.parametrize("digits", ["3", "5"])
def test_every_view_shows_at_least_digits_significant_figures(name, digits):
    data = json.loads(cli("step", "--example", name, "--json").stdout)
    values = _step_values(data)
    for view in (["--format", "table"], ["--format", "markdown"], ["--format", "latex"]):
        out = cli("step", "--example", name, "--digits", digits, *view, env={"COLUMNS": "200"})
        assert out.exit_code == 0, out.stderr
        written = _numbers(out.stdout)
        missing = [v for v in values if not _significant(v, written, int(digits))]
        assert not missing, (view, missing)


def test_a_tiny_loss_keeps_its_figures_like_every_other_small_number():
    # one identity neuron whose output misses the target by √5.14e-6: a loss of 5.14e-6
    spec = "inputs: [1.0]\ntarget: 1.0022671568\nlayers:\n  - activation: identity\n    weights: [[1.0]]\nloss: mse\n"
    loss = json.loads(cli("step", "-", "--json", input=spec).stdout)["loss"]
    assert 5.1e-6 < loss < 5.2e-6
    table = cli("step", "-", input=spec).stdout
    assert _significant(loss, _numbers(table), 5)
    assert "0.00001" not in table


def test_more_digits_than_a_float_holds_show_zeros_not_noise():
    result = cli("step", "--example", "relu_seed", "--digits", "17", "--json")
    new = {p["name"]: p["new"] for p in json.loads(result.stdout)["parameters"]}
    table = cli("step", "--example", "relu_seed", "--digits", "17", env={"COLUMNS": "200"}).stdout
    update = table.split("Update:")[1]
    for row in update.splitlines()[3:]:
        cells = row.split()
        if cells and cells[0] in new:
            shown = cells[-1].replace("−", "-")
            assert float(shown) == new[cells[0]]
            assert shown.rstrip("0").rstrip(".") == repr(new[cells[0]]).rstrip("0").rstrip("."), row


def test_values_rounded_by_hand_show_their_decimals():
    table = cli("step", "--example", "sigmoid_seed", "--round", "2").stdout
    drift = table.split("Hand-rounding:")[1].splitlines()
    by_hand = [line.split()[2] for line in drift if re.match(r" (z_|h\d|out|loss|dL/|delta|dh|dout|w\d|b\d)", line)]
    assert len(by_hand) > 20 and all(re.fullmatch(r"−?\d+\.\d\d", v) for v in by_hand), by_hand
    assert "0.00" in by_hand  # ∂L/∂w1 = δh1 · x1 = 0.01 · 0.05, rounded to 2 decimals
