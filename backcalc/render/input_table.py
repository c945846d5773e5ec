"""A step's input-gradient table, for a dense network and for one of other kinds alike: each input's ∂ℓ/∂x
per sample, with how layer 1 sends it back (the caller's `source`: a dense layer's Σ δ·w, a
convolution's over its windows, a max pool's winner, batch norm's three terms, through time)."""

from __future__ import annotations

from rich.table import Table

from ..result import StepResult
from .numbers import fmt_once as fmt
from .summary import SUMMARY_HEAD, pick
from .table import MAX_SAMPLES_SHOWN, gap_row, titled_table


def input_table(result: StepResult, d: int, full: bool, source, whole: bool = False) -> Table:
    """`source(j, s)`: how input j's ∂ℓ/∂x comes back in sample s, written again only where a sample's differs;
    `whole`: every input shown however many (a kind's small image), else a wide input is summarised."""
    many = len(result.batch) > 1
    l_ = "ℓ" if many else "L"
    names = result.input_names
    table = titled_table(f"Input gradients: ∂{l_}/∂x per input" + (" and sample" if many else ""),
                         ("input", "left"), *([("sample", "right")] if many else []), ("from", "left"),
                         (f"∂{l_}/∂x", "right"))
    samples = range(len(result.batch) if full else min(len(result.batch), MAX_SAMPLES_SHOWN))
    for j in pick(len(names), full or whole):
        if j is None:
            gap_row(table, "inputs", len(names) - SUMMARY_HEAD - 1, 3 + many, at=1 + many, mark=0)
            continue
        before = None
        for s in samples:
            how = source(j, s)
            table.add_row(names[j] if s == 0 else "", *([str(result.batch[s] + 1)] if many else []),
                          how if how != before else "", fmt(result.input_gradients[s, j], d))
            before = how
        if many:
            table.add_section()
    return table
