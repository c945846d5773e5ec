"""A circuit's step as tables: the nodes in computation order, the leaves' gradients (summed at forks),
the update."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from ..circuit.step import CircuitStep
from .circuit_formula import formula
from .numbers import fmt, short
from .table import hanging, titled_table


def title(step: CircuitStep) -> str:
    c = step.circuit
    how = " (exact)" if step.exact else f" (rounded to {step.decimals} decimals)" if step.decimals is not None else ""
    return f"{c.name or 'circuit'}: {c.output} = {fmt(step.value)}{how}"


def node_table(step: CircuitStep, digits: int = 5) -> Group:
    out = step.circuit.output
    table = titled_table(f"Nodes in computation order; backward from ∂{out}/∂{out} = 1",
                         ("node", "left"), ("formula", "left"), ("value", "right"), ("local ∂node/∂in", "left"),
                         (f"∂{out}/∂node", "right"), ("back to in", "left"))
    notes = []
    for n in step.nodes:
        named = [(slot, i) for slot, i in enumerate(n.inputs) if isinstance(i, str)]
        local = "\n".join(f"{i}: {fmt(n.local[slot], digits)}" + _winner(n, slot) for slot, i in named)
        sent = "\n".join(f"{i}: {fmt(n.sent[slot], digits)}"
                         for slot, i in named)
        table.add_row(n.name, formula(n.gate, n.inputs), fmt(n.value, digits), local or "—",
                      fmt(n.grad, digits), sent or "—")
        if n.routed is not None and n.gate + " routes" not in " ".join(notes):
            notes.append(f"{n.gate} routes the gradient to its {'larger' if n.gate == 'max' else 'smaller'} "
                         "input; the other input gets 0")
    parts = [table]
    parts += [hanging("note:", note) for note in notes]
    return Group(*parts)


def _winner(n, slot: int) -> str:
    if n.routed is None:
        return ""
    return " (wins)" if slot == n.routed else ""


def gradient_table(step: CircuitStep, digits: int = 5) -> Group:
    out = step.circuit.output
    table = titled_table(f"Gradients of {out} (gradients add at forks)", ("leaf", "left"), ("value", "right"),
                         (f"∂{out}/∂leaf", "right"), ("summed over its uses", "left"))
    for leaf in step.circuit.leaves:
        uses = step.uses[leaf]
        table.add_row(leaf, fmt(step.leaves[leaf], digits), fmt(step.grads[leaf], digits), fork_sum(uses, digits))
    parts = [table]
    inner = {k: v for k, v in step.forks().items() if k not in step.leaves}
    if inner:
        forks = titled_table("Nodes used more than once: their gradients add too", ("node", "left"),
                             (f"∂{out}/∂node", "right"), ("summed over its uses", "left"))
        for name, uses in inner.items():
            forks.add_row(name, fmt(step.grads[name], digits), fork_sum(uses, digits))
        parts.append(forks)
    return Group(*parts)


def fork_sum(uses: list, digits: int) -> str:
    """`−4 (via q) + 3 (via r)`: one term per use; a single use says where it came from."""
    if not uses:
        return "not used"
    text = ""
    for k, u in enumerate(reversed(uses)):
        term = f"{fmt(u.grad, digits)} (via {u.node})"
        text += term if k == 0 else f" − {term[1:]}" if term.startswith("−") else f" + {term}"
    return text


def update_table(step: CircuitStep, digits: int = 5):
    c = step.circuit
    out = c.output
    table = titled_table(f"Update (learning rate {short(c.learning_rate)}): p − η·∂{out}/∂p",
                         ("parameter", "left"), ("old", "right"), (f"∂{out}/∂p", "right"), ("new", "right"))
    for p in c.parameters:
        table.add_row(p, fmt(step.leaves[p], digits), fmt(step.grads[p], digits), fmt(step.new_values[p], digits))
    return table


def circuit_tables(step: CircuitStep, digits: int = 5) -> Group:
    parts = [Text(title(step), style="bold"), Text(), node_table(step, digits), Text(), gradient_table(step, digits)]
    if step.new_values:
        parts += [Text(), update_table(step, digits)]
    elif step.circuit.learning_rate is not None:
        parts += [Text(), Text("learning_rate is given but no parameters: name the leaves to update in "
                               "`parameters:`", style="dim")]
    return Group(*parts)
