"""docs/everyday.md (the README's everyday-use section) shows real output only."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import ROOT, cli
from readme_blocks import COLUMNS, blocks
from readme_blocks import run_block as run

DOC = (ROOT / "docs" / "everyday.md").read_text()


def plain(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


@pytest.mark.parametrize("args,expected", [(a, o) for a, o, _ in blocks(DOC)], ids=lambda x: str(x)[:40])
def test_pasted_console_output_is_real(args, expected):
    assert run(args) == expected, f"`backcalc {args}` is stale: run tools/readme_blocks.py docs/everyday.md"


def test_the_mermaid_drawing_is_real():
    drawn = re.search(r"```mermaid\n(.*?)```", DOC, re.S)[1]
    assert drawn == run("graph configs/mazur.yaml --format mermaid")


def transcript(containing: str) -> list[tuple[str, str]]:
    """`$ command` lines and what follows them, from the plain ``` block that contains `containing`."""
    block = next(b for b in re.findall(r"^```\n(\$ backcalc.*?)^```", DOC, re.S | re.M) if containing in b)
    parts = re.split(r"^\$ (.*)\n", block, flags=re.M)[1:]
    return list(zip(parts[::2], parts[1::2], strict=True))


def test_the_pasted_errors_are_real():
    pasted = transcript("--set learning_rate=fast")
    assert len(pasted) == 2
    for command, output in pasted:
        args = command.split()[1:]
        r = cli(*args, env={"NO_COLOR": "1", "COLUMNS": COLUMNS})
        assert r.exit_code == 2 and r.stdout == ""
        assert r.stderr == output


def test_the_pasted_pipeline_is_real():
    (command, output), = transcript("| backcalc step -")
    assert command == ("backcalc train configs/mazur.yaml --epochs 50 --emit-spec --quiet | "
                       "backcalc step - --quiet | tail -11")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        first = cli("train", "configs/mazur.yaml", "--epochs", "50", "--emit-spec", "--quiet")
    finally:
        os.chdir(cwd)
    second = cli("step", "-", "--quiet", input=first.stdout, env={"NO_COLOR": "1", "COLUMNS": COLUMNS})
    assert second.exit_code == 0, second.stderr
    assert plain("".join(line + "\n" for line in second.stdout.splitlines()[-11:])) == output  # as `tail -11`


def test_the_pasted_plot_message_is_real(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = cli("train", str(ROOT / "configs" / "mazur.yaml"), "--plot", tmp_path / "loss.png")
    assert r.exit_code == 2
    assert f"```\n{r.stderr}```" in DOC


def test_every_new_command_and_option_is_mentioned():
    for text in ["backcalc forward", "--inputs", "--set", "--emit-spec", "--quiet", "--plot", "backcalc graph",
                 "--format mermaid", "--sample", "--full", "--no-color", "NO_COLOR", "--version",
                 "--install-completion", "--show-completion"]:
        assert text in DOC, text
