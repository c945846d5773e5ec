"""A circuit's worked solution (or, blanked, its exercise) as the format-neutral blocks markdown.py and
latex.py write: the leaves, the forward pass node by node, the backward pass (each local derivative,
each product of the chain rule), the leaves' gradients summed at forks, the update."""

from __future__ import annotations

from ..activations import ACTIVATIONS, get_activation
from ..circuit.step import CircuitStep, NodeStep
from .circuit_formula import tex_formula, tex_name, tex_operand, tex_tokens
from .math_text import d
from .solution_blocks import Document, Equation, Heading, Math, Num, Paragraph, Table

# ∂node/∂input for the gates outside the registry, slots {a} {b} (inputs) and {o} (the node)
TEX_LOCAL = {"add": ("1", "1"), "sub": ("1", "-1"), "mul": ("{b}", "{a}"),
             "div": (r"\frac{{1}}{{{b}}}", r"-\frac{{{a}}}{{{b}^2}}"), "pow": ("{b}\\,{a}^{{{b}-1}}", r"{o} \log {a}"),
             "neg": ("-1",), "exp": ("e^{{{a}}}",), "log": (r"\frac{{1}}{{{a}}}",), "sqrt": (r"\frac{{1}}{{2{o}}}",),
             "abs": (r"\operatorname{{sign}}({a})",), "max": (r"[{a} \ge {b}]", r"[{b} > {a}]"),
             "min": (r"[{a} \le {b}]", r"[{b} < {a}]")}


def local_tex(n: NodeStep, slot: int) -> str:
    ops = [tex_operand(i) for i in n.inputs] + [""]
    if n.gate in ACTIVATIONS or n.gate not in TEX_LOCAL:
        act = get_activation(n.gate)
        template = act.latex_derivative or "1"
        return template.format(z=ops[0], a=tex_name(n.name), alpha="0.01")
    return TEX_LOCAL[n.gate][slot].format(a=ops[0], b=ops[1], o=tex_name(n.name))


def build(step: CircuitStep) -> Document:
    c = step.circuit
    out = tex_name(c.output)
    doc = Document()
    doc.add(Heading(1, f"Worked solution: {c.name or 'circuit'}"))
    if c.description:
        doc.add(Paragraph([c.description]))
    doc.add(Paragraph([f"The circuit's output is {c.output}; its gradient with respect to every leaf is taken "
                       "by the chain rule, node by node, backward from ", [d(out, out), " = 1"], "."]))
    doc.add(Heading(2, "Given"))
    doc.add(Table(["leaf", "value"], [[[tex_name(k)], [Num(v, True)]] for k, v in step.leaves.items()]))
    doc.add(Heading(2, "1. Forward pass"))
    doc.add(Math([_forward(step, n) for n in step.nodes]))
    doc.add(Heading(2, "2. Backward pass"))
    doc.add(Paragraph(["Each node passes back its gradient times its local derivative to each input; "
                       "max and min pass the whole gradient to the input that wins and 0 to the other."]))
    for n in reversed(step.nodes):
        doc.add(Math(_backward(step, n, out)))
    doc.add(Heading(2, "3. Gradients of the leaves"))
    doc.add(Paragraph(["A leaf used more than once gets the sum of what each use sends back "
                       "(gradients add at forks)."]))
    doc.add(Math([_summed(step, leaf, out) for leaf in c.leaves]))
    if step.new_values:
        doc.add(Heading(2, "4. Update"))
        doc.add(Math([Equation([tex_name(p) + r"^{\text{new}}"],
                               [[tex_name(p), r" - \eta ", d(out, tex_name(p))],
                                [Num(step.leaves[p], True), r" - ", Num(c.learning_rate, True), r" \cdot ",
                                 Num(step.grads[p], wrap=True)], [Num(step.new_values[p])]])
                      for p in c.parameters]))
    return doc


def _forward(step: CircuitStep, n: NodeStep) -> Equation:
    numbers = [[Num(v, given=not isinstance(i, str) or i in step.leaves, wrap=True)]
               for i, v in zip(n.inputs, n.args)]
    return Equation([tex_name(n.name)], [[tex_formula(n.gate, n.inputs)], tex_tokens(n.gate, numbers), [Num(n.value)]])


def _backward(step: CircuitStep, n: NodeStep, out: str) -> list[Equation]:
    name = tex_name(n.name)
    uses = step.uses[n.name]
    if n.name == step.circuit.output:
        eqs = [Equation([d(out, out)], [[Num(n.grad)]])]
    elif len(uses) > 1:
        eqs = [_summed(step, n.name, out)]
    else:
        eqs = [Equation([d(out, name)], [[Num(n.grad)]])]
    for slot, i in enumerate(n.inputs):
        if not isinstance(i, str):
            continue
        x = tex_name(i)
        formula = local_tex(n, slot)
        sides = [[Num(n.local[slot])]] if formula.lstrip("-").isdigit() else [[formula], [Num(n.local[slot])]]
        eqs.append(Equation([d(name, x)], sides))
        eqs.append(Equation([d(out, name), r"\, ", d(name, x)],
                            [[Num(n.grad, wrap=True), r" \cdot ", Num(n.local[slot], wrap=True)], [Num(n.sent[slot])]]))
    return eqs


def _summed(step: CircuitStep, name: str, out: str) -> Equation:
    uses = list(reversed(step.uses[name]))
    x = tex_name(name)
    if len(uses) < 2:
        return Equation([d(out, x)], [[Num(step.grads[name])]])
    terms: list = []
    for k, u in enumerate(uses):
        terms += ([" + "] if k else []) + [Num(u.grad, wrap=True)]
    paths = " + ".join(rf"{d(out, x)}\big|_{{{tex_name(u.node)}}}" for u in uses)
    return Equation([d(out, x)], [[paths], terms, [Num(step.grads[name])]])


def render(step: CircuitStep, kind: str, digits: int = 5, blank: bool = False) -> str:
    if kind == "markdown":
        from .markdown import write
    else:
        from .latex import write
    return write(build(step), digits, blank)
