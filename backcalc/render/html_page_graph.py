"""The network of one step as inline SVG: graph.py's nodes and edges, laid out in columns.

Each node is a box of rows as the DOT's table: its title, a row per incoming edge (the edge's weight
and the weight's gradient, where the edge's line ends: a kernel entry's, a pool's share or its
winner's, drawn strong), then its own values (graph.build: a neuron's z, a, δ, its bias and the
bias's gradient; every layer kind's own, graph_kinds and graph_rnn). Labels in the boxes, not along
the lines: a convolution's 36 edges would bury their labels in each other. In an exercise only the
given values are drawn: inputs, weights, biases and targets.
"""

from __future__ import annotations

from html import escape

from ..result import StepResult
from .graph import build
from .graph_model import NOTES, Edge, Node

LINE = 15  # px per text line
CHAR = 6.6  # px per character at the page's 11 px
PAD = 6
GAP_X = 90  # px between a column's right edge and the next column
GAP_Y = 18


def _given_only(node: Node) -> list:
    """An exercise's node: the title and what the spec gives (an input's value, an initial state, a
    bias, the notes on its shape), no result."""
    title, *rest = node.fields
    out = [title]
    for f in rest:
        if isinstance(f, tuple):
            out.append(f[0])  # the bias, without its gradient
        elif f.startswith(NOTES) or (node.given and f.startswith("a = ")):
            out.append(f)
    return out


def _edge_cells(edge: Edge, blank: bool) -> list[str]:
    """An incoming edge's row: its weight and the weight's gradient (an exercise: the weight only)."""
    cells = [f for f in edge.fields if not (blank and f.startswith("∂"))]
    return cells or ["⋮"]


def _rows(node: Node, incoming: list[Edge], blank: bool) -> list[tuple[list[str], str]]:
    """A box's rows (cells, class), as the DOT's table: the title, a row per incoming edge, the values."""
    fields = _given_only(node) if blank and not node.gap else node.fields
    rows = [([fields[0]], "title")]
    if not node.gap:
        rows += [(_edge_cells(e, blank), "strong" if e.style == "strong" and not blank else "in") for e in incoming]
    return rows + [([", ".join(f) if isinstance(f, tuple) else f], "") for f in fields[1:]]


def _place(columns: list[list[Node]], into: dict, blank: bool) -> tuple[dict, float, float]:
    """Each node's box (x, y, width, height, rows, the x of its second cells, gap), columns left to right,
    each centred vertically; and the drawing's width and height."""
    boxes, x, heights = {}, 10.0, []
    for column in columns:
        rows = [_rows(n, into.get(n.id, []), blank) for n in column]
        split = (max((len(c[0]) for rs in rows for c, _ in rs if len(c) > 1), default=0) + 2) * CHAR + PAD
        width = max(max(split + len(c[1]) * CHAR if len(c) > 1 else len(c[0]) * CHAR for c, _ in rs)
                    for rs in rows) + 2 * PAD
        y = 10.0
        for node, rs in zip(column, rows):
            h = len(rs) * LINE + 2 * PAD
            boxes[node.id] = [x, y, width, h, rs, x + split, node.gap]
            y += h + GAP_Y
        heights.append(y)
        x += width + GAP_X
    total_h = max(heights) + 10
    for column in columns:
        col_h = sum(boxes[n.id][3] for n in column) + GAP_Y * (len(column) - 1)
        for n in column:
            boxes[n.id][1] += (total_h - 20 - col_h) / 2
    return boxes, x - GAP_X + 10, total_h


def network_svg(result: StepResult, digits: int = 5, blank: bool = False, full: bool = False) -> str:
    """The drawing, sample 1 of the batch (as `backcalc graph` draws it)."""
    columns, edges = build(result, 0, digits, full)
    into: dict[str, list[Edge]] = {}
    for e in edges:
        into.setdefault(e.target, []).append(e)
    boxes, total_w, total_h = _place(columns, into, blank)
    parts = [_edge(e, boxes, into[e.target].index(e), blank) for e in edges]
    parts += [_box(n, boxes[n.id]) for column in columns for n in column]
    return (f'<svg class="network" xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
            f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" role="img" aria-label="the network">'
            f'<title>{escape(result.name or result.source)}: sample {result.batch[0] + 1}</title>'
            + "".join(parts) + "</svg>")


def _box(node: Node, box: list) -> str:
    x, y, w, h, rows, split, _ = box
    text = []
    for k, (cells, cls) in enumerate(rows):
        at = f' class="{cls}"' if cls else ""
        base = y + PAD + (k + 0.8) * LINE
        text += [f'<text x="{cx:.1f}" y="{base:.1f}"{at}>{escape(c)}</text>'
                 for cx, c in zip((x + PAD, split), cells)]
    return (f'<g class="{"node gap" if node.gap else "node"}"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
            f'height="{h:.1f}" rx="4"></rect>{"".join(text)}</g>')


def _row_y(box: list, prefix: str | None, k: int | None = None) -> float:
    """The middle of a box's row: its k-th incoming edge's, or the first starting with prefix, or the box's."""
    x, y, w, h, rows, *_ = box
    if k is None:
        k = next((n for n, (cells, _) in enumerate(rows) if cells[0].startswith(prefix)), None)
        if k is None:
            return y + h / 2
    return y + PAD + (k + 0.5) * LINE


def _edge(edge: Edge, boxes: dict, k: int, blank: bool) -> str:
    """The line from the source's a to the row of the target where the edge's weight is written."""
    source, target = boxes[edge.source], boxes[edge.target]
    x1, y1 = source[0] + source[2], _row_y(source, "a = ")
    y2 = target[1] + target[3] / 2 if target[6] else _row_y(target, None, k + 1)
    shown = edge.style and not (blank and edge.style == "strong")  # an exercise does not give the winner away
    cls = ("edge" if edge.fields else "edge gap") + (f" {edge.style}" if shown else "")
    return f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{target[0]:.1f}" y2="{y2:.1f}"></line>'
