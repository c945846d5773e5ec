"""Every bad input gets one clear located line on stderr, exit 2, nothing on stdout, no traceback."""

from __future__ import annotations

import re
import tracemalloc

import pytest
from conftest import cli

from backcalc.activations import activation_names
from backcalc.losses import LOSSES
from backcalc.spec import MAX_PROBLEMS

BASE = """\
inputs: [[0.05, 0.10]]
targets: [[0.01]]
layers:
  - activation: sigmoid
    weights:
      - [0.15, 0.20]
      - [0.25, 0.30]
    biases: [0.35, 0.35]
  - activation: sigmoid
    weights: [[0.40, 0.45]]
    biases: [0.60]
loss: mse
learning_rate: 0.5
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def where(text: str, line_token: str, token: str | None = None) -> tuple[int, int]:
    """The 1-based line and column of `token` on the first line containing `line_token`."""
    for n, line in enumerate(text.splitlines(), 1):
        if line_token in line:
            return n, line.index(token if token is not None else line_token) + 1
    raise AssertionError(f"{line_token!r} not in the text")


def run_bad(tmp_path, text: str | bytes, *args: str, command: str = "step"):
    path = tmp_path / "spec.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    result = cli(command, path, *args)
    assert_clean_failure(result)
    return str(path), result.stderr.splitlines()


def assert_clean_failure(result, code: int = 2) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "an error must say something"


def assert_line(lines: list[str], source: str, line: int | None, col: int | None, key: str, *needles: str) -> str:
    """One of `lines` is `source:line:col: key: …` and contains every needle."""
    prefix = source
    if line is not None:
        prefix += f":{line}:{col}"
    prefix += f": {key}:" if key else ":"
    hits = [ln for ln in lines if ln.startswith(prefix + " ") and all(n in ln for n in needles)]
    assert hits, f"no line starting {prefix!r} containing {needles}; got:\n" + "\n".join(lines)
    return hits[0]


# -- the file itself ---------------------------------------------------------------------------

def test_not_yaml(tmp_path):
    text = "inputs: [1, 2\nlayers: {\n"
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 2, 7, "", "not valid YAML", "expected ',' or ']'")
    assert len(lines) == 1


def test_not_utf8(tmp_path):
    source, lines = run_bad(tmp_path, b"inputs: [1]\nname: \xff\xfe\n")
    assert_line(lines, source, None, None, "", "not UTF-8 text")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_file(tmp_path, text):
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}: the file is empty; expected a spec mapping"]


@pytest.mark.parametrize("text, got", [("- 1\n- 2\n", "a list"), ("hello\n", "the string 'hello'"),
                                       ("42\n", "the number 42")])
def test_not_a_mapping(tmp_path, text, got):
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:1:1: expected a mapping, got {got}"]


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = cli("step", missing)
    assert_clean_failure(result)
    assert result.stderr.splitlines() == [f"{missing}: no such file"]


def test_directory(tmp_path):
    result = cli("train", tmp_path)
    assert_clean_failure(result)
    assert result.stderr.splitlines() == [f"{tmp_path}: is a directory, expected a YAML file"]


def test_file_over_10_mb(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:  # sparse: 11 MB on paper, nothing on disk
        f.truncate(11 * 2**20)
    result = cli("step", big)
    assert_clean_failure(result)
    assert result.stderr.splitlines() == [f"{big}: the file is 11.0 MB; specs are limited to 10 MB"]


def test_oversized_stdin():
    result = cli("step", "-", input=b"#" * (10 * 2**20 + 1))
    assert_clean_failure(result)
    assert result.stderr.splitlines() == ["<stdin>: the input is over 10 MB"]


# -- keys --------------------------------------------------------------------------------------

def test_unknown_top_level_key_suggests(tmp_path):
    text = edit("learning_rate: 0.5", "learnig_rate: 0.5")
    source, lines = run_bad(tmp_path, text)
    line = assert_line(lines, source, *where(text, "learnig_rate"), "learnig_rate",
                       "unknown key (did you mean `learning_rate`?)")
    assert "expected one of: name, description, inputs" in line


def test_unknown_layer_key_suggests(tmp_path):
    text = edit("    biases: [0.60]", "    baises: [0.60]")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, "baises"), "layers[1].baises", "did you mean `biases`?")


@pytest.mark.parametrize("key", ["inputs", "layers", "targets"])
def test_missing_required_key(tmp_path, key):
    text = "\n".join(ln for ln in BASE.splitlines() if not ln.startswith(key)) + "\n"
    if key == "layers":  # drop the whole block
        text = "inputs: [[0.05, 0.10]]\ntargets: [[0.01]]\nloss: mse\n"
    source, lines = run_bad(tmp_path, text)
    wanted = "`target` (or `targets`)" if key == "targets" else f"`{key}`"
    assert_line(lines, source, 1, 1, "", f"missing required key {wanted}")


def test_missing_activation_lists_valid_ones(tmp_path):
    text = edit("  - activation: sigmoid\n    weights: [[0.40", "  - weights: [[0.40")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, "- weights: [[0.40", "weights"), "layers[1]",
                "missing required key `activation`", ", ".join(activation_names()))


def test_duplicate_key(tmp_path):
    text = BASE + "loss: bce\n"
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 14, 1, "loss", "this key is given twice")


# -- wrong types -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, got", [
    ("fast", "the string 'fast'"),
    ("true", "the boolean true"),
    ("no", "the boolean no"),
    ("~", "nothing (null)"),
    ("[0.1]", "a list"),
    ("{a: 1}", "a mapping"),
    ("'0.5'", "the quoted text '0.5' (remove the quotes)"),
])
def test_wrong_type_where_a_number_belongs(tmp_path, value, got):
    text = edit("learning_rate: 0.5", f"learning_rate: {value}")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:13:16: learning_rate: expected a number, got {got}"]


def test_empty_value_is_null(tmp_path):
    text = edit("learning_rate: 0.5", "learning_rate:")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 13, 15, "learning_rate", "expected a number, got nothing (null)")


@pytest.mark.parametrize("value", ["true", "null", "abc", "'1'"])
def test_wrong_type_in_weights(tmp_path, value):
    text = edit("[0.25, 0.30]", f"[0.25, {value}]")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, f"[0.25, {value}]", value), "layers[0].weights[1][1]",
                "expected a number, got")


def test_exponent_without_dot_is_a_number(tmp_path):
    # YAML 1.1 reads `1e-3` as text; the spec reader takes it as the number everyone means.
    path = tmp_path / "spec.yaml"
    path.write_text(edit("learning_rate: 0.5", "learning_rate: 1e-3"))
    import json

    result = cli("step", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["learning_rate"] == 0.001


def test_whole_number_expected(tmp_path):
    text = BASE + "epochs: 2.5\n"
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:14:9: epochs: expected a whole number, got the number 2.5"]


# -- numbers that are not finite ---------------------------------------------------------------

@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1e999", "-1.0e+400"])
def test_non_finite_numbers(tmp_path, value):
    text = edit("[0.15, 0.20]", f"[{value}, 0.20]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:6:10: layers[0].weights[0][0]: expected a finite number, got {value}"]


def test_non_finite_input_and_target(tmp_path):
    text = edit("targets: [[0.01]]", "targets: [[.inf]]", edit("[[0.05, 0.10]]", "[[0.05, .nan]]"))
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, "inputs", ".nan"), "inputs[0][1]", "expected a finite number, got .nan")
    assert len(lines) == 1  # the targets are checked once the inputs are readable


# -- shapes ------------------------------------------------------------------------------------

def test_ragged_weights(tmp_path):
    text = edit("[0.25, 0.30]", "[0.25]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:7:9: layers[0].weights[1]: expected 2 columns (the input has 2 features), got 1"]


def test_weights_wrong_width_for_previous_layer(tmp_path):
    text = edit("[[0.40, 0.45]]", "[[0.40, 0.45, 0.5]]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:10:15: layers[1].weights[0]: expected 2 columns "
                     "(the previous layer has 2 neurons), got 3"]


def test_biases_wrong_count(tmp_path):
    text = edit("[0.35, 0.35]", "[0.35]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:8:13: layers[0].biases: expected 2 biases (one per neuron, or one alone "
                     "shared by them all), got 1"]


def test_ragged_inputs(tmp_path):
    text = edit("inputs: [[0.05, 0.10]]", "inputs: [[0.05, 0.10], [1]]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:1:24: inputs[1]: expected 2 numbers (like row 0), got 1"]


def test_mixed_inputs(tmp_path):
    text = edit("inputs: [[0.05, 0.10]]", "inputs: [[0.05, 0.10], 1]")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 1, 9, "inputs", "expected either a list of numbers or a list of lists")


def test_targets_wrong_shape(tmp_path):
    text = edit("targets: [[0.01]]", "targets: [[0.01, 0.2]]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:2:10: targets: expected 1 sample × 1 output (inputs have 1 sample, "
                     "the last layer 1 neuron), got 1 × 2"]


def test_weights_not_rows(tmp_path):
    text = edit("    weights: [[0.40, 0.45]]", "    weights: 0.4")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 10, 14, "layers[1].weights",
                "expected a list of rows (one per neuron), got the number 0.4")


# -- names -------------------------------------------------------------------------------------

def test_tied_names_with_different_values(tmp_path):
    text = edit("[0.15, 0.20]", "[w: 0.15, w: 0.20]")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:6:19: layers[0].weights[0][1]: 'w' is tied to layers[0].weights[0][0] = 0.15: "
                     "tied entries must have equal values, got 0.2"]


def test_name_shared_by_weight_and_bias_with_different_values(tmp_path):
    text = edit("biases: [0.60]", "biases: [w: 0.5]", edit("[0.15, 0.20]", "[w: 0.15, 0.20]"))
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, "biases: [w: 0.5]", "w: 0.5"), "layers[1].biases[0]",
                "'w' is tied to layers[0].weights[0][0] = 0.15 (a weight and a bias share it)", "got 0.5")


def test_name_taken_from_a_default_name(tmp_path):
    text = edit("biases: [0.60]", "biases: ['W1[1,1]': 0.6]")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, "biases: ['W1", "'W1"), "layers[1].biases[0]",
                "the name 'W1[1,1]' is the default name of layers[0].weights[0][0]")


def test_name_taken_from_a_default_bias_name_but_not_from_a_look_alike(tmp_path):
    text = edit("[0.15, 0.20]", "['b2[1]': 0.15, 0.20]")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, *where(text, "['b2[1]'", "'b2"), "layers[0].weights[0][0]",
                "the name 'b2[1]' is the default name of layers[1].biases[0]")
    # W01[1,1] is not how backcalc writes a default name, and W9[1,1] names no entry: both are plain names
    for name in ("W01[1,1]", "W9[1,1]", "b1[7]"):
        result = cli("step", "-", "--json", input=edit("[0.15, 0.20]", f"['{name}': 0.15, 0.20]"))
        assert result.exit_code == 0, result.stderr
        assert name in result.stdout


def test_frozen_unknown_name_suggests(tmp_path):
    text = edit("[0.15, 0.20]", "[w1: 0.15, 0.20]") + "frozen: [w_1]\n"
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 14, 10, "frozen[0]", "no parameter is named 'w_1' (did you mean `w1`?)")


# -- activations and losses --------------------------------------------------------------------

def test_unknown_activation_lists_valid_ones(tmp_path):
    text = edit("activation: sigmoid", "activation: sigmod")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:4:17: layers[0].activation: unknown activation 'sigmod'; expected one of: "
                     f"{', '.join(activation_names())} (did you mean `sigmoid`?)"]


def test_unknown_loss_lists_valid_ones(tmp_path):
    text = edit("loss: mse", "loss: mae")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:12:7: loss: unknown loss 'mae'; expected one of: "
                     f"{', '.join(sorted(LOSSES))} (did you mean `mse`?)"]


def test_softmax_only_on_the_output_layer(tmp_path):
    text = edit("activation: sigmoid", "activation: softmax")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:4:17: layers[0].activation: softmax is allowed only on the output (last) layer; "
                     "this is layer 1 of 2"]


@pytest.mark.parametrize("target", ["1.5", "-0.25"])
def test_bce_targets_outside_0_1(tmp_path, target):
    text = edit("loss: mse", "loss: bce", edit("targets: [[0.01]]", f"targets: [[{target}]]"))
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:2:10: targets: bce targets must lie in [0, 1], got {float(target):g}"]


SOFTMAX = """\
inputs: [[1, 2], [3, 4]]
targets: [[1, 0], [0.3, 0.3]]
layers:
  - activation: softmax
    weights: [[0.1, 0.2], [0.3, 0.4]]
    biases: [0, 0]
loss: cross_entropy
"""


def test_cross_entropy_targets_not_distributions(tmp_path):
    source, lines = run_bad(tmp_path, SOFTMAX)
    assert lines == [f"{source}:2:10: targets: cross_entropy targets must be distributions "
                     "(non-negative, summing to 1); sample 1 sums to 0.6"]


def test_cross_entropy_negative_target(tmp_path):
    source, lines = run_bad(tmp_path, edit("[0.3, 0.3]", "[1.5, -0.5]", SOFTMAX))
    assert_line(lines, source, 2, 10, "targets", "must be distributions", "sample 1")


# -- training settings -------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["0", "-0.1", "0.0"])
def test_learning_rate_not_positive(tmp_path, value):
    text = edit("learning_rate: 0.5", f"learning_rate: {value}")
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:13:16: learning_rate: expected a number > 0, got {float(value):g}"]


@pytest.mark.parametrize("command", [("step",), ("train", "--epochs", "3"), ("gradcheck", "--no-torch")])
def test_batch_size_above_the_samples_is_one_short_batch(tmp_path, command):
    # PyTorch's DataLoader and Keras take batch_size 2 over one sample as one batch of that sample
    (tmp_path / "two.yaml").write_text(BASE + "batch_size: 2\n")
    (tmp_path / "full.yaml").write_text(BASE + "batch_size: full\n")
    two = cli(*command[:1], tmp_path / "two.yaml", *command[1:], "--json")
    assert two.exit_code == 0 and two.stderr == "", two.stderr
    full = cli(*command[:1], tmp_path / "full.yaml", *command[1:], "--json")
    assert two.stdout == full.stdout  # the same computation, on the same path
    table = cli(*command[:1], tmp_path / "two.yaml", *command[1:])
    note = "(batch_size 2 is more than the 1 sample: one short batch of them all, as PyTorch's DataLoader takes it)"
    assert (note in " ".join(table.stdout.split())) == (command[0] == "step")


@pytest.mark.parametrize("value", ["0", "-1"])
def test_batch_size_out_of_range(tmp_path, value):
    text = BASE + f"batch_size: {value}\n"
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:14:13: batch_size: expected `full` or a whole number ≥ 1, got {value}"]


def test_batch_size_wrong_type(tmp_path):
    source, lines = run_bad(tmp_path, BASE + "batch_size: half\n")
    assert_line(lines, source, 14, 13, "batch_size", "expected `full` or a whole number ≥ 1, got the string 'half'")


@pytest.mark.parametrize("value", ["0", "-3"])
def test_epochs_below_one_in_the_spec(tmp_path, value):
    source, lines = run_bad(tmp_path, BASE + f"epochs: {value}\n", command="train")
    assert lines == [f"{source}:14:9: epochs: expected a whole number ≥ 1, got {value}"]


@pytest.mark.parametrize("value, says", [("0", "x>=1"), ("-2", "x>=1"), ("many", "'many' is not a valid")])
def test_epochs_below_one_on_the_command_line(tmp_path, value, says):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE)
    result = cli("train", path, "--epochs", value)
    assert_clean_failure(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines  # one clear line, not click's usage block
    assert lines[0].startswith("backcalc train: Invalid value for '--epochs' / '-e': ")
    assert says in lines[0] and "backcalc train --help" in lines[0]


@pytest.mark.parametrize("args, says", [(["trian"], "No such command 'trian'. Did you mean 'train'?"),
                                        (["step", "--bogus"], "No such option: --bogus")])
def test_usage_errors_are_one_line(args, says):
    result = cli(*args)
    assert_clean_failure(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0], lines


def test_save_into_a_missing_folder(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE)
    result = cli("train", path, "--epochs", "1", "--save", tmp_path / "no" / "out.yaml")
    assert_clean_failure(result)
    assert result.stderr.splitlines() == [f"--save {tmp_path / 'no' / 'out.yaml'}: the folder "
                                          f"{tmp_path / 'no'} does not exist"]


# -- all at once, and never code ---------------------------------------------------------------

def test_all_problems_reported_at_once(tmp_path):
    text = edit("loss: mse", "loss: mae", edit("learning_rate: 0.5", "learning_rate: -1")) + "colour: red\n"
    source, lines = run_bad(tmp_path, text)
    assert len(lines) == 3
    assert_line(lines, source, 12, 7, "loss", "unknown loss 'mae'")
    assert_line(lines, source, 13, 16, "learning_rate", "expected a number > 0")
    assert_line(lines, source, 14, 1, "colour", "unknown key")


def test_problems_are_capped(tmp_path):
    text = BASE + "".join(f"bogus{i}: 1\n" for i in range(MAX_PROBLEMS + 10))
    _, lines = run_bad(tmp_path, text)
    assert len(lines) == MAX_PROBLEMS


def test_python_tag_is_refused_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = edit("learning_rate: 0.5", f"learning_rate: !!python/object/apply:os.system ['touch {marker}']")
    source, lines = run_bad(tmp_path, text)
    assert_line(lines, source, 13, 16, "learning_rate", "the tag !!python/object/apply:os.system is not allowed")
    assert not marker.exists()


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system", "!custom"])
def test_other_tags_refused_at_the_root(tmp_path, tag):
    source, lines = run_bad(tmp_path, f"{tag} {{}}\n")
    assert_line(lines, source, 1, 1, "", "the tag", "is not allowed")


def _bomb(levels: int, width: int = 10) -> str:
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\ninputs: *a{levels - 1}\nlayers: [{{activation: sigmoid, size: 1}}]\ntarget: 1\n"


def test_billion_laughs_refused_with_bounded_memory(tmp_path):
    text = _bomb(40)  # 10^40 nodes if anything expanded it: only refusing can finish
    tracemalloc.start()
    try:
        source, lines = run_bad(tmp_path, text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(lines) == 1
    assert re.match(re.escape(source) + r":\d+:\d+: a\d+: aliases expand this to more than 100,000 extra "
                    r"nodes \(an alias bomb\?\); refusing to read the file$", lines[0]), lines
    assert peak < 20 * 2**20, f"peak memory {peak / 2**20:.1f} MB"


def test_square_alias_bomb_in_a_valid_shape(tmp_path):
    row = "&r [" + ", ".join(["1"] * 1000) + "]"
    text = f"inputs: [{row}, " + ", ".join(["*r"] * 1000) + "]\nlayers: [{activation: sigmoid, size: 1}]\ntarget: 1\n"
    source, lines = run_bad(tmp_path, text)
    assert lines == [f"{source}:1:9: inputs: aliases expand this to more than 100,000 extra nodes "
                     "(an alias bomb?); refusing to read the file"]


def test_recursive_alias(tmp_path):
    source, lines = run_bad(tmp_path, "inputs: &a [1, *a]\nlayers: []\n")
    assert lines == [f"{source}:1:9: inputs: an alias refers to the node that contains it "
                     "(a recursive structure); refusing to read it"]


def test_small_aliases_still_work(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: [&r [1, 2], *r]\ntargets: [[1], [0]]\n"
                    "layers: [{activation: sigmoid, weights: [[0.1, 0.2]], biases: [0]}]\n")
    result = cli("step", path, "--json")
    assert result.exit_code == 0, result.stderr


# -- the last resort ---------------------------------------------------------------------------

def test_unexpected_error_is_an_internal_error(tmp_path, monkeypatch):
    import backcalc.explain

    def broken(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(backcalc.explain, "step", broken)
    path = tmp_path / "spec.yaml"
    path.write_text(BASE)
    result = cli("step", path)
    assert_clean_failure(result, code=70)
    assert result.stderr.splitlines() == [
        "backcalc: internal error: ZeroDivisionError: boom",
        "This is a bug in backcalc; please report it with the spec that caused it "
        "(run again with --debug for the traceback).",
    ]
    debug = cli("step", path, "--debug")
    assert debug.exit_code == 70
    assert "Traceback" in debug.stderr and "ZeroDivisionError: boom" in debug.stderr


# -- the documentation shows real output -------------------------------------------------------

def test_readme_section_error_examples_are_real():
    import os
    import re as _re

    from conftest import ROOT

    doc = (ROOT / "docs" / "errors.md").read_text()
    blocks = _re.findall(r"```console\n\$ backcalc ([^\n]*?) 2>&1\n(.*?)```", doc, _re.S)
    assert len(blocks) == 2
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for args, expected in blocks:
            result = cli(*args.split())
            assert_clean_failure(result)
            assert result.stderr == expected, f"docs/errors.md is stale for `backcalc {args}`"
    finally:
        os.chdir(cwd)


def test_a_huge_size_is_refused_before_allocating(tmp_path):
    """`size: 100000000` by mistake must be one located line, not minutes of swapping."""
    path = tmp_path / "big.yaml"
    path.write_text("inputs: [1]\ntarget: 1\nlayers:\n  - {activation: relu, size: 100000000}\n"
                    "  - {activation: relu, size: 1}\n")
    result = cli("step", path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"{path}:4:30: layers[0].size: expected at most 50,000,000 weights and "
                                     "biases in the network, got 300,000,001; the largest layer, layers[0], has "
                                         "100,000,000 neurons × (1 input + a bias) = 200,000,000 of them")


def test_size_zero_is_one_line(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("inputs: [[1, 2]]\ntargets: [[1]]\nlayers:\n  - {size: 0, activation: sigmoid}\n"
                    "  - {size: 1, activation: sigmoid}\n")
    result = cli("step", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}:4:12: layers[0].size: expected a whole number ≥ 1, got 0"]
