"""The dense layer: z = a_below·Wᵀ + b, a = f(z), each formula next to its local derivative."""

from __future__ import annotations

import numpy as np

from .activated import Activated


class Dense(Activated):
    name = "dense"
    spec_keys = ("neurons", "activation", "alpha", "weights", "biases", "names", "weight_names",
                 "bias_names")
    slots = ("weights", "biases")

    def weighted_sum(self, arith, a_in, w, b):
        return arith.affine(a_in, w, b)

    def back(self, arith, delta, w, a_in):
        return arith.back(delta, w)

    def slot_products(self, delta, a_in):
        return delta[:, :, None] * a_in[:, None, :], delta * 1

    def gradients(self, delta, a_in):
        return delta.T @ a_in, np.sum(delta, axis=0)

    def torch(self, torch, a, w, b):
        return a @ w.T + b

    def reads(self, i: int) -> list[int]:
        return list(range(self.layer.weights.shape[1]))

    def slot_deps(self, i: int, j: int | None, s: int, below: list[str] | None) -> list[tuple]:
        """What slot (i, j)'s product δᵢ·aⱼ (j None: the bias, δᵢ·1) is computed from."""
        out = [("delta", self.neurons[i], s)]
        if j is not None and below:
            out.append(("a", below[j], s))
        return out
