"""A recurrent layer's keys (`type: rnn`) read and checked: its input read as time × features, W_x
(hidden × features) and W_h (hidden × hidden) kept side by side as one hidden × (features + hidden)
array, its biases, h₀ and what it returns (layers/rnn.py).
"""

from __future__ import annotations

from math import prod

import numpy as np
import yaml

from .layers.windows import position_names, shape_text
from .reader import Reader, describe, plural
from .schema import LAYER
from .spec_rows import read_row


def read_rnn(r: Reader, li: int, node, m: dict, below, kind: str, spec_kinds):
    """The layer's KindShape; None after a problem. `spec_kinds` (its KindShape, Below, read_nested) is
    passed in by the module itself, which keeps the imports one way."""
    shape_type, below_type = spec_kinds.KindShape, spec_kinds.Below
    path = f"layers[{li}]"
    seq = sequence_shape(r, li, node, m, below)
    if seq is None:
        return None
    time, features = seq
    wx = matrix_key(r, m, path, "weights_input", features, "features", spec_kinds.read_nested)
    if wx is False:
        return None
    hidden = len(wx[0]) if wx is not None else None
    if hidden is None and "hidden_size" in m:
        hidden = r.field(m["hidden_size"][1], f"{path}.hidden_size", LAYER["hidden_size"])
        if hidden is None:
            return None
    if hidden is None:
        r.error(node, path, "give `weights_input:` (hidden × features) and `weights_hidden:` (hidden × hidden), "
                "or `hidden_size:` (to initialise from `init:`)")
        return None
    wh = matrix_key(r, m, path, "weights_hidden", hidden, "hidden units", spec_kinds.read_nested)
    if wh is False:
        return None
    if (wx is None) != (wh is None) or (wh is not None and len(wh[0]) != hidden):
        got = "missing" if wh is None or wx is None else f"{len(wh[0])} rows"
        r.error(node, path, f"rnn needs both `weights_input:` and `weights_hidden:` with {plural(hidden, 'row')} "
                f"(one per hidden unit); got {got}")
        return None
    returns = r.field(m["return"][1], f"{path}.return", LAYER["return"]) if "return" in m else "last"
    h0 = state_key(r, m, path, hidden)
    if returns is None or h0 is None:
        return None
    out_shape = (time, hidden) if returns == "all" else (hidden,)
    out = below_type(out_shape, f"rnn over {shape_text((time, features))} with {plural(hidden, 'hidden unit')} "
                     f"gives {shape_text(out_shape)}")
    names = position_names(f"h{li + 1}", out_shape)
    options = {"keys": ("weights", "biases"), "unit_names": names, "time": time, "features": features,
               "hidden": hidden, "return": returns, "initial_state": h0}
    options["blocks"] = [(0, features), (features, features + hidden), None]  # the parameters' order: as written
    layer = shape_type(li, kind, "tanh", 0.01, options, out)
    if wx is not None:
        values = np.concatenate([np.array(wx[0], dtype=object), np.array(wh[0], dtype=object)], axis=1)
        layer.weights = values.astype(float)
        layer.names = np.concatenate([np.array(wx[1], dtype=object), np.array(wh[1], dtype=object)], axis=1).tolist()
        r.keep_exact(f"{path}.weights", list(np.ravel(values)))
        if f"{path}.weights" in r.exact:
            r.exact[f"{path}.weights"] = r.exact[f"{path}.weights"].reshape(values.shape)
    else:
        layer.draw = (hidden, features + hidden, (hidden, features + hidden))
    if "biases" in m and not bias_row(r, m["biases"][1], f"{path}.biases", hidden, layer):
        return None
    return layer


def bias_row(r: Reader, node, path: str, n: int, layer, per: str = "hidden unit") -> bool:
    """One bias per hidden unit (torch's b_ih + b_hh); a gated layer's one per gate unit."""
    read = read_row(r, node, path, n, "bias", per)
    if read is None:
        return False
    r.keep_exact(path, read[0])
    layer.biases, layer.bias_names = np.array(read[0], dtype=float), read[1]
    return True


def sequence_shape(r: Reader, li: int, node, m: dict, below, kind: str = "rnn"):
    """(time steps, features) of each sample: `input_shape: [time, features]`, or the layer below's shape."""
    path = f"layers[{li}]"
    if "input_shape" in m:
        key_node = m["input_shape"][1]
        items = key_node.value if isinstance(key_node, yaml.SequenceNode) else None
        given = [r.integer(x, f"{path}.input_shape[{i}]") for i, x in enumerate(items)] if items else None
        if given is None or len(given) != 2 or any(g is None or g < 1 for g in given):
            if not r.problems:
                r.error(key_node, f"{path}.input_shape", f"expected [time, features], got {describe(key_node)}")
            return None
        if prod(given) != below.size:
            r.error(key_node, f"{path}.input_shape", f"{kind} reads {shape_text(given)} = {prod(given)} values, "
                    f"but {below.said(li)}")
            return None
        return tuple(given)
    if len(below.shape) == 2:
        return below.shape
    r.error(node, path, f"{kind} reads time × features, but {below.said(li)}: give `input_shape: [time, features]`")
    return None


def matrix_key(r: Reader, m: dict, path: str, key: str, columns: int, what: str, read_nested, rows: str = "hidden"):
    """(values, names, rows) of a rows × `columns` key, None when absent, False after a problem."""
    if key not in m:
        return None
    read = read_nested(r, m[key][1], f"{path}.{key}", 2)
    if read is None:
        return False
    values, names, shape = read
    if shape[1] != columns:
        r.error(m[key][1], f"{path}.{key}", f"expected {plural(columns, 'column')} (one per {what[:-1]}), got "
                f"{shape[1]}: {key} is {rows} × {'features' if key == 'weights_input' else 'hidden'}")
        return False
    return values, names, shape[0]


def state_key(r: Reader, m: dict, path: str, hidden: int, key: str = "initial_state"):
    """h₀ (an lstm's c₀: `initial_cell`), one number per hidden unit, zeros when not given."""
    if key not in m:
        return [0.0] * hidden
    node = m[key][1]
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None or len(items) != hidden:
        r.error(node, f"{path}.{key}", f"expected a list of {hidden} numbers (one per hidden unit), "
                f"got {len(items) if items is not None else describe(node)}")
        return None
    values = [r.number(x, f"{path}.{key}[{i}]") for i, x in enumerate(items)]
    return None if any(v is None for v in values) else values
