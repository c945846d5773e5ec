"""The gradient check as a rich table."""

from __future__ import annotations

import math

from rich.console import Group
from rich.text import Text

from ..gradcheck import GradcheckResult
from .numbers import fmt
from .table import _table

MARK = {"ok": "✓", "FAIL": "✗", "kink": "kink", None: ""}


def _err(x: float | None, status: str | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):  # an overflowed gradient: "inf" or "nan" has no exponent to format
        return str(x)
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent):+03d}".replace("-", "−")


def gradcheck_tables(result: GradcheckResult, digits: int = 5) -> Group:
    with_torch = result.torch_version is not None
    title = f"Gradient check (central differences, ε = {result.eps:g}, tolerance {result.tol:g})"
    cols = [("parameter", "left"), ("∂L/∂p", "right"), ("finite diff.", "right"), ("rel. error", "right"), ("", "left")]
    if with_torch:
        cols += [(f"torch {result.torch_version.split('+')[0]}", "right"), ("rel. error", "right"), ("", "left")]
    table = _table(title, *cols)
    table.columns[0].no_wrap = True
    for r in result.rows:
        cells = [r.name, fmt(r.analytic, digits), fmt(r.numeric, digits), _err(r.rel_error, r.status),
                 MARK[r.status]]
        if with_torch:
            cells += [fmt(r.torch, digits), _err(r.torch_rel_error, r.torch_status), MARK[r.torch_status]]
        table.add_row(*cells)
    bad = result.failures
    kinks = [r for r in result.rows if r.status == "kink"]
    agree = "all gradients agree" if not kinks else (
        f"all gradients agree, except {len(kinks)} at a ReLU kink where finite differences do not apply")
    verdict = (Text(agree, style="bold") if not bad else
               Text(f"{len(bad)} of {len(result.rows)} disagree: {', '.join(bad)}", style="bold red"))
    parts = [table, verdict]
    if result.torch_skipped == "not installed":
        parts.append(Text("(PyTorch is not installed: only finite differences were compared)", style="dim"))
    return Group(*parts)
