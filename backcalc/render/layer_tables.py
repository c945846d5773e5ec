"""A step's tables when its network has layers of other kinds than dense (conv, pool, flatten,
batchnorm): the forward pass with each unit's own formula (a convolution's receptive field and
sum, a pool's window and winner, batch norm's statistics), then the loss, the backward pass, the
gradients (layer_gradients.py) and the update. Everything shown is read from the step's result."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..layers.gated import RECURRENT
from ..result import StepResult
from .numbers import fmt_once as fmt
from .numbers import paren
from .numbers import short_once as short
from .rnn_tables import rnn_formula
from .streams import plus_last
from .summary import hidden_count, pick
from .table import batch_text, gap_row, samples, titled_table

MAX_UNITS_SHOWN = 16  # a small image's positions are shown whole; wider layers are summarised unless --full
MAX_FIELD_WRITTEN = 9  # write a receptive field's sum out up to this many terms (a 3×3 kernel)


def units(layer, full: bool) -> list[int | None]:
    return pick(len(layer.neuron_names), full or len(layer.neuron_names) <= MAX_UNITS_SHOWN)


def inputs_of(result: StepResult, li: int):
    """Samples × inputs of layer li: the data, or the layer below's a."""
    return result.inputs if li == 0 else result.layers[li - 1].a


def heading(result: StepResult, d: int) -> Text:
    many = len(result.batch) > 1
    kinds = " → ".join(layer.kind for layer in result.layers)
    return Text.assemble((result.name or result.source, "bold"),
                         f": one step on sample{'s' if many else ''} {batch_text(result)} of {result.n_samples} · "
                         f"{kinds} · loss {result.loss_name} · reduction {result.reduction} · learning rate "
                         f"{short(result.learning_rate, d)}", *([" · exact arithmetic"] if result.exact else []))


def forward_table(result: StepResult, d: int, full: bool) -> Table:
    many = len(result.batch) > 1
    table = titled_table("Forward pass", ("layer", "left"), ("unit", "left"),
                         *([("sample", "right")] if many else []), ("how", "left"), ("z", "right"), ("a", "right"))
    for layer in result.layers:
        for i in units(layer, full):
            if i is None:
                gap_row(table, "units", len(layer.neuron_names) - 4, 5 + many, at=3 + many)
                continue
            for s in samples(result, full):
                how = unit_formula(result, layer, i, s, d, first=s == 0)
                table.add_row(f"{layer.index + 1} {layer.kind}" if i == 0 and s == 0 else "",
                              layer.neuron_names[i] if s == 0 else "",
                              *([str(result.batch[s] + 1)] if many else []), how,
                              fmt(layer.z[s, i], d), fmt(layer.a[s, i], d))
        table.add_section()
    return table


def unit_formula(result: StepResult, layer, i: int, s: int, d: int, first: bool) -> str:
    """How unit i's z is computed, in symbols (the first sample) and numbers."""
    a_in, names = inputs_of(result, layer.index)[s], layer.input_names
    if layer.kind == "dense":
        if len(names) > 4:
            return f"Σ of {len(names)} w·a + {layer.bias_names[i]}"
        values = plus_last([*(f"{paren(short(w, d))}·{paren(short(a, d))}" for w, a in zip(layer.weights[i], a_in)),
                            paren(short(layer.biases[i], d))])
        return f"= {values}"
    if layer.kind == "flatten":
        return f"= {names[i]}"
    if layer.kind == "batchnorm":
        k = layer.extras["statistic"][i]  # the unit's channel (per channel) or the unit itself
        return (f"{layer.weight_names[k][0]}·x̂ + {layer.bias_names[k]}\n" if first else "") + (
            f"= {paren(short(layer.weights[k][0], d))}·{paren(short(layer.extras['x_hat'][s][i], d))} + "
            f"{paren(short(layer.biases[k], d))}")
    if layer.kind in RECURRENT:
        return rnn_formula(layer, i, first)
    if layer.kind.startswith(("maxpool", "avgpool")):
        return pool_formula(layer, i, s, a_in, names, d, first)
    return conv_formula(layer, i, s, a_in, names, d, first)


def field_of(layer, i: int) -> list[int | None]:
    """The input indices (None: padding) unit i's window reads, in the kernel's order."""
    positions = len(layer.extras["receptive_field"])
    return layer.extras["receptive_field"][i % positions]


def conv_formula(layer, i: int, s: int, a_in, names, d: int, first: bool) -> str:
    import numpy as np

    channel, field = i // len(layer.extras["receptive_field"]), field_of(layer, i)
    kernel = np.ravel(layer.weights[channel])
    terms = [(k, j) for j, k in enumerate(field) if k is not None]
    if len(terms) > MAX_FIELD_WRITTEN:
        return f"Σ of {len(terms)} kernel entries · field + {layer.bias_names[channel]}"
    seen = "field " + " ".join(names[k] for k, _ in terms) + (" (+ padding)" if len(terms) < len(field) else "")
    values = plus_last([*(f"{paren(short(kernel[j], d))}·{paren(short(a_in[k], d))}" for k, j in terms),
                        paren(short(layer.biases[channel], d))])
    return (seen + "\n" if first else "") + f"= {values}"


def pool_formula(layer, i: int, s: int, a_in, names, d: int, first: bool) -> str:
    field = layer.extras["window"][i]
    how = "max" if layer.kind.startswith("max") else "mean"
    values = ", ".join("pad" if k is None else short(a_in[k], d) for k in field)
    text = f"{how}({values})"
    if how == "max":
        text += f"\n← {names[int(layer.extras['winner'][s][i])]}"
    return (f"window {' '.join('pad' if k is None else names[k] for k in field)}\n" if first else "") + text


def batchnorm_table(result: StepResult, layer, d: int, full: bool) -> Table:
    ex = layer.extras
    if ex["per"] == "channel":
        return channel_norm_table(result, layer, d, full)
    many_rows = samples(result, full)
    title = (f"Batch norm of layer {layer.index + 1}: μ, σ² over the batch (N = {len(result.batch)}), "
             "x̂ = (x − μ)/√(σ² + ε), ε = 1e-05")
    table = titled_table(title, ("feature", "left"), ("μ", "right"), ("σ²", "right"), ("√(σ²+ε)", "right"),
                         ("sample", "right"), ("x", "right"), ("x̂", "right"))
    x = inputs_of(result, layer.index)
    for k in units(layer, full):
        if k is None:
            gap_row(table, "features", len(layer.neuron_names) - 4, 7, at=1, mark=0)
            continue
        for s in many_rows:
            head = [layer.input_names[k], fmt(ex["mean"][k], d), fmt(ex["variance"][k], d), fmt(ex["std"][k], d)]
            table.add_row(*(head if s == 0 else [""] * 4), str(result.batch[s] + 1), fmt(x[s][k], d),
                          fmt(ex["x_hat"][s][k], d))
        table.add_section()
    return table


def channel_norm_table(result: StepResult, layer, d: int, full: bool) -> Table:
    """Per channel (BatchNorm1d on N×C×L, BatchNorm2d): a channel's μ and σ² over the batch and its positions."""
    ex, x, many_rows = layer.extras, inputs_of(result, layer.index), samples(result, full)
    positions = ex["count"] // len(result.batch)
    title = (f"Batch norm of layer {layer.index + 1}: μ, σ² per channel over the batch and its positions (M = "
             f"N × positions = {len(result.batch)} × {positions} = {ex['count']} values), x̂ = (x − μ)/√(σ² + ε), "
             "ε = 1e-05")
    table = titled_table(title, ("ch", "left"), ("μ", "right"), ("σ²", "right"), ("√(σ²+ε)", "right"),
                         ("input", "left"), ("sample", "right"), ("x", "right"), ("x̂", "right"))
    table.columns[4].no_wrap = True  # a position's name, c1[1,2,3], whole
    for c in range(len(ex["mean"])):
        for q in pick(positions, full or positions <= MAX_UNITS_SHOWN):
            if q is None:
                gap_row(table, "positions", hidden_count(positions), 8, at=4, mark=4)
                continue
            k = c * positions + q
            for s in many_rows:
                head = [str(c + 1), fmt(ex["mean"][c], d), fmt(ex["variance"][c], d), fmt(ex["std"][c], d)]
                table.add_row(*(head if s == 0 and q == 0 else [""] * 4), layer.input_names[k] if s == 0 else "",
                              str(result.batch[s] + 1), fmt(x[s][k], d), fmt(ex["x_hat"][s][k], d))
        table.add_section()
    return table

