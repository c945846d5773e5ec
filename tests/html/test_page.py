"""`step --format html` without a browser: the page is well-formed, self-contained, shows every
number the step's tables show, and its options behave like the other documents' (always runs)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser

import pytest
from conftest import CONFIGS, cli, network_configs, one_line

VOID = {"meta", "input", "br", "hr", "img", "link", "col", "wbr", "source", "area", "base", "embed", "track"}
NUMBER = re.compile(r"−?\d+(?:\.\d+)?(?:e−?\d+)?")
SVG_NS = "http://www.w3.org/2000/svg"


def page(*args) -> str:
    result = cli("step", *args, "--format", "html", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


class _Checker(HTMLParser):
    """Every element closed in order; every attribute that could fetch something, collected."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.fetching: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data") or \
                    (name == "style" and "url(" in (value or "")):
                self.fetching.append((tag, f"{name}={value}"))
        if tag not in VOID:
            self.stack.append(tag)
        self.in_script = tag in ("script", "style")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        self.in_script = False

    def handle_data(self, data):
        if not self.in_script:
            self.text.append(data)


def checked(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"unclosed: {checker.stack}"
    return checker


@pytest.mark.parametrize("name", [p.stem for p in network_configs()])
@pytest.mark.parametrize("mode", [[], ["--blank"], ["--quiz"]])
def test_every_seed_page_is_well_formed_and_self_contained(name, mode):
    html = page(str(CONFIGS / f"{name}.yaml"), *mode)
    assert html.startswith("<!DOCTYPE html>")
    checker = checked(html)
    assert checker.fetching == []  # nothing the browser would load: no src, href, url(
    assert re.findall(r"https?://[^\s\"'<>]*|@import|//cdn", html) == [SVG_NS] * html.count(SVG_NS)
    assert "default-src 'none'" in html  # and the page forbids itself any request
    maths = re.findall(r"<math\b.*?</math>", html, re.S)
    assert maths, "the maths is MathML"
    for m in maths + re.findall(r"<svg\b.*?</svg>", html, re.S):
        ET.fromstring(m)  # each MathML formula and the SVG drawing is well-formed XML
    assert html.count("<svg") == 1 and '<svg class="network"' in html  # every layer kind is drawn
    assert "<mi mathvariant=\"normal\">underline" not in html  # no LaTeX command left unread


def table_numbers(*args) -> set[str]:
    result = cli("step", *args, "--full", env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.stderr
    return set(NUMBER.findall(result.stdout))


@pytest.mark.parametrize("name", ["sigmoid_seed", "mazur", "batch_seed", "softmax_classifier", "adam_neuron"])
def test_the_solution_page_shows_every_number_the_step_table_shows(name):
    spec = str(CONFIGS / f"{name}.yaml")
    text = unescape(" ".join(checked(page(spec, "--full")).text))
    # the inputs' ∂ℓ/∂x are in the page's backward pass, written as the solution writes its numbers
    # (−1, not the table's −1.00000): numbers of the other tables only
    out = cli("step", spec, "--full", env={"COLUMNS": "400"}).stdout
    before, _, after = out.partition("\nInput gradients:")
    shown = set(NUMBER.findall(before + "\nUpdate" + after.partition("\nUpdate")[2]))
    missing = sorted(n for n in shown if n not in text)
    assert missing == []


def test_the_exercise_page_keeps_the_given_values_and_hides_the_results(config):
    spec = config("sigmoid_seed")
    blank = page(spec, "--blank")
    text = unescape(" ".join(checked(blank).text))
    for given in ("0.15", "0.45", "0.05", "0.01"):  # a weight, an input, the target
        assert given in text
    for computed in ("0.59327", "0.75137", "0.27481", "0.13850", "0.082167", "0.35892"):
        assert computed not in text and computed not in blank
    assert blank.count('class="blank"') > 40
    assert "<h1>Exercise: sigmoid-seed</h1>" in blank


def test_the_quiz_page_has_a_box_for_every_quantity_check_grades(config):
    spec = config("sigmoid_seed")
    quiz = page(spec, "--quiz")
    data = json.loads(re.search(r'id="backcalc-quiz-data">(.*?)</script>', quiz, re.S)[1])
    boxes = dict(re.findall(r'<div class="answer" data-index="(\d+)" data-key="([^"]+)"', quiz))
    assert len(boxes) == len(re.findall('<input id="q', quiz)) == 33  # each quantity once
    keys = [unescape(boxes[str(i)]) for i in range(len(boxes))]
    assert keys == [q["key"] for q in data["quantities"]]
    assert {"z_h1", "h1", "loss", "dL/dout", "dout/dz_out", "delta_h1", "dL/dw1", "dL/db1", "b2_new"} <= set(keys)
    assert "<script>" in quiz
    assert ["updated w5 used", "δ needs the old w5 = 0.4"] in data["mistakes"][0]["causes"].values()


def test_output_writes_the_page_to_a_file_and_refuses_to_replace_one(tmp_path, config):
    target = tmp_path / "page.html"
    result = cli("step", config("mazur"), "--format", "html", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8") == page(config("mazur"))
    again = one_line(cli("step", config("mazur"), "--format", "html", "-o", str(target)))
    assert "--output" in again and "--force" in again
    assert cli("step", config("mazur"), "-f", "html", "--quiz", "-o", str(target), "--force").exit_code == 0
    assert 'id="backcalc-quiz-data"' in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left behind


@pytest.mark.parametrize("args, expected", [
    (["--quiz"], "--quiz writes a page that grades answers in the browser: it needs --format html, got table"),
    (["--quiz", "-f", "latex"], "--quiz writes a page that grades answers in the browser: it needs --format html, "
                                "got latex"),
    (["--quiz", "-f", "html", "--round", "2"], "--quiz and --round: the quiz grades answers as `check` does "
                                               "without --round; give one of them"),
    (["-o", "x.md"], "--output writes a document: it needs --format markdown, latex or html, got table"),
    (["--blank", "--json"], "--blank writes an exercise document: it needs --format markdown, latex or html, "
                            "got json"),
])
def test_options_that_do_not_go_together_are_one_line(config, args, expected):
    assert one_line(cli("step", config("mazur"), *args)) == expected


def test_a_network_too_big_for_a_quiz_is_refused_in_one_line(config, monkeypatch):
    import backcalc.quiz

    monkeypatch.setattr(backcalc.quiz, "MAX_QUANTITIES", 100)  # xor's step has 167
    line = one_line(cli("step", config("xor"), "-f", "html", "--quiz"))
    assert "a quiz asks for every quantity of the step" in line and "use --blank" in line


def test_solution_with_a_quiz_writes_the_worked_page(tmp_path, config):
    solution = tmp_path / "solution.html"
    quiz = cli("step", config("sigmoid_seed"), "-f", "html", "--quiz", "--solution", str(solution), "-q")
    assert quiz.exit_code == 0 and 'id="backcalc-quiz-data"' in quiz.stdout
    assert solution.read_text(encoding="utf-8") == page(config("sigmoid_seed"))
