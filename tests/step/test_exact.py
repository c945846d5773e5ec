"""--exact: rational arithmetic from the YAML's decimal text, on step and train."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from conftest import CONFIGS, cli, cli_json, cli_jsonl, one_line, shown


def exact_json(*args) -> dict:
    return cli_json(*args, "--exact")


def by_name(data: dict) -> dict:
    return {p["name"]: p for p in data["parameters"]}


def leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v)
    else:
        yield value


def test_relu_seed_updates_are_exactly_the_published_ones(config):
    data = exact_json("step", config("relu_seed"))
    assert data["exact"] is True
    params = by_name(data)
    # Seed 001's published update: W1..W6 = 0.99, 0.49, 1.0, −0.5, 0.985, 0.995; B1..B3 = 0.49, −0.01, 0.49
    published = {"w1": "0.99", "w2": "0.49", "w3": "1", "w4": "-0.5", "w5": "0.985", "w6": "0.995",
                 "b1": "0.49", "b2": "-0.01", "b3": "0.49"}
    assert {name: p["new"] for name, p in params.items()} == published
    assert data["loss"] == "0.25"
    assert params["w5"]["grad"] == "1.5"


def test_exact_json_numbers_are_strings_fraction_accepts(config):
    data = exact_json("step", config("relu_seed"))
    numbers = [v for v in leaves(data) if not isinstance(v, (bool, type(None)))
               and (isinstance(v, (int, float)) or (isinstance(v, str) and v[:1].isdigit() or v[:1] == "-"))]
    assert numbers
    for v in numbers:
        if isinstance(v, str):
            Fraction(v)  # parses exactly
    computed = {k: v for k, v in data.items() if k != "optimizer"}  # the optimizer's settings are echoed as given
    floats = [v for v in leaves(computed) if isinstance(v, float)]
    assert floats == []  # under --exact no computed value is rounded to a float


def test_float_mode_is_unchanged(config):
    data = cli_json("step", config("relu_seed"))
    assert "exact" not in data
    assert isinstance(by_name(data)["w5"]["new"], float)


def test_exact_table_and_markdown_print_exact_decimals(config):
    table = cli("step", config("relu_seed"), "--exact")
    assert table.exit_code == 0, table.stderr
    assert "exact arithmetic" in table.stdout
    assert "0.985" in table.stdout and "0.995" in table.stdout
    md = cli("step", config("relu_seed"), "--exact", "--format", "markdown").stdout
    assert (r"{w_{5}}^{\mathrm{new}} &= w_{5} - \eta \, \frac{\partial L}{\partial w_{5}} "
            r"= 1 - 0.01 \cdot 1.5 = 0.985") in md
    assert "every number is exact" in md


def test_linear_seed_exact_where_floats_are_not(config):
    # By hand: y = 4, t = 1, mse: ∂L/∂y = 2·3 = 6; ∂L/∂w1 = 6·w5·x1 = 6; ∂L/∂w5 = 6·h1 = 6·2 = 12.
    floats = by_name(cli_json("step", config("linear_seed")))
    assert floats["w1"]["new"] != 0.4  # 1 − 0.1·6 in binary floating point
    params = by_name(exact_json("step", config("linear_seed")))
    assert params["w1"]["grad"] == "6" and params["w5"]["grad"] == "12"
    assert params["w1"]["new"] == "0.4" and params["w5"]["new"] == "-0.2" and params["b1"]["new"] == "-0.6"


THIRDS = """
name: thirds
inputs: [1]
targets: [[1, 1, 1]]
layers:
  - activation: identity
    weights: [[0], [0], [0]]
    biases: [0, 0, 0]
loss: mse
learning_rate: 0.5
"""


def test_rational_answers_print_as_fractions():
    # mse over K = 3 outputs: ∂ℓ/∂y_k = (2/3)(y_k − t_k) = (2/3)(0 − 1) = −2/3
    data = cli_json("step", "-", "--exact", input=THIRDS)
    assert data["layers"][0]["dL_da"] == [["-2/3", "-2/3", "-2/3"]]
    assert data["parameters"][0]["new"] == "1/3"  # 0 − 0.5·(−2/3)
    table = cli("step", "-", "--exact", input=THIRDS).stdout
    assert "−2/3" in table and "1/3" in table
    md = cli("step", "-", "--exact", "--format", "markdown", input=THIRDS).stdout
    assert r"-\tfrac{2}{3}" in md and r"\tfrac{1}{3}" in md


LEAKY = """
inputs: [1]
target: 1
layers:
  - activation: leaky_relu
    alpha: 0.1
    weights: [[w: -2]]
    biases: [b: 0.3]
loss: half_squared_error
learning_rate: 0.1
"""


def test_leaky_relu_alpha_is_exact():
    # z = −1.7, a = 0.1·z = −0.17, ∂ℓ/∂a = −1.17, ∂a/∂z = 0.1, ∂ℓ/∂w = −0.117, w_new = −2 + 0.0117
    data = cli_json("step", "-", "--exact", input=LEAKY)
    layer = data["layers"][0]
    assert layer["a"] == [["-0.17"]] and layer["da_dz"] == [["0.1"]] and layer["alpha"] == "0.1"
    assert by_name(data)["w"]["grad"] == "-0.117"
    assert by_name(data)["w"]["new"] == "-1.9883"


@pytest.mark.parametrize("name, path, got", [
    ("sigmoid_seed", "layers[0].activation", "sigmoid"),
    ("batch_seed", "layers[0].activation", "sigmoid"),
])
def test_non_rational_activation_is_one_clear_error(config, name, path, got):
    result = cli("step", config(name), "--exact")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{config(name)}:")
    assert f"{path}: --exact needs a rational activation" in lines[0] and f"got {got}" in lines[0]


def test_non_polynomial_loss_is_named(tmp_path):
    spec = tmp_path / "bce.yaml"
    spec.write_text("inputs: [1]\ntarget: 1\nlayers:\n  - activation: relu\n    weights: [[1]]\n    biases: [0]\n"
                    "  - activation: sigmoid\n    weights: [[1]]\n    biases: [0]\nloss: bce\n")
    for command in ("step", "train"):
        result = cli(command, spec, "--exact")
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.strip() == (f"{spec}:7:17: layers[1].activation: --exact needs a rational activation "
                                         "(identity, relu or leaky_relu), got sigmoid (also loss bce)")


def test_exact_error_for_the_loss_alone():
    from backcalc.errors import SpecError
    from backcalc.exact import check_exact
    from backcalc.spec import parse_spec

    spec = parse_spec(b"inputs: [1]\ntarget: 1\nlayers:\n  - activation: relu\n    weights: [[1]]\n"
                      b"    biases: [0]\nloss: mse\n", "x.yaml")
    spec.loss = "cross_entropy"  # no spec file can pair it with a relu output; the check must still name it
    with pytest.raises(SpecError) as e:
        check_exact(spec)
    assert str(e.value) == ("x.yaml:7:7: loss: --exact needs a polynomial loss (half_squared_error, mse or "
                            "squared_error), got cross_entropy")


def test_train_exact_agrees_with_floats(config):
    exact = cli_jsonl("train", config("relu_seed"), "--epochs", "3", "--exact")
    floats = cli_jsonl("train", config("relu_seed"), "--epochs", "3")
    assert len(exact) == len(floats) == 4
    for e, f in zip(exact[:-1], floats[:-1], strict=True):
        assert Fraction(e["loss"]) == pytest.approx(f["loss"], rel=1e-12)
    final_e, final_f = exact[-1]["final"], floats[-1]["final"]
    for name, value in final_e["parameters"].items():
        q = Fraction(value)
        assert float(q) == pytest.approx(final_f["parameters"][name], rel=1e-12, abs=1e-15)
        d = q.denominator  # a terminating decimal: the spec's numbers were decimals
        while d % 10 == 0:
            d //= 10
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        assert d == 1


def test_train_exact_first_epoch_is_the_step(config):
    first = cli_jsonl("train", config("relu_seed"), "--epochs", "1", "--exact")
    assert first[0]["loss"] == "0.25"
    params = first[-1]["final"]["parameters"]
    assert params["w5"] == "0.985" and params["b2"] == "-0.01"


def test_train_exact_stops_before_numbers_explode(config):
    result = cli("train", config("linear_seed"), "--epochs", "50", "--exact", "--json")
    assert result.exit_code == 1
    assert "exact arithmetic" in result.stderr and "digits" in result.stderr
    final = json.loads(result.stdout.splitlines()[-1])["final"]
    assert 1 <= final["epochs"] < 50
    Fraction(final["parameters"]["w1"])


# -- exact numbers in, exact numbers out: p/q, long decimals, saved and resumed (issue 11.5) --------

FRACTIONS = """\
inputs: [[1/3, "-2/7"], [0.12345678901234567890123, 1]]
targets: [["2/3"], [-1/9]]
layers:
  - activation: leaky_relu
    alpha: 1/8
    weights: [[w1: "1/7", w2: 3/11]]
    biases: [b: -1/3]
learning_rate: 1/10
optimizer: {name: sgd, momentum: 1/3, dampening: 1/5, weight_decay: 1/100}
optimizer_state:
  w1: {momentum_buffer: "304601/150000"}
"""


def test_fractions_and_long_decimals_are_read_exactly_everywhere_a_number_goes():
    data = cli_json("step", "-", "--exact", input=FRACTIONS)
    assert data["inputs"] == [["1/3", "-2/7"], ["0.12345678901234567890123", "1"]]
    assert data["targets"] == [["2/3"], ["-1/9"]]
    layer = data["layers"][0]
    assert layer["weights"] == [["1/7", "3/11"]] and layer["biases"] == ["-1/3"] and layer["alpha"] == "0.125"
    assert data["learning_rate"] == "0.1"
    settings = data["optimizer"]["hyperparameters"]
    assert settings["momentum"] == "1/3" and settings["dampening"] == "0.2" and settings["weight_decay"] == "0.01"
    # the state written as p/q is the buffer the update starts from: b = μ·b₀ + (1 − τ)·(g + λ·w)
    w1 = by_name(data)["w1"]
    g = Fraction(w1["grad"])
    buffer = Fraction(1, 3) * Fraction(304601, 150000) + Fraction(4, 5) * (g + Fraction(1, 100) * Fraction(1, 7))
    assert Fraction(w1["new"]) == Fraction(1, 7) - Fraction(1, 10) * buffer


def test_fractions_as_floats_are_correctly_rounded():
    data = cli_json("step", "-", input=FRACTIONS)
    assert data["inputs"][0] == [1 / 3, -2 / 7]  # Python's int/int division rounds correctly
    assert data["learning_rate"] == 0.1 and data["layers"][0]["alpha"] == 0.125
    assert data["layers"][0]["weights"] == [[1 / 7, 3 / 11]]


def test_set_takes_a_fraction(config):
    data = cli_json("step", config("relu_seed"), "--exact", "--set", "learning_rate=1/3",
                    "--set", "layers[0].biases[0]=b1: 2/3")
    assert data["learning_rate"] == "1/3" and data["layers"][0]["biases"][0] == "2/3"


@pytest.mark.parametrize("value, message", [
    ("1/0", "expected a fraction p/q with q ≠ 0, got 1/0"),
    ('"3/00"', "expected a fraction p/q with q ≠ 0, got 3/00"),
    ("1/2/3", "expected a number or a fraction p/q of whole numbers, got '1/2/3'"),
    ("1.5/2", "expected a number or a fraction p/q of whole numbers, got '1.5/2'"),
    ("a/b", "expected a number or a fraction p/q of whole numbers, got 'a/b'"),
])
def test_a_bad_fraction_is_a_located_error(value, message):
    spec = f"inputs: [1]\ntarget: 1\nlayers:\n  - activation: identity\n    weights: [[w: {value}]]\n"
    for extra in ([], ["--exact"]):
        result = cli("step", "-", *extra, input=spec)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr == f"<stdin>:5:19: layers[0].weights[0][0].w: {message}\n"


MOMENTUM = {
    "plain sgd": "sgd",
    "momentum": "momentum",
    "nesterov, weight decay": "{name: sgd, momentum: 0.5, nesterov: true, weight_decay: 0.01}",
    "dampening": "{name: sgd, momentum: 0.3, dampening: 0.1}",
    "fractions": "{name: sgd, momentum: 1/3, weight_decay: 1/7}",
}


def _final(lines: list[dict]) -> tuple:
    final = lines[-1]["final"]
    return final["parameters"], final["loss"], final["output"]


@pytest.mark.parametrize("optimizer", list(MOMENTUM))
@pytest.mark.parametrize("name", ["linear_regression", "relu_seed", "fractions"])
def test_exact_resume_is_exact(name, optimizer, config, tmp_path):
    """train --exact N+M equals train --exact N --save s; train s --exact M, exactly."""
    source = tmp_path / "source.yaml"
    text = FRACTIONS.split("optimizer")[0] if name == "fractions" else open(config(name)).read()
    source.write_text(text)
    opt = ["--set", f"optimizer={MOMENTUM[optimizer]}"]
    saved = tmp_path / "saved.yaml"
    first = cli("train", source, "--exact", "--epochs", "2", "--save", saved, *opt)
    assert first.exit_code == 0, first.stderr
    resumed = cli_jsonl("train", saved, "--exact", "--epochs", "1")
    straight = cli_jsonl("train", source, "--exact", "--epochs", "3", *opt)
    assert _final(resumed) == _final(straight)
    assert resumed[0]["loss"] == straight[2]["loss"]


def test_saved_exact_spec_writes_exact_text_and_no_python_repr(config, tmp_path):
    saved = tmp_path / "saved.yaml"
    result = cli("train", config("linear_regression"), "--exact", "--epochs", "3", "--save", saved,
                 "--set", "optimizer=momentum")
    assert result.exit_code == 0, result.stderr
    text = saved.read_text()
    final = _final(cli_jsonl("train", config("linear_regression"), "--exact", "--epochs", "3",
                             "--set", "optimizer=momentum"))
    assert "Fraction(" not in text
    loss = Fraction(final[1])
    assert f"loss on all data: {float(loss):.8f}"[:-1] in text and f"({final[1]})" in text
    for value in final[0].values():
        assert (f'"{value}"' if "/" in value else value) in text  # quoted p/q, or the decimal in full
    emitted = cli("train", config("linear_regression"), "--exact", "--epochs", "3", "--emit-spec",
                  "--set", "optimizer=momentum")
    assert emitted.exit_code == 0 and "Fraction(" not in emitted.stdout + emitted.stderr
    assert f"({final[1]})" in next(line for line in emitted.stdout.splitlines() if line.startswith("# epochs:"))


def test_schema_accepts_the_fractions_the_loader_reads():
    import yaml

    jsonschema = pytest.importorskip("jsonschema")
    from backcalc.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    spec = yaml.safe_load(FRACTIONS)
    assert validator.is_valid(spec), [e.message for e in validator.iter_errors(spec)]
    spec["layers"][0]["biases"] = ["1/0"]
    assert not validator.is_valid(spec)
    spec["layers"][0]["biases"] = ["1/2"]
    spec["learning_rate"] = "-1/10"
    assert not validator.is_valid(spec)


# -- one digit bound for step and train, checked as the computation goes (issue 12.11) -------------

def _deep(layers: int, width: int) -> str:
    rows = "\n".join(f"  - activation: identity\n    size: {width}" for _ in range(layers))
    return (f"inputs: [[{', '.join(['0.123'] * width)}]]\ntargets: [[0.5]]\nlayers:\n{rows}\n"
            "  - activation: identity\n    size: 1\n")


def test_step_exact_stops_at_the_digit_bound_in_the_forward_pass():
    result = cli("step", "-", "--exact", input=_deep(14, 4))
    assert result.exit_code == 1 and result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith("backcalc: exact arithmetic: in the step an exact value (z of layer ")
    assert "grew past 200 digits; nothing is shown" in line
    layer = int(line.split("z of layer ")[1].split(")")[0])
    assert layer < 15  # stopped in the forward pass, before the backward pass or the tables


def test_train_exact_uses_the_same_bound_and_message(config):
    result = cli("train", "-", "--exact", "--epochs", "3", input=_deep(14, 4))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("backcalc: exact arithmetic: in epoch 1 an exact value (z of layer ")
    stopped = cli("train", config("linear_seed"), "--exact", "--epochs", "50")
    assert stopped.exit_code == 1
    assert "backcalc: exact arithmetic: in epoch " in stopped.stderr and "grew past 200 digits" in stopped.stderr


def test_train_exact_stop_reports_and_saves_the_last_complete_epoch(config, tmp_path):
    saved = tmp_path / "s.yaml"
    result = cli("train", config("relu_seed"), "--exact", "--epochs", "50", "--save", saved, "--json")
    assert result.exit_code == 1
    final = json.loads(result.stdout.splitlines()[-1])["final"]
    done = final["epochs"]
    assert f"epochs: {done} of 50 completed" in saved.read_text()
    straight = cli_jsonl("train", config("relu_seed"), "--exact", "--epochs", str(done))[-1]["final"]
    assert final["parameters"] == straight["parameters"] and final["loss"] == straight["loss"]
    # resumed, it stops in its first epoch as the run did, reporting the saved parameters
    resumed = cli("train", saved, "--exact", "--epochs", "1", "--json")
    assert resumed.exit_code == 1 and "in epoch 1 an exact value" in resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["final"]["parameters"] == straight["parameters"]


# -- train tables: the decimal beside the exact value (issue 13.14) ---------------------------------

def test_train_exact_tables_show_decimals_beside_exact_values(config):
    final = cli_jsonl("train", config("linear_regression"), "--exact", "--epochs", "3")[-1]["final"]
    result = cli("train", config("linear_regression"), "--exact", "--epochs", "3", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    loss = Fraction(final["loss"])
    assert loss.denominator % 3 == 0  # no terminating decimal: shown rounded, with the fraction beside it
    assert f"final loss on all data: {shown(float(loss))}… ({final['loss']})" in result.stdout
    for name, value in final["parameters"].items():
        q = Fraction(value)
        row = next(line for line in lines if line.split()[:1] == [name])
        assert row.split()[1:] == [f"{float(q):.5f}…".replace("-", "−"), value.replace("-", "−")]


def test_step_exact_per_sample_prints_fractions(config):
    data = cli_json("step", config("linear_regression"), "--exact", "--per-sample")
    reduced = data["per_sample"]["reduced_grad"]["b"]
    assert "/" in reduced  # −361/30: no terminating decimal
    result = cli("step", config("linear_regression"), "--exact", "--per-sample")
    assert result.exit_code == 0, result.stderr
    assert reduced.replace("-", "−") in result.stdout


def test_tied_entries_compare_exactly():
    tied = "inputs: [1, 2]\ntarget: 1\nlayers:\n  - activation: identity\n    weights: [[w: 1/3, w: {}]]\n"
    result = cli("step", "-", "--exact", input=tied.format("0.3333333333333333"))  # the same float, not 1/3
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == ("<stdin>:5:24: layers[0].weights[0][1]: 'w' is tied to layers[0].weights[0][0] = 1/3: "
                             "tied entries must have equal values, got 0.3333333333333333\n")
    assert cli_json("step", "-", "--exact", input=tied.format("2/6"))["parameters"][0]["value"] == "1/3"


def test_a_fraction_out_of_range_is_reported_as_written(config):
    result = cli("step", config("relu_seed"), "--set", "learning_rate=-1/3")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "--set learning_rate=-1/3: learning_rate: expected a number > 0, got -1/3\n"


MAZUR = str(CONFIGS / "mazur.yaml")


# one location prefix: `source:line:col: ` or `source: ` (no line when there is none, e.g. a command-line value)
LOCATED = re.compile(r"^(?P<source>.+?)(?::(?P<line>\d+):(?P<col>\d+))?: (?P<rest>.+)$")




def test_exact_with_adam_is_a_located_line(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("inputs: [[1, 2]]\ntargets: [[1]]\nlayers:\n  - {size: 1, activation: relu}\n"
                    "init: {seed: 1}\noptimizer: {name: adamw}\n")
    result = cli("step", str(path), "--exact")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}:6:12: optimizer: --exact cannot run adamw: it needs square "
                                          "roots; use sgd (with or without momentum)"]


def test_exact_json_optimizer_settings_are_exact_strings(config):
    args = ["step", config("linear_seed"), "--json", "-q",
            "--set", "optimizer={name: sgd, momentum: 0.9, weight_decay: 0.01}"]
    exact = json.loads(cli(*args, "--exact").stdout)["optimizer"]
    assert exact["hyperparameters"] == {"momentum": "0.9", "dampening": "0", "nesterov": False, "weight_decay": "0.01"}
    assert exact["learning_rate"] == "0.1"
    floats = json.loads(cli(*args).stdout)["optimizer"]["hyperparameters"]
    assert floats == {"momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.01}


def test_exact_names_line_and_column(tmp_path):
    line = one_line(cli("step", MAZUR, "--exact"))
    m = LOCATED.match(line)
    assert m and m["source"] == MAZUR and (m["line"], m["col"]) == ("10", "17"), line
    assert m["rest"].startswith("layers[0].activation: --exact needs a rational activation")


def test_exact_names_the_set_option_that_chose_the_activation():
    line = one_line(cli("step", str(CONFIGS / "linear_seed.yaml"), "--exact", "--set", "layers.0.activation=tanh"))
    assert line.startswith("--set layers.0.activation=tanh: layers[0].activation: --exact needs a rational")
