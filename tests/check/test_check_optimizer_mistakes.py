"""Adam's and AdamW's mistakes, ReLU′(0) = 1 and truncating (docs/check.md), planted by hand.

The planted updates follow the textbook Adam written here in plain Python, from the gradients
`step --json` reports (the gradients are tested elsewhere); the ReLU network is built so that a
hidden z is exactly 0, and its planted answers come from tests/plant_reference.py.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import cli
from tests.plant_reference import Layer, Net, compute, to_yaml

NET = """\
inputs: [0.05, 0.10]
target: 0.01
layers:
  - activation: sigmoid
    weights: [[w1: 0.15, w2: 0.20], [w3: 0.25, w4: 0.30]]
    biases: [b1: 0.35, b2: 0.35]
  - activation: sigmoid
    weights: [[w5: 0.40, w6: 0.45]]
    biases: [b3: 0.60]
loss: half_squared_error
learning_rate: 0.01
"""
STATE = """\
optimizer_state:
""" + "".join(f"  {p}: {{step: 3, exp_avg: {0.001 * (k + 1)}, exp_avg_sq: {1e-6 * (k + 2)}}}\n"
              for k, p in enumerate(["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"]))
CASES = {
    "adam": ("optimizer: adam\n", ["eps_inside", "no_bias_correction", "step_ahead"]),
    "adam_resumed": ("optimizer: {name: adam, eps: 1.0e-4}\n" + STATE,
                     ["eps_inside", "no_bias_correction", "step_ahead", "step_behind"]),
    "adamw": ("optimizer: {name: adamw, weight_decay: 0.5}\n",
              ["no_bias_correction", "step_ahead", "adamw_as_l2"]),
}


def textbook_adam(p, g, lr, c, state, how=None):
    b1, b2 = c.get("betas", (0.9, 0.999))
    eps, wd = c.get("eps", 1e-8), c.get("weight_decay", 0.0)
    t = state.get("step", 0) + 1 + {"step_ahead": 1, "step_behind": -1}.get(how, 0)
    if c["name"] == "adamw" and how != "adamw_as_l2":
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    m = b1 * state.get("exp_avg", 0.0) + (1 - b1) * g
    v = b2 * state.get("exp_avg_sq", 0.0) + (1 - b2) * g * g
    m_hat, v_hat = (m, v) if how == "no_bias_correction" else (m / (1 - b1 ** t), v / (1 - b2 ** t))
    denom = math.sqrt(v_hat + eps) if how == "eps_inside" else math.sqrt(v_hat) + eps
    return p - lr * m_hat / denom


@pytest.mark.parametrize("case", sorted(CASES))
def test_adam_mistakes(case, tmp_path):
    extra, mistakes = CASES[case]
    spec = tmp_path / "net.yaml"
    spec.write_text(NET + extra)
    step = json.loads(cli("step", spec, "--json").stdout)
    config = step["optimizer"] if isinstance(step["optimizer"], dict) else {}
    c = {"name": case[:5].rstrip("_"), **{k: v for k, v in config.get("hyperparameters", config).items()
                                           if k in ("betas", "eps", "weight_decay")}}
    states = {p["name"]: (p["state"]["before"] or {}) for p in step["parameters"]}
    for how in mistakes:
        lines = []
        for p in step["parameters"]:
            new = textbook_adam(p["value"], p["grad"], 0.01, c, states[p["name"]], how)
            right = textbook_adam(p["value"], p["grad"], 0.01, c, states[p["name"]])
            assert math.isclose(right, p["new"], rel_tol=1e-9), (p, right)  # the textbook is torch's
            lines.append(f"dL/d{p['name']}: {p['grad']:.10f}\n{p['name']}_new: {new:.9f}\n")
        answers = tmp_path / "answers.yaml"
        answers.write_text("".join(lines))
        out = cli("check", spec, "--answers", answers, "--json")
        assert out.exit_code == 1, (how, out.stdout)
        wrong = [v for v in json.loads(out.stdout)["verdicts"] if v["verdict"] == "wrong"]
        assert wrong and all(v["quantity"].endswith("_new") for v in wrong), how
        for v in wrong:
            ids = [x["mistake"] for x in v["causes"]]
            assert f"adam_{how}" in ids, (how, v)
            for other in ids:  # any other cause named gives the same number
                name = other.removeprefix("adam_")
                p = next(q for q in step["parameters"] if q["name"] == v["quantity"][:-4])
                again = textbook_adam(p["value"], p["grad"], 0.01, c, states[p["name"]], name)
                assert abs(again - v["answer"]) <= v["tolerance"] * 1.001, (how, other)


def test_relu_derivative_at_zero_taken_as_one(tmp_path):
    """z_h1 = 0.37·0.5 − 0.185 = 0 exactly: ReLU′(0) is 0; a student taking 1 is told so."""
    hidden = Layer("relu", [[0.37], [0.8]], [-0.185, 0.1], [["w1"], ["w2"]], ["b1", "b2"], ["h1", "h2"])
    out = Layer("sigmoid", [[0.6, -0.4]], [0.2], [["w3", "w4"]], ["b3"], ["o1"])
    net = Net([hidden, out], [[0.5]], [[0.9]], "half_squared_error", "mean", 0.5)
    net.yaml_text = to_yaml(net, True, False)
    right, planted = compute(net), compute(net, "kink_right")
    keys = [k for k in planted if f"{planted[k].value:.6f}" != f"{right[k].value:.6f}"
            and not (k.startswith(("dL/d", "loss")) and k.endswith("[1]") and k[:-3] in planted)]
    assert "dh1/dz_h1[1]" in keys and "dL/dw1" in keys
    spec, answers = tmp_path / "relu.yaml", tmp_path / "answers.yaml"
    spec.write_text(net.yaml_text)
    answers.write_text("".join(f'"{k.removesuffix("[1]")}": {planted[k].value:.6f}\n' for k in keys))
    data = json.loads(cli("check", spec, "--answers", answers, "--json").stdout)
    roots = [v for v in data["verdicts"] if v["verdict"] == "wrong" and not v["first_wrong_upstream"]]
    assert [v["quantity"] for v in roots] == ["dh1/dz_h1"]
    assert "kink_right" in [c["mistake"] for c in roots[0]["causes"]]
    assert "ReLU′(0) taken as 1" in cli("check", spec, "--answers", answers).stdout


def test_truncated_answer(tmp_path):
    """0.593269992 truncated to 0.5932 (rounded: 0.5933) is named, and rounding it is not."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("h1: 0.5932\nh2: 0.5969\n")
    out = cli("check", "configs/sigmoid_seed.yaml", "--answers", answers, "--json")
    verdicts = {v["quantity"]: v for v in json.loads(out.stdout)["verdicts"]}
    assert verdicts["h1"]["verdict"] == "wrong"
    assert [c["mistake"] for c in verdicts["h1"]["causes"]] == ["truncated"]
    assert verdicts["h2"]["verdict"] == "right"  # 0.596884378 rounds to 0.5969
