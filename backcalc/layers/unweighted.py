"""What the kinds without parameters (flatten, pooling) share: no slots, so no products, no
gradients and nothing a slot is computed from."""

from __future__ import annotations

import numpy as np

from .activated import Activated


class Unweighted(Activated):
    slots = ("", "")

    def slot_products(self, delta, a_in):
        n = delta.shape[0]
        return np.zeros((n, 0, 0), dtype=delta.dtype), np.zeros((n, 0), dtype=delta.dtype)

    def gradients(self, delta, a_in):
        return np.zeros((0, 0), dtype=delta.dtype), np.zeros(0, dtype=delta.dtype)

    def slot_deps(self, i, j, s, below):
        return []
