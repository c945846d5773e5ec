"""The page's drawing of every layer kind in a real browser (headless Chromium): `step --format
html` through the CLI draws the network as `backcalc graph` builds it — every label of every node
and edge is a text the browser lays out inside the drawing, one line per edge, each ending at the
row of its target where its weight is written, a max pool's winners in the gradient's colour — and
an exercise (--blank) draws the same lines without the results or the winners. Screenshots go to
/tmp (html_browser.SCREENSHOTS). Skipped cleanly where no browser is installed."""

from __future__ import annotations

import pytest
from html_browser import browser  # noqa: F401 (the fixture)
from test_page_browser import write_page

import backcalc
from backcalc.render import graph

SVG = "document.querySelector('svg.network')"
TEXTS = f"return Array.from({SVG}.querySelectorAll('text')).map(t => t.textContent)"
# each line's ends, and whether the end lies on a box's left edge beside a row of text there
LINES = (f"const svg = {SVG}; const rects = Array.from(svg.querySelectorAll('rect')).map(r => r.getBBox());"
         "return Array.from(svg.querySelectorAll('line')).map(l => { const x2 = l.x2.baseVal.value, "
         "y2 = l.y2.baseVal.value; return [l.getAttribute('class'), l.x1.baseVal.value < x2, "
         "rects.some(r => Math.abs(r.x - x2) < 0.5 && r.y <= y2 && y2 <= r.y + r.height)]; })")
INSIDE = (f"const svg = {SVG}, w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height; "
          "return Array.from(svg.querySelectorAll('text')).filter(t => { const b = t.getBBox(); "
          "return b.width === 0 || b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h; }).length")


@pytest.mark.parametrize("name, winners", [("conv_image", 4), ("batchnorm_batch", 0), ("rnn_sequence", 0)])
def test_the_page_draws_every_kind(browser, tmp_path, config, name, winners):  # noqa: F811
    spec = config(name)
    browser.open(write_page(tmp_path, spec))
    columns, edges = graph.build(backcalc.step(spec))
    drawn = browser.js(TEXTS)
    fields = [f for c in columns for n in c for f in n.fields] + [f for e in edges for f in e.fields]
    assert [f for f in fields if (", ".join(f) if isinstance(f, tuple) else f) not in drawn] == []
    assert browser.js(INSIDE) == 0  # every text laid out, none outside the drawing
    lines = browser.js(LINES)
    assert len(lines) == len(edges)
    assert all(forward and on_a_box for _, forward, on_a_box in lines)  # left to right, into a box
    assert sum("strong" in cls for cls, *_ in lines) == winners
    red = browser.js(f"return Array.from({SVG}.querySelectorAll('text.strong')).map(t => getComputedStyle(t).fill)")
    assert len(red) == 2 * winners and set(red) <= {"rgb(198, 40, 40)"}  # a row of two cells, in --wrong
    browser.screenshot(f"graph-{name}.png")


def test_the_exercise_draws_the_lines_without_results_or_winners(browser, tmp_path, config):  # noqa: F811
    spec = config("conv_image")
    browser.open(write_page(tmp_path, spec, "--blank"))
    drawn = browser.js(TEXTS)
    assert "K1[1,1,1,1] = 0.5" in drawn and drawn.count("K1[1,1,1,1] = 0.5") == 9  # tied over 9 positions
    assert not [t for t in drawn if t.startswith(("z = ", "δ = ", "∂")) or "max" in t.replace("max pool", "")]
    lines = browser.js(LINES)
    assert len(lines) == len(graph.build(backcalc.step(spec))[1]) and not any("strong" in c for c, *_ in lines)
