"""`inputs:` written as the layer kinds read a sample: a nested list per sample (channels × height ×
width for a conv2d, a 2-D list per channel; channels × length for a conv1d; time × features for an
rnn). Every sample of one shape; each read row-major into the flat row every layer computes on,
and the shape handed to the first layer (as `input_shape:` would give it).
"""

from __future__ import annotations

import yaml

from .layers.windows import shape_text
from .reader import Reader, describe, plural

MAX_LEVELS = 3


def nested(node) -> bool:
    """Samples that are lists of lists (a list of rows is samples × features, as before)."""
    return isinstance(node, yaml.SequenceNode) and any(isinstance(s, yaml.SequenceNode) and any(
        isinstance(x, yaml.SequenceNode) for x in s.value) for s in node.value)


def read_samples(r: Reader, node, path: str = "inputs"):
    """(flat rows, the per-sample shape), or None after a problem (one located line)."""
    rows, shape = [], None
    for i, sample in enumerate(node.value):
        read = _read(r, sample, f"{path}[{i}]")
        if read is None:
            return None
        values, got = read
        if shape is not None and got != shape:
            r.error(sample, f"{path}[{i}]", f"expected a sample of {shape_text(shape)} (like {path}[0]), "
                    f"got {shape_text(got) if got else describe(sample)}")
            return None
        rows.append(values)
        shape = got
    return rows, shape


def _read(r: Reader, node, path: str, level: int = 0):
    """A nested list of numbers, every level the same length: (its numbers row-major, its shape)."""
    if not isinstance(node, yaml.SequenceNode):
        value = r.number(node, path)
        return None if value is None else ([value], ())
    r.visit(node, path)
    if level == MAX_LEVELS:
        r.error(node, path, f"expected a number (a sample nests {MAX_LEVELS} deep at most), got a list")
        return None
    if not node.value:
        r.error(node, path, "expected numbers, got an empty list")
        return None
    values, shape = [], None
    for i, x in enumerate(node.value):
        read = _read(r, x, f"{path}[{i}]", level + 1)
        if read is None:
            return None
        if shape is not None and read[1] != shape:
            r.error(x, f"{path}[{i}]", f"expected {_what(shape)} (like {path}[0]), got "
                    f"{_what(read[1]) if read[1] else describe(x)}")
            return None
        values += read[0]
        shape = read[1]
    return values, (len(node.value), *shape)


def _what(shape) -> str:
    if not shape:
        return "a number"
    return f"a list of {plural(shape[0], 'number')}" if len(shape) == 1 else f"a {shape_text(shape)} list"
