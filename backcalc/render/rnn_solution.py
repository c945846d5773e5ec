"""A recurrent layer's part of a worked solution, time step by time step, as format-neutral blocks:
forward through time (zₜ = W_x·xₜ + W_h·hₜ₋₁ + b, hₜ = f(zₜ), numbers substituted), backward
through time (∂ℓ/∂hₜ from the output and from zₜ₊₁ through W_h, ∂hₜ/∂zₜ, ∂ℓ/∂zₜ), and each
recurrent weight's gradient as the sum over the time steps of its products, factor by factor.

The blocks are driven by the kind's per-step quantities (its `quantities()`: every samples × time ×
hidden array): the Elman cell's own formulas write the ones they know; any other per-step quantity a
recurrent kind reports (a gate's value, say) is written as its value at each step, so a new kind
shows all its numbers before it has formulas of its own."""

from __future__ import annotations

import re

from ..activations import get_activation
from .math_text import d, fill, join_tokens, name
from .solution_blocks import Equation, Math, Num, Paragraph

MAX_SAMPLES_WRITTEN = 8  # as the dense solution: later samples only in the tables
MAX_READS_WRITTEN = 8  # write zₜ's sum term by term up to this many inputs (features + hidden)
BACKWARD = re.compile(r"^d\w*_d")  # a derivative's key (dl_dh, dh_dz_step): the backward blocks


def recurrent(layer) -> bool:
    """A layer that keeps time steps inside (its quantities hold a hidden state per step)."""
    return "hidden_state" in layer.extras


def step_keys(layer, backward: bool) -> list[str]:
    """The kind's per-step quantities (samples × time × hidden), forward ones or backward ones, in its order."""
    n_t, n_h = layer.extras["hidden_state"].shape[1:]
    return [k for k, v in layer.extras.items() if getattr(v, "ndim", 0) == 3 and v.shape[1:] == (n_t, n_h)
            and bool(BACKWARD.match(k)) == backward]


class Recurrence:
    """The symbols and numbers of one recurrent layer's steps."""

    def __init__(self, r, layer):
        self.r, self.layer, self.ex = r, layer, layer.extras
        self.n_t, self.n_h = self.ex["hidden_state"].shape[1:]
        self.f = layer.weights.shape[1] - self.n_h
        self.n = len(r.batch)
        self.samples = range(min(self.n, MAX_SAMPLES_WRITTEN))
        self.cell = get_activation(self.ex.get("recurrence_activation", "identity"))

    def sym(self, letter: str, t: int, k: int) -> str:
        """hₜ's unit k (t 1-based, 0 the initial state) as h^{(layer)}_{t,k}."""
        return f"{letter}^{{({self.layer.index + 1})}}_{{{t},{k + 1}}}"

    def ell(self, s: int) -> str:
        return rf"\ell_{{{self.r.batch[s] + 1}}}" if self.n > 1 else "L"

    def read_sym(self, t: int, j: int) -> str:
        """What zₜ reads at column j of [W_x | W_h]: a feature of xₜ or a unit of hₜ₋₁."""
        if j < self.f:
            return name(self.layer.input_names[t * self.f + j])
        return self.sym("h", t, j - self.f)

    def read_num(self, s: int, t: int, j: int) -> Num:
        given = t == 0 if j >= self.f else self.layer.index == 0  # h₀ and the data are given
        return Num(self.ex["step_inputs"][s][t][j], given=given, wrap=True)

    def output_unit(self, t: int, k: int) -> int | None:
        """The layer's output unit hₜ's unit k is (None: the output does not read it)."""
        if len(self.layer.neuron_names) > self.n_h:  # return: all
            return t * self.n_h + k
        return k if t == self.n_t - 1 else None

    def value(self, key: str, s: int, t: int, k: int, given: bool = False) -> Num:
        return Num(self.ex[key][s][t][k], given=given)

    # Forward through time
    def z_eq(self, s: int, t: int, k: int) -> Equation:
        layer, cols = self.layer, list(range(self.f + self.n_h))
        if len(cols) > MAX_READS_WRITTEN:
            cols = [cols[0], cols[1], None, cols[-1]]
        sym, num = [], []
        for j in cols:
            if j is None:
                sym.append(r"\dots")
                num.append(r"\dots")
                continue
            sym.append(f"{name(layer.weight_names[k][j])} {self.read_sym(t, j)}")
            num.append([Num(layer.weights[k][j], given=True, wrap=True), r" \cdot ", self.read_num(s, t, j)])
        symbolic = " + ".join(sym) + f" + {name(layer.bias_names[k])}"
        numeric = join_tokens([x if isinstance(x, list) else [x] for x in num], " + ")
        numeric += [" + ", Num(layer.biases[k], given=True, wrap=True)]
        return Equation([self.sym("z", t + 1, k)], [[symbolic], numeric, [self.value("pre_activation", s, t, k)]])

    def h_eq(self, s: int, t: int, k: int) -> Equation:
        alpha = getattr(self.layer, "alpha", 0.01)
        sides = [fill(self.cell.latex, {"z": self.sym("z", t + 1, k), "alpha": r"\alpha"})]
        if self.cell.latex_numbers is not None:
            sides.append(fill(self.cell.latex_numbers, {"z": Num(self.ex["pre_activation"][s][t][k], wrap=True),
                                                        "alpha": Num(alpha, given=True)}))
        return Equation([self.sym("h", t + 1, k)], [*sides, [self.value("hidden_state", s, t, k)]])

    # Backward through time
    def dl_dh_eq(self, s: int, t: int, k: int) -> Equation:
        layer, sym, num = self.layer, [], []
        out = self.output_unit(t, k)
        if out is not None:  # what the layer above sends to the output unit hₜ is
            sym.append(rf"\left({d(self.ell(s), self.sym('h', t + 1, k))}\right)_{{\mathrm{{out}}}}")
            num.append([Num(layer.dl_da[s, out], wrap=True)])
        if t < self.n_t - 1:  # what zₜ₊₁ sends back through W_h
            for m in range(self.n_h):
                sym.append(f"{d(self.ell(s), self.sym('z', t + 2, m))} {name(layer.weight_names[m][self.f + k])}")
                num.append([Num(self.ex["dl_dz_step"][s][t + 1][m], wrap=True), r" \cdot ",
                            Num(layer.weights[m][self.f + k], given=True, wrap=True)])
        sides = [[" + ".join(sym) or "0"], *([join_tokens(num, " + ")] if len(num) > 1 else [])]
        return Equation([d(self.ell(s), self.sym("h", t + 1, k))], [*sides, [self.value("dl_dh", s, t, k)]])

    def dh_dz_eq(self, s: int, t: int, k: int) -> Equation:
        h, z = self.sym("h", t + 1, k), self.sym("z", t + 1, k)
        alpha = getattr(self.layer, "alpha", 0.01)
        slots = ({"a": "{" + h + "}", "z": z, "alpha": r"\alpha"},  # braced: the template may square it
                 {"a": Num(self.ex["hidden_state"][s][t][k], wrap=True),
                  "z": Num(self.ex["pre_activation"][s][t][k], wrap=True), "alpha": Num(alpha, given=True, wrap=True)})
        sides = [fill(template, slot) for template, slot in
                 zip((self.cell.latex_derivative, self.cell.latex_derivative_numbers), slots) if template is not None]
        return Equation([d(h, z)], [*sides, [self.value("dh_dz_step", s, t, k)]])

    def dl_dz_eq(self, s: int, t: int, k: int) -> Equation:
        ell, h, z = self.ell(s), self.sym("h", t + 1, k), self.sym("z", t + 1, k)
        return Equation([d(ell, z)], [[rf"{d(ell, h)} \cdot {d(h, z)}"],
                                      [Num(self.ex["dl_dh"][s][t][k], wrap=True), r" \cdot ",
                                       Num(self.ex["dh_dz_step"][s][t][k], wrap=True)],
                                      [self.value("dl_dz_step", s, t, k)]])

    def plain_eq(self, key: str, s: int, t: int, k: int) -> Equation:
        """A per-step quantity the cell has no formula for here: its value."""
        return Equation([rf"\mathrm{{{key.replace('_', chr(92) + '_')}}}_{{{t + 1},{k + 1}}}"],
                        [[self.value(key, s, t, k)]])

    def equations(self, keys: list[str], s: int, t: int) -> list[Equation]:
        formulas = ELMAN if self.layer.kind == "rnn" else {}
        return [formulas[key](self, s, t, k) if key in formulas else self.plain_eq(key, s, t, k)
                for k in range(self.n_h) for key in keys]


ELMAN = {"pre_activation": Recurrence.z_eq, "hidden_state": Recurrence.h_eq, "dl_dh": Recurrence.dl_dh_eq,
         "dh_dz_step": Recurrence.dh_dz_eq, "dl_dz_step": Recurrence.dl_dz_eq}


def through_time(r, layer, backward: bool) -> list:
    """The blocks of one direction through time: a paragraph and the equations of each step."""
    rec, keys = Recurrence(r, layer), step_keys(layer, backward)
    act = rec.ex.get("recurrence_activation", "")
    head = f"Layer {layer.index + 1} ({layer.kind}, {act}), "
    own = layer.kind != "rnn" or "step_inputs" not in rec.ex  # a recurrent kind of its own: its quantities
    if backward and own:
        intro = [head + "backward through time from the last step: each of its derivatives at each step."]
    elif backward:
        intro = [head + "backward through time from the last step: ", [r"\partial \ell / \partial h_t"],
                 " is what the output sends to ", ["h_t"], " plus what ", ["z_{t+1}"], " sends back through ",
                 ["W_h"], ", and ", [r"\partial \ell / \partial z_t = \partial \ell / \partial h_t \cdot f'(z_t)"], "."]
    elif own:
        intro = [head + "forward through time: each of its quantities at each step."]
    else:
        h0 = join_tokens([[rec.read_num(0, 0, j)] for j in range(rec.f, rec.f + rec.n_h)], ", ")
        intro = [head + "forward through time: ", [r"z_t = W_x x_t + W_h h_{t-1} + b"], ", ",
                 [rf"h_t = \mathrm{{{act}}}(z_t)"], ", from the initial state ",
                 [rf"h^{{({layer.index + 1})}}_{{0}} = (", *h0, ")"], "."]
    blocks: list = [Paragraph(intro)]
    for s in rec.samples:
        for t in (reversed(range(rec.n_t)) if backward else range(rec.n_t)):
            where = f"t = {t + 1}" + (f", sample {r.batch[s] + 1}" if rec.n > 1 else "")
            blocks += [Paragraph([f"Layer {layer.index + 1}, {where}:"]), Math(rec.equations(keys, s, t))]
    if rec.n > MAX_SAMPLES_WRITTEN:
        blocks.append(Paragraph([f"(The first {MAX_SAMPLES_WRITTEN} of {rec.n} samples; step's tables have them "
                                 "all.)"]))
    return blocks


def symbolic_sum(r, p) -> list | None:
    """A recurrent parameter's gradient in symbols, Σₜ ∂ℓ/∂zₜ times what it multiplies at step t (and Σₙ over
    a batch); None for a parameter of another layer, or tied across several slots."""
    if len(p.terms) != 1 or not recurrent(r.layers[p.terms[0].layer]):
        return None
    term = p.terms[0]
    rec = Recurrence(r, r.layers[term.layer])
    k, j = term.row, term.col
    ell = r"\ell_n" if rec.n > 1 else "L"
    factor = "" if term.kind == "bias" else " " + (f"x_{{t,{j + 1}}}" if j < rec.f else rec.sym("h", "t-1", j - rec.f))
    z_t = rec.sym("z", "t", k)
    symbolic = rf"\sum_{{t=1}}^{{{rec.n_t}}} {d(ell, z_t)}{factor}"
    if rec.n > 1:
        how = rf"\frac{{1}}{{{rec.n}}} " if r.reduction == "mean" else ""
        symbolic = how + r"\sum_{n=1}^{" + str(rec.n) + "} " + symbolic
    return [symbolic]
