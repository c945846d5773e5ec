"""A bad circuit is one located line (file:line:col inside the expression's text), exit 2, never a traceback."""

from __future__ import annotations

import pytest
from conftest import cli, one_line, where, write_file

VALUES = "values: {x: 1, y: 2}\n"

CASES = [
    # (spec text, the token the error points at, words of the message)
    (VALUES + "expression: x + * y\n", "* y", "invalid syntax"),
    (VALUES + 'expression: "x ^ y"\n', "^", "write ** for a power"),
    (VALUES + "expression: x + foo(y)\n", "foo", "unknown function `foo`"),
    (VALUES + "expression: x + exq(y)\n", "exq", "did you mean `exp`?"),
    (VALUES + "expression: math.exp(x) + y\n", "math", "write the function's name alone"),
    (VALUES + "expression: max(x, y, 3)\n", "max", "max() takes 2 arguments, got 3"),
    (VALUES + "expression: x[0] + y\n", "x[0]", "indexing is not allowed"),
    (VALUES + "expression: x + z\n", "z", "unknown name `z`"),
    (VALUES + "expression: x + exp\n", "exp\n", "`exp` is a function"),
    (VALUES + "expression: x > y\n", "x >", "comparisons are not gates"),
    (VALUES + "define:\n  - q: x + y\n  - f: q * zz\n", "zz", "unknown name `zz`"),
    (VALUES + "define:\n  - q: r + y\n  - r: x * 2\n", "r +", "defined in a later step"),
    (VALUES + "define:\n  - q: |\n      x +\n        y +\n          * 2\n  - f: q\n", "* 2", "invalid syntax"),
    (VALUES + "define:\n  - q: x + y\n  - r: q * 2\n  - f: q * x\n", "r:", "r is defined but f does not use it"),
    ("values: {x: 1, y: 2, w: 3}\nexpression: x + y\n", "w:", "the leaf w is not used by f"),
    (VALUES + "expression: x + y\nlearning_rate: 0.1\nparameters: [f]\n", "f]", "'f' is a node, not a leaf"),
    (VALUES + "expression: x + y\nparameters: [x]\n", "parameters", "add one"),
    (VALUES + "expression: x + y\noutputs: f\n", "outputs", "did you mean `output`?"),
    (VALUES + "expression: x + y\ndefine:\n  - q: x\n", "define", "not both"),
    ("values: {x: 1, exp: 2}\nexpression: x\n", "exp:", "a function's name"),
    ("values: {x: -1, y: 2}\nexpression: y + log(x)\n", "log", "log needs a positive argument"),
    ("values: {x: 1, y: 0}\nexpression: x / y\n", "x /", "division by zero"),
]


@pytest.mark.parametrize("text,token,words", CASES, ids=[c[2][:30] for c in CASES])
def test_bad_circuits_are_one_located_line(tmp_path, text, token, words):
    path = write_file(tmp_path, "c.yaml", text)
    line = one_line(cli("step", str(path)))
    assert line.startswith(f"{path}:{where(text, token)}:"), (line, where(text, token))
    assert words in line


@pytest.mark.parametrize("command", ["train", "forward"])
def test_commands_without_meaning_for_a_circuit_say_so(config, command):
    line = one_line(cli(command, config("cs231n_circuit")))
    assert "is a circuit" in line and "step, check, gradcheck and graph" in line


def test_exact_refuses_what_has_no_rational_value(config):
    line = one_line(cli("step", config("cs231n_neuron"), "--exact"))
    assert line == ("--exact: f_6 = exp(…) has no rational value; drop --exact, or use --round N to compute it "
                    "as by hand")


def test_answers_naming_no_quantity_are_located(tmp_path, config):
    answers = write_file(tmp_path, "a.yaml", "q: 3\ndq/dz: 1\nfoo: 2\n")
    result = cli("check", config("cs231n_circuit"), "--answers", str(answers))
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{answers}:2:1: dq/dz: q's inputs are x, y, not z")
    assert lines[1].startswith(f"{answers}:3:1: foo: unknown quantity 'foo'")


@pytest.mark.parametrize("args,words", [(("step", "--per-sample"), "--per-sample: a circuit has one set of values"),
                                        (("graph", "--sample", "2"), "--sample: a circuit has one set of values")])
def test_options_about_samples_are_refused_on_a_circuit(config, args, words):
    line = one_line(cli(args[0], config("cs231n_circuit"), *args[1:]))
    assert line.startswith(words)


@pytest.mark.parametrize("text,words", [
    ("expression: x + y\n", "a circuit needs `values:`"),
    ("values: {x: 1}\nname: half a circuit\n", "a circuit needs `expression:` or `define:`"),
])
def test_half_a_circuit_says_what_is_missing(tmp_path, text, words):
    path = write_file(tmp_path, "c.yaml", text)
    line = one_line(cli("step", str(path)))
    assert line.startswith(f"{path}:1:1:") and words in line


def test_a_huge_or_deep_circuit_is_refused_in_one_line(tmp_path):
    steps = "".join(f"  - s{i}: s{i - 1} * x + 1\n" for i in range(1, 1100))
    wide = write_file(tmp_path, "wide.yaml", "values: {x: 1}\ndefine:\n  - s0: x\n" + steps)
    assert "the circuit has 2,199 gates; at most 2,000" in one_line(cli("step", str(wide)))
    chain = write_file(tmp_path, "chain.yaml", "values: {x: 1}\nexpression: " + " + ".join(["x"] * 2500) + "\n")
    assert "nested too deeply to read: split it into define: steps" in one_line(cli("step", str(chain)))
    deep = write_file(tmp_path, "deep.yaml", "values: {x: 1}\nexpression: " + "exp(" * 300 + "x" + ")" * 300 + "\n")
    line = one_line(cli("step", str(deep)))
    assert line.startswith(f"{deep}:2:") and "too many nested parentheses" in line
