"""`--round` and a parameter tied across entries in a batch: two orders of adding it up (docs/check.md).

Sample by sample (each ∂ℓₙ/∂p the sum of the entries' products, then the mean) is what
`--round` computes and its worked solution writes; entry by entry (each entry's mean, then
their total) is the step table's layout. At 4 decimals the spec below parts them: w1's gradient
is 0.0110 one way and 0.0109 the other (exactly 0.011011).
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from conftest import cli

TIED = """\
inputs: [[1, 2], [2, 3], [0.5, -1]]
targets: [[1], [0], [1]]
layers:
  - activation: sigmoid
    weights:
      - [w1: 0.3745, w2: 0.7319]
      - [w1: 0.3745, w4: 0.5986]
    biases: [b1: 0.156, b1: 0.156]
  - activation: sigmoid
    weights: [[0.058, 0.866]]
    biases: [0.601]
loss: bce
learning_rate: 0.1
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "tied.yaml"
    path.write_text(TIED)
    return str(path)


def by_hand(spec: str, decimals: int) -> dict:
    result = cli("step", spec, "--round", str(decimals), "--json")
    assert result.exit_code == 0, result.stderr
    return {q["quantity"]: q for q in json.loads(result.stdout)["hand_rounding"]["quantities"]}


def entry_by_entry(spec: str, decimals: int, p: str) -> float:
    """w1's gradient as a student following the step table rounds it: each entry's mean, then the total."""
    result = cli("step", spec, "--json")
    assert result.exit_code == 0
    param = next(q for q in json.loads(result.stdout)["parameters"] if q["name"] == p)
    hand = by_hand(spec, decimals)
    # each entry's per-sample products by hand: the hand-rounded δ times the entry's input
    inputs = [[1, 2], [2, 3], [0.5, -1]]
    products = []
    for term in param["terms"]:
        _, row, col = map(int, re.findall(r"\d+", term["slot"]))  # layers[0].weights[row][col]
        delta = [hand[f"delta_h{row + 1}[{s}]"]["by_hand"] for s in (1, 2, 3)]
        products.append([half_up(d * inputs[s][col], decimals) for s, d in enumerate(delta)])
    return half_up(sum(half_up(sum(p) / 3, decimals) for p in products), decimals)


def half_up(x: float, decimals: int) -> float:
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def verdicts(spec: str, answers: str, *args: str) -> tuple[int, dict]:
    result = cli("check", spec, "--answers", "-", "--json", *args, input=answers)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, {v["key"]: v for v in json.loads(result.stdout)["verdicts"]}


def test_check_round_accepts_a_tied_gradient_added_up_in_either_order(spec):
    hand = by_hand(spec, 4)
    sample_first = hand["dL/dw1"]["by_hand"]
    entry_first = entry_by_entry(spec, 4, "w1")
    assert (sample_first, entry_first) == (0.011, 0.0109)  # the two orders part here
    code, v = verdicts(spec, f"dL/dw1: {entry_first:.4f}\n", "--round", "4")
    assert code == 0 and v["dL/dw1"]["verdict"] == "right_by_rounding"
    assert v["dL/dw1"]["by_hand"] == entry_first
    code, v = verdicts(spec, f"dL/dw1: {sample_first:.4f}\n", "--round", "4")
    assert code == 0 and v["dL/dw1"]["verdict"] == "right"  # 0.0110 is the exact 0.011011 too
    code, v = verdicts(spec, "dL/dw1: 0.0108\n", "--round", "4")  # neither order
    assert code == 1 and v["dL/dw1"]["verdict"] == "wrong"
    # the table says so too
    result = cli("check", spec, "--answers", "-", "--round", "4", input="dL/dw1: 0.0109\n")
    assert result.exit_code == 0 and "right by hand-rounding (by hand 0.0109)" in result.stdout


def test_without_round_a_tied_gradient_rounded_entry_by_entry_is_named_as_rounding(spec):
    code, v = verdicts(spec, "dL/dw1: 0.0109\n")
    assert code == 1
    assert v["dL/dw1"]["causes"] == [{"mistake": "rounding",
                                      "text": "rounded to 4 decimals along the way (--round 4 accepts it)"}]


def test_round_worked_solution_adds_a_tied_gradient_up_sample_by_sample(spec):
    hand = by_hand(spec, 4)
    result = cli("step", spec, "--round", "4", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()

    def value(line: str) -> float:
        return float(line.rstrip(" \\").rsplit("= ", 1)[1])

    per_sample = [next(x for x in lines if x.startswith(rf"\frac{{\partial \ell_{{{s}}}}}{{\partial w_{{1}}}} &= "))
                  for s in (1, 2, 3)]
    assert [value(x) for x in per_sample] == [hand[f"dL/dw1[{s}]"]["by_hand"] for s in (1, 2, 3)]
    total = next(x for x in lines if x.startswith(r"\frac{\partial L}{\partial w_{1}} &= "))
    assert value(total) == hand["dL/dw1"]["by_hand"]
    shown = [float(t.strip("()")) for t in re.findall(r"\(?-?[0-9.]+\)?", total.split("{3}", 1)[1].rsplit("=", 1)[0])]
    assert shown == [value(x) for x in per_sample]  # the mean of the per-sample sums, as written above it
    # no entry's own mean is written for a tied parameter: that is the other order
    entry_mean = r"\frac{\partial L}{\partial z_{h_{1}}} \cdot \frac{\partial z_{h_{1}}}{\partial w_{1}}"
    assert not any(x.startswith(entry_mean) for x in lines)
    # what the solution writes, check --round accepts
    code, v = verdicts(spec, "".join(f"dL/dw1[{s}]: {value(x)}\n" for s, x in zip((1, 2, 3), per_sample))
                       + f"dL/dw1: {value(total)}\n", "--round", "4")
    assert code == 0, v
