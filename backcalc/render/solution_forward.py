"""A worked solution's setup, forward pass and loss sections."""

from __future__ import annotations

from ..activations import get_activation
from ..losses import get_loss
from ..result import LayerResult
from .math_text import fill, join_tokens, name
from .solution_blocks import Equation, Heading, Items, Math, Num, Paragraph, Table
from .solution_state import SolutionState

MAX_TERMS_WRITTEN = 8  # longer weighted sums are elided with \dots


class ForwardSections(SolutionState):
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
            num["den"] = join_tokens([fill(act.latex_term, {"z": Num(layer.z[s, j], wrap=True)})
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
            values = join_tokens([[Num(r.losses[s])] for s in shown], " + ")
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
        num = join_tokens([fill(loss.latex_term, {"y": y, "t": t}) for y, t in zip(yv, tv, strict=True)], " + ")
        kk = str(self.k)
        return Equation(lhs, [fill(total, {"sum": sym, "K": kk}), fill(total, {"sum": num, "K": kk}), value])
