"""HTML for a notebook: the grids of render/notebook.py as tables, a training run's loss curve as inline SVG.

No colour is named: text, rules and the curve take the page's own colour (`currentColor`), so
the output reads the same in a light and a dark theme; styles are inline attributes, which a
notebook keeps when it strips `<style>` from untrusted output.
"""

from __future__ import annotations

import math
from html import escape

from .grid import Grid

TABLE = "border-collapse: collapse; margin: 0.3em 0 1em 0; font-variant-numeric: tabular-nums;"
CELL = "padding: 0.1em 0.7em; border: none; text-align: {align}; white-space: nowrap;"
HEAD = CELL + " border-bottom: 1px solid currentColor; font-weight: bold;"


def grid_html(grid: Grid) -> str:
    """One grid as a titled HTML table, with its notes under it."""
    heads = "".join(f'<th style="{HEAD.format(align="right" if c.right else "left")}">{escape(c.text)}</th>'
                    for c in grid.columns)
    body = []
    for k, row in enumerate(grid.rows):
        extra = " opacity: 0.6;" if k in grid.dim else " font-weight: bold;" if k in grid.bold else ""
        cells = "".join(f'<td style="{CELL.format(align="right" if c.right else "left")}{extra}">{escape(cell)}</td>'
                        for c, cell in zip(grid.columns, row))
        body.append(f"<tr>{cells}</tr>")
    notes = "".join(f'<div style="opacity: 0.7;">{escape(n)}</div>' for n in grid.notes)
    return (f'<div style="font-weight: bold; margin-top: 0.6em;">{escape(grid.title)}</div>'
            f'<table style="{TABLE}"><thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table>{notes}')


def grids_html(heading: str, grids: list[Grid]) -> str:
    """A heading line and the grids, in one block."""
    return (f'<div class="backcalc"><div style="font-weight: bold;">{escape(heading)}</div>'
            + "".join(grid_html(g) for g in grids) + "</div>")


def train_html(heading: str, curve: list[tuple[float, float]], grids: list[Grid]) -> str:
    """A training run: its heading, the loss curve, then the grids (the final parameters and outputs)."""
    return (f'<div class="backcalc"><div style="font-weight: bold;">{escape(heading)}</div>'
            + loss_svg(curve) + "".join(grid_html(g) for g in grids) + "</div>")


def check_html(grid: Grid, summary: str) -> str:
    return f'<div class="backcalc">{grid_html(grid)}<div>{escape(summary)}</div></div>'


def loss_svg(curve: list[tuple[float, float]], width: int = 480, height: int = 200) -> str:
    """The loss against the epoch as an SVG line (a log scale when it spans two orders of magnitude)."""
    from ..history import wants_log_scale
    from .numbers import short

    points = [(e, v) for e, v in curve if v is not None and math.isfinite(v)]
    if not points:
        return '<div style="opacity: 0.7;">(no finite loss to draw)</div>'
    log = wants_log_scale([v for _, v in points]) and all(v > 0 for _, v in points)
    y_of = math.log10 if log else float
    left, right, top, bottom = 64, 12, 12, 34
    e0, e1 = points[0][0], points[-1][0]
    ys = [y_of(v) for _, v in points]
    lo, hi = min(ys), max(ys)
    span_e, span_y = (e1 - e0) or 1, (hi - lo) or 1

    def xy(e: float, y: float) -> str:
        x = left + (e - e0) / span_e * (width - left - right)
        return f"{x:.1f},{top + (hi - y) / span_y * (height - top - bottom):.1f}"

    line = " ".join(xy(e, y) for (e, _), y in zip(points, ys))
    low, high = min(v for _, v in points), max(v for _, v in points)
    axes = f"M{left},{top} V{height - bottom} H{width - right}"
    label = 'font-size="11" fill="currentColor"'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="loss curve" style="display: block;">'
            f'<title>loss per epoch{" (log scale)" if log else ""}</title>'
            f'<path d="{axes}" fill="none" stroke="currentColor" stroke-opacity="0.5"/>'
            f'<polyline points="{line}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" {label}>{escape(short(high))}</text>'
            f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" {label}>{escape(short(low))}</text>'
            f'<text x="{left}" y="{height - bottom + 14}" {label}>{int(e0)}</text>'
            f'<text x="{width - right}" y="{height - bottom + 14}" text-anchor="end" {label}>{int(e1)}</text>'
            f'<text x="{(left + width - right) / 2:.0f}" y="{height - 4}" text-anchor="middle" {label}>epoch · loss'
            f'{" (log scale)" if log else ""}</text></svg>')
