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

from dataclasses import dataclass

from ..result import StepResult
from .numbers import short
from .summary import hidden_count, pick


@dataclass
class Node:
    id: str
    fields: list  # the first is the title; a pair (value, its gradient) is one row of two cells
    gap: bool = False  # stands for the neurons a summary leaves out


@dataclass
class Edge:
    source: str
    target: str
    fields: list[str]  # empty: an edge to or from a gap node


def build(result: StepResult, sample: int = 0, digits: int = 5,
          full: bool = False) -> tuple[list[list[Node]], list[Edge]]:
    """The columns of nodes (inputs, each layer, the loss) and the edges of the step's network,
    with the values of `sample` (0-based in the batch)."""
    other = [layer for layer in result.layers if layer.kind != "dense"]
    if other:  # a kernel's weights are shared across positions: no edge per weight to draw
        from ..errors import UsageError

        raise UsageError(f"graph draws dense layers only (a node per neuron, an edge per weight); layer "
                         f"{other[0].index + 1} is {other[0].kind}: see its tables with `backcalc step`")
    d = digits
    columns: list[list[Node]] = []
    edges: list[Edge] = []
    ell = "ℓ" if len(result.batch) > 1 else "L"  # δ of a batch's sample: of that sample's own loss ℓ

    def gap(prefix: str, n: int, what: str) -> Node:
        return Node(f"{prefix}more", ["⋮", f"{hidden_count(n)} more {what}", "(--full)"], gap=True)

    inputs, prev = [], []  # prev: (index or None, node id) of the column before
    for j in pick(len(result.input_names), full):
        if j is None:
            inputs.append(gap("in", len(result.input_names), "inputs"))
        else:
            inputs.append(Node(f"in{j}", [result.input_names[j], f"a = {short(result.inputs[sample, j], d)}"]))
        prev.append((j, inputs[-1].id))
    columns.append(inputs)
    for layer in result.layers:
        column, ids = [], []
        for i in pick(len(layer.neuron_names), full):
            if i is None:
                node = gap(f"l{layer.index + 1}", len(layer.neuron_names), "neurons")
            else:
                b = layer.bias_names[i]
                node = Node(f"l{layer.index + 1}n{i + 1}", [
                    f"{layer.neuron_names[i]} ({layer.activation})",
                    f"z = {short(layer.z[sample, i], d)}",
                    f"a = {short(layer.a[sample, i], d)}",
                    f"δ = ∂{ell}/∂z = {short(layer.delta[sample, i], d)}",
                    (f"{b} = {short(layer.biases[i], d)}", f"∂L/∂{b} = {short(layer.grad_biases[i], d)}"),
                ])
            column.append(node)
            ids.append((i, node.id))
            for j, src in prev:
                if i is None or j is None:
                    edges.append(Edge(src, node.id, []))
                    continue
                w = layer.weight_names[i][j]
                edges.append(Edge(src, node.id, [f"{w} = {short(layer.weights[i, j], d)}",
                                                 f"∂L/∂{w} = {short(layer.grad_weights[i, j], d)}"]))
        columns.append(column)
        prev = ids
    out = result.layers[-1]
    columns.append([Node("loss", [f"L ({result.loss_name}, {result.reduction})", f"L = {short(result.loss, d)}",
                                  f"ℓ sample {result.batch[sample] + 1} = {short(result.losses[sample], d)}"])])
    for i, src in prev:
        edges.append(Edge(src, "loss", [] if i is None else
                          [f"target {out.neuron_names[i]} = {short(result.targets[sample, i], d)}"]))
    return columns, edges


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_quote(*lines: str) -> str:
    """A DOT string; several lines are joined with DOT's `\\n`."""
    return '"' + "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + '"'


def _row(cells: list[str], port: str | None = None) -> str:
    """One row of a node's table: one cell across, or a value and its gradient side by side."""
    at = f' PORT="{port}"' if port else ""
    if len(cells) == 1:
        return f'<TR><TD ALIGN="LEFT" COLSPAN="2"{at}>{_html(cells[0])}</TD></TR>'
    return f'<TR><TD ALIGN="LEFT"{at}>{_html(cells[0])}</TD><TD ALIGN="LEFT">{_html(cells[1])}</TD></TR>'


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
        rows.append(_row(e.fields or ["⋮"], f"p{k}"))
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
            style = "" if e.fields else ' [style=dashed, color="gray60"]'
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
            lines.append(f'  {e.source} -->|"{"<br/>".join(_mermaid_escape(f) for f in e.fields)}"| {e.target}')
        else:
            lines.append(f"  {e.source} -.-> {e.target}")
    return "\n".join(lines) + "\n"
