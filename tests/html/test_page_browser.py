"""The page in a real browser (headless Chromium): the DOM holds every number the step table shows
and MathML the browser lays out, nothing is fetched, the sections fold and print, the colours
follow the system's scheme, and the quiz grades typed answers. Screenshots go to /tmp
(html_browser.SCREENSHOTS). Skipped cleanly where no browser is installed."""

from __future__ import annotations

import re

import pytest
from conftest import cli
from html_browser import browser  # noqa: F401 (the fixture)
from test_page import table_numbers

import backcalc
from backcalc.render import graph

KEY = 'document.querySelector(`.answer[data-key="${CSS.escape(arguments[0])}"]`)'


def write_page(tmp_path, spec: str, *args) -> object:
    path = tmp_path / "page.html"
    result = cli("step", spec, "--format", "html", "-o", str(path), "-q", *args)
    assert result.exit_code == 0, result.stderr
    return path


def test_the_step_page_shows_every_number_and_fetches_nothing(browser, tmp_path, config):  # noqa: F811
    spec = config("mazur")
    path = write_page(tmp_path, spec)
    browser.open(path)
    assert browser.requested() == [path.resolve().as_uri()]
    text = browser.js("return document.body.textContent")
    assert sorted(n for n in table_numbers(spec) if n not in text) == []
    maths = browser.js("return Array.from(document.querySelectorAll('math')).map(m => m.getBoundingClientRect().width)")
    assert len(maths) > 20 and all(w > 0 for w in maths)
    # laid out as mathematics, not as a run of text: a fraction is taller than a line of its digits
    tall = browser.js("const f = document.querySelector('math[display=block] mfrac'); return "
                      "f.getBoundingClientRect().height / f.querySelector('mi').getBoundingClientRect().height")
    assert tall > 1.5
    summaries = browser.js("return Array.from(document.querySelectorAll('details > summary')).map(s => s.textContent)")
    assert summaries[:6] == ["Given", "1. Forward pass", "2. Loss (half_squared_error)", "3. Backward pass",
                             "4. Gradients by the chain rule", "5. Update"]
    svg = browser.js("return Array.from(document.querySelectorAll('svg.network text')).map(t => t.textContent)")
    columns, edges = graph.build(backcalc.step(spec))  # what `backcalc graph` draws: every value is there
    fields = [f for c in columns for n in c for f in n.fields] + [f for e in edges for f in e.fields]
    drawn = set(svg)
    assert [f for f in fields if (", ".join(f) if isinstance(f, tuple) else f) not in drawn] == []
    assert {"w5 = 0.4", "∂L/∂w5 = 0.082167", "δ = ∂L/∂z = 0.1385"} <= drawn
    browser.screenshot("step-light.png")


def test_sections_fold_and_a_printout_shows_them_all(browser, tmp_path, config):  # noqa: F811
    browser.open(write_page(tmp_path, config("sigmoid_seed")))
    shown = "return document.querySelector('details:nth-of-type(3) math').checkVisibility()"
    assert browser.js(shown) is True
    browser.js("document.querySelectorAll('details').forEach(d => d.open = false)")
    assert browser.js(shown) is False
    browser.js("window.dispatchEvent(new Event('beforeprint'))")
    assert browser.js("return Array.from(document.querySelectorAll('details')).every(d => d.open)")
    browser.js("window.dispatchEvent(new Event('afterprint'))")
    assert browser.js("return Array.from(document.querySelectorAll('details')).every(d => !d.open)")


def test_colours_follow_the_scheme_and_print_in_black_on_white(browser, tmp_path, config):  # noqa: F811
    path = write_page(tmp_path, config("mazur"))
    colours = ("return [getComputedStyle(document.documentElement).backgroundColor, "
               "getComputedStyle(document.body).color]")
    browser.open(path)
    light = browser.js(colours)
    browser.open(path, dark=True)
    dark = browser.js(colours)
    browser.screenshot("step-dark.png")
    assert light == ["rgb(255, 255, 255)", "rgb(27, 31, 36)"]
    assert dark == ["rgb(21, 24, 29)", "rgb(230, 232, 235)"]
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": [
        {"name": "prefers-color-scheme", "value": "dark"}]})
    assert browser.js(colours) == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def _type(browser, key: str, text: str):  # noqa: F811
    box = browser.js(f"return {KEY}.querySelector('input')", key)
    box.clear()
    box.send_keys(text)
    row = browser.js(f"const r = {KEY}; return [r.dataset.verdict, r.dataset.upstream, "
                     "r.querySelector('output').textContent]", key)
    return row


@pytest.mark.parametrize("dark", [False, True])
def test_the_quiz_grades_answers_as_they_are_typed(browser, tmp_path, config, dark):  # noqa: F811
    path = write_page(tmp_path, config("sigmoid_seed"), "--quiz")
    browser.open(path, dark=dark)
    assert browser.requested() == [path.resolve().as_uri()]
    assert browser.js("return document.querySelectorAll('.answer input').length") == 33
    assert _type(browser, "z_h1", "0.37750") == ["right", "", "✓ right"]
    assert _type(browser, "z_h1", "0.3775") == ["right", "", "✓ right"]
    assert _type(browser, "z_h1", "0.378")[0] == "right"  # 3 decimals: half a unit is 0.0005
    assert _type(browser, "z_h1", "0.37760")[0] == "wrong"
    assert _type(browser, "z_h1", "0.3775")[0] == "right"
    assert _type(browser, "delta_h1", "0.01199") == [
        "wrong", "", "✗ wrong — updated w5 used (δ needs the old w5 = 0.4)"]
    assert _type(browser, "dL/dw1", "0.00060") == [
        "wrong", "delta_h1", "✗ wrong — follows from your delta_h1; updated w5 used (δ needs the old w5 = 0.4)"]
    assert _type(browser, "dL/dw5", "-0.082167") == ["wrong", "", "✗ wrong — sign flip in ∂L/∂y (∂ℓ/∂y = y_k − t_k)"]
    assert _type(browser, "z_h2", "−0.39250") == ["wrong", "", "✗ wrong — sign flipped (the value is right but "
                                                              "for its sign)"]
    assert _type(browser, "loss", "abc") == ["unreadable", "", "expected a number"]
    summary = browser.js("return document.getElementById('quiz-summary').textContent")
    assert summary == "1 of 5 answers right (33 quantities to find)"
    browser.js(f"{KEY}.scrollIntoView()", "dout/dz_out")
    browser.screenshot(f"quiz-wrong-{'dark' if dark else 'light'}.png")
    text = browser.js("return document.body.innerText")
    assert "0.15" in text and not re.search(r"0\.59327|0\.013368", text)  # the answers are data, never shown
