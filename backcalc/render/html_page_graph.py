"""The network of one step as inline SVG: graph.py's nodes and edges, laid out in columns.

Each node is a box of its lines (graph.build: a neuron's z, a, δ, its bias and the bias's
gradient; every layer kind's own, graph_kinds and graph_rnn); each edge carries its weight and the
weight's gradient (a kernel entry's, a pool's share or its winner's, drawn strong), written a third
of the way along it (staggered by the neuron it ends at, so the labels of one layer do not pile up).
In an exercise only the given values are drawn: inputs, weights, biases and targets.
"""

from __future__ import annotations

from html import escape

from ..result import StepResult
from .graph import build
from .graph_model import NOTES, Edge, Node

LINE = 15  # px per text line
CHAR = 6.6  # px per character at the page's 11 px
PAD = 6
GAP_X = 150  # px between a column's right edge and the next column
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


def _lines(node: Node, blank: bool) -> list[str]:
    fields = _given_only(node) if blank and not node.gap else node.fields
    return [", ".join(f) if isinstance(f, tuple) else f for f in fields]


def _edge_lines(edge: Edge, blank: bool) -> list[str]:
    if not blank:
        return edge.fields
    return [f for f in edge.fields if not f.startswith("∂")] if edge.given else []


def network_svg(result: StepResult, digits: int = 5, blank: bool = False, full: bool = False) -> str:
    """The drawing, sample 1 of the batch (as `backcalc graph` draws it)."""
    columns, edges = build(result, 0, digits, full)
    boxes: dict[str, tuple[float, float, float, float, list[str]]] = {}  # id -> x, y, w, h, lines
    x = 10.0
    heights = []
    for column in columns:
        lines = [_lines(n, blank) for n in column]
        width = max(max(len(t) for t in ls) for ls in lines) * CHAR + 2 * PAD
        y = 10.0
        for node, ls in zip(column, lines):
            h = len(ls) * LINE + 2 * PAD
            boxes[node.id] = (x, y, width, h, ls)
            y += h + GAP_Y
        heights.append(y)
        x += width + GAP_X
    total_w, total_h = x - GAP_X + 10, max(heights) + 10
    for column in columns:  # centre each column vertically
        col_h = sum(boxes[n.id][3] for n in column) + GAP_Y * (len(column) - 1)
        shift = (total_h - 20 - col_h) / 2
        for n in column:
            bx, by, bw, bh, ls = boxes[n.id]
            boxes[n.id] = (bx, by + shift, bw, bh, ls)
    parts = [_edge(e, boxes, k, blank) for k, e in enumerate(edges)]
    parts += [_box(n, boxes[n.id]) for column in columns for n in column]
    return (f'<svg class="network" xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
            f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" role="img" aria-label="the network">'
            f'<title>{escape(result.name or result.source)}: sample {result.batch[0] + 1}</title>'
            + "".join(parts) + "</svg>")


def _box(node: Node, box: tuple) -> str:
    x, y, w, h, lines = box
    cls = "node gap" if node.gap else "node"
    title = ' class="title"'
    text = "".join(f'<text x="{x + PAD:.1f}" y="{y + PAD + (k + 0.8) * LINE:.1f}"'
                   f'{title if k == 0 else ""}>{escape(t)}</text>' for k, t in enumerate(lines))
    return f'<g class="{cls}"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4"></rect>{text}</g>'


def _edge(edge: Edge, boxes: dict, k: int, blank: bool) -> str:
    sx, sy, sw, sh, _ = boxes[edge.source]
    tx, ty, _, th, _ = boxes[edge.target]
    x1, y1, x2, y2 = sx + sw, sy + sh / 2, tx, ty + th / 2
    lines = _edge_lines(edge, blank)
    shown = edge.style and not (blank and edge.style == "strong")  # an exercise does not give the winner away
    cls = ("edge" if edge.fields else "edge gap") + (f" {edge.style}" if shown else "")
    out = f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"></line>'
    if lines:
        t = 0.25 + 0.5 * ((k * 0.37) % 1)  # where along the edge its label sits
        lx, ly = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        top = ly - len(lines) * LINE / 2
        out += "".join(f'<text class="label" x="{lx:.1f}" y="{top + (j + 0.8) * LINE:.1f}" text-anchor="middle">'
                       f'{escape(s)}</text>' for j, s in enumerate(lines))
    return out
