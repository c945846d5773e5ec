"""docs/layers.md shows real output only: every console block is what the command prints."""

from __future__ import annotations

import pytest
from conftest import ROOT
from readme_blocks import blocks
from readme_blocks import run_block as run

DOC = (ROOT / "docs" / "layers.md").read_text()


@pytest.mark.parametrize("args,expected", [(a, o) for a, o, _ in blocks(DOC)], ids=lambda x: str(x)[:40])
def test_pasted_console_output_is_real(args, expected):
    assert run(args) == expected, f"`backcalc {args}` is stale: run tools/readme_blocks.py docs/layers.md"


def test_every_kind_is_documented():
    from backcalc.schema import LAYER_TYPES

    for kind in LAYER_TYPES[1:]:
        assert f"`{kind}`" in DOC
