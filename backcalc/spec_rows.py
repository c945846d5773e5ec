"""A row of entries (`[0.1, b: 0.2]`), one per channel, feature or unit, read and checked: what a
batch norm's gamma and beta, a convolution's biases and a recurrent layer's biases share."""

from __future__ import annotations

import yaml

from .reader import Reader, describe


def read_row(r: Reader, node, path: str, n: int, noun: str, per: str):
    """(values, names) of a list of `n` entries, one per `per`; None after a problem."""
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None or len(items) != n:
        got = f"{len(items)}" if items is not None else describe(node)
        entries = "entry" if n == 1 else "entries"
        r.error(node, path, f"expected a list of {n} {noun} {entries} (one per {per}), got {got}")
        return None
    entries = [r.entry(x, f"{path}[{i}]") for i, x in enumerate(items)]
    if any(e is None for e in entries):
        return None
    return [e[0] for e in entries], [e[1] for e in entries]
