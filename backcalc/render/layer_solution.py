"""A worked solution (or, blanked, an exercise) of one step of a network with conv, pool, flatten
or batchnorm layers, as format-neutral blocks markdown.py and latex.py lay out: the forward pass
unit by unit with each kind's own formula, the loss, δ, each parameter's gradient (a kernel
entry's as its sum over positions) and the update. The numbers are the step result's."""

from __future__ import annotations

import numpy as np

from ..result import StepResult
from .layer_tables import field_of, inputs_of
from .math_text import name
from .solution_blocks import Document, Heading, Num, Paragraph, Table

MAX_TERMS = 9  # a longer sum is written as its result only


def kind_document(result: StepResult, blank: bool = False, hand: dict | None = None) -> Document:
    """`hand`: step's `--round` data (the result then holds the hand-rounded values)."""
    r = result
    doc = Document()
    doc.add(Heading(1, f"Worked solution: {r.name or r.source}"))
    names = [layer.kind for layer in r.layers]
    kinds = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    doc.add(Paragraph([f"One step of gradient descent through {kinds}, loss {r.loss_name} ({r.reduction} over "
                       f"{len(r.batch)} sample{'s' if len(r.batch) > 1 else ''}), learning rate ",
                       [r"\eta = ", Num(r.learning_rate, given=True)], "."]))
    if hand is not None:
        n = hand["decimals"]
        doc.add(Paragraph([f"Every computed value is rounded to {n} decimal{'s' if n != 1 else ''} before it is "
                           "used again, as by hand (the given values are used as they are)."]))
    doc.add(Heading(2, "Given"))
    doc.add(Table(["parameter", "value"], [[[name(p.name)], [Num(p.value, given=True)]] for p in r.parameters]))
    doc.add(Table(["sample", "inputs", "target"], [
        [[str(r.batch[s] + 1)], _values(r.inputs[s], True), _values(r.targets[s], True)]
        for s in range(len(r.batch))]))
    doc.add(Heading(2, "1. Forward pass"))
    rows = [row for layer in r.layers for i in range(len(layer.neuron_names)) for s in range(len(r.batch))
            for row in [_forward_row(r, layer, i, s)]]
    doc.add(Table(["layer", "unit", "sample", "z", "a"], rows))
    doc.add(Heading(2, "2. Loss"))
    doc.add(Table(["sample", "loss"], [[[str(r.batch[s] + 1)], [Num(r.losses[s])]] for s in range(len(r.batch))]
                  + [[["L"], [Num(r.loss)]]]))
    doc.add(Heading(2, "3. Backward pass"))
    doc.add(Table(["layer", "unit", "sample", r"∂ℓ/∂a", r"∂a/∂z", "δ"], [
        [[str(layer.index + 1)], [name(layer.neuron_names[i])], [str(r.batch[s] + 1)],
         [Num(layer.dl_da[s, i])] if layer.dl_da is not None else [""],
         [Num(layer.da_dz[s, i])] if layer.da_dz is not None else [""], [Num(layer.delta[s, i])]]
        for layer in reversed(r.layers) for i in range(len(layer.neuron_names)) for s in range(len(r.batch))]))
    doc.add(Heading(2, "4. Gradients"))
    doc.add(Table(["parameter", "sum of its chain-rule products", "∂L/∂p"],
                  [[[name(p.name)], _gradient_sum(r, p), [Num(p.grad)]] for p in r.parameters]))
    doc.add(Heading(2, "5. Update"))
    doc.add(Table(["parameter", "old", "∂L/∂p", "new"], [
        [[name(p.name)], [Num(p.value, given=True)], [Num(p.grad)], [Num(p.new)]] for p in r.parameters]))
    return doc


def _values(row, given: bool) -> list:
    out: list = []
    for k, v in enumerate(row):
        out += ([r",\ "] if k else []) + [Num(v, given=given)]
    return out


def _forward_row(r: StepResult, layer, i: int, s: int) -> list:
    a_in = inputs_of(r, layer.index)[s]
    given = layer.index == 0
    tokens = _z_tokens(layer, i, s, a_in, given)
    return [f"{layer.index + 1} {layer.kind}", [name(layer.neuron_names[i])], [str(r.batch[s] + 1)],
            [*tokens, *([" = "] if tokens else []), Num(layer.z[s, i])], [Num(layer.a[s, i])]]


def _z_tokens(layer, i: int, s: int, a_in, given: bool) -> list:
    """z's formula with its numbers: w·a sums, a pool's max or mean, batch norm's γ·x̂ + β."""
    if layer.kind in ("flatten", "rnn"):  # an rnn's output is its last step's h (the recurrence: step's tables)
        return []
    if layer.kind == "batchnorm":
        c = layer.extras["statistic"][i]  # the unit's channel (per channel) or the unit itself
        return [Num(layer.weights[c][0], given=True, wrap=True), r" \cdot ", Num(layer.extras["x_hat"][s][i],
                wrap=True), " + ", Num(layer.biases[c], given=True, wrap=True)]
    if layer.kind.startswith(("maxpool", "avgpool")):
        field = [k for k in layer.extras["window"][i] if k is not None]
        out: list = [r"\max(" if layer.kind.startswith("max") else r"\mathrm{mean}("]
        for n, k in enumerate(field):
            out += ([", "] if n else []) + [Num(a_in[k], given=given)]
        return out + [")"]
    if layer.kind == "dense":
        w, b, field = layer.weights[i], layer.biases[i], list(enumerate(range(len(a_in))))
    else:
        channel = i // len(layer.extras["receptive_field"])
        w, b = np.ravel(layer.weights[channel]), layer.biases[channel]
        field = [(j, k) for j, k in enumerate(field_of(layer, i)) if k is not None]
    if len(field) > MAX_TERMS:
        return []
    out = []
    for j, k in field:
        out += [Num(w[j], given=True, wrap=True), r" \cdot ", Num(a_in[k], given=given, wrap=True), " + "]
    return out + [Num(b, given=True, wrap=True)]


def _gradient_sum(r: StepResult, p) -> list:
    """The parameter's products added up: over its slots (tied), positions (a kernel) and samples."""
    products = [v for term in p.terms for v in np.ravel(_products(r, term))]
    if len(products) > MAX_TERMS or len(products) < 2:
        return [""]
    out: list = []
    for n, v in enumerate(products):
        out += ([" + "] if n else []) + [Num(v, wrap=True)]
    if r.reduction == "mean" and len(r.batch) > 1:
        out = [r"\frac{1}{" + str(len(r.batch)) + r"}(", *out, ")"]
    return out


def _products(r: StepResult, term) -> list:
    layer = r.layers[term.layer]
    if layer.kind == "rnn":  # each time step's product: the sum over time is the recurrent weight's gradient
        steps = range(layer.extras["hidden_state"].shape[1])
        if term.kind == "weight":
            return [layer.extras["step_terms"][s][t][term.row][term.col] for s in range(len(r.batch)) for t in steps]
        return [layer.extras["dl_dz_step"][s][t][term.row] for s in range(len(r.batch)) for t in steps]
    if layer.kind.startswith("conv") and term.kind == "weight":
        terms = layer.extras["kernel_terms"]  # samples × out × positions × entries
        return [terms[s][term.row][q][term.col] for s in range(len(r.batch))
                for q in range(len(layer.extras["receptive_field"]))
                if field_of(layer, term.row * len(layer.extras["receptive_field"]) + q)[term.col] is not None]
    if layer.kind.startswith("conv"):
        positions = len(layer.extras["receptive_field"])
        return [layer.delta[s, term.row * positions + q] for s in range(len(r.batch)) for q in range(positions)]
    return list(term.product)
