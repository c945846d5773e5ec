"""The input gradients of a step whose network has conv, pool, flatten, batchnorm or rnn layers: each
input's ∂ℓ/∂x with how layer 1 sends it back (as its kind sends ∂ℓ/∂a to a unit below it), the table
a dense network's step shows after its gradients."""

from __future__ import annotations

from rich.table import Table

from ..result import StepResult
from .layer_gradients import sent_back
from .layer_tables import MAX_UNITS_SHOWN, samples
from .numbers import fmt_once as fmt
from .summary import hidden_count, pick
from .table import gap_row, titled_table


def input_table(result: StepResult, d: int, full: bool) -> Table:
    many = len(result.batch) > 1
    l_ = "ℓ" if many else "L"
    names = result.input_names
    table = titled_table(f"Input gradients: ∂{l_}/∂x per input" + (" and sample" if many else ""),
                         ("input", "left"), *([("sample", "right")] if many else []), ("from", "left"),
                         (f"∂{l_}/∂x", "right"))
    shown = samples(result, full)
    for j in pick(len(names), full or len(names) <= MAX_UNITS_SHOWN):
        if j is None:
            gap_row(table, "inputs", hidden_count(len(names)), 3 + many, at=1 + many, mark=0)
            continue
        before = None
        for s in shown:
            how = sent_back(result, result.layers[0], j, s, d)  # written again only where a sample's differs
            table.add_row(names[j] if s == shown[0] else "", *([str(result.batch[s] + 1)] if many else []),
                          how if how != before else "", fmt(result.input_gradients[s, j], d))
            before = how
        if many:
            table.add_section()
    return table
