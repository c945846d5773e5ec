"""Issue 17's "every view works", through the CLI, on the bundled examples and on random specs of
every kind: the tables, --json, --format markdown|latex|html (and --blank), --round N, gradcheck;
--exact exact Fractions where promised (conv, pooling, flatten, an identity/relu rnn), equal to the
reference's own Fractions, and refused in one line where not; check grades answers keyed by the
tables' names, right ones all right and each kind's planted mistake named."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import cli, cli_json, one_line, write_file
from contract_reference import exact_spec, reference_step
from contract_specs import KINDS, random_contract_spec, spec_text

CONFIGS = Path(__file__).parents[2] / "configs"
BUNDLED = ["conv_image", "rnn_sequence", "batchnorm_batch"]
VIEWS = [(), ("--json",), ("--format", "markdown"), ("--format", "latex"), ("--format", "html"),
         ("--format", "markdown", "--blank"), ("--format", "latex", "--blank"), ("--format", "html", "--blank"),
         ("--round", "3"), ("--full",), ("--per-sample",)]


def _config(name):
    return str(CONFIGS / f"{name}.yaml")


def _load(name):
    spec = yaml.safe_load(Path(_config(name)).read_text())
    if "target" in spec:
        spec["targets"] = [spec.pop("target")]
    return spec


@pytest.mark.parametrize("view", VIEWS, ids=" ".join)
@pytest.mark.parametrize("kind", KINDS)
def test_every_step_view_exits_0_on_every_kind(tmp_path, kind, view):
    path = write_file(tmp_path, "spec.yaml", spec_text(random_contract_spec(3, kind)))
    result = cli("step", path, "-q", *view)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() and "Traceback" not in result.stderr


def _batch_of(kind: str, at_least: int) -> dict:
    return next(s for s in (random_contract_spec(seed, kind) for seed in range(4, 99)) if len(s["inputs"]) >= at_least)


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_agrees_on_every_kind(tmp_path, kind):
    path = write_file(tmp_path, "spec.yaml", spec_text(_batch_of(kind, 2)))
    result = cli("gradcheck", path, "-q")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "agree" in result.stdout


def test_a_batchnorm_over_one_sample_is_refused_in_one_line(tmp_path):
    """σ² of one value is 0: x̂ = 0 and no gradient flows; refused at load time, as torch refuses it."""
    spec = {"inputs": [[0.5, -1.0]], "targets": [[0.2]], "learning_rate": 0.1,
            "layers": [{"type": "batchnorm", "gamma": [1.5, 0.5], "beta": [0.1, 0.2]},
                       {"weights": [[0.3, -0.7]], "biases": [0.0], "activation": "identity"}]}
    for command in ("gradcheck", "step", "train"):
        result = cli(command, write_file(tmp_path, "spec.yaml", spec_text(spec)), "-q")
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.stderr
        assert "layers[0]" in lines[0] and "batch of 1" in lines[0] and "Traceback" not in result.stderr


def test_the_conv_tables_write_positions_fields_and_per_position_kernel_rows():
    out = cli("step", _config("conv_image"), "-q", env={"COLUMNS": "200"}).stdout
    assert "field x6 x7 x10 x11" in out  # c1[1,2,2]'s receptive field
    assert out.count("sum over 9 positions") == 5  # 4 kernel entries and the bias, 9 rows each then the sum
    assert "← c1[1,3,1]" in out  # the input that won a max-pool window


def test_the_rnn_tables_give_a_block_per_time_step_forward_then_backward():
    out = cli("step", _config("rnn_sequence"), "-q", env={"COLUMNS": "200"}).stdout
    forward, backward = out.index("forward through time"), out.index("backward through time")
    assert forward < backward
    assert out.count("sum over 3 time steps") == 10  # 4 W_x, 4 W_h, 2 b: each a sum over its 3 steps


def test_the_batchnorm_tables_give_mean_variance_and_the_three_terms():
    out = cli("step", _config("batchnorm_batch"), "-q", env={"COLUMNS": "200"}).stdout
    for part in ("μ", "σ²", "x̂", "Σδ"):
        assert part in out, part


def _exact_kind(kind: str, seed: int, initial_state: bool = False) -> dict:
    spec = random_contract_spec(seed, kind)
    if not initial_state:
        spec["layers"][0].pop("initial_state", None)
    for layer in spec["layers"]:  # the rational activations only
        if "activation" in layer and layer["activation"] not in ("identity", "relu", "leaky_relu"):
            layer["activation"] = "relu" if seed % 2 else "identity"
    return spec


@pytest.mark.parametrize("kind", ["conv2d", "conv1d", "pool2d", "pool1d", "rnn"])
@pytest.mark.parametrize("seed", range(3))
def test_exact_is_the_exact_rational_step(tmp_path, kind, seed):
    spec = _exact_kind(kind, seed)
    step = cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)), "--exact", "-q")
    loss, grads, names, _ = reference_step(exact_spec(spec))
    assert isinstance(loss, Fraction)
    assert Fraction(step["loss"]) == loss
    for p in step["parameters"]:
        assert Fraction(p["grad"]) == grads[p["name"]], p["name"]
        assert Fraction(p["new"]) == Fraction(p["value"]) - Fraction(1, 10) * grads[p["name"]], p["name"]


@pytest.mark.parametrize(("name", "edit", "says"), [
    ("batchnorm_batch", None, "--exact cannot run batchnorm: √(σ² + ε) is not rational"),
    ("rnn_sequence", None, "--exact needs a rational activation (identity, relu or leaky_relu), got tanh"),
    ("rnn_sequence", "sigmoid", "--exact needs a rational activation (identity, relu or leaky_relu), got sigmoid"),
])
def test_exact_is_refused_in_one_line_where_the_math_is_not_rational(tmp_path, name, edit, says):
    args = ["--set", f"layers.0.activation={edit}"] if edit else []
    assert says in one_line(cli("step", _config(name), "--exact", *args))


def test_exact_rnn_with_an_initial_state(tmp_path):
    spec = _exact_kind("rnn", 0, initial_state=True)
    assert "initial_state" in spec["layers"][0]
    step = cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)), "--exact", "-q")
    assert Fraction(step["loss"]) == reference_step(exact_spec(spec))[0]


def _answers(tmp_path, spec: dict, mistake=(None, None), units=()) -> Path:
    """An answers file from the reference: loss, every gradient and update, and the units' values."""
    taps: list = []
    loss, grads, names, values = reference_step(spec, mistake=mistake, taps=taps)
    lines = [f"loss: {loss!r}"] + [f"dL/d{n}: {grads[n]!r}" for n in names]
    lines += [f"{n}_new: {values[n] - spec['learning_rate'] * grads[n]!r}" for n in names]
    lines += [f"{unit}: {taps[layer][0].ravel()[index].data!r}" for unit, layer, index in units]
    return write_file(tmp_path, "answers.yaml", "\n".join(lines) + "\n")


CONV_UNITS = [("c1[1,2,3]", 0, 5), ("p2[1,1,1]", 1, 0), ("f3[4]", 2, 3), ("o1", 3, 0)]


@pytest.mark.parametrize(("name", "units"), [("conv_image", CONV_UNITS), ("rnn_sequence", [("h1[2]", 0, 1)]),
                                             ("batchnorm_batch", [])])
def test_check_grades_the_references_answers_all_right(tmp_path, name, units):
    result = cli("check", _config(name), "--answers", _answers(tmp_path, _load(name), units=units), "-q")
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("name", "mistake", "says"), [
    ("conv_image", ("forgot_position", 0, 1), "a kernel gradient that forgets a position (layer 1"),
    ("conv_image", ("spread_max", 1), "max-pool gradient spread to all inputs (layer 2)"),
    ("rnn_sequence", ("bptt_last_step", 0), "layer 1"),
    ("batchnorm_batch", ("no_mean_terms", 1), "batch norm backward without the mean terms (layer 2)"),
])
def test_check_names_each_kinds_planted_mistake(tmp_path, name, mistake, says):
    """The mistake planted by hand in the reference (not by backcalc's own mistake hook)."""
    result = cli("check", _config(name), "--answers", _answers(tmp_path, _load(name), mistake), "-q",
                 env={"COLUMNS": "250"})
    assert result.exit_code == 1, result.stdout + result.stderr
    assert says in " ".join(result.stdout.split()), result.stdout


def test_bptt_last_step_is_named_as_truncated_backpropagation_through_time(tmp_path):
    result = cli("check", _config("rnn_sequence"), "--answers",
                 _answers(tmp_path, _load("rnn_sequence"), ("bptt_last_step", 0)), "-q", env={"COLUMNS": "250"})
    text = " ".join(result.stdout.split()).lower()
    assert result.exit_code == 1 and ("last time step" in text or "truncated" in text), result.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("name", BUNDLED)
def test_graph_draws_every_kind_and_dot_renders_it(tmp_path, name):
    result = cli("graph", _config(name), "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("digraph")
    svg = subprocess.run(["dot", "-Tsvg"], input=result.stdout, capture_output=True, text=True, check=True).stdout
    first_unit = {"conv_image": "c1[1,1,1]", "rnn_sequence": "h1[1,1]", "batchnorm_batch": "n2[1]"}[name]
    assert first_unit in svg


@pytest.mark.parametrize("kind", KINDS)
def test_train_exits_0_and_the_saved_spec_reads_back(tmp_path, kind):
    spec = random_contract_spec(5, kind)
    path = write_file(tmp_path, "spec.yaml", spec_text(spec))
    saved = tmp_path / "trained.yaml"
    result = cli("train", path, "--epochs", "3", "--save", saved, "-q")
    assert result.exit_code == 0, result.stderr
    again = cli_json("step", saved, "-q")
    final = json.loads(cli("train", path, "--epochs", "3", "--json", "-q").stdout.splitlines()[-1])["final"]
    assert {p["name"]: p["value"] for p in again["parameters"]} == pytest.approx(final["parameters"], rel=1e-12)


def test_nested_inputs_read_as_their_flat_rows(tmp_path):
    """`inputs:` as channels × height × width per sample (a 2-D list per channel) is the same step as
    the flat row with `input_shape:`."""
    flat = _load("conv_image")
    nested = copy.deepcopy(flat)
    nested["inputs"] = [np.array(s).reshape(1, 4, 4).tolist() for s in flat["inputs"]]
    del nested["layers"][0]["input_shape"]
    a = cli_json("step", write_file(tmp_path, "flat.yaml", spec_text(flat)), "-q")
    b = cli_json("step", write_file(tmp_path, "nested.yaml", spec_text(nested)), "-q")
    assert b["loss"] == pytest.approx(reference_step(nested)[0], rel=1e-12)
    # one computation of two spellings of the same numbers
    assert [p["grad"] for p in a["parameters"]] == [p["grad"] for p in b["parameters"]]
