"""Bad input found by hunting through the CLI: each case once crashed (exit 70), printed a
message over two lines, or said something vague. Each must be one located line, exit 2,
nothing on stdout."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import CONFIGS, cli

MAZUR = str(CONFIGS / "mazur.yaml")
BASE = (CONFIGS / "mazur.yaml").read_text()
# one location prefix: `source:line:col: ` or `source: ` (no line when there is none, e.g. a command-line value)
LOCATED = re.compile(r"^(?P<source>.+?)(?::(?P<line>\d+):(?P<col>\d+))?: (?P<rest>.+)$")


def one_line(result, code: int = 2) -> str:
    """The single stderr line of a clean failure."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def where(text: str, token: str) -> str:
    """`line:col` (1-based) of the first `token` in `text`."""
    before = text[:text.index(token)]
    return f"{before.count(chr(10)) + 1}:{len(before) - (before.rfind(chr(10)) + 1) + 1}"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


# -- the YAML text ---------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x00", "\x07"])
def test_control_character_is_one_located_line(tmp_path, char):
    # mazur.yaml has non-ASCII text before it (an em dash): the column counts characters, not bytes
    text = BASE.replace("learning_rate: 0.5", f"learning_rate: {char}0.5")
    spec = write(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", spec))
    assert line == (f"{spec}:{where(text, char)}: not valid YAML: the character U+{ord(char):04X} is not "
                    "allowed (YAML text cannot hold control characters)")


def test_control_character_on_stdin_is_located():
    line = one_line(cli("step", "-", input="inputs: [1]\x00\n"))
    assert line.startswith("<stdin>:1:12: not valid YAML: the character U+0000 is not allowed")


@pytest.mark.parametrize("tagged, says", [
    ("!!float abc", "learning_rate: expected a number, got 'abc' (tagged !!float)"),
    ("!!int abc", "learning_rate: expected a number, got 'abc' (tagged !!int)"),
])
def test_a_tag_on_text_that_is_no_number(tmp_path, tagged, says):
    spec = write(tmp_path, "spec.yaml", BASE.replace("learning_rate: 0.5", f"learning_rate: {tagged}"))
    assert one_line(cli("step", spec)) == f"{spec}:22:16: {says}"


def test_a_tagged_whole_number_that_is_no_number(tmp_path):
    spec = write(tmp_path, "spec.yaml", BASE + "epochs: !!int many\n")
    assert one_line(cli("train", spec)) == f"{spec}:23:9: epochs: expected a whole number, got 'many' (tagged !!int)"


def test_a_tagged_boolean_that_is_no_boolean(tmp_path):
    text = BASE + "optimizer: {name: sgd, momentum: 0.9, nesterov: !!bool maybe}\n"
    spec = write(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", spec))
    assert line.startswith(f"{spec}:{where(text, '!!bool')}: optimizer.nesterov: expected true or false, got")


def test_a_huge_number_is_shown_cut_short(tmp_path):
    spec = write(tmp_path, "spec.yaml", BASE.replace("learning_rate: 0.5", "learning_rate: " + "9" * 400))
    line = one_line(cli("step", spec))
    assert line == f"{spec}:22:16: learning_rate: expected a finite number, got {'9' * 37}..."


# -- the spec file itself --------------------------------------------------------------------

def test_a_file_name_too_long_for_the_file_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 5000 + ".yaml"
    line = one_line(cli("step", name))
    assert line == f"{name}: cannot read: File name too long"


def test_a_device_is_refused_as_what_it_is():
    # /dev/zero reports size 0 and never ends: it is named, never read
    line = one_line(cli("step", "/dev/zero"))
    assert line == "/dev/zero: is a character device, expected a YAML file"


def test_answers_from_a_device_are_refused_as_what_it_is():
    line = one_line(cli("check", MAZUR, "--answers", "/dev/zero"))
    assert line == "/dev/zero: is a character device, expected a YAML file"


# -- optimizer state ------------------------------------------------------------------------

def test_an_adam_step_count_too_large(tmp_path):
    spec = write(tmp_path, "spec.yaml", BASE + "optimizer: adam\noptimizer_state: {w1: {step: 99999999999999999999999, "
                                              "exp_avg: 0, exp_avg_sq: 0}}\n")
    for command in ("step", "train", "graph"):
        line = one_line(cli(command, spec))
        assert line == (f"{spec}:24:30: optimizer_state.w1.step: expected a whole number ≤ 9,007,199,254,740,992 "
                        "(2^53), got 99999999999999999999999")


def test_the_largest_adam_step_count_allowed_runs(tmp_path):
    spec = write(tmp_path, "spec.yaml", BASE + f"optimizer: adam\noptimizer_state: {{w1: {{step: {2**53}, "
                                              "exp_avg: 0.1, exp_avg_sq: 0.01}}\n")
    result = cli("step", spec, "--json")
    assert result.exit_code == 0, result.stderr


# -- --exact names the line and the column ---------------------------------------------------

def test_exact_names_line_and_column(tmp_path):
    line = one_line(cli("step", MAZUR, "--exact"))
    m = LOCATED.match(line)
    assert m and m["source"] == MAZUR and (m["line"], m["col"]) == ("10", "17"), line
    assert m["rest"].startswith("layers[0].activation: --exact needs a rational activation")


def test_exact_names_the_set_option_that_chose_the_activation():
    line = one_line(cli("step", str(CONFIGS / "linear_seed.yaml"), "--exact", "--set", "layers.0.activation=tanh"))
    assert line.startswith("--set layers.0.activation=tanh: layers[0].activation: --exact needs a rational")


# -- gradcheck ------------------------------------------------------------------------------

def test_gradcheck_with_an_overflowing_loss_reports_not_crashes(tmp_path):
    spec = write(tmp_path, "spec.yaml", BASE.replace("target: 0.01", "target: 1e308"))
    result = cli("gradcheck", spec)
    assert result.exit_code == 1, result.stderr
    assert "internal error" not in result.stderr
    assert re.search(r"w1 .* nan .* ✗", result.stdout)


@pytest.mark.parametrize("option", ["--eps", "--tol"])
def test_gradcheck_infinite_eps_or_tol(option):
    assert one_line(cli("gradcheck", MAZUR, option, "inf")) == f"{option}: expected a finite number, got inf"


# -- --set ----------------------------------------------------------------------------------

def test_set_value_with_a_control_character():
    line = one_line(cli("step", MAZUR, "--set", "learning_rate=\x00"))
    assert line == (r"--set learning_rate=\x00: the value is not valid YAML: the character U+0000 is not allowed "
                    "(YAML text cannot hold control characters)")


def test_set_value_with_a_newline_stays_one_line():
    line = one_line(cli("step", MAZUR, "--set", "learning_rate=1\n2"))
    assert line == r"--set learning_rate=1\n2: learning_rate: expected a number, got the string '1 2'"


def test_set_an_item_of_a_key_the_spec_lacks():
    line = one_line(cli("step", MAZUR, "--set", "frozen.0=w1"))
    assert line == "--set frozen.0=w1: frozen is not in the spec, so it has no item 0; set the whole value " \
                   "instead, e.g. --set frozen=[…]"


# -- output files ---------------------------------------------------------------------------

def test_save_to_a_name_too_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 300 + ".yaml"
    line = one_line(cli("train", MAZUR, "--epochs", "2", "--save", name))
    assert line == f"--save {name}: cannot write: File name too long"


def test_save_to_an_empty_name():
    assert one_line(cli("train", MAZUR, "--epochs", "2", "--save", "")) == "--save: expected a file name, got nothing"


def test_init_to_a_name_too_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 300
    assert one_line(cli("init", name)) == f"{name}: cannot write: File name too long"
    assert list(tmp_path.iterdir()) == []


def test_init_to_an_empty_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert one_line(cli("init", "")) == "init: expected a file name (or `-` for standard output), got nothing"


def test_solution_to_a_directory(tmp_path):
    line = one_line(cli("step", MAZUR, "--format", "markdown", "--blank", "--solution", tmp_path))
    assert line == f"--solution {tmp_path}: is a directory, expected a file name"


def test_plot_is_written_atomically(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import backcalc.atomic as atomic

    written = []
    real = atomic.write_file

    def spy(target, data):
        written.append((target.path.name, data[:8]))
        return real(target, data)

    monkeypatch.setattr(atomic, "write_file", spy)
    result = cli("train", MAZUR, "--epochs", "3", "--plot", tmp_path / "loss.png", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert written == [("loss.png", b"\x89PNG\r\n\x1a\n")]
    assert (tmp_path / "loss.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temporary file left


# -- data files -----------------------------------------------------------------------------

def data_spec(tmp_path: Path, inputs: str, targets: str = "{file: y.csv}") -> Path:
    write(tmp_path, "y.csv", "0\n1\n")
    return write(tmp_path, "spec.yaml", f"inputs: {inputs}\ntargets: {targets}\n"
                                        "layers:\n  - activation: sigmoid\n    size: 1\n")


def test_npz_that_is_not_a_zip(tmp_path):
    write(tmp_path, "x.npz", b"PK\x03\x04 not really a zip")
    spec = data_spec(tmp_path, "{file: x.npz}")
    assert one_line(cli("step", spec)) == (f"{spec}:1:16: inputs.file: cannot read x.npz as a NumPy .npz archive: "
                                           "File is not a zip file")


def test_npy_content_named_npz(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((2, 2)))
    (tmp_path / "x.npz").write_bytes((tmp_path / "x.npy").read_bytes())
    spec = data_spec(tmp_path, "{file: x.npz}")
    assert one_line(cli("step", spec)) == (f"{spec}:1:16: inputs.file: expected a NumPy .npz archive (by its name), "
                                           "but x.npz holds a .npy array: rename it")


def test_npz_content_named_npy(tmp_path):
    np.savez(tmp_path / "x.npz", X=np.ones((2, 2)))
    (tmp_path / "x.npy").write_bytes((tmp_path / "x.npz").read_bytes())
    spec = data_spec(tmp_path, "{file: x.npy}")
    assert one_line(cli("step", spec)) == (f"{spec}:1:16: inputs.file: expected a NumPy .npy file (by its name), "
                                           "but x.npy holds a .npz archive: rename it")


def test_npy_that_is_not_numpy_at_all(tmp_path):
    write(tmp_path, "x.npy", b"just some text\n")
    spec = data_spec(tmp_path, "{file: x.npy}")
    assert one_line(cli("step", spec)) == (f"{spec}:1:16: inputs.file: cannot read x.npy as a NumPy .npy file: it "
                                           "starts with neither the .npy header nor the .npz (zip) header")


def test_npz_with_no_arrays(tmp_path):
    np.savez(tmp_path / "x.npz")
    spec = data_spec(tmp_path, "{file: x.npz}")
    assert one_line(cli("step", spec)) == f"{spec}:1:16: inputs.file: x.npz holds no arrays"


def test_npz_with_a_corrupt_member(tmp_path):
    with zipfile.ZipFile(tmp_path / "x.npz", "w") as z:
        z.writestr("X.npy", b"\x93NUMPY garbage")
    spec = data_spec(tmp_path, "{file: x.npz}")
    line = one_line(cli("step", spec))
    assert line.startswith(f"{spec}:1:16: inputs.file: cannot read array 'X' of x.npz: ")


def test_data_file_name_too_long(tmp_path):
    name = "a" * 5000 + ".csv"
    spec = data_spec(tmp_path, f"{{file: {name}}}")
    line = one_line(cli("step", spec))
    assert line.startswith(f"{spec}:1:16: inputs.file: cannot read it (File name too long): 'aaaa")
    assert len(line) < 600


def test_csv_quote_never_closed(tmp_path):
    write(tmp_path, "x.csv", '1,"2\n3,4\n')
    spec = data_spec(tmp_path, "{file: x.csv}")
    assert one_line(cli("step", spec)) == (f"{tmp_path / 'x.csv'}:2: inputs: not valid CSV: unexpected end of data "
                                           "(a quote opened and never closed?)")


def test_csv_whose_only_row_looks_like_a_header(tmp_path):
    write(tmp_path, "x.csv", "0x1,2\n")
    spec = data_spec(tmp_path, "{file: x.csv}", "[0]")
    assert one_line(cli("step", spec)) == (f"{spec}:1:16: inputs.file: x.csv has no data rows (its only row was "
                                           "taken as the header, as the cell '0x1' is not a number; write "
                                           "`header: false` if it is data)")


def test_csv_column_tagged_int_that_is_no_number(tmp_path):
    write(tmp_path, "x.csv", "1,2\n3,4\n")
    spec = data_spec(tmp_path, "{file: x.csv, columns: [!!int abc]}")
    line = one_line(cli("step", spec))
    assert line == f"{spec}:{where(spec.read_text(), '!!int')}: inputs.columns[0]: expected a whole number, got " \
                   "'abc' (tagged !!int)"


def test_csv_header_tagged_bool_that_is_no_boolean(tmp_path):
    write(tmp_path, "x.csv", "1,2\n3,4\n")
    spec = data_spec(tmp_path, "{file: x.csv, header: !!bool maybe}")
    line = one_line(cli("step", spec))
    assert line.startswith(f"{spec}:{where(spec.read_text(), '!!bool')}: inputs.header: expected true or false, got")


# -- check --answers ------------------------------------------------------------------------

def answers(tmp_path: Path, text: str) -> Path:
    return write(tmp_path, "answers.yaml", text)


def test_answer_fraction_with_too_many_digits(tmp_path):
    path = answers(tmp_path, "h1: " + "9" * 5000 + "/1\n")
    line = one_line(cli("check", MAZUR, "--answers", path))
    assert line == f"{path}:1:5: h1: expected a fraction of at most a few hundred digits, got {'9' * 37}..."


def test_answer_with_an_unsafe_tag(tmp_path):
    path = answers(tmp_path, "h1: !!python/object:os.system 0.59327\n")
    line = one_line(cli("check", MAZUR, "--answers", path))
    assert line == f"{path}:1:5: h1: the tag !!python/object:os.system is not allowed: write the number alone"


def test_a_very_long_unknown_answer_key_is_quick_and_short(tmp_path):
    key = "a_" * 3000
    path = answers(tmp_path, f'? "{key}"\n: 0.5\n')
    line = one_line(cli("check", MAZUR, "--answers", path))
    assert line == (f"{path}:1:3: {key[:97]}...: unknown quantity `{key[:97]}...`; see docs/check.md for the names")


def test_no_sample_is_suggested_for_an_updated_value(tmp_path):
    # batch_seed's parameters have default names (`W1[1,1]`, `b2[1]`): `w5_new[1]` is close to `b2[1]_new`,
    # and an updated value takes no sample
    path = answers(tmp_path, "w5_new[1]: 0.5\n")
    line = one_line(cli("check", str(CONFIGS / "batch_seed.yaml"), "--answers", path))
    assert line == f"{path}:1:1: w5_new[1]: unknown quantity `w5_new[1]` (did you mean `b2[1]_new`?); see " \
                   "docs/check.md for the names"


# -- control characters in the user's own key names ------------------------------------------

def test_a_key_with_a_carriage_return_stays_one_line():
    line = one_line(cli("step", "-", input=BASE + '"\\r": 1\n'))
    assert line.startswith(r"<stdin>:23:1: \r: unknown key; expected one of: ")


# -- names ----------------------------------------------------------------------------------

def test_a_parameter_named_like_a_neuron(tmp_path):
    text = BASE.replace("[[w5: 0.40, w6: 0.45]]", "[[h1: 0.40, w6: 0.45]]")
    spec = write(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, 'h1: 0.40')}: layers[1].weights[0][0]: the parameter "
                                           "name 'h1' is already used by a neuron of layers[0]; parameters, neurons "
                                           "and inputs need distinct names")


def test_a_parameter_named_like_an_input(tmp_path):
    text = BASE.replace("[b2: 0.60]", "[x2: 0.60]")
    spec = write(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, 'x2: 0.60')}: layers[1].biases[0]: the parameter "
                                           "name 'x2' is already used by an input; parameters, neurons and inputs "
                                           "need distinct names")


def test_an_empty_parameter_name(tmp_path):
    text = BASE.replace("[b2: 0.60]", "['': 0.60]")
    spec = write(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, chr(39) * 2)}: layers[1].biases[0]: expected a "
                                           "parameter name, got the string ''")


def test_an_empty_neuron_name(tmp_path):
    text = BASE.replace("names: [h1, h2]", "names: [h1, '']")
    spec = write(tmp_path, "spec.yaml", text)
    assert one_line(cli("step", spec)) == (f"{spec}:{where(text, chr(39) * 2)}: layers[0].names[1]: expected a "
                                           "neuron name, got the string ''")


# -- a saved spec reads back, whatever the names ----------------------------------------------

ODD_NAMES = """\
inputs: [0.05, 0.10]
target: 0.01
layers:
  - activation: sigmoid
    names: ["h: 1", "#h2"]
    weights:
      - ["a: b": 0.15, "#x": 0.20]
      - ['1.5': 0.25, 'yes': 0.30]
    biases: ['null': 0.35, "- x": 0.35]
  - activation: sigmoid
    names: ["o'1"]
    weights: [['"dq"': 0.40, "w[1]": 0.45]]
    biases: ["é∂ x": 0.60]
loss: mse
learning_rate: 0.5
"""


@pytest.mark.parametrize("how", ["--save", "--emit-spec"])
def test_names_that_need_quotes_survive_saving(tmp_path, how):
    import json

    spec = write(tmp_path, "odd.yaml", ODD_NAMES)
    trained = json.loads(cli("train", spec, "--epochs", "3", "--json").stdout.splitlines()[-1])["final"]["parameters"]
    if how == "--save":
        result = cli("train", spec, "--epochs", "3", "--save", tmp_path / "out.yaml", "--quiet")
        assert result.exit_code == 0, result.stderr
        saved = (tmp_path / "out.yaml").read_text()
    else:
        result = cli("train", spec, "--epochs", "3", "--emit-spec", "--quiet")
        assert result.exit_code == 0, result.stderr
        saved = result.stdout
    reloaded = cli("step", "-", "--json", input=saved)
    assert reloaded.exit_code == 0, reloaded.stderr
    assert {p["name"]: p["value"] for p in json.loads(reloaded.stdout)["parameters"]} == trained
