"""A circuit's worked solution (or, blanked, its exercise) as the networks' self-contained page.

The sections are circuit_document.build()'s blocks laid out by html_page.layout (the same LaTeX
as MathML, each section a <details>); the solution ends with the step's tables: the nodes in
computation order, the leaves' gradients summed at forks, the update.
"""

from __future__ import annotations

from html import escape

from ..circuit.step import CircuitStep
from .circuit import fork_sum, title
from .circuit_document import build
from .circuit_formula import formula
from .grid import Column, Grid
from .html import grid_html
from .html_page import layout, page
from .numbers import fmt, short


def render(step: CircuitStep, digits: int = 5, blank: bool = False) -> str:
    """The whole page; `blank`: the exercise, the given leaves only."""
    heading, body = layout(build(step), digits, blank)
    if not blank:
        grids = "".join(grid_html(g) for g in grids_of(step, digits))
        body.append(f'<details open class="section tables"><summary><h2>The step\'s tables</h2></summary>'
                    f'<p class="note">{escape(title(step))}</p><div class="wide">{grids}</div></details>')
    return page(heading, "\n".join(body), None)


def grids_of(step: CircuitStep, digits: int) -> list[Grid]:
    """The tables `step` prints for a circuit, as grids (render/circuit.py's rows)."""
    out = step.circuit.output
    nodes = Grid(f"Nodes in computation order; backward from ∂{out}/∂{out} = 1",
                 [Column("node", right=False), Column("formula", right=False), Column("value"),
                  Column("local ∂node/∂in", right=False), Column(f"∂{out}/∂node"),
                  Column("back to in", right=False)])
    for n in step.nodes:
        named = [(slot, i) for slot, i in enumerate(n.inputs) if isinstance(i, str)]
        local = "; ".join(f"{i}: {fmt(n.local[slot], digits)}" + (" (wins)" if slot == n.routed else "")
                          for slot, i in named)
        sent = "; ".join(f"{i}: {fmt(n.sent[slot], digits)}" for slot, i in named)
        nodes.add(n.name, formula(n.gate, n.inputs), fmt(n.value, digits), local or "—",
                  fmt(n.grad, digits), sent or "—")
    leaves = Grid(f"Gradients of {out} (gradients add at forks)",
                  [Column("leaf", right=False), Column("value"), Column(f"∂{out}/∂leaf"),
                   Column("summed over its uses", right=False)])
    for leaf in step.circuit.leaves:
        leaves.add(leaf, fmt(step.leaves[leaf], digits), fmt(step.grads[leaf], digits),
                   fork_sum(step.uses[leaf], digits))
    grids = [nodes, leaves]
    if step.new_values:
        c = step.circuit
        update = Grid(f"Update (learning rate {short(c.learning_rate)}): p − η·∂{out}/∂p",
                      [Column("parameter", right=False), Column("old"), Column(f"∂{out}/∂p"), Column("new")])
        for p in c.parameters:
            update.add(p, fmt(step.leaves[p], digits), fmt(step.grads[p], digits), fmt(step.new_values[p], digits))
        grids.append(update)
    return grids
