"""The common mistakes of a backprop step, as hooks at named points of the worked-step core.

`check` recomputes a step with each mistake (`variants`) to recognise a student's wrong number;
docs/check.md lists them. The hooks the core calls (`local_derivative`, `through`, `add_slots`,
`softmax_delta`) give the right computation for `NONE`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .spec_model import Spec

LN10 = math.log(10.0)


# a recurrent layer's time-step quantities (quantities.py) change as the layer's own kinds do
_STEP_AS = {"step_h": "a", "step_z": "z", "step_dh": "dl_da", "step_delta": "delta"}


@dataclass(frozen=True)
class Mistake:
    """A way of getting the step wrong (the default gets it right); each field is one hook."""

    updated_weights: bool = False  # δ of a layer through the already-updated weights above it
    no_derivative: frozenset = frozenset()  # layers whose δ leaves out ∂a/∂z
    loss_scale: float = 1.0  # every loss value times this
    grad_scale: float = 1.0  # ∂ℓ/∂y (and so every δ and gradient) times this
    swap_reduction: bool = False  # mean over the batch where the sum was asked, or back
    add_gradient: bool = False  # p + η·∂L/∂p
    biases_not_updated: bool = False
    frozen_updated: bool = False  # frozen parameters updated all the same
    derivative_at_a: frozenset = frozenset()  # layers whose ∂a/∂z is f′(a), not f′(z)
    other_derivative: tuple = ()  # (layer, other layer): ∂a/∂z with the other layer's f′
    kink_right: bool = False  # f′ at a kink z = 0 taken from the right (ReLU′(0) = 1)
    softmax_diagonal: bool = False  # a softmax layer's δ through its Jacobian's diagonal only
    dropped_path: tuple = ()  # (layer, neuron): that neuron's δ left out of ∂L/∂a below it
    transposed: frozenset = frozenset()  # layers whose (square) weights δ goes back through as Wᵀ
    tied: str = ""  # a tied parameter's gradient: "mean" of its entries, or "entry:r" (only that one)
    optimizer: str = ""  # an Adam mistake (optimizer_mistakes.py): eps_inside, no_bias_correction, …
    slip: tuple = ()  # (a layer kind's own mistake, its layer): see KIND_SLIPS

    def changes(self, kind: str) -> bool:
        """Can this mistake change a quantity of this kind? (No mistake touches the forward pass.)"""
        kind = _STEP_AS.get(kind, kind)  # a recurrent layer's time step: as the layer's own quantity
        if self == NONE or kind in ("z", "a"):
            return False
        if self.loss_scale != 1 and kind in ("loss_term", "loss"):
            return True
        if self.swap_reduction and kind in ("loss", "grad", "new"):
            return True
        if (self.derivative_at_a or self.other_derivative or self.kink_right) and kind == "da_dz":
            return True
        if (self.grad_scale != 1 or self.no_derivative or self.updated_weights or self.derivative_at_a
                or self.other_derivative or self.kink_right or self.softmax_diagonal or self.dropped_path
                or self.transposed or self.slip) and kind in ("dl_da", "delta", "grad", "dl_dx", "new"):
            return True
        if self.tied and kind in ("grad", "new"):
            return True
        return kind == "new" and (self.add_gradient or self.biases_not_updated or self.frozen_updated
                                  or bool(self.optimizer))

    def reduction(self, asked: str) -> str:
        if not self.swap_reduction:
            return asked
        return "sum" if asked == "mean" else "mean"

    # -- the hooks the core calls ---------------------------------------------------------------
    def local_derivative(self, kinds: list, li: int, arith, z, a):
        """Layer li's ∂a/∂z as this mistake computes it."""
        kind = kinds[li]
        if not kind.elementwise:
            return kind.local_derivative(arith, z, a)
        if li in self.derivative_at_a:
            return kind.local_derivative(arith, a, kind.activate(a))
        for layer, other in self.other_derivative:
            if layer == li:
                source = kinds[other]
                return source.activation.derivative(z, a, source.alpha)
        d = kind.local_derivative(arith, z, a)
        if self.kink_right and has_kink(kind.activation, kind.alpha):
            d = np.where(z == 0, d * 0 + 1, d)
        return d

    def through(self, li: int, delta, weights):
        """The δ of layer li and the weights a student backpropagates through to the layer below."""
        drop = [j for layer, j in self.dropped_path if layer == li]
        if drop:
            delta = np.array(delta, copy=True)
            delta[:, drop] = delta[:, drop] * 0
        if li in self.transposed:
            weights = np.asarray(weights).T
        return delta, weights

    def softmax_delta(self, upstream, a):
        """δ through the diagonal of the softmax Jacobian only: ∂L/∂yᵢ · yᵢ(1 − yᵢ)."""
        return upstream * (a * (1 - a))

    def add_slots(self, slots, values, chosen, size: int):
        """Per parameter, its slots' `values` added up (a tied one's entries, as this mistake does)."""
        if self.tied.startswith("entry:"):
            r = int(self.tied[6:])  # parameters with fewer entries keep them all
            chosen = chosen & ((slots.rank == r) | (slots.count[slots.param] <= r))
        total = slots.add_up(values, chosen, size)
        if self.tied == "mean":
            total = total / np.maximum(slots.count, 1)
        return total


NONE = Mistake()
Variant = Mistake  # the name handcalc gave it


def squared_loss(loss: str) -> bool:
    """A squared-error loss, where a missing factor 2 or ½ is a common mistake."""
    from .losses import get_loss

    return get_loss(loss).squared is not None


def log_loss(loss: str) -> bool:
    """A loss written with logarithms, where log₁₀ for ln is a common mistake."""
    from .losses import get_loss

    return "log" in get_loss(loss).formula


def has_derivative(activation: str) -> bool:
    """An activation whose ∂a/∂z is not the constant 1, so leaving it out changes δ."""
    from .activations import get_activation

    return not get_activation(activation).linear


def has_kink(activation, alpha=None) -> bool:
    """An elementwise activation whose derivative jumps at z = 0 (ReLU, leaky ReLU)."""
    if not activation.elementwise or activation.linear:
        return False
    side = np.array([-1e-12, 1e-12])
    d = activation.derivative(side, activation.forward(side, alpha), alpha)
    return bool(abs(float(d[1]) - float(d[0])) > 0.5 * max(abs(float(d[1])), 1e-3))


def variants(spec: Spec) -> list[tuple[str, Mistake]]:
    """The common mistakes worth recomputing for this spec, each with an id (docs/check.md's table)."""
    n_layers = len(spec.layers)
    out: list[tuple[str, Mistake]] = []
    if n_layers > 1:
        out.append(("updated_weights", Mistake(updated_weights=True)))
    for li, layer in enumerate(spec.layers):
        if has_derivative(layer.activation):
            out.append((f"no_derivative:{li}", Mistake(no_derivative=frozenset([li]))))
    if n_layers > 1 and sum(has_derivative(layer.activation) for layer in spec.layers) > 1:
        out.append(("no_derivative:all", Mistake(no_derivative=frozenset(range(n_layers)))))
    if spec.effective_batch_size > 1:
        out.append(("reduction", Mistake(swap_reduction=True)))
    if squared_loss(spec.loss):
        out += [("factor_2_grad", Mistake(grad_scale=0.5)), ("factor_half_grad", Mistake(grad_scale=2.0)),
                ("factor_2_loss", Mistake(loss_scale=0.5)), ("factor_half_loss", Mistake(loss_scale=2.0))]
    out += [("sign_grad", Mistake(grad_scale=-1.0)), ("sign_update", Mistake(add_gradient=True))]
    if any(b not in spec.frozen for layer in spec.layers for b in layer.bias_names):
        out.append(("bias_not_updated", Mistake(biases_not_updated=True)))
    if spec.frozen and spec.optimizer.plain:
        out.append(("frozen_updated", Mistake(frozen_updated=True)))
    for li, layer in enumerate(spec.layers):  # the layer kinds' own (layers/: each kind's `slip`)
        for slip, (prefix, _, _) in KIND_SLIPS.items():
            if not layer.kind.startswith(prefix):
                continue
            if slip == "forgot_position":  # each position (a small layer's; a large one's last only)
                positions = layer.size // layer.weights.shape[0]
                out += [(f"{slip}:{li}:{q}", Mistake(slip=(slip, li, q))) for q in range(positions)
                        if positions <= MAX_POSITIONS_TRIED or q == positions - 1]
            else:
                out.append((f"{slip}:{li}", Mistake(slip=(slip, li))))
    return out + more_variants(spec)


def more_variants(spec: Spec) -> list[tuple[str, Mistake]]:
    """The mistakes issue 18 added, after the first ones so that those keep their note numbers."""
    from .activations import get_activation

    acts = [get_activation(layer.activation) for layer in spec.layers]
    out: list[tuple[str, Mistake]] = []
    for li, (layer, act) in enumerate(zip(spec.layers, acts)):
        if act.elementwise and not act.linear and not has_kink(act, layer.alpha):
            out.append((f"derivative_at_a:{li}", Mistake(derivative_at_a=frozenset([li]))))
        for other, (o_layer, o_act) in enumerate(zip(spec.layers, acts)):
            if (other != li and act.elementwise and o_act.elementwise and not o_act.linear
                    and (o_act.name, o_layer.alpha) != (act.name, layer.alpha)
                    and all(acts[k].name != o_act.name for k in range(other))):  # once per function
                out.append((f"wrong_derivative:{li}:{other}", Mistake(other_derivative=((li, other),))))
    if any(has_kink(act, layer.alpha) for layer, act in zip(spec.layers, acts)):
        out.append(("kink_right", Mistake(kink_right=True)))
    if any(not act.elementwise for act in acts):
        out.append(("softmax_diagonal", Mistake(softmax_diagonal=True)))
    for li in range(1, len(spec.layers)):
        if spec.layers[li].kind != "dense":  # a fork and a transposed W are a dense layer's
            continue
        if 2 <= spec.layers[li].size <= 4:
            out += [(f"dropped_path:{li}:{j}", Mistake(dropped_path=((li, j),)))
                    for j in range(spec.layers[li].size)]
        if spec.layers[li - 1].kind == "dense" and spec.layers[li].size == spec.layers[li - 1].size > 1:
            out.append((f"transposed:{li}", Mistake(transposed=frozenset([li]))))
    return out + _loss_variants(spec) + _tied_variants(spec) + optimizer_variants(spec)


def _loss_variants(spec: Spec) -> list[tuple[str, Mistake]]:
    from .losses import get_loss

    out = []
    if log_loss(spec.loss):
        out += [("log10_loss", Mistake(loss_scale=1 / LN10)), ("log10_grad", Mistake(grad_scale=1 / LN10))]
    squared = get_loss(spec.loss).squared
    if squared is not None:
        k = spec.layers[-1].size
        weight = squared[1] if squared[1] is not None else 1 / k
        scale = (1 / k) / weight  # torch's MSELoss: the mean over outputs of (y − t)², no ½
        swap = spec.reduction == "sum" and spec.effective_batch_size > 1
        if scale != 1:
            out.append(("torch_mse", Mistake(loss_scale=scale, grad_scale=scale, swap_reduction=swap)))
    return out


def _tied_variants(spec: Spec) -> list[tuple[str, Mistake]]:
    counts: dict[str, int] = {}
    for layer in spec.layers:
        # a kind's weight names nest as deep as its weights (a kernel's: out × in × kh × kw)
        for name in np.asarray(layer.weight_names, dtype=object).ravel().tolist() + list(layer.bias_names):
            counts[name] = counts.get(name, 0) + 1
    most = max(counts.values(), default=1)
    if most < 2:
        return []
    return [("tied_mean", Mistake(tied="mean"))] + [(f"tied_entry:{r}", Mistake(tied=f"entry:{r}"))
                                                    for r in range(min(most, 4))]


def truncate(values, decimals: int):
    """Cut to `decimals` decimals, as a student who truncates instead of rounding (0.2399 → 0.23)."""
    scale = 10.0 ** decimals
    # the scaled value rounded at 6 decimals first clears binary noise (0.29·100 = 28.999…96)
    return np.trunc(np.round(np.asarray(values, dtype=float) * scale, 6)) / scale


def optimizer_variants(spec: Spec) -> list:
    """The optimizer mistakes that apply to the spec's optimizer, each with an id."""
    c = spec.optimizer
    if not c.is_adam:
        return []
    which = ["no_bias_correction", "step_ahead"]
    if c.eps > 0:
        which.insert(0, "eps_inside")
    steps = [int(s.get("step", 0)) for s in (spec.optimizer_state or {}).values()]
    if steps and min(steps) >= 1:  # this step's t is at least 2, so t − 1 is a step count
        which.append("step_behind")
    if c.name == "adamw" and c.weight_decay != 0:
        which.append("adamw_as_l2")
    return [(f"adam_{w}", Mistake(optimizer=w)) for w in which]


MAX_POSITIONS_TRIED = 16  # check tries forgetting each position of a kernel over this many at most


# A layer kind's own mistakes: the kind it belongs to, a short name, why it is a mistake (check).
KIND_SLIPS = {
    "forgot_position": ("conv", "a kernel gradient that forgets a position",
                        "a kernel entry's gradient adds δ·a over every position it touched"),
    "spread_max": ("maxpool", "max-pool gradient spread to all inputs",
                   "a max pool sends δ back to the input that won its window only"),
    "bptt_last_step": (("rnn", "gru", "lstm"), "backpropagation through time truncated to the last step",
                       "a recurrent weight's gradient adds its products over every time step, and ∂ℓ/∂hₜ "
                       "reaches the earlier steps through W_h"),
    "forgot_cell_path": ("lstm", "the LSTM's cell path forgotten",
                         "∂ℓ/∂cₜ₋₁ = ∂ℓ/∂cₜ⊙fₜ + (what hₜ₋₁ sends): the cell state carries the gradient back "
                         "through time"),
    "no_mean_terms": ("batchnorm", "batch norm backward without the mean terms",
                      "∂ℓ/∂x = γ/(N·√(σ²+ε))·(N·δ − Σδ − x̂·Σδx̂): μ and σ² depend on every x too"),
}
