"""The activation half every kind with an activation shares: a = f(z) unit by unit (or the whole layer)."""

from __future__ import annotations

from ..activations import get_activation
from ..arithmetic import Float

FLOAT = Float()  # NumPy's order, nothing rounded: a kind's arithmetic until a forward sets the step's


class Activated:
    """a = f(z), ∂a/∂z and δ = ∂ℓ/∂a·∂a/∂z, as a dense layer computes them; `neurons` are its units."""

    def __init__(self, layer, alpha=None):
        self.layer = layer
        self.activation = get_activation(layer.activation)
        self.alpha = layer.alpha if alpha is None else alpha
        self.neurons = layer.neuron_names
        self.options = layer.options
        self.slip = None  # a mistake of this kind's own (mistakes.KIND_SLIPS) that check recomputes
        # The step's arithmetic, for a kind that recomputes inside its backward (set by its forward):
        # --round then rounds a batch norm's μ, σ², x̂ and a recurrent layer's every hₜ as a student does.
        self.arith = FLOAT

    def remembered(self, slot: str, key: tuple, compute, fresh: bool = False):
        """compute(), or what it gave last time for the very same objects in `key` (identity, not value):
        the backward of a batch reuses what its forward gathered (`fresh`: the forward, always anew)."""
        kept = getattr(self, slot, None)
        if not fresh and kept is not None and len(kept[0]) == len(key) and all(
                a is b for a, b in zip(kept[0], key)):
            return kept[1]
        value = compute()
        setattr(self, slot, (key, value))
        return value

    def train_gradients(self, delta, a_in):
        """The gradients as training reads them (Network.backward): `gradients`, unless a kind sums the
        same products in a faster order."""
        return self.gradients(delta, a_in)

    @property
    def elementwise(self) -> bool:
        return self.activation.elementwise

    def activate(self, z):
        return self.activation.forward(z, self.alpha)

    def local_derivative(self, arith, z, a):
        return self.activation.derivative(z, a, self.alpha) if self.elementwise else None

    def delta(self, upstream, da_dz, a):
        return upstream * da_dz if self.elementwise else self.activation.jvp(a, upstream)

    def deps(self, kind: str, i: int, s: int, below: list[str] | None) -> list[tuple]:
        m = self.neurons[i]
        if kind == "z":
            return [("a", below[k], s) for k in self.reads(i)] if below else []
        if kind == "a":
            return [("z", m, s)] if self.elementwise else [("z", n, s) for n in self.neurons]
        if kind == "da_dz":
            return [("z", m, s), ("a", m, s)]
        if kind == "delta":
            if self.elementwise:
                return [("dl_da", m, s), ("da_dz", m, s)]
            return [("dl_da", n, s) for n in self.neurons] + [("a", n, s) for n in self.neurons]
        raise KeyError(kind)

    def quantities(self, a_in, delta) -> dict:
        """The kind's own named quantities beyond z, a and δ (its tables' and JSON's), by name."""
        return {}

    def reads(self, i: int) -> list[int]:
        """The inputs (indices into the layer below's units) unit i's z is computed from."""
        raise NotImplementedError
