"""Jupyter's views of a step, a training run and a check (`mimebundle`), built as grids (grid.py).

The grids read the same fields of the result objects the rich tables read (render/step_table.py,
render/check.py), summarised the same way (the first samples, `summary.pick` for wide layers,
`step_table.hidden_parameters`, `check.verdict_rows`); html.py draws them, grid.py writes them as Markdown.
"""

from __future__ import annotations

from ..result import StepResult, TrainResult
from .grid import Column, Grid, markdown_grids
from .numbers import fmt, short
from .summary import pick

MAX_SAMPLES_SHOWN = 8  # as the rich tables: a notebook cell is about as wide as a terminal
ARROW = r"\leftarrow"


def mimebundle(result) -> dict:
    """text/plain (the one-line repr), text/html, text/markdown and application/json (`to_dict()`)."""
    from ..check import CheckResult
    from .html import check_html, grids_html, train_html

    if isinstance(result, StepResult):
        grids = step_grids(result)
        html, markdown = grids_html(step_heading(result), grids), markdown_grids(step_heading(result), grids)
    elif isinstance(result, TrainResult):
        grids = train_grids(result)
        heading = train_heading(result)
        html, markdown = train_html(heading, result.curve, grids), markdown_grids(heading, grids)
    elif isinstance(result, CheckResult):
        grid, summary = check_grid(result)
        html, markdown = check_html(grid, summary), markdown_grids("", [grid]) + f"\n**{summary}**\n"
    else:
        raise TypeError(f"no notebook view of {type(result).__name__}")
    return {"text/plain": repr(result), "text/html": html, "text/markdown": markdown,
            "application/json": result.to_dict()}


def _samples(result: StepResult) -> list[int]:
    return list(range(min(len(result.batch), MAX_SAMPLES_SHOWN)))


def step_heading(result: StepResult) -> str:
    many = len(result.batch) > 1
    batch = result.batch
    which = str(batch[0] + 1) if not many else f"{batch[0] + 1}–{batch[-1] + 1}"
    exact = " · exact arithmetic" if result.exact else ""
    return (f"{result.name or result.source}: one step on sample{'s' if many else ''} {which} of "
            f"{result.n_samples} · loss {result.loss_name} · reduction {result.reduction} · learning rate "
            f"{short(result.learning_rate)}{exact}")


def step_grids(result: StepResult, d: int = 5) -> list[Grid]:
    """The forward pass, the loss, the backward pass, the gradients and the update, as grids."""
    many = len(result.batch) > 1
    ell = "ℓ" if many else "L"
    tex = r"\ell" if many else "L"
    sample = [Column("sample")] if many else []
    grids = [_forward(result, sample, d), _loss(result, d), _backward(result, sample, ell, tex, d),
             _gradients(result, sample, ell, tex, d), *_inputs(result, sample, ell, tex, d), _update(result, d)]
    if len(result.batch) > MAX_SAMPLES_SHOWN:
        grids[0].notes.append(f"showing the first {MAX_SAMPLES_SHOWN} of {len(result.batch)} samples; "
                              "to_dict() has them all")
    return grids


def _neurons(layer):
    """The neurons shown of a layer: (index, name), None for the gap of a summarised one."""
    return [None if i is None else (i, layer.neuron_names[i]) for i in pick(len(layer.neuron_names))]


def _forward(result: StepResult, sample: list, d: int) -> Grid:
    grid = Grid("Forward pass", [Column("layer", right=False), Column("neuron", right=False), *sample,
                                 Column("z"), Column("a")], title_latex=r"$z = \sum w\,a + b,\ a = f(z)$")
    for layer in result.layers:
        for shown in _neurons(layer):
            if shown is None:
                grid.add("", "⋮", *[""] * len(sample), "", "", dim=True)
                continue
            i, neuron = shown
            for s in _samples(result):
                label = layer.activation if layer.kind == "dense" else layer.kind
                grid.add(f"{layer.index + 1} {label}" if i == 0 and s == 0 else "", neuron,
                         *([str(result.batch[s] + 1)] if sample else []), fmt(layer.z[s, i], d),
                         fmt(layer.a[s, i], d))
    return grid


def _loss(result: StepResult, d: int) -> Grid:
    out = result.layers[-1]
    grid = Grid(f"Loss: {result.loss_name}", [Column("sample"), Column("output", right=False),
                                               Column("target", right=False), Column("loss", r"$\ell$")])
    shown = pick(len(out.neuron_names))
    for s in _samples(result):
        grid.add(str(result.batch[s] + 1),
                 ", ".join("…" if k is None else f"{out.neuron_names[k]} = {fmt(out.a[s, k], d)}" for k in shown),
                 ", ".join("…" if k is None else short(result.targets[s, k], d) for k in shown),
                 fmt(result.losses[s], d))
    n = len(result.batch)
    grid.add("L", f"{'mean' if result.reduction == 'mean' else 'sum'} over {n} sample{'s' if n > 1 else ''}", "",
             fmt(result.loss, d), bold=True)
    return grid


def _backward(result: StepResult, sample: list, ell: str, tex: str, d: int) -> Grid:
    grid = Grid(f"Backward pass: δ = ∂{ell}/∂z per neuron",
                [Column("layer", right=False), Column("neuron", right=False), *sample,
                 Column(f"∂{ell}/∂a", rf"$\partial {tex}/\partial a$"), Column("∂a/∂z", r"$\partial a/\partial z$"),
                 Column(f"δ = ∂{ell}/∂z", rf"$\delta = \partial {tex}/\partial z$")],
                title_latex=rf"$\delta = \partial {tex}/\partial a \cdot \partial a/\partial z$")
    for layer in reversed(result.layers):
        for shown in _neurons(layer):
            if shown is None:
                grid.add("", "⋮", *[""] * len(sample), "", "", "", dim=True)
                continue
            i, neuron = shown
            for s in _samples(result):
                dl_da = fmt(layer.dl_da[s, i], d) if layer.dl_da is not None else "—"
                if layer.fused:
                    da_dz = "combined"
                elif layer.da_dz is None:
                    da_dz = "Jacobian"
                else:
                    da_dz = fmt(layer.da_dz[s, i], d)
                grid.add(str(layer.index + 1), neuron, *([str(result.batch[s] + 1)] if sample else []), dl_da, da_dz,
                         fmt(layer.delta[s, i], d))
    out = result.layers[-1]
    if out.fused:
        grid.notes.append(f"{out.activation} with {result.loss_name}: δ straight from the combined formula, "
                          "the stable form of ∂ℓ/∂a × ∂a/∂z")
    elif out.da_dz is None:
        grid.notes.append("softmax: δ = Jᵀ·∂ℓ/∂a with its Jacobian J")
    return grid


def _gradients(result: StepResult, sample: list, ell: str, tex: str, d: int) -> Grid:
    from .step_table import hidden_parameters

    how = "mean" if result.reduction == "mean" else "sum"
    then = f", then the {how} over samples" if sample else ""
    grid = Grid(f"Gradients: ∂{ell}/∂p = ∂{ell}/∂a × ∂a/∂z × ∂z/∂p{then}",
                [Column("parameter", right=False), Column("neuron ← input", right=False), *sample,
                 Column(f"∂{ell}/∂a", rf"$\partial {tex}/\partial a$"), Column("∂a/∂z", r"$\partial a/\partial z$"),
                 Column("∂z/∂p", r"$\partial z/\partial p$"), Column("∂L/∂p", r"$\partial L/\partial p$")],
                title_latex=rf"$\partial L/\partial p = \partial {tex}/\partial a \cdot \partial a/\partial z "
                            r"\cdot \partial z/\partial p$")
    hidden = hidden_parameters(result, False)
    for p in result.parameters:
        if p.name in hidden:
            continue
        for term in p.terms:
            layer = result.layers[term.layer]
            source = layer.input_names[term.col] if term.kind == "weight" and layer.kind == "dense" else "1"
            where = f"{layer.neuron_names[term.row]} ← {source}" if layer.kind == "dense" else \
                f"{term.slot}: Σ over the units it feeds"  # a kernel entry, gamma, beta (step's tables itemise them)
            for s in _samples(result):
                if len(term.factors) == 3:
                    head = [fmt(term.factors[0].value[s], d), fmt(term.factors[1].value[s], d)]
                elif layer.kind != "dense":  # the slot's products already added up over its units
                    head = ["", ""]
                else:  # ∂ℓ/∂z given directly (a softmax Jacobian, or fused with the loss)
                    head = [f"δ = {fmt(term.factors[0].value[s], d)}", ""]
                grid.add(p.name if s == 0 else "", where if s == 0 else "",
                         *([str(result.batch[s] + 1)] if sample else []), *head, fmt(term.factors[-1].value[s], d),
                         fmt(term.product[s], d))
            if sample:
                grid.add("", "", how, "", "", "", fmt(term.contribution, d))
        if len(p.terms) > 1:
            grid.add(f"{p.name} total", f"sum of {len(p.terms)} tied entries", *[""] * len(sample), "", "", "",
                     fmt(p.grad, d), bold=True)
    if hidden:
        grid.notes.append(f"⋮ {len(hidden)} more parameters of wide layers")
    return grid


def _inputs(result: StepResult, sample: list, ell: str, tex: str, d: int) -> list[Grid]:
    """Each input's ∂ℓ/∂x (the step table's input gradients), per sample; none when the step has none."""
    if result.input_gradients is None:
        return []
    grid = Grid(f"Input gradients: ∂{ell}/∂x per input", [Column("input", right=False), *sample,
                Column(f"∂{ell}/∂x", rf"$\partial {tex}/\partial x$")])
    for j in pick(len(result.input_names)):
        if j is None:
            grid.add("⋮", *[""] * len(sample), "", dim=True)
            continue
        for s in _samples(result):
            grid.add(result.input_names[j] if s == 0 else "", *([str(result.batch[s] + 1)] if sample else []),
                     fmt(result.input_gradients[s, j], d))
    return [grid]


def _update(result: StepResult, d: int) -> Grid:
    from .step_table import hidden_parameters

    opt = result.optimizer
    hidden = hidden_parameters(result, False)
    shown = [p for p in result.parameters if p.name not in hidden]
    if opt is None or opt.plain:
        grid = Grid("Update: p ← p − η·∂L/∂p", [Column("parameter", right=False), Column("old", "$p$"),
                                                 Column("∂L/∂p", r"$\partial L/\partial p$"),
                                                 Column("η·∂L/∂p", r"$\eta\,\partial L/\partial p$"), Column("new")],
                    title_latex=r"$p \leftarrow p - \eta\,\partial L/\partial p$")
        for p in shown:
            grid.add(p.name, fmt(p.value, d), fmt(p.grad, d),
                     "frozen" if p.frozen else fmt(result.learning_rate * p.grad, d), fmt(p.new, d))
    else:
        grid = Grid(f"Update: {opt.title}", [Column("parameter", right=False), Column("old", "$p$"),
                                             Column("∂L/∂p", r"$\partial L/\partial p$"), Column("new"),
                                             Column("update", right=False)],
                    title_latex="$" + r",\ ".join(f"{f.latex_symbol} {ARROW if f.assign else '='} {f.latex}"
                                                   for f in opt.formulas) + "$")
        for p in shown:
            lines = "; ".join(f"{line.symbol} = {line.substituted(lambda v: short(v, d))} = {short(line.value, d)}"
                              for line in p.update)
            grid.add(p.name, fmt(p.value, d), fmt(p.grad, d), fmt(p.new, d), "frozen" if p.frozen else lines)
    if hidden:
        grid.add(f"⋮ {len(hidden)} more", *[""] * (len(grid.columns) - 1), dim=True)
    return grid


def train_heading(result: TrainResult) -> str:
    text = f"{result.name or 'training'}: {result.epochs} epoch{'s' if result.epochs != 1 else ''}, final loss " \
           f"on all data {fmt(result.loss, 5)}"
    return text + (f" (stopped: {result.stopped})" if result.stopped else "")


def train_grids(result: TrainResult, d: int = 5, limit: int = 40) -> list[Grid]:
    """The final parameters (the first `limit`) and the outputs of the first samples."""
    params = Grid(f"Final parameters after {result.epochs} epoch{'s' if result.epochs != 1 else ''}",
                  [Column("parameter", right=False), Column("value")])
    items = list(result.parameters.items())
    for name, value in items[:limit]:
        params.add(name, fmt(value, d))
    if len(items) > limit:
        params.add(f"⋮ {len(items) - limit} more", "", dim=True)
    params.notes += result.warnings
    outputs = Grid("Outputs after training", [Column("sample"), Column("output", right=False)])
    for s, row in enumerate(result.output[:MAX_SAMPLES_SHOWN]):
        outputs.add(str(s + 1), ", ".join("…" if k is None else fmt(row[k], d) for k in pick(len(row))))
    return [params, outputs]


def check_grid(result, d: int = 5) -> tuple[Grid, str]:
    """The verdicts (✓ or ✗, what a wrong answer follows from, the numbered causes) and the summary line."""
    from .check import summary, verdict_rows

    rows, notes = verdict_rows(result, d)
    title = f"Checking {result.answers_source} against {result.source}"
    if result.decimals is not None:
        title += f" (hand-rounding to {result.decimals} decimals allowed)"
    grid = Grid(title, [Column("quantity", right=False), Column("yours"), Column("correct"),
                        Column("", right=False), Column("follows from", right=False),
                        Column("cause" if result.wrong else "note", right=False)])
    keep = [True] * 4 + [any(row[i] for row in rows) for i in (4, 5)]  # an empty column is left out
    grid.columns = [c for c, k in zip(grid.columns, keep) if k]
    for row in rows:
        grid.add(*(cell for cell, k in zip(row, keep) if k))
    grid.notes += [f"({i}) {text}" for i, text in enumerate(notes, 1)]
    return grid, summary(result)
