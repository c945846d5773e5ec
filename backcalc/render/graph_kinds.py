"""Each layer kind drawn as graph.build draws a layer: a node per unit, an edge per input the unit
reads (the kind's `reads`, as its quantities record them), labelled with what the edge multiplies by.

- dense: every input, each edge its weight and the weight's gradient;
- conv: each output position's receptive field, each edge the kernel entry it meets, so one entry's
  name, value and (summed) gradient label every edge it is tied across: the weight sharing shows;
- pool: each window; a max pool's winner is the strong edge (the one δ flows back along, ∂a/∂x = 1),
  an average pool's every edge its share 1/k;
- flatten: a thin edge from each unit to the one it becomes (the same number, renamed);
- batchnorm: unit to unit, with γ on the edge, β, the batch's μ and σ² and the sample's x̂ in the node.
"""

from __future__ import annotations

import numpy as np

from ..result import LayerResult
from .graph_model import MAX_GRID_SHOWN, MAX_INCOMING, Below, Edge, Node, gap_node, picked
from .numbers import short
from .summary import pick

WINDOWED = ("conv", "maxpool", "avgpool")


def windowed(kind: str) -> bool:
    return kind.rstrip("12d") in WINDOWED


def shown_units(n: int, kind: str, full: bool) -> list[int | None]:
    """The units drawn of a column of n of this kind (or of the inputs a layer of it reads): a grid's
    up to MAX_GRID_SHOWN, else the tables' summary."""
    return picked(n, full, MAX_GRID_SHOWN) if windowed(kind) else pick(n, full)


class Drawing:
    """One layer's nodes and edges, for one sample, from the column below."""

    def __init__(self, layer: LayerResult, below: Below, sample: int, digits: int, ell: str, full: bool):
        self.layer, self.below, self.s, self.d, self.ell, self.full = layer, below, sample, digits, ell, full
        self.prefix = f"l{layer.index + 1}"
        self.edges: list[Edge] = []
        self.gapped: set[tuple[str, str]] = set()  # the unlabelled edges from a gap, one per target

    @classmethod
    def draws(cls, kind: str) -> bool:
        """Whether a layer of this kind (the spec's `type:`) has a drawing here."""
        return kind.rstrip("12d") in ("dense", "flatten", "batchnorm", *WINDOWED)

    def num(self, x) -> str:
        return short(x, self.d)

    def draw(self) -> tuple[list[list[Node]], list[Edge], Below]:
        """The layer's columns, its edges and its units as the next layer reads them."""
        layer = self.layer
        kind = layer.kind.rstrip("12d")
        if kind in ("flatten", "batchnorm"):  # unit to unit: the same units as the column below
            shown = [i for n, (i, _) in enumerate(self.below.entries)  # one gap (an rnn's may have several)
                     if i is not None or all(j is not None for j, _ in self.below.entries[:n])]
        else:
            shown = shown_units(len(layer.neuron_names), kind, self.full)
        column = []
        for i in shown:
            what = "neurons" if kind == "dense" else "units"
            node = gap_node(self.prefix, shown, len(layer.neuron_names), what) if i is None else \
                Node(f"{self.prefix}n{i + 1}", getattr(self, kind)(i))
            if i is None:
                self.gap_edges(node.id, shown)
            column.append(node)
        return [column], self.edges, Below([(i, n.id) for i, n in zip(shown, column)])

    def edge(self, k: int, i: int, fields: list[str], **how) -> None:
        """The edge from input k to unit i (unlabelled when input k is in a summary's gap)."""
        src, target = self.below.source(k), f"{self.prefix}n{i + 1}"
        if k in self.below.ids:
            self.edges.append(Edge(src, target, fields, **how))
        elif (src, target) not in self.gapped:
            self.gapped.add((src, target))
            self.edges.append(Edge(src, target, []))

    def gap_edges(self, gap: str, shown: list[int | None]) -> None:
        """Unlabelled edges into a summary's gap from every drawn input a left-out unit reads."""
        if self.layer.kind == "dense":  # every unit reads every input
            sources = dict.fromkeys(node for _, node in self.below.entries)
        else:
            left_out = set(range(len(self.layer.neuron_names))) - {i for i in shown if i is not None}
            sources = dict.fromkeys(self.below.source(k) for i in sorted(left_out) for k in self.reads(i))
        self.edges.extend(Edge(src, gap, []) for src in sources if src is not None)

    def reads(self, i: int) -> list[int]:
        """The inputs unit i reads, in its formula's order (the kind's `reads`, from its quantities)."""
        if self.layer.kind in ("flatten", "batchnorm"):
            return [i]
        return [k for k in self.field(i) if k is not None]

    def field(self, i: int) -> list[int | None]:
        ex = self.layer.extras
        if "receptive_field" in ex:
            return ex["receptive_field"][i % len(ex["receptive_field"])]
        return ex["window"][i]

    def elided(self, n: int) -> list[str]:
        return [f"⋮ {n - MAX_INCOMING} more inputs (--full)"] if n > MAX_INCOMING and not self.full else []

    def values(self, i: int, z: bool = True) -> list:
        layer, s = self.layer, self.s
        rows = [f"z = {self.num(layer.z[s, i])}"] if z else []
        return rows + [f"a = {self.num(layer.a[s, i])}", f"δ = ∂{self.ell}/∂z = {self.num(layer.delta[s, i])}"]

    def bias(self, k: int) -> tuple[str, str]:
        b = self.layer.bias_names[k]
        return f"{b} = {self.num(self.layer.biases[k])}", f"∂L/∂{b} = {self.num(self.layer.grad_biases[k])}"

    def labelled(self, i: int, pairs: list[tuple[int, list[str]]], **how) -> list[str]:
        """The edges into unit i from (input, label) pairs, at most MAX_INCOMING unless --full; the rows
        standing for the rest."""
        drawn = pairs if self.full else pairs[:MAX_INCOMING]
        for k, fields in drawn:
            self.edge(k, i, fields, **how)
        return self.elided(len(pairs))

    def dense(self, i: int) -> list:
        layer, target = self.layer, f"{self.prefix}n{i + 1}"
        for j, src in self.below.entries:  # every weight: the column is summarised instead
            w = None if j is None else layer.weight_names[i][j]
            self.edges.append(Edge(src, target, [] if j is None else [
                f"{w} = {self.num(layer.weights[i, j])}", f"∂L/∂{w} = {self.num(layer.grad_weights[i, j])}"]))
        return [f"{layer.neuron_names[i]} ({layer.activation})", *self.values(i), self.bias(i)]

    def conv(self, i: int) -> list:
        layer = self.layer
        channel = i // len(layer.extras["receptive_field"])
        names = np.ravel(np.array(layer.weight_names, dtype=object)[channel])
        values, grads = np.ravel(layer.weights[channel]), np.ravel(layer.grad_weights[channel])
        field = self.field(i)
        pairs = [(k, [f"{names[j]} = {self.num(values[j])}", f"∂L/∂{names[j]} = {self.num(grads[j])}"])
                 for j, k in enumerate(field) if k is not None]
        rest = self.labelled(i, pairs)
        padding = len(field) - len(pairs)
        pad = [f"+ {padding} padding entr{'y' if padding == 1 else 'ies'} (0)"] if padding else []
        return [f"{layer.neuron_names[i]} ({layer.activation})", *rest, *pad, *self.values(i), self.bias(channel)]

    def maxpool(self, i: int) -> list:
        layer, below = self.layer, self.layer.input_names
        won = int(layer.extras["winner"][self.s][i])
        drawn = [k for k in self.field(i) if k is not None]
        for n, k in enumerate(drawn):
            if self.full or n < MAX_INCOMING or k == won:  # the winner's edge is always drawn
                grad = "∂a/∂x = 1 (max ◀)" if k == won else "∂a/∂x = 0"  # an exercise leaves ∂… out
                self.edge(k, i, [below[k], grad], style="strong" if k == won else "")
        rest = self.elided(len(drawn))
        return [f"{layer.neuron_names[i]} (max pool)", *rest, *self.values(i, z=False)]

    def avgpool(self, i: int) -> list:
        layer, below = self.layer, self.layer.input_names
        field = self.field(i)
        size = len(field)  # padding counts in the mean (torch's count_include_pad)
        share = self.num(layer.extras["share"])
        pairs = [(k, [f"1/{size} · {below[k]}", f"∂a/∂x = {share}"]) for k in field if k is not None]
        rest = self.labelled(i, pairs)
        return [f"{layer.neuron_names[i]} (average pool)", *rest, *self.values(i, z=False)]

    def flatten(self, i: int) -> list:
        self.edge(i, i, [f"= {self.layer.input_names[i]}"], style="thin")
        return [f"{self.layer.neuron_names[i]} (flatten)", *self.values(i, z=False)]

    def batchnorm(self, i: int) -> list:
        layer, ex, s = self.layer, self.layer.extras, self.s
        c = ex["statistic"][i] if "statistic" in ex else i  # the unit's channel (per channel), or the unit
        g = layer.weight_names[c][0]
        self.edge(i, i, [f"γ: {g} = {self.num(layer.weights[c, 0])}",
                         f"∂L/∂{g} = {self.num(layer.grad_weights[c, 0])}"])
        over = "over the batch" if c == i and len(ex["mean"]) == len(layer.neuron_names) else \
            f"of channel {c + 1} over the batch and its positions"
        return [f"{layer.neuron_names[i]} (batchnorm, {layer.activation})",
                f"μ = {self.num(ex['mean'][c])}, σ² = {self.num(ex['variance'][c])} {over}",
                f"x̂ = (x − μ)/√(σ² + ε) = {self.num(ex['x_hat'][s, i])}",
                f"z = γ·x̂ + β = {self.num(layer.z[s, i])}", *self.values(i)[1:], self.bias(c)]
