"""Batch normalisation in training mode, as torch.nn.BatchNorm1d/BatchNorm2d compute it: each
statistic's mean μ and biased variance σ² over its M values, x̂ = (x − μ)/√(σ² + ε), z = γ·x̂ + β,
then the activation. After a layer with channels (conv, pool) a statistic is a channel's, over
the batch and every position (M = N·L or N·H·W, one γ and β per channel); after dense, flatten or
rnn it is a unit's, over the batch (M = N). The backward couples every value of a statistic:
∂ℓ/∂x = γ/(M·√(σ²+ε))·(M·δ − Σδ − x̂·Σδx̂), the sums over the statistic's M values (δ per
sample as elsewhere; the formula is linear in δ, so the batch loss's 1/N carries through).
"""

from __future__ import annotations

import numpy as np

from .activated import Activated

EPS = 1e-5


class BatchNorm(Activated):
    name = "batchnorm"
    spec_keys = ("type", "gamma", "beta", "per", "activation", "alpha", "names")
    slots = ("gamma", "beta")

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        self.channels = layer.weights.shape[0]  # the statistics: channels, or units when per unit
        self.positions = self.options["positions"]  # the units each statistic covers in a sample

    def grouped(self, v):
        """samples × statistics × positions."""
        return v.reshape(v.shape[0], self.channels, self.positions)

    def total(self, v):
        """Each statistic's sum over the batch and its positions."""
        return np.sum(self.grouped(v), axis=(0, 2))

    def spread(self, per_statistic):
        """A value per statistic repeated over its units (units are channels × positions)."""
        return np.repeat(np.asarray(per_statistic).reshape(-1), self.positions)

    def count(self, a_in) -> int:
        """M: the values each statistic is taken over (batch × positions)."""
        return a_in.shape[0] * self.positions

    def statistics(self, a_in):
        """(μ, σ², √(σ²+ε)) per statistic and x̂ per sample and unit."""
        m, rec = self.count(a_in), self.arith.record
        mean = rec(self.total(a_in) / m)
        var = rec(self.total((a_in - self.spread(mean)) ** 2) / m)
        std = rec(np.sqrt(var + EPS))
        return mean, var, std, rec((a_in - self.spread(mean)) / self.spread(std))

    def weighted_sum(self, arith, a_in, w, b):
        self.arith = arith
        return self.statistics(a_in)[3] * self.spread(w) + self.spread(b)

    def back(self, arith, delta, w, a_in):
        m = self.count(a_in)
        _, _, std, xhat = self.statistics(a_in)
        gamma, std = self.spread(w), self.spread(std)
        if self.slip == ("no_mean_terms",):  # the mistake: as if μ and σ² did not depend on x
            return gamma / std * delta
        rec = self.arith.record
        sum_d, sum_dx = self.spread(rec(self.total(delta))), self.spread(rec(self.total(rec(delta * xhat))))
        return gamma / (m * std) * (m * delta - sum_d - xhat * sum_dx)

    def quantities(self, a_in, delta):
        """μ, σ², √(σ²+ε) per statistic, x̂ and γ's products δ·x̂ per sample and unit, the backward's
        sums Σδ, Σδ·x̂ per statistic, M, what a statistic is (channel, unit) and each unit's."""
        mean, var, std, xhat = self.statistics(a_in)
        rec = self.arith.record
        return {"mean": mean, "variance": var, "std": std, "x_hat": xhat, "gamma_terms": rec(delta * xhat),
                "sum_delta": rec(self.total(delta)), "sum_delta_x_hat": rec(self.total(rec(delta * xhat))),
                "count": self.count(a_in), "per": self.options["per"],
                "statistic": [k // self.positions for k in range(len(self.neurons))]}

    def slot_products(self, delta, a_in):
        xhat = self.statistics(a_in)[3]
        rec = self.arith.record
        return np.sum(self.grouped(rec(delta * xhat)), axis=2)[:, :, None], np.sum(self.grouped(delta), axis=2)

    def gradients(self, delta, a_in):
        pw, pb = self.slot_products(delta, a_in)
        return np.sum(pw, axis=0), np.sum(pb, axis=0)

    def torch(self, torch, a, w, b):
        """torch.nn.functional.batch_norm in training mode over samples × statistics × positions
        (gradcheck's independent reference: BatchNorm1d on N×C×L is BatchNorm2d's statistics)."""
        x = a.reshape(a.shape[0], self.channels, self.positions)
        out = torch.nn.functional.batch_norm(x, None, None, w.reshape(-1), b, training=True, eps=EPS)
        return out.reshape(a.shape[0], -1)

    def reads(self, i: int) -> list[int]:
        return [i]

    def slot_deps(self, i, j, s, below):
        units = range(i * self.positions, (i + 1) * self.positions)
        out = [("delta", self.neurons[u], s) for u in units]
        if j is not None and below:
            out += [("a", below[u], s) for u in units]
        return out
