"""Which neurons (or inputs) a summarised view shows of a wide layer: one rule for tables and drawings."""

from __future__ import annotations

MAX_NEURONS_SHOWN = 8  # wider layers (and inputs) are summarised unless --full
SUMMARY_HEAD = 3  # a summarised layer shows its first neurons, a gap, and its last one


def pick(n: int, full: bool = False) -> list[int | None]:
    """Indices to show of n neurons (or inputs): all, or the first few, a gap (None), the last."""
    if full or n <= MAX_NEURONS_SHOWN:
        return list(range(n))
    return [*range(SUMMARY_HEAD), None, n - 1]


def hidden_count(n: int) -> int:
    """How many of n neurons a summary's gap stands for."""
    return n - SUMMARY_HEAD - 1
