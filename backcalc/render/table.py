"""Rich tables for people: forward pass, loss, chain rule, update; training runs."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..result import StepResult, TrainResult
from .numbers import fmt, short

MAX_SAMPLES_SHOWN = 8
MAX_TERMS_WRITTEN = 4  # write the weighted sum out for layers with at most this many inputs


def _table(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, min_width=len(title) + 1)
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=justify == "right")
    return table


def _samples(result: StepResult) -> list[int]:
    return list(range(min(len(result.batch), MAX_SAMPLES_SHOWN)))


def _sample_label(result: StepResult, s: int) -> str:
    return str(result.batch[s] + 1)


def step_tables(result: StepResult, digits: int = 5) -> Group:
    """All tables of one step, top to bottom in the order of the computation."""
    d = digits
    many = len(result.batch) > 1
    parts = []
    title = result.name or result.source
    parts.append(Text.assemble(
        (f"{title}", "bold"),
        f": one step on sample{'s' if many else ''} "
        f"{_batch_text(result)} of {result.n_samples} · loss {result.loss_name} · "
        f"reduction {result.reduction} · learning rate {short(result.learning_rate, d)}",
        *([" · exact arithmetic"] if result.exact else []),
    ))

    # 1. forward
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    forward = _table("Forward pass", *cols, ("z = Σ w·a + b", "left"), ("z", "right"), ("a", "right"))
    for layer in result.layers:
        for i, neuron in enumerate(layer.neuron_names):
            for s in _samples(result):
                expr = ""
                if len(layer.input_names) <= MAX_TERMS_WRITTEN:
                    names = " + ".join(f"{w}·{x}" for w, x in zip(layer.weight_names[i], layer.input_names))
                    values = " + ".join(f"{_paren(short(w, d))}·{_paren(short(a, d))}"
                                        for w, a in zip(layer.weights[i], _inputs_of(result, layer.index, s)))
                    expr = f"{names} + {layer.bias_names[i]}\n= {values} + {_paren(short(layer.biases[i], d))}"
                forward.add_row(f"{layer.index + 1} {layer.activation}" if i == 0 and s == 0 else "", neuron,
                                *([_sample_label(result, s)] if many else []),
                                expr, fmt(layer.z[s, i], d), fmt(layer.a[s, i], d))
        forward.add_section()
    parts.append(forward)
    parts.extend(_truncation_note(result))

    # 2. loss
    loss = _table(f"Loss: {result.loss_name}", ("sample", "right"), ("output", "left"),
                  ("target", "left"), ("loss", "right"))
    out = result.layers[-1]
    for s in _samples(result):
        loss.add_row(_sample_label(result, s),
                     ", ".join(f"{n} = {fmt(v, d)}" for n, v in zip(out.neuron_names, out.a[s])),
                     ", ".join(short(v, d) for v in result.targets[s]), fmt(result.losses[s], d))
    how = "mean" if result.reduction == "mean" else "sum"
    loss.add_section()
    loss.add_row("L", f"{how} over {len(result.batch)} sample{'s' if many else ''}", "", fmt(result.loss, d),
                 style="bold")
    parts.append(loss)

    # 3. deltas
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    l_ = "ℓ" if many else "L"
    deltas = _table(f"Backward pass: δ = ∂{l_}/∂z per neuron" + (" and sample (ℓ: that sample's loss)" if many else ""),
                    *cols, (f"∂{l_}/∂a", "right"), ("from", "left"), ("∂a/∂z", "right"), (f"δ = ∂{l_}/∂z", "right"))
    n_layers = len(result.layers)
    for layer in reversed(result.layers):
        for i, neuron in enumerate(layer.neuron_names):
            if layer.index == n_layers - 1:
                source = f"∂ℓ/∂{neuron}"
            else:
                nxt = result.layers[layer.index + 1]
                if len(nxt.neuron_names) <= 3:
                    source = " + ".join(f"δ_{m}·{row[i]}" for m, row in zip(nxt.neuron_names, nxt.weight_names))
                else:
                    source = f"Σ_k δ_k·w_k,{neuron} (layer {nxt.index + 1})"
            for s in _samples(result):
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
    parts.append(deltas)
    out_layer = result.layers[-1]
    if out_layer.fused:
        formula = "(y − t)/K" if result.loss_name == "bce" else ("y·Σt − t" if out_layer.activation == "softmax"
                                                                 else "t·(y − 1)")
        parts.append(Text(f"* {out_layer.activation} with {result.loss_name}: δ = ∂ℓ/∂z = {formula} directly, "
                          "the stable form of ∂ℓ/∂a × ∂a/∂z", style="dim"))
    elif out_layer.da_dz is None:
        parts.append(Text("softmax: δ = Jᵀ·∂ℓ/∂a with the Jacobian J below", style="dim"))
    for layer in result.layers:
        if layer.jacobian is not None:
            parts.append(_jacobian_table(result, layer, d))

    # 4. gradients with chain-rule factors
    cols = [("parameter", "left"), ("neuron ← input", "left")] + ([("sample", "right")] if many else [])
    then = f", then the {how} over samples" if many else ""
    grads = _table(f"Gradients: ∂{l_}/∂p = ∂{l_}/∂a × ∂a/∂z × ∂z/∂p{then}",
                   *cols, (f"∂{l_}/∂a", "right"),
                   ("∂a/∂z", "right"), ("∂z/∂p", "right"), ("∂L/∂p", "right"))
    for p in result.parameters:
        tied = len(p.terms) > 1
        for term in p.terms:
            layer = result.layers[term.layer]
            neuron = layer.neuron_names[term.row]
            source = layer.input_names[term.col] if term.kind == "weight" else "1"
            for s in _samples(result):
                if len(term.factors) == 3:
                    head = [fmt(term.factors[0].value[s], d), fmt(term.factors[1].value[s], d)]
                else:  # ∂L/∂z given directly (softmax Jacobian, or fused with the loss)
                    head = [f"δ = {fmt(term.factors[0].value[s], d)}", ""]
                grads.add_row(p.name if s == 0 else "", f"{neuron} ← {source}" if s == 0 else "",
                              *([_sample_label(result, s)] if many else []),
                              *head, fmt(term.factors[-1].value[s], d), fmt(term.product[s], d))
            if many:
                grads.add_row("", "", how, "", "", "", fmt(term.contribution, d), style="italic")
        if tied:
            grads.add_row(f"{p.name} total", f"sum of {len(p.terms)} tied entries", *([""] if many else []),
                          "", "", "", fmt(p.grad, d), style="bold")
        if tied or many:
            grads.add_section()
    parts.append(grads)

    # 5. update
    update = _table("Update: p ← p − η·∂L/∂p", ("parameter", "left"), ("old", "right"),
                    ("∂L/∂p", "right"), ("η·∂L/∂p", "right"), ("new", "right"))
    for p in result.parameters:
        step_size = "frozen" if p.frozen else fmt(result.learning_rate * p.grad, d)
        update.add_row(p.name, fmt(p.value, d), fmt(p.grad, d), step_size, fmt(p.new, d))
    parts.append(update)
    return Group(*parts)


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def _batch_text(result: StepResult) -> str:
    b = result.batch
    if len(b) == 1:
        return str(b[0] + 1)
    return f"{b[0] + 1}–{b[-1] + 1}"


def _inputs_of(result: StepResult, li: int, s: int):
    return result.inputs[s] if li == 0 else result.layers[li - 1].a[s]


def _truncation_note(result: StepResult) -> list:
    if len(result.batch) > MAX_SAMPLES_SHOWN:
        return [Text(f"(showing the first {MAX_SAMPLES_SHOWN} of {len(result.batch)} samples; "
                     "--json has them all)", style="dim")]
    return []


def _jacobian_table(result: StepResult, layer, d: int) -> Table:
    names = layer.neuron_names
    t = _table(f"Softmax Jacobian ∂a_i/∂z_j of layer {layer.index + 1} (sample {_sample_label(result, 0)})",
               ("", "left"), *[(f"z_{n}", "right") for n in names])
    for i, n in enumerate(names):
        t.add_row(n, *[fmt(v, d) for v in layer.jacobian[0, i]])
    return t


def train_tables(result: TrainResult, digits: int = 5, sparkline: str | None = None) -> Group:
    d = digits
    parts = []
    several = result.batches_per_epoch > 1
    per_sample = result.reduction == "sum"
    columns = [("epoch", "right"), ("loss (mean over batches)" if several else "loss", "right")]
    columns += [("min", "right"), ("max", "right")] if several else []
    columns += [("mean per sample", "right")] if per_sample else []
    history = _table("Training", *columns)
    for r in result.history:
        history.add_row(str(r.epoch), fmt(r.loss, d),
                        *([fmt(r.loss_min, d), fmt(r.loss_max, d)] if several else []),
                        *([fmt(r.mean_sample_loss, d)] if per_sample else []))
    parts.append(history)
    if sparkline:
        parts.append(Text(f"loss {sparkline}"))
    final = _table(f"Final parameters after {result.epochs} epoch{'s' if result.epochs != 1 else ''}",
                   ("parameter", "left"), ("value", "right"))
    for name, value in result.parameters.items():
        final.add_row(name, fmt(value, d))
    parts.append(final)
    outputs = ", ".join("[" + ", ".join(fmt(v, d) for v in row) + "]" for row in result.output[:MAX_SAMPLES_SHOWN])
    more = " …" if len(result.output) > MAX_SAMPLES_SHOWN else ""
    parts.append(Text.assemble(("final loss on all data: ", "bold"), fmt(result.loss, d)))
    parts.append(Text.assemble(("outputs: ", "bold"), outputs + more))
    return Group(*parts)


def print_renderable(renderable, no_color: bool = False) -> None:
    Console(no_color=no_color or None, highlight=False).print(renderable)
