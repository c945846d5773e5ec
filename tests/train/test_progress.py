"""The progress bar: shown on a terminal's stderr only; never with --json, --quiet or into a pipe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backcalc.cli import app
from backcalc.render.progress import Terminal, wants_progress

BACKCALC = Path(sys.executable).parent / "backcalc"
LINEAR = str(CONFIGS / "linear_seed.yaml")


def fake(is_terminal: bool = True, **env) -> Terminal:
    return Terminal(io.StringIO(), is_terminal, env)


@pytest.mark.parametrize("is_terminal, json, quiet, env, expected", [
    (True, False, False, {}, True),
    (True, False, False, {"TERM": "xterm-256color"}, True),
    (False, False, False, {}, False),  # piped or redirected
    (True, True, False, {}, False),  # machine output
    (True, False, True, {}, False),  # --quiet
    (True, False, False, {"TERM": "dumb"}, False),
])
def test_the_decision(is_terminal, json, quiet, env, expected):
    assert wants_progress(fake(is_terminal, **env), json=json, quiet=quiet) is expected


def invoke(*args: str, term: Terminal):
    return CliRunner().invoke(app, [*args], obj={"terminal": term}, env={"COLUMNS": "100"})


def test_a_faked_terminal_gets_the_bar_with_epoch_loss_and_rate():
    term = fake()
    r = invoke("train", LINEAR, "--epochs", "300", term=term)
    assert r.exit_code == 0, r.stderr
    bar = term.stderr.getvalue()
    assert "epoch 300/300" in bar and "loss " in bar and "epochs/s" in bar
    assert "\x1b[" in bar  # drawn with terminal control codes...
    assert "\x1b" not in r.stdout  # ...which never reach the results
    assert "Training" in r.stdout and "epoch 300/300" not in r.stdout


@pytest.mark.parametrize("flag", ["--json", "--quiet"])
def test_no_bar_with_json_or_quiet_even_on_a_terminal(flag):
    term = fake()
    r = invoke("train", LINEAR, "--epochs", "50", flag, term=term)
    assert r.exit_code == 0, r.stderr
    assert term.stderr.getvalue() == ""


def test_no_bar_when_stderr_is_not_a_terminal():
    term = fake(is_terminal=False)
    r = invoke("train", LINEAR, "--epochs", "50", term=term)
    assert r.exit_code == 0 and term.stderr.getvalue() == ""


def test_quiet_leaves_only_the_results():
    term = fake()
    quiet = invoke("train", "--epochs", "5", "--quiet", term=term)  # no CONFIG: the embedded default, noted
    loud = invoke("train", "--epochs", "5", term=fake(is_terminal=False))
    assert quiet.exit_code == loud.exit_code == 0
    assert quiet.stderr == "" and term.stderr.getvalue() == ""
    assert "embedded default" in loud.stderr
    assert quiet.stdout == loud.stdout


@pytest.mark.skipif(not BACKCALC.exists(), reason="the backcalc executable is not installed in this venv")
def test_real_process_with_piped_stderr_draws_nothing():
    r = subprocess.run([str(BACKCALC), "train", LINEAR, "--epochs", "300"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0
    # only diagnostics (the linear seed's symmetric neurons) reach stderr: no bar, no escapes
    assert "\x1b" not in r.stdout and "\x1b" not in r.stderr and "\r" not in r.stderr
    assert all(line.startswith("backcalc: warning:") for line in r.stderr.splitlines())


@pytest.mark.skipif(not BACKCALC.exists() or os.name != "posix", reason="needs the executable and a pty")
def test_real_process_on_a_pseudo_terminal_draws_the_bar():
    import pty

    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm"
    proc = subprocess.Popen([str(BACKCALC), "train", LINEAR, "--epochs", "3000"], stdout=subprocess.PIPE,
                            stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    assert proc.returncode == 0
    assert b"epoch" in seen and b"epochs/s" in seen
    assert b"\x1b" not in out and b"Training" in out


def test_the_bar_leaves_room_for_the_echoed_ctrl_c():
    """The terminal echoes Ctrl-C as `^C` after the bar: on a full-width line it would wrap, and the
    bar's line would stay on screen above the results. Every frame leaves room for it."""
    import re

    from rich.cells import cell_len

    term = fake()
    r = CliRunner().invoke(app, ["train", LINEAR, "--epochs", "300"], obj={"terminal": term}, env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.stderr
    frames = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", f) for f in re.split(r"[\r\n]", term.stderr.getvalue())]
    widths = [cell_len(f) for f in frames if "epoch" in f]
    assert widths and max(widths) <= 80 - len("^C"), widths
