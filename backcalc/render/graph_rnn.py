"""A recurrent layer drawn unrolled through time, as textbooks draw it: a column h₀ (the initial
state), then one column per time step, each hidden unit's node hₜ with its edges from xₜ (labelled
W_x) and from hₜ₋₁ (labelled W_h). A weight is one parameter tied across the steps: every step's edge
carries its name, its value and its one gradient (the sum over the steps), as the bias does.

Everything per step is read from the kind's quantities (samples × time × hidden arrays): hₜ
(`hidden_state`), zₜ, ∂ℓ/∂hₜ and ∂ℓ/∂zₜ, and any other such array a recurrent kind records (a gated
cell's gates or cell state, say) as a row under its own name; a gated cell's weight rows stacked
as torch stacks its gates (row g·H + k) label each edge with one entry per gate. So a gated kind
draws as an unrolled block too, as long as its weights are [W_x | W_h] side by side.
"""

from __future__ import annotations

import numpy as np

from ..result import LayerResult
from .graph_model import Below, Edge, Node, gap_node
from .numbers import short
from .summary import pick

ROWS = {"pre_activation": "z = ", "hidden_state": "a = ", "dl_dh": "∂ℓ/∂h = ", "dh_dz_step": "∂h/∂z = ",
        "dl_dz_step": "δ = ∂ℓ/∂z = "}


def row(key: str, ell: str) -> str:
    """The start of a per-step quantity's row (ℓ: a sample's own loss; L: a batch of one)."""
    return ROWS[key].replace("ℓ", ell) if key in ROWS else f"{key} = "


def state(layer: LayerResult, t: int, k: int) -> str:
    """hₜ's unit k (1-based t; 0 is h₀) as `h1[t,k]`, the tables' name (rnn_tables.state)."""
    return f"h{layer.index + 1}[{t},{k + 1}]"


def per_step(layer: LayerResult) -> dict[str, np.ndarray]:
    """The kind's quantities of shape samples × time × hidden, in the order of ROWS then the rest."""
    shape = layer.extras["hidden_state"].shape
    found = {k: v for k, v in layer.extras.items() if isinstance(v, np.ndarray) and v.shape == shape}
    return {**{k: found[k] for k in ROWS if k in found}, **found}


def features(layer: LayerResult) -> int:
    """xₜ's features: the kind says so (a GRU's rows carry b_hh beside W_h), else what W_h leaves of a row."""
    return layer.extras.get("features", layer.weights.shape[1] - layer.extras["hidden_state"].shape[2])


def inputs_read(layer: LayerResult, full: bool) -> list[int | None]:
    """The inputs to draw when a recurrent layer reads them: xₜ's features for each step drawn."""
    _, n_t, n_h = layer.extras["hidden_state"].shape
    f = features(layer)
    shown: list[int | None] = []
    for t in pick(n_t, full):
        shown += [None] if t is None else [None if j is None else t * f + j for j in pick(f, full)]
    return [k for n, k in enumerate(shown) if k is not None or None not in shown[:n]]  # one gap


class Unrolled:
    """The drawing of one recurrent layer for one sample."""

    def __init__(self, layer: LayerResult, below: Below, s: int, d: int, ell: str, full: bool):
        self.layer, self.below, self.s, self.d, self.ell = layer, below, s, d, ell
        _, self.n_t, self.n_h = layer.extras["hidden_state"].shape
        self.f = features(layer)
        self.pre = f"l{layer.index + 1}"
        self.units, self.steps = pick(self.n_h, full), pick(self.n_t, full)
        self.rows = per_step(layer)
        self.edges: list[Edge] = []
        self.gapped: set[tuple[str, str]] = set()  # an unlabelled edge from a gap, once per target

    def node_id(self, t: int, k: int | None) -> str:
        return f"{self.pre}t{t}more" if k is None else f"{self.pre}t{t}n{k + 1}"

    def draw(self) -> tuple[list[list[Node]], list[Edge], Below]:
        """The columns h₀, h₁ … h_T, the edges into them, and the layer's outputs as the next layer reads them."""
        steps_in = self.layer.extras.get("step_inputs")  # [xₜ, hₜ₋₁] per step: h₀ is the first's end
        h0 = [f"a = {short(v, self.d)}" for v in steps_in[self.s, 0, self.f:]] if steps_in is not None else \
            ["a = h₀ (the spec's initial_state)"] * self.n_h
        columns = [[gap_node(f"{self.pre}t0", self.units, self.n_h, "units") if k is None else
                    Node(self.node_id(0, k), [f"{state(self.layer, 0, k)} (initial state)", h0[k]], given=True)
                    for k in self.units]]
        before = Below([(k, self.node_id(0, k)) for k in self.units])  # hₜ₋₁'s column
        for t in self.steps:
            if t is None:  # the left-out steps: one node, unlabelled edges through it
                gap = gap_node(f"{self.pre}t", self.steps, self.n_t, "time steps")
                self.edges += [Edge(node, gap.id, []) for _, node in before.entries]
                columns.append([gap])
                before = Below([(None, gap.id)])
                continue
            columns.append([self.unit(t, k, before) for k in self.units])
            before = Below([(k, n.id) for k, n in zip(self.units, columns[-1])])
        return columns, self.edges, outputs(self.layer, columns, self.units, self.steps)

    def label(self, k: int, j: int) -> list[str]:
        """Entry j of unit k's weight rows: one row in a plain recurrence; a gated cell's rows k, k + H, …
        (torch's stacked gates), one cell each for their values and their gradients."""
        layer, d = self.layer, self.d
        rows = range(k, layer.weights.shape[0], self.n_h)
        names = [layer.weight_names[r][j] for r in rows]
        return [", ".join(f"{w} = {short(layer.weights[r, j], d)}" for w, r in zip(names, rows)),
                ", ".join(f"∂L/∂{w} = {short(layer.grad_weights[r, j], d)}" for w, r in zip(names, rows))]

    def unit(self, t: int, k: int | None, before: Below) -> Node:
        """hₜ₊₁'s unit k (0-based t), its edges from xₜ₊₁ (W_x) and hₜ (W_h)."""
        layer, s, d, target = self.layer, self.s, self.d, self.node_id(t + 1, k)
        sources = [(self.below, t * self.f + j, j) for j in range(self.f)] + \
                  [(before, m, self.f + m) for m in range(self.n_h)]
        if k is None:
            self.edges += [Edge(node, target, []) for node in dict.fromkeys(c.source(u) for c, u, _ in sources)]
            return gap_node(f"{self.pre}t{t + 1}", self.units, self.n_h, "units")
        for column, u, j in sources:
            src = column.source(u)
            if u in column.ids:
                self.edges.append(Edge(src, target, self.label(k, j)))
            elif (src, target) not in self.gapped:
                self.gapped.add((src, target))
                self.edges.append(Edge(src, target, []))
        cell = layer.extras.get("recurrence_activation", layer.kind)
        bias = range(k, len(layer.biases), self.n_h)  # a gated cell: one bias per gate
        return Node(target, [f"{state(layer, t + 1, k)} ({cell}, t = {t + 1})",
                             *(f"{row(key, self.ell)}{short(v[s, t, k], d)}" for key, v in self.rows.items()),
                             (", ".join(f"{layer.bias_names[r]} = {short(layer.biases[r], d)}" for r in bias),
                              ", ".join(f"∂L/∂{layer.bias_names[r]} = {short(layer.grad_biases[r], d)}"
                                        for r in bias))])


def outputs(layer: LayerResult, columns: list[list[Node]], units: list, steps: list) -> Below:
    """The layer's output units: h_T's (`return: last`) or every hₜ's, time-major (`return: all`)."""
    n_h = layer.extras["hidden_state"].shape[2]
    if len(layer.neuron_names) == n_h:
        return Below([(k, n.id) for k, n in zip(units, columns[-1])])
    entries = []
    for t, column in zip(steps, columns[1:]):
        if t is None:
            entries.append((None, column[0].id))
        else:
            entries += [(None if k is None else t * n_h + k, n.id) for k, n in zip(units, column)]
    return Below(entries)
