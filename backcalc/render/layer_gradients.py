"""The backward half of a step's tables for networks with conv, pool, flatten or batchnorm layers:
δ per unit with where its ∂ℓ/∂a came from, each parameter's gradient (a kernel entry: one row per
position it touched, then their sum, as the tied-sum line adds tied entries), and the update."""

from __future__ import annotations

import numpy as np
from rich.table import Table

from ..layers.gated import RECURRENT
from ..result import StepResult
from .gated_tables import gated_rows
from .layer_tables import MAX_UNITS_SHOWN, field_of, units
from .numbers import fmt_once as fmt
from .numbers import paren
from .numbers import short_once as short
from .rnn_tables import rnn_rows, rnn_source
from .streams import plus_terms
from .table import gap_row, hanging, samples, titled_table

BATCHNORM_BACK = "γ/(N·√(σ²+ε))·(N·δ − Σδ − x̂·Σδx̂)"  # ∂ℓ/∂x through a batch norm, the note says
CHANNEL_BACK = "γ/(M·√(σ²+ε))·(M·δ − Σδ − x̂·Σδx̂)"  # per channel: M values, the sums over all of them
MAX_SOURCES_WRITTEN = 4  # write where ∂ℓ/∂a comes from term by term up to this many terms


def backward_notes(result: StepResult) -> list:
    """The batch norm's backward formula, written once (its cells give the numbers)."""
    return [hanging("*", f"batch norm (layer {layer.index + 1}) sends back ∂ℓ/∂x = {BATCHNORM_BACK}: μ and σ² "
                         "depend on every sample's x, so every sample's δ reaches every x")
            if layer.extras["per"] == "unit" else
            hanging("*", f"batch norm (layer {layer.index + 1}) sends back ∂ℓ/∂x = {CHANNEL_BACK}, the sums over "
                         f"the channel's M = {layer.extras['count']} values (every sample, every position): μ and "
                         "σ² depend on all of them, so every δ of a channel reaches every x of it")
            for layer in result.layers if layer.kind == "batchnorm"]


def backward_table(result: StepResult, d: int, full: bool) -> Table:
    many = len(result.batch) > 1
    l_ = "ℓ" if many else "L"
    table = titled_table(f"Backward pass: δ = ∂{l_}/∂z per unit" + (" and sample" if many else ""),
                         ("layer", "left"), ("unit", "left"), *([("sample", "right")] if many else []),
                         (f"∂{l_}/∂a", "right"), ("from", "left"), ("∂a/∂z", "right"), (f"δ = ∂{l_}/∂z", "right"))
    table.columns[3 + many].min_width = 18  # a batch norm's numbers: one term a line, unbroken
    for layer in reversed(result.layers):
        for i in units(layer, full):
            if i is None:
                gap_row(table, "units", len(layer.neuron_names) - 4, 6 + many, at=3 + many)
                continue
            for s in samples(result, full):
                dl_da = fmt(layer.dl_da[s, i], d) if layer.dl_da is not None else "—"
                da_dz = fmt(layer.da_dz[s, i], d) if layer.da_dz is not None and not layer.fused else (
                    "combined" if layer.fused else "Jacobian")
                table.add_row(str(layer.index + 1) if i == 0 and s == 0 else "", layer.neuron_names[i] if s == 0
                              else "", *([str(result.batch[s] + 1)] if many else []), dl_da,
                              source(result, layer, i, s, d, l_), da_dz, fmt(layer.delta[s, i], d))
        table.add_section()
    return table


def source(result: StepResult, layer, i: int, s: int, d: int, l_: str) -> str:
    """Where unit i's ∂ℓ/∂a comes from: the loss, or the layer above, as that layer's kind sends it back."""
    name = layer.neuron_names[i]
    if layer.index == len(result.layers) - 1:
        return f"∂{l_}/∂{name} (loss)"
    return sent_back(result, result.layers[layer.index + 1], i, s, d)


def sent_back(result: StepResult, nxt, i: int, s: int, d: int) -> str:
    """How layer `nxt` sends ∂ℓ/∂a back to unit i below it (a hidden unit, or an input of layer 1)."""
    kind = nxt.kind
    if kind == "flatten":
        return f"δ_{nxt.neuron_names[i]}"
    if kind == "batchnorm":
        ex = nxt.extras
        n, c = ex["count"], ex["statistic"][i]  # M values (N per unit), the unit's channel
        return (f"*{short(nxt.weights[c][0], d)}/({n}·{short(ex['std'][c], d)})·(\n{n}·"
                f"{paren(short(nxt.delta[s, i], d))}\n− {paren(short(ex['sum_delta'][c], d))}\n− "
                f"{paren(short(ex['x_hat'][s][i], d))}\n·{paren(short(ex['sum_delta_x_hat'][c], d))})")
    if kind in RECURRENT:
        return rnn_source(nxt, d)
    if kind.startswith("maxpool"):
        won = [nxt.neuron_names[u] for u, k in enumerate(nxt.extras["winner"][s]) if k == i]
        return plus_terms([f"δ_{u}" for u in won]) + " (won)" if won else "0 (won no window)"
    if kind.startswith("avgpool"):
        read = [nxt.neuron_names[u] for u, field in enumerate(nxt.extras["window"]) if i in field]
        return f"{short(nxt.extras['share'], d)}·({plus_terms([f'δ_{u}' for u in read])})" if read else "0"
    terms = _reading(nxt, i)
    if len(terms) > MAX_SOURCES_WRITTEN:
        return f"Σ of {len(terms)} δ·w (layer {nxt.index + 1})"
    return plus_terms([f"δ_{u}·{w}" for u, w in terms]) if terms else "0 (read by no window)"


def _reading(nxt, i: int) -> list[tuple[str, str]]:
    """(unit, weight name) of every unit of the layer above whose z reads input i."""
    if nxt.kind == "dense":
        return [(m, row[i]) for m, row in zip(nxt.neuron_names, nxt.weight_names)]
    positions = len(nxt.extras["receptive_field"])
    names = np.array(nxt.weight_names, dtype=object).reshape(len(nxt.bias_names), -1)
    return [(nxt.neuron_names[o * positions + q], names[o][j]) for o in range(len(nxt.bias_names))
            for q, field in enumerate(nxt.extras["receptive_field"]) for j, k in enumerate(field) if k == i]


def gradient_table(result: StepResult, d: int, full: bool) -> Table:
    many = len(result.batch) > 1
    l_ = "ℓ" if many else "L"
    how = "mean" if result.reduction == "mean" else "sum"
    then = f", then the {how} over samples" if many else ""
    table = titled_table(f"Gradients: ∂{l_}/∂p = Σ δ × ∂z/∂p over the units p feeds{then}", ("parameter", "left"),
                         ("unit ← input", "left"), *([("sample", "right")] if many else []),
                         (f"δ = ∂{l_}/∂z", "right"), ("∂z/∂p", "right"), ("∂L/∂p", "right"))
    for p in result.parameters:
        for term in p.terms:
            layer = result.layers[term.layer]
            for s in samples(result, full):
                rows = _rows(result, layer, term, s)
                for k, (unit, where, delta, dz, product) in enumerate(rows):
                    if not full and len(rows) > MAX_UNITS_SHOWN and 3 <= k < len(rows) - 1:
                        if k == 3:  # a large image's positions: the first few, a gap, the last
                            gap_row(table, "positions", len(rows) - 4, 5 + many, at=1)
                        continue
                    table.add_row(p.name if s == 0 and k == 0 else "", f"{unit} ← {where}",
                                  *([str(result.batch[s] + 1) if k == 0 else ""] if many else []),
                                  fmt(delta, d), fmt(dz, d), fmt(product, d))
                if len(rows) > 1:
                    over = "time steps" if layer.kind in RECURRENT else "positions"
                    table.add_row("", f"sum over {len(rows)} {over}", *([""] if many else []), "", "",
                                  fmt(term.product[s], d), style="italic")
            if many:
                table.add_row("", "", how, "", "", fmt(term.contribution, d), style="italic")
        if len(p.terms) > 1:
            table.add_row(f"{p.name} total", f"sum of {len(p.terms)} tied entries", *([""] if many else []),
                          "", "", fmt(p.grad, d), style="bold")
        table.add_section()
    return table


def _rows(result: StepResult, layer, term, s: int) -> list[tuple]:
    """(unit, input, δ, ∂z/∂p, their product) of each unit the slot feeds: one for a dense or batchnorm slot, a
    kernel entry's every position (padding left out: its a is 0)."""
    i, j = term.row, term.col
    a_in = result.inputs[s] if layer.index == 0 else result.layers[layer.index - 1].a[s]
    if layer.kind == "rnn":
        return rnn_rows(layer, term, s)
    if layer.kind in RECURRENT:
        return gated_rows(layer, term, s)
    if layer.kind == "batchnorm":  # one row per unit of the statistic: a channel's every position
        ex = layer.extras
        mine = [u for u, c in enumerate(ex["statistic"]) if c == i]
        if term.kind == "bias":
            return [(layer.neuron_names[u], "1", layer.delta[s, u], 1, layer.delta[s, u]) for u in mine]
        return [(layer.neuron_names[u], "x̂", layer.delta[s, u], ex["x_hat"][s][u], ex["gamma_terms"][s][u])
                for u in mine]
    if layer.kind == "dense":
        unit = layer.neuron_names[i]
        product = term.product[s]
        if term.kind == "bias":
            return [(unit, "1", layer.delta[s, i], 1, product)]
        return [(unit, layer.input_names[j], layer.delta[s, i], a_in[j], product)]
    positions = len(layer.extras["receptive_field"])
    out = []
    for q in range(positions):
        unit = i * positions + q
        if term.kind == "bias":
            out.append((layer.neuron_names[unit], "1", layer.delta[s, unit], 1, layer.delta[s, unit]))
            continue
        k = field_of(layer, unit)[j]
        if k is not None:
            out.append((layer.neuron_names[unit], layer.input_names[k], layer.delta[s, unit], a_in[k],
                        layer.extras["kernel_terms"][s][i][q][j]))
    return out
