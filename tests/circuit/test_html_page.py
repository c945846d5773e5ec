"""`step --format html` on a circuit: the networks' self-contained page, with the circuit's solution and tables."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
from conftest import CONFIGS, cli, network_configs
from random_circuits import circuit, spec_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "html"))
from test_page import NUMBER, SVG_NS, checked  # noqa: E402  the network page's checks

CIRCUITS = sorted(p.stem for p in set(CONFIGS.glob("*.yaml")) - set(network_configs()))


def page(spec, *args) -> str:
    result = cli("step", spec, "--format", "html", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    checker = checked(html)  # every element closed in order
    assert checker.fetching == []  # no src, href, url( a browser would load
    assert re.findall(r"https?://[^\s\"'<>]*|@import|//cdn", html) == [SVG_NS] * html.count(SVG_NS)
    assert "default-src 'none'" in html
    maths = re.findall(r"<math\b.*?</math>", html, re.S)
    assert maths, "the maths is MathML"
    for m in maths:
        ET.fromstring(m)
    assert "prefers-color-scheme: dark" in html  # the networks' style sheet, light and dark
    assert "<details open" in html
    assert re.findall(r'<mi mathvariant="normal">(big|underline|frac)<', html) == []  # no command left unread


def test_the_bundled_circuits_are_listed():
    assert {"cs231n_circuit", "micrograd"} <= set(CIRCUITS)


@pytest.mark.parametrize("name", CIRCUITS)
@pytest.mark.parametrize("mode", [[], ["--blank"]])
def test_every_bundled_circuit_page_is_well_formed_and_self_contained(name, mode):
    assert_self_contained(page(str(CONFIGS / f"{name}.yaml"), *mode))


@pytest.mark.parametrize("name", CIRCUITS)
def test_the_page_shows_every_number_of_the_node_and_leaf_tables(name):
    spec = str(CONFIGS / f"{name}.yaml")
    text = unescape(" ".join(checked(page(spec)).text))
    tables = cli("step", spec, env={"COLUMNS": "400"})
    assert tables.exit_code == 0, tables.stderr
    shown = set(NUMBER.findall(tables.stdout))
    assert shown and sorted(n for n in shown if n not in text) == []
    for node in json.loads(cli("step", spec, "--json").stdout)["nodes"]:
        assert node["name"] in text


def test_the_exercise_page_keeps_the_leaves_and_hides_the_results(config):
    spec = config("micrograd")
    step = json.loads(cli("step", spec, "--json").stdout)
    blank = page(spec, "--blank")
    text = unescape(" ".join(checked(blank).text))
    assert "<h1>Exercise" in blank and blank.count('class="blank"') > 10
    assert "The step's tables" not in blank
    for value in step["leaves"].values():
        assert f"{abs(value):g}" in text
    for computed in ("24.704", "27.766", "83.300", "13.883"):  # the output, gradients
        assert computed not in blank
        assert computed in page(spec)


def test_the_page_goes_to_output_and_its_solution_alongside(tmp_path, config):
    spec = config("micrograd")
    target, solution = tmp_path / "exercise.html", tmp_path / "solution.html"
    result = cli("step", spec, "-f", "html", "--blank", "-o", str(target), "--solution", str(solution))
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8") == page(spec, "--blank")
    assert solution.read_text(encoding="utf-8") == page(spec)


def test_a_quiz_is_refused_in_one_line(config):
    result = cli("step", config("micrograd"), "-f", "html", "--quiz")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "--quiz: not written for circuits yet" in result.stderr


@pytest.mark.parametrize("seed", range(8))
def test_random_circuits_pages_are_self_contained(seed, tmp_path):
    path = tmp_path / "circuit.yaml"
    path.write_text(spec_text(*circuit(seed)), encoding="utf-8")
    html = page(str(path))
    assert_self_contained(html)
    text = unescape(" ".join(checked(html).text))
    tables = cli("step", str(path), env={"COLUMNS": "400"}).stdout
    assert sorted(n for n in set(NUMBER.findall(tables)) if n not in text) == []
