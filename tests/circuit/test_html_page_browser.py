"""A circuit's page in headless Chromium: nothing fetched, every table number in the DOM, MathML laid out,
the sections fold, the colours follow the scheme. Skipped cleanly where no browser is installed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conftest import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "html"))
from html_browser import browser  # noqa: E402, F401 (the fixture)

NUMBER = re.compile(r"−?\d+(?:\.\d+)?(?:e−?\d+)?")


def test_the_circuit_page_in_a_browser(browser, tmp_path, config):  # noqa: F811
    spec = config("micrograd")
    path = tmp_path / "page.html"
    assert cli("step", spec, "-f", "html", "-o", str(path)).exit_code == 0
    browser.open(path)
    assert browser.requested() == [path.resolve().as_uri()]
    text = browser.js("return document.body.textContent")
    tables = cli("step", spec, env={"COLUMNS": "400"}).stdout
    assert sorted(n for n in set(NUMBER.findall(tables)) if n not in text) == []
    widths = browser.js("return Array.from(document.querySelectorAll('math'))"
                        ".map(m => m.getBoundingClientRect().width)")
    assert len(widths) > 10 and all(w > 0 for w in widths)
    summaries = browser.js("return Array.from(document.querySelectorAll('details > summary')).map(s => s.textContent)")
    assert summaries == ["Given", "1. Forward pass", "2. Backward pass", "3. Gradients of the leaves",
                         "The step's tables"]
    browser.screenshot("circuit-light.png")
    shown = "return document.querySelector('details:nth-of-type(2) math').checkVisibility()"
    assert browser.js(shown) is True
    browser.js("document.querySelectorAll('details').forEach(d => d.open = false)")
    assert browser.js(shown) is False
    colours = "return getComputedStyle(document.documentElement).backgroundColor"
    light = browser.js(colours)
    browser.open(path, dark=True)  # opened afresh: its sections open again
    assert browser.js(colours) != light
    browser.screenshot("circuit-dark.png")
