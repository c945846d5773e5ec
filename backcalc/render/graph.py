"""The network of one step as a graph (Graphviz DOT or Mermaid), like micrograd's draw_dot.

Nodes carry one sample's values (inputs; each neuron's z, a and δ = ∂ℓ/∂z of
that sample's loss ℓ; its bias and the bias's gradient); edges carry each
weight and its gradient ∂L/∂w, which are over the whole batch. The last node
is the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..result import StepResult
from .numbers import short


@dataclass
class Node:
    id: str
    fields: list[str]  # the first is the title


@dataclass
class Edge:
    source: str
    target: str
    fields: list[str]


def build(result: StepResult, sample: int = 0, digits: int = 5) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges of the step's network, with the values of `sample` (0-based in the batch)."""
    d = digits
    nodes: list[Node] = []
    edges: list[Edge] = []
    prev = []
    ell = "ℓ" if len(result.batch) > 1 else "L"  # δ of a batch's sample: of that sample's own loss ℓ
    for j, name in enumerate(result.input_names):
        nodes.append(Node(f"in{j}", [name, f"a = {short(result.inputs[sample, j], d)}"]))
        prev.append(f"in{j}")
    for layer in result.layers:
        ids = []
        for i, neuron in enumerate(layer.neuron_names):
            nid = f"l{layer.index + 1}n{i + 1}"
            ids.append(nid)
            b = layer.bias_names[i]
            nodes.append(Node(nid, [
                f"{neuron} ({layer.activation})",
                f"z = {short(layer.z[sample, i], d)}",
                f"a = {short(layer.a[sample, i], d)}",
                f"δ = ∂{ell}/∂z = {short(layer.delta[sample, i], d)}",
                f"{b} = {short(layer.biases[i], d)}, ∂L/∂{b} = {short(layer.grad_biases[i], d)}",
            ]))
            for j, src in enumerate(prev):
                w = layer.weight_names[i][j]
                edges.append(Edge(src, nid, [f"{w} = {short(layer.weights[i, j], d)}",
                                             f"∂L/∂{w} = {short(layer.grad_weights[i, j], d)}"]))
        prev = ids
    out = result.layers[-1]
    nodes.append(Node("loss", [f"L ({result.loss_name}, {result.reduction})", f"L = {short(result.loss, d)}",
                               f"ℓ sample {result.batch[sample] + 1} = {short(result.losses[sample], d)}"]))
    for i, src in enumerate(prev):
        edges.append(Edge(src, "loss", [f"target {out.neuron_names[i]} = {short(result.targets[sample, i], d)}"]))
    return nodes, edges


def _dot_escape(text: str) -> str:
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _dot_quote(*lines: str) -> str:
    """A DOT string; several lines are joined with DOT's `\\n`."""
    return '"' + "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + '"'


def to_dot(result: StepResult, sample: int = 0, digits: int = 5) -> str:
    """Graphviz DOT: record-shaped nodes left to right; render with `dot -Tsvg`."""
    nodes, edges = build(result, sample, digits)
    title = f"{result.name or result.source}: sample {result.batch[sample] + 1}, learning rate {result.learning_rate:g}"
    lines = ["digraph backcalc {", "  rankdir=LR;", f"  label={_dot_quote(title)};", "  labelloc=t;",
             '  node [shape=record, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];']
    for n in nodes:
        label = "{ " + " | ".join(_dot_escape(f) for f in n.fields) + " }"
        lines.append(f'  "{n.id}" [label="{label}"];')
    for e in edges:
        lines.append(f'  "{e.source}" -> "{e.target}" [label={_dot_quote(*e.fields)}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_escape(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(result: StepResult, sample: int = 0, digits: int = 5) -> str:
    """A Mermaid flowchart (GitHub renders it inside a ```mermaid block)."""
    nodes, edges = build(result, sample, digits)
    lines = ["flowchart LR"]
    for n in nodes:
        lines.append(f'  {n.id}["{"<br/>".join(_mermaid_escape(f) for f in n.fields)}"]')
    for e in edges:
        lines.append(f'  {e.source} -->|"{"<br/>".join(_mermaid_escape(f) for f in e.fields)}"| {e.target}')
    return "\n".join(lines) + "\n"
