"""Flatten (torch.nn.Flatten): channels × positions become one row of features, the same numbers in
the same order; z = a = the input, δ passes through unchanged."""

from __future__ import annotations

import numpy as np

from .activated import Activated


class Flatten(Activated):
    name = "flatten"
    spec_keys = ("type", "input_shape", "names")
    slots = ("", "")

    def weighted_sum(self, arith, a_in, w, b):
        return a_in * 1

    def back(self, arith, delta, w, a_in):
        return delta

    def slot_products(self, delta, a_in):
        n = delta.shape[0]
        return np.zeros((n, 0, 0), dtype=delta.dtype), np.zeros((n, 0), dtype=delta.dtype)

    def gradients(self, delta, a_in):
        return np.zeros((0, 0), dtype=delta.dtype), np.zeros(0, dtype=delta.dtype)

    def torch(self, torch, a, w, b):
        return a

    def reads(self, i: int) -> list[int]:
        return [i]

    def slot_deps(self, i, j, s, below):
        return []
