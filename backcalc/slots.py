"""Where each parameter sits: its slots (a weight or bias entry of a layer), in the order of the layers."""

from __future__ import annotations

import numpy as np


def rows_of(weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """A layer's weights as rows, one per bias (a kernel's entries of one output channel, a batch
    norm's gamma beside its beta): rows × entries."""
    return weights.reshape(len(biases), weights.size // len(biases) if len(biases) else 0)


class Slots:
    """Every slot of a network, flattened layer by layer and row by row (a row's weights, then its bias).

    `param[k]` is slot k's parameter; `rank[k]` its position among that parameter's slots (a tied
    parameter has several); `lowest[p]` the lowest layer holding parameter p.
    """

    def __init__(self, net):
        rows = [rows_of(wi, bi) for wi, bi in zip(net.w_index, net.b_index)]
        per_layer = [np.concatenate([wi, bi[:, None]], axis=1).ravel() for wi, bi in zip(rows, net.b_index)]
        self.param = np.concatenate(per_layer)
        self.layer = np.concatenate([np.full(len(p), li) for li, p in enumerate(per_layer)])
        self.bounds = np.cumsum([0, *(len(p) for p in per_layer)])
        # a row's bias, and a kind's weight columns that are biases (a GRU's b_hh beside W_hh)
        extra = [layer.options.get("bias_columns", 0) for layer in net.spec.layers]
        self.is_bias = np.concatenate([np.arange(len(p)) % (wi.shape[1] + 1) >= wi.shape[1] - k
                                       for p, wi, k in zip(per_layer, rows, extra)])
        size = len(net.names)
        order = np.argsort(self.param, kind="stable")
        ranked = self.param[order]
        self.rank = np.empty(len(self.param), dtype=np.intp)
        self.rank[order] = np.arange(len(ranked)) - np.searchsorted(ranked, ranked, side="left")
        self.count = np.bincount(self.param, minlength=size)
        self.lowest = np.full(size, len(per_layer))
        np.minimum.at(self.lowest, self.param, self.layer)
        self.bias_only = np.bincount(self.param[~self.is_bias], minlength=size) == 0

    def add_up(self, values: np.ndarray, chosen: np.ndarray, size: int) -> np.ndarray:
        """Per parameter, the sum of its chosen slots' `values` (last axis: slots), in slot order from 0."""
        total = np.zeros((*values.shape[:-1], size))
        for r in range(int(self.rank[chosen].max(initial=-1)) + 1):
            pick = chosen & (self.rank == r)
            total[..., self.param[pick]] += values[..., pick]
        return total
