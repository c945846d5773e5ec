"""Help on every command: bare `backcalc`, `-h`, and metavars that are words."""

from __future__ import annotations

import re

import pytest
from conftest import cli

from backcalc.cli import app

COMMANDS = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]


def test_bare_backcalc_prints_the_help_and_exits_0():
    result = cli()
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: backcalc")
    assert all(name in result.stdout for name in COMMANDS)
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_dash_h_is_help_on_every_command(command):
    args = [command] if command else []
    short, long = cli(*args, "-h"), cli(*args, "--help")
    assert short.exit_code == long.exit_code == 0, short.stderr
    assert short.stdout == long.stdout and "-h, --help" in short.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_metavars_are_words_not_click_types(command):
    text = cli(command, "--help").stdout
    assert not re.search(r"<(int|float|integer|text)[^>]*>", text, re.I), text
    assert "range>" not in text
