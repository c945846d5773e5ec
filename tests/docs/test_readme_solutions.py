"""docs/solutions.md (the README's worked-solutions section) shows real output only."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from readme_blocks import blocks
from readme_blocks import run_block as run

DOC = (ROOT / "docs" / "solutions.md").read_text()


@pytest.mark.parametrize("args,expected", [(a, o) for a, o, _ in blocks(DOC)], ids=lambda x: str(x)[:40])
def test_pasted_console_output_is_real(args, expected):
    assert run(args) == expected, f"`backcalc {args}` is stale: run tools/readme_blocks.py docs/solutions.md"


def test_the_markdown_excerpt_is_real():
    excerpt = re.search(r"````markdown\n<!-- backcalc (.*?) -->\n(.*?)````", DOC, re.S)
    real = run(excerpt[1])
    math_blocks = re.findall(r"```math\n\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", excerpt[2], re.S)
    assert len(math_blocks) == 2
    for block in math_blocks:
        lines = block.splitlines()
        start = real.index(lines[0])
        for line in lines:  # contiguous lines of the real document (a block's last line loses its `\\`)
            assert real[start:].startswith(line), line
            start = real.index("\n", start) + 1


def test_the_exact_table_is_real():
    table = re.search(r"```\n(Update: p ← p − η·∂L/∂p\n.*?)```", DOC, re.S)[1]
    assert run("step configs/relu_seed.yaml --exact").rstrip("\n").endswith(table.rstrip("\n"))


def test_every_new_command_and_option_is_mentioned():
    for text in ["backcalc gradcheck", "--format markdown", "--format latex", "--format json", "--format table",
                 "--blank", "--solution", "--exact", "--eps", "--tol", "--no-torch", "--digits", "docs/exact.md"]:
        assert text in DOC, text
