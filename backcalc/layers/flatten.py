"""Flatten (torch.nn.Flatten): channels × positions become one row of features, the same numbers in
the same order; z = a = the input, δ passes through unchanged."""

from __future__ import annotations

from .unweighted import Unweighted


class Flatten(Unweighted):
    name = "flatten"
    spec_keys = ("type", "input_shape", "names")

    def weighted_sum(self, arith, a_in, w, b):
        return a_in * 1

    def back(self, arith, delta, w, a_in):
        return delta

    def torch(self, torch, a, w, b):
        return a

    def reads(self, i: int) -> list[int]:
        return [i]
