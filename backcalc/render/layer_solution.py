"""A worked solution (or, blanked, an exercise) of one step of a network with conv, pool, flatten
or batchnorm layers, as format-neutral blocks markdown.py and latex.py lay out: the forward pass
unit by unit with each kind's own formula, the loss, δ, each parameter's gradient (a kernel
entry's as its sum over positions) and the update. The numbers are the step result's."""

from __future__ import annotations

import numpy as np

from ..result import StepResult
from .layer_solution_terms import batchnorm_blocks, gradient_equation, sent_blocks
from .layer_tables import field_of, inputs_of
from .math_text import name
from .rnn_solution import recurrent, symbolic_sum, through_time
from .solution_blocks import Document, Heading, Math, Num, Paragraph, Table

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
    for layer in r.layers:
        blocks = batchnorm_blocks(r, layer) if layer.kind == "batchnorm" else (
            through_time(r, layer, False) if recurrent(layer) else [])
        for block in blocks:
            doc.add(block)
    doc.add(Heading(2, "2. Loss"))
    doc.add(Table(["sample", "loss"], [[[str(r.batch[s] + 1)], [Num(r.losses[s])]] for s in range(len(r.batch))]
                  + [[["L"], [Num(r.loss)]]]))
    doc.add(Heading(2, "3. Backward pass"))
    doc.add(Table(["layer", "unit", "sample", r"∂ℓ/∂a", r"∂a/∂z", "δ"], [
        [[str(layer.index + 1)], [name(layer.neuron_names[i])], [str(r.batch[s] + 1)],
         [Num(layer.dl_da[s, i])] if layer.dl_da is not None else [""],
         [Num(layer.da_dz[s, i])] if layer.da_dz is not None else [""], [Num(layer.delta[s, i])]]
        for layer in reversed(r.layers) for i in range(len(layer.neuron_names)) for s in range(len(r.batch))]))
    for block in sent_blocks(r, lambda layer: through_time(r, layer, True) if recurrent(layer) else []):
        doc.add(block)
    doc.add(Heading(2, "4. Gradients"))
    doc.add(Paragraph(["Each parameter's gradient adds up its chain-rule products δ · ∂z/∂p over every place it is "
                       "used (a kernel entry at every position, a recurrent weight at every time step)"
                       + (", over the samples, then the mean" if r.reduction == "mean" and len(r.batch) > 1 else
                          ", over the samples" if len(r.batch) > 1 else "") + "."]))
    if any(recurrent(layer) for layer in r.layers):
        doc.add(Paragraph(["A recurrent layer's weight is used at every time step: its gradient is the sum over the "
                           "steps of ", [r"\partial \ell / \partial z_t"], " times what the weight multiplies at that "
                           "step (", ["x_t"], " for ", ["W_x"], ", ", ["h_{t-1}"], " for ", ["W_h"], ", 1 for b)."]))
    doc.add(Math([gradient_equation(r, p, symbolic_sum(r, p)) for p in r.parameters]))
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
    if layer.kind == "flatten":
        return []
    if recurrent(layer):  # its output unit is a step's h (the steps are written out below the table)
        n_t, n_h = layer.extras["hidden_state"].shape[1:]
        t = i // n_h + 1 if len(layer.neuron_names) > n_h else n_t
        return [f"h^{{({layer.index + 1})}}_{{{t},{i % n_h + 1}}}"]
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
