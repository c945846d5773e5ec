"""Every bundled circuit through Graphviz (drawn without a warning, every wire's numbers in it) and
pdflatex (its worked solution and exercise compile, no line runs off the page)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest
from conftest import CONFIGS, cli, cli_json

CIRCUITS = sorted(p for p in CONFIGS.glob("*.yaml") if p.stem.startswith(("cs231n", "micrograd", "d2l")))


def test_the_circuits_are_these():
    assert [p.stem for p in CIRCUITS] == ["cs231n_circuit", "cs231n_gates", "cs231n_neuron", "d2l_autograd",
                                          "micrograd", "micrograd_lecture", "micrograd_neuron"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("spec", CIRCUITS, ids=lambda p: p.stem)
def test_graphviz_draws_every_wire(spec):
    r = cli("graph", str(spec), "--digits", "4")
    assert r.exit_code == 0, r.stderr
    svg = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, text=True, timeout=60)
    assert svg.returncode == 0, svg.stderr
    assert not [w for w in svg.stderr.splitlines() if "font" not in w.lower() and "metrics" not in w], svg.stderr
    drawn = " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg.stdout)).replace("−", "-")
    d = cli_json("step", str(spec))
    # every value and every gradient (a fork's sum next to its name) is in the drawing
    numbers = [n["value"] for n in d["nodes"]] + [n["grad"] for n in d["nodes"]] + list(d["gradients"].values())
    for x in numbers:
        assert re.search(rf"(?<![\d.]){re.escape(f'{x:.4f}')}(?!\d)", drawn) or f"{x:.4f}" in ("0.0000", "-0.0000"), x


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("blank", [False, True], ids=["solution", "blank"])
@pytest.mark.parametrize("spec", CIRCUITS, ids=lambda p: p.stem)
def test_latex_compiles_and_fits_the_page(spec, blank, tmp_path):
    text = cli("step", str(spec), "--format", "latex", *(["--blank"] if blank else [])).stdout
    (tmp_path / "doc.tex").write_text(text)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log)]
    assert not [x for x in overfull if x > 3], overfull
