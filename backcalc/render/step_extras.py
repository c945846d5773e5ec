"""Tables `step` adds on request: hand-rounding drift (`--round N`) and per-sample derivatives (`--per-sample`)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .numbers import fmt
from .table import HEAD_RULE


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", title_style="bold", box=HEAD_RULE, pad_edge=False,
                 min_width=len(title) + 1)


def drift_table(rows: list[dict], decimals: int, digits: int = 5) -> Group:
    """`rows`: the `hand_rounding.quantities` of step's JSON."""
    shown = max(digits, decimals + 2)
    table = _table(f"Hand-rounding: every intermediate rounded to {decimals} decimals")
    table.add_column("quantity", justify="left")
    table.add_column("exact", justify="right", no_wrap=True)
    table.add_column("by hand", justify="right", no_wrap=True)
    table.add_column("drift", justify="right", no_wrap=True)
    for row in rows:
        if row["drift"] is None:
            drift = "not finite"  # only one of exact and by hand is finite
        else:
            drift = f"{row['drift']:+d} in decimal {decimals}".replace("-", "−") if row["drift"] else ""
        table.add_row(row["quantity"], fmt(row["exact"], shown), fmt(row["by_hand"], decimals), drift,
                      style="bold" if row["drift"] != 0 else None)
    return Group(table, Text(drift_summary(rows, decimals)))


def drift_summary(rows: list[dict], decimals: int) -> str:
    drifted = [r for r in rows if r["drift"] != 0]
    if not drifted:
        return (f"Rounding to {decimals} decimals along the way changes nothing: every value by hand is the "
                "exact one rounded.")
    first = drifted[0]
    return (f"Rounding to {decimals} decimals along the way drifts at {len(drifted)} of {len(rows)} quantities, "
            f"first at {first['quantity']} (by hand {fmt(first['by_hand'], decimals)}, exact "
            f"{fmt(first['exact'], decimals + 2)}).")


def per_sample_table(data: dict, digits: int = 5) -> Table:
    samples = data["samples"]
    how = data["reduction"]
    table = _table(f"Per sample, before the {how} over the batch: ∂ℓₙ/∂a, δₙ = ∂ℓₙ/∂z and ∂ℓₙ/∂p")
    table.add_column("", justify="left")
    for s in samples:
        table.add_column(f"sample {s}", justify="right", no_wrap=True)
    table.add_column(f"{how} = ∂L/∂p", justify="right", no_wrap=True)
    table.add_row("ℓₙ", *[fmt(v, digits) for v in data["losses"]], "")
    table.add_section()
    for neuron, values in data["dL_da"].items():
        table.add_row(f"∂ℓ/∂{neuron}", *[fmt(v, digits) for v in values], "")
    table.add_section()
    for neuron, values in data["delta"].items():
        table.add_row(f"δ_{neuron}", *[fmt(v, digits) for v in values], "")
    table.add_section()
    for name, values in data["grad"].items():
        table.add_row(f"∂ℓ/∂{name}", *[fmt(v, digits) for v in values], fmt(data["reduced_grad"][name], digits))
    return table
