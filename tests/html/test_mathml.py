"""The LaTeX of every worked solution becomes well-formed MathML, every command in it read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import CONFIGS, cli, network_configs

from backcalc.render.html_page_math import KNOWN, aligned_mathml, to_mathml

MATH = re.compile(r"\$([^$]+)\$|\\begin\{align\*\}(.*?)\\end\{align\*\}", re.S)


def _maths(latex: str) -> list[str]:
    body = latex.split(r"\begin{document}", 1)[1]
    return [m[1] or m[2] for m in MATH.finditer(body)]


@pytest.mark.parametrize("name", [p.stem for p in network_configs()])
def test_every_formula_of_the_seed_solutions_converts(name):
    for extra in ([], ["--blank"], ["--per-sample", "--round", "2"]):
        result = cli("step", str(CONFIGS / f"{name}.yaml"), "-f", "latex", "-q", *extra)
        assert result.exit_code == 0, result.stderr
        for formula in _maths(result.stdout):
            commands = set(re.findall(r"\\([A-Za-z]+)", formula)) | set(re.findall(r"\\([^A-Za-z])", formula))
            assert commands <= KNOWN | {"\\"}, commands - KNOWN
            lines = [line for line in formula.split("\\\\") if line.strip()]
            ET.fromstring(aligned_mathml(lines) if "&" in formula else to_mathml(formula))


@pytest.mark.parametrize("latex, parts", [
    (r"\frac{\partial L}{\partial w_{5}}", ["<mfrac>", "<mi>∂</mi>", "<msub><mi>w</mi><mrow><mn>5</mn></mrow></msub>"]),
    (r"e^{-0.3775}", ["<msup><mi>e</mi><mrow><mo>−</mo><mn>0.3775</mn></mrow></msup>"]),
    (r"{b_{1}}^{\mathrm{new}}", ['<mi mathvariant="normal">new</mi>', "<msup><mrow><msub>"]),
    (r"\sqrt{\hat{v}} + \epsilon", ["<msqrt>", '<mover accent="true">', "<mi>ϵ</mi>"]),
    (r"(0.75 - 0.01)^2", ['<msup><mrow><mo lspace="0" rspace="0">(</mo><mn>0.75</mn>']),
    (r"\underline{\qquad\quad}", ['<mspace class="blank" width="3em"']),
    (r"\mathrm{my\_name}", ['<mi mathvariant="normal">my_name</mi>']),
    (r"\left(1 - a\right)", ['<mrow><mo stretchy="true" lspace="0" rspace="0">(</mo>',
                              '<mo stretchy="true" lspace="0" rspace="0">)</mo></mrow>']),
])
def test_the_converter_writes_mathml_core(latex, parts):
    out = to_mathml(latex)
    ET.fromstring(out)
    for part in parts:
        assert part in out
