"""The gradient check as a rich table."""

from __future__ import annotations

import math

from rich.console import Group
from rich.text import Text

from ..gradcheck import AGREE, DISAGREE, GradcheckResult, GradRow
from .numbers import fmt
from .table import titled_table

MARK = {AGREE: "✓", DISAGREE: "✗", None: ""}
UNDECIDED_MARK = {"noise": "? below noise", "kink": "? kink"}


def _mark(verdict: str | None, row: GradRow | None = None) -> str:
    return UNDECIDED_MARK[row.reason] if row is not None and row.reason else MARK[verdict]


def _err(x: float | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):  # an overflowed gradient: "inf" or "nan" has no exponent to format
        return str(x)
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent):+03d}".replace("-", "−")


def _step_text(eps: float | None) -> str:
    return "h = ∛ε·max(1, |p|)" if eps is None else f"h = {eps:g}"


def gradcheck_tables(result: GradcheckResult, digits: int = 5) -> Group:
    with_torch = result.torch_version is not None
    title = f"Gradient check (central differences, {_step_text(result.eps)}, tolerance {result.tol:g})"
    cols = [("parameter", "left"), ("∂L/∂p", "right"), ("finite diff.", "right"), ("rel. error", "right"), ("", "left")]
    if with_torch:
        cols += [(f"torch {result.torch_version.split('+')[0]}", "right"), ("rel. error", "right"), ("", "left")]
    table = titled_table(title, *cols)
    table.columns[0].no_wrap = True
    for r in result.rows:
        cells = [r.name, fmt(r.analytic, digits), fmt(r.numeric, digits), _err(r.rel_error), _mark(r.verdict, r)]
        if with_torch:
            cells += [fmt(r.torch, digits), _err(r.torch_rel_error), _mark(r.torch_verdict)]
        table.add_row(*cells)
    parts = [table, Text(_verdict_line(result), style="bold" if result.ok else "bold red")]
    if result.torch_skipped == "not installed":
        parts.append(Text("(PyTorch is not installed: only finite differences were compared)", style="dim"))
    return Group(*parts)


def _verdict_line(result: GradcheckResult) -> str:
    """The summary under the table: it counts the verdicts shown in it, never more."""
    n = len(result.rows)
    if not result.ok:
        bad = result.failures
        return f"{len(bad)} of {n} disagree: {', '.join(bad)}"
    undecided = result.undecided
    if not undecided:
        return "all gradients agree"
    groups = [(", ".join(r.name for r in undecided if r.reason == reason), where)
              for reason, where in (("noise", "below the noise floor"), ("kink", "at a ReLU kink"))]
    why = "; ".join(f"{names} {where}" for names, where in groups if names)
    return (f"{n - len(undecided)} of {n} agree, none disagree; finite differences cannot decide "
            f"{len(undecided)}: {why}")
