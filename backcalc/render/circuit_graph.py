"""A circuit drawn as CS231n draws one: a gate per node, each wire its value above (green) and the
gradient flowing back along it below (red); a name used more than once shows the sum of its wires'
gradients (gradients add at forks). Graphviz dot or Mermaid."""

from __future__ import annotations

from ..circuit.step import CircuitStep
from .circuit_formula import INFIX, operand
from .numbers import fmt

SYMBOLS = {**INFIX, "neg": "−", "pow": "**"}


def _wires(step: CircuitStep, digits: int):
    """(source id, target id, value text, gradient text or None) for every wire, and the gates and leaves."""
    def named(name: str) -> str:  # a fork's wires carry one use each: the name carries their sum
        return name if len(step.uses[name]) < 2 else f"{name} (∂ {fmt(step.grads[name], digits)})"

    leaves = [(f"leaf_{i}", named(name)) for i, name in enumerate(step.circuit.leaves)]
    ids = {name: f"leaf_{i}" for i, name in enumerate(step.circuit.leaves)}
    gates, wires, constants = [], [], []
    for k, n in enumerate(step.nodes):
        ids[n.name] = f"gate_{k}"
        gates.append((ids[n.name], named(n.name), SYMBOLS.get(n.gate, n.gate)))
        for slot, i in enumerate(n.inputs):
            if isinstance(i, str):
                value = step.leaves[i] if i in step.leaves else step.node(i).value
                wires.append((ids[i], ids[n.name], fmt(value, digits), fmt(n.sent[slot], digits)))
            else:
                key = f"const_{k}_{slot}"
                constants.append((key, operand(i)))
                wires.append((key, ids[n.name], operand(i), None))
    out = step.circuit.output
    wires.append((ids[out], "output", fmt(step.value, digits), fmt(step.grads[out], digits)))
    return leaves, gates, constants, wires


def to_dot(step: CircuitStep, digits: int = 2) -> str:
    leaves, gates, constants, wires = _wires(step, digits)
    lines = ["digraph circuit {", "  rankdir=LR;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    lines += [f'  {key} [shape=plaintext, label="{_dot(name)}"];' for key, name in leaves]
    lines += [f'  {key} [shape=circle, label="{_dot(symbol)}", xlabel="{_dot(name)}"];' for key, name, symbol in gates]
    lines += [f'  {key} [shape=plaintext, label="{_dot(text)}"];' for key, text in constants]
    lines.append(f'  output [shape=plaintext, label="{_dot(step.circuit.output)}"];')
    for source, target, value, grad in wires:
        below = f'<br/><font color="red">{_html(grad)}</font>' if grad is not None else ""
        lines.append(f'  {source} -> {target} [label=<<font color="darkgreen">{_html(value)}</font>{below}>];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(step: CircuitStep, digits: int = 2) -> str:
    leaves, gates, constants, wires = _wires(step, digits)
    lines = ["flowchart LR"]
    lines += [f'  {key}["{_mermaid(name)}"]' for key, name in leaves]
    lines += [f'  {key}(("{_mermaid(symbol)}<br/>{_mermaid(name)}"))' for key, name, symbol in gates]
    lines += [f'  {key}["{_mermaid(text)}"]' for key, text in constants]
    lines.append(f'  output["{_mermaid(step.circuit.output)}"]')
    for source, target, value, grad in wires:
        label = _mermaid(value) + (f"<br/>∂ {_mermaid(grad)}" if grad is not None else "")
        lines.append(f'  {source} -->|"{label}"| {target}')
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mermaid(text: str) -> str:
    return text.replace('"', "#quot;")
