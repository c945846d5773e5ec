"""A step's loss table and its update table: the same for every kind of network (dense only, or
with conv, pool, flatten, batchnorm, rnn layers), so both step views build them here."""

from __future__ import annotations

from rich.table import Table

from ..result import StepResult
from .numbers import fmt_once as fmt
from .numbers import short_once as short
from .summary import pick
from .table import samples, titled_table


def loss_table(result: StepResult, d: int, full: bool) -> Table:
    """Each sample's outputs, targets and loss, then the batch's L."""
    many = len(result.batch) > 1
    loss = titled_table(f"Loss: {result.loss_name}", ("sample", "right"), ("output", "left"),
                        ("target", "left"), ("loss", "right"))
    out = result.layers[-1]
    shown = pick(len(out.neuron_names), full)
    for s in samples(result, full):
        loss.add_row(str(result.batch[s] + 1),
                     ", ".join("…" if k is None else f"{out.neuron_names[k]} = {fmt(out.a[s, k], d)}"
                               for k in shown),
                     ", ".join("…" if k is None else short(result.targets[s, k], d) for k in shown),
                     fmt(result.losses[s], d))
    how = "mean" if result.reduction == "mean" else "sum"
    loss.add_section()
    loss.add_row("L", f"{how} over {len(result.batch)} sample{'s' if many else ''}", "", fmt(result.loss, d),
                 style="bold")
    return loss


def update_tables(result: StepResult, d: int, hidden: frozenset[str] | set[str] = frozenset()) -> list:
    """p ← p − η·∂L/∂p for each parameter (those in `hidden` counted in one row), or the optimizer's tables."""
    if result.optimizer is not None and not result.optimizer.plain:
        from .optimizer_table import optimizer_update

        return optimizer_update(result, d, titled_table)
    update = titled_table("Update: p ← p − η·∂L/∂p", ("parameter", "left"), ("old", "right"),
                          ("∂L/∂p", "right"), ("η·∂L/∂p", "right"), ("new", "right"))
    for p in result.parameters:
        if p.name in hidden:
            continue
        step_size = "frozen" if p.frozen else fmt(result.learning_rate * p.grad, d)
        update.add_row(p.name, fmt(p.value, d), fmt(p.grad, d), step_size, fmt(p.new, d))
    if hidden:
        update.add_row(f"⋮ {len(hidden)} more (--full)", "", "", "", "", style="dim")
    return [update]
