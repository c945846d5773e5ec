"""Where a convolution's or a pool's windows fall: for every output position, the input entries it
reads, as indices into the flattened input (channels × positions), with one extra index past the
end standing for padding. Gathering by these indices is how every window kind computes, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np


@dataclass(frozen=True)
class Window:
    """A window sliding over an input of `in_shape` (channels, *positions): 1 or 2 spatial axes."""

    in_shape: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]

    @property
    def spatial(self) -> tuple[int, ...]:
        return self.in_shape[1:]

    @property
    def out_spatial(self) -> tuple[int, ...]:
        return tuple((n + 2 * p - k) // s + 1 for n, k, s, p in
                     zip(self.spatial, self.kernel, self.stride, self.padding))

    @property
    def fits(self) -> bool:
        return all(n + 2 * p >= k for n, k, p in zip(self.spatial, self.kernel, self.padding))

    @property
    def positions(self) -> int:
        return prod(self.out_spatial)

    @property
    def size(self) -> int:
        """Entries of one channel's window."""
        return prod(self.kernel)

    @property
    def pad_index(self) -> int:
        return prod(self.in_shape)

    def offsets(self) -> np.ndarray:
        """Per output position and window entry, the input position (P × K × axes; may lie outside)."""
        pos = np.stack(np.meshgrid(*map(np.arange, self.out_spatial), indexing="ij"), -1).reshape(-1, len(self.kernel))
        off = np.stack(np.meshgrid(*map(np.arange, self.kernel), indexing="ij"), -1).reshape(-1, len(self.kernel))
        return pos[:, None, :] * np.array(self.stride) - np.array(self.padding) + off[None, :, :]

    def channel_index(self) -> np.ndarray:
        """C × P × K: the flattened input index each channel's window entry reads (pad_index: padding)."""
        coords = self.offsets()
        inside = np.all((coords >= 0) & (coords < np.array(self.spatial)), axis=-1)
        flat = np.ravel_multi_index(tuple(np.where(inside[..., None], coords, 0).transpose(2, 0, 1)), self.spatial)
        per = prod(self.spatial)
        index = np.arange(self.in_shape[0])[:, None, None] * per + flat[None]
        return np.where(inside[None], index, self.pad_index)

    def patch_index(self) -> np.ndarray:
        """P × (C·K): each output position's receptive field over every channel, kernel order (c, k…)."""
        return self.channel_index().transpose(1, 0, 2).reshape(self.positions, -1)


def padded(a_in: np.ndarray, fill) -> np.ndarray:
    """The input with one more column holding the padding value (0, or −∞ for a max pool)."""
    pad = np.full((a_in.shape[0], 1), fill, dtype=a_in.dtype)
    return np.concatenate([a_in, pad], axis=1)


def gather(a_in: np.ndarray, index: np.ndarray, fill, samples_last: bool = False) -> np.ndarray:
    """a_in's entries at `index` (its pad_index: `fill`), samples × index's shape (or index's shape ×
    samples). Floats are gathered from the transposed input, whole rows of samples at a time: ~7×
    faster than indexing each sample's row (the result's sample axis first is then a strided view)."""
    if a_in.dtype == object:
        out = padded(a_in, fill)[:, index]
        return np.moveaxis(out, 0, -1) if samples_last else out
    by_entry = np.empty((a_in.shape[1] + 1, a_in.shape[0]), dtype=a_in.dtype)
    by_entry[:-1] = a_in.T
    by_entry[-1] = fill
    out = by_entry[index]
    return out if samples_last else np.moveaxis(out, -1, 0)


def add_by_row(index: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
    """samples × width of floats: each sample's values added into the entries its row of `index` names
    (samples × m, or m for every sample), by one bincount over the batch (np.add.at is ~10× slower)."""
    n = values.shape[0]
    flat = (np.reshape(index, (-1, values[0].size)) + width * np.arange(n)[:, None]).ravel()
    return np.bincount(flat, weights=values.reshape(-1), minlength=n * width).reshape(n, width)


def scatter(values: np.ndarray, index: np.ndarray, width: int) -> np.ndarray:
    """samples × width: each value added into the input entry `index` names (padding dropped)."""
    n = values.shape[0]
    if values.dtype != object:
        return add_by_row(index, values, width + 1)[:, :-1]
    out = np.zeros((width + 1, n), dtype=values.dtype)
    out[:] = 0
    np.add.at(out, index.ravel(), values.reshape(n, -1).T)
    return out[:-1].T


def shape_text(shape) -> str:
    return "×".join(str(n) for n in shape)


def position_names(prefix: str, shape) -> list[str]:
    """`c2[1,2,3]` for every entry of `shape` (channels, positions…), 1-based, in flattened order."""
    return [f"{prefix}[{','.join(str(i + 1) for i in idx)}]" for idx in np.ndindex(*shape)]
