"""One worked step: every named quantity of forward, loss, backward and update, in any arithmetic.

`worked_step` computes, layer by layer and for the whole batch at once, z, a, the loss terms and
losses, ∂ℓ/∂a, ∂a/∂z, δ, each slot's chain-rule product, per-sample and batch gradients and the
new values. The arithmetic (arithmetic.py) decides how numbers are made, added up and rounded; a
`Mistake` (mistakes.py) changes the step at its named hooks; `overrides` put a student's own
numbers in place of computed ones, carried into everything computed from them. Quantities are
keyed (kind, name, sample) as quantities.py names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arithmetic import Float
from .layers import kind_of
from .mistakes import NONE, Mistake
from .network import Network
from .slots import Slots
from .spec_model import Spec


def column_activation(activation) -> str | None:
    """The output activation one output's loss term is computed with: none where the outputs are
    coupled (softmax), so one column's z says nothing on its own."""
    return activation.name if activation.elementwise else None


@dataclass
class Worked:
    """Every quantity of one step (per layer: samples × neurons) and how it was computed."""

    spec: Spec
    arith: object
    mistake: Mistake
    net: Network
    x: np.ndarray
    t: np.ndarray
    kinds: list
    overrides: dict = field(default_factory=dict)  # Key -> the student's value used instead
    computed: dict = field(default_factory=dict)  # Key -> the value an override replaced
    z: list = field(default_factory=list)
    a: list = field(default_factory=list)
    dl_da: list = field(default_factory=list)
    da_dz: list = field(default_factory=list)  # None for a layer whose a depends on several z
    delta: list = field(default_factory=list)
    products: list = field(default_factory=list)  # per layer: (weights n×out×in, biases n×out)
    loss_terms: np.ndarray | None = None  # by hand: each output's term per sample
    losses: np.ndarray | None = None
    loss: object = None
    note: str | None = None
    fused: bool = False  # the output layer's δ from the combined loss+activation form
    grad_samples: np.ndarray | None = None  # by hand: per-sample gradient of each parameter
    grad: np.ndarray | None = None
    new: np.ndarray | None = None
    update: object = None  # the optimizer's Update (NumPy order)
    optimizer: object = None
    slots: Slots | None = None
    slot_products: np.ndarray | None = None  # by hand: samples × slots, as rounded
    grad_w: list | None = None  # NumPy order: each slot's gradient reduced over the batch
    grad_b: list | None = None
    dl_dx: np.ndarray | None = None  # ∂ℓₙ/∂x of every input (samples × inputs): the first layer's back

    @property
    def n(self) -> int:
        return self.x.shape[0]

    def inputs_of(self, li: int) -> np.ndarray:
        return self.x if li == 0 else self.a[li - 1]

    def put(self, kind: str, names: list[str], values, sample: bool = True):
        """`values` (samples × names, or one per name) with the student's numbers put in."""
        if not self.overrides:
            return values
        hits = [(key, value) for key, value in self.overrides.items()
                if key[0] == kind and (key[2] is not None) == sample]
        if not hits:
            return values
        col = {m: i for i, m in enumerate(names)}
        values = np.array(values, dtype=float, copy=True)
        for (_, name, s), value in hits:
            if name in col:
                where = (s, col[name]) if sample else col[name]
                self.computed[(kind, name, s)] = float(values[where])
                values[where] = value
        return values

    def overridden(self, kinds: tuple[str, ...], names: list[str]) -> np.ndarray:
        """Samples × names: True where the student's own number of one of `kinds` is used."""
        mask = np.zeros((self.n, len(names)), dtype=bool)
        col = {m: i for i, m in enumerate(names)}
        for kind, name, s in self.overrides:
            if kind in kinds and name in col and s is not None:
                mask[s, col[name]] = True
        return mask


def worked_step(spec: Spec, arith=None, mistake: Mistake = NONE, overrides: dict | None = None,
                batch: slice | None = None, net: Network | None = None, optimizer=None,
                entries_first: bool = False) -> Worked:
    """One step on the first batch (or `batch`); see the module docstring.

    By hand, a tied parameter's batch gradient is the reduction of its per-sample gradients;
    `entries_first` reduces each slot's products over the batch first and adds those up (the
    order the step table shows). Exactly the two agree; rounded by hand they can part.
    """
    from .optimizers import make_optimizer

    arith = arith or Float()
    net = net or Network(spec, dtype=object if arith.exact else float)
    batch = slice(0, spec.effective_batch_size) if batch is None else batch
    x, t = _data(spec, arith, batch)
    kinds = [kind_of(layer, alpha) for layer, alpha in zip(spec.layers, net.alphas)]
    if mistake.slip:  # a layer kind's own mistake, made by that layer
        kinds[mistake.slip[1]].slip = (mistake.slip[0], *mistake.slip[2:])
    w = Worked(spec, arith, mistake, net, x, t, kinds, dict(overrides or {}))
    w.optimizer = optimizer or make_optimizer(spec, net)
    w.slots = Slots(net)
    _forward(w)
    _loss(w)
    _backward(w, w.slots, entries_first)
    return w


def forward_pass(spec: Spec, inputs: np.ndarray, arith=None, net: Network | None = None) -> Worked:
    """The forward pass alone: every layer's z and a for `inputs` (samples × features)."""
    arith = arith or Float()
    net = net or Network(spec, dtype=object if arith.exact else float)
    kinds = [kind_of(layer, alpha) for layer, alpha in zip(spec.layers, net.alphas)]
    w = Worked(spec, arith, NONE, net, arith.cast(inputs), None, kinds)
    _forward(w)
    return w


def _data(spec: Spec, arith, batch: slice):
    x, t = spec.inputs[batch], spec.targets[batch]
    if not arith.exact:
        return arith.cast(x), arith.cast(t)
    exact_x, exact_t = spec.exact.get("inputs"), spec.exact.get("targets")
    return (arith.cast(x, None if exact_x is None else exact_x[batch]),
            arith.cast(t, None if exact_t is None else exact_t[batch]))


def _forward(w: Worked) -> None:
    arith = w.arith
    for li, kind in enumerate(w.kinds):
        z = kind.weighted_sum(arith, w.inputs_of(li), w.net.weights[li], w.net.biases[li])
        z = w.put("z", kind.neurons, arith.record(z, f"z of layer {li + 1}"))
        w.z.append(z)
        w.a.append(w.put("a", kind.neurons, arith.record(kind.activate(z))))


def _loss(w: Worked) -> None:
    arith, out = w.arith, w.kinds[-1]
    loss = w.net.loss
    if arith.sequential:
        terms = w.put("loss_term", out.neurons, _loss_terms(w))
        w.loss_terms = terms
        total = np.zeros(w.n)
        for k in range(terms.shape[1]):
            total = total + terms[:, k]
        w.losses = w.put("loss", [""], arith.record(total)[:, None])[:, 0]
        total = sum(w.losses.tolist())  # left to right from 0, as by hand
    else:
        w.losses, w.note = loss.value(w.a[-1], w.t, w.z[-1], out.activation.name)
        if w.mistake.loss_scale != 1:
            w.losses = w.losses * w.mistake.loss_scale
        total = np.sum(w.losses)
    mean = w.mistake.reduction(w.spec.reduction) == "mean"
    value = arith.record(total / len(w.losses) if mean else total)
    w.loss = w.put("loss", [""], np.array([value]), sample=False)[0] if w.overrides else value


def _loss_terms(w: Worked) -> np.ndarray:
    """Each output's loss term per sample, from the (rounded) outputs as a student computes it."""
    out, loss, y, t, zo = w.kinds[-1], w.net.loss, w.a[-1], w.t, w.z[-1]
    act = column_activation(out.activation)
    k_out = y.shape[1]
    columns = []
    for k in range(k_out):
        yk, tk, zk = y[:, [k]], t[:, [k]], zo[:, [k]]
        if w.arith.decimals is None:
            value = loss.value(yk, tk, zk, act)[0]
        else:
            # from the rounded output (t·log o, …); from z (the stable form) only where o rounded
            # to 0 or 1
            value, clipped = _quiet_value(loss, yk, tk, act)
            if value is None or clipped or not np.all(np.isfinite(value)):
                value = np.array([_one_term(loss, yk[s:s + 1], tk[s:s + 1], zk[s:s + 1], act)
                                  for s in range(len(yk))])
        value = np.reshape(np.asarray(value, dtype=float), len(yk))
        columns.append(value / k_out if loss.mean_over_outputs else value)
    return w.arith.record(w.mistake.loss_scale * np.stack(columns, axis=1))


def _quiet_value(loss, y, t, act):
    with np.errstate(divide="ignore", invalid="ignore"):
        return loss.value(y, t, None, act)


def _one_term(loss, y, t, z, act) -> float:
    value, clipped = _quiet_value(loss, y, t, act)
    if value is None or clipped or not np.all(np.isfinite(value)):
        value, _ = loss.value(y, t, z, act)
    return float(np.ravel(value)[0])


def _backward(w: Worked, slots: Slots, entries_first: bool) -> None:
    arith, n_layers = w.arith, len(w.kinds)
    y, out = w.a[-1], w.kinds[-1]
    fused = w.net.loss.fused_delta(out.activation.name, y, w.t, None if arith.sequential else w.z[-1])
    w.fused = fused is not None
    w.dl_da, w.da_dz, w.delta, w.products = ([None] * n_layers for _ in range(4))
    w.new = w.net.theta.copy()
    done = np.zeros(len(w.net.names), dtype=bool)  # parameters whose gradient is known
    w.grad = w.net.theta * 0
    if arith.sequential:
        w.grad_samples = np.zeros((w.n, len(w.net.names)))
    for li in range(n_layers - 1, -1, -1):
        kind = w.kinds[li]
        if li == n_layers - 1:
            upstream = w.net.loss.grad(y, w.t)
            if w.mistake.grad_scale != 1:
                upstream = upstream * w.mistake.grad_scale
        else:
            below = w.mistake.through(li + 1, w.delta[li + 1], _weights_above(w, li + 1, done))
            upstream = w.kinds[li + 1].back(arith, *below, w.inputs_of(li + 1))
        upstream = w.dl_da[li] = w.put("dl_da", kind.neurons, arith.record(upstream))
        d = w.mistake.local_derivative(w.kinds, li, arith, w.z[li], w.a[li])
        if d is not None:
            d = w.put("da_dz", kind.neurons, arith.record(d))
        w.da_dz[li] = d
        delta = _delta(w, li, upstream, d, fused if li == n_layers - 1 else None)
        w.delta[li] = w.put("delta", kind.neurons, arith.record(delta, f"δ of layer {li + 1}"))
        w.products[li] = tuple(arith.record(p) for p in kind.slot_products(w.delta[li], w.inputs_of(li)))
        mine = slots.lowest == li  # every slot of these parameters lies in layers ≥ li
        if arith.sequential:
            from .by_hand import gradients

            gradients(w, slots, li, mine, entries_first)
            _update(w, mine)
        elif w.mistake.updated_weights:
            w.grad = _gathered(w)
            _update(w, mine)
        done |= mine
    # the inputs' gradients, as a circuit's leaves have them: the first layer's back, once more
    dl_dx = w.kinds[0].back(arith, *w.mistake.through(0, w.delta[0], _weights_above(w, 0, done)), w.x)
    w.dl_dx = w.put("dl_dx", w.spec.input_names, arith.record(dl_dx))
    if not arith.sequential:
        w.grad = _gathered(w)
        _update(w, np.ones(len(w.net.names), dtype=bool))
    w.new = w.put("new", w.net.names, w.new, sample=False)


def _weights_above(w: Worked, li: int, done: np.ndarray) -> np.ndarray:
    """The weights δ is backpropagated through: the old ones (a mistake: those already updated)."""
    if not w.mistake.updated_weights:
        return w.net.weights[li]
    return np.where(done, w.new, w.net.theta)[w.net.w_index[li]]


def _delta(w: Worked, li: int, upstream, d, fused):
    """δ = ∂ℓ/∂z: the chain rule through the activation, the fused form, or (a mistake) ∂ℓ/∂a itself."""
    kind = w.kinds[li]
    if li in w.mistake.no_derivative:
        return upstream
    if w.mistake.softmax_diagonal and not kind.elementwise:
        return w.mistake.softmax_delta(upstream, w.a[li])
    if fused is None:
        return kind.delta(upstream, d, w.a[li])
    if w.mistake.grad_scale != 1:
        fused = fused * w.mistake.grad_scale
    if w.overrides:  # the student's own ∂ℓ/∂a or ∂a/∂z carries into δ: the product, not the fused form
        mask = w.overridden(("dl_da", "da_dz") if kind.elementwise else ("dl_da",), kind.neurons)
        if not kind.elementwise:
            mask[:] = mask.any(axis=1, keepdims=True)
        if mask.any():
            return np.where(mask, kind.delta(upstream, d, w.a[li]), fused)
    return fused


def _gathered(w: Worked) -> np.ndarray:
    """Each parameter's batch gradient in NumPy's order: each slot reduced over the batch, slots added."""
    mean = w.mistake.reduction(w.spec.reduction) == "mean"
    grad_w, grad_b = [], []
    for li in range(len(w.kinds)):
        delta, a_in = w.delta[li], w.inputs_of(li)
        if delta is None:  # not reached yet (a mistake's early update): no contribution
            delta = np.zeros((w.n, len(w.kinds[li].neurons)), dtype=w.net.theta.dtype)
        gw, gb = w.kinds[li].gradients(delta, a_in)
        if mean and w.n != 1:
            gw, gb = gw / w.n, gb / w.n
        grad_w.append(gw)
        grad_b.append(gb)
    w.grad_w, w.grad_b = grad_w, grad_b
    return w.put("grad", w.net.names, w.net.gather(grad_w, grad_b), sample=False)


def _update(w: Worked, mine: np.ndarray) -> None:
    """The new values of the parameters in `mine` (their gradients known)."""
    from .arithmetic import Exact

    net, m, opt = w.net, w.mistake, w.optimizer
    if not w.arith.sequential and m == NONE:
        if opt.plain:  # the network's own update, which exact arithmetic and fast paths share
            from .optimizers import Update

            new = net.step_theta(w.grad, w.arith.scalar(w.spec.learning_rate))
            w.update = Update(new, opt.state, w.grad, net.theta)
        else:
            w.update = opt.compute(net.theta, w.grad)
        w.new = Exact().record(w.update.theta, "a parameter")
        return
    theta = net.theta
    keep = (net.frozen & (not m.frozen_updated)) | (m.biases_not_updated & w.slots.bias_only)
    if opt.plain:
        change = -w.arith.scalar(w.spec.learning_rate) * w.grad
    elif m.optimizer:  # a mistake in the optimizer's own formulas
        from .optimizer_mistakes import mistaken_step

        change = mistaken_step(opt, m.optimizer, theta, np.where(mine, w.grad, 0 * w.grad)) - theta
    else:  # elementwise, so the other parameters' gradients do not matter here
        change = opt.compute(theta, np.where(mine, w.grad, 0 * w.grad)).theta - theta
    moved = w.arith.record(theta - change if m.add_gradient else theta + change)
    w.new = np.where(mine, np.where(keep, theta, moved), w.new)
