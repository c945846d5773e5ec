"""Bundled examples, `--example`, `backcalc examples` and `backcalc init`, through the real CLI."""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import typer.main
import yaml
from conftest import CONFIGS, ROOT, cli, cli_json, cli_jsonl

from backcalc.cli import app

EXAMPLES = ROOT / "backcalc" / "examples"
SEEDS = ["sigmoid_seed", "sigmoid_seed_loop", "relu_seed", "linear_seed", "batch_seed", "batch_seed_forward"]
NEW = ["xor", "softmax_classifier", "linear_regression"]
BUNDLED = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def test_every_bundled_example_is_a_link_to_its_config_no_second_copy():
    assert set(SEEDS + NEW + ["mazur", "starter"]) <= set(BUNDLED)
    for name in BUNDLED:
        path = EXAMPLES / f"{name}.yaml"
        assert path.is_symlink(), f"{path} must link to configs/{name}.yaml, not be a copy"
        assert path.resolve() == (CONFIGS / f"{name}.yaml").resolve()
        assert os.readlink(path) == f"../../configs/{name}.yaml"  # relative: works in any checkout


def test_examples_lists_every_bundled_spec_with_its_description():
    result = cli("examples")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.split("\n\n")[0].splitlines()  # then the answers files
    assert [line.split()[0] for line in lines] == BUNDLED
    for line in lines:
        name, description = line.split(None, 1)
        spec = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
        assert description == spec["description"]
        assert "\n" not in spec["description"] and len(spec["description"]) <= 100


def test_examples_json_matches_the_files():
    listed = json.loads(cli("examples", "--json").stdout)
    assert [e["name"] for e in listed] == BUNDLED
    for e in listed:
        assert e["description"] == yaml.safe_load((CONFIGS / f"{e['name']}.yaml").read_text())["description"]


def test_examples_name_prints_the_yaml_which_pipes_into_step():
    text = cli("examples", "xor").stdout
    # the file's text, but for the schema line, which points beside the file as `init` writes it
    assert text == cli("init", "--example", "xor", "-").stdout
    file_lines = (CONFIGS / "xor.yaml").read_text().splitlines(keepends=True)
    assert text.splitlines(keepends=True)[2:] == file_lines[1:]
    piped = cli("step", "-", "--json", input=text)
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout) == cli_json("step", "--example", "xor")


@pytest.mark.parametrize("name", BUNDLED)
def test_example_option_runs_the_same_spec_as_the_config_file(name):
    assert cli_json("step", "--example", name) == cli_json("step", str(CONFIGS / f"{name}.yaml"))


def test_example_option_on_train_and_in_tables():
    by_file = cli_jsonl("train", str(CONFIGS / "linear_seed.yaml"))
    assert cli_jsonl("train", "--example", "linear_seed") == by_file
    table = cli("train", "--example", "linear-seed", "--every", "5")  # `-` and `_` alike
    assert table.exit_code == 0, table.stderr
    assert table.stdout == cli("train", str(CONFIGS / "linear_seed.yaml"), "--every", "5").stdout


def test_every_command_that_reads_a_spec_takes_example():
    """Every command that reads a spec declares --example (cli.options.ExampleOpt), commands added later too."""
    group = typer.main.get_command(app)
    spec_commands = [name for name, cmd in group.commands.items()
                     if any(p.name == "config" for p in cmd.params)]
    assert {"step", "train"} <= set(spec_commands)
    for name in spec_commands:
        options = {o for p in group.commands[name].params for o in getattr(p, "opts", [])}
        assert "--example" in options, f"`backcalc {name}` reads a spec but has no --example"


@pytest.mark.parametrize("args, message", [
    (["step", "--example", "xr"], "--example: unknown example 'xr' (did you mean `xor`?); expected one of: "),
    (["train", "--example", "nope"], "--example: unknown example 'nope'; expected one of: adam_neuron, batch_seed"),
    (["step", "some.yaml", "--example", "xor"], "give CONFIG or --example, not both"),
    (["examples", "sigmoid"], "NAME: unknown example 'sigmoid' (did you mean `sigmoid_seed`?)"),
])
def test_bad_example_names_are_usage_errors(args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_the_embedded_default_is_the_bundled_mazur(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("step", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == cli_json("step", "--example", "mazur")
    assert "embedded default example 'mazur'" in result.stderr


# -- the new examples do what their comments say --------------------------------

def test_xor_example_learns_xor():
    final = cli_jsonl("train", "--example", "xor")[-1]["final"]
    outputs = np.array(final["output"]).ravel()
    assert list(outputs > 0.5) == [False, True, True, False]
    assert final["epochs"] == 500 and final["loss"] < 0.05
    first = cli_jsonl("train", "--example", "xor", "--epochs", "1")[0]
    assert first["loss"] > 0.6  # it starts from chance, not from a solution


def test_softmax_classifier_example_separates_its_three_classes():
    spec = yaml.safe_load((CONFIGS / "softmax_classifier.yaml").read_text())
    assert spec["loss"] == "cross_entropy" and spec["layers"][-1]["activation"] == "softmax"
    final = cli_jsonl("train", "--example", "softmax_classifier")[-1]["final"]
    predicted = np.argmax(np.array(final["output"]), axis=1)
    assert list(predicted) == list(np.argmax(np.array(spec["targets"]), axis=1))
    step = cli_json("step", "--example", "softmax_classifier")
    assert all(f'"{n}"' in json.dumps(step) for n in ("left", "right", "top"))


def test_linear_regression_example_reaches_the_least_squares_line():
    spec = yaml.safe_load((CONFIGS / "linear_regression.yaml").read_text())
    x = np.array(spec["inputs"], dtype=float)
    y = np.array(spec["targets"], dtype=float)
    (w, b), *_ = np.linalg.lstsq(np.column_stack([x[:, 0], np.ones(len(x))]), y, rcond=None)
    params = cli_jsonl("train", "--example", "linear_regression")[-1]["final"]["parameters"]
    assert params["w"] == pytest.approx(w, abs=1e-5)
    assert params["b"] == pytest.approx(b, abs=1e-5)
    comment = (CONFIGS / "linear_regression.yaml").read_text()
    assert f"w ≈ {w:.4f}, b ≈ {b:.4f}" in comment


# -- init -------------------------------------------------------------------------

def test_init_writes_the_commented_starter_which_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("init")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "wrote backcalc.yaml" in result.stderr
    text = (tmp_path / "backcalc.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=backcalc.schema.json\n")
    assert text.count("\n#") + text.count("  #") >= 20  # commented
    # Every key the loader accepts is shown (`target` is only another spelling of `targets`).
    from backcalc.spec import INIT_KEYS, LAYER_KEYS, TOP_LEVEL_KEYS
    for key in [*TOP_LEVEL_KEYS, *LAYER_KEYS, *INIT_KEYS]:
        assert key == "target" or f"{key}:" in text, f"configs/starter.yaml should show `{key}:`"
    # It runs (found as ./backcalc.yaml) and trains.
    step = cli("step", "--json")
    assert step.exit_code == 0, step.stderr
    assert json.loads(step.stdout)["name"] == "my-network"
    assert cli("train", "--epochs", "3").exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "backcalc.yaml").stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_init_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "net.yaml"
    target.write_text("my work\n")
    result = cli("init", str(target))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{target}: already exists; use --force to overwrite it\n"
    assert target.read_text() == "my work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]  # no temporary file left behind
    forced = cli("init", str(target), "--example", "xor", "--force", "--quiet")
    assert forced.exit_code == 0 and forced.stderr == ""
    assert "name: xor" in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]


def test_init_example_writes_that_example_with_a_local_schema_line(tmp_path):
    target = tmp_path / "x.yaml"
    assert cli("init", str(target), "--example", "softmax-classifier").exit_code == 0
    written = target.read_text().splitlines()
    original = (CONFIGS / "softmax_classifier.yaml").read_text().splitlines()
    assert written[0] == "# yaml-language-server: $schema=backcalc.schema.json"
    assert written[1].startswith("# ") and "backcalc schema > backcalc.schema.json" in written[1]
    assert written[2:] == original[1:]
    assert cli_json("step", str(target)) == cli_json("step", "--example", "softmax_classifier")


def test_init_dash_writes_to_stdout():
    result = cli("init", "-", "--example", "relu_seed")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:] == (CONFIGS / "relu_seed.yaml").read_text().splitlines()[1:]


@pytest.mark.parametrize("where, message", [
    ("missing/x.yaml", "the folder missing does not exist"),
    (".", "is a directory, expected a file name"),
])
def test_init_bad_targets_are_clear_errors(tmp_path, monkeypatch, where, message):
    monkeypatch.chdir(tmp_path)
    result = cli("init", where, "--force")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"{where}: {message}\n"


def test_init_unknown_example(tmp_path):
    result = cli("init", str(tmp_path / "a.yaml"), "--example", "zor")
    assert result.exit_code == 2 and "did you mean `xor`?" in result.stderr
    assert not (tmp_path / "a.yaml").exists()


def test_bundled_examples_are_package_data():
    from backcalc import bundled

    assert bundled.names() == BUNDLED
    assert bundled.read("xor") == (CONFIGS / "xor.yaml").read_bytes()
    assert "examples/*.yaml" in Path(ROOT / "pyproject.toml").read_text()


def test_readme_section_output_is_real():
    from readme_blocks import blocks
    from readme_blocks import run_block as run

    section = (ROOT / "docs" / "examples.md").read_text()
    found = blocks(section)
    assert len(found) >= 2
    for args, expected, _ in found:
        assert run(args) == expected, f"docs/examples.md: `backcalc {args}` is stale (make readme)"


def test_example_reaches_every_spec_command_and_set_overrides(tmp_path):
    group = typer.main.get_command(app)
    spec_commands = {name for name, cmd in group.commands.items() if any(p.name == "config" for p in cmd.params)}
    # Commands with a required option of their own get it here; every other one runs on its spec alone.
    needs = {"check": ("mazur_blog", ["--answers", str(CONFIGS / "answers" / "mazur_blog.yaml")]),
             "exercise": ("batch_seed_forward", ["--out", str(tmp_path / "ex"), "--force"])}
    for command in sorted(spec_commands - {"step", "train"}):
        name, extra = needs.get(command, ("batch_seed_forward", []))
        if any("--json" in getattr(p, "opts", []) for p in group.commands[command].params):
            extra = [*extra, "--json"]
        by_example = cli(command, "--example", name, *extra)
        path = str(CONFIGS / f"{name}.yaml")
        by_file = cli(command, path, *extra)
        assert by_example.exit_code == by_file.exit_code == 0, (command, by_example.stderr)
        # Outputs that name their source name the example instead of the path.
        assert by_example.stdout == by_file.stdout.replace(path, f"<example {name}>"), command
    changed = cli_json("step", "--example", "xor", "--set", "learning_rate=0.25")
    assert changed == cli_json("step", str(CONFIGS / "xor.yaml"), "--set", "learning_rate=0.25")
    assert changed != cli_json("step", "--example", "xor")


BUNDLED_ANSWERS = ROOT / "backcalc" / "examples" / "answers"


BUNDLED_DOCS = ROOT / "backcalc" / "docs"




def test_init_writes_each_comment_once():
    result = cli("init", "-")
    assert result.exit_code == 0
    comments = [line for line in result.stdout.splitlines() if line.startswith("#") and len(line) > 20]
    repeated = [line for line, n in Counter(comments).items() if n > 1]
    assert not repeated and "Larger data can come from files instead" in result.stdout


def test_bundled_answers_and_docs_are_links_to_the_one_copy():
    answers = sorted(p.name for p in (ROOT / "configs" / "answers").glob("*.yaml"))
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert answers and sorted(p.name for p in BUNDLED_ANSWERS.iterdir()) == answers
    assert pages and sorted(p.name for p in BUNDLED_DOCS.iterdir()) == pages
    for name in answers:
        assert os.readlink(BUNDLED_ANSWERS / name) == f"../../../configs/answers/{name}"
    for name in pages:
        assert os.readlink(BUNDLED_DOCS / name) == f"../../docs/{name}"


def test_examples_lists_the_answers_files_and_check_runs_them(config):
    listing = cli("examples")
    assert listing.exit_code == 0
    answers_part = listing.stdout.split("\n\n")[1].splitlines()
    assert "--answers-example" in answers_part[0]
    listed = [line.split()[0] for line in answers_part[1:]]
    assert listed == sorted(p.stem for p in (ROOT / "configs" / "answers").glob("*.yaml"))
    for name in listed:
        file = ROOT / "configs" / "answers" / f"{name}.yaml"
        spec = next(e["name"] for e in json.loads(cli("examples", "--json").stdout) if name in e["answers"])
        by_file = cli("check", config(spec), "--answers", str(file), "--json")
        bundled = cli("check", "--example", spec, "--answers-example", name, "--json")
        assert by_file.exit_code == bundled.exit_code and by_file.exit_code in (0, 1), bundled.stderr
        assert json.loads(bundled.stdout)["verdicts"] == json.loads(by_file.stdout)["verdicts"]
        assert cli("examples", name, "--answers").stdout == file.read_text()


def test_docs_prints_every_page_and_lists_them():
    listing = cli("docs")
    assert listing.exit_code == 0
    pages = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    assert [line.split()[0] for line in listing.stdout.splitlines()] == pages
    for page in pages:
        assert cli("docs", page).stdout == (ROOT / "docs" / f"{page}.md").read_text()
    unknown = cli("docs", "chek")
    assert unknown.exit_code == 2 and "did you mean `check`" in unknown.stderr and unknown.stdout == ""


def test_example_descriptions_say_what_each_example_is_not_a_seed_number():
    listed = json.loads(cli("examples", "--json").stdout)
    numbered = [e["name"] for e in listed if re.search(r"\bseeds?\s*\d", e["description"], re.I)]
    assert not numbered, numbered
