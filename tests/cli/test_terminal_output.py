"""Human output at a terminal: 80 columns, wide-layer summaries, colour switches, --version, completion.
(Golden text of forward, graph and a wide step is in tools/make_golden.py's CASES.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import CONFIGS, ROOT, cli

BACKCALC = Path(sys.executable).parent / "backcalc"
WIDE = str(ROOT / "tests" / "data" / "wide.yaml")
ESC = "\x1b"


def run(*args, columns=80, **env):
    r = cli(*args, env={"COLUMNS": str(columns), **env})
    assert r.exit_code == 0, r.stderr
    return r.stdout


# -- 80 columns and wide layers --------------------------------------------------------------

@pytest.mark.parametrize("command", [["step"], ["train", "--epochs", "30"], ["forward"]])
@pytest.mark.parametrize("config", ["mazur", "batch_seed", "relu_seed", "linear_seed", "sigmoid_seed_loop",
                                    "wide"])
def test_every_line_fits_80_columns_and_no_cell_is_cut(command, config):
    path = WIDE if config == "wide" else str(CONFIGS / f"{config}.yaml")
    out = run(*command, path)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert not re.search(r"\S…", out), re.search(r".*\S….*", out)[0]  # rich's ellipsis: a squeezed column


def test_step_summarises_wide_layers():
    out = run("step", WIDE)
    hidden = [f"h{i}" for i in range(1, 13)]
    forward_part = out.split("Loss:")[0]
    assert [h for h in hidden if re.search(rf"\s{h}\s", forward_part)] == ["h1", "h2", "h3", "h12"]
    assert "8 more neurons (--full)" in forward_part and "6 more neurons (--full)" in forward_part
    jacobian = out.split("Softmax Jacobian")[1].split("Gradients")[0]
    assert re.findall(r"z_o\d+", jacobian) == ["z_o1", "z_o2", "z_o3", "z_o10"]
    update = out.split("Update:")[1]
    assert "W1[4,1]" not in update and "W1[12,1]" in update
    shown = len(re.findall(r"^ [Wb]\d\[", update, re.M))
    assert "⋮ " + str(36 + 12 + 120 + 10 - shown) + " more (--full)" in update


def test_full_shows_every_neuron_and_parameter():
    out = run("step", WIDE, "--full", columns=200)
    forward_part = out.split("Loss:")[0]
    assert all(re.search(rf"\sh{i}\s", forward_part) for i in range(1, 13))
    jacobian = out.split("Softmax Jacobian")[1].split("Gradients")[0]
    assert re.findall(r"z_o\d+", jacobian) == [f"z_o{i}" for i in range(1, 11)]
    assert "more neurons" not in out and "(--full)" not in out
    assert len(re.findall(r"^ [Wb]\d\[", out.split("Update:")[1], re.M)) == 36 + 12 + 120 + 10


NET_8_10_3 = str(ROOT / "tests" / "data" / "net_8_10_3.yaml")


def test_forward_formulas_are_written_counted_or_left_out():
    """A weighted sum of more than 4 terms used to leave its column silently empty, even with --full."""
    out = run("step", WIDE, columns=200).split("Loss:")[0]
    assert "W1[1,1]·x1 + W1[1,2]·x2 + W1[1,3]·x3 + b1[1]" in out  # 3 inputs: written
    counted = re.findall(r"o(\d+) +1 +Σ of 12 terms \+ b2\[(\d+)\] \(--full\)", out)
    assert counted == [("1", "1"), ("2", "2"), ("3", "3"), ("10", "10")]
    full = run("step", WIDE, "--full", columns=400).split("Loss:")[0]
    for i in range(1, 11):  # every term of every output neuron, symbols and numbers
        assert " + ".join(f"W2[{i},{j}]·h{j}" for j in range(1, 13)) + f" + b2[{i}]" in full
    assert "Σ of" not in full
    # no layer's sum short enough to write out: the column is dropped, not left empty
    out = run("step", NET_8_10_3).split("Loss:")[0].split("Forward pass")[1]
    assert "z = Σ w·a + b" not in out and "Σ of" not in out and "⋮ 6 more neurons (--full)" in out
    full = run("step", NET_8_10_3, "--full", columns=400).split("Loss:")[0]
    assert "z = Σ w·a + b" in full and "W1[10,8]·x8 + b1[10]" in full and "W2[3,10]·h10 + b2[3]" in full


def test_train_summarises_many_parameters_unless_full():
    short = run("train", WIDE, "--epochs", "3")
    assert "⋮ 138 more (--full)" in short
    full = run("train", WIDE, "--epochs", "3", "--full", columns=200)
    final = full.split("Final parameters")[1]
    assert len(re.findall(r"^ [Wb]\d\[", final, re.M)) == 178 and "(--full)" not in full


# -- colour --------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["step"], ["train", "--epochs", "5"], ["forward"]])
def test_no_color_and_NO_COLOR_mean_no_escape_codes(command):
    mazur = str(CONFIGS / "mazur.yaml")
    assert ESC in run(*command, mazur, FORCE_COLOR="1")  # the check below can fail
    assert ESC not in run(*command, mazur, "--no-color", FORCE_COLOR="1")
    assert ESC not in run(*command, mazur, FORCE_COLOR="1", NO_COLOR="1")
    assert run(*command, mazur, "--no-color", FORCE_COLOR="1") == run(*command, mazur)


# -- version and completion ----------------------------------------------------------------

def test_version():
    r = cli("--version")
    assert r.exit_code == 0 and r.stdout == f"backcalc {version('backcalc')}\n"


def test_help_offers_shell_completion():
    r = cli("--help")
    assert r.exit_code == 0
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
    for command in ("step", "train", "forward", "graph"):
        assert re.search(rf"^\s+{command}\s", r.stdout, re.M)


@pytest.mark.skipif(not BACKCALC.exists(), reason="the backcalc executable is not installed in this venv")
def test_bash_completion_completes_commands_and_options():
    def complete(words: str) -> list[str]:
        env = {**os.environ, "_BACKCALC_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}
        return subprocess.run([str(BACKCALC)], env=env, capture_output=True, text=True, timeout=60).stdout.split()

    assert complete("backcalc tr") == ["train"]
    assert complete("backcalc train --em") == ["--emit-spec"]
    assert "--inputs" in complete("backcalc forward --")


@pytest.mark.parametrize("config", ["adam_neuron", "sigmoid_seed_adam"])
def test_optimizer_rule_lines_stay_indented_when_they_wrap(config):
    out = run("step", str(CONFIGS / f"{config}.yaml"))
    rule = out.split("Update: adam")[1].split(" parameter ")[0].splitlines()[1:]
    rule = [line for line in rule if line.strip()]
    assert any("frozen parameters keep" in line for line in rule) and rule[-1].strip() == "none)"  # it wraps
    assert all(line.startswith("  ") for line in rule), rule


@pytest.mark.parametrize("config", ["softmax_classifier", "mazur", "batch_seed", "relu_seed"])
def test_forward_formulas_leave_no_term_alone_on_a_line(config):
    """At 80 columns a formula wraps between terms, but its last `+ b` stays with the term before."""
    out = run("step", str(CONFIGS / f"{config}.yaml"))
    forward = out.split("Forward pass")[1].split("Loss")[0].splitlines()
    assert len(forward) > 10
    alone = [line for line in forward if re.fullmatch(r"\s+\+ \S+", line)]
    assert not alone, alone


@pytest.mark.parametrize("config", ["sigmoid_seed_adam", "adam_neuron"])
def test_optimizer_computations_never_break_inside_brackets(config):
    out = run("step", str(CONFIGS / f"{config}.yaml"))
    table = out.split(" computation ")[1]
    lines = [line for line in table.splitlines() if line.strip()]
    assert len(lines) > 10
    opened = [line for line in lines if line.count("(") != line.count(")")]
    assert not opened, opened
