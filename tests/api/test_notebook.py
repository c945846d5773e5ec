"""docs/notebook.ipynb run top to bottom by a real Jupyter kernel (nbclient, ipykernel): each result
cell's output carries the four mime types, and their content is the step's, the run's and the
check's own. Skipped where nbclient, nbformat or ipykernel are not installed (the floors run)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

import backcalc

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
MIMES = {"text/plain", "text/html", "text/markdown", "application/json"}


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def result_of(cell) -> dict:
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, cell.outputs
    return results[0]["data"]


def test_the_notebook_runs_without_an_error(executed):
    assert [o for cell in executed for o in cell.outputs if o.output_type == "error"] == []


def test_a_step_displays_as_tables_with_its_json(executed):
    data = result_of(executed[0])
    assert set(data) == MIMES
    expected = backcalc.step(backcalc.example("mazur"))
    assert data["text/plain"] == repr(expected)
    assert data["application/json"] == expected.to_dict()
    assert data["text/html"].count("<table") == 6 and "Backward pass" in data["text/html"]
    assert "0.35892" in data["text/html"]  # Mazur's new w5, as the table writes it
    assert r"$\delta = \partial L/\partial z$" in data["text/markdown"]


def test_chained_steps_print_the_next_loss(executed):
    text = "".join(o.get("text", "") for o in executed[1].outputs)
    first = backcalc.step(backcalc.example("mazur"))
    second = backcalc.step(first.next_spec())
    assert text.split() == [str(first.loss), str(second.loss)]


def test_training_shows_records_then_the_curve_and_parameters(executed):
    cell = executed[2]
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    run = backcalc.train(backcalc.example("xor"), 2000, every=500)
    assert printed.splitlines() == [f"{r.epoch} {r.loss!r}" for r in run]
    data = result_of(cell)
    assert set(data) == MIMES and data["application/json"] == run.result.to_dict()
    assert re.search(r"<svg [^>]*>.*<polyline points=\"[^\"]+\"", data["text/html"])
    assert "Final parameters after 2000 epochs" in data["text/html"]


def test_a_check_shows_verdicts_and_causes(executed):
    data = result_of(executed[3])
    assert set(data) == MIMES
    assert data["application/json"]["summary"]["first_wrong"] == ["delta_h1"]
    html = data["text/html"]
    assert html.count(">✓<") == 1 and html.count(">✗<") == 2
    assert "updated w5 used (δ needs the old w5 = 0.4)" in html
    assert "| δh1 | 0.01199 | 0.0133679 | ✗ |" in data["text/markdown"]


@pytest.mark.parametrize("name", ["mazur", "batch_seed", "rnn_sequence", "conv_image", "batchnorm_batch"])
def test_a_step_in_a_kernel_shows_its_input_gradients(tmp_path, name):
    """A step displayed by a real kernel: the Input gradients grid, in HTML and Markdown, holds each
    input's ∂ℓ/∂x as the step's table writes it (a wide input summarised as the other grids are)."""
    from conftest import CONFIGS, cli

    spec = CONFIGS / f"{name}.yaml"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"import backcalc\nbackcalc.step(backcalc.load_spec({str(spec)!r}))")])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    data = result_of(nb.cells[0])
    table = cli("step", str(spec), env={"COLUMNS": "400"}).stdout
    rows = table.split("Input gradients:")[1].split("\nUpdate")[0].split("─\n")[1]
    expected = [re.findall(r"−?\d+(?:\.\d+)?(?:e−?\d+)?", line)[-1] for line in rows.splitlines() if line.strip()]
    md = data["text/markdown"].split("**Input gradients:")[1].split("**Update")[0]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines() if line.startswith("| ")]
    shown = [row[-1] for row in cells[1:] if row[0] != "⋮"]
    n_inputs = len(data["application/json"]["inputs"][0])
    assert shown == (expected[:3] + expected[-1:] if n_inputs > 8 else expected)
    html = data["text/html"].split("Input gradients:")[1].split("Update")[0]
    assert all(f">{v}</td>" in html for v in shown)
