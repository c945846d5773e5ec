"""A gated recurrent layer's keys (`type: gru`, `type: lstm`) read and checked: its input read as time ×
features, W_ih (gates·hidden × features) and W_hh (gates·hidden × hidden) with their gate rows in torch's
order, kept side by side as one array (the GRU adds b_hh as the row's last column), its biases, h₀ (an
lstm's c₀ too) and what it returns (layers/gated.py, lstm.py, gru.py).
"""

from __future__ import annotations

import numpy as np

from .layers import kind_named
from .layers.windows import position_names, shape_text
from .reader import Reader, plural
from .schema import LAYER
from .spec_rnn import matrix_key, sequence_shape, state_key
from .spec_rows import read_row


def read_gated(r: Reader, li: int, node, m: dict, below, kind: str, spec_kinds):
    """The layer's KindShape; None after a problem (`spec_kinds` passed in keeps the imports one way)."""
    cls, path = kind_named(kind), f"layers[{li}]"
    seq = sequence_shape(r, li, node, m, below, kind)
    if seq is None:
        return None
    time, features = seq
    g = len(cls.gates)
    hidden = _hidden(r, node, m, path, kind, cls.gates, spec_kinds)
    if hidden is None:
        return None
    rows = f"{g}·hidden"
    arrays = []
    for key, columns, what in (("weights_input", features, "features"), ("weights_hidden", hidden, "hidden units")):
        read = matrix_key(r, m, path, key, columns, what, spec_kinds.read_nested, rows)
        if read is False or not _gate_rows(r, m, path, kind, cls.gates, hidden, key, read):
            return None
        arrays.append(read)
    wx, wh = arrays
    if (wx is None) != (wh is None):
        missing = "weights_hidden" if wh is None else "weights_input"
        r.error(node, path, f"{kind} needs both `weights_input:` and `weights_hidden:` ({g}·hidden = {g * hidden} "
                f"rows each); `{missing}:` is missing")
        return None
    returns = r.field(m["return"][1], f"{path}.return", LAYER["return"]) if "return" in m else "last"
    h0 = state_key(r, m, path, hidden)
    c0 = state_key(r, m, path, hidden, "initial_cell") if cls.cell_state else []
    if returns is None or h0 is None or c0 is None:
        return None
    out_shape = (time, hidden) if returns == "all" else (hidden,)
    out = spec_kinds.Below(out_shape, f"{kind} over {shape_text((time, features))} with "
                          f"{plural(hidden, 'hidden unit')} gives {shape_text(out_shape)}")
    options = {"keys": ("weights", "biases"), "unit_names": position_names(f"h{li + 1}", out_shape), "time": time,
               "features": features, "hidden": hidden, "return": returns, "initial_state": h0}
    if cls.cell_state:
        options["initial_cell"] = c0
    options["blocks"] = cls.blocks(options)  # the parameters' order: the spec's arrays as it writes them
    options["bias_columns"] = len(cls.extra_names("", 0, 0))  # the GRU's b_hh: a bias kept as a weight column
    layer = spec_kinds.KindShape(li, kind, "identity", 0.01, options, out)
    return layer if _parameters(r, m, path, cls, g * hidden, wx, wh, layer) else None


def _hidden(r: Reader, node, m: dict, path: str, kind: str, gates, spec_kinds) -> int | None:
    """The hidden size: `hidden_size:`, else weights_input's rows over the number of gates."""
    if "hidden_size" in m:
        return r.field(m["hidden_size"][1], f"{path}.hidden_size", LAYER["hidden_size"])
    if "weights_input" not in m:
        r.error(node, path, f"give `weights_input:` ({len(gates)}·hidden × features) and `weights_hidden:` "
                f"({len(gates)}·hidden × hidden), or `hidden_size:` (to initialise from `init:`)")
        return None
    read = spec_kinds.read_nested(r, m["weights_input"][1], f"{path}.weights_input", 2)
    if read is None:
        return None
    n_rows, g = read[2][0], len(gates)
    if n_rows % g:
        r.error(m["weights_input"][1], f"{path}.weights_input", f"{kind} weights_input needs {g}·hidden rows "
                f"({', '.join(gates)}: a multiple of {g}), got {n_rows}")
        return None
    return n_rows // g


def _gate_rows(r: Reader, m: dict, path: str, kind: str, gates, hidden: int, key: str, read) -> bool:
    """A weight array (None: not given) with one row per gate unit."""
    g = len(gates)
    if read is not None and read[2] != g * hidden:
        r.error(m[key][1], f"{path}.{key}", f"{kind} {key} needs {g}·hidden = {g * hidden} rows "
                f"({', '.join(gates)}), got {read[2]}")
        return False
    return True


def _parameters(r: Reader, m: dict, path: str, cls, n_rows: int, wx, wh, layer) -> bool:
    """The weights side by side (or drawn), then the biases: `biases` (lstm), `biases_input` and
    `biases_hidden` (gru: b_hh the rows' last column)."""
    per = f"gate unit: {', '.join(cls.gates)} × {n_rows // len(cls.gates)} hidden"
    rows = {}
    for key in ("biases", "biases_input", "biases_hidden"):
        if key in m and key in cls.spec_keys:
            rows[key] = read_row(r, m[key][1], f"{path}.{key}", n_rows, "bias", per)
            if rows[key] is None:
                return False
    extra = cls.extra_names("", 0, 0)  # the GRU's b_hh column
    if wx is None:
        if "biases_hidden" in rows:
            r.error(m["biases_hidden"][1], f"{path}.biases_hidden", "give `biases_hidden:` with `weights_input:` "
                    "and `weights_hidden:` (drawn from `init:` they come with the weights)")
            return False
        cols = layer.options["features"] + layer.options["hidden"] + len(extra)
        layer.draw = (n_rows, cols, (n_rows, cols))
    else:
        blocks = [np.array(wx[0], dtype=float), np.array(wh[0], dtype=float)]
        names = [np.array(wx[1], dtype=object), np.array(wh[1], dtype=object)]
        if extra:
            values, given = rows.get("biases_hidden", ([0.0] * n_rows, [None] * n_rows))
            blocks.append(np.array(values, dtype=float)[:, None])
            names.append(np.array(given, dtype=object)[:, None])
        layer.weights = np.concatenate(blocks, axis=1)
        layer.names = np.concatenate(names, axis=1).tolist()
    bias = rows.get(cls.spec_bias_key)
    if bias is not None:
        layer.biases, layer.bias_names = np.array(bias[0], dtype=float), bias[1]
    return True
