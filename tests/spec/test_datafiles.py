"""Inputs and targets from CSV, .npy and .npz files, through the CLI."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import cli, one_line, where, write_file

LAYERS = """layers:
  - activation: sigmoid
    weights: [[0.1, -0.2], [0.3, 0.4]]
    biases: [0.05, -0.05]
  - activation: sigmoid
    weights: [[0.5, -0.6]]
    biases: [0.1]
learning_rate: 0.5
"""
X = [[1.0, 2.0], [3.5, -4.0], [0.25, 6.0]]
T = [[0.1], [0.9], [0.5]]


def _inline(tmp_path) -> str:
    path = tmp_path / "inline.yaml"
    path.write_text(f"inputs: {json.dumps(X)}\ntargets: {json.dumps(T)}\n{LAYERS}")
    return _train(path)


def _train(path, *extra) -> str:
    result = cli("train", path, "--epochs", "3", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _write(tmp_path, spec_head: str, name="spec.yaml"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(spec_head + LAYERS)
    return path


def _fails(path, *location_and_message):
    result = cli("train", path, "--json")
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for part in location_and_message:
        assert part in lines[0], lines[0]
    return lines[0]


def test_csv_with_header_and_named_columns(tmp_path):
    (tmp_path / "train.csv").write_text("id,x1,label,x2\n" + "".join(
        f"s{i},{x[0]},{t[0]},{x[1]}\n" for i, (x, t) in enumerate(zip(X, T, strict=True))))
    path = _write(tmp_path, "inputs: {file: train.csv, columns: [x1, x2]}\n"
                            "targets: {file: train.csv, columns: [label]}\n")
    assert _train(path) == _inline(tmp_path)


def test_csv_without_header_and_numbered_columns(tmp_path):
    (tmp_path / "xy.csv").write_text("".join(f"{x[1]}, {t[0]} ,{x[0]}\n\n" for x, t in zip(X, T, strict=True)))
    path = _write(tmp_path, "inputs: {file: xy.csv, columns: [2, 0]}\ntargets: {file: xy.csv, columns: [-2]}\n")
    assert _train(path) == _inline(tmp_path)


def test_header_option_forces_a_numeric_first_row_to_be_names(tmp_path):
    (tmp_path / "x.csv").write_text("7,8\n" + "".join(f"{a},{b}\n" for a, b in X))
    (tmp_path / "t.csv").write_text("".join(f"{t[0]}\n" for t in T))
    path = _write(tmp_path, "inputs: {file: x.csv, header: true, columns: ['8', '7']}\n"
                            "targets: {file: t.csv, header: false}\n")
    swapped = json.dumps([[b, a] for a, b in X])
    (tmp_path / "swapped.yaml").write_text(f"inputs: {swapped}\ntargets: {json.dumps(T)}\n{LAYERS}")
    assert _train(path) == _train(tmp_path / "swapped.yaml")


def test_npy_inputs_and_one_dimensional_targets(tmp_path):
    np.save(tmp_path / "X.npy", np.array(X))
    np.save(tmp_path / "t.npy", np.array([t[0] for t in T]))
    path = _write(tmp_path, "inputs: {file: X.npy}\ntarget: {file: t.npy}\n")
    assert _train(path) == _inline(tmp_path)


def test_npz_with_keys(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array(X, dtype=np.float32).astype(np.float64), T=np.array(T))
    path = _write(tmp_path, "inputs: {file: d.npz, key: X}\ntargets: {file: d.npz, key: T}\n")
    assert _train(path) == _inline(tmp_path)


def test_one_csv_with_target_columns(tmp_path):
    (tmp_path / "all.csv").write_text("a,b,y\n" + "".join(
        f"{x[0]},{x[1]},{t[0]}\n" for x, t in zip(X, T, strict=True)))
    path = _write(tmp_path, "data: {file: all.csv, target_columns: [y]}\n")
    assert _train(path) == _inline(tmp_path)
    explicit = _write(tmp_path, "data: {file: all.csv, columns: [a, b], target_columns: [2]}\n", "explicit.yaml")
    assert _train(explicit) == _inline(tmp_path)


def test_header_names_become_the_input_names(tmp_path):
    (tmp_path / "all.csv").write_text("height,weight,y\n" + "".join(
        f"{x[0]},{x[1]},{t[0]}\n" for x, t in zip(X, T, strict=True)))
    path = _write(tmp_path, "data: {file: all.csv, target_columns: [y]}\n")
    result = cli("step", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert "W1[1,1]·height" in cli("step", path, "--no-color").stdout


def test_files_resolve_relative_to_the_spec_file(tmp_path, monkeypatch):
    (tmp_path / "specs" / "data").mkdir(parents=True)
    np.save(tmp_path / "specs" / "data" / "X.npy", np.array(X))
    np.save(tmp_path / "specs" / "data" / "T.npy", np.array(T))
    path = _write(tmp_path, "inputs: {file: data/X.npy}\ntargets: {file: data/T.npy}\n", "specs/spec.yaml")
    monkeypatch.chdir(tmp_path)
    assert _train("specs/spec.yaml") == _inline(tmp_path)
    # standard input: relative to the working folder
    monkeypatch.chdir(tmp_path / "specs")
    result = cli("train", "-", "--epochs", "3", "--json", input=path.read_text())
    assert result.exit_code == 0, result.stderr
    assert result.stdout == _inline(tmp_path)


def test_non_numeric_cell_names_file_line_and_column(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n\n3,oops\n5,6\n")
    (tmp_path / "t.csv").write_text("0.1\n0.2\n0.3\n")
    path = _write(tmp_path, "inputs: {file: x.csv}\ntargets: {file: t.csv}\n")
    line = _fails(path, "x.csv:4:2: inputs: expected a number in column 2 ('b'), got 'oops'")
    assert line.startswith(str(tmp_path))


def test_non_finite_cell(tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n3,nan\n5,6\n")
    (tmp_path / "t.csv").write_text("0.1\n0.2\n0.3\n")
    path = _write(tmp_path, "inputs: {file: x.csv}\ntargets: {file: t.csv}\n")
    _fails(path, "x.csv:2:2: inputs: expected a finite number in column 2, got 'nan'")


def test_ragged_row(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n3,4,5\n")
    path = _write(tmp_path, "inputs: {file: x.csv}\ntargets: [0.1, 0.2]\n")
    _fails(path, "x.csv:3: inputs: expected 2 columns (like the header), got 3")


def test_missing_file_is_located_in_the_spec(tmp_path):
    path = _write(tmp_path, "inputs: {file: nowhere.csv}\ntargets: [0.1]\n")
    _fails(path, "spec.yaml:1:16: inputs.file: no such file: 'nowhere.csv'")


@pytest.mark.parametrize("head, message", [
    ("inputs: {file: x.csv, columns: [a, bb]}\ntargets: [0.1, 0.2]\n",
     "spec.yaml:1:36: inputs.columns: no column is named 'bb' in x.csv (did you mean `b`?)"),
    ("inputs: {file: x.csv, columns: [0, 5]}\ntargets: [0.1, 0.2]\n",
     "spec.yaml:1:36: inputs.columns: column 5 is out of range: x.csv has 2 columns"),
    ("inputs: {file: x.csv}\ntargets: {file: x.csv}\n",
     "spec.yaml:2:10: targets: expected 2 samples × 1 output"),
    ("inputs: {file: x.csv, key: X}\ntargets: [0.1, 0.2]\n",
     "spec.yaml:1:23: inputs.key: `key` applies to .npz files only"),
    ("inputs: {file: x.csv, colums: [a]}\ntargets: [0.1, 0.2]\n",
     "spec.yaml:1:23: inputs.colums: unknown key (did you mean `columns`?)"),
    ("inputs: {file: x.txt}\ntargets: [0.1, 0.2]\n",
     "spec.yaml:1:16: inputs.file: expected a .csv, .npy or .npz file, got 'x.txt'"),
    ("data: {file: x.csv, target_columns: [b]}\ninputs: [[1]]\n",
     "spec.yaml:2:1: inputs: give `data`"),
    ("data: {file: x.csv}\n", "spec.yaml:1:7: data: missing required key `target_columns`"),
    ("data: {file: x.csv, target_columns: [a, b]}\n", "data.target_columns: every column is a target column"),
])
def test_spec_side_errors(tmp_path, head, message):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n3,4\n")
    _fails(_write(tmp_path, head), message)


def test_names_need_a_header(tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n3,4\n")
    path = _write(tmp_path, "inputs: {file: x.csv, columns: [a]}\ntargets: [0.1, 0.2]\n")
    _fails(path, "inputs.columns: column 'a' is a name, but x.csv has no header row")


@pytest.mark.parametrize("array, message", [
    (np.zeros((2, 2, 2)), "expected a 1- or 2-dimensional array (samples × columns) in X.npy, got shape (2, 2, 2)"),
    (np.array(["a", "b"]), "expected numbers in X.npy, got an array of <U1"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), "expected finite numbers, got inf at row 0 column 1 (from 0)"),
])
def test_bad_npy(tmp_path, array, message):
    np.save(tmp_path / "X.npy", array)
    _fails(_write(tmp_path, "inputs: {file: X.npy}\ntargets: [0.1, 0.2]\n"), message)


def test_npz_needs_a_key_when_it_holds_several_arrays(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array(X), T=np.array(T))
    _fails(_write(tmp_path, "inputs: {file: d.npz}\ntargets: [0.1, 0.2, 0.3]\n"),
           "inputs.file: d.npz holds 2 arrays (X, T); name one with `key:`")
    _fails(_write(tmp_path, "inputs: {file: d.npz, key: Y}\ntargets: [0.1, 0.2, 0.3]\n"),
           "spec.yaml:1:28: inputs.key: d.npz has no array 'Y'; it holds: X, T")


def test_not_an_npy_file(tmp_path):
    (tmp_path / "X.npy").write_text("hello")
    _fails(_write(tmp_path, "inputs: {file: X.npy}\ntargets: [0.1]\n"), "inputs.file: cannot read X.npy as a NumPy")


def test_readme_example_output_is_real():
    from conftest import ROOT

    doc = (ROOT / "docs" / "performance.md").read_text()
    block = doc.split("$ backcalc train docs/examples/xor-csv.yaml --json --every 1000 | head -2\n", 1)[1]
    shown = block.split("```", 1)[0].strip().splitlines()
    result = cli("train", ROOT / "docs" / "examples" / "xor-csv.yaml", "--json", "--every", "1000")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == shown






def data_spec(tmp_path: Path, inputs: str, targets: str = "{file: y.csv}") -> Path:
    write_file(tmp_path, "y.csv", "0\n1\n")
    return write_file(tmp_path, "spec.yaml", f"inputs: {inputs}\ntargets: {targets}\n"
                                        "layers:\n  - activation: sigmoid\n    size: 1\n")




def test_npz_that_is_not_a_zip(tmp_path):
    write_file(tmp_path, "x.npz", b"PK\x03\x04 not really a zip")
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
    write_file(tmp_path, "x.npy", b"just some text\n")
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
    write_file(tmp_path, "x.csv", '1,"2\n3,4\n')
    spec = data_spec(tmp_path, "{file: x.csv}")
    assert one_line(cli("step", spec)) == (f"{tmp_path / 'x.csv'}:2: inputs: not valid CSV: unexpected end of data "
                                           "(a quote opened and never closed?)")


def test_csv_whose_only_row_looks_like_a_header(tmp_path):
    write_file(tmp_path, "x.csv", "0x1,2\n")
    spec = data_spec(tmp_path, "{file: x.csv}", "[0]")
    assert one_line(cli("step", spec)) == (f"{spec}:1:16: inputs.file: x.csv has no data rows (its only row was "
                                           "taken as the header, as the cell '0x1' is not a number; write "
                                           "`header: false` if it is data)")


def test_csv_column_tagged_int_that_is_no_number(tmp_path):
    write_file(tmp_path, "x.csv", "1,2\n3,4\n")
    spec = data_spec(tmp_path, "{file: x.csv, columns: [!!int abc]}")
    line = one_line(cli("step", spec))
    assert line == f"{spec}:{where(spec.read_text(), '!!int')}: inputs.columns[0]: expected a whole number, got " \
                   "'abc' (tagged !!int)"


def test_csv_header_tagged_bool_that_is_no_boolean(tmp_path):
    write_file(tmp_path, "x.csv", "1,2\n3,4\n")
    spec = data_spec(tmp_path, "{file: x.csv, header: !!bool maybe}")
    line = one_line(cli("step", spec))
    assert line.startswith(f"{spec}:{where(spec.read_text(), '!!bool')}: inputs.header: expected true or false, got")
