"""--exact: rational arithmetic from the YAML's decimal text, on step and train."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from conftest import cli, cli_json, cli_jsonl


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
