"""A recurrent layer's own tables: one block per time step, forward (zₜ = W_x·xₜ + W_h·hₜ₋₁ + b,
hₜ = f(zₜ)), then backward through time (∂ℓ/∂hₜ from the output and from zₜ₊₁, ∂ℓ/∂zₜ); and the
rows of each recurrent weight's gradient, one per time step, whose sum is the gradient (the tied sum
over time). Everything shown is read from the step's result (the kind's quantities)."""

from __future__ import annotations

from rich.table import Table

from ..result import StepResult
from .numbers import fmt_once as fmt
from .table import titled_table


def options(layer) -> tuple[int, int, int]:
    """(time steps, features, hidden units) of a recurrent layer, from its quantities' shapes."""
    n_t, n_h = layer.extras["hidden_state"].shape[1:]
    return n_t, layer.weights.shape[1] - n_h, n_h


def step_input_names(layer, t: int) -> list[str]:
    """The names [xₜ's features, hₜ₋₁'s units] of what zₜ reads (h₀ is the initial state)."""
    n_t, f, n_h = options(layer)
    return [*layer.input_names[t * f:(t + 1) * f], *(state(layer, t, k) for k in range(n_h))]


def state(layer, t: int, k: int, letter: str = "h") -> str:
    """hₜ's unit k (1-based t; 0 is h₀) as `h2[t,k]`, the names `return: all` gives its outputs."""
    return f"{letter}{layer.index + 1}[{t},{k + 1}]"


def rnn_formula(layer, i: int, first: bool) -> str:
    """The forward table's cell of a recurrent layer's output unit."""
    n_t, _, n_h = options(layer)
    t = i // n_h + 1 if len(layer.neuron_names) > n_h else n_t
    return (f"= {state(layer, t, i % n_h)}, step {t} of the\n" if first else "") + "recurrence (table below)"


def rnn_tables(result: StepResult, layer, d: int, samples: list[int]) -> list[Table]:
    """Forward through time, then backward through time, a block per time step."""
    n_t, f, n_h = options(layer)
    ex, many = layer.extras, len(result.batch) > 1
    act = ex["recurrence_activation"]
    fwd = titled_table(f"Recurrent layer {layer.index + 1}, forward through time: zₜ = W_x·xₜ + W_h·hₜ₋₁ + b, "
                       f"hₜ = {act}(zₜ), h₀ the initial state", ("t", "right"), ("unit", "left"),
                       *([("sample", "right")] if many else []), ("zₜ", "right"), ("hₜ", "right"))
    back = titled_table(f"Recurrent layer {layer.index + 1}, backward through time: ∂ℓ/∂hₜ = (from the output) + "
                        "∂ℓ/∂zₜ₊₁·W_h, ∂ℓ/∂zₜ = ∂ℓ/∂hₜ·f′(zₜ)", ("t", "right"), ("unit", "left"),
                        *([("sample", "right")] if many else []), ("∂ℓ/∂hₜ", "right"), ("∂ℓ/∂zₜ", "right"))
    for table, order, keys in ((fwd, range(n_t), ("pre_activation", "hidden_state")),
                               (back, reversed(range(n_t)), ("dl_dh", "dl_dz_step"))):
        for t in order:
            for k in range(n_h):
                for s in samples:
                    first = s == samples[0]
                    table.add_row(str(t + 1) if k == 0 and first else "", state(layer, t + 1, k) if first else "",
                                  *([str(result.batch[s] + 1)] if many else []),
                                  *(fmt(ex[key][s][t][k], d) for key in keys))
            table.add_section()
    return [fwd, back]


def rnn_rows(layer, term, s: int) -> list[tuple]:
    """(unit, input, ∂ℓ/∂zₜ, ∂zₜ/∂p, product) of a recurrent slot at every time step."""
    n_t, _, _ = options(layer)
    i, j, ex = term.row, term.col, layer.extras
    out = []
    for t in range(n_t):
        dz = ex["dl_dz_step"][s][t][i]
        if term.kind == "bias":
            out.append((state(layer, t + 1, i, "z"), "1", dz, 1, dz))
            continue
        out.append((state(layer, t + 1, i, "z"), step_input_names(layer, t)[j], dz, ex["step_inputs"][s][t][j],
                    ex["step_terms"][s][t][i][j]))
    return out


def rnn_source(nxt, d: int) -> str:
    """What a recurrent layer sends back to the unit of the layer below it (∂ℓ/∂xₜ, through time)."""
    what = "∂ℓ/∂zₜ" if nxt.kind == "rnn" else "δ of each gate"
    return f"Σ {what}·W_x (layer {nxt.index + 1}, through time)"
