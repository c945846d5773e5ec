"""A gated recurrent layer's own tables (lstm, gru): one block per time step, forward (each gate's
pre-activation and value, then c and h), then backward through time (∂ℓ/∂hₜ, ∂ℓ/∂cₜ and each gate's
δ); and the rows of each weight's gradient, one per time step, whose sum is the gradient. Everything
shown is read from the step's result (the kind's quantities, layers/gated.py)."""

from __future__ import annotations

from rich.table import Table

from ..result import StepResult
from .numbers import fmt_once as fmt
from .rnn_tables import state
from .table import titled_table

FORWARD = {
    "lstm": "i, f, o = σ(W_x·xₜ + W_h·hₜ₋₁ + b), g = tanh(W_x·xₜ + W_h·hₜ₋₁ + b) (gate rows i, f, g, o), "
            "cₜ = f⊙cₜ₋₁ + i⊙g, hₜ = o⊙tanh(cₜ); h₀, c₀ the initial state",
    "gru": "r, z = σ(W_x·xₜ + b_x + W_h·hₜ₋₁ + b_h), n = tanh(W_xn·xₜ + b_xn + r⊙(W_hn·hₜ₋₁ + b_hn)) (gate "
           "rows r, z, n), hₜ = (1 − z)⊙n + z⊙hₜ₋₁; h₀ the initial state",
}
BACKWARD = {
    "lstm": "∂ℓ/∂hₜ = (from the output) + Σ δₜ₊₁·W_h, ∂ℓ/∂cₜ = ∂ℓ/∂hₜ⊙o⊙(1 − tanh²cₜ) + fₜ₊₁⊙∂ℓ/∂cₜ₊₁, "
            "δ_i = ∂ℓ/∂cₜ⊙g⊙i(1 − i), δ_f = ∂ℓ/∂cₜ⊙cₜ₋₁⊙f(1 − f), δ_g = ∂ℓ/∂cₜ⊙i⊙(1 − g²), "
            "δ_o = ∂ℓ/∂hₜ⊙tanh(cₜ)⊙o(1 − o)",
    "gru": "∂ℓ/∂hₜ = (from the output) + ∂ℓ/∂hₜ₊₁⊙zₜ₊₁ + Σ δₜ₊₁(hidden side)·W_h, δ_n = ∂ℓ/∂hₜ⊙(1 − z)⊙(1 − n²), "
           "δ_z = ∂ℓ/∂hₜ⊙(hₜ₋₁ − n)⊙z(1 − z), δ_r = δ_n⊙(W_hn·hₜ₋₁ + b_hn)⊙r(1 − r); the hidden side of "
           "n gets δ_n⊙r",
}


def sizes(layer) -> tuple[int, int, int]:
    """(time steps, features, hidden units) of a gated layer, from its quantities."""
    n_t, n_h = layer.extras["hidden_state"].shape[1:]
    return n_t, layer.extras["features"], n_h


def gate_name(layer, i: int, t: int) -> str:
    """Gate row i's quantity at step t (1-based) as the tables name it: `f1[2,1]`, layer 1's f gate, step 2, unit 1."""
    n_h = sizes(layer)[2]
    return state(layer, t, i % n_h, layer.extras["gates"][i // n_h])


def gated_tables(result: StepResult, layer, d: int, samples: list[int]) -> list[Table]:
    """Forward through time, then backward through time, a block per time step."""
    n_t, _, n_h = sizes(layer)
    many, kind = len(result.batch) > 1, layer.kind
    title = f"{kind.upper()} layer {layer.index + 1}"
    sample_col = [("sample", "right")] if many else []
    fwd = titled_table(f"{title}, forward through time: {FORWARD[kind]}", ("t", "right"), ("quantity", "left"),
                       *sample_col, ("pre-activation", "right"), ("value", "right"))
    back = titled_table(f"{title}, backward through time: {BACKWARD[kind]}", ("t", "right"), ("quantity", "left"),
                        *sample_col, ("∂ℓ/∂hₜ, ∂ℓ/∂cₜ" if kind == "lstm" else "∂ℓ/∂hₜ", "right"), ("δ", "right"))
    for t in range(n_t):
        _block(fwd, result, samples, t, [row for k in range(n_h) for row in _forward_rows(layer, t, k)], d)
    for t in reversed(range(n_t)):
        _block(back, result, samples, t, [row for k in range(n_h) for row in _backward_rows(layer, t, k)], d)
    return [fwd, back]


def _block(table: Table, result: StepResult, samples: list[int], t: int, rows: list, d: int) -> None:
    """One time step's rows, each (quantity, then a getter of each column's value by sample, None: blank)."""
    many = len(result.batch) > 1
    for n, (name, *getters) in enumerate(rows):
        for s in samples:
            first = s == samples[0]
            table.add_row(str(t + 1) if n == 0 and first else "", name if first else "",
                          *([str(result.batch[s] + 1)] if many else []),
                          *("" if g is None else fmt(g(s), d) for g in getters))
    table.add_section()


def _forward_rows(layer, t: int, k: int) -> list[tuple]:
    ex, n_h = layer.extras, sizes(layer)[2]
    rows = [(gate_name(layer, g * n_h + k, t + 1), lambda s, i=g * n_h + k: ex["gate_pre_activation"][s][t][i],
             lambda s, i=g * n_h + k: ex["gate_value"][s][t][i]) for g in range(len(ex["gates"]))]
    if "c" in ex:
        rows.append((state(layer, t + 1, k, "c"), None, lambda s: ex["c"][s][t][k]))
    return rows + [(state(layer, t + 1, k), None, lambda s: ex["hidden_state"][s][t][k])]


def _backward_rows(layer, t: int, k: int) -> list[tuple]:
    ex, n_h = layer.extras, sizes(layer)[2]
    rows = [(state(layer, t + 1, k), lambda s: ex["dl_dh"][s][t][k], None)]
    if "dc" in ex:
        rows.append((state(layer, t + 1, k, "c"), lambda s: ex["dc"][s][t][k], None))
    rows += [(gate_name(layer, g * n_h + k, t + 1), None, lambda s, i=g * n_h + k: ex["gate_delta"][s][t][i])
             for g in range(len(ex["gates"]))]
    if "d_hid" in ex:  # the GRU's n gate: its hidden side gets δ_n⊙r
        i = (len(ex["gates"]) - 1) * n_h + k
        rows.append((f"{gate_name(layer, i, t + 1)}, hidden side", None, lambda s: ex["d_hid"][s][t][i]))
    return rows


def gated_rows(layer, term, s: int) -> list[tuple]:
    """(gate, input, δ, ∂(pre-activation)/∂p, product) of a gated layer's slot at every time step."""
    n_t, f, n_h = sizes(layer)
    i, j, ex = term.row, term.col, layer.extras
    hidden_side = j is not None and j >= f
    deltas = ex["d_hid"] if hidden_side and "d_hid" in ex else ex["gate_delta"]
    out = []
    for t in range(n_t):
        unit, dz = gate_name(layer, i, t + 1), deltas[s][t][i]
        if term.kind == "bias":
            out.append((unit, "1", dz, 1, dz))
            continue
        where = layer.input_names[t * f + j] if j < f else state(layer, t, j - f) if j < f + n_h else "1"
        out.append((unit, where, dz, ex["step_inputs"][s][t][j], ex["step_terms"][s][t][i][j]))
    return out
