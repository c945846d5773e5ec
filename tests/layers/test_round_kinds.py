"""`--round N` inside a layer kind: a recurrent layer's every zₜ, hₜ, ∂ℓ/∂hₜ and per-step product,
and a batch norm's μ, σ², √(σ²+ε) and x̂, are rounded as they are written down, as a student working
BPTT or the batch-norm forward by hand rounds them. The references below are written independently
of backcalc, with decimal rounding (half up) at each of those points.
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import cli, cli_json

CONFIGS = Path(__file__).parents[2] / "configs"


def r(x: float, d: int) -> float:
    """x rounded half up to d decimals as on paper: 1.9·0.65 is 1.235 there (1.2349999… in binary), so the
    float is first read to 12 decimals, then rounded."""
    paper = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-12), rounding=ROUND_HALF_EVEN)
    return float(paper.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))


def by_hand(step: dict) -> dict:
    return {q["quantity"]: q["by_hand"] for q in step["hand_rounding"]["quantities"]}


def rnn_by_hand(wx, wh, b, h0, xs, w2, b2, target, d):
    """An rnn (tanh, return: last) then one identity output, mse on one sample, every value rounded:
    (hₜ per step, the output, ∂L/∂[W_x | W_h], ∂L/∂b)."""
    n_h, f = len(wx), len(wx[0])
    row = [list(wx[i]) + list(wh[i]) for i in range(n_h)]  # [W_x | W_h]
    hs, us = [list(h0)], []
    for x in xs:
        u = list(x) + hs[-1]
        z = []
        for i in range(n_h):
            total = 0.0
            for j in range(f + n_h):
                total = total + row[i][j] * u[j]
            z.append(r(total + b[i], d))
        us.append(u)
        hs.append([r(math.tanh(v), d) for v in z])
    total = 0.0
    for j in range(n_h):
        total = total + w2[j] * hs[-1][j]
    y = r(total + b2, d)
    dy = r(2 * (y - target), d)  # mse over one output
    delta_o = r(dy * 1.0, d)
    sent_last = [r(r(delta_o * w2[j], d) * 1.0, d) for j in range(n_h)]  # ∂L/∂h_T, δ through a = z
    grads_w = [[0.0] * (f + n_h) for _ in range(n_h)]
    terms_w = [[[] for _ in range(f + n_h)] for _ in range(n_h)]
    terms_b = [[] for _ in range(n_h)]
    carried = [0.0] * n_h
    for t in reversed(range(len(xs))):
        sent = sent_last if t == len(xs) - 1 else [0.0] * n_h
        dh = [r(s + c, d) for s, c in zip(sent, carried)]
        slope = [r(1 - h * h, d) for h in hs[t + 1]]
        dz = [r(a * s, d) for a, s in zip(dh, slope)]
        back = []
        for j in range(f + n_h):
            total = 0.0
            for i in range(n_h):
                total = total + dz[i] * row[i][j]
            back.append(r(total, d))
        carried = back[f:]
        for i in range(n_h):
            terms_b[i].append(dz[i])
            for j in range(f + n_h):
                terms_w[i][j].append(r(dz[i] * us[t][j], d))
    for i in range(n_h):
        for j in range(f + n_h):
            grads_w[i][j] = r(sum(reversed(terms_w[i][j])), d)  # summed from the first step, as the sum runs
    grads_b = [r(sum(reversed(tb)), d) for tb in terms_b]
    return hs, y, grads_w, grads_b


@pytest.mark.parametrize("decimals", [2, 3, 4])
def test_bptt_rounds_every_step_as_by_hand(decimals):
    step = cli_json("step", str(CONFIGS / "rnn_sequence.yaml"), "--round", str(decimals), "--json", "-q")
    got = by_hand(step)
    wx, wh, b = [[0.5, -0.25], [0.1, 0.2]], [[0.3, -0.1], [0.2, 0.4]], [0.1, -0.1]
    xs = [[1.0, 0.5], [-1.0, 2.0], [0.0, 1.0]]
    hs, y, gw, gb = rnn_by_hand(wx, wh, b, [0.0, 0.0], xs, [1.0, -1.0], 0.0, 0.5, decimals)
    assert got["h1[1]"] == pytest.approx(hs[-1][0], abs=1e-12)
    assert got["h1[2]"] == pytest.approx(hs[-1][1], abs=1e-12)
    assert got["o1"] == pytest.approx(y, abs=1e-12)
    for i in range(2):
        for j in range(2):
            assert got[f"dL/dWx1[{i + 1},{j + 1}]"] == pytest.approx(gw[i][j], abs=1e-12), (i, j)
            assert got[f"dL/dWh1[{i + 1},{j + 1}]"] == pytest.approx(gw[i][2 + j], abs=1e-12), (i, j)
        assert got[f"dL/db1[{i + 1}]"] == pytest.approx(gb[i], abs=1e-12)


def test_the_rounded_solution_writes_each_hidden_state_as_rounded():
    """The worked solution's step 2 reads tanh(−0.777) = −0.651, the value carried on to step 3."""
    text = cli("step", str(CONFIGS / "rnn_sequence.yaml"), "--round", "3", "--format", "markdown").stdout
    assert r"\tanh (-0.777) = -0.651" in text
    assert r"0.3 \cdot (-0.651)" in text  # step 3 reads the rounded h₂


def test_batch_norm_rounds_its_statistics_as_by_hand():
    d = 3
    x = [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.0], [2.0, 1.0]]
    w1, b1 = [[0.5, -0.4], [0.3, 0.8]], [0.1, -0.2]
    gamma, beta = [1.0, 0.5], [0.0, 0.1]
    h = []
    for row in x:
        out = []
        for i in range(2):
            total = 0.0
            for j in range(2):
                total = total + w1[i][j] * row[j]
            out.append(r(total + b1[i], d))
        h.append(out)
    step = cli_json("step", str(CONFIGS / "batchnorm_batch.yaml"), "--round", str(d), "--json", "-q")
    got = by_hand(step)
    names = step["layers"][1]["neurons"]
    for u in range(2):
        col = [h[s][u] for s in range(4)]
        mean = r(sum(col) / 4, d)
        var = r(sum((v - mean) ** 2 for v in col) / 4, d)
        std = r(math.sqrt(var + 1e-5), d)
        for s in range(4):
            xhat = r((col[s] - mean) / std, d)
            z = r(xhat * gamma[u] + beta[u], d)
            assert got[f"z_{names[u]}[{s + 1}]"] == pytest.approx(z, abs=1e-12), (u, s)


def test_a_float_step_is_unchanged_by_the_rounding_hooks():
    """Without --round nothing inside the recurrence is rounded: h₂ keeps all its digits."""
    step = cli_json("step", str(CONFIGS / "rnn_sequence.yaml"), "--json", "-q")
    h2 = step["layers"][0]["hidden_state"][0][1][0]
    z2 = 0.1 * -1.0 + 0.2 * 2.0 + 0.2 * math.tanh(0.475) + 0.4 * math.tanh(0.1) - 0.1
    assert h2 != r(h2, 5)
    assert step["layers"][0]["pre_activation"][0][1][1] == pytest.approx(z2, rel=1e-12)


def test_check_accepts_a_bptt_rounded_along_the_way(tmp_path):
    """A student's BPTT rounded to 3 decimals at every step (the reference above) is named as such,
    and `check --round 3` marks it right."""
    wx, wh, b = [[0.5, -0.25], [0.1, 0.2]], [[0.3, -0.1], [0.2, 0.4]], [0.1, -0.1]
    xs = [[1.0, 0.5], [-1.0, 2.0], [0.0, 1.0]]
    _, _, gw, gb = rnn_by_hand(wx, wh, b, [0.0, 0.0], xs, [1.0, -1.0], 0.0, 0.5, 3)
    lines = [f"dL/dW{'x' if j < 2 else 'h'}1[{i + 1},{j % 2 + 1}]: {gw[i][j]}" for i in range(2) for j in range(4)]
    lines += [f"dL/db1[{i + 1}]: {gb[i]}" for i in range(2)]
    answers = tmp_path / "answers.yaml"
    answers.write_text("\n".join(lines) + "\n")
    result = cli("check", str(CONFIGS / "rnn_sequence.yaml"), "--answers", str(answers), "--json")
    assert result.exit_code == 1  # some answers are wrong
    plain = json.loads(result.stdout)
    wrong = [v for v in plain["verdicts"] if v["verdict"] == "wrong"]
    assert wrong, "rounded answers differ from the exact ones somewhere"
    assert all(c["mistake"] == "rounding" for v in wrong for c in v["causes"]), wrong
    rounded = cli_json("check", str(CONFIGS / "rnn_sequence.yaml"), "--answers", str(answers), "--round", "3")
    assert rounded["summary"]["wrong"] == 0 and rounded["summary"]["total"] == 10


@pytest.mark.parametrize("decimals", [1, 2, 3])  # at 1 decimal, rounding only the layer's output gives another h₃
def test_an_lstm_rounds_every_gate_and_state_as_by_hand(decimals):
    """configs/lstm_sequence.yaml by hand: each pre-activation, gate (i, f, g, o), cₜ, tanh cₜ and hₜ
    rounded as written down; the output read from the rounded h₃."""
    d = decimals
    wx = [[0.5, -0.25], [0.1, 0.2], [0.3, -0.1], [0.2, 0.4]]
    wh, b = [0.3, -0.1, 0.2, 0.4], [0.1, 1.0, 0.0, 0.2]
    h, c = 0.0, 0.0
    for x in ([1.0, 0.5], [-1.0, 2.0], [0.0, 1.0]):
        pre = []
        for k in range(4):
            total = 0.0
            for w, v in zip([*wx[k], wh[k]], [*x, h]):
                total = total + w * v
            pre.append(r(total + b[k], d))
        i, f, o = (r(1 / (1 + math.exp(-pre[k])), d) for k in (0, 1, 3))
        g = r(math.tanh(pre[2]), d)
        c = r(f * c + i * g, d)
        h = r(o * r(math.tanh(c), d), d)
    got = by_hand(cli_json("step", str(CONFIGS / "lstm_sequence.yaml"), "--round", str(d), "-q"))
    assert got["h1[1]"] == pytest.approx(h, abs=1e-12)
    assert got["o1"] == pytest.approx(r(1.5 * h + 0.0, d), abs=1e-12)


def test_a_relu_of_a_value_rounded_to_minus_zero_is_plus_zero(tmp_path):
    """z = −0.001 rounds to −0.00 by hand; relu gives 0, written without a sign in JSON."""
    spec = tmp_path / "negz.yaml"
    spec.write_text("inputs: [1, 0]\ntarget: 1\nloss: mse\nlearning_rate: 0.1\nlayers:\n"
                    "  - {activation: relu, weights: [[-0.001, 0.2], [0.3, 0.4]], biases: [0, 0]}\n"
                    "  - {activation: identity, weights: [[1, 1]], biases: [0]}\n")
    result = cli("step", str(spec), "--round", "2", "--json", "-q")
    assert result.exit_code == 0, result.stderr
    assert '"quantity": "h1", "exact": 0.0, "by_hand": 0.0' in result.stdout
