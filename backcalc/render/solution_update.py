"""A worked solution's update section (plain or an optimizer's lines), the per-sample table and
the hand-rounding drift."""

from __future__ import annotations

import re
from string import Formatter

from .math_text import d, name
from .solution_blocks import Equation, Heading, Math, Num, Paragraph, Table
from .solution_state import SolutionState


class UpdateSections(SolutionState):
    def update(self) -> None:
        r = self.r
        self.doc.add(Heading(2, "5. Update"))
        opt = getattr(r, "optimizer", None)
        if opt is not None and not opt.plain:
            self.optimizer_update(opt)
            return
        self.doc.add(Paragraph(["Every parameter moves against its gradient: ",
                                [r"p^{\mathrm{new}} = p - \eta \, \frac{\partial L}{\partial p}"],
                                "; frozen parameters keep their values." if any(p.frozen for p in r.parameters)
                                else "."]))
        eqs = []
        for p in r.parameters:
            pname = name(p.name)
            lhs = [rf"{{{pname}}}^{{\mathrm{{new}}}}"]
            if p.frozen:
                eqs.append(Equation(lhs, [[pname + r" \quad (\text{frozen})"], [Num(p.new, given=True)]]))
                continue
            eqs.append(Equation(lhs, [[rf"{pname} - \eta \, {d('L', pname)}"],
                                      [Num(p.value, given=True, wrap=True), " - ",
                                       Num(r.learning_rate, given=True, wrap=True), r" \cdot ", Num(p.grad, wrap=True)],
                                      [Num(p.new)]]))
        self.doc.add(Math(eqs))

    def optimizer_update(self, opt) -> None:
        """Stateful optimizers (momentum, Adam): each parameter's update lines, as the optimizer explains them."""
        self.doc.add(Paragraph([f"The optimizer is {opt.title}; each parameter is updated line by line "
                                "(g is its gradient from section 4)."]))
        for p in self.r.parameters:
            pname = name(p.name)
            eqs = []
            if p.frozen or not p.update:
                eqs.append(Equation([rf"{{{pname}}}^{{\mathrm{{new}}}}"],
                                    [[pname + r" \quad (\text{frozen})"], [Num(p.new, given=True)]]))
            current = pname  # the parameter's symbol in the formulas: its own name, or its decayed value
            for line in p.update:
                if line.name == "param":
                    lhs = rf"{{{pname}}}^{{\mathrm{{new}}}}"
                elif line.name == "decayed":
                    lhs = rf"{{{pname}}}^{{\mathrm{{decayed}}}}"
                else:
                    lhs = rf"{line.latex_symbol}_{{{pname}}}" if line.name != "step" else line.latex_symbol
                formula = _GENERIC_P.sub(lambda _m, sym=current: sym, line.latex)
                eqs.append(Equation([lhs], [[formula], _template_tokens(line.latex_template, line.values),
                                            [Num(line.value)]]))
                if line.name == "decayed":
                    current = lhs
            self.doc.add(Math(eqs))

    def per_sample_table(self) -> None:
        r = self.r
        how = "mean" if r.reduction == "mean" else "sum"
        self.doc.add(Heading(2, f"Per sample, before the {how} over the batch"))
        self.doc.add(Paragraph([
            "Each sample's loss and every partial derivative of that sample's own loss ",
            [r"\ell_n"], " (a tied parameter's slots added up); the last column is the batch's: ",
            [r"L"], " and ", [r"\partial L / \partial p"], f", the {how} of the samples' values."]))
        header = ["", *[f"sample {r.batch[s] + 1}" for s in self.samples], f"{how} over the batch"]
        rows = [[[r"\ell_n"], *[[Num(r.losses[s])] for s in self.samples], [Num(r.loss)]]]
        for layer in r.layers:
            if layer.dl_da is None:
                continue
            for i in range(len(layer.neuron_names)):
                rows.append([[d(r"\ell_n", self.a_sym(layer, i))], *[[Num(layer.dl_da[s, i])] for s in self.samples],
                             ""])
        for layer in r.layers:
            for i in range(len(layer.neuron_names)):
                rows.append([[rf"\delta_{{{self.a_sym(layer, i)}}}"],
                             *[[Num(layer.delta[s, i])] for s in self.samples], ""])
        for p in r.parameters:
            per = [sum(term.product[s] for term in p.terms) for s in self.samples]
            rows.append([[d(r"\ell_n", name(p.name))], *[[Num(v)] for v in per], [Num(p.grad)]])
        self.doc.add(Table(header, rows))

    def hand_rounding(self) -> None:
        n = self.hand["decimals"]
        rows = self.hand["quantities"]
        drifted = [row for row in rows if row["drift"] != 0]  # None: not finite by hand (or exactly)
        self.doc.add(Heading(2, f"Hand-rounding to {n} decimals against the exact computation"))
        if not drifted:
            self.doc.add(Paragraph([f"Rounding to {n} decimals along the way changes nothing: every value above "
                                    "is the exact one rounded."]))
            return
        first = drifted[0]
        self.doc.add(Paragraph([
            f"Rounding to {n} decimals along the way drifts at {len(drifted)} of {len(rows)} quantities, first at "
            f"{first['quantity']}: the values above that differ from the exact ones rounded to {n} decimals are"
            " these (drift: by hand minus the exact value rounded, in units of the last decimal)."]))
        self.doc.add(Table(["quantity", "exact", "by hand", "drift"], [
            [row["quantity"], _finite_or(row["exact"], n + 2), _finite_or(row["by_hand"], n),
             "not finite" if row["drift"] is None else f"{row['drift']:+d}"] for row in drifted]))


def _finite_or(value, digits: int):
    """A drift table cell: the number, or the words when it is not finite (null in JSON)."""
    return "not finite" if value is None else [Num(value, digits=digits)]


# A generic `p` (the parameter) in an optimizer's LaTeX formula, not inside a command such as \epsilon.
_GENERIC_P = re.compile(r"(?<![\\A-Za-z])p(?![A-Za-z])")

GIVEN_SLOTS = {"lr", "beta1", "beta2", "one_minus_beta1", "one_minus_beta2", "eps", "momentum", "dampening",
               "one_minus_dampening", "weight_decay", "t", "p"}


def _template_tokens(template: str, values: dict) -> list:
    """An optimizer's LaTeX template with each {slot} as a number token."""
    tokens: list = []
    for literal, field_name, _spec, _conv in Formatter().parse(template):
        if literal:
            tokens.append(literal)
        if field_name is not None:
            tokens.append(Num(values[field_name], given=field_name in GIVEN_SLOTS, wrap=True))
    return tokens
