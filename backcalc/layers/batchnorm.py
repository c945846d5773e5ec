"""Batch normalisation in training mode (torch.nn.BatchNorm1d): each feature's mean μ and biased
variance σ² over the batch, x̂ = (x − μ)/√(σ² + ε), z = γ·x̂ + β, then the activation. Its
backward couples the samples: ∂ℓ/∂x = γ/(N·√(σ²+ε))·(N·δ − Σδ − x̂·Σδ·x̂), the three-term formula
(δ per sample as elsewhere; the formula is linear in δ, so the batch loss's 1/N carries through).
"""

from __future__ import annotations

import numpy as np

from .activated import Activated

EPS = 1e-5


class BatchNorm(Activated):
    name = "batchnorm"
    spec_keys = ("type", "gamma", "beta", "activation", "alpha", "names")
    slots = ("gamma", "beta")

    def statistics(self, a_in):
        """(μ, σ², √(σ²+ε), x̂) of the batch, feature by feature."""
        n = a_in.shape[0]
        mean = np.sum(a_in, axis=0) / n
        var = np.sum((a_in - mean) ** 2, axis=0) / n
        std = np.sqrt(var + EPS)
        return mean, var, std, (a_in - mean) / std

    def weighted_sum(self, arith, a_in, w, b):
        return self.statistics(a_in)[3] * w.reshape(-1) + b

    def back(self, arith, delta, w, a_in):
        n = a_in.shape[0]
        _, _, std, xhat = self.statistics(a_in)
        if self.slip == ("no_mean_terms",):  # the mistake: as if μ and σ² did not depend on x
            return w.reshape(-1) / std * delta
        sum_d, sum_dx = np.sum(delta, axis=0), np.sum(delta * xhat, axis=0)
        return w.reshape(-1) / (n * std) * (n * delta - sum_d - xhat * sum_dx)

    def quantities(self, a_in, delta):
        """μ, σ², √(σ²+ε), x̂ and the backward's sums Σδ, Σδ·x̂, feature by feature."""
        mean, var, std, xhat = self.statistics(a_in)
        return {"mean": mean, "variance": var, "std": std, "x_hat": xhat, "sum_delta": np.sum(delta, axis=0),
                "sum_delta_x_hat": np.sum(delta * xhat, axis=0)}

    def slot_products(self, delta, a_in):
        return (delta * self.statistics(a_in)[3])[:, :, None], delta * 1

    def gradients(self, delta, a_in):
        pw, pb = self.slot_products(delta, a_in)
        return np.sum(pw, axis=0), np.sum(pb, axis=0)

    def torch(self, torch, a, w, b):
        """torch.nn.functional.batch_norm in training mode (gradcheck's independent reference)."""
        return torch.nn.functional.batch_norm(a, None, None, w.reshape(-1), b, training=True, eps=EPS)

    def reads(self, i: int) -> list[int]:
        return [i]

    def slot_deps(self, i, j, s, below):
        out = [("delta", self.neurons[i], s)]
        if j is not None and below:
            out.append(("a", below[i], s))
        return out
