"""What reaches the terminal: a standard output that cannot be written (full, closed, a reader that
went away), Ctrl-C during start-up, control characters in the user's names, a stream that cannot
encode the symbols, trailing spaces. Real streams need the installed command (subprocesses)."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import CONFIGS, ROOT, cli

BACKCALC = Path(sys.executable).with_name("backcalc")
MAZUR = str(CONFIGS / "mazur.yaml")
XOR = str(CONFIGS / "xor.yaml")
pytestmark = pytest.mark.skipif(not BACKCALC.exists(), reason="the backcalc command is not installed in this venv")


def run(args, *, stdout=subprocess.PIPE, close_stdout=False, env=None, input=None, timeout=120):
    """The installed command; `close_stdout` starts it with descriptor 1 closed (`>&-`)."""
    return subprocess.run([str(BACKCALC), *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          input=input, env={**os.environ, "COLUMNS": "100", **(env or {})}, timeout=timeout,
                          preexec_fn=(lambda: os.close(1)) if close_stdout else None)


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    path = tmp_path_factory.mktemp("answers") / "answers.yaml"
    path.write_text("L: 0.274811083\n")  # right: check exits 0 when its table is shown
    return path


# Every command, each writing to standard output.
COMMANDS = {
    "help": ["--help"], "version": ["--version"], "step-help": ["step", "--help"],
    "step": ["step", MAZUR], "step-json": ["step", MAZUR, "--json"],
    "markdown": ["step", MAZUR, "--format", "markdown"], "latex": ["step", MAZUR, "--format", "latex"],
    "train": ["train", MAZUR, "--epochs", "20"], "train-json": ["train", MAZUR, "--epochs", "20", "--json"],
    "emit-spec": ["train", MAZUR, "--epochs", "20", "--emit-spec"], "forward": ["forward", MAZUR],
    "graph": ["graph", MAZUR], "check": ["check", MAZUR, "--answers", "ANSWERS"],
    "gradcheck": ["gradcheck", MAZUR, "--no-torch"], "examples": ["examples"], "example": ["examples", "xor"],
    "init": ["init", "-"], "schema": ["schema"],
}


def _args(name, answers):
    return [str(answers) if a == "ANSWERS" else a for a in COMMANDS[name]]


# -- A: standard output that cannot be written -------------------------------------------------

@pytest.mark.parametrize("how", ["full", "closed"])
@pytest.mark.parametrize("name", COMMANDS)
def test_an_unwritable_stdout_is_one_line_and_exit_74(name, how, answers):
    if how == "full":
        with open("/dev/full", "w") as full:
            r = run(_args(name, answers), stdout=full)
        reason = "No space left on device"
    else:
        r = run(_args(name, answers), stdout=None, close_stdout=True)
        reason = "Bad file descriptor"
    err = r.stderr.decode()
    assert r.returncode == 74, err
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err
    if name == "train-json":  # stopped as by Ctrl-C (see the --save tests below)
        assert f"backcalc: cannot write to standard output ({reason}) after epoch 1 of 20\n" in err
    else:
        assert err.splitlines()[-1] == f"backcalc: cannot write to standard output: {reason}"
        assert name == "emit-spec" or err == f"backcalc: cannot write to standard output: {reason}\n"


def test_a_reader_that_goes_away_is_exit_141_without_a_message():
    proc = subprocess.Popen([str(BACKCALC), "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # gone before the command writes anything
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


# -- B: a dead stdout does not lose the save ------------------------------------------------------

def _final(spec, *args):
    r = run(["train", spec, "--json", *args])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.decode().splitlines()[-1])["final"]


def test_train_saves_the_last_epoch_when_its_reader_goes_away(tmp_path):
    out = tmp_path / "out.yaml"
    proc = subprocess.Popen([str(BACKCALC), "train", MAZUR, "--epochs", "20000000", "--json", "--save", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert json.loads(first)["epoch"] == 1
    done = int(re.search(r"saved the parameters after epoch (\d+) to ", err)[1])
    assert f"backcalc: cannot write to standard output (Broken pipe) after epoch {done} of 20000000" in err
    assert "Traceback" not in err
    text = out.read_text()
    assert f"# epochs: {done} of 20000000 completed" in text
    assert f"# to finish the run: backcalc train {out} --epochs {20000000 - done}" in text
    # the saved epoch is a whole one: training on from it is the uninterrupted run
    assert _final(out, "--epochs", 1)["parameters"] == _final(MAZUR, "--epochs", done + 1)["parameters"]


@pytest.mark.parametrize("how", ["full", "closed"])
def test_train_saves_when_stdout_is_full_or_closed(tmp_path, how):
    out = tmp_path / "out.yaml"
    args = ["train", MAZUR, "--epochs", "200000", "--json", "--save", out]
    if how == "full":
        with open("/dev/full", "w") as full:
            r = run(args, stdout=full)
    else:
        r = run(args, stdout=None, close_stdout=True)
    err = r.stderr.decode()
    assert r.returncode == 74, err
    done = int(re.search(r"saved the parameters after epoch (\d+) to ", err)[1])
    assert "cannot write to standard output (" in err and "internal error" not in err
    assert f"# epochs: {done} of 200000 completed" in out.read_text()
    assert _final(out, "--epochs", 1)["parameters"] == _final(MAZUR, "--epochs", done + 1)["parameters"]


# -- C: Ctrl-C during start-up -------------------------------------------------------------------

def _seconds(args) -> float:
    start = time.monotonic()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return time.monotonic() - start


def test_ctrl_c_during_start_up_exits_130_quietly():
    # Delays across the start-up, from the interpreter's own (site and .pth files: before
    # backcalc's first instruction, out of its reach) to the end of the command. Where each lands
    # depends on the machine's load, so this sweep asserts only what holds at every moment: quiet.
    python = min(_seconds([sys.executable, "-c", "pass"]) for _ in range(3))
    command = min(_seconds([str(BACKCALC), "step", MAZUR]) for _ in range(2))
    delays = [python * 0.8 + i * (command - python * 0.8) / 12 for i in range(12)]
    for delay in delays:
        proc = subprocess.Popen([str(BACKCALC), "step", MAZUR], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=60)[1].decode()
        package = str(ROOT / "backcalc") + os.sep
        if err and package not in err:  # the interpreter's own start-up (site, argv[0], the script's
            continue                   # first import): before backcalc's first instruction
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        # -SIGINT: before the interpreter installed its handler; 0: done before the signal
        assert proc.returncode in (130, -signal.SIGINT, 0), (delay, proc.returncode, err)
        assert err in ("", "backcalc: interrupted\n"), err
    # And a Ctrl-C known to land in the command itself, whatever the load: it reads the spec from a
    # pipe held open, and the pipe (filled first) draining is the sign the command has started.
    proc = subprocess.Popen([str(BACKCALC), "step", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    pipe = proc.stdin.fileno()
    os.set_blocking(pipe, False)
    for _ in range(1024):  # 4 MiB: more than any pipe holds, so the loop stops on a full pipe
        try:
            os.write(pipe, b"#" * 4095 + b"\n")
        except BlockingIOError:
            break
    # writable again once the command has taken some of it in (at once, had it begun before the pipe filled)
    assert select.select([], [pipe], [], 60)[1], "backcalc step - never began reading its standard input"
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 130, (proc.returncode, err)
    assert err == "backcalc: interrupted\n", err


# -- D: control characters in the user's text ----------------------------------------------------

EVIL = r'''name: "evil\e[2J\e[H"
description: "clears\e[H the screen"
inputs: [0.05, 0.10]
target: 0.01
layers:
  - activation: sigmoid
    names: ["h\e[1A1", h2]
    weights:
      - ["w\e[31m1": 0.15, w2: 0.20]
      - [w3: 0.25, w4: 0.30]
    biases: [b1: 0.35, b1: 0.35]
  - activation: sigmoid
    names: ["o\aut"]
    weights: [[w5: 0.40, w6: 0.45]]
    biases: [b2: 0.60]
loss: half_squared_error
learning_rate: 0.5
'''

CSV_SPEC = """data: {file: d.csv, target_columns: [y]}
layers:
  - activation: sigmoid
    weights: [[0.1, 0.2]]
    biases: [0.1]
loss: mse
learning_rate: 0.5
"""


@pytest.fixture
def evil(tmp_path):
    (tmp_path / "evil.yaml").write_text(EVIL)
    (tmp_path / "d.csv").write_text("x\x1b[2J1,x\x9b2,y\n0.05,0.1,0.01\n")
    (tmp_path / "csv.yaml").write_text(CSV_SPEC)
    (tmp_path / "answers.yaml").write_text('"w\\e[31m1_new": 1\nL: 0.274811083\n')
    return tmp_path


HUMAN_VIEWS = {
    "step": ["step", "SPEC"], "round": ["step", "SPEC", "--round", "3", "--per-sample"],
    "adam": ["step", "SPEC", "--set", "optimizer=adam"], "markdown": ["step", "SPEC", "-f", "markdown"],
    "latex": ["step", "SPEC", "-f", "latex"], "blank": ["step", "SPEC", "-f", "markdown", "--blank"],
    "dot": ["graph", "SPEC"], "mermaid": ["graph", "SPEC", "-f", "mermaid"], "train": ["train", "SPEC", "-e", "3"],
    "forward": ["forward", "SPEC"], "gradcheck": ["gradcheck", "SPEC", "--no-torch"],
}


@pytest.mark.parametrize(("view", "spec"), [(view, spec) for spec in ("evil.yaml", "csv.yaml") for view in HUMAN_VIEWS
                                            if spec == "evil.yaml" or view not in ("train", "gradcheck")])
def test_control_characters_reach_no_human_view_raw(evil, view, spec):
    r = cli(*[str(evil / spec) if a == "SPEC" else a for a in HUMAN_VIEWS[view]], env={"FORCE_COLOR": "1"})
    assert r.exit_code == 0, r.stderr
    text = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)  # rich's own colours (FORCE_COLOR) are fine
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text[:2000])
    assert "\\x1b" in text  # escaped, not dropped: the user sees what the spec holds


def test_control_characters_reach_no_check_table_raw(evil):
    r = cli("check", evil / "evil.yaml", "--answers", evil / "answers.yaml", "--no-color")
    assert r.exit_code == 1, r.stderr
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", r.stdout), repr(r.stdout)
    assert "w\\x1b[31m1_new" in r.stdout and r.stdout.rstrip().endswith("1 of 2 right; 1 wrong, starting at "
                                                                          "w\\x1b[31m1_new.")


def test_escaped_names_keep_the_table_aligned(evil):
    lines = cli("forward", evil / "evil.yaml", "--no-color").stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("layer"))
    rows = [line for line in lines if re.search(r"\d\.\d{5}\s*$", line)]
    assert rows and {len(row) for row in rows} == {len(header)}, "\n".join([header, *rows])


# -- E: a stream that cannot encode the symbols ----------------------------------------------------

ENCODINGS = {"ascii": {"PYTHONIOENCODING": "ascii"}, "latin-1": {"PYTHONIOENCODING": "latin-1"},
             "C locale": {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}}
TABLE_COMMANDS = {
    "step": ["step", XOR], "round": ["step", XOR, "--round", "3", "--per-sample"],
    "adam": ["step", XOR, "--set", "optimizer=adam"], "train": ["train", XOR, "-e", "30"],
    "forward": ["forward", XOR], "check": ["check", MAZUR, "--answers", "ANSWERS"],
    "gradcheck": ["gradcheck", XOR, "--no-torch"], "markdown": ["step", XOR, "-f", "markdown"],
    "graph": ["graph", XOR], "help": ["step", "--help"],
}


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+\.\d+", text.replace("−", "-"))


@pytest.mark.parametrize("name", TABLE_COMMANDS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_stream_without_the_symbols_gets_ascii_spellings(name, encoding, answers):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "PYTHONUTF8")}
    env = {**env, "COLUMNS": "100", **ENCODINGS[encoding]}
    told = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdout.encoding)"], env=env,
                          capture_output=True, text=True).stdout.strip().lower()
    assert told in ("ascii", "us-ascii", "ansi_x3.4-1968", "latin-1", "iso8859-1"), told  # the premise holds
    args = [str(answers) if a == "ANSWERS" else a for a in TABLE_COMMANDS[name]]
    r = subprocess.run([str(BACKCALC), *args], capture_output=True, env=env, timeout=120)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 0, err
    assert "Traceback" not in err and "internal error" not in err
    out = r.stdout.decode("latin-1" if encoding == "latin-1" else "ascii")  # strictly: no byte it cannot hold
    utf8 = run(args).stdout.decode()
    # complete: every number (a longer ASCII spelling may wrap a cell elsewhere, so not always in order)
    assert Counter(_numbers(out)) == Counter(_numbers(utf8))
    if name == "step":
        assert "dL/dp" in out and "delta = dl/dz" in out and "p <- p - eta" in out
        assert max(len(line) for line in out.splitlines()) <= 100


def test_json_on_a_stream_without_the_symbols_is_exact():
    r = run(["step", XOR, "--json"], env={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.decode("ascii")) == json.loads(run(["step", XOR, "--json"]).stdout)


# -- 13.7: no trailing spaces ----------------------------------------------------------------------

@pytest.mark.parametrize("args", [["step", XOR], ["train", XOR, "-e", "20"], ["forward", XOR],
                                  ["gradcheck", XOR, "--no-torch"]])
def test_tables_have_no_trailing_spaces(args):
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    assert [line for line in r.stdout.splitlines() if line.endswith(" ")] == []
