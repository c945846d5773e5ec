"""Relative links in the README and docs/ point at files that exist."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, cli

DOCS = [ROOT / "README.md", ROOT / "configs" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)} links to missing {target}"




def test_every_docs_pointer_in_the_help_and_the_starter_is_a_page():
    """What `check --help`, an answers error and `init` tell a user to read can be printed."""
    pages = {line.split()[0] for line in cli("docs").stdout.splitlines()}
    texts = cli("check", "--help").stdout + cli("init", "-").stdout
    pointers = re.findall(r"backcalc docs ([\w-]+)", texts)
    assert pointers and all(p in pages for p in pointers)
    assert not re.search(r"(?<![\w`])docs/[\w-]+\.md", texts)  # no path a pip user lacks
