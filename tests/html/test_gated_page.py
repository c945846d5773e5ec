"""The gated recurrent layers' step page in headless Chromium: every parameter and its gradient, laid
out as MathML, nothing fetched. Skipped cleanly where no browser is installed."""

from __future__ import annotations

import pytest
from conftest import CONFIGS, cli, cli_json
from html_browser import browser  # noqa: F401 (the fixture)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_the_gated_page_shows_every_parameter(browser, tmp_path, kind):  # noqa: F811
    spec = CONFIGS / f"{kind}_sequence.yaml"
    path = tmp_path / "page.html"
    result = cli("step", spec, "--format", "html", "-o", str(path), "-q")
    assert result.exit_code == 0, result.stderr
    browser.open(path)
    assert browser.requested() == [path.resolve().as_uri()]
    text = browser.js("return document.body.textContent")
    names = [p["name"] for p in cli_json("step", spec)["parameters"]]
    assert [n for n in names if n not in text] == []
    maths = browser.js("return Array.from(document.querySelectorAll('math')).map(m => m.getBoundingClientRect().width)")
    assert len(maths) > 20 and all(w > 0 for w in maths)
    summaries = browser.js("return Array.from(document.querySelectorAll('details > summary')).map(s => s.textContent)")
    assert summaries[:6] == ["Given", "1. Forward pass", "2. Loss", "3. Backward pass", "4. Gradients", "5. Update"]
    browser.screenshot(f"step-{kind}.png")
