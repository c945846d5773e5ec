"""The public library API (docs/api.md): each call's `to_dict()` is what the CLI's --json prints,
steps chain, the names are listed and documented, and `import backcalc` stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import CONFIGS, ROOT, assert_same_math, cli, cli_json, cli_jsonl, network_configs

import backcalc

SEEDS = [p.stem for p in network_configs()]  # the circuits' API: tests/circuit/test_circuit_api.py
ANSWERS = sorted(p.stem for p in (CONFIGS / "answers").glob("*.yaml"))


def plain(d: dict) -> dict:
    """A dict as JSON carries it (what the CLI's output parses back to)."""
    return json.loads(json.dumps(d, allow_nan=False))


@pytest.mark.parametrize("name", SEEDS)
def test_step_to_dict_is_the_step_json(name):
    path = str(CONFIGS / f"{name}.yaml")
    assert plain(backcalc.step(path).to_dict()) == cli_json("step", path, "--json")


@pytest.mark.parametrize("name", ["linear_seed", "relu_seed", "linear_regression"])
def test_exact_step_to_dict_is_the_exact_step_json(name):
    path = str(CONFIGS / f"{name}.yaml")
    assert plain(backcalc.step(path, exact=True).to_dict()) == cli_json("step", path, "--json", "--exact")


@pytest.mark.parametrize("name", SEEDS)
def test_forward_to_dict_is_the_forward_json(name):
    path = str(CONFIGS / f"{name}.yaml")
    assert plain(backcalc.forward(path).to_dict()) == cli_json("forward", path, "--json")


def test_forward_on_other_inputs_is_forward_with_inputs():
    path = str(CONFIGS / "mazur.yaml")
    assert plain(backcalc.forward(path, [[1, 2], [0.5, -1]]).to_dict()) == cli_json(
        "forward", path, "--inputs", "[[1, 2], [0.5, -1]]", "--json")
    assert plain(backcalc.forward(path, [0.5, -1]).to_dict()) == cli_json(
        "forward", path, "--inputs", "[0.5, -1]", "--json")


@pytest.mark.parametrize("name", ["mazur", "xor", "batch_seed", "softmax_classifier", "sigmoid_seed_adam"])
def test_train_records_and_result_are_the_train_json_lines(name):
    path = str(CONFIGS / f"{name}.yaml")
    run = backcalc.train(path, 30, every=7)
    records = [plain(r.to_dict()) for r in run]
    lines = cli_jsonl("train", path, "--epochs", "30", "--every", "7", "--json")
    assert records == lines[:-1] and [r["epoch"] for r in records] == [7, 14, 21, 28, 30]
    assert plain(run.result.to_dict()) == lines[-1] == plain(run.to_dict())


def test_train_result_runs_whatever_is_left():
    path = str(CONFIGS / "mazur.yaml")
    run = backcalc.train(path, 5)
    first = next(run)
    assert first.epoch == 1
    assert run.result.epochs == 5 and [r.epoch for r in run.records] == [1, 2, 3, 4, 5]
    assert list(run) == []  # ended: nothing more to iterate
    assert plain(run.result.to_dict()) == cli_jsonl("train", path, "--epochs", "5", "--json")[-1]
    assert [e for e, _ in run.result.curve] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("answers", ANSWERS)
def test_check_to_dict_is_the_check_json(answers):
    spec = str(CONFIGS / f"{answers.removesuffix('_2dp')}.yaml")
    path = str(CONFIGS / "answers" / f"{answers}.yaml")
    result = backcalc.check(spec, path)
    r = cli("check", spec, "--answers", path, "--json")
    assert r.exit_code == (0 if result.ok else 1), r.stderr
    assert plain(result.to_dict()) == json.loads(r.stdout)
    rounded = backcalc.check(spec, path, decimals=2)
    assert plain(rounded.to_dict()) == json.loads(cli("check", spec, "--answers", path, "--round", "2",
                                                      "--json").stdout)


def test_check_takes_a_dict_and_text_like_a_file(tmp_path):
    spec = str(CONFIGS / "mazur.yaml")
    (tmp_path / "a.yaml").write_text("w5_new: 0.35892\nw6_new: 0.5\n")
    from_file = backcalc.check(spec, str(tmp_path / "a.yaml")).to_dict()
    for given in ({"w5_new": 0.35892, "w6_new": 0.5}, "w5_new: 0.35892\nw6_new: 0.5\n"):
        other = backcalc.check(spec, given).to_dict()
        assert other["verdicts"] == from_file["verdicts"] and other["summary"] == from_file["summary"]
    assert [v["verdict"] for v in from_file["verdicts"]] == ["right", "wrong"]


@pytest.mark.parametrize("name", ["mazur", "xor", "softmax_classifier"])
def test_gradcheck_to_dict_is_the_gradcheck_json(name):
    path = str(CONFIGS / f"{name}.yaml")
    assert plain(backcalc.gradcheck(path, torch=False).to_dict()) == cli_json("gradcheck", path, "--no-torch",
                                                                              "--json")


def test_a_spec_loads_from_a_path_text_a_dict_or_an_example():
    path = CONFIGS / "mazur.yaml"
    expected = backcalc.step(str(path)).to_dict()
    text = path.read_text()
    import yaml

    for source in (path, text, yaml.safe_load(text), backcalc.example("mazur")):
        assert backcalc.step(backcalc.load_spec(source)).to_dict() == expected
    assert backcalc.load_spec(text).source == "<text>"
    tiny = {"inputs": [1], "target": 1, "layers": [{"size": 1, "activation": "identity"}]}
    assert backcalc.load_spec(tiny).source == "<dict>"


def test_bad_input_is_the_cli_s_located_message():
    with pytest.raises(backcalc.SpecError) as e:
        backcalc.load_spec({"inputs": [1, 2], "target": 1, "layers": [{"activation": "sigmoidd", "size": 1}]})
    assert "<dict>" in str(e.value) and "sigmoidd" in str(e.value)


def test_two_chained_steps_are_two_epochs_of_full_batch_sgd():
    path = str(CONFIGS / "mazur.yaml")
    first = backcalc.step(path)
    second = backcalc.step(first.next_spec())
    final = cli_jsonl("train", path, "--epochs", "2", "--json")
    assert_same_math([r.loss for r in (first, second)], [final[0]["loss"], final[1]["loss"]])
    assert_same_math({p.name: float(p.new) for p in second.parameters}, final[-1]["final"]["parameters"])
    # the chained spec is the one `train --epochs 1 --emit-spec | step -` steps from
    emitted = cli("train", path, "--epochs", "1", "--emit-spec", "--quiet").stdout
    assert plain(second.to_dict()) == {**cli_json("step", "-", "--json", input=emitted), "name": "mazur"}


def test_chained_adam_steps_carry_the_optimizer_state():
    path = str(CONFIGS / "sigmoid_seed_adam.yaml")
    result = backcalc.step(path)
    for _ in range(2):
        result = backcalc.step(result.next_spec())
    final = cli_jsonl("train", path, "--epochs", "3", "--json")[-1]["final"]["parameters"]
    assert_same_math({p.name: float(p.new) for p in result.parameters}, final)


def test_exact_steps_chain_in_fractions():
    from fractions import Fraction

    path = str(CONFIGS / "linear_seed.yaml")
    second = backcalc.step(backcalc.step(path, exact=True).next_spec(), exact=True)
    trained = backcalc.train(path, 2, exact=True).result.parameters
    assert all(isinstance(p.new, Fraction) for p in second.parameters)
    assert {p.name: p.new for p in second.parameters} == trained  # the same exact numbers, both ways


def test_a_trained_spec_chains_into_a_step():
    path = str(CONFIGS / "sigmoid_seed_adam.yaml")
    run = backcalc.train(path, 4)
    after = backcalc.step(run.spec_after)
    emitted = cli("train", path, "--epochs", "4", "--emit-spec", "--quiet").stdout
    assert plain(after.to_dict()) == cli_json("step", "-", "--json", input=emitted)


def test_the_names_are_listed_and_documented():
    listed = dir(backcalc)
    for name in ("load_spec", "step", "train", "forward", "check", "gradcheck", "example"):
        assert name in listed and name in backcalc.__all__
        doc = getattr(backcalc, name).__doc__
        assert doc and len(doc.split()) > 8, name
    assert "sys" not in listed and "_HOMES" not in listed
    import pydoc

    text = pydoc.render_doc(backcalc.step, renderer=pydoc.plaintext)
    assert "next_spec()" in text and "exact" in text and "StepResult" in text


def test_import_backcalc_loads_no_typer_rich_numpy_or_yaml():
    code = ("import sys, backcalc; dir(backcalc); backcalc.step, backcalc.check, backcalc.train; "
            "print(sorted(m for m in ('typer', 'rich', 'click', 'numpy', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"  # even naming the functions: their imports wait for the first call


def test_computing_never_loads_a_view():
    code = ("import sys, backcalc; r = backcalc.step('configs/mazur.yaml'); r.to_dict(); repr(r); "
            "t = backcalc.train('configs/xor.yaml', 20); t.result.to_dict(); "
            "c = backcalc.check('configs/sigmoid_seed.yaml', 'configs/answers/sigmoid_seed.yaml'); c.to_dict(); "
            "print(sorted(m for m in sys.modules if m.startswith(('typer', 'rich', 'backcalc.render', "
            "'backcalc.cli'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_module_check_does_not_shadow_the_function_check():
    import importlib

    module = importlib.import_module("backcalc.check")
    assert callable(backcalc.check) and backcalc.check is not module
    assert module.CHECK_LIMIT > 0


def test_reprs_are_one_short_line():
    path = str(CONFIGS / "softmax_classifier.yaml")
    for value in (backcalc.step(path), backcalc.train(path, 3).result,
                  backcalc.check(CONFIGS / "sigmoid_seed.yaml", CONFIGS / "answers" / "sigmoid_seed.yaml"),
                  backcalc.forward(path)):
        text = repr(value)
        assert "\n" not in text and len(text) < 200, text
