"""Pooling (1d and 2d, as torch.nn.MaxPool/AvgPool): each channel's window reduced to its largest
entry (the gradient goes to the input that won) or to its mean (each input gets an equal share;
padding counts, as torch's count_include_pad). No parameters, no activation.
"""

from __future__ import annotations

import numpy as np

from .conv import window_of
from .unweighted import Unweighted
from .windows import add_by_row, gather, scatter


class Pool(Unweighted):
    spec_keys = ("type", "kernel_size", "size", "stride", "padding", "input_shape", "names")

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        self.window = window_of(self.options)
        self.index = self.window.channel_index()  # C × P × K
        self.index_by_entry = self.index.reshape(-1, self.window.size).T  # K × (C·P)

    def windows(self, a_in, fill):
        """samples × channels × positions × window entries."""
        return gather(a_in, self.index, fill)

    def quantities(self, a_in, delta):
        """Each unit's window: the inputs (indices into the layer below) it reduces; None: padding."""
        pad = self.window.pad_index
        rows = self.index.reshape(-1, self.window.size)
        return {"window": [[None if k == pad else int(k) for k in row] for row in rows]}

    def torch(self, torch, a, w, b):
        """The same pool in PyTorch (gradcheck's independent reference)."""
        f = torch.nn.functional
        name = f"{self.name[:3]}_pool{len(self.window.kernel)}d"
        x = a.reshape(a.shape[0], *self.window.in_shape)
        extra = {"count_include_pad": True} if self.name == "avgpool" else {}
        win = self.window
        return getattr(f, name)(x, win.kernel, win.stride, win.padding, **extra).reshape(a.shape[0], -1)

    def reads(self, i: int) -> list[int]:
        row = self.index.reshape(-1, self.window.size)[i]
        return [int(k) for k in row if k != self.window.pad_index]


class MaxPool(Pool):
    name = "maxpool"

    def weighted_sum(self, arith, a_in, w, b):
        if a_in.dtype == object:
            return self.windows(a_in, -np.inf).max(axis=-1).reshape(a_in.shape[0], -1)
        # entry by entry over the window (a few vectorised passes; argmax along a short last axis is
        # slower), keeping the first maximum as argmax and torch's max pool do (a NaN counts as the
        # largest: the first NaN wins)
        entries = gather(a_in, self.index_by_entry, -np.inf, samples_last=True)  # window entries × units × samples
        best, won = entries[0], np.zeros(entries[0].shape, dtype=np.intp)
        for k in range(1, entries.shape[0]):
            better = ~(entries[k] <= best) & ~np.isnan(best)  # larger, or the first NaN
            best = np.maximum(best, entries[k])
            won = np.where(better, k, won)
        self._won = ((a_in,), won.T.reshape(a_in.shape[0], *self.index.shape[:2]))  # the same batch's backward's
        return best.T  # samples × units (column-major, the layout argmax's take gave: the next product's bits)

    def winners(self, a_in) -> np.ndarray:
        """samples × units: the input entry (flattened index) each window's maximum came from (the first)."""
        won = self.remembered("_won", (a_in,), lambda: self.windows(a_in, -np.inf).argmax(axis=-1))
        return self.index[np.arange(self.index.shape[0])[:, None], np.arange(self.index.shape[1]), won].reshape(
            a_in.shape[0], -1)

    def quantities(self, a_in, delta):
        """The input (its index in the layer below) each window's maximum came from."""
        return {**super().quantities(a_in, delta), "winner": self.winners(a_in)}

    def back(self, arith, delta, w, a_in):
        n = delta.shape[0]
        out = np.zeros((n, self.window.pad_index + 1), dtype=delta.dtype)
        if delta.dtype == object:
            out[:] = 0
        if self.slip == ("spread_max",):  # the mistake: δ to every input of the window, not the winner only
            spread = np.broadcast_to(delta.reshape(n, *self.index.shape[:2], 1), (n, *self.index.shape))
            return scatter(spread.transpose(0, 2, 1, 3).reshape(n, self.window.positions, -1),
                           self.index.transpose(1, 0, 2).reshape(self.window.positions, -1), self.window.pad_index)
        won = self.winners(a_in)
        if delta.dtype != object:  # windows may overlap: two may share a winner
            return add_by_row(won, delta, out.shape[1])[:, :-1]
        np.add.at(out, (np.arange(n)[:, None], won), delta)
        return out[:, :-1]


class AvgPool(Pool):
    name = "avgpool"

    def quantities(self, a_in, delta):
        """Each input's share of a window's δ (padding counts, as torch's count_include_pad)."""
        if delta.dtype == object:  # exact: fractions imported only when asked for (start-up time)
            from fractions import Fraction

            share = Fraction(1, self.window.size)
        else:
            share = 1 / self.window.size
        return {**super().quantities(a_in, delta), "share": share}

    def weighted_sum(self, arith, a_in, w, b):
        return (self.windows(a_in, 0).sum(axis=-1) / self.window.size).reshape(a_in.shape[0], -1)

    def back(self, arith, delta, w, a_in):
        n, c = delta.shape[0], self.window.in_shape[0]
        share = delta.reshape(n, c, -1)[..., None] / self.window.size
        share = np.broadcast_to(share, (n, *self.index.shape)).transpose(0, 2, 1, 3)
        return scatter(share.reshape(n, self.window.positions, -1), self.index.transpose(1, 0, 2).reshape(
            self.window.positions, -1), self.window.pad_index)
