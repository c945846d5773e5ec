"""The worked-solution page of a recurrent network in headless Chromium: every number of each time
step's block (forward and backward through time) and of each weight's sum over time, as the Markdown
solution writes them (tests/step/test_rnn_solution.py proves those are the JSON's), is in the page and
laid out as MathML; and the pages of conv, pool, batchnorm and rnn networks show the input gradients
the step table shows. Skipped cleanly where no browser is installed."""

from __future__ import annotations

import re

import pytest
from conftest import cli, cli_json
from html_browser import browser  # noqa: F401 (the fixture)
from test_page import NUMBER


def written(spec: str, fmt: str, *args) -> str:
    result = cli("step", spec, "--format", fmt, "-q", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_rnn_page_shows_every_time_steps_numbers(browser, tmp_path, config):  # noqa: F811
    spec = config("rnn_sequence")
    md = written(spec, "markdown")
    steps = re.findall(r"Layer 1, t = \d:\n\n```math\n(.*?)```", md, re.S)
    sums = md.split("## 4. Gradients")[1].split("## 5. Update")[0]
    numbers = {n.replace("-", "−") for block in [*steps, sums] for n in re.findall(r"-?\d+\.\d+", block)}
    assert len(steps) == 6 and len(numbers) > 40
    path = tmp_path / "page.html"
    assert cli("step", spec, "--format", "html", "-o", str(path), "-q").exit_code == 0
    browser.open(path)
    text = browser.js("return Array.from(document.querySelectorAll('math')).map(m => m.textContent).join(' ')")
    assert sorted(n for n in numbers if n not in text) == []
    widths = browser.js("return Array.from(document.querySelectorAll('math'))"
                        ".map(m => m.getBoundingClientRect().width)")
    assert widths and all(w > 0 for w in widths)
    assert browser.js("return document.body.innerText").count("Layer 1, t = ") == 6
    browser.screenshot("rnn-solution.png")


@pytest.mark.parametrize("name", ["rnn_sequence", "conv_image", "batchnorm_batch"])
def test_kind_pages_show_the_input_gradients(browser, tmp_path, config, name):  # noqa: F811
    spec = config(name)
    table = cli("step", spec, env={"COLUMNS": "400"}).stdout
    rows = table.split("Input gradients:")[1].split("\nUpdate")[0].split("─\n")[1]
    gradients = [NUMBER.findall(line)[-1] for line in rows.splitlines() if line.strip()]
    assert gradients
    path = tmp_path / "page.html"
    assert cli("step", spec, "--format", "html", "-o", str(path), "-q").exit_code == 0
    browser.open(path)
    grid = browser.js("const t = Array.from(document.querySelectorAll('table')).find(t => "
                      "(t.caption || t.previousElementSibling || {}).textContent?.includes('Input gradients')); "
                      "return t ? t.innerText : ''")
    cells = [line.split("\t") for line in grid.splitlines()[1:]]
    shown = [row[-1] for row in cells if row[0] != "⋮"]
    wide = len(cli_json("step", spec)["inputs"][0]) > 8
    assert shown == (gradients[:3] + gradients[-1:] if wide else gradients)  # wide inputs (one sample): summarised
    assert any(row[0] == "⋮" for row in cells) == wide
