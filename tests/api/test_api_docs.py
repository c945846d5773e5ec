"""The Python examples of docs/api.md and the README run as written: every ```pycon block is a
doctest run from the repository root, its pasted output the real one."""

from __future__ import annotations

import doctest
import os
import re

import pytest
from conftest import ROOT

PAGES = [ROOT / "docs" / "api.md", ROOT / "README.md"]


def sessions(path):
    """The ```pycon blocks of a page, in order, as one doctest session (later blocks use earlier names)."""
    return "\n".join(re.findall(r"```pycon\n(.*?)```", path.read_text(encoding="utf-8"), re.S))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_the_python_examples_print_what_they_show(path, monkeypatch):
    text = sessions(path)
    assert text.count(">>> ") >= 3, f"{path.name} has Python examples"
    monkeypatch.chdir(ROOT)
    test = doctest.DocTestParser().get_doctest(text, {}, path.name, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


def test_the_api_page_is_bundled_with_the_others():
    link = ROOT / "backcalc" / "docs" / "api.md"
    assert link.is_symlink() and os.readlink(link) == "../../docs/api.md"
