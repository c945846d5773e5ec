"""Reading input within bounds: every limit a located line, exit 2, checked before the memory is spent.

The memory tests run the real CLI in a child process under an address-space limit
(`resource.setrlimit`), so a loader that spends the memory first fails them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from conftest import CONFIGS, cli

LAYER = """layers:
  - activation: sigmoid
    weights: [[0.1, -0.2]]
    biases: [0.05]
"""


def _limited(args, megabytes: int):
    """`python -m backcalc ARGS` with its address space limited to `megabytes`."""
    limit = megabytes * 2**20

    def child():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {"PATH": os.environ.get("PATH", "/usr/bin"), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "COLUMNS": "100", **{k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}}
    return subprocess.run([sys.executable, "-m", "backcalc", *map(str, args)], preexec_fn=child,
                          capture_output=True, text=True, env=env, timeout=300)


def _one_line(result) -> str:
    code = result.returncode if hasattr(result, "returncode") else result.exit_code
    assert code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _spec(tmp_path, head: str, layers: str = LAYER, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(head + layers)
    return path


# -- A: .npy headers and .npz members are checked before reading -----------------------------
def test_npz_member_that_inflates_past_the_limit_is_refused_from_its_header(tmp_path):
    # 300 M int8 zeros: a 300 KB archive, 2.4 GB as float64; under 1 GiB the old loader died
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("X.npy", "w", force_zip64=True) as m:
            np.lib.format.write_array_header_1_0(m, {"descr": "|i1", "fortran_order": False,
                                                     "shape": (300_000_000, 1)})
            block = bytes(1 << 24)
            left = 300_000_000
            while left:
                m.write(block[:min(left, len(block))])
                left -= min(left, len(block))
    assert (tmp_path / "bomb.npz").stat().st_size < 2_000_000
    spec = _spec(tmp_path, "inputs: {file: bomb.npz}\ntargets: [[1]]\n")
    line = _one_line(_limited(["step", spec], 1024))
    assert "spec.yaml:1:16: inputs.file: cannot read array 'X' of bomb.npz: its header gives shape " \
           "(300000000, 1)" in line
    assert "limited to 268,435,456 values" in line


def test_npy_header_that_lies_about_its_shape_is_refused(tmp_path):
    path = tmp_path / "lie.npy"
    with path.open("wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (100_000, 1)})
        f.write(np.zeros(3).tobytes())
    spec = _spec(tmp_path, "inputs: {file: lie.npy}\ntargets: [[1]]\n")
    line = _one_line(cli("step", spec))
    assert "inputs.file: cannot read lie.npy: its header gives shape (100000, 1) (800,000 bytes of float64), " \
           "but only 24 bytes follow it" in line
    # 745 GiB claimed: refused by the value limit, never allocated
    with path.open("wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (100_000_000_000, 1)})
    assert "this one holds 100,000,000,000" in _one_line(cli("step", spec))


# -- B: `size:` layers ------------------------------------------------------------------------
# -- C: a CSV costs its values' memory, not 13 times its size ---------------------------------
def test_csv_is_parsed_as_it_streams(tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.random((100_000, 10))
    (tmp_path / "d.csv").write_text("a,b,c,d,e,f,g,h,i,y\n" + "\n".join(",".join(f"{v:.6f}" for v in row)
                                                                       for row in rows) + "\n")
    spec = _spec(tmp_path, "data: {file: d.csv, target_columns: [y]}\n", "layers:\n  - activation: sigmoid\n"
                 "    size: 1\n")
    result = _limited(["forward", spec, "--inputs", "[[1, 2, 3, 4, 5, 6, 7, 8, 9]]", "--json"], 200)
    assert result.returncode == 0, result.stderr


# -- D ----------------------------------------------------------------------------------------
def test_set_value_nested_as_deep_as_yaml_allows(config):
    value = "[" * 995 + "]" * 995
    line = _one_line(cli("step", config("mazur"), "--set", f"inputs={value}"))
    assert line.endswith("...: inputs[0][0][0][0]: expected a number (a sample nests 3 deep at most), got a list")
    assert len(line) < 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_data_file_is_a_located_line(tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n")
    os.chmod(tmp_path / "x.csv", 0)
    spec = _spec(tmp_path, "inputs: {file: x.csv}\ntargets: [[1]]\n")
    assert _one_line(cli("step", spec)) == f"{spec}:1:16: inputs.file: cannot read x.csv: Permission denied"


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="Linux only")
def test_data_file_that_fails_to_read_is_a_located_line(tmp_path):
    # /proc/self/mem is a regular file that fails when read from its start (as root too)
    os.symlink("/proc/self/mem", tmp_path / "x.csv")
    spec = _spec(tmp_path, "inputs: {file: x.csv}\ntargets: [[1]]\n")
    assert _one_line(cli("step", spec)) == f"{spec}:1:16: inputs.file: cannot read x.csv: Input/output error"


# -- G: what a path is, NumPy's text, long lists -----------------------------------------------
@pytest.fixture
def odd_paths(tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")
    os.symlink(tmp_path / "loop2.csv", tmp_path / "loop1.csv")
    os.symlink(tmp_path / "loop1.csv", tmp_path / "loop2.csv")
    os.symlink("/dev/zero", tmp_path / "zero.csv")
    return tmp_path


@pytest.mark.parametrize(("name", "what"), [
    ("fifo.csv", "is a named pipe (FIFO); a data file must be a regular file"),
    ("loop1.csv", "is a symbolic link that loops (it leads back to itself)"),
    ("zero.csv", "is a character device (/dev/zero); a data file must be a regular file"),
])
def test_data_file_that_is_not_a_regular_file(odd_paths, name, what):
    spec = _spec(odd_paths, f"inputs: {{file: {name}}}\ntargets: [[1]]\n")
    line = _one_line(cli("step", spec))
    assert line == f"{spec}:1:16: inputs.file: '{name}' (resolved to {odd_paths / name}) {what}"


@pytest.mark.parametrize(("name", "what"), [
    ("fifo.csv", "is a named pipe (FIFO) and nothing was written to it, expected a YAML file"),
    ("loop1.csv", "is a symbolic link that loops (it leads back to itself)"),
    ("zero.csv", "is a character device (/dev/zero), expected a YAML file"),
])
def test_spec_that_is_not_a_regular_file(odd_paths, name, what):
    # a subprocess with a timeout: opening a FIFO nobody writes to used to wait forever
    result = subprocess.run([sys.executable, "-m", "backcalc", "step", str(odd_paths / name)],
                            capture_output=True, text=True, timeout=60)
    assert _one_line(result) == f"{odd_paths / name}: {what}"


def test_spec_from_a_pipe_is_read():
    text = (CONFIGS / "mazur.yaml").read_bytes()
    read, write = os.pipe()
    try:
        os.write(write, text)
        os.close(write)
        result = cli("step", f"/dev/fd/{read}", "--json")
    finally:
        os.close(read)
    assert result.exit_code == 0, result.stderr


def test_object_array_never_advises_pickles(tmp_path):
    np.save(tmp_path / "o.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "o.npz", X=np.array([1, "a"], dtype=object))
    for name in ("o.npy", "o.npz"):
        spec = _spec(tmp_path, f"inputs: {{file: {name}}}\ntargets: [[1]]\n")
        line = _one_line(cli("step", spec))
        assert "expected numbers in" in line and "got an array of object" in line
        assert "pickle" not in line.lower()


def test_damaged_npy_is_our_own_one_line(tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': <f8\n}  \n")
    spec = _spec(tmp_path, "inputs: {file: bad.npy}\ntargets: [[1]]\n")
    line = _one_line(cli("step", spec))
    assert line.endswith("inputs.file: cannot read bad.npy: its .npy header is damaged "
                         "(not an array written by numpy.save?)")


def test_npz_with_thousands_of_arrays_lists_a_few(tmp_path):
    np.savez(tmp_path / "many.npz", **{f"a{i}": np.zeros(2) for i in range(3000)})
    spec = _spec(tmp_path, "inputs: {file: many.npz}\ntargets: [[1]]\n")
    line = _one_line(cli("step", spec))
    assert "many.npz holds 3,000 arrays (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 and 2,990 more); " \
           "name one with `key:`" in line
    spec = _spec(tmp_path, "inputs: {file: many.npz, key: b}\ntargets: [[1]]\n")
    line = _one_line(cli("step", spec))
    assert line.endswith("inputs.key: many.npz has no array 'b'; it holds: a0, a1, a2, a3, a4, a5, a6, a7, a8, "
                         "a9 and 2,990 more")


def test_csv_with_thousands_of_columns_lists_a_few(tmp_path):
    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join(["1"] * 5000) + "\n")
    spec = _spec(tmp_path, "inputs: {file: wide.csv, columns: [zz]}\ntargets: [[1]]\n")
    line = _one_line(cli("step", spec))
    assert line.endswith("columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 4,990 more")


# -- H: CSV cells -------------------------------------------------------------------------------
def test_csv_underscore_and_non_ascii_digits_are_not_numbers(tmp_path):
    for cell in ("1_0", "١"):
        (tmp_path / "x.csv").write_text(f"0.5,2\n0.5,{cell}\n")
        spec = _spec(tmp_path, "inputs: {file: x.csv}\ntargets: [[1], [0]]\n")
        line = _one_line(cli("step", spec))
        assert line == f"{tmp_path / 'x.csv'}:2:2: inputs: expected a number in column 2, got '{cell}'"


def test_csv_quoted_cell_after_a_space(tmp_path):
    (tmp_path / "x.csv").write_text('0.2, "0.3"\n')
    spec = _spec(tmp_path, "inputs: {file: x.csv}\ntargets: [[1]]\n")
    inline = _spec(tmp_path, "inputs: [[0.2, 0.3]]\ntargets: [[1]]\n", name="inline.yaml")
    result = cli("step", spec, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.replace(str(spec), "S") == cli("step", inline, "--json").stdout.replace(str(inline), "S")


# -- B: `size:` layers are sized before anything is built ----------------------------------------
def _wide(tmp_path, features: int, sizes: list[int]):
    np.save(tmp_path / "wide.npy", np.ones((1, features)))
    layers = "layers:\n" + "".join(f"  - activation: sigmoid\n    size: {n}\n" for n in sizes)
    return _spec(tmp_path, "inputs: {file: wide.npy}\ntargets: [[1]]\n", layers)


@pytest.mark.parametrize("command", ["step", "graph"])
def test_step_refuses_a_large_network_before_building_it(tmp_path, command):
    # 8 M parameters: building their names alone took 1.5 GB and a minute before the refusal
    spec = _wide(tmp_path, 4000, [2000, 1])
    line = _one_line(_limited([command, spec], 1024))
    assert line == (f"{spec}: one step explains every weight and bias for every sample: 1 sample × 8,004,001 "
                    "weights and biases = 8,004,001 chain-rule products, more than the 4,000,000 it takes at once; "
                    "this network is too large to explain weight by weight, or use `train` (any size)")


def test_check_refuses_a_large_network_before_building_it(tmp_path):
    spec = _wide(tmp_path, 4000, [2000, 1])
    (tmp_path / "answers.yaml").write_text("o1: 0.5\n")
    line = _one_line(_limited(["check", spec, "--answers", tmp_path / "answers.yaml"], 1024))
    assert "check recomputes every weight and bias for every sample" in line and "more than the 250,000" in line


def test_parameter_cap_names_the_largest_layer(tmp_path):
    # the second layer (1 neuron) crosses the cap; the first holds nearly all of it
    spec = _wide(tmp_path, 4000, [12496, 1])
    line = _one_line(_limited(["train", spec, "--epochs", "1"], 1024))
    assert line == (f"{spec}:5:11: layers[0].size: expected at most 50,000,000 weights and biases in the network, "
                    "got 50,008,993; the largest layer, layers[0], has 12,496 neurons × (4,000 inputs + a bias) "
                    "= 49,996,496 of them")


# -- E: YAML 1.1's other number forms, refused alike by the spec and answers readers -------------
@pytest.mark.parametrize(("text", "means"), [
    ("1:30", "90 (base 60)"), ("010", "8 (octal, for the leading zero)"), ("0x1F", "31 (hexadecimal)"),
    ("0b101", "5 (binary)"), ("-1:30.5", "-90.5 (base 60)"),
])
def test_yaml11_number_forms_are_refused(tmp_path, config, text, means):
    expected = (f"expected a number in decimal, got {text}, which YAML 1.1 reads as {means}: write it in decimal "
                "(or quote it, if it is meant as text)")
    assert _one_line(cli("step", config("mazur"), "--set", f"learning_rate={text}")) == \
        f"--set learning_rate={text}: learning_rate: {expected}"
    spec = tmp_path / "spec.yaml"
    spec.write_text((CONFIGS / "mazur.yaml").read_text().replace("learning_rate: 0.5", f"learning_rate: {text}"))
    assert _one_line(cli("step", spec)).endswith(f": learning_rate: {expected}")
    (tmp_path / "answers.yaml").write_text(f"E_total: {text}\n")
    assert _one_line(cli("check", config("mazur"), "--answers", tmp_path / "answers.yaml")) == \
        f"{tmp_path / 'answers.yaml'}:1:10: E_total: {expected}"


def test_yaml11_forms_in_whole_numbers(config):
    line = _one_line(cli("step", config("mazur"), "--set", "init.seed=0x10"))
    assert line.startswith("--set init.seed=0x10: init.seed: expected a number in decimal, got 0x10")


# -- F: what the user wrote, not the tag YAML 1.1 gave it ----------------------------------------
def test_date_merge_key_and_value_key_are_named_as_written(tmp_path, config):
    assert _one_line(cli("step", config("mazur"), "--set", "name=2001-12-14")) == \
        '--set name=2001-12-14: name: 2001-12-14 reads as a date in YAML: quote it ("2001-12-14") to give it as text'
    assert _one_line(cli("step", config("mazur"), "--set", "name==")) == \
        '--set name==: name: `=` alone reads as a YAML 1.1 value key: quote it ("=") to give it as text'
    spec = tmp_path / "spec.yaml"
    spec.write_text((CONFIGS / "mazur.yaml").read_text() + "init:\n  <<: {seed: 3}\n")
    line = _one_line(cli("step", spec))
    assert line.endswith(": init: merge keys (`<<: *anchor`) are not supported: write the keys out")
    answers = tmp_path / "answers.yaml"
    answers.write_text("E_total: 2001-12-14\n")
    assert _one_line(cli("check", config("mazur"), "--answers", answers)) == \
        f'{answers}:1:10: E_total: 2001-12-14 reads as a date in YAML: quote it ("2001-12-14") to give it as text'
    answers.write_text("base: &b {h1: 0.5}\n<<: *b\n")
    result = cli("check", config("mazur"), "--answers", answers)
    assert f"{answers}:2:1: <<: merge keys (`<<: *anchor`) are not supported: write the keys out" in \
        result.stderr.splitlines()
    assert "!!" not in result.stderr
    assert _one_line(cli("step", config("mazur"), "--set", "name=yes")) == \
        '--set name=yes: name: expected a text value, got the boolean yes: quote it ("yes") to give it as text'


# -- I: textbook habits --------------------------------------------------------------------------
def test_one_bias_shared_by_the_layers_neurons(tmp_path, config):
    text = (CONFIGS / "mazur.yaml").read_text()
    assert "biases: [b1: 0.35, b1: 0.35]" in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("biases: [b1: 0.35, b1: 0.35]", "biases: 0.35"))
    shared = cli("step", spec, "--json")
    assert shared.exit_code == 0, shared.stderr
    import json

    ours = {p["name"]: p for p in json.loads(shared.stdout)["parameters"]}
    theirs = {p["name"]: p for p in json.loads(cli("step", config("mazur"), "--json").stdout)["parameters"]}
    assert ours["b1"] == theirs["b1"]  # one tied parameter, its gradient the sum over both neurons
    spec.write_text(text.replace("biases: [b1: 0.35, b1: 0.35]", "biases: [0.35]"))
    assert _one_line(cli("step", spec)).endswith("layers[0].biases: expected 2 biases (one per neuron, or one "
                                                 "alone shared by them all), got 1")


def test_transposed_weights_get_a_hint(tmp_path):
    spec = _spec(tmp_path, "inputs: [0.05, 0.10]\ntarget: 0.01\n", "layers:\n  - activation: sigmoid\n"
                 "    weights: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]\n  - activation: sigmoid\n    size: 1\n")
    assert _one_line(cli("step", spec)).endswith(
        "layers[0].weights[0]: expected 2 columns (the input has 2 features), got 3; looks transposed? weights are "
        "neurons × inputs, one row per neuron (as in PyTorch's nn.Linear): write 3 rows of 2")
