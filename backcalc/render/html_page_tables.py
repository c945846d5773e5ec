"""The tables the step table shows that the notebook's grids leave out: a softmax layer's Jacobian
and an optimizer's state, line by line (as step_table.py and optimizer_table.py write them)."""

from __future__ import annotations

from ..result import StepResult
from .grid import Column, Grid
from .numbers import fmt, fmt_once, short
from .optimizer_table import QUANTITY, settings_text


def extra_grids(result: StepResult, digits: int) -> list[Grid]:
    return _jacobians(result, digits) + _optimizer(result, digits)


def _jacobians(result: StepResult, digits: int) -> list[Grid]:
    """A softmax layer's Jacobian on the first sample."""
    out = []
    for layer in result.layers:
        if layer.jacobian is None:
            continue
        names = layer.neuron_names
        grid = Grid(f"Softmax Jacobian ∂a_i/∂z_j of layer {layer.index + 1} (sample {result.batch[0] + 1})",
                    [Column("", right=False), *[Column(f"z_{m}") for m in names]])
        for i, m in enumerate(names):
            grid.add(m, *[fmt_once(layer.jacobian[0, i, j], digits) for j in range(len(names))])
        out.append(grid)
    return out


def _optimizer(result: StepResult, d: int) -> list[Grid]:
    """An optimizer with state: every line of each parameter's update, before and after."""
    opt = result.optimizer
    if opt is None or opt.plain:
        return []
    grid = Grid(f"Update: {opt.title} ({settings_text(result, d)})",
                [Column("parameter", right=False), Column("quantity", right=False), Column("before"),
                 Column("computation", right=False), Column("after")])
    grid.notes += [f.text + (f"   ({f.note})" if f.note else "") for f in opt.formulas]

    def number(value) -> str:
        return str(value) if isinstance(value, int) else fmt(value, d)

    for p in result.parameters:
        if p.frozen:
            grid.add(p.name, "frozen", fmt(p.value, d), "no update, no state", fmt(p.value, d))
            continue
        for i, line in enumerate(p.update):
            quantity = p.name if line.name == "param" else QUANTITY.get(line.name, f"{p.name} decayed")
            grid.add(p.name if i == 0 else "", quantity, "—" if line.before is None else number(line.before),
                     line.substituted(lambda v: str(v) if isinstance(v, int) else short(v, d)), number(line.value))
    return [grid]
