"""Each common mistake named in words for the quantity it gave: a short name, and why it is wrong.

`describe(spec, mistake_id, key)` is what `check` prints as a cause (docs/check.md's table).
"""

from __future__ import annotations

from .mistakes import KIND_SLIPS
from .spec_model import Spec

Key = tuple  # (kind, name, sample), as quantities.py keys a quantity


def _neurons_of(spec: Spec, key: Key) -> list[tuple[int, int]]:
    """(layer, neuron) pairs a quantity belongs to."""
    kind, name, _ = key
    out = []
    for li, layer in enumerate(spec.layers):
        for i, m in enumerate(layer.neuron_names):
            if kind in ("z", "a", "dl_da", "da_dz", "delta", "loss_term") and m == name:
                out.append((li, i))
            if kind in ("grad", "new") and layer.kind == "dense" and (
                    name == layer.bias_names[i] or name in layer.weight_names[i]):
                out.append((li, i))
    return out


def _join(names: list[str]) -> str:
    return ", ".join(dict.fromkeys(names))


def describe(spec: Spec, mistake: str, key: Key) -> tuple[str, str]:
    """A mistake's short name for this quantity, and why it is a mistake."""
    kind = key[0]
    more = _describe_more(spec, mistake, key)
    if more is not None:
        return more
    if mistake == "updated_weights":
        above = [spec.layers[li + 1].weight_names[k][i] for li, i in _neurons_of(spec, key)
                 if li + 1 < len(spec.layers) and spec.layers[li + 1].kind == "dense"
                 for k in range(spec.layers[li + 1].size)]
        if kind == "dl_dx" and spec.layers[0].kind == "dense":  # an input's: back through layer 1
            j = spec.input_names.index(key[1])
            above = [row[j] for row in spec.layers[0].weight_names]
        if not above:
            return "updated weights used", "backpropagate through the old weights"
        names = _join(above)
        if len(set(above)) == 1:
            return f"updated {names} used", f"δ needs the old {names} = {_old(spec, names)}"
        return f"updated {names} used", "δ needs the old weights"
    if mistake.startswith("no_derivative:"):
        which = mistake.split(":")[1]
        if which == "all":
            return "missing activation derivatives", "every δ taken as ∂L/∂a, without ∂a/∂z"
        layer = spec.layers[int(which)]
        # the neurons of that layer this quantity belongs to (δh1: h1), else the whole layer
        own = [layer.neuron_names[i] for li, i in _neurons_of(spec, key) if li == int(which)]
        if own or layer.size <= 3:
            names = ", ".join(f"∂{m}/∂z_{m}" for m in dict.fromkeys(own or layer.neuron_names))
            return f"missing activation derivative {names}", f"δ = ∂L/∂a × {layer.activation}′(z)"
        return (f"missing activation derivative in layer {int(which) + 1}",
                f"δ = ∂L/∂a × {layer.activation}′(z)")
    if mistake.split(":")[0] in KIND_SLIPS:
        slip, li, *position = mistake.split(":")
        _, short_name, why = KIND_SLIPS[slip]
        where = f"layer {int(li) + 1}" + (f", {spec.layers[int(li)].neuron_names[int(position[0])]} left out"
                                          if position else "")
        return f"{short_name} ({where})", why
    if mistake == "reduction":
        asked, used = spec.reduction, "sum" if spec.reduction == "mean" else "mean"
        what = "loss" if kind in ("loss", "loss_term") else "gradient"
        return f"the {what} of the {used} where the {asked} was asked", f"the spec's reduction is {asked}"
    return {
        "factor_2_grad": ("missing factor 2 in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}"),
        "factor_half_grad": ("missing factor ½ in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}"),
        "factor_2_loss": ("missing factor 2 in the loss", f"{_loss_formula(spec)}"),
        "factor_half_loss": ("missing factor ½ in the loss", f"{_loss_formula(spec)}"),
        "sign_grad": ("sign flip in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}"),
        "sign_update": ("sign flip in the update", "p ← p − η·∂L/∂p"),
        "bias_not_updated": ("bias left out of the update", "biases are updated like weights"),
        "frozen_updated": ("a frozen parameter was updated", f"the spec freezes {_join(spec.frozen)}"),
    }[mistake]


def _loss_grad(spec: Spec) -> str:
    from .losses import get_loss

    return get_loss(spec.loss).derivative_formula.partition(" = ")[2]


def _loss_formula(spec: Spec) -> str:
    from .losses import get_loss

    return get_loss(spec.loss).formula


def _old(spec: Spec, name: str) -> str:
    from .number_text import short

    for layer in spec.layers:
        for i in range(layer.size if layer.kind == "dense" else 0):
            if name in layer.weight_names[i]:
                return short(layer.weights[i, layer.weight_names[i].index(name)])
    return "?"


def _describe_more(spec: Spec, mistake: str, key: Key) -> tuple[str, str] | None:
    """The names of the mistakes `mistakes.more_variants` adds (None: one of the first ones)."""
    head, _, rest = mistake.partition(":")
    layers = spec.layers
    if head == "derivative_at_a":
        layer = layers[int(rest)]
        f = layer.activation
        return (f"{f}′ taken at a, not z, in layer {int(rest) + 1}",
                f"∂a/∂z = {f}′(z), with z = {_z_names(spec, int(rest))}")
    if head == "wrong_derivative":
        li, other = (int(x) for x in rest.split(":"))
        return (f"{layers[other].activation}′ used in layer {li + 1}",
                f"layer {li + 1}'s activation is {layers[li].activation}, its δ needs {layers[li].activation}′(z)")
    if head == "dropped_path":
        li, j = (int(x) for x in rest.split(":"))
        fed = layers[li].neuron_names
        return (f"the path through {fed[j]} dropped at the fork",
                f"∂L/∂a of each layer-{li} neuron adds δ·w over every neuron it feeds: {', '.join(fed)}")
    if head == "transposed":
        li = int(rest)
        return (f"layer {li + 1}'s weight matrix transposed",
                "∂L/∂aⱼ = Σᵢ δᵢ·wᵢⱼ, weights by (neuron, input)")
    if head in ("tied_mean", "tied_entry"):
        tied = _tied_names(spec)
        names = _join([key[1]] if key[0] in ("grad", "new") and key[1] in tied else tied)
        if head == "tied_mean":
            return f"mean of tied {names}'s entries", "a tied parameter's gradient is the sum of its entries'"
        return (f"only entry {int(rest) + 1} of tied {names} counted",
                "a tied parameter's gradient is the sum over every place it is used")
    if mistake.startswith("adam_"):
        from .optimizer_mistakes import WHAT, WHY

        return WHAT[mistake[5:]], WHY[mistake[5:]]
    return {
        "kink_right": ("ReLU′(0) taken as 1", "at z = 0 the derivative is the left one (PyTorch's convention)"),
        "softmax_diagonal": ("softmax Jacobian's diagonal only",
                             "δᵢ = yᵢ·(∂L/∂yᵢ − Σⱼ yⱼ·∂L/∂yⱼ): every output's ∂L/∂y enters"),
        "log10_loss": ("log₁₀ instead of ln in the loss", _loss_formula(spec) + ", log is ln"),
        "log10_grad": ("log₁₀ instead of ln in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}, from ln"),
        "torch_mse": ("PyTorch's MSELoss: the mean of (y − t)² over batch × outputs, no ½",
                      f"{_loss_formula(spec)}, {spec.reduction} over the batch"),
    }.get(mistake)


def _z_names(spec: Spec, li: int) -> str:
    names = spec.layers[li].neuron_names
    return ", ".join(f"z_{m}" for m in names[:3]) + (", …" if len(names) > 3 else "")


def _tied_names(spec: Spec) -> list[str]:
    seen: dict[str, int] = {}
    for layer in spec.layers:
        for name in [n for row in layer.weight_names for n in row] + list(layer.bias_names):
            seen[name] = seen.get(name, 0) + 1
    return [n for n, c in seen.items() if c > 1]
