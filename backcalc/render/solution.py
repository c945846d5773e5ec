"""A worked solution as format-neutral blocks, read off a StepResult.

`build()` turns one step into headings, paragraphs, tables and groups of
equations; `markdown.py` and `latex.py` only lay those blocks out. Equations are
LaTeX math (GitHub renders the same syntax), with every number kept as a `Num`
so it is written once, at `--digits`, and so an exercise (`blank=True`) can
replace each computed number by a blank while keeping the given data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from ..activations import get_activation
from ..losses import get_loss
from ..result import LayerResult, ParameterResult, StepResult, Term
from .numbers import short

MAX_SAMPLES_WRITTEN = 8
MAX_TERMS_WRITTEN = 8  # longer weighted sums are elided with \dots
BLANK = r"\underline{\qquad\quad}"
BLANK_NOTE = "Fill in every blank. The given values (weights, biases, inputs, targets, learning rate) are printed."


@dataclass
class Num:
    value: object
    given: bool = False  # data from the spec (kept in an exercise) or computed (blanked)
    wrap: bool = False  # an operand: parenthesise when negative or in scientific notation
    digits: int | None = None  # decimals for this number alone (default: the document's)


Token = "str | Num"


@dataclass
class Equation:
    lhs: list
    sides: list[list]  # lhs = sides[0] = sides[1] = …


@dataclass
class Heading:
    level: int  # 1 title, 2 section, 3 subsection
    text: str


@dataclass
class Paragraph:
    parts: list  # str (plain text) or list of tokens (inline math)


@dataclass
class Math:
    equations: list[Equation]


@dataclass
class Items:
    """A table cell of several formulas separated by commas (a sample's inputs): a page may wrap it
    between them."""

    parts: list[list]


@dataclass
class Table:
    header: list[str]
    rows: list[list]  # cells: list of tokens (math), Items, or a str (plain text)


@dataclass
class Document:
    blocks: list = field(default_factory=list)

    def add(self, block) -> None:
        self.blocks.append(block)


# -- writing numbers and names ------------------------------------------------------

def number(value, digits: int) -> str:
    """A number in LaTeX math: ASCII minus, ×10^k for scientific notation, \\tfrac for p/q."""
    if isinstance(value, Fraction) and value.denominator != 1:
        text = short(value, digits)
        if "/" in text:
            sign = "-" if value < 0 else ""
            return rf"{sign}\tfrac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    text = short(value, digits).replace("−", "-")
    if text == "nan":
        return r"\mathrm{NaN}"
    if text in ("inf", "-inf"):
        return text.replace("inf", r"\infty")
    if text == "—":
        return r"\text{--}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def render_token(token, digits: int, blank: bool) -> str:
    if isinstance(token, str):
        return token
    if blank and not token.given:
        return BLANK
    text = number(token.value, digits if token.digits is None else token.digits)
    if token.wrap and (text.startswith("-") or "\\" in text):
        return f"({text})"
    return text


def render_expr(tokens: list, digits: int, blank: bool) -> str:
    return "".join(render_token(t, digits, blank) for t in tokens)


_SIMPLE = re.compile(r"^([A-Za-z]+)(\d+)(?:_(\d+))?$")
_DEFAULT = re.compile(r"^([A-Za-z])(\d+)\[(\d+(?:,\d+)*)\]$")
_MATH_ESCAPES = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#", "$": r"\$",
                 "%": r"\%", "&": r"\&", "^": r"\hat{}", "~": r"\sim ", " ": r"\ "}


def name(text: str) -> str:
    """A user's name (w5, h2_1, W1[1,2], out, anything) as a LaTeX math symbol."""
    m = _SIMPLE.match(text)
    if m:
        letters, index, sub = m.groups()
        base = letters if len(letters) == 1 else rf"\mathrm{{{letters}}}"
        return f"{base}_{{{index}{',' + sub if sub else ''}}}"
    m = _DEFAULT.match(text)
    if m:
        letter, layer, index = m.groups()
        return f"{letter}^{{({layer})}}_{{{index}}}"
    if re.fullmatch(r"[A-Za-z]", text):
        return text
    body = "".join(_MATH_ESCAPES.get(c, c) for c in ascii_text(text))
    return rf"\mathrm{{{body}}}"


def ascii_text(text: str) -> str:
    """pdflatex cannot typeset arbitrary Unicode: letters lose their accents, the rest becomes '?'."""
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return out if out or not text else "?"


def d(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


# -- the document ---------------------------------------------------------------------

class _Builder:
    def __init__(self, result: StepResult, hand_rounding: dict | None = None, per_sample: bool = False,
                 blank: bool = False):
        self.r = result
        self.n = len(result.batch)
        self.many = self.n > 1
        self.hand = hand_rounding  # step's JSON `hand_rounding` when the values are rounded by hand
        self.per_sample = per_sample
        self.blank = blank
        self.samples = list(range(self.n if per_sample else min(self.n, MAX_SAMPLES_WRITTEN)))
        self.doc = Document()
        self.out = result.layers[-1]
        self.k = len(self.out.neuron_names)

    # symbols
    def loss_sym(self, s: int) -> str:
        return rf"\ell_{{{self.r.batch[s] + 1}}}" if self.many else "L"

    def target_sym(self, k: int) -> str:
        return "t" if self.k == 1 else f"t_{{{k + 1}}}"

    def at(self, sym: str, s: int) -> str:
        """`sym` of sample s, e.g. t^{(2)}, when the batch has several samples (the loss lines)."""
        if not self.many:
            return sym
        return f"{sym if '^' not in sym else '{' + sym + '}'}^{{({self.r.batch[s] + 1})}}"

    def a_sym(self, layer: LayerResult, i: int) -> str:
        return name(layer.neuron_names[i])

    def z_sym(self, layer: LayerResult, i: int) -> str:
        return f"z_{{{self.a_sym(layer, i)}}}"

    def input_value(self, li: int, s: int, j: int, wrap: bool = True) -> Num:
        if li == 0:
            return Num(self.r.inputs[s, j], given=True, wrap=wrap)
        return Num(self.r.layers[li - 1].a[s, j], wrap=wrap)

    def sample_heading(self, s: int) -> None:
        if self.many:
            self.doc.add(Heading(3, f"Sample {self.r.batch[s] + 1}"))

    def more_samples_note(self) -> None:
        if self.n > len(self.samples):
            self.doc.add(Paragraph([f"(The remaining {self.n - len(self.samples)} samples of the batch go the "
                                    "same way; backcalc step --json lists every value.)"]))

    # sections
    def build(self) -> Document:
        r = self.r
        self.doc.add(Heading(1, f"Worked solution: {r.name or r.source}"))
        self.setup()
        self.forward()
        self.loss()
        self.backward()
        self.gradients()
        self.update()
        if self.per_sample:
            self.per_sample_table()
        if self.hand is not None and not self.blank:
            self.hand_rounding()
        return self.doc

    def setup(self) -> None:
        r = self.r
        sizes = [len(r.input_names)] + [len(layer.neuron_names) for layer in r.layers]
        acts = ", ".join(f"layer {layer.index + 1} {layer.activation}" for layer in r.layers)
        how = "mean" if r.reduction == "mean" else "sum"
        samples = f"sample {r.batch[0] + 1}" if not self.many else \
            f"samples {r.batch[0] + 1} to {r.batch[-1] + 1} (the {how} of their losses)"
        self.doc.add(Paragraph([
            f"One step of gradient descent on a {'-'.join(map(str, sizes))} network ({acts}), loss "
            f"{r.loss_name}, on {samples} of {r.n_samples}, learning rate ",
            [r"\eta = ", Num(r.learning_rate, given=True)],
            *([". ", *self.rounding_note()] if self.hand is not None else
              [". " + ("Exact arithmetic: every number is exact." if r.exact else
                       "Numbers are rounded for display only; each step computes with the full values.")]),
        ]))
        self.doc.add(Heading(2, "Given"))
        frozen = any(p.frozen for p in r.parameters)
        rows = [[[name(p.name)], [Num(p.value, given=True)],
                 *([[r"\text{frozen}" if p.frozen else ""]] if frozen else [])] for p in r.parameters]
        self.doc.add(Table(["parameter", "value", *(["frozen"] if frozen else [])], rows))
        data = []
        for s in self.samples:
            data.append([[str(r.batch[s] + 1)],
                         Items([[f"{name(x)} = ", Num(r.inputs[s, j], given=True)]
                                for j, x in enumerate(r.input_names)]),
                         Items([[f"{self.target_sym(k)} = ", Num(r.targets[s, k], given=True)]
                                for k in range(self.k)])])
        self.doc.add(Table(["sample", "inputs", "target"], data))
        self.more_samples_note()

    def forward(self) -> None:
        self.doc.add(Heading(2, "1. Forward pass"))
        self.doc.add(Paragraph(["Each neuron sums its weighted inputs and its bias, ",
                                [r"z = \sum_j w_j a_j + b"], ", then applies its activation."]))
        for s in self.samples:
            self.sample_heading(s)
            for layer in self.r.layers:
                eqs = []
                for i in range(len(layer.neuron_names)):
                    eqs.append(self.z_equation(layer, i, s))
                    eqs.append(self.activation_equation(layer, i, s))
                self.doc.add(Paragraph([f"Layer {layer.index + 1} ({layer.activation}):"]))
                self.doc.add(Math(eqs))
        self.more_samples_note()

    def z_equation(self, layer: LayerResult, i: int, s: int) -> Equation:
        li = layer.index
        idx = list(range(len(layer.input_names)))
        if len(idx) > MAX_TERMS_WRITTEN:
            idx = [idx[0], idx[1], None, idx[-1]]
        symbolic, numeric = [], []
        for j in idx:
            if symbolic:
                symbolic.append(" + ")
                numeric.append(" + ")
            if j is None:
                symbolic.append(r"\dots")
                numeric.append(r"\dots")
                continue
            a_name = name(layer.input_names[j])
            symbolic.append(f"{name(layer.weight_names[i][j])} {a_name}")
            numeric += [Num(layer.weights[i, j], given=True, wrap=True), r" \cdot ", self.input_value(li, s, j)]
        symbolic.append(f" + {name(layer.bias_names[i])}")
        numeric += [" + ", Num(layer.biases[i], given=True, wrap=True)]
        return Equation([self.z_sym(layer, i)], [symbolic, numeric, [Num(layer.z[s, i])]])

    def activation_equation(self, layer: LayerResult, i: int, s: int) -> Equation:
        a, z = self.a_sym(layer, i), self.z_sym(layer, i)
        act = get_activation(layer.activation)
        sym = {"z": z, "alpha": r"\alpha"}
        num = {"z": Num(layer.z[s, i], wrap=True), "alpha": Num(layer.alpha, given=True)}
        if act.latex_term is not None:  # the whole layer's sum (softmax's denominator)
            sym["den"] = " + ".join(fill(act.latex_term, {"z": self.z_sym(layer, j)})[0]
                                    for j in range(len(layer.neuron_names)))
            num["den"] = _join([fill(act.latex_term, {"z": Num(layer.z[s, j], wrap=True)})
                                for j in range(len(layer.neuron_names))], " + ")
        sides = [fill(act.latex, sym)]
        if act.latex_numbers is not None:
            sides.append(fill(act.latex_numbers, num))
        return Equation([a], [*sides, [Num(layer.a[s, i])]])

    def loss(self) -> None:
        r = self.r
        self.doc.add(Heading(2, f"2. Loss ({r.loss_name})"))
        eqs = [self.loss_equation(s) for s in self.samples]
        if self.many:
            shown = self.samples
            terms = [self.loss_sym(s) for s in shown]
            values = _join([[Num(r.losses[s])] for s in shown], " + ")
            if self.n > len(shown):
                terms.append(r"\dots")
                values += [r" + \dots"]
            if r.reduction == "mean":
                eqs.append(Equation(["L"], [[rf"\frac{{1}}{{{self.n}}}(" + " + ".join(terms) + ")"],
                                            [rf"\frac{{1}}{{{self.n}}}("] + values + [")"], [Num(r.loss)]]))
            else:
                eqs.append(Equation(["L"], [[" + ".join(terms)], values, [Num(r.loss)]]))
        self.doc.add(Math(eqs))

    def loss_equation(self, s: int) -> Equation:
        r, out = self.r, self.out
        ys = [self.at(self.a_sym(out, k), s) for k in range(self.k)]
        ts = [self.at(self.target_sym(k), s) for k in range(self.k)]
        yv = [Num(out.a[s, k], wrap=True) for k in range(self.k)]
        tv = [Num(r.targets[s, k], given=True, wrap=True) for k in range(self.k)]
        value = [Num(r.losses[s])]
        lhs = [self.loss_sym(s)]
        loss = get_loss(r.loss_name)
        total = loss.latex_total[self.k > 1]
        sym = " + ".join(fill(loss.latex_term, {"y": y, "t": t})[0] for y, t in zip(ys, ts, strict=True))
        num = _join([fill(loss.latex_term, {"y": y, "t": t}) for y, t in zip(yv, tv, strict=True)], " + ")
        kk = str(self.k)
        return Equation(lhs, [fill(total, {"sum": sym, "K": kk}), fill(total, {"sum": num, "K": kk}), value])

    def backward(self) -> None:
        self.doc.add(Heading(2, r"3. Backward pass"))
        what, ell = ("its own loss", r"\ell") if self.many else ("the loss", "L")
        self.doc.add(Paragraph(["For every neuron, ", [rf"\delta = \partial {ell} / \partial z"],
                                f", the derivative of {what} with respect to the neuron's weighted sum, "
                                "from the output layer back. Every factor uses the weights before the update."]))
        for s in self.samples:
            self.sample_heading(s)
            for layer in reversed(self.r.layers):
                eqs = []
                for i in range(len(layer.neuron_names)):
                    eqs.extend(self.delta_equations(layer, i, s))
                self.doc.add(Paragraph([f"Layer {layer.index + 1} ({layer.activation}):"]))
                self.doc.add(Math(eqs))
        self.more_samples_note()

    def delta_equations(self, layer: LayerResult, i: int, s: int) -> list[Equation]:
        r = self.r
        ell = self.loss_sym(s)
        a, z = self.a_sym(layer, i), self.z_sym(layer, i)
        delta_sym = rf"\delta_{{{a}}}"
        last = layer.index == len(r.layers) - 1
        delta = [Num(layer.delta[s, i])]
        if last and layer.fused:
            t, a = self.at(self.target_sym(i), s), self.at(a, s)
            av, tv = Num(layer.a[s, i], wrap=True), Num(r.targets[s, i], given=True, wrap=True)
            sym_t, num_t = get_loss(r.loss_name).fused[layer.activation].latex[self.k > 1]
            kk = str(self.k)
            sides = [fill(sym_t, {"a": a, "t": t, "tj": self.at("t_j", s), "K": kk}),
                     fill(num_t, {"a": av, "t": tv, "tsum": Num(sum(r.targets[s]), given=True, wrap=True), "K": kk})]
            return [Equation([delta_sym], [[d(ell, z)], *sides, delta])]
        eqs = []
        dl_da = [Num(layer.dl_da[s, i])]
        if last:
            eqs.append(Equation([d(ell, a)], [*self.loss_derivative(s, i), dl_da]))
        else:
            nxt = r.layers[layer.index + 1]
            sym = " + ".join(rf"\delta_{{{self.a_sym(nxt, m)}}} {name(nxt.weight_names[m][i])}"
                             for m in range(len(nxt.neuron_names)))
            num = _join([[Num(nxt.delta[s, m], wrap=True), r" \cdot ", Num(nxt.weights[m, i], given=True, wrap=True)]
                         for m in range(len(nxt.neuron_names))], " + ")
            eqs.append(Equation([d(ell, a)], [[sym], num, dl_da]))
        if layer.da_dz is None:  # softmax, not fused with the loss: the Jacobian's product
            names = [self.a_sym(layer, j) for j in range(len(layer.neuron_names))]
            inner = " + ".join(rf"{d(ell, n)} {n}" for n in names)
            num = _join([[Num(layer.dl_da[s, j], wrap=True), r" \cdot ", Num(layer.a[s, j], wrap=True)]
                         for j in range(len(names))], " + ")
            eqs.append(Equation([delta_sym], [[d(ell, z)], [rf"{a}\left({d(ell, a)} - ({inner})\right)"],
                                              [Num(layer.a[s, i], wrap=True), r"\left(",
                                               Num(layer.dl_da[s, i], wrap=True), " - (", *num, r")\right)"],
                                              delta]))
            return eqs
        eqs.append(Equation([d(a, z)], [*self.activation_derivative(layer, i, s), [Num(layer.da_dz[s, i])]]))
        eqs.append(Equation([delta_sym], [[d(ell, z)], [rf"{d(ell, a)} \cdot {d(a, z)}"],
                                          [Num(layer.dl_da[s, i], wrap=True), r" \cdot ",
                                           Num(layer.da_dz[s, i], wrap=True)], delta]))
        return eqs

    def loss_derivative(self, s: int, k: int) -> list[list]:
        r, out = self.r, self.out
        y, t = self.at(self.a_sym(out, k), s), self.at(self.target_sym(k), s)
        yv, tv = Num(out.a[s, k], wrap=True), Num(r.targets[s, k], given=True, wrap=True)
        sym_t, num_t = get_loss(r.loss_name).latex_grad[self.k > 1]
        kk = str(self.k)
        return [fill(sym_t, {"y": y, "t": t, "K": kk}), fill(num_t, {"y": yv, "t": tv, "K": kk})]

    def activation_derivative(self, layer: LayerResult, i: int, s: int) -> list[list]:
        act = get_activation(layer.activation)
        sym = {"a": self.a_sym(layer, i), "z": self.z_sym(layer, i), "alpha": r"\alpha"}
        num = {"a": Num(layer.a[s, i], wrap=True), "z": Num(layer.z[s, i], wrap=True),
               "alpha": Num(layer.alpha, given=True, wrap=True)}
        return [fill(template, slots) for template, slots in
                ((act.latex_derivative, sym), (act.latex_derivative_numbers, num)) if template is not None]

    def gradients(self) -> None:
        r = self.r
        self.doc.add(Heading(2, "4. Gradients by the chain rule"))
        how = "mean" if r.reduction == "mean" else "sum"
        text = "Each parameter's gradient is the product of the factors along its path to the loss"
        if self.many:
            text += f", per sample, then the {how} over the {self.n} samples"
        text += "; a parameter used in several places (tied) adds up the contributions of each"
        if self.hand is not None and self.many and any(len(p.terms) > 1 for p in r.parameters):
            text += f", sample by sample, before the {how}"  # the order --round rounds in
        text += "."
        self.doc.add(Paragraph([text]))
        self.doc.add(Math([eq for p in r.parameters for eq in self.parameter_equations(p)]))

    def term_symbol(self, term: Term, p: ParameterResult, s: int | None) -> str:
        layer = self.r.layers[term.layer]
        ell = "L" if s is None else self.loss_sym(s)
        a, z = self.a_sym(layer, term.row), self.z_sym(layer, term.row)
        if len(term.factors) == 3:
            return rf"{d(ell, a)} \cdot {d(a, z)} \cdot {d(z, name(p.name))}"
        return rf"{d(ell, z)} \cdot {d(z, name(p.name))}"

    def parameter_equations(self, p: ParameterResult) -> list[Equation]:
        r = self.r
        tied = len(p.terms) > 1
        pname = name(p.name)
        total_lhs = [d("L", pname)]
        # Rounded by hand, a tied parameter's gradient is added up sample by sample and then
        # reduced, the order --round computes (docs/check.md); exactly, entry by entry as the table.
        per_sample_first = tied and self.many and self.hand is not None
        eqs = []
        for term in p.terms:
            layer = r.layers[term.layer]
            for s in self.samples:
                numeric = []
                for f_i, f in enumerate(term.factors):
                    if f_i:
                        numeric.append(r" \cdot ")
                    last = f_i == len(term.factors) - 1
                    given = last and (term.kind == "bias" or term.layer == 0)
                    numeric.append(Num(f.value[s], given=given, wrap=True))
                value = [Num(term.product[s])]
                if not self.many and not tied:
                    eqs.append(Equation(total_lhs, [[self.term_symbol(term, p, s)], numeric, value]))
                else:
                    eqs.append(Equation([self.term_symbol(term, p, s)], [numeric, value]))
            if self.many and not per_sample_first:
                lhs = total_lhs if not tied else [self.term_symbol(term, p, None)]
                eqs.append(Equation(lhs, [self.reduced([term.product[s] for s in self.samples]),
                                          [Num(term.contribution)]]))
            del layer
        if per_sample_first:
            per = []
            for s in self.samples:
                per.append(sum(t.product[s] for t in p.terms))  # entries at N decimals: their sum is too
                parts = _join([[Num(t.product[s], wrap=True)] for t in p.terms], " + ")
                eqs.append(Equation([d(self.loss_sym(s), pname)], [parts, [Num(per[-1])]]))
            eqs.append(Equation(total_lhs, [self.reduced(per), [Num(p.grad)]]))
        elif tied:
            parts = _join([[Num(t.contribution, wrap=True)] for t in p.terms], " + ")
            eqs.append(Equation(total_lhs, [parts, [Num(p.grad)]]))
        return eqs

    def reduced(self, values: list) -> list:
        """The batch's mean (or sum) of the written samples' values, `1/N(a + b + …)`."""
        tokens = _join([[Num(v, wrap=True)] for v in values], " + ")
        if self.n > len(self.samples):
            tokens += [r" + \dots"]
        if self.r.reduction == "mean":
            return [rf"\frac{{1}}{{{self.n}}}", "(", *tokens, ")"]
        return tokens

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

    def rounding_note(self) -> list:
        n = self.hand["decimals"]
        return [f"Every computed value is rounded to {n} decimal{'s' if n != 1 else ''} before it is used again, "
                "as by hand (the given values are used as they are), and each chain-rule product is the rounded ",
                [r"\delta"], " times the input"
                + ("; the last section compares the result with the exact computation." if not self.blank else ".")]

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
    from string import Formatter

    tokens: list = []
    for literal, field_name, _spec, _conv in Formatter().parse(template):
        if literal:
            tokens.append(literal)
        if field_name is not None:
            tokens.append(Num(values[field_name], given=field_name in GIVEN_SLOTS, wrap=True))
    return tokens


def fill(template: str, slots: dict) -> list:
    """A registry entry's LaTeX template with its {slots} filled: text, a Num, or a list of tokens.

    `{alpha:bare}` writes a Num without the parentheses an operand gets.
    """
    from string import Formatter

    tokens: list = []
    for literal, field_name, spec, _conv in Formatter().parse(template):
        if literal:
            tokens.append(literal)
        if field_name is not None:
            value = slots[field_name]
            if isinstance(value, Num) and spec == "bare":
                value = Num(value.value, value.given, False, value.digits)
            tokens.extend(value if isinstance(value, list) else [value])
    return tokens if any(isinstance(t, Num) for t in tokens) else ["".join(tokens)]


def _join(groups: list[list], sep: str) -> list:
    out: list = []
    for k, g in enumerate(groups):
        if k:
            out.append(sep)
        out.extend(g)
    return out


def _group(sym: str, k: int) -> str:
    return sym if k == 1 and sym.startswith("(") else rf"\left[{sym}\right]"


def _group_tokens(tokens: list, k: int) -> list:
    return tokens if k == 1 else [r"\left[", *tokens, r"\right]"]


def build(result: StepResult, extras: dict | None = None, blank: bool = False) -> Document:
    """The worked solution of one step, as blocks.

    `extras` are step's `--round`/`--per-sample` data (JSON keys `hand_rounding`, `per_sample`):
    with `hand_rounding`, `result` holds the hand-rounded values (hand_step.hand_rounded) and the
    document says so and ends with where they drift; with `per_sample`, every sample is written
    out and a table gives each sample's derivatives before the reduction. `blank`: an exercise
    (the drift section, which gives answers away, is left out).
    """
    extras = extras or {}
    return _Builder(result, extras.get("hand_rounding"), "per_sample" in extras, blank).build()


def split_lines(eq: Equation, digits: int, blank: bool, width: int = 70) -> list[str]:
    """An equation as aligned lines `lhs &= a = b`; a long one breaks before each `=`, and a side
    still too long breaks before a `+` of its outermost sum, the next line indented."""
    lhs = render_expr(eq.lhs, digits, blank)
    sides = [render_expr(side, digits, blank) for side in eq.sides]
    one = f"{lhs} &= " + " = ".join(sides)
    if visible_width(one) <= width:
        return [one]
    lines = []
    for k, side in enumerate(sides):
        head = f"{lhs} &= " if k == 0 else "&= "
        first, *rest = _wrap_sum(side, width - visible_width(head))
        lines.append(head + first)
        lines += [rf"&\quad {{}}+ {chunk}" for chunk in rest]
    return lines


def _wrap_sum(latex: str, width: int) -> list[str]:
    """A formula cut before the `+` signs outside any braces or \\left…\\right into lines of at most
    `width` visible characters (a single term longer than that stays whole)."""
    terms, start, depth = [], 0, 0
    for m in re.finditer(r"\\[{}]|\\left\b|\\right\b|[{}]| \+ ", latex):
        token = m.group()
        if token in ("{", r"\left"):
            depth += 1
        elif token in ("}", r"\right"):
            depth -= 1
        elif token == " + " and depth == 0:
            terms.append(latex[start:m.start()])
            start = m.end()
    terms.append(latex[start:])
    lines = [terms[0]]
    for term in terms[1:]:
        if visible_width(f"{lines[-1]} + {term}") <= width:
            lines[-1] = f"{lines[-1]} + {term}"
        else:
            lines.append(term)
    return lines


def visible_width(latex: str) -> int:
    """A rough count of the characters a formula shows (fractions count both lines)."""
    text = latex.replace(BLANK, "x" * 7)  # a blank: 3 em, about six digits, and its spacing
    text = re.sub(r"\\(log|max|tanh|exp|dots)\b", r"\1", text)
    text = re.sub(r"\\(?:partial|cdot|sigma|eta|delta|ell|alpha|sum|times|infty|le|ge)\b", "x", text)
    text = re.sub(r"\\[a-zA-Z]+|[{}^_&\\ ]", "", text)
    return len(text)
