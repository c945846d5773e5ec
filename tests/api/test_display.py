"""Jupyter's rich display of the results (`_repr_mimebundle_`), tested without a kernel:
the four mime types, the HTML tables holding the numbers the terminal's tables show, no colour
named, Markdown maths, the loss curve as SVG, the check's verdicts and causes."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from conftest import CONFIGS, cli

import backcalc

MIMES = {"text/plain", "text/html", "text/markdown", "application/json"}


class Tables(HTMLParser):
    """The text of every table cell of an HTML fragment, table by table, and every tag seen."""

    def __init__(self):
        super().__init__()
        self.tables, self.tags, self.cell = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def parsed(html: str) -> Tables:
    p = Tables()
    p.feed(html)
    p.close()
    return p


def assert_no_colour(html: str):
    """Light and dark themes alike: no colour named, only the page's own (currentColor)."""
    for tag, attrs in parsed(html).tags:
        for key in ("fill", "stroke", "color", "bgcolor"):
            assert attrs.get(key, "currentColor") in ("currentColor", "none"), (tag, attrs)
        for prop in (attrs.get("style") or "").split(";"):
            name = prop.partition(":")[0].strip()
            assert "color" not in name and "background" not in name and name not in ("fill", "stroke"), (tag, prop)
    assert "<style" not in html and "class=" not in html.replace('class="backcalc"', "")


@pytest.mark.parametrize("name", ["mazur", "batch_seed", "softmax_classifier", "sigmoid_seed_adam"])
def test_a_step_shows_its_tables(name):
    result = backcalc.step(str(CONFIGS / f"{name}.yaml"))
    bundle = result._repr_mimebundle_()
    assert set(bundle) == MIMES
    assert bundle["text/plain"] == repr(result) and len(bundle["text/plain"]) < 200
    assert bundle["application/json"] == result.to_dict()
    json.dumps(bundle["application/json"], allow_nan=False)
    html = parsed(bundle["text/html"])
    assert len(html.tables) == 6  # forward, loss, backward, gradients, input gradients, update
    cells = {c for table in html.tables for c in table}
    terminal = cli("step", str(CONFIGS / f"{name}.yaml"), env={"COLUMNS": "200"}).stdout
    for p in result.parameters:  # every parameter's new value, as the terminal's table writes it
        assert p.name in cells
    new_values = [c for c in html.tables[5]]
    for value in new_values:
        if re.fullmatch(r"−?\d+\.\d+(e−?\d+)?", value):
            assert value in terminal, value
    assert_no_colour(bundle["text/html"])
    md = bundle["text/markdown"]
    assert md.count("\n|---") + md.count("\n|:--") == 6 and r"$\partial L/\partial p$" in md


def test_include_and_exclude_pick_mime_types():
    result = backcalc.step(str(CONFIGS / "mazur.yaml"))
    assert set(result._repr_mimebundle_(include={"text/html", "text/plain"})) == {"text/html", "text/plain"}
    assert set(result._repr_mimebundle_(exclude={"text/html"})) == MIMES - {"text/html"}


def test_a_training_run_shows_its_loss_curve_and_final_parameters():
    run = backcalc.train(str(CONFIGS / "xor.yaml"), 300)
    bundle = run._repr_mimebundle_()
    assert set(bundle) == MIMES and bundle["application/json"] == run.result.to_dict()
    html = parsed(bundle["text/html"])
    svg = [attrs for tag, attrs in html.tags if tag == "polyline"]
    assert len(svg) == 1 and len(svg[0]["points"].split()) == 200  # the curve, resampled to 200 points
    assert svg[0]["stroke"] == "currentColor"
    cells = html.tables[0]
    for name in run.result.parameters:
        assert name in cells
    assert_no_colour(bundle["text/html"])
    assert "Final parameters after 300 epochs" in bundle["text/markdown"]


def test_a_short_run_draws_every_epoch():
    result = backcalc.train(str(CONFIGS / "mazur.yaml"), 3).result
    points = [attrs for tag, attrs in parsed(result._repr_mimebundle_()["text/html"]).tags if tag == "polyline"]
    assert len(points[0]["points"].split()) == 3


def test_a_check_shows_marks_and_numbered_causes():
    result = backcalc.check(str(CONFIGS / "sigmoid_seed.yaml"), str(CONFIGS / "answers" / "sigmoid_seed.yaml"))
    bundle = result._repr_mimebundle_()
    assert set(bundle) == MIMES and bundle["application/json"] == result.to_dict()
    html = parsed(bundle["text/html"])
    cells = html.tables[0]
    assert cells.count("✗") == len(result.wrong) and cells.count("✓") == len(result.verdicts) - len(result.wrong)
    terminal = cli("check", str(CONFIGS / "sigmoid_seed.yaml"), "--answers",
                   str(CONFIGS / "answers" / "sigmoid_seed.yaml"), env={"COLUMNS": "200"}).stdout
    for line in terminal.splitlines():  # the numbered causes and the summary, as the terminal has them
        if line.startswith("(") or line.endswith("."):
            assert " ".join(line.split()) in " ".join(bundle["text/html"].split()).replace("&#x27;", "'"), line
    assert_no_colour(bundle["text/html"])
