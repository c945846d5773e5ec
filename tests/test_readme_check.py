"""docs/readme-check.md (the README's "check your homework" section) holds real output."""

from __future__ import annotations

import pytest
from conftest import ROOT
from readme_blocks import blocks, run

DOC = (ROOT / "docs" / "readme-check.md").read_text()


@pytest.mark.parametrize("args,expected", [(a, o) for a, o, _ in blocks(DOC)], ids=lambda x: str(x)[:40])
def test_pasted_output_is_real(args, expected):
    assert run(args) == expected, "stale: run `.venv/bin/python tests/readme_blocks.py docs/readme-check.md`"
