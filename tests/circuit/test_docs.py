"""docs/circuits.md's pasted output is real (make readme rewrites it), and the page is bundled."""

from __future__ import annotations

from conftest import ROOT, cli


def test_pasted_output_is_real():
    from readme_blocks import blocks
    from readme_blocks import run_block as run

    found = blocks((ROOT / "docs" / "circuits.md").read_text())
    assert len(found) >= 3
    for args, expected, _ in found:
        assert run(args) == expected, f"docs/circuits.md: `backcalc {args}` is stale (make readme)"


def test_the_page_is_bundled_and_listed():
    assert cli("docs", "circuits").stdout == (ROOT / "docs" / "circuits.md").read_text()
    assert any(line.startswith("circuits ") for line in cli("docs").stdout.splitlines())
