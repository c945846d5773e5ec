"""The drawing's parts (graph.build's nodes and edges) and the column below a layer, which every
layer kind's drawing (graph_kinds, graph_rnn) reads its edges' sources from."""

from __future__ import annotations

from dataclasses import dataclass

# How much a drawing shows before it summarises (unless --full). A dense layer's column: the
# tables' 8 (summary.MAX_NEURONS_SHOWN). A convolution's or a pool's column, and the inputs they
# read, hold positions of an image: up to 36 (a 6×6 grid) are drawn. A node draws at most
# MAX_INCOMING of the edges into it (a 3×3 kernel over 2 channels); the rest are one row.
MAX_GRID_SHOWN = 16
MAX_INCOMING = 9
# A node's rows that note its shape (padding, the edges left out), not a result: an exercise keeps them.
NOTES = ("+ ", "⋮ ")


@dataclass
class Node:
    id: str
    fields: list  # the first is the title; a pair (value, its gradient) is one row of two cells
    gap: bool = False  # stands for the neurons a summary leaves out
    given: bool = False  # an input or an initial state: its `a = ` is given, not computed


@dataclass
class Edge:
    source: str
    target: str
    fields: list[str]  # empty: an edge to or from a gap node
    style: str = ""  # "strong": the way the gradient flows back (a max pool's winner); "thin": a reshape


def gap_node(prefix: str, shown: list[int | None], n: int, what: str) -> Node:
    """The node standing for the units of n that `shown` leaves out."""
    hidden = n - len([i for i in shown if i is not None])
    return Node(f"{prefix}more", ["⋮", f"{hidden} more {what}", "(--full)"], gap=True)


def picked(n: int, full: bool, limit: int) -> list[int | None]:
    """Indices of n units to draw: all, or the first limit − 2, a gap (None), the last."""
    if full or n <= limit:
        return list(range(n))
    return [*range(limit - 2), None, n - 1]


class Below:
    """The column a layer reads: (unit index or None for a gap, node id) in drawing order."""

    def __init__(self, entries: list[tuple[int | None, str]]):
        self.entries = entries
        self.ids = {i: node for i, node in entries if i is not None}
        self.gap = next((node for i, node in entries if i is None), None)

    def source(self, k: int) -> str | None:
        """The node unit k is drawn in (the gap's node when a summary left it out)."""
        return self.ids.get(k, self.gap)
