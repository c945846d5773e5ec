"""The initial values of layers given by size (`size:`, a convolution's `out_channels:`), drawn from `init:`."""

from __future__ import annotations

import math

import numpy as np


class LazyRng:
    """numpy.random.default_rng(seed), made on first use: importing numpy.random costs start-up time."""

    def __init__(self, seed: int):
        self.seed, self._rng = seed, None

    def __getattr__(self, name: str):
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return getattr(self._rng, name)


def initial_weights(rng, distribution: str, n_out: int, n_in: int) -> np.ndarray:
    if distribution == "uniform":  # PyTorch nn.Linear's default
        bound = 1 / math.sqrt(n_in)
        return rng.uniform(-bound, bound, (n_out, n_in))
    if distribution == "normal":
        return rng.normal(0.0, 1 / math.sqrt(n_in), (n_out, n_in))
    if distribution == "xavier":  # Glorot uniform
        bound = math.sqrt(6 / (n_in + n_out))
        return rng.uniform(-bound, bound, (n_out, n_in))
    return rng.normal(0.0, math.sqrt(2 / n_in), (n_out, n_in))  # he (Kaiming normal)


def initial_biases(rng, distribution: str, n_out: int, n_in: int) -> np.ndarray:
    if distribution == "uniform":
        bound = 1 / math.sqrt(n_in)
        return rng.uniform(-bound, bound, n_out)
    return np.zeros(n_out)
