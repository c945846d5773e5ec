"""Layer kinds: each one module behind the small protocol below: dense, conv (1d, 2d), pool (max,
avg; 1d, 2d), flatten, batchnorm, rnn, gru, lstm.

A kind pairs its forward and backward next to each other (as micrograd's `Value` and PyTorch's
`autograd.Function` do) and declares its parameter slots and the named quantities it
contributes, so the worked-step core, the check and every view read them without knowing the
kind. The recurrent layers (rnn, gru, lstm) keep their time steps inside: their quantities are per step.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class LayerKind(Protocol):
    """What the worked-step core needs of a layer."""

    name: str  # the spec's `type:` of the layer (dense when it names none)
    spec_keys: tuple[str, ...]  # the keys a layer of this kind reads from the spec
    # The names of the layer's two parameter arrays as its tables and answers call them (the
    # spec model keeps them as `weights` and `biases`: a dense layer's weights and biases, a
    # convolution's kernels and biases, a batch norm's gamma and beta; a pool has none).
    slots: tuple[str, str]
    neurons: list[str]  # the names of the layer's outputs (z and a), one per unit, samples × units
    elementwise: bool  # a depends on z unit by unit (∂a/∂z is a vector)
    slip: tuple | None  # one of mistakes.KIND_SLIPS this kind makes, for check (None: none)

    def weighted_sum(self, arith, a_in: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        """z of every sample (samples × neurons) from the layer below's a, in `arith`'s order."""

    def activate(self, z: np.ndarray) -> np.ndarray:
        """a from z (the core rounds and overrides z in between)."""

    def local_derivative(self, arith, z: np.ndarray, a: np.ndarray) -> np.ndarray | None:
        """∂a/∂z per sample and neuron, or None where a neuron's a depends on several z (softmax)."""

    def delta(self, upstream: np.ndarray, da_dz: np.ndarray | None, a: np.ndarray) -> np.ndarray:
        """δ = ∂ℓ/∂z from ∂ℓ/∂a (the chain rule through the activation)."""

    def back(self, arith, delta: np.ndarray, w: np.ndarray, a_in: np.ndarray) -> np.ndarray:
        """∂ℓ/∂a of the layer below, from this layer's δ, weights and input."""

    def slot_products(self, delta: np.ndarray, a_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each parameter slot's chain-rule product per sample: weights (samples × rows × entries of a
        row, a row being what one bias goes with), biases (samples × rows)."""

    def gradients(self, delta: np.ndarray, a_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The slots' products added up over the batch (not yet divided): weights shaped as the
        layer's weights, biases."""

    def train_gradients(self, delta: np.ndarray, a_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`gradients` as training reads them: the same sums, in whatever order is fastest."""

    def quantities(self, a_in: np.ndarray, delta: np.ndarray) -> dict:
        """The kind's own named quantities (a receptive field, a pool's winner, batch norm's x̂, …)."""

    def torch(self, torch, a, w, b):
        """The same layer in PyTorch, from the flat samples × inputs (gradcheck's reference)."""

    def reads(self, i: int) -> list[int]:
        """The inputs (indices into the layer below's units) unit i's z is computed from."""

    def deps(self, kind: str, neuron: int, sample: int, below: list[str]) -> list[tuple]:
        """What a quantity of this layer (z, a, dl_da, da_dz, delta) is computed from."""

    def slot_deps(self, i: int, j: int | None, s: int, below: list[str] | None) -> list[tuple]:
        """What slot (row i, entry j of the row; j None: the bias)'s product is computed from."""


def _kinds() -> dict:
    from .batchnorm import BatchNorm
    from .conv import Conv
    from .dense import Dense
    from .flatten import Flatten
    from .gru import Gru
    from .lstm import Lstm
    from .pool import AvgPool, MaxPool
    from .rnn import Rnn

    return {k.name: k for k in (Dense, Conv, MaxPool, AvgPool, Flatten, BatchNorm, Rnn, Gru, Lstm)}


def kind_named(name: str):
    """The class of the kind a spec's `type:` names (conv2d → the convolution, …)."""
    return _kinds()[name[:-2] if name.endswith(("1d", "2d")) else name]


def kind_of(layer, alpha=None) -> LayerKind:
    """The kind of a spec layer (its `kind`, dense when it names none); `alpha` as the arithmetic holds it.

    Adding a kind is adding its module here and one entry in `_kinds()`.
    """
    return kind_named(getattr(layer, "kind", "dense"))(layer, alpha)
