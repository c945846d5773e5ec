"""The `check` table: each answer, the correct value, ✓ or ✗, where the error began and why."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..check import ROUNDING, WRONG, CheckResult
from .numbers import fmt


def check_table(result: CheckResult, digits: int = 5) -> Group:
    title = f"Checking {result.answers_source} against {result.source}"
    if result.decimals is not None:
        title += f" (hand-rounding to {result.decimals} decimals allowed)"
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    widest = max(len(v.answer.written) for v in result.verdicts)
    table.add_column("quantity", justify="left", min_width=min(widest, 24))
    table.add_column("yours", justify="right", no_wrap=True)
    table.add_column("correct", justify="right", no_wrap=True)
    table.add_column("", justify="center", no_wrap=True)
    notes = any(v.verdict in (WRONG, ROUNDING) for v in result.verdicts)
    if notes:
        table.add_column("first wrong upstream", justify="left")
        table.add_column("likely cause" if result.wrong else "note", justify="left")
    written = {v.quantity: v.answer.written for v in result.verdicts}
    for v in result.verdicts:
        a = v.answer
        shown = max(digits, min((a.decimals or 0) + 1, 12))
        if v.verdict == WRONG:
            mark = Text("✗", style="bold red")
            # The explanation once, where the error begins; downstream rows just name the mistake.
            cause = " or ".join(c.text if v.upstream else c.full() for c in v.causes)
        else:
            mark = Text("✓", style="bold green")
            cause = (f"right by hand-rounding (by hand {fmt(v.by_hand, result.decimals)})"
                     if v.verdict == ROUNDING else "")
        upstream = written.get(v.upstream, v.upstream) if v.upstream else ""
        table.add_row(a.written, a.text, fmt(v.correct, shown), mark, *([upstream, cause] if notes else []))
    return Group(table, Text(summary(result)))


def summary(result: CheckResult) -> str:
    total = len(result.verdicts)
    right = total - len(result.wrong)
    text = f"{right} of {total} right"
    by_rounding = sum(v.verdict == ROUNDING for v in result.verdicts)
    if by_rounding:
        text += f" ({by_rounding} by hand-rounding)"
    if result.wrong:
        roots = [next(v.answer.written for v in result.verdicts if v.quantity == q) for q in result.roots]
        text += (f"; {len(result.wrong)} wrong, starting at {', '.join(roots)}"
                 + (": fix those first, the others follow from them" if len(roots) < len(result.wrong) else ""))
    return text + "."
