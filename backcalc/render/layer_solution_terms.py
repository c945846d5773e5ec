"""The math tokens of a worked solution's backward half for networks of conv, pool, flatten,
batchnorm or rnn layers: how each unit's ∂ℓ/∂a (and each input's ∂ℓ/∂x) comes back from the layer
above, as that layer's kind sends it (Σ δ·w, a pool's winner, batch norm's three terms, through
time), and each chain-rule product of a parameter as its two factors, δ and ∂z/∂p, with their
numbers. Every number is the step result's (the kinds' quantities); nothing is recomputed."""

from __future__ import annotations

import numpy as np

from .math_text import d, name
from .solution_blocks import Equation, Math, Num, Paragraph

NOTE = r" \quad "  # before a remark in a formula: (won), (won no window)
MAX_SENT = 6  # write a Σ δ·w out up to this many terms (else: its value only)


def _plus(groups: list[list]) -> list:
    out: list = []
    for k, g in enumerate(groups):
        out += ([" + "] if k else []) + g
    return out


def elman(ex: dict) -> bool:
    """A recurrent layer whose quantities give ∂ℓ/∂zₜ and [xₜ, hₜ₋₁] per step (the Elman rnn's)."""
    return "dl_dz_step" in ex and "step_inputs" in ex


def _delta(nxt, u: int) -> str:
    return rf"\delta_{{{name(nxt.neuron_names[u])}}}"


def sent_back(r, nxt, i: int, s: int) -> tuple[str, list]:
    """How layer `nxt` sends ∂ℓ/∂a back to unit i below it: in symbols, and with the numbers (empty: too long
    to write, or the number itself)."""
    ex, delta, kind = nxt.extras, nxt.delta, nxt.kind
    if kind == "flatten":
        return _delta(nxt, i), []
    if kind == "batchnorm" and len(ex["mean"]) != len(nxt.neuron_names):  # per channel: its table has it
        return r"\mathrm{batch\ norm\ backward}", []
    if kind == "batchnorm":  # γ/(N·√(σ²+ε))·(N·δ − Σδ − x̂·Σδx̂)
        n = str(len(r.batch))
        return (rf"\frac{{\gamma}}{{{n} \sqrt{{\sigma^2 + \epsilon}}}}\left({n} \delta - \sum \delta - "
                r"\hat{x} \sum \delta \hat{x}\right)",
                [r"\frac{", Num(nxt.weights[i][0], given=True, wrap=True), "}{" + n + r" \cdot ", Num(ex["std"][i]),
                 r"}\left(" + n + r" \cdot ", Num(delta[s, i], wrap=True), " - ", Num(ex["sum_delta"][i], wrap=True),
                 " - ", Num(ex["x_hat"][s][i], wrap=True), r" \cdot ", Num(ex["sum_delta_x_hat"][i], wrap=True),
                 r"\right)"])
    if kind.startswith("maxpool"):
        won = [u for u, k in enumerate(ex["winner"][s]) if k == i]
        if not won:
            return r"0 \quad (\mathrm{won\ no\ window})", []
        return (" + ".join(_delta(nxt, u) for u in won) + r" \quad (\mathrm{won})",
                _plus([[Num(delta[s, u], wrap=True)] for u in won]) if len(won) > 1 else [])
    if kind.startswith("avgpool"):
        read = [u for u, field in enumerate(ex["window"]) if i in field]
        if not read:
            return "0", []
        return (rf"\tfrac{{1}}{{{len(ex['window'][0])}}}(" + " + ".join(_delta(nxt, u) for u in read) + ")",
                [Num(ex["share"], given=True, wrap=True), r" \cdot (",
                 *_plus([[Num(delta[s, u], wrap=True)] for u in read]), ")"])
    if "hidden_state" in ex and not elman(ex):  # a recurrent kind of other quantities: its tables
        return r"\mathrm{through\ time}", []
    terms = _weighted(nxt, i, s)
    if not terms:
        return r"0 \quad (\mathrm{read\ by\ no\ window})", []
    symbolic = " + ".join(f"{sym} {w_sym}" for sym, _, w_sym, _ in terms)
    if len(terms) > MAX_SENT:
        return rf"\sum \delta w \quad (\mathrm{{{len(terms)}\ terms}})", []
    return symbolic, _plus([[Num(dz, wrap=True), r" \cdot ", Num(w, given=True, wrap=True)] for _, dz, _, w in terms])


def _weighted(nxt, i: int, s: int) -> list[tuple]:
    """(symbol, value) of each ∂ℓ/∂z and of the weight it comes back through to input i: a dense layer's
    every unit, a convolution's every position whose window reads i, a recurrent layer's step t reading i."""
    ex, delta = nxt.extras, nxt.delta
    if "hidden_state" in ex:  # Σₘ ∂ℓ/∂zₜ,ₘ·W_x[m, j] of the step t that reads input i
        n_h = ex["hidden_state"].shape[2]
        t, j = divmod(i, nxt.weights.shape[1] - n_h)
        z = [f"z^{{({nxt.index + 1})}}_{{{t + 1},{m + 1}}}" for m in range(n_h)]
        return [(d(r"\ell", z[m]), ex["dl_dz_step"][s][t][m], name(nxt.weight_names[m][j]), nxt.weights[m][j])
                for m in range(n_h)]
    if nxt.kind == "dense":
        return [(_delta(nxt, m), delta[s, m], name(nxt.weight_names[m][i]), nxt.weights[m][i])
                for m in range(len(nxt.neuron_names))]
    positions = len(ex["receptive_field"])
    names = np.array(nxt.weight_names, dtype=object).reshape(len(nxt.bias_names), -1)
    return [(_delta(nxt, o * positions + q), delta[s, o * positions + q], name(names[o][j]),
             np.ravel(nxt.weights[o])[j]) for o in range(len(nxt.bias_names))
            for q, field in enumerate(ex["receptive_field"]) for j, k in enumerate(field) if k == i]


def products(r, term, a_in) -> list[list]:
    """A slot's chain-rule products as δ · ∂z/∂p token lists, sample by sample (a kernel entry's at
    every position its window reads, padding left out; a recurrent slot's at every time step)."""
    layer = r.layers[term.layer]
    out = []
    for s in range(len(r.batch)):
        for dz, x, given in _factors(layer, term, s, a_in[s], term.layer == 0):
            out.append([Num(dz, wrap=True)] if x is None else
                       [Num(dz, wrap=True), r" \cdot ", Num(x, given=given, wrap=True)])
    return out


def _factors(layer, term, s: int, a_in, given: bool) -> list[tuple]:
    """(δ, ∂z/∂p or None for a bias, ∂z/∂p given) of each product of the slot in sample s."""
    i, j, ex = term.row, term.col, layer.extras
    bias = term.kind == "bias"
    if "hidden_state" in ex and not elman(ex):
        return [(term.product[s], None, False)]  # a recurrent kind of other quantities: the product
    if "hidden_state" in ex:
        n_t = ex["hidden_state"].shape[1]
        f = layer.weights.shape[1] - ex["hidden_state"].shape[2]
        return [(ex["dl_dz_step"][s][t][i], None if bias else ex["step_inputs"][s][t][j],
                 (t == 0) if j is not None and j >= f else given) for t in range(n_t)]
    if layer.kind == "batchnorm":
        return [(layer.delta[s, i], None if bias else ex["x_hat"][s][i], False)]
    if layer.kind == "dense":
        return [(layer.delta[s, i], None if bias else a_in[j], given)]
    positions = len(ex["receptive_field"])
    units = [(i * positions + q, ex["receptive_field"][q]) for q in range(positions)]
    return [(layer.delta[s, u], None if bias else a_in[field[j]], given) for u, field in units
            if bias or field[j] is not None]


MAX_LINES = 64  # a layer's ∂ℓ/∂a lines (units × samples) written out up to this many (more: its table only)
MAX_PRODUCTS = 24  # a gradient's products written out up to this many (more: its value only)
MAX_SAMPLES = 8  # as the dense solution


def _ell(r, s: int) -> str:
    return rf"\ell_{{{r.batch[s] + 1}}}" if len(r.batch) > 1 else "L"


def sent_blocks(r, within=lambda layer: []) -> list:
    """Where each ∂ℓ/∂a of a layer below the output came from, layer by layer from the top, then each input's
    ∂ℓ/∂x: the layer above's kind's backward with its numbers. `within(layer)`: the blocks of a layer's own
    backward (a recurrent layer's steps through time), written before what it sends below."""
    blocks: list = []
    samples = range(min(len(r.batch), MAX_SAMPLES))
    below = [(layer, layer.neuron_names, layer.dl_da) for layer in reversed(r.layers[:-1])]
    if r.input_gradients is not None:
        below.append((None, r.input_names, r.input_gradients))
    for layer, names, values in below:
        nxt = r.layers[0 if layer is None else layer.index + 1]
        blocks += within(nxt)
        if len(names) * len(samples) > MAX_LINES or values is None:
            continue
        lines = [_sent_line(r, names[i], s, sent_back(r, nxt, i, s), values[s, i])
                 for i in range(len(names)) for s in samples]
        what = "the inputs' ∂ℓ/∂x" if layer is None else f"layer {layer.index + 1}'s ∂ℓ/∂a"
        blocks += [Paragraph([f"{what[0].upper()}{what[1:]}, sent back by layer {nxt.index + 1} ({nxt.kind}):"]),
                   Math(lines)]
    return blocks


def _sent_line(r, unit: str, s: int, sent: tuple[str, list], value) -> Equation:
    sym, num = sent
    if sym.startswith("0" + NOTE):  # nothing comes back: the 0, then why
        return Equation([d(_ell(r, s), name(unit))], [[Num(value), sym[1:]]])
    return Equation([d(_ell(r, s), name(unit))], [[sym], *([num] if num else []), [Num(value)]])


def gradient_equation(r, p, symbolic: list | None = None) -> Equation:
    """A parameter's gradient as its products added up (over its slots, positions or time steps and the
    samples), each product as δ · ∂z/∂p with the numbers; `symbolic`: a first side in symbols."""
    groups = [g for term in p.terms for g in products(r, term, r.inputs if term.layer == 0
                                                        else r.layers[term.layer - 1].a)]
    sides = [symbolic] if symbolic else []
    if len(groups) <= MAX_PRODUCTS:
        numeric = _plus(groups)
        if r.reduction == "mean" and len(r.batch) > 1:
            numeric = [rf"\frac{{1}}{{{len(r.batch)}}}(", *numeric, ")"]
        sides.append(numeric)
    return Equation([d("L", name(p.name))], [*sides, [Num(p.grad)]])


def batchnorm_blocks(r, layer) -> list:
    """A batch norm's statistics over the batch, feature by feature, with the numbers: μ, σ², √(σ² + ε)
    and each sample's x̂ = (x − μ)/√(σ² + ε), from which its z = γ·x̂ + β (the forward table)."""
    ex, x = layer.extras, r.inputs if layer.index == 0 else r.layers[layer.index - 1].a
    n, given = len(r.batch), layer.index == 0
    if len(layer.neuron_names) * n > MAX_LINES or len(ex["mean"]) != len(layer.neuron_names):
        return []  # big, or statistics per channel (a 2-d batch norm): its table has them
    lines = []
    for k, feature in enumerate(layer.input_names):
        xs = [Num(x[s][k], given=given, wrap=True) for s in range(n)]
        f = name(feature)
        lines.append(Equation([rf"\mu_{{{f}}}"], [[rf"\frac{{1}}{{{n}}}(", *_plus([[v] for v in xs]), ")"],
                                                  [Num(ex["mean"][k])]]))
        mu = Num(ex["mean"][k], wrap=True)
        lines.append(Equation([rf"\sigma^2_{{{f}}}"], [[rf"\frac{{1}}{{{n}}}(",
                                                        *_plus([["(", v, " - ", mu, ")^2"] for v in xs]), ")"],
                                                       [Num(ex["variance"][k])]]))
        lines.append(Equation([rf"\sqrt{{\sigma^2_{{{f}}} + \epsilon}}"],
                              [[r"\sqrt{", Num(ex["variance"][k]), r" + \epsilon}"], [Num(ex["std"][k])]]))
        lines += [Equation([rf"\hat{{x}}_{{{f}}}^{{({r.batch[s] + 1})}}"],
                           [[r"\frac{", xs[s], " - ", mu, "}{", Num(ex["std"][k]), "}"], [Num(ex["x_hat"][s][k])]])
                  for s in range(n)]
    return [Paragraph([f"Layer {layer.index + 1} (batch norm): each feature's mean and variance over the "
                       f"{n} samples of the batch, ε = 1e-05, and each sample's x̂:"]), Math(lines)]
