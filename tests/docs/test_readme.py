"""The README is the front door: its commands exist and its pasted output is real."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, cli
from readme_blocks import blocks, run_block

README = (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", README, re.S).group(1)
    assert first_block.split() == ["make", "run", "make", "test"]


@pytest.mark.parametrize("args,expected", [(a, o) for a, o, _ in blocks(README)], ids=lambda x: str(x)[:40])
def test_pasted_output_is_real(args, expected):
    assert run_block(args) == expected, f"README output of `backcalc {args}` is stale: run `make readme`"


def test_every_command_is_documented():
    help_text = cli("--help").stdout
    commands = re.findall(r"^\s{2}(\w[\w-]*)\s{2,}", help_text.split("Commands")[1], re.M)
    assert commands
    for command in commands:
        assert f"backcalc {command}" in README, command
