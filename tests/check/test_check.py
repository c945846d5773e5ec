"""`backcalc check`: verdicts at the student's own precision, where errors begin, and named mistakes.

Expected numbers come from the seeds' published values or from the small
reference below (plain `math`, written apart from backcalc's code).
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import CONFIGS, cli
from reference_step import (
    sigmoid_seed_by_hand,
)

SIGMOID = str(CONFIGS / "sigmoid_seed.yaml")
SIGMOID_ANSWERS = str(CONFIGS / "answers" / "sigmoid_seed.yaml")


def sig(z):
    return 1 / (1 + math.exp(-z))




def write(tmp_path, text: str, name="answers.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def verdicts(*args) -> tuple[int, dict]:
    result = cli("check", *args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    data = json.loads(result.stdout)
    return result.exit_code, {v["key"]: v for v in data["verdicts"]}


# -- the sigmoid seed notebook ----------------------------------------------

def test_sigmoid_seed_notebook_is_caught_with_updated_weights_named():
    code, v = verdicts(SIGMOID, "--answers", SIGMOID_ANSWERS)
    assert code == 1
    right = ["z_h1", "h1", "z_h2", "h2", "z_out", "out", "loss", "dE/dz_out", "dE/dw5", "dE/dw6",
             "w5_new", "w6_new"]
    for key in right:
        assert v[key]["verdict"] == "right", key
    h1_side = ["δh1", "dE/dw1", "dE/dw2", "w1_new", "w2_new"]
    h2_side = ["δh2", "dE/dw3", "dE/dw4", "w3_new", "w4_new"]
    for keys, weight, root in ((h1_side, "w5", "delta_h1"), (h2_side, "w6", "delta_h2")):
        for key in keys:
            assert v[key]["verdict"] == "wrong", key
            assert v[key]["causes"][0]["mistake"] == "updated_weights", key
            assert v[key]["causes"][0]["text"].startswith(f"updated {weight} used"), key
            expected_upstream = None if key.startswith("δ") else root
            assert v[key]["first_wrong_upstream"] == expected_upstream, key
    # the correct values are the old-weight ones, the wrong ones the notebook's
    by_hand = sigmoid_seed_by_hand()
    assert v["δh1"]["correct"] == pytest.approx(by_hand["delta_h1"], rel=1e-12)
    flawed = sigmoid_seed_by_hand(use_updated_weights=True)
    assert round(flawed["delta_h1"], 5) == 0.01199 and round(flawed["dL/dw1"], 5) == 0.00060


def test_sigmoid_seed_table_names_the_cause_once_and_where_errors_begin():
    result = cli("check", SIGMOID, "--answers", SIGMOID_ANSWERS, env={"COLUMNS": "140"})
    assert result.exit_code == 1
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert "(1) updated w5 used (δ needs the old w5 = 0.4)" in lines
    assert "(2) updated w6 used (δ needs the old w6 = 0.45)" in lines
    row = next(line for line in lines if line.lstrip().startswith("δh1 "))
    assert "✗" in row and row.split()[-1] == "(1)"
    row = next(line for line in lines if line.lstrip().startswith("dE/dw1 "))
    assert "✗" in row and row.split()[-2:] == ["δh1", "(1)"]
    row = next(line for line in lines if line.lstrip().startswith("h1 "))
    assert "✓" in row and "0.59327" in row
    assert "12 of 22 right; 10 wrong, starting at δh1, δh2" in result.stdout


# -- Mazur's blog, frozen biases -----------------------------------------------

def test_mazur_blog_reproduces_his_published_updates():
    data = json.loads(cli("step", str(CONFIGS / "mazur_blog.yaml"), "--json").stdout)
    new = {p["name"]: p["new"] for p in data["parameters"]}
    published = {"w5": "0.35891648", "w6": "0.408666186", "w7": "0.511301270", "w8": "0.561370121",
                 "w1": "0.149780716", "w2": "0.19956143", "w3": "0.24975114", "w4": "0.29950229"}
    for name, text in published.items():
        decimals = len(text.split(".")[1])
        assert abs(new[name] - float(text)) <= 0.5 * 10**-decimals, name
    assert abs(data["loss"] - 0.298371109) <= 0.5e-9
    assert new["b1"] == 0.35 and new["b2"] == 0.60  # frozen: his example never updates them


def test_mazur_blog_answers_in_his_notation_are_all_right():
    result = cli("check", str(CONFIGS / "mazur_blog.yaml"), "--answers", str(CONFIGS / "answers" / "mazur_blog.yaml"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "23 of 23 right." in result.stdout and "✗" not in result.stdout


# -- the batch seed: mean versus sum -----------------------------------------------

def test_batch_seed_notebook_prints_the_mean_loss_but_sum_gradients(tmp_path):
    answers = str(CONFIGS / "answers" / "batch_seed.yaml")
    code, v = verdicts(str(CONFIGS / "batch_seed.yaml"), "--answers", answers)
    assert code == 1
    assert v["loss"]["verdict"] == "wrong"
    assert v["loss"]["causes"][0]["text"].startswith("the loss of the mean where the sum was asked")
    assert all(x["verdict"] == "right" for k, x in v.items() if k != "loss")

    # asked for the mean, the notebook's gradients are those of the sum
    mean_spec = write(tmp_path, (CONFIGS / "batch_seed.yaml").read_text().replace("reduction: sum",
                                                                                   "reduction: mean"), "spec.yaml")
    code, v = verdicts(mean_spec, "--answers", answers)
    assert code == 1 and v["loss"]["verdict"] == "right"
    for key in ("dL/dW2[1,1]", "dL/db1[2]"):
        assert v[key]["causes"][0]["text"].startswith("the gradient of the sum where the mean was asked")
        assert v[key]["first_wrong_upstream"] is None
    assert v["W2[1,1]_new"]["first_wrong_upstream"] == "dL/dW2[1,1]"


# -- other named mistakes ---------------------------------------------------------

def cause_of(config: str, key: str, value: str, tmp_path, *extra) -> tuple[str, str]:
    code, v = verdicts(config, "--answers", write(tmp_path, f"{key}: {value}\n"), *extra)
    assert code == 1, v
    causes = v[key]["causes"]
    return (causes[0]["mistake"], causes[0]["text"]) if causes else (None, "")


def test_missing_activation_derivative(tmp_path):
    wrong = sigmoid_seed_by_hand(with_derivative=False)
    mistake, text = cause_of(SIGMOID, "dE/dw5", f"{wrong['dL/dw5']:.5f}", tmp_path)
    assert mistake == "no_derivative:1" and text.startswith("missing activation derivative ∂out/∂z_out")


def test_missing_factor_half_in_the_derivative_of_half_squared_error(tmp_path):
    wrong = sigmoid_seed_by_hand(grad_factor=2.0)  # 2·(y − t) for ½·(y − t)²
    mistake, text = cause_of(SIGMOID, "dL/dw6", f"{wrong['dL/dw6']:.5f}", tmp_path)
    assert (mistake, text) == ("factor_half_grad", "missing factor ½ in ∂L/∂y (∂ℓ/∂y = y_k − t_k)")


RELU = str(CONFIGS / "relu_seed.yaml")  # published: ∂L/∂w5 1.5, new w5 0.985, new b3 0.49


@pytest.mark.parametrize("key,value,mistake,text", [
    ("dL/dw5", "0.75", "factor_2_grad", "missing factor 2 in ∂L/∂y"),  # (y − t) for (y − t)²
    ("dL/dw5", "-1.5", "sign_grad", "sign flip in ∂L/∂y"),
    ("w5_new", "1.015", "sign_update", "sign flip in the update"),  # 1 + 0.01·1.5
    ("b3_new", "0.50", "bias_not_updated", "bias left out of the update"),
    ("loss", "0.125", "factor_2_loss", "missing factor 2 in the loss"),  # ½·0.5² for 0.5²
])
def test_relu_seed_mistakes(tmp_path, key, value, mistake, text):
    code, v = verdicts(RELU, "--answers", write(tmp_path, f"{key}: {value}\n"))
    assert code == 1
    assert any(c["mistake"] == mistake and c["text"].startswith(text) for c in v[key]["causes"]), v[key]


def test_a_cause_must_explain_the_students_own_upstream_answers(tmp_path):
    # 1.015 alone fits a flipped ∂L/∂y (gradient −1.5) or a flipped update; with the right
    # ∂L/∂w5 = 1.5 answered, only the flipped update is left.
    code, v = verdicts(RELU, "--answers", write(tmp_path, "w5_new: 1.015\n"))
    assert {c["mistake"] for c in v["w5_new"]["causes"]} == {"sign_grad", "sign_update"}
    code, v = verdicts(RELU, "--answers", write(tmp_path, "dL/dw5: 1.5\nw5_new: 1.015\n"))
    assert [c["mistake"] for c in v["w5_new"]["causes"]] == ["sign_update"]


def test_updating_a_frozen_parameter(tmp_path):
    # Mazur's b2 is frozen at 0.60; its gradient is Σ over both outputs of δ_o (0.13850 − 0.03810)
    data = json.loads(cli("step", str(CONFIGS / "mazur_blog.yaml"), "--json").stdout)
    grad_b2 = next(p["grad"] for p in data["parameters"] if p["name"] == "b2")
    deltas = [d for layer in data["layers"][1:] for d in layer["delta"][0]]
    assert grad_b2 == pytest.approx(sum(deltas))
    mistake, text = cause_of(str(CONFIGS / "mazur_blog.yaml"), "b2_new", f"{0.60 - 0.5 * grad_b2:.6f}", tmp_path)
    assert (mistake, text) == ("frozen_updated", "a frozen parameter was updated (the spec freezes b1, b2)")


def test_an_unrecognised_wrong_answer_has_no_invented_cause(tmp_path):
    code, v = verdicts(SIGMOID, "--answers", write(tmp_path, "h1: 0.7\n"))
    assert code == 1 and v["h1"]["verdict"] == "wrong" and v["h1"]["causes"] == []


# -- tolerance from the digits written ------------------------------------------------

@pytest.mark.parametrize("text,verdict", [
    ("0.59327", "right"), ("0.593270", "right"), ("0.5933", "right"), ("0.593", "right"), ("0.59", "right"),
    ("0.6", "right"), ("5.9327e-1", "right"), ("0.59326", "wrong"), ("0.594", "wrong"), ("0.5932700", "right"),
    ("1", "wrong"), ("0", "wrong"), ("59.327e-2", "right"), ("0.58", "wrong"),  # a whole number is exact
    ("0.59327000", "wrong"),  # 8 decimals claim more than 0.593269992 rounds to
    ("'0.59327'", "right"),
])
def test_tolerance_is_half_a_unit_in_the_last_written_decimal(tmp_path, text, verdict):
    # h1 = σ(0.3775) = 0.593269992…
    assert abs(sig(0.3775) - 0.593269992) < 1e-9
    code, v = verdicts(SIGMOID, "--answers", write(tmp_path, f"h1: {text}\n"))
    assert v["h1"]["verdict"] == verdict
    assert code == (0 if verdict == "right" else 1)


# -- hand-rounding ----------------------------------------------------------------------

def test_right_by_hand_rounding(tmp_path):
    # By hand at 2 decimals δh1 = 0.01 and δh2 = 0.01 (exactly 0.013368 and 0.014996), so the
    # shared bias b1's gradient is 0.01 + 0.01 = 0.02; exactly it is 0.02836, 0.03 at 2 decimals.
    exact = sigmoid_seed_by_hand()
    assert round(exact["delta_h1"], 2) == 0.01 and round(exact["delta_h2"], 2) == 0.01
    assert round(exact["delta_h1"] + exact["delta_h2"], 2) == 0.03
    answers = write(tmp_path, "dE/db1: 0.02\nh1: 0.59\n")
    code, v = verdicts(SIGMOID, "--answers", answers)
    assert code == 1 and v["dE/db1"]["verdict"] == "wrong"
    assert v["dE/db1"]["causes"] == [{"mistake": "rounding",
                                      "text": "rounded to 2 decimals along the way (--round 2 accepts it)"}]
    code, v = verdicts(SIGMOID, "--answers", answers, "--round", "2")
    assert code == 0
    assert v["dE/db1"]["verdict"] == "right_by_rounding" and v["dE/db1"]["by_hand"] == 0.02
    assert v["h1"]["verdict"] == "right"
    result = cli("check", SIGMOID, "--answers", answers, "--round", "2", env={"COLUMNS": "140"})
    assert result.exit_code == 0 and "right by hand-rounding" in result.stdout
    assert "2 of 2 right (1 by hand-rounding)." in result.stdout


# -- the key grammar ----------------------------------------------------------------------

def test_every_documented_spelling_resolves(tmp_path):
    v = sigmoid_seed_by_hand()
    spellings = {
        "dL/dw5": v["dL/dw5"], "dE/dw6": v["dL/dw6"], "∂L/∂w1": v["dL/dw1"], "dE_dw2": v["dL/dw2"],
        "∂E/∂w3": v["dL/dw3"], "delta_h1": v["delta_h1"], "δ_h2": v["delta_h2"], "dE/dz_out": v["delta_out"],
        "w5_new": v["w5_new"], "new_w6": v["w6_new"], "w1+": v["w1_new"], "w2'": v["w2_new"],
        "net_h1": 0.3775, "a_h2": v["h2"], "out_out": v["out"], "E_total": (v["out"] - 0.01) ** 2 / 2,
        "loss_out": (v["out"] - 0.01) ** 2 / 2, "dout/dz_out": v["out"] * (1 - v["out"]),
        "dL/dh1": v["delta_out"] * 0.40, "∂h1/∂net_h1": v["h1"] * (1 - v["h1"]),
    }
    text = "".join(f"{k}: {val:.6f}\n" for k, val in spellings.items())
    code, got = verdicts(SIGMOID, "--answers", write(tmp_path, text))
    assert code == 0, {k: x for k, x in got.items() if x["verdict"] != "right"}
    assert set(got) == set(spellings)
    assert got["δ_h2"]["quantity"] == "delta_h2" and got["dE_dw2"]["quantity"] == "dL/dw2"


def test_per_sample_keys_in_a_batch(tmp_path):
    data = json.loads(cli("step", str(CONFIGS / "batch_seed.yaml"), "--json").stdout)
    h1 = data["layers"][0]["a"]
    answers = write(tmp_path, f"h1[1]: {h1[0][0]:.6f}\nh1[2]: {h1[1][0]:.6f}\nloss[2]: {data['losses'][1]:.6f}\n")
    code, v = verdicts(str(CONFIGS / "batch_seed.yaml"), "--answers", answers)
    assert code == 0 and v["h1[2]"]["quantity"] == "h1[2]"


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("h1: 0.5\nh3: 0.1\n", ":2:1: h3: unknown quantity `h3` (did you mean `h2`?)"),
    ("dL/dw9: 0.1\n", ":1:1: dL/dw9: unknown quantity `dL/dw9` (did you mean `dL/dw6`?)"),
    ("h1: abc\n", ":1:5: h1: expected a number, got the string 'abc'"),
    ("h1: [0.5]\n", ":1:5: h1: expected a number, got a list"),
    ("h1: true\n", ":1:5: h1: expected a number, got true"),
    ("w5: 0.36\n", ":1:1: w5: `w5` is a parameter the spec gives; write `w5_new`"),
    ("dE/dw5: 0.08\ndL/dw5: 0.08\n", ":2:1: dL/dw5: names the same quantity as `dE/dw5` (line 1)"),
    ("w5_new[2]: 0.3\n", "w5_new[2]: an updated value belongs to the whole batch; write `w5_new` without [2]"),
    ("h1[2]: 0.3\n", ":1:1: h1[2]: sample 2 is not in the batch (samples 1–1)"),
    ("- h1\n", ":1:1: expected a mapping of `quantity: your value` pairs, got a list"),
    ("- h1: 0.59\n", "got a list (write `h1: 0.59`, not `- h1: 0.59`)"),
    ("0.59\n", "expected a mapping of `quantity: your value` pairs, got the single value '0.59'"),
    ("out_h3: 0.5\n", ":1:1: out_h3: unknown quantity `out_h3` (did you mean `out_h2`?)"),
    ("dE_total/dout_h3: 0.5\n", "unknown quantity `dE_total/dout_h3` (did you mean `dE_total/dout_h2`?)"),
    ("net_h3[1]: 0.5\n", "unknown quantity `net_h3[1]` (did you mean `net_h2[1]`?)"),
    ("h1: 0.5\n  bad: [\n", "not valid YAML"),
])
def test_bad_answers_are_located_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    result = cli("check", SIGMOID, "--answers", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith(path)
    assert "Traceback" not in result.stderr


def test_all_problems_are_reported_at_once(tmp_path):
    result = cli("check", SIGMOID, "--answers", write(tmp_path, "h3: 1\nh1: x\nloss: 0.27\n"))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 2


def test_per_sample_quantity_needs_its_sample_in_a_batch(tmp_path):
    result = cli("check", str(CONFIGS / "batch_seed.yaml"), "--answers", write(tmp_path, "h1: 0.88\n"))
    assert result.exit_code == 2
    assert "`h1` has one value per sample in this batch of 2; write `h1[1]` … `h1[2]`" in result.stderr


def test_missing_or_empty_answers_file(tmp_path):
    result = cli("check", SIGMOID, "--answers", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "nope.yaml: no such file" in result.stderr
    result = cli("check", SIGMOID, "--answers", write(tmp_path, "# nothing\n"))
    assert result.exit_code == 2 and "the file is empty; expected a `quantity: value` mapping" in result.stderr
    result = cli("check", SIGMOID)
    assert result.exit_code == 2 and "--answers" in result.stderr


def test_answers_from_stdin():
    result = cli("check", SIGMOID, "--answers", "-", input="h1: 0.59327\n")
    assert result.exit_code == 0 and "1 of 1 right." in result.stdout
    result = cli("check", "-", "--answers", "-", input="h1: 0.59327\n")
    assert result.exit_code == 2 and "both" in result.stderr


def test_json_and_table_agree():
    table = cli("check", SIGMOID, "--answers", SIGMOID_ANSWERS, env={"COLUMNS": "160"})
    data = json.loads(cli("check", SIGMOID, "--answers", SIGMOID_ANSWERS, "--json").stdout)
    assert data["summary"] == {"total": 22, "right": 12, "right_by_rounding": 0, "wrong": 10,
                               "first_wrong": ["delta_h1", "delta_h2"]}
    marks = [line.split()[0] for line in table.stdout.splitlines() if "✓" in line or "✗" in line]
    assert marks == [v["key"] for v in data["verdicts"]]
    for v in data["verdicts"]:
        row = next(line for line in table.stdout.splitlines() if line.split() and line.split()[0] == v["key"])
        assert ("✓" in row) == (v["verdict"] != "wrong")


def test_the_hand_rounded_answers_file():
    path = str(CONFIGS / "answers" / "sigmoid_seed_2dp.yaml")
    code, v = verdicts(SIGMOID, "--answers", path)
    assert code == 1 and [k for k, x in v.items() if x["verdict"] == "wrong"] == ["dE/db1"]
    code, v = verdicts(SIGMOID, "--answers", path, "--round", "2")
    assert code == 0 and v["dE/db1"]["verdict"] == "right_by_rounding"


# One sigmoid neuron, z = 2: rounded to 2 decimals the output is 0.88, and a student's bce loss
# is −log(1 − 0.88) = 2.1203 → 2.12 (from z, softplus(2) = 2.1269 → 2.13, is not what they compute).
HAND_BCE = """
inputs: [1.0]
target: {target}
layers:
  - activation: sigmoid
    weights: [[2.0]]
    biases: [0.0]
loss: {loss}
"""


def test_check_round_accepts_the_loss_a_student_computes_from_the_rounded_output(tmp_path):
    spec = tmp_path / "bce.yaml"
    spec.write_text(HAND_BCE.format(loss="bce", target=0))
    answers = tmp_path / "answers.yaml"
    answers.write_text("o1: 0.88\nloss: 2.12\n")  # −log(1 − 0.88) = 2.1203
    result = cli("check", spec, "-a", answers, "--round", "2")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_check_needs_exactly_one_answers_source(config):
    for args in ([], ["--answers", "x.yaml", "--answers-example", "sigmoid_seed"]):
        result = cli("check", config("sigmoid_seed"), *args)
        assert result.exit_code == 2 and result.stdout == ""
        assert "--answers-example" in result.stderr and len(result.stderr.splitlines()) == 1
