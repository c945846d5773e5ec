"""The network of one step as a graph (Graphviz DOT or Mermaid), like micrograd's draw_dot.

Nodes carry one sample's values (inputs; each neuron's z, a and δ = ∂ℓ/∂z of
that sample's loss ℓ; its bias and the bias's gradient); each edge has its
weight and the weight's gradient ∂L/∂w, which are over the whole batch (Mermaid
writes them on the edge, DOT in the row of the neuron where the edge ends). The
last node is the loss. Layers run left to right, each in the spec's order top to bottom;
a layer (or the inputs) wider than the tables' limit is summarised as in the
tables — its first neurons, one node standing for the rest, its last — unless
`full`.
"""

from __future__ import annotations

from ..result import StepResult
from .graph_kinds import Drawing, shown_units
from .graph_model import Below, Edge, Node, gap_node
from .graph_rnn import Unrolled, inputs_read
from .numbers import short

__all__ = ["Edge", "Node", "build", "to_dot", "to_mermaid"]


def build(result: StepResult, sample: int = 0, digits: int = 5,
          full: bool = False) -> tuple[list[list[Node]], list[Edge]]:
    """The columns of nodes (inputs, each layer — a recurrent one a column per time step —, the loss)
    and the edges of the step's network, with the values of `sample` (0-based in the batch)."""
    d = digits
    columns: list[list[Node]] = []
    edges: list[Edge] = []
    ell = "ℓ" if len(result.batch) > 1 else "L"  # δ of a batch's sample: of that sample's own loss ℓ
    n_in = len(result.input_names)
    first = result.layers[0]
    shown = inputs_read(first, full) if "hidden_state" in first.extras else shown_units(n_in, first.kind, full)
    inputs = [gap_node("in", shown, n_in, "inputs") if j is None else
              Node(f"in{j}", [result.input_names[j], f"a = {short(result.inputs[sample, j], d)}"], given=True)
              for j in shown]
    columns.append(inputs)
    below = Below([(j, n.id) for j, n in zip(shown, inputs)])
    for layer in result.layers:
        if "hidden_state" in layer.extras:  # a recurrent kind: unrolled through time
            drawn, into, below = Unrolled(layer, below, sample, d, ell, full).draw()
        elif Drawing.draws(layer.kind):
            drawn, into, below = Drawing(layer, below, sample, d, ell, full).draw()
        else:  # a kind added since: its tables show it
            from ..errors import UsageError

            raise UsageError(f"graph cannot draw layer {layer.index + 1} ({layer.kind}) yet: "
                             "see its tables with `backcalc step`")
        columns += drawn
        edges += into
    out = result.layers[-1]
    columns.append([Node("loss", [f"L ({result.loss_name}, {result.reduction})", f"L = {short(result.loss, d)}",
                                  f"ℓ sample {result.batch[sample] + 1} = {short(result.losses[sample], d)}"])])
    for i, src in below.entries:
        edges.append(Edge(src, "loss", [] if i is None else
                          [f"target {out.neuron_names[i]} = {short(result.targets[sample, i], d)}"]))
    return columns, edges


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_quote(*lines: str) -> str:
    """A DOT string; several lines are joined with DOT's `\\n`."""
    return '"' + "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + '"'


STYLES = {"strong": ' [color="firebrick", penwidth=2.5]', "thin": ' [color="gray50", penwidth=0.6, arrowhead=none]'}


def _row(cells: list[str], port: str | None = None, strong: bool = False) -> str:
    """One row of a node's table: one cell across, or a value and its gradient side by side (in red
    for the edge the gradient flows back along)."""
    at = f' PORT="{port}"' if port else ""
    texts = [f'<FONT COLOR="firebrick"><B>{_html(c)}</B></FONT>' if strong else _html(c) for c in cells]
    if len(cells) == 1:
        return f'<TR><TD ALIGN="LEFT" COLSPAN="2"{at}>{texts[0]}</TD></TR>'
    return f'<TR><TD ALIGN="LEFT"{at}>{texts[0]}</TD><TD ALIGN="LEFT">{texts[1]}</TD></TR>'


def _dot_node(node: Node, incoming: list[Edge]) -> str:
    """A node as a small table, in the order of the computation: its title, one row per incoming
    edge (the weight and its gradient, where that edge ends), then its own values. Edges carry
    no labels: 8 inputs into 10 neurons would scatter 80 of them across the drawing."""
    if node.gap:
        cells = "".join(f"\n    <TR><TD>{_html(f)}</TD></TR>" for f in node.fields)
        table = f'<TABLE BORDER="1" STYLE="dashed" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>'
        return f'  "{node.id}" [label=<{table}>, fontcolor="gray40", color="gray40"];'
    title, *values = node.fields
    rows = [f'<TR><TD BGCOLOR="gray90" COLSPAN="2"><B>{_html(title)}</B></TD></TR>']
    for k, e in enumerate(incoming):
        rows.append(_row(e.fields or ["⋮"], f"p{k}", e.style == "strong"))
    for f in values:  # the activation's row is where the node's outgoing edges start
        if isinstance(f, tuple):
            rows.append(_row(list(f)))
        else:
            rows.append(_row([f], "out" if f.startswith("a = ") else None))
    body = "".join("\n    " + r for r in rows)  # a row a line, for people reading the DOT
    table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{body}</TABLE>'
    return f'  "{node.id}" [label=<{table}>];'


def to_dot(result: StepResult, sample: int = 0, digits: int = 5, full: bool = False) -> str:
    """Graphviz DOT, layers left to right; render with `dot -Tsvg` (or -Tpng)."""
    columns, edges = build(result, sample, digits, full)
    title = f"{result.name or result.source}: sample {result.batch[sample] + 1}, learning rate {result.learning_rate:g}"
    lines = ["digraph backcalc {",
             f"  graph [rankdir=LR, ordering=out, newrank=true, nodesep=0.15, ranksep=0.8, "
             f"labelloc=t, fontname=\"Helvetica\", label={_dot_quote(title)}];",
             '  node [shape=plaintext, fontname="Helvetica", fontsize=11];',
             '  edge [arrowsize=0.6];']
    into: dict[str, list[Edge]] = {}
    for e in edges:
        into.setdefault(e.target, []).append(e)
    for column in columns:
        lines.extend(_dot_node(n, into.get(n.id, [])) for n in column)
    for column in columns:  # one column per layer, in the spec's order from the top
        ids = " ".join(f'"{n.id}"' for n in column)
        chain = " -> ".join(f'"{n.id}"' for n in column)
        lines.append(f"  {{ rank=same; {ids};" + (f" {chain} [style=invis];" if len(column) > 1 else "") + " }")
    gaps = {n.id for column in columns for n in column if n.gap}
    for target, incoming in into.items():
        for k, e in enumerate(incoming):
            head = f'"{target}":w' if target in gaps else f'"{target}":p{k}:w'
            style = STYLES.get(e.style, "") if e.fields else ' [style=dashed, color="gray60"]'
            tail = f'"{e.source}":e' if e.source in gaps else f'"{e.source}":out:e'
            lines.append(f'  {tail} -> {head}{style};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_escape(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(result: StepResult, sample: int = 0, digits: int = 5, full: bool = False) -> str:
    """A Mermaid flowchart (GitHub renders it inside a ```mermaid block)."""
    columns, edges = build(result, sample, digits, full)
    lines = ["flowchart LR"]
    for n in (n for column in columns for n in column):
        fields = (", ".join(f) if isinstance(f, tuple) else f for f in n.fields)
        lines.append(f'  {n.id}["{"<br/>".join(_mermaid_escape(f) for f in fields)}"]')
    for e in edges:
        if e.fields:
            arrow = "==>" if e.style == "strong" else "-->"  # a thick link: the way δ flows back
            lines.append(f'  {e.source} {arrow}|"{"<br/>".join(_mermaid_escape(f) for f in e.fields)}"| {e.target}')
        else:
            lines.append(f"  {e.source} -.-> {e.target}")
    return "\n".join(lines) + "\n"
