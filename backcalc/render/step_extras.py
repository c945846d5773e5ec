"""Tables `step` adds on request: hand-rounding drift (`--round N`) and per-sample derivatives (`--per-sample`)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..handcalc import key_text
from ..result import StepResult
from .numbers import fixed, fmt
from .step_table import hidden_parameters
from .summary import pick
from .table import HEAD_RULE, MAX_SAMPLES_SHOWN


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", title_style="bold", box=HEAD_RULE, pad_edge=False,
                 min_width=len(title) + 1)


def drift_table(rows: list[dict], decimals: int, digits: int = 5, result: StepResult | None = None,
                full: bool = False) -> Group:
    """`rows`: the `hand_rounding.quantities` of step's JSON. Given the step's `result`, the rows of
    wide layers and of samples past the first few are left out as the step's tables leave them out."""
    shown = max(digits, decimals + 2)
    visible = None if full or result is None else visible_quantities(result)
    left_out = 0
    table = _table(f"Hand-rounding: every intermediate rounded to {decimals} decimals")
    table.add_column("quantity", justify="left")
    table.add_column("exact", justify="right", no_wrap=True)
    table.add_column("by hand", justify="right", no_wrap=True)
    table.add_column("drift", justify="right", no_wrap=True)
    for row in rows:
        if visible is not None and row["quantity"] not in visible:
            left_out += 1
            continue
        if row["drift"] is None:
            drift = "not finite"  # only one of exact and by hand is finite
        else:
            drift = f"{row['drift']:+d} in decimal {decimals}".replace("-", "−") if row["drift"] else ""
        table.add_row(row["quantity"], fmt(row["exact"], shown), fixed(row["by_hand"], decimals), drift,
                      style="bold" if row["drift"] != 0 else None)
    parts = [table]
    if left_out:  # below the table, as the gradients table says it
        parts.append(Text(f" ⋮ {left_out} more quantities of wide layers and of samples past the "
                          f"{MAX_SAMPLES_SHOWN}th (--full; --json has them all)", style="dim"))
    return Group(*parts, Text(drift_summary(rows, decimals)))


def visible_quantities(result: StepResult) -> set[str]:
    """The names of the quantities the step's tables show: of a wide layer its first neurons and its
    last, the first MAX_SAMPLES_SHOWN samples, the parameters of the neurons and inputs shown."""
    n = len(result.batch)
    samples = [*range(min(n, MAX_SAMPLES_SHOWN)), None]
    names = set()
    last = len(result.layers) - 1
    for layer in result.layers:
        for i in pick(len(layer.neuron_names)):
            if i is None:
                continue
            neuron = layer.neuron_names[i]
            kinds = ["z", "a", "dl_da", "da_dz", "delta"] + (["loss_term"] if layer.index == last else [])
            names.update(key_text((kind, neuron, s), n) for kind in kinds for s in samples)
    hidden = hidden_parameters(result, False)
    for p in result.parameters:
        if p.name not in hidden:
            names.update(key_text(("grad", p.name, s), n) for s in samples)
            names.add(key_text(("new", p.name, None), n))
    names.update(key_text(("loss", "", s), n) for s in samples)
    return names


def drift_summary(rows: list[dict], decimals: int) -> str:
    drifted = [r for r in rows if r["drift"] != 0]
    if not drifted:
        return (f"Rounding to {decimals} decimals along the way changes nothing: every value by hand is the "
                "exact one rounded.")
    first = drifted[0]
    return (f"Rounding to {decimals} decimals along the way drifts at {len(drifted)} of {len(rows)} quantities, "
            f"first at {first['quantity']} (by hand {fixed(first['by_hand'], decimals)}, exact "
            f"{fmt(first['exact'], decimals + 2)}).")


def per_sample_table(data: dict, digits: int = 5, full: bool = False) -> Group:
    """A column a sample: the first MAX_SAMPLES_SHOWN of them unless `full` (more would squeeze
    every column to nothing at any terminal's width)."""
    count = len(data["samples"])
    cut = count if full else min(count, MAX_SAMPLES_SHOWN)
    samples = data["samples"][:cut]
    how = data["reduction"]
    table = _table(f"Per sample, before the {how} over the batch: ∂ℓₙ/∂a, δₙ = ∂ℓₙ/∂z and ∂ℓₙ/∂p")
    table.add_column("", justify="left")
    for s in samples:
        table.add_column(f"sample {s}", justify="right", no_wrap=True)
    table.add_column(f"{how} = ∂L/∂p", justify="right", no_wrap=True)
    table.add_row("ℓₙ", *[fmt(v, digits) for v in data["losses"][:cut]], "")
    table.add_section()
    for neuron, values in data["dL_da"].items():
        table.add_row(f"∂ℓ/∂{neuron}", *[fmt(v, digits) for v in values[:cut]], "")
    table.add_section()
    for neuron, values in data["delta"].items():
        table.add_row(f"δ_{neuron}", *[fmt(v, digits) for v in values[:cut]], "")
    table.add_section()
    for name, values in data["grad"].items():
        table.add_row(f"∂ℓ/∂{name}", *[fmt(v, digits) for v in values[:cut]],
                      fmt(data["reduced_grad"][name], digits))
    if cut == count:
        return Group(table)
    return Group(table, Text(f"(showing the first {cut} of {count} samples; --full or --json has them all)",
                             style="dim"))
