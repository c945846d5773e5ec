"""The dense layer: z = a_below·Wᵀ + b, a = f(z), each formula next to its local derivative."""

from __future__ import annotations

import numpy as np

from ..activations import get_activation


class Dense:
    name = "dense"
    spec_keys = ("neurons", "activation", "alpha", "weights", "biases", "names", "weight_names",
                 "bias_names")

    slots = ("weights", "biases")

    def __init__(self, layer, alpha=None):
        self.layer = layer
        self.activation = get_activation(layer.activation)
        self.alpha = layer.alpha if alpha is None else alpha
        self.neurons = layer.neuron_names

    @property
    def elementwise(self) -> bool:
        return self.activation.elementwise

    def weighted_sum(self, arith, a_in, w, b):
        return arith.affine(a_in, w, b)

    def activate(self, z):
        return self.activation.forward(z, self.alpha)

    def local_derivative(self, arith, z, a):
        return self.activation.derivative(z, a, self.alpha) if self.elementwise else None

    def delta(self, upstream, da_dz, a):
        return upstream * da_dz if self.elementwise else self.activation.jvp(a, upstream)

    def back(self, arith, delta, w, a_in):
        return arith.back(delta, w)

    def slot_products(self, delta, a_in):
        return delta[:, :, None] * a_in[:, None, :], delta * 1

    def gradients(self, delta, a_in):
        return delta.T @ a_in, np.sum(delta, axis=0)

    def deps(self, kind: str, i: int, s: int, below: list[str] | None) -> list[tuple]:
        m = self.neurons[i]
        if kind == "z":
            return [("a", p, s) for p in below] if below else []
        if kind == "a":
            return [("z", m, s)] if self.elementwise else [("z", n, s) for n in self.neurons]
        if kind == "da_dz":
            return [("z", m, s), ("a", m, s)]
        if kind == "delta":
            if self.elementwise:
                return [("dl_da", m, s), ("da_dz", m, s)]
            return [("dl_da", n, s) for n in self.neurons] + [("a", n, s) for n in self.neurons]
        raise KeyError(kind)

    def slot_deps(self, i: int, j: int | None, s: int, below: list[str] | None) -> list[tuple]:
        """What slot (i, j)'s product δᵢ·aⱼ (j None: the bias, δᵢ·1) is computed from."""
        out = [("delta", self.neurons[i], s)]
        if j is not None and below:
            out.append(("a", below[j], s))
        return out
