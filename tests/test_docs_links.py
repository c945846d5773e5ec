"""Relative links in the README and docs/ point at files that exist."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "configs" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)} links to missing {target}"
