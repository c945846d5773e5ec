"""The update table of an optimizer with state: every state variable before and after, and each
line of the update with its numbers."""

from __future__ import annotations

from rich.padding import Padding
from rich.text import Text

from ..result import StepResult
from .numbers import fmt, short
from .streams import glued

SYMBOLS = {"learning_rate": "η", "momentum": "μ", "dampening": "τ", "weight_decay": "λ", "eps": "ε"}
QUANTITY = {"step": "t (step)", "exp_avg": "m (exp_avg)", "exp_avg_sq": "v (exp_avg_sq)", "m_hat": "m̂",
            "v_hat": "v̂", "momentum_buffer": "b (momentum_buffer)", "grad": "g"}


def settings_text(result: StepResult, d: int) -> str:
    """η = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-08, λ = 0"""
    opt = result.optimizer
    parts = [f"η = {_short(opt.learning_rate, d)}"]
    for key, value in opt.hyperparameters.items():
        if key == "betas":
            parts.append(f"β1 = {_short(value[0], d)}, β2 = {_short(value[1], d)}")
        elif key == "nesterov":
            continue  # in the title
        else:
            parts.append(f"{SYMBOLS[key]} = {_short(value, d)}")
    return ", ".join(parts)


def optimizer_update(result: StepResult, d: int, make_table) -> list:
    """The rule (once), then one row per line of each parameter's update."""
    opt = result.optimizer
    head = Text.assemble((f"Update: {opt.title}", "bold"), f" ({settings_text(result, d)})")
    # indented as a block, so a line that wraps at 80 columns stays indented
    notes = [f.text + (f"   ({f.note})" if f.note else "") for f in opt.formulas]
    rule = [Padding(Text(n), (0, 0, 0, 2), expand=False) for n in notes]
    rule.append(Padding(Text("(a parameter's state is created on its first step; frozen parameters keep none)",
                             style="dim"), (0, 0, 0, 2), expand=False))
    table = make_table("", ("parameter", "left"), ("quantity", "left"), ("before", "right"),
                       ("computation", "left"), ("after", "right"))
    for p in result.parameters:
        if p.frozen:
            table.add_row(p.name, "frozen", fmt(p.value, d), "no update, no state", fmt(p.value, d))
            table.add_section()
            continue
        for i, line in enumerate(p.update):
            quantity = p.name if line.name == "param" else QUANTITY.get(line.name, f"{p.name} decayed")
            before = "—" if line.before is None else _number(line.before, d)
            table.add_row(p.name if i == 0 else "", quantity, before,
                          glued(line.substituted(lambda v: _short(v, d))), _number(line.value, d))
        table.add_section()
    return [head, *rule, table]


def _number(value, d: int) -> str:
    """The step count t is a whole number; everything else as every table writes it."""
    return str(value) if isinstance(value, int) else fmt(value, d)


def _short(value, d: int) -> str:
    return str(value) if isinstance(value, int) else short(value, d)
