"""One step recomputed number by number, as a student does it by hand.

`compute()` walks the first batch sample by sample and neuron by neuron with
plain Python floats, records every named quantity (z, a, losses, ∂L/∂a,
∂a/∂z, δ, per-sample and batch gradients, updated values) in computation
order with the quantities it was computed from, and can

- round every recorded value to N decimals before it is used again
  (`decimals`), as on paper, and
- make one of the common mistakes on purpose (`Variant`), so `check` can
  recognise a student's wrong number by recomputing it the wrong way.

The formulas themselves come from the activation and loss registries; this
module only decides what is rounded and what goes wrong. With no rounding and
no variant it agrees with `network.py` (a test holds them together).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .activations import get_activation, softmax_jvp
from .losses import LOSSES, get_loss
from .spec_model import Spec, parameter_names

# A quantity: (kind, name, sample). Kinds: z, a, loss_term (name: output
# neuron), loss (name ""; sample None for the batch loss), dl_da, da_dz,
# delta (name: neuron), grad (name: parameter; sample None for the batch
# gradient, else the per-sample ∂ℓₙ/∂p), new (parameter, sample None).
Key = tuple[str, str, "int | None"]

# Losses that average over the K outputs: their per-output terms carry 1/K.
_MEAN_OVER_OUTPUTS = {name for name, loss in LOSSES.items() if loss.mean_over_outputs}
SQUARED_LOSSES = {name for name, loss in LOSSES.items() if loss.squared is not None}


def key_text(key: Key, n_samples: int) -> str:
    """The canonical name of a quantity (the one tables and `check` print)."""
    kind, name, s = key
    base = {
        "z": f"z_{name}", "a": name, "loss_term": f"loss_{name}", "loss": "loss",
        "dl_da": f"dL/d{name}", "da_dz": f"d{name}/dz_{name}", "delta": f"delta_{name}",
        "grad": f"dL/d{name}", "new": f"{name}_new",
    }[kind]
    if s is not None and n_samples > 1:
        base += f"[{s + 1}]"
    return base



@dataclass(frozen=True)
class Variant:
    """A way of getting the step wrong (the default gets it right)."""

    updated_weights: bool = False  # δ of a layer through the already-updated weights above it
    no_derivative: frozenset = frozenset()  # layers whose δ leaves out ∂a/∂z
    loss_scale: float = 1.0  # every loss value times this
    grad_scale: float = 1.0  # ∂ℓ/∂y (and so every δ and gradient) times this
    swap_reduction: bool = False  # mean over the batch where the sum was asked, or back
    add_gradient: bool = False  # p + η·∂L/∂p
    biases_not_updated: bool = False
    frozen_updated: bool = False  # frozen parameters updated all the same


@dataclass
class Calc:
    """Every quantity of one step, in computation order, with what each was computed from."""

    values: dict = field(default_factory=dict)  # Key -> float
    deps: dict = field(default_factory=dict)  # Key -> tuple of Keys
    n_samples: int = 1
    overrides: dict = field(default_factory=dict)  # Key -> float used instead of the computed value
    computed: dict = field(default_factory=dict)  # Key -> the value an override replaced
    # (layer, row, col or None, sample) -> one slot's chain-rule product δ·input, as rounded; a
    # tied parameter's per-sample gradient is the sum of its slots' products.
    products: dict = field(default_factory=dict)

    def put(self, key: Key, value: float, deps=()) -> float:
        if key in self.overrides:
            self.computed[key] = value
            value = self.overrides[key]
        self.values[key] = value
        self.deps[key] = tuple(deps)
        return value

    def order(self) -> dict:
        """Key -> position in computation order."""
        return {k: i for i, k in enumerate(self.values)}


def round_half_up(x: float, decimals: int) -> float:
    """`x` rounded to `decimals` decimals as on paper: halves away from zero, on the decimal value.

    Python's round() works on the binary value, so 0.53075 (stored as 0.530749999…) would become
    0.5307 where a student writes 0.5308; 15 significant digits first clear that binary noise,
    and 13 decimals the noise a cancellation leaves (0.15 − 0.14685 = 0.0031499999999999944).
    """
    x = float(x)
    if not math.isfinite(x):
        return x
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

    wide = Context(prec=400)  # room for any float's digits plus the decimals
    value = Decimal(format(x, ".15g"))
    if decimals < 13:
        value = value.quantize(Decimal(1).scaleb(-13), rounding=ROUND_HALF_EVEN, context=wide)
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=wide))


def _rounder(decimals: int | None):
    if decimals is None:
        return float
    return lambda x: round_half_up(x, decimals)


def compute(spec: Spec, decimals: int | None = None, variant: Variant = Variant(),
            overrides: dict | None = None, entries_first: bool = False) -> Calc:
    """Recompute one step on the spec's first batch; see the module docstring.

    `overrides` (Key -> value) replaces those quantities' values wherever they
    are used next, as a student carries their own numbers forward.

    A tied parameter's batch gradient is, by default, the reduction (mean or sum) of its
    per-sample gradients, each the sum of its entries' products; `entries_first` reduces each
    entry's products over the batch first and adds those up, the order the step table shows.
    Exactly the two agree; rounded by hand they can part (docs/check.md, `--round`).
    """
    r = _rounder(decimals)
    n = spec.effective_batch_size
    x, t = spec.inputs[:n], spec.targets[:n]
    calc = Calc(n_samples=n, overrides=dict(overrides or {}))
    layers = spec.layers
    n_layers = len(layers)
    names = parameter_names(spec)
    theta = {}
    for layer in layers:
        for i in range(layer.size):
            for j, p in enumerate(layer.weight_names[i]):
                theta[p] = float(layer.weights[i, j])
            theta[layer.bias_names[i]] = float(layer.biases[i])
    acts = [get_activation(layer.activation) for layer in layers]
    loss_fn = get_loss(spec.loss)
    reduction = spec.reduction
    if variant.swap_reduction:
        reduction = "sum" if reduction == "mean" else "mean"

    # -- forward -------------------------------------------------------------
    a_prev = [[float(v) for v in row] for row in x]  # per sample
    prev_keys: list | None = None  # the previous layer's neuron names (None: inputs)
    zs, As = [], []
    for li, layer in enumerate(layers):
        act, alpha = acts[li], layer.alpha
        z_l, a_l = [], []
        for s in range(n):
            zrow = []
            for i, neuron in enumerate(layer.neuron_names):
                total = sum(float(layer.weights[i, j]) * a_prev[s][j] for j in range(layer.weights.shape[1]))
                deps = [("a", m, s) for m in prev_keys] if prev_keys else []
                zrow.append(calc.put(("z", neuron, s), r(total + float(layer.biases[i])), deps))
            arow = act.forward(np.array([zrow]), alpha)[0]
            out = []
            for i, neuron in enumerate(layer.neuron_names):
                deps = [("z", m, s) for m in layer.neuron_names] if not act.elementwise else [("z", neuron, s)]
                out.append(calc.put(("a", neuron, s), r(arow[i]), deps))
            z_l.append(zrow)
            a_l.append(out)
        zs.append(z_l)
        As.append(a_l)
        a_prev = a_l
        prev_keys = layer.neuron_names

    # -- loss ----------------------------------------------------------------
    out_layer = layers[-1]
    out_act = acts[-1]
    k_out = out_layer.size
    per_sample = []
    for s in range(n):
        y, ts, zo = np.array([As[-1][s]]), t[s:s + 1], np.array([zs[-1][s]])
        terms = []
        for k, neuron in enumerate(out_layer.neuron_names):
            act_name = None if out_act.name == "softmax" else out_act.name
            # Rounded by hand, the loss is computed from the rounded output (t·log o, …), as a student
            # does; from z (the losses' stable form for a sigmoid) only where o rounded to 0 or 1.
            value, clipped = None, None
            if decimals is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    value, clipped = loss_fn.value(y[:, [k]], ts[:, [k]], None, act_name)
            if value is None or clipped or not np.all(np.isfinite(value)):
                value, _ = loss_fn.value(y[:, [k]], ts[:, [k]], zo[:, [k]], act_name)
            if spec.loss in _MEAN_OVER_OUTPUTS:
                value = value / k_out
            terms.append(calc.put(("loss_term", neuron, s), r(variant.loss_scale * float(value[0])),
                                  [("a", neuron, s)]))
        deps = [("loss_term", m, s) for m in out_layer.neuron_names]
        per_sample.append(calc.put(("loss", "", s), r(sum(terms)), deps))
    total = sum(per_sample)
    calc.put(("loss", "", None), r(total / n if reduction == "mean" else total),
             [("loss", "", s) for s in range(n)])

    # -- backward (top layer first) and update ------------------------------
    slots: dict[str, list] = {p: [] for p in names}  # parameter -> [(layer, row, col or None)]
    for li, layer in enumerate(layers):
        for i in range(layer.size):
            for j, p in enumerate(layer.weight_names[i]):
                slots[p].append((li, i, j))
            slots[layer.bias_names[i]].append((li, i, None))
    lowest = {p: min(s[0] for s in slots[p]) for p in names}
    frozen = set(spec.frozen)
    current = dict(theta)  # the values the backward pass reads (changes only for updated_weights)
    grads: dict[str, float] = {}
    new: dict[str, float] = {}
    deltas: list = [None] * n_layers

    optimizer = None
    if not spec.optimizer.plain:  # momentum, weight decay, Adam: the optimizer's own arithmetic
        from .optimizers import Optimizer

        optimizer = Optimizer(spec.optimizer, spec.learning_rate, names,
                              np.array([p in frozen for p in names]), float, spec.optimizer_state)
        theta_vec = np.array([theta[p] for p in names])

    def update(p: str) -> None:
        g = grads[p]
        keep = (p in frozen and not variant.frozen_updated) or (
            variant.biases_not_updated and all(c is None for _, _, c in slots[p]))
        if keep:
            new[p] = theta[p]
            return
        if optimizer is None:
            change = -spec.learning_rate * g
        else:  # elementwise, so the other parameters' gradients do not matter here
            k = names.index(p)
            grad_vec = np.zeros(len(names))
            grad_vec[k] = g
            change = float(optimizer.compute(theta_vec, grad_vec).theta[k]) - theta[p]
        new[p] = r(theta[p] - change if variant.add_gradient else theta[p] + change)

    for li in range(n_layers - 1, -1, -1):
        layer, act, alpha = layers[li], acts[li], layers[li].alpha
        neurons = layer.neuron_names
        d_l = []
        for s in range(n):
            y_row = np.array([As[li][s]])
            if li == n_layers - 1:
                g = loss_fn.grad(y_row, t[s:s + 1])[0] * variant.grad_scale
                upstream = [calc.put(("dl_da", m, s), r(g[i]), [("a", m, s)]) for i, m in enumerate(neurons)]
            else:
                above = layers[li + 1]
                upstream = []
                for i, m in enumerate(neurons):
                    total = sum(deltas[li + 1][s][k] * current[above.weight_names[k][i]]
                                for k in range(above.size))
                    upstream.append(calc.put(("dl_da", m, s), r(total),
                                             [("delta", o, s) for o in above.neuron_names]))
            fused = None
            if li == n_layers - 1:
                fused = loss_fn.fused_delta(act.name, y_row, t[s:s + 1])
            row = []
            if act.elementwise:
                d = act.derivative(np.array([zs[li][s]]), y_row, alpha)[0]
                for i, m in enumerate(neurons):
                    da_dz = calc.put(("da_dz", m, s), r(d[i]), [("z", m, s), ("a", m, s)])
                    if li in variant.no_derivative:
                        value, deps = upstream[i], [("dl_da", m, s)]
                    elif fused is not None:
                        # the stable fused form, still ∂L/∂a·∂a/∂z: a student's own ∂L/∂a or
                        # ∂a/∂z carries into δ
                        value = (upstream[i] * da_dz if {("dl_da", m, s), ("da_dz", m, s)} & calc.overrides.keys()
                                 else fused[0][i] * variant.grad_scale)
                        deps = [("dl_da", m, s), ("da_dz", m, s)]
                    else:
                        value, deps = upstream[i] * da_dz, [("dl_da", m, s), ("da_dz", m, s)]
                    row.append(calc.put(("delta", m, s), r(value), deps))
            else:  # softmax: δ = Jᵀ·∂ℓ/∂a over the whole layer
                if li in variant.no_derivative:
                    values = upstream
                elif fused is not None and not {("dl_da", m, s) for m in neurons} & calc.overrides.keys():
                    values = fused[0] * variant.grad_scale
                else:
                    values = softmax_jvp(y_row, np.array([upstream]))[0]
                deps = [("dl_da", m, s) for m in neurons] + [("a", m, s) for m in neurons]
                row = [calc.put(("delta", m, s), r(values[i]), deps) for i, m in enumerate(neurons)]
            d_l.append(row)
        deltas[li] = d_l

        # gradients of every parameter whose slots all lie in layers ≥ li
        done = [p for p in names if lowest[p] == li]
        for p in done:
            per = []
            by_entry = [0.0] * len(slots[p])
            for s in range(n):
                total, deps = 0.0, []
                for k, (sl, i, j) in enumerate(slots[p]):
                    src = 1.0 if j is None else (As[sl - 1][s][j] if sl > 0 else float(x[s][j]))
                    product = calc.products[(sl, i, j, s)] = r(deltas[sl][s][i] * src)
                    total += product
                    by_entry[k] += product
                    deps.append(("delta", layers[sl].neuron_names[i], s))
                    if j is not None and sl > 0:
                        deps.append(("a", layers[sl - 1].neuron_names[j], s))
                per.append(calc.put(("grad", p, s), r(total), deps))
            if entries_first and len(by_entry) > 1:
                g = sum(r(e / n if reduction == "mean" else e) for e in by_entry)
            else:
                g = sum(per)
                g = g / n if reduction == "mean" else g
            grads[p] = calc.put(("grad", p, None), r(g), [("grad", p, s) for s in range(n)])
            update(p)
            if variant.updated_weights:
                current[p] = new[p]
    for p in names:  # a frozen parameter keeps its value whatever its gradient
        calc.put(("new", p, None), new[p], [] if p in frozen else [("grad", p, None)])
    return calc


def by_hand(spec: Spec, decimals: int, variant: Variant = Variant(), overrides: dict | None = None) -> list[Calc]:
    """The step rounded by hand in each order a student may add a tied parameter's gradient up.

    The per-sample order (`compute`'s) first; the step table's order (`entries_first`) too
    when a tied parameter is reduced over a batch, where the two can differ.
    """
    runs = [compute(spec, decimals, variant, overrides)]
    if spec.effective_batch_size > 1 and _tied(spec):
        runs.append(compute(spec, decimals, variant, overrides, entries_first=True))
    return runs


def _tied(spec: Spec) -> bool:
    """Does a parameter appear in more than one entry?"""
    names = [p for layer in spec.layers for i in range(layer.size)
             for p in (*layer.weight_names[i], layer.bias_names[i])]
    return len(names) > len(set(names))


def variants(spec: Spec) -> list[tuple[str, Variant]]:
    """The common mistakes worth recomputing for this spec, each with an id."""
    n_layers = len(spec.layers)
    out: list[tuple[str, Variant]] = []
    if n_layers > 1:
        out.append(("updated_weights", Variant(updated_weights=True)))
    for li, layer in enumerate(spec.layers):
        if layer.activation != "identity":
            out.append((f"no_derivative:{li}", Variant(no_derivative=frozenset([li]))))
    if n_layers > 1 and sum(layer.activation != "identity" for layer in spec.layers) > 1:
        out.append(("no_derivative:all", Variant(no_derivative=frozenset(range(n_layers)))))
    if spec.effective_batch_size > 1:
        out.append(("reduction", Variant(swap_reduction=True)))
    if spec.loss in SQUARED_LOSSES:
        out += [("factor_2_grad", Variant(grad_scale=0.5)), ("factor_half_grad", Variant(grad_scale=2.0)),
                ("factor_2_loss", Variant(loss_scale=0.5)), ("factor_half_loss", Variant(loss_scale=2.0))]
    out += [("sign_grad", Variant(grad_scale=-1.0)), ("sign_update", Variant(add_gradient=True))]
    if any(b not in spec.frozen for layer in spec.layers for b in layer.bias_names):
        out.append(("bias_not_updated", Variant(biases_not_updated=True)))
    if spec.frozen and spec.optimizer.plain:
        out.append(("frozen_updated", Variant(frozen_updated=True)))
    return out




@dataclass
class Drift:
    quantity: str
    exact: float
    by_hand: float
    units: int | None  # by_hand − exact rounded to the same decimals, in units of the last decimal;
    # None when only one of the two is finite (the rounded computation reached log 0 or 1/0)

    def to_dict(self) -> dict:
        from .result import plain  # a value that is not finite is null in JSON

        return {"quantity": self.quantity, "exact": plain(self.exact), "by_hand": plain(self.by_hand),
                "drift": self.units}


def drift(spec: Spec, decimals: int) -> list[Drift]:
    """Every quantity exact and by hand; `units` ≠ 0 where rounding along the way changed the result."""
    exact, hand = compute(spec), compute(spec, decimals)
    n = exact.n_samples
    out = []
    for key, value in exact.values.items():
        if n == 1 and key[0] in ("grad", "loss") and key[2] is not None:
            continue  # the same number as the batch's
        by_hand = hand.values[key]
        if math.isfinite(value) and math.isfinite(by_hand):
            units = int(round((by_hand - round_half_up(value, decimals)) * 10**decimals))
        else:
            units = 0 if math.isfinite(value) == math.isfinite(by_hand) else None
        out.append(Drift(key_text(key, n), value, by_hand, units))
    return out
