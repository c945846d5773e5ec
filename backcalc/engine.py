"""The fast general training path: per-layer arrays updated in place.

Used when no parameter is tied (each weight and bias is its own parameter),
the values are floats and the optimiser is plain SGD. Each layer keeps its
weights and biases in one array `[W | b]` (neurons × inputs+1), so its whole
update is one subtraction; the pre-activations are one BLAS product plus the
bias row, ∂L/∂W one BLAS product and ∂L/∂b one column sum. Every batch
size gets its buffers once; nothing per sample runs in Python.

The arithmetic is the textbook one, rearranged only where that is exact in
real numbers: the learning rate and the 1/n of a mean are folded into the
output δ once (so every layer's ∂L/∂W arrives already scaled), and the
squared-error losses are summed with one dot product. The results therefore
agree with `Network.backward` to rounding (about 1e-15 relative per step),
not bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from .activations import ACTIVATIONS
from .losses import LOSSES
from .network import Network
from .spec_model import Spec

# ∂ℓ/∂y = c·(y − t) and Σ_k ℓ = w·Σ_k (y − t)² for the squared-error family.
_SQUARED = {name: loss.squared for name, loss in LOSSES.items() if loss.squared is not None}


def supports(spec: Spec, net: Network) -> bool:
    """Whether the engine can run this network (else the reference loop does)."""
    return not net.tied and net.theta.dtype == np.float64 and len(spec.layers) >= 1


class _Buffers:
    """Everything one batch size needs, allocated once (each array contiguous: the elementwise
    passes over a strided view cost about a third more)."""

    def __init__(self, n: int, sizes: list[int]):
        self.z = [np.empty((n, s)) for s in sizes[1:]]
        self.out = [np.empty((n, s)) for s in sizes[1:]]  # each layer's activation
        self.y = self.out[-1]
        self.delta = [np.empty((n, s)) for s in sizes[1:]]
        self.up = [np.empty((n, s)) for s in sizes[1:]]  # ∂ℓ/∂a per layer
        self.tmp = [np.empty((n, s)) for s in sizes[1:]]
        self.mask = [np.empty((n, s), dtype=bool) for s in sizes[1:]]
        self.diff = np.empty((n, sizes[-1]))
        self.diff_flat = self.diff.reshape(-1)


class Engine:
    """Trains an untied float network in place; `train(count)` runs whole epochs."""

    def __init__(self, spec: Spec, net: Network):
        self.spec, self.net = spec, net
        self.lr = float(spec.learning_rate)
        self.mean = spec.reduction == "mean"
        self.sizes = [spec.inputs.shape[1], *(layer.size for layer in spec.layers)]
        self.acts = [a.name for a in net.activations]
        self.alphas = [float(a) for a in net.alphas]
        self.k = self.sizes[-1]
        self.wb = [np.ascontiguousarray(np.hstack([w, b[:, None]]), dtype=np.float64)
                   for w, b in zip(net.weights, net.biases, strict=True)]
        self.w = [wb[:, :-1] for wb in self.wb]
        self.wt = [w.T for w in self.w]
        self.b = [wb[:, -1] for wb in self.wb]
        # ∂L/∂[W | b] per layer. For big products it is kept transposed (inputs+1 × neurons): OpenBLAS
        # runs `a.T @ δ` up to 3× faster than `δ.T @ a` with its long inner dimension (the batch).
        # For small ones the transposed subtraction would cost more than it saves.
        bs = spec.effective_batch_size
        self.trans = [bs * wb.size >= 2**20 for wb in self.wb]
        self.g = [np.empty(wb.shape[::-1]) if t else np.empty_like(wb)
                  for wb, t in zip(self.wb, self.trans, strict=True)]
        self.g_update = [g.T if t else g for g, t in zip(self.g, self.trans, strict=True)]  # shaped like [W | b]
        self.gw = [g[:-1] if t else g[:, :-1] for g, t in zip(self.g, self.trans, strict=True)]
        self.gb = [g[-1] if t else g[:, -1] for g, t in zip(self.g, self.trans, strict=True)]
        frozen = [np.hstack([net.frozen[wi], net.frozen[bi][:, None]])
                  for wi, bi in zip(net.w_index, net.b_index, strict=True)]
        self.free = [~f if f.any() else None for f in frozen]
        loss = spec.loss
        self.loss = net.loss
        self.squared = loss in _SQUARED
        if self.squared:
            c, w = _SQUARED[loss]
            self.c, self.w_loss = (2.0 / self.k, 1.0 / self.k) if c is None else (c, w)
        self.fused = self.acts[-1] in self.loss.fused
        x = np.ascontiguousarray(spec.inputs, dtype=np.float64)
        t = np.ascontiguousarray(spec.targets, dtype=np.float64)
        bs = spec.effective_batch_size
        buffers: dict[int, _Buffers] = {}
        self.batches = []
        for s in range(0, spec.n_samples, bs):
            xb, tb = x[s:s + bs], t[s:s + bs]
            n = xb.shape[0]
            if n not in buffers:
                buffers[n] = _Buffers(n, self.sizes)
            self.batches.append((xb, tb, buffers[n], n))

    # -- parameters ----------------------------------------------------------
    def snapshot(self) -> list[np.ndarray]:
        return [wb.copy() for wb in self.wb]

    def restore(self, snap: list[np.ndarray]) -> None:
        for wb, s in zip(self.wb, snap, strict=True):
            np.copyto(wb, s)

    def _where(self):
        """Per layer, where its weights and biases sit in `theta`: slices when contiguous (the usual case)."""
        if not hasattr(self, "_places"):
            self._places = [(_as_slice(wi), _as_slice(bi), wi, bi)
                            for wi, bi in zip(self.net.w_index, self.net.b_index, strict=True)]
        return self._places

    def load(self, theta: np.ndarray) -> None:
        """Take the parameter values of the flat vector `theta`."""
        for (ws, bs, wi, bi), w, b in zip(self._where(), self.w, self.b, strict=True):
            w[...] = theta[ws].reshape(w.shape) if ws is not None else theta[wi]
            b[...] = theta[bs] if bs is not None else theta[bi]

    def finite(self) -> bool:
        return all(np.isfinite(wb).all() for wb in self.wb)

    def theta(self) -> np.ndarray:
        theta = np.empty_like(self.net.theta)
        for (ws, bs, wi, bi), w, b in zip(self._where(), self.w, self.b, strict=True):
            if ws is not None:
                theta[ws].reshape(w.shape)[...] = w
            else:
                theta[wi] = w
            if bs is not None:
                theta[bs] = b
            else:
                theta[bi] = b
        return theta

    # -- training ------------------------------------------------------------
    def train(self, count: int, stats: list) -> bool:
        """Run `count` epochs, appending each one's (loss sum, min, max, sample total); False on trouble."""
        with np.errstate(all="ignore"):
            for _ in range(count):
                epoch = self._epoch()
                if epoch is None:
                    return False
                stats.append(epoch)
        return True

    def _epoch(self):
        lsum, lmin, lmax, total = 0.0, math.inf, -math.inf, 0.0
        mean, batch, isfinite = self.mean, self._batch, math.isfinite
        for x, t, buf, n in self.batches:
            s = batch(x, t, buf, n)
            loss = s / n if mean else s
            if not isfinite(loss):
                return None
            lsum += loss
            if loss < lmin:
                lmin = loss
            if loss > lmax:
                lmax = loss
            total += s
        return lsum, lmin, lmax, total

    def _batch(self, x, t, buf: _Buffers, n: int) -> float:
        """Forward, loss, backward and update on one batch; returns the sum of the samples' losses."""
        n_layers = len(self.wb)
        acts, alphas, z, out = self.acts, self.alphas, buf.z, buf.out
        # forward
        a = x
        for li in range(n_layers):
            np.matmul(a, self.wt[li], out=z[li])
            z[li] += self.b[li]
            _forward(acts[li], z[li], out[li], buf.mask[li], alphas[li])
            a = out[li]
        # loss and output δ (already scaled by lr, and by 1/n for a mean)
        y, last = buf.y, n_layers - 1
        scale = self.lr / n if self.mean else self.lr
        delta = buf.delta[last]
        if self.squared:
            diff = buf.diff
            np.subtract(y, t, out=diff)
            s = float(np.dot(buf.diff_flat, buf.diff_flat)) * self.w_loss
            np.multiply(diff, self.c * scale, out=buf.up[last])
            _backward(acts[last], buf.up[last], z[last], y, delta, buf.tmp[last], buf.mask[last], alphas[last])
        else:
            per_sample, _ = self.loss.value(y, t, z[last], acts[last])
            s = float(np.sum(per_sample))
            if self.fused:
                fused = self.loss.fused_delta(acts[last], y, t, z[last])
                np.multiply(fused, scale, out=delta)
            else:
                np.multiply(self.loss.grad(y, t), scale, out=buf.up[last])
                _backward(acts[last], buf.up[last], z[last], y, delta, buf.tmp[last], buf.mask[last],
                          alphas[last])
        # backward and update, last layer first (each δ needs the weights before their update)
        for li in range(last, -1, -1):
            a = out[li - 1] if li else x
            if self.trans[li]:
                np.matmul(a.T, delta, out=self.gw[li])
            else:
                np.matmul(delta.T, a, out=self.gw[li])
            np.add.reduce(delta, axis=0, out=self.gb[li])
            if li:
                below = buf.delta[li - 1]
                np.matmul(delta, self.w[li], out=buf.up[li - 1])
                _backward(acts[li - 1], buf.up[li - 1], z[li - 1], out[li - 1], below, buf.tmp[li - 1],
                          buf.mask[li - 1], alphas[li - 1])
                delta = below
            _update(self.wb[li], self.g_update[li], self.free[li])
        return s


def _as_slice(index: np.ndarray) -> slice | None:
    """The slice equal to a (row-major) index array, if it is one run of consecutive entries."""
    flat = index.ravel()
    if flat.size and np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)):
        return slice(int(flat[0]), int(flat[0]) + flat.size)
    return None


def _update(wb: np.ndarray, g: np.ndarray, free: np.ndarray | None) -> None:
    if free is None:
        wb -= g
    else:
        np.subtract(wb, g, out=wb, where=free)


def _forward(name: str, z: np.ndarray, a: np.ndarray, mask: np.ndarray, alpha: float) -> None:
    """a = f(z), written into `a` (the registry entry's kernel)."""
    ACTIVATIONS[name].kernel_forward(z, a, mask, alpha)


def _backward(name: str, up: np.ndarray, z: np.ndarray, a: np.ndarray, delta: np.ndarray,
              tmp: np.ndarray, mask: np.ndarray, alpha: float) -> None:
    """δ = ∂ℓ/∂a · ∂a/∂z, written into `delta` (the registry entry's kernel)."""
    ACTIVATIONS[name].kernel_backward(up, z, a, delta, tmp, mask, alpha)
