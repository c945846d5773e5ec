"""The common mistakes of a backprop step, as hooks at named points of the worked-step core.

`check` recomputes a step with each mistake (`variants`) to recognise a student's wrong number.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spec_model import Spec


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
    slip: tuple = ()  # (a layer kind's own mistake, its layer): see KIND_SLIPS

    def changes(self, kind: str) -> bool:
        """Can this mistake change a quantity of this kind? (No mistake touches the forward pass.)"""
        if self == NONE or kind in ("z", "a"):
            return False
        if self.loss_scale != 1 and kind in ("loss_term", "loss"):
            return True
        if self.swap_reduction and kind in ("loss", "grad", "new"):
            return True
        if (self.grad_scale != 1 or self.no_derivative or self.updated_weights or self.slip) and kind in (
                "dl_da", "delta", "grad", "new"):
            return True
        return kind == "new" and (self.add_gradient or self.biases_not_updated or self.frozen_updated)

    def reduction(self, asked: str) -> str:
        if not self.swap_reduction:
            return asked
        return "sum" if asked == "mean" else "mean"


NONE = Mistake()
Variant = Mistake  # the name handcalc gave it


def squared_loss(loss: str) -> bool:
    """A squared-error loss, where a missing factor 2 or ½ is a common mistake."""
    from .losses import get_loss

    return get_loss(loss).squared is not None


def has_derivative(activation: str) -> bool:
    """An activation whose ∂a/∂z is not the constant 1, so leaving it out changes δ."""
    from .activations import get_activation

    return not get_activation(activation).linear


def variants(spec: Spec) -> list[tuple[str, Mistake]]:
    """The common mistakes worth recomputing for this spec, each with an id."""
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
    return out


MAX_POSITIONS_TRIED = 16  # check tries forgetting each position of a kernel over this many at most


# A layer kind's own mistakes: the kind it belongs to, a short name, why it is a mistake (check).
KIND_SLIPS = {
    "forgot_position": ("conv", "a kernel gradient that forgets a position",
                        "a kernel entry's gradient adds δ·a over every position it touched"),
    "spread_max": ("maxpool", "max-pool gradient spread to all inputs",
                   "a max pool sends δ back to the input that won its window only"),
    "no_mean_terms": ("batchnorm", "batch norm backward without the mean terms",
                      "∂ℓ/∂x = γ/(N·√(σ²+ε))·(N·δ − Σδ − x̂·Σδx̂): μ and σ² depend on every x too"),
}
