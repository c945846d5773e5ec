"""docs/spec.md is complete and true: its tables are the code's own, its examples load."""

from __future__ import annotations

import re

import make_spec_doc
from conftest import ROOT, cli

from backcalc.activations import ACTIVATIONS, ALIASES
from backcalc.losses import LOSSES
from backcalc.schema import DISTRIBUTIONS, REDUCTIONS
from backcalc.spec import INIT_KEYS, LAYER_KEYS, TOP_LEVEL_KEYS

DOC = (ROOT / "docs" / "spec.md").read_text()


def test_generated_tables_are_up_to_date():
    assert make_spec_doc.update(DOC) == DOC, "regenerate: make schema (or python tools/make_spec_doc.py)"


def test_every_key_is_documented():
    for key in [*TOP_LEVEL_KEYS, *LAYER_KEYS, *INIT_KEYS]:
        assert re.search(rf"^\| `{key}` \| (?!\?)", DOC, re.M), f"`{key}` has no row in docs/spec.md"


def _row(name: str) -> str:
    return next(line for line in DOC.splitlines() if re.match(rf"\| `{name}`( \(.*\))? \|", line))


def test_every_activation_and_loss_has_its_formula_and_derivative():
    for name, a in ACTIVATIONS.items():
        row = _row(name)
        assert a.formula in row and a.derivative_formula in row
    for alias in ALIASES:
        assert f"(also `{alias}`)" in DOC
    for name, l in LOSSES.items():
        row = _row(name)
        assert l.formula in row and l.derivative_formula in row
    for word in [*REDUCTIONS, *DISTRIBUTIONS]:
        assert f"`{word}`" in DOC


def test_yaml_examples_in_the_doc_run():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
    assert len(blocks) >= 2
    for block in blocks:
        result = cli("step", "-", "--json", input=block)
        assert result.exit_code == 0, (block, result.stderr)
