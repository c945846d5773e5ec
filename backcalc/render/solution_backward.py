"""A worked solution's backward pass (each neuron's δ) and chain-rule gradient sections."""

from __future__ import annotations

from ..activations import get_activation
from ..losses import get_loss
from ..result import LayerResult, ParameterResult, Term
from .math_text import d, fill, join_tokens, name
from .solution_blocks import Equation, Heading, Math, Num, Paragraph
from .solution_state import SolutionState


class BackwardSections(SolutionState):
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
            self.doc.add(Paragraph(["The inputs: ", [rf"\partial {ell} / \partial x"], ", layer 1's ", [r"\delta"],
                                    " back through its weights, as for a hidden layer:"]))
            self.doc.add(Math([self.input_gradient(j, s) for j in range(len(self.r.input_names))]))
        self.more_samples_note()

    def input_gradient(self, j: int, s: int) -> Equation:
        """∂ℓ/∂x of input j: the first layer's δ backpropagated through its weights."""
        first = self.r.layers[0]
        neurons = range(len(first.neuron_names))
        sym = " + ".join(rf"\delta_{{{self.a_sym(first, m)}}} {name(first.weight_names[m][j])}" for m in neurons)
        num = join_tokens([[Num(first.delta[s, m], wrap=True), r" \cdot ",
                            Num(first.weights[m, j], given=True, wrap=True)] for m in neurons], " + ")
        x = name(self.r.input_names[j])
        return Equation([d(self.loss_sym(s), x)], [[sym], num, [Num(self.r.input_gradients[s, j])]])

    def delta_equations(self, layer: LayerResult, i: int, s: int) -> list[Equation]:
        r = self.r
        ell = self.loss_sym(s)
        a, z = self.a_sym(layer, i), self.z_sym(layer, i)
        delta_sym = rf"\delta_{{{a}}}"
        last = layer.index == len(r.layers) - 1
        delta = [Num(layer.delta[s, i])]
        if last and layer.fused:
            return [Equation([delta_sym], [[d(ell, z)], *self.fused_delta_sides(layer, i, s), delta])]
        eqs = []
        dl_da = [Num(layer.dl_da[s, i])]
        if last:
            eqs.append(Equation([d(ell, a)], [*self.loss_derivative(s, i), dl_da]))
        else:
            nxt = r.layers[layer.index + 1]
            sym = " + ".join(rf"\delta_{{{self.a_sym(nxt, m)}}} {name(nxt.weight_names[m][i])}"
                             for m in range(len(nxt.neuron_names)))
            num = join_tokens([[Num(nxt.delta[s, m], wrap=True), r" \cdot ",
                                Num(nxt.weights[m, i], given=True, wrap=True)] for m in range(len(nxt.neuron_names))],
                              " + ")
            eqs.append(Equation([d(ell, a)], [[sym], num, dl_da]))
        if layer.da_dz is None:  # softmax, not fused with the loss: the Jacobian's product
            names = [self.a_sym(layer, j) for j in range(len(layer.neuron_names))]
            inner = " + ".join(rf"{d(ell, n)} {n}" for n in names)
            num = join_tokens([[Num(layer.dl_da[s, j], wrap=True), r" \cdot ", Num(layer.a[s, j], wrap=True)]
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

    def fused_delta_sides(self, layer: LayerResult, i: int, s: int) -> list[list]:
        """The output δ as the loss entry's fused form writes it, in symbols and in numbers."""
        r = self.r
        t, a = self.at(self.target_sym(i), s), self.at(self.a_sym(layer, i), s)
        av, tv = Num(layer.a[s, i], wrap=True), Num(r.targets[s, i], given=True, wrap=True)
        fused = get_loss(r.loss_name).fused[layer.activation]
        sym_t, num_t = fused.latex[self.k > 1]
        kk = str(self.k)
        terms = [] if fused.latex_term is None else join_tokens(
            [fill(fused.latex_term, {"a": Num(layer.a[s, k], wrap=True),
                                     "t": Num(r.targets[s, k], given=True, wrap=True)}) for k in range(self.k)], " + ")
        return [fill(sym_t, {"a": a, "t": t, "tj": self.at("t_j", s), "tk": self.at("t_k", s),
                             "yk": self.at("y_k", s), "K": kk}),
                fill(num_t, {"a": av, "t": tv, "tsum": Num(sum(r.targets[s]), given=True, wrap=True),
                             "terms": terms, "K": kk})]

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
                parts = join_tokens([[Num(t.product[s], wrap=True)] for t in p.terms], " + ")
                eqs.append(Equation([d(self.loss_sym(s), pname)], [parts, [Num(per[-1])]]))
            eqs.append(Equation(total_lhs, [self.reduced(per), [Num(p.grad)]]))
        elif tied:
            parts = join_tokens([[Num(t.contribution, wrap=True)] for t in p.terms], " + ")
            eqs.append(Equation(total_lhs, [parts, [Num(p.grad)]]))
        return eqs
