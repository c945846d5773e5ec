"""The entry point builds only the command it runs (start-up); everything a user sees stays the same."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from backcalc.cli import app, app_for

COMMANDS = ["step", "train", "forward", "graph", "check", "examples", "init", "schema", "gradcheck", "docs",
            "exercise"]


def _run(application, args):
    return CliRunner().invoke(application, args, env={"COLUMNS": "100"})


def test_every_command_is_dispatched_alone():
    names = sorted((c.name or c.callback.__name__).replace("_", "-") for c in app.registered_commands)
    assert names == sorted(COMMANDS)
    for name in COMMANDS:
        one = app_for([name, "--help"])
        assert one is not app and len(one.registered_commands) == 1
    assert len(app.registered_commands) == len(COMMANDS)  # the shared app is never trimmed


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_reads_the_same(name):
    full, alone = _run(app, [name, "--help"]), _run(app_for([name, "--help"]), [name, "--help"])
    assert full.exit_code == alone.exit_code == 0
    assert alone.stdout == full.stdout and name in alone.stdout


@pytest.mark.parametrize("args", [[], ["--help"], ["stp"], ["--version"], ["--example", "xor"]])
def test_anything_else_gets_the_whole_app(args):
    assert app_for(args) is app


def test_shell_completion_sees_every_command(monkeypatch):
    monkeypatch.setenv("_BACKCALC_COMPLETE", "complete_bash")
    assert app_for(["step"]) is app


def test_step_runs_the_same_through_either(config):
    args = ["step", config("mazur"), "--json"]
    full, alone = _run(app, args), _run(app_for(args), args)
    assert full.exit_code == alone.exit_code == 0 and alone.stdout == full.stdout
