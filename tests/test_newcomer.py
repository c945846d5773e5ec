"""What a newcomer trips over (issue 13): help, a silent stdin, the starter, numbers, a pip install."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, cli

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


def test_stdin_hint_on_a_terminal_only(config):
    """`step -` on a terminal says what it waits for; piped input gets no hint."""
    import pty

    spec = Path(config("relu_seed")).read_text()
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "backcalc", "step", "-", "--json"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    try:
        # Give the hint time to appear before input arrives, as for a person at the keyboard.
        time.sleep(0.5)
        for line in spec.splitlines():
            os.write(master, line.encode() + b"\n")
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert b"reading the spec from standard input; Ctrl-D to end" in err
    assert b'"loss": 0.25' in out

    piped = cli("step", "-", "--json", input=spec)
    assert piped.exit_code == 0 and "standard input" not in piped.stderr


def test_init_writes_each_comment_once():
    result = cli("init", "-")
    assert result.exit_code == 0
    comments = [line for line in result.stdout.splitlines() if line.startswith("#") and len(line) > 20]
    repeated = [line for line, n in Counter(comments).items() if n > 1]
    assert not repeated and "Larger data can come from files instead" in result.stdout
