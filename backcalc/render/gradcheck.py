"""The gradient check as a rich table."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from ..gradcheck import GradcheckResult
from .numbers import fmt
from .table import _table

MARK = {"ok": "✓", "FAIL": "✗", "kink": "kink", None: ""}


def _err(x: float | None, status: str | None) -> str:
    return "—" if x is None else f"{x:.1e} {MARK[status]}".replace("-", "−")


def gradcheck_tables(result: GradcheckResult, digits: int = 5) -> Group:
    with_torch = result.torch_version is not None
    title = f"Gradient check (central differences, ε = {result.eps:g}, tolerance {result.tol:g})"
    cols = [("parameter", "left"), ("∂L/∂p", "right"), ("finite diff.", "right"), ("rel. error", "right")]
    if with_torch:
        cols += [(f"torch {result.torch_version.split('+')[0]}", "right"), ("rel. error", "right")]
    table = _table(title, *cols)
    table.columns[0].no_wrap = True
    for r in result.rows:
        cells = [r.name, fmt(r.analytic, digits), fmt(r.numeric, digits), _err(r.rel_error, r.status)]
        if with_torch:
            cells += [fmt(r.torch, digits), _err(r.torch_rel_error, r.torch_status)]
        table.add_row(*cells)
    bad = result.failures
    verdict = (Text("all gradients agree", style="bold") if not bad else
               Text(f"{len(bad)} of {len(result.rows)} disagree: {', '.join(bad)}", style="bold red"))
    parts = [table, verdict]
    if result.torch_skipped == "not installed":
        parts.append(Text("(PyTorch is not installed: only finite differences were compared)", style="dim"))
    return Group(*parts)
