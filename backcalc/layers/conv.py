"""Convolution (1d and 2d, as torch.nn.Conv1d/Conv2d): z at each output position is the kernel's
entries times its receptive field, plus the channel's bias; each kernel entry's gradient is the
sum over the positions it touched. Units are channels × positions, flattened in that order.
"""

from __future__ import annotations

import numpy as np

from .activated import Activated
from .windows import Window, gather, scatter


def window_of(options: dict) -> Window:
    return Window(tuple(options["in_shape"]), tuple(options["kernel"]), tuple(options["stride"]),
                  tuple(options["padding"]))


class Conv(Activated):
    name = "conv"
    spec_keys = ("type", "kernels", "biases", "out_channels", "kernel_size", "stride", "padding",
                 "input_shape", "activation", "alpha", "names")
    slots = ("kernels", "biases")

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        self.window = window_of(self.options)
        self.index = self.window.patch_index()  # P × (C·K)
        self.out_channels = layer.weights.shape[0]

    def patches(self, a_in):
        """samples × positions × (C·K): each output position's receptive field (the forward's, for the
        backward of the same batch)."""
        return self.remembered("_patches", (a_in,), lambda: gather(a_in, self.index, 0))

    def weighted_sum(self, arith, a_in, w, b):
        n, p = a_in.shape[0], self.window.positions
        rows = self.remembered("_patches", (a_in,), lambda: gather(a_in, self.index, 0), fresh=True).reshape(n * p, -1)
        z = arith.affine(rows, w.reshape(self.out_channels, -1), b)
        return z.reshape(n, p, self.out_channels).transpose(0, 2, 1).reshape(n, -1)

    def by_position(self, delta):
        """δ as samples × positions × channels."""
        return delta.reshape(delta.shape[0], self.out_channels, -1).transpose(0, 2, 1)

    def back(self, arith, delta, w, a_in):
        n, p = delta.shape[0], self.window.positions
        rows = self.by_position(delta).reshape(n * p, self.out_channels)
        field = arith.back(rows, w.reshape(self.out_channels, -1)).reshape(n, p, -1)
        return scatter(field, self.index, self.window.pad_index)

    def slot_products(self, delta, a_in):
        d, patches = delta.reshape(delta.shape[0], self.out_channels, -1), self.patches(a_in)
        if self.slip and self.slip[0] == "forgot_position":  # the mistake: one position left out of the kernel's sums
            forgot = d.copy()
            forgot[:, :, self.slip[1]] = 0
            return forgot @ patches, np.sum(d, axis=2)
        return d @ patches, np.sum(d, axis=2)

    def gradients(self, delta, a_in):
        pw, pb = self.slot_products(delta, a_in)
        shape = (self.out_channels, *self.window.in_shape[:1], *self.window.kernel)
        return np.sum(pw, axis=0).reshape(shape), np.sum(pb, axis=0)

    def train_gradients(self, delta, a_in):
        """`gradients` for training (Network.backward): the batch's products summed by one matrix product
        over every sample and position, not per sample first (the same sums in another order: `step`
        keeps `gradients`, so that each gradient is the sum of the products its table shows)."""
        if self.slip or delta.dtype == object:
            return self.gradients(delta, a_in)
        shape = (self.out_channels, *self.window.in_shape[:1], *self.window.kernel)
        rows = self.by_position(delta).reshape(-1, self.out_channels)
        patches = self.patches(a_in)
        bias = delta.reshape(delta.shape[0], self.out_channels, -1).sum(axis=(0, 2))
        return (rows.T @ patches.reshape(rows.shape[0], -1)).reshape(shape), bias

    def quantities(self, a_in, delta):
        """Each kernel entry's product at each position (samples × out × positions × entries) and
        each position's receptive field (input indices; None: padding)."""
        d = delta.reshape(delta.shape[0], self.out_channels, -1)
        field = [[None if k == self.window.pad_index else int(k) for k in row] for row in self.index]
        return {"kernel_terms": d[:, :, :, None] * self.patches(a_in)[:, None], "receptive_field": field}

    def torch(self, torch, a, w, b):
        """The same layer in PyTorch (gradcheck's independent reference)."""
        conv = torch.nn.functional.conv1d if len(self.window.kernel) == 1 else torch.nn.functional.conv2d
        x = a.reshape(a.shape[0], *self.window.in_shape)
        return conv(x, w, b, stride=self.window.stride, padding=self.window.padding).reshape(a.shape[0], -1)

    def reads(self, i: int) -> list[int]:
        row = self.index[i % self.window.positions]
        return [int(k) for k in row if k != self.window.pad_index]

    def slot_deps(self, i: int, j: int | None, s: int, below: list[str] | None) -> list[tuple]:
        p = self.window.positions
        out = [("delta", self.neurons[i * p + q], s) for q in range(p)]
        if j is not None and below:
            out += [("a", below[int(k)], s) for k in self.index[:, j] if k != self.window.pad_index]
        return out
