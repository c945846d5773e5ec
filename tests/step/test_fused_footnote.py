"""The footnote under the backward pass of a fused output layer says what its symbols are."""

from __future__ import annotations

import re

import pytest
from conftest import CONFIGS, cli


@pytest.mark.parametrize("name", ["xor", "wide_bce"])
def test_a_fused_formula_with_k_says_k_counts_the_outputs(name, tmp_path):
    if name == "xor":  # sigmoid with bce: δ = (y − t)/K
        spec = CONFIGS / "xor.yaml"
    else:  # the same pair with two outputs, where K = 2 matters
        spec = tmp_path / "two.yaml"
        spec.write_text("inputs: [1, 2]\ntargets: [1, 0]\nloss: bce\nlayers:\n"
                        " - activation: sigmoid\n   weights: [[0.1, 0.2], [0.3, 0.4]]\n   biases: [0, 0]\n")
    r = cli("step", str(spec), env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.stderr
    note = next(line for line in r.stdout.splitlines() if line.startswith("* sigmoid with bce"))
    assert "(y − t)/K directly (K outputs)" in note, note


def test_a_fused_formula_without_k_names_no_k():
    r = cli("step", str(CONFIGS / "softmax_classifier.yaml"), env={"COLUMNS": "120"})
    note = next(line for line in r.stdout.splitlines() if line.startswith("* softmax with cross_entropy"))
    assert "K" not in note, note


@pytest.mark.parametrize("name", ["xor", "softmax_classifier"])
def test_the_note_wraps_at_80_columns_under_itself(name):
    """Item 6 of issue 13: a note that wraps used to go on at column 0, under its `*`."""
    for colour in ({"NO_COLOR": "1"}, {"FORCE_COLOR": "1"}):
        out = cli("step", str(CONFIGS / f"{name}.yaml"), env={"COLUMNS": "80", **colour}).stdout
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.splitlines()]
        at = next(i for i, line in enumerate(lines) if line.startswith("* "))
        assert len(lines[at]) <= 80 and lines[at + 1].startswith("  ") and lines[at + 1].strip(), lines[at:at + 2]
        assert "∂a/∂z" in lines[at + 1]  # the wrapped rest of the note, indented
