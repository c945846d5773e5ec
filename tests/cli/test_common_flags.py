"""Flags every command takes (--quiet, --no-color), and `backcalc examples NAME`'s schema line, via the CLI."""

from __future__ import annotations

import json
import re

import pytest
import typer.main
from conftest import CONFIGS, ROOT, cli

from backcalc.cli import app

MODELINE = "# yaml-language-server: $schema="
ESCAPE = re.compile(r"\x1b\[")


def _commands() -> dict:
    return typer.main.get_command(app).commands


@pytest.mark.parametrize("flag", ["--quiet", "--no-color"])
def test_every_command_takes_the_common_flags(flag):
    for name, command in _commands().items():
        options = {opt for param in command.params for opt in param.opts}
        assert flag in options, f"`backcalc {name}` has no {flag}"


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_graph_no_color_is_accepted_and_its_output_never_coloured(config, fmt):
    plain = cli("graph", config("sigmoid_seed"), "--format", fmt)
    forced = cli("graph", config("sigmoid_seed"), "--format", fmt, env={"FORCE_COLOR": "1"})
    no_color = cli("graph", config("sigmoid_seed"), "--format", fmt, "--no-color", "--quiet",
                   env={"FORCE_COLOR": "1"})
    assert plain.exit_code == forced.exit_code == no_color.exit_code == 0, no_color.stderr
    assert plain.stdout == forced.stdout == no_color.stdout
    assert not ESCAPE.search(forced.stdout)


@pytest.mark.parametrize("args", [["schema"], ["examples"], ["examples", "--json"], ["examples", "xor"],
                                  ["init", "-"]])
def test_plain_commands_take_quiet_and_no_color_and_print_the_same(args):
    base = cli(*args)
    assert base.exit_code == 0, base.stderr
    flagged = cli(*args, "--quiet", "--no-color", env={"FORCE_COLOR": "1"})
    assert flagged.exit_code == 0, flagged.stderr
    assert flagged.stdout == base.stdout and not ESCAPE.search(flagged.stdout)


def test_examples_name_schema_line_points_beside_the_file_as_init_writes_it(tmp_path):
    text = cli("examples", "mazur").stdout
    assert "../schema" not in text
    first = text.splitlines()[0]
    assert first.startswith(MODELINE)
    assert text == cli("init", "--example", "mazur", "-").stdout
    # saved next to `backcalc schema`'s output, the schema line resolves
    (tmp_path / "mazur.yaml").write_text(text)
    (tmp_path / "backcalc.schema.json").write_text(cli("schema").stdout)
    target = tmp_path / first[len(MODELINE):]
    assert target.is_file() and json.loads(target.read_text())["$schema"]
    # the rest of the example is the bundled file, and it still runs from a pipe
    assert text.splitlines()[2:] == (CONFIGS / "mazur.yaml").read_text().splitlines()[1:]
    piped = cli("step", "-", "--json", input=text)
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout) == json.loads(cli("step", str(CONFIGS / "mazur.yaml"), "--json").stdout)


def test_examples_unknown_name_is_one_line_exit_2():
    result = cli("examples", "mazr")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("NAME: unknown example 'mazr'")]


def test_docs_say_examples_name_rewrites_the_schema_line():
    text = (ROOT / "docs" / "examples.md").read_text()
    assert "backcalc.schema.json" in text[text.index("`backcalc examples NAME`"):]
