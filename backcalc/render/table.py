"""Rich tables for people: forward pass, loss, chain rule, update; training runs."""

from __future__ import annotations

from fractions import Fraction

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..losses import get_loss
from ..result import ForwardResult, StepResult, TrainResult
from .numbers import approx, fmt, short, with_exact
from .numbers import exact as exact_number
from .streams import plus_last, plus_terms
from .summary import SUMMARY_HEAD
from .summary import pick as _pick

MAX_SAMPLES_SHOWN = 8
MAX_TERMS_WRITTEN = 4  # write the weighted sum out for layers with at most this many inputs
MAX_PARAMETERS_SHOWN = 40  # the final-parameters table of `train`, unless --full


class _HeadRule(box.Box):
    """box.SIMPLE_HEAD (a rule under the header, nothing else) that keeps its shape on a stream
    that cannot write '─', where rich would draw a full ASCII grid: the rule becomes '-'."""

    def substitute(self, options, safe: bool = True) -> box.Box:
        return _ASCII_HEAD_RULE if options.ascii_only else self


HEAD_RULE = _HeadRule("    \n    \n ── \n    \n    \n    \n    \n    \n")
_ASCII_HEAD_RULE = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def titled_table(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=HEAD_RULE,
                  pad_edge=False, min_width=len(title) + 1)
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=justify == "right", overflow="fold")
    return table


def hanging(mark: str, note: str) -> Table:
    """A dim note after `mark`; a line it wraps onto starts under the note, not under the mark."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_row(Text(mark, style="dim"), Text(note, style="dim"))
    return grid


def _samples(result: StepResult, full: bool = False) -> list[int]:
    return list(range(len(result.batch) if full else min(len(result.batch), MAX_SAMPLES_SHOWN)))


def _gap_row(table: Table, what: str, n_hidden: int, cells: int, at: int, mark: int = 1) -> None:
    """A dim row standing for the rows a summarised view leaves out: ⋮ in column `mark`, a note at `at`."""
    row = [""] * cells
    row[mark] = "⋮"
    row[at] = f"{'⋮ ' if at == mark else ''}{n_hidden} more {what} (--full)"
    table.add_row(*row, style="dim")




def _sample_label(result: StepResult, s: int) -> str:
    return str(result.batch[s] + 1)


def _count_samples(n: int) -> str:
    return f"{n} sample{'s' if n != 1 else ''}"


def step_tables(result: StepResult, digits: int = 5, full: bool = False) -> Group:
    """All tables of one step, top to bottom in the order of the computation.

    Layers over MAX_NEURONS_SHOWN neurons (or inputs) are summarised unless `full`.
    """
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
    if result.batch_size is not None and result.batch_size > result.n_samples:
        parts.append(Text(f"(batch_size {result.batch_size} is more than the {_count_samples(result.n_samples)}: "
                          "one short batch of them all, as PyTorch's DataLoader takes it)", style="dim"))

    # 1. forward
    # The weighted sum is written out where it is short (or with --full); a longer one says how many
    # terms it has, and when no layer's sum is written the column is left out.
    written = [full or len(layer.input_names) <= MAX_TERMS_WRITTEN for layer in result.layers]
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    forward = titled_table("Forward pass", *cols, *([("z = Σ w·a + b", "left")] if any(written) else []),
                     ("z", "right"), ("a", "right"))
    n_cols = 4 + many + any(written)
    for layer in result.layers:
        for i in _pick(len(layer.neuron_names), full):
            if i is None:
                _gap_row(forward, "neurons", len(layer.neuron_names) - SUMMARY_HEAD - 1, n_cols,
                         at=2 + many if any(written) else 1)
                continue
            neuron = layer.neuron_names[i]
            for s in _samples(result, full):
                expr = []
                if written[layer.index]:
                    names = plus_last([*(f"{w}·{x}" for w, x in zip(layer.weight_names[i], layer.input_names)),
                                       layer.bias_names[i]])
                    values = plus_last([*(f"{_paren(short(w, d))}·{_paren(short(a, d))}"
                                          for w, a in zip(layer.weights[i], _inputs_of(result, layer.index, s))),
                                        _paren(short(layer.biases[i], d))])
                    expr = [f"= {values}"]
                    if s == 0:  # the symbols once per neuron, the numbers per sample
                        expr = [f"{names}\n{expr[0]}"]
                elif any(written):
                    expr = [f"Σ of {len(layer.input_names)} terms + {layer.bias_names[i]} (--full)" if s == 0 else ""]
                forward.add_row(f"{layer.index + 1} {layer.activation}" if i == 0 and s == 0 else "", neuron,
                                *([_sample_label(result, s)] if many else []),
                                *expr, fmt(layer.z[s, i], d), fmt(layer.a[s, i], d))
        forward.add_section()
    parts.append(forward)
    parts.extend(_truncation_note(result, full))

    # 2. loss
    loss = titled_table(f"Loss: {result.loss_name}", ("sample", "right"), ("output", "left"),
                  ("target", "left"), ("loss", "right"))
    out = result.layers[-1]
    shown = _pick(len(out.neuron_names), full)
    for s in _samples(result, full):
        loss.add_row(_sample_label(result, s),
                     ", ".join("…" if k is None else f"{out.neuron_names[k]} = {fmt(out.a[s, k], d)}"
                               for k in shown),
                     ", ".join("…" if k is None else short(result.targets[s, k], d) for k in shown),
                     fmt(result.losses[s], d))
    how = "mean" if result.reduction == "mean" else "sum"
    loss.add_section()
    loss.add_row("L", f"{how} over {len(result.batch)} sample{'s' if many else ''}", "", fmt(result.loss, d),
                 style="bold")
    parts.append(loss)

    # 3. deltas
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    l_ = "ℓ" if many else "L"
    title = f"Backward pass: δ = ∂{l_}/∂z per neuron" + (" and sample (ℓ: that sample's loss)" if many else "")
    deltas = titled_table(title, *cols, (f"∂{l_}/∂a", "right"), ("from", "left"), ("∂a/∂z", "right"),
                          (f"δ = ∂{l_}/∂z", "right"))
    for column in deltas.columns[:2]:  # at 80 columns, wrap the formulas rather than squeeze the names
        column.min_width = len(str(column.header))
    n_layers = len(result.layers)
    for layer in reversed(result.layers):
        for i in _pick(len(layer.neuron_names), full):
            if i is None:
                _gap_row(deltas, "neurons", len(layer.neuron_names) - SUMMARY_HEAD - 1, 6 + many, at=3 + many)
                continue
            neuron = layer.neuron_names[i]
            if layer.index == n_layers - 1:
                source = f"∂{l_}/∂{neuron} (loss)"
            else:
                nxt = result.layers[layer.index + 1]
                if len(nxt.neuron_names) <= 3:
                    source = plus_terms([f"δ_{m}·{row[i]}" for m, row in zip(nxt.neuron_names, nxt.weight_names)])
                else:
                    source = f"Σ_k δ_k·w_k,{neuron} (layer {nxt.index + 1})"
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
    parts.append(deltas)
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

    # 4. gradients with chain-rule factors
    cols = [("parameter", "left"), ("neuron ← input", "left")] + ([("sample", "right")] if many else [])
    then = f", then the {how} over samples" if many else ""
    grads = titled_table(f"Gradients: ∂{l_}/∂p = ∂{l_}/∂a × ∂a/∂z × ∂z/∂p{then}",
                   *cols, (f"∂{l_}/∂a", "right"),
                   ("∂a/∂z", "right"), ("∂z/∂p", "right"), ("∂L/∂p", "right"))
    hidden = hidden_parameters(result, full)
    for p in result.parameters:
        if p.name in hidden:
            continue
        tied = len(p.terms) > 1
        for term in p.terms:
            layer = result.layers[term.layer]
            neuron = layer.neuron_names[term.row]
            source = layer.input_names[term.col] if term.kind == "weight" else "1"
            for s in _samples(result, full):
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
    if hidden:  # below the table: in a cell, the note would be squeezed into a narrow column
        parts.append(Text(f" ⋮ {len(hidden)} more parameters of wide layers (--full)\n", style="dim"))

    # 5. update
    if result.optimizer is not None and not result.optimizer.plain:
        from .optimizer_table import optimizer_update

        parts.extend(optimizer_update(result, d, titled_table))
        return Group(*parts)
    update = titled_table("Update: p ← p − η·∂L/∂p", ("parameter", "left"), ("old", "right"),
                    ("∂L/∂p", "right"), ("η·∂L/∂p", "right"), ("new", "right"))
    for p in result.parameters:
        if p.name in hidden:
            continue
        step_size = "frozen" if p.frozen else fmt(result.learning_rate * p.grad, d)
        update.add_row(p.name, fmt(p.value, d), fmt(p.grad, d), step_size, fmt(p.new, d))
    if hidden:
        update.add_row(f"⋮ {len(hidden)} more (--full)", "", "", "", "", style="dim")
    parts.append(update)
    return Group(*parts)


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


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def _batch_text(result: StepResult) -> str:
    b = result.batch
    if len(b) == 1:
        return str(b[0] + 1)
    return f"{b[0] + 1}–{b[-1] + 1}"


def _inputs_of(result: StepResult, li: int, s: int):
    return result.inputs[s] if li == 0 else result.layers[li - 1].a[s]


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


def train_tables(result: TrainResult, digits: int = 5, sparkline: str | None = None,
                 full: bool = False) -> Group:
    d = digits
    parts = []
    several = result.batches_per_epoch > 1
    per_sample = result.reduction == "sum"
    # Exact values (--exact) show as decimals, with their exact value in a column of its own.
    exact = isinstance(result.loss, Fraction)
    number = (lambda x: approx(x, d)) if exact else (lambda x: fmt(x, d))
    columns = [("epoch", "right"), ("loss (mean over batches)" if several else "loss", "right")]
    columns += [("min", "right"), ("max", "right")] if several else []
    columns += [("mean per sample", "right")] if per_sample else []
    columns += [("exact loss", "left")] if exact else []
    history = titled_table("Training", *columns)
    if exact:  # headers may wrap, so that the exact values keep a column wide enough to fold in
        for column in history.columns[1:]:
            column.no_wrap = False
    for r in result.history:
        history.add_row(str(r.epoch), number(r.loss),
                        *([number(r.loss_min), number(r.loss_max)] if several else []),
                        *([number(r.mean_sample_loss)] if per_sample else []),
                        *([_exact(r.loss)] if exact else []))
    parts.append(history)
    if sparkline:
        parts.append(Text(f"loss {sparkline}"))
    final = titled_table(f"Final parameters after {result.epochs} epoch{'s' if result.epochs != 1 else ''}",
                   ("parameter", "left"), ("value", "right"), *([("exact value", "left")] if exact else []))
    items = list(result.parameters.items())
    limit = len(items) if full else MAX_PARAMETERS_SHOWN
    for name, value in items[:limit]:
        final.add_row(name, number(value), *([_exact(value)] if exact else []))
    if len(items) > limit:
        final.add_row(f"⋮ {len(items) - limit} more (--full)", "", style="dim")
    parts.append(final)
    n_samples = len(result.output) if full else MAX_SAMPLES_SHOWN
    shown = _pick(result.output.shape[1], full)
    written = (lambda x: with_exact(x, d)) if exact else number
    outputs = ", ".join("[" + ", ".join("…" if k is None else written(row[k]) for k in shown) + "]"
                        for row in result.output[:n_samples])
    more = " …" if len(result.output) > n_samples else ""
    parts.append(Text.assemble(("final loss on all data: ", "bold"), written(result.loss)))
    parts.append(Text.assemble(("outputs: ", "bold"), outputs + more))
    return Group(*parts)


def _exact(q) -> Text:
    """An exact value for a column of its own: long ones fold at the column's width."""
    return Text(exact_number(q), overflow="fold")


def forward_table(result: ForwardResult, digits: int = 5, full: bool = False) -> Group:
    """Every neuron's z and a, per sample; wide layers and long batches summarised unless `full`."""
    d = digits
    n = len(result.inputs)
    many = n > 1
    samples = list(range(n if full else min(n, MAX_SAMPLES_SHOWN)))
    source = "the spec's inputs" if result.inputs_from == "spec" else "--inputs"
    title = Text.assemble((f"{result.name or result.source}", "bold"),
                          f": forward pass of {n} sample{'s' if many else ''} ({source})")
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    table = titled_table("Forward pass", *cols, ("z", "right"), ("a", "right"))
    for j in _pick(len(result.input_names), full):
        if j is None:
            _gap_row(table, "inputs", len(result.input_names) - SUMMARY_HEAD - 1, 4 + many, at=1, mark=1)
            continue
        for s in samples:
            table.add_row("0 input" if j == 0 and s == 0 else "", result.input_names[j] if s == 0 else "",
                          *([str(s + 1)] if many else []), "", fmt(result.inputs[s, j], d))
    table.add_section()
    for layer in result.layers:
        for i in _pick(len(layer.neuron_names), full):
            if i is None:
                _gap_row(table, "neurons", len(layer.neuron_names) - SUMMARY_HEAD - 1, 4 + many, at=1, mark=1)
                continue
            for s in samples:
                table.add_row(f"{layer.index + 1} {layer.activation}" if i == 0 and s == 0 else "",
                              layer.neuron_names[i] if s == 0 else "", *([str(s + 1)] if many else []),
                              fmt(layer.z[s, i], d), fmt(layer.a[s, i], d))
        table.add_section()
    parts = [title, table]
    if len(samples) < n:
        parts.append(Text(f"(showing the first {len(samples)} of {n} samples; --full or --json has them all)",
                          style="dim"))
    return Group(*parts)


def make_console(no_color: bool = False, stderr: bool = False) -> Console:
    """A console for tables: `no_color` (or NO_COLOR) turns off every ANSI style, not only colour."""
    import os

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    # markup=False, emoji=False: names are the user's text ("w[out,x1]" must not be read as a
    # style tag, nor ":smile:" become 😄; not loading rich's emoji table also saves ~4 ms)
    return _PrintableConsole(stderr=stderr, highlight=False, markup=False, emoji=False, no_color=plain or None,
                             **({"color_system": None} if plain else {}))


class _PrintableConsole(Console):
    """Text cells and titles made printable, and spelled as the stream can encode them, before
    the table is laid out, so they keep their columns aligned (print_renderable and the stream
    make sure of the rest)."""

    def render_str(self, text: str, **options) -> Text:
        from .streams import for_encoding, printable

        text = printable(text)
        if not self.encoding.startswith("utf"):
            text = for_encoding(text, self.encoding)
        return super().render_str(text, **options)


def print_renderable(renderable, no_color: bool = False, stderr: bool = False) -> None:
    """Print through the output boundary: the user's text made printable (a name cannot clear the
    screen or move the cursor) and no trailing spaces (rich pads cells to the table's width, which
    makes diffs of saved output noisy)."""
    from rich.segment import Segment, Segments

    from . import fixed_width
    from .streams import GLUE, printable

    console = make_console(no_color, stderr)
    plain = fixed_width.plain_lines(renderable, console)
    if plain is not None:  # no styles to write: the same text without rich's cost per cell
        text = "".join(printable(line.replace(GLUE, " ")).rstrip(" ") + "\n" for line in plain)
        console.print(Segments([Segment(text)]), crop=False, end="")
        return
    segments = []
    for line in console.render_lines(renderable, pad=False, new_lines=False):
        line = [Segment(printable(s.text.replace(GLUE, " ")), s.style) if not s.control else s for s in line]
        while line and not line[-1].control and not line[-1].text.rstrip(" "):
            line.pop()
        if line and not line[-1].control:
            line[-1] = Segment(line[-1].text.rstrip(" "), line[-1].style)
        segments += [*line, Segment.line()]
    console.print(Segments(segments), crop=False, end="")

