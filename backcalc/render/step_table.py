"""The tables of one step for people, in the order of the computation: forward pass, loss,
backward pass (δ), chain-rule gradients, update."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..losses import get_loss
from ..result import StepResult
from .input_table import input_table
from .loss_and_update import loss_table, update_tables
from .numbers import fmt_once as fmt
from .numbers import paren as _paren
from .numbers import short_once as short
from .streams import plus_last, plus_terms
from .summary import SUMMARY_HEAD
from .summary import pick as _pick
from .table import MAX_SAMPLES_SHOWN, MAX_TERMS_WRITTEN, Rows, Texts, batch_text, gap_row, hanging, titled_table
from .table import samples as _samples


def step_tables(result: StepResult, digits: int = 5, full: bool = False) -> Group:
    """All tables of one step, top to bottom in the order of the computation.

    Layers over MAX_NEURONS_SHOWN neurons (or inputs) are summarised unless `full`.
    """
    d = digits
    if any(layer.kind != "dense" for layer in result.layers):  # conv, pool, flatten, batchnorm: their own tables
        from .layer_step import kind_step_tables

        return kind_step_tables(result, d, full)
    hidden = hidden_parameters(result, full)
    parts = [*_heading(result, d), _forward_table(result, d, full), *_truncation_note(result, full),
             loss_table(result, d, full), _delta_table(result, d, full), *_delta_notes(result, d, full),
             _gradient_table(result, d, full, hidden)]
    if hidden:  # below the table: in a cell, the note would be squeezed into a narrow column
        parts.append(Text(f" ⋮ {len(hidden)} more parameters of wide layers (--full)\n", style="dim"))
    parts.append(input_table(result, d, full, lambda j, s: _backpropagated(result.layers[0], j,
                                                                       result.input_names[j])))
    parts.extend(update_tables(result, d, hidden))
    return Group(*parts)


def _heading(result: StepResult, d: int) -> list:
    many = len(result.batch) > 1
    parts = []
    title = result.name or result.source
    parts.append(Text.assemble(
        (f"{title}", "bold"),
        f": one step on sample{'s' if many else ''} "
        f"{batch_text(result)} of {result.n_samples} · loss {result.loss_name} · "
        f"reduction {result.reduction} · learning rate {short(result.learning_rate, d)}",
        *([" · exact arithmetic"] if result.exact else []),
    ))
    if result.batch_size is not None and result.batch_size > result.n_samples:
        parts.append(Text(f"(batch_size {result.batch_size} is more than the {_count_samples(result.n_samples)}: "
                          "one short batch of them all, as PyTorch's DataLoader takes it)", style="dim"))
    return parts


def _forward_table(result: StepResult, d: int, full: bool) -> Table:
    many = len(result.batch) > 1
    # The weighted sum is written out where it is short (or with --full); a longer one says how many
    # terms it has, and when no layer's sum is written the column is left out.
    written = [full or len(layer.input_names) <= MAX_TERMS_WRITTEN for layer in result.layers]
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    forward = titled_table("Forward pass", *cols, *([("z = Σ w·a + b", "left")] if any(written) else []),
                     ("z", "right"), ("a", "right"))
    n_cols = 4 + many + any(written)
    samples = _samples(result, full)
    for layer in result.layers:
        rows = Rows(forward)
        # each weight, input and activation written once (a big layer repeats them in many rows)
        sums = _weighted_sums(result, layer, d, samples) if written[layer.index] else None
        z_text = [[fmt(v, d) for v in row] for row in layer.z[:len(samples)].tolist()]
        a_text = [[fmt(v, d) for v in row] for row in layer.a[:len(samples)].tolist()]
        for i in _pick(len(layer.neuron_names), full):
            if i is None:
                rows.table()
                gap_row(forward, "neurons", len(layer.neuron_names) - SUMMARY_HEAD - 1, n_cols,
                         at=2 + many if any(written) else 1)
                continue
            neuron = layer.neuron_names[i]
            for s in samples:
                expr = []
                if sums is not None:
                    expr = [sums(i, s)]
                elif any(written):
                    expr = [f"Σ of {len(layer.input_names)} terms + {layer.bias_names[i]} (--full)" if s == 0 else ""]
                rows.add(f"{layer.index + 1} {layer.activation}" if i == 0 and s == 0 else "", neuron,
                         *([_sample_label(result, s)] if many else []), *expr, z_text[s][i], a_text[s][i])
        rows.add_section()
    return forward


def _weighted_sums(result: StepResult, layer, d: int, samples: list[int]):
    """(neuron, sample) -> the cell of its weighted sum: the symbols (on its first sample) over the numbers."""
    weights = [[_paren(short(w, d)) for w in row] for row in layer.weights.tolist()]
    biases = [_paren(short(b, d)) for b in layer.biases.tolist()]
    below = result.inputs if layer.index == 0 else result.layers[layer.index - 1].a
    inputs = [[_paren(short(a, d)) for a in row] for row in below[:len(samples)].tolist()]

    def cell(i: int, s: int) -> str:
        values = f"= {plus_last([*(f'{w}·{a}' for w, a in zip(weights[i], inputs[s])), biases[i]])}"
        if s:
            return values
        names = plus_last([*(f"{w}·{x}" for w, x in zip(layer.weight_names[i], layer.input_names)),
                           layer.bias_names[i]])
        return f"{names}\n{values}"  # the symbols once per neuron, the numbers per sample
    return cell


def _delta_table(result: StepResult, d: int, full: bool) -> Table:
    """δ layer by layer from the output back, between the seed ∂L/∂L = 1 and the inputs' ∂L/∂x."""
    many = len(result.batch) > 1
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    l_ = "ℓ" if many else "L"
    title = f"Backward pass: δ = ∂{l_}/∂z per neuron" + (" and sample (ℓ: that sample's loss)" if many else "")
    deltas = titled_table(title, *cols, (f"∂{l_}/∂a", "right"), ("from", "left"), ("∂a/∂z", "right"),
                          (f"δ = ∂{l_}/∂z", "right"))
    for column in deltas.columns[:2]:  # at 80 columns, wrap the formulas rather than squeeze the names
        column.min_width = len(str(column.header))
    # the seed: where the chain rule starts, as lectures write it before the output layer's row;
    # exactly 1 by definition, so written as the whole number it is
    deltas.add_row("loss", l_, *([""] if many else []), "1", f"∂{l_}/∂{l_} (seed)", "", "")
    n_layers = len(result.layers)
    for layer in reversed(result.layers):
        for i in _pick(len(layer.neuron_names), full):
            if i is None:
                gap_row(deltas, "neurons", len(layer.neuron_names) - SUMMARY_HEAD - 1, 6 + many, at=3 + many)
                continue
            neuron = layer.neuron_names[i]
            if layer.index == n_layers - 1:
                source = f"∂{l_}/∂{neuron} (loss)"
            else:
                source = _backpropagated(result.layers[layer.index + 1], i, neuron)
            for s in _samples(result, full):
                dl_da = fmt(layer.dl_da[s, i], d) if layer.dl_da is not None else "—"
                if layer.da_dz is not None and not layer.fused:
                    da_dz = fmt(layer.da_dz[s, i], d)
                elif layer.fused:
                    da_dz = "combined*"
                else:
                    da_dz = "Jacobian"
                deltas.add_row(str(layer.index + 1), neuron, *([_sample_label(result, s)] if many else []),
                               dl_da, source, da_dz, fmt(layer.delta[s, i], d))
        deltas.add_section()
    return deltas


def _backpropagated(above, i: int, name: str) -> str:
    """How ∂ℓ/∂a of unit `i` below layer `above` comes back through it: Σ δ·w, written out when short."""
    if len(above.neuron_names) <= 3:
        return plus_terms([f"δ_{m}·{row[i]}" for m, row in zip(above.neuron_names, above.weight_names)])
    return f"Σ_k δ_k·w_k,{name} (layer {above.index + 1})"


def _delta_notes(result: StepResult, d: int, full: bool) -> list:
    """How the output δ was computed (fused with the loss, or through softmax's Jacobian), and the Jacobians."""
    parts = []
    out_layer = result.layers[-1]
    if out_layer.fused:
        formula = get_loss(result.loss_name).fused[out_layer.activation].formula
        k = " (K outputs)" if "K" in formula else ""  # K: the loss is a mean over the outputs
        parts.append(hanging("*", f"{out_layer.activation} with {result.loss_name}: δ = ∂ℓ/∂z = {formula} "
                             f"directly{k}, the stable form of ∂ℓ/∂a × ∂a/∂z"))
    elif out_layer.da_dz is None:
        parts.append(Text("softmax: δ = Jᵀ·∂ℓ/∂a with the Jacobian J below", style="dim"))
    for layer in result.layers:
        if layer.jacobian is not None:
            parts.append(_jacobian_table(result, layer, d, full))
    return parts


def _gradient_table(result: StepResult, d: int, full: bool, hidden: set[str]) -> Table:
    many = len(result.batch) > 1
    l_ = "ℓ" if many else "L"
    how = "mean" if result.reduction == "mean" else "sum"
    cols = [("parameter", "left"), ("neuron ← input", "left")] + ([("sample", "right")] if many else [])
    then = f", then the {how} over samples" if many else ""
    grads = titled_table(f"Gradients: ∂{l_}/∂p = ∂{l_}/∂a × ∂a/∂z × ∂z/∂p{then}",
                   *cols, (f"∂{l_}/∂a", "right"),
                   ("∂a/∂z", "right"), ("∂z/∂p", "right"), ("∂L/∂p", "right"))
    rows = Rows(grads)
    samples = _samples(result, full)
    labels = [_sample_label(result, s) for s in samples] if many else [None] * len(samples)
    text = Texts(len(samples), d)  # a factor shared by many rows (a neuron's ∂ℓ/∂a, an input) written once
    for p in result.parameters:
        if p.name in hidden:
            continue
        tied = len(p.terms) > 1
        for term in p.terms:
            layer = result.layers[term.layer]
            neuron = layer.neuron_names[term.row]
            source = layer.input_names[term.col] if term.kind == "weight" else "1"
            first = [p.name, f"{neuron} ← {source}"]
            if len(term.factors) == 3:
                heads = zip(text.of(term.factors[0].value), text.of(term.factors[1].value))
            else:  # ∂L/∂z given directly (softmax Jacobian, or fused with the loss)
                heads = ((f"δ = {v}", "") for v in text.of(term.factors[0].value))
            for label, (h0, h1), dz_dp, product in zip(labels, heads, text.of(term.factors[-1].value),
                                                       text.once(term.product)):
                rows.add(*first, *([label] if many else []), h0, h1, dz_dp, product)
                first = ["", ""]
            if many:
                rows.add_row("", "", how, "", "", "", fmt(term.contribution, d), style="italic")
        if tied:
            rows.add_row(f"{p.name} total", f"sum of {len(p.terms)} tied entries", *([""] if many else []),
                         "", "", "", fmt(p.grad, d), style="bold")
        if tied or many:
            rows.add_section()
    return rows.table()


def hidden_parameters(result: StepResult, full: bool) -> set[str]:
    """Parameters whose every slot lies in a row or column a summarised view leaves out."""
    if full:
        return set()
    hidden = set()
    for p in result.parameters:
        visible = False
        for term in p.terms:
            layer = result.layers[term.layer]
            rows = _pick(len(layer.neuron_names))
            cols = _pick(len(layer.input_names))
            if term.row in rows and (term.col is None or term.col in cols):
                visible = True
        if not visible:
            hidden.add(p.name)
    return hidden


def _truncation_note(result: StepResult, full: bool = False) -> list:
    if len(result.batch) > MAX_SAMPLES_SHOWN and not full:
        return [Text(f"(showing the first {MAX_SAMPLES_SHOWN} of {len(result.batch)} samples; "
                     "--json has them all)", style="dim")]
    return []


def _jacobian_table(result: StepResult, layer, d: int, full: bool = False) -> Table:
    names = layer.neuron_names
    shown = _pick(len(names), full)
    t = titled_table(f"Softmax Jacobian ∂a_i/∂z_j of layer {layer.index + 1} (sample {_sample_label(result, 0)})",
               ("", "left"), *[("…" if j is None else f"z_{names[j]}", "right") for j in shown])
    for i in shown:
        if i is None:
            t.add_row("⋮", *["⋮"] * len(shown), style="dim")
            continue
        t.add_row(names[i], *["…" if j is None else fmt(layer.jacobian[0, i, j], d) for j in shown])
    return t


def _sample_label(result: StepResult, s: int) -> str:
    return str(result.batch[s] + 1)


def _count_samples(n: int) -> str:
    return f"{n} sample{'s' if n != 1 else ''}"
