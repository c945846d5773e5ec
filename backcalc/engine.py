"""The fast general training path: per-layer arrays updated in place.

Every float network trains here (unless it is tiny: scalar.py), with any
optimiser of optimizers.py, tied and frozen parameters. Each layer keeps its
weights and biases in one array `[W | b]` (neurons × inputs+1), all of them
views into one flat vector of slots; the pre-activations are one BLAS product
plus the bias row, ∂L/∂W one BLAS product and ∂L/∂b one column sum. Every
batch size gets its buffers once; nothing per sample runs in Python.

Plain SGD on an untied network updates each layer as soon as its gradient is
known, one subtraction, with the learning rate and the 1/n of a mean folded
into the output δ once. Anything else takes one optimiser step over the flat
vector after the backward pass (optimizer_kernels.InPlaceStep): over the
slots themselves when no parameter is tied, else over the distinct
parameters, the slots' gradients summed into them by one bincount and the
new values copied back to the slots by one take. The arithmetic is the
textbook one, rearranged only where that is exact in real numbers, so the
results agree with `Network.backward` and `Optimizer` to rounding (about
1e-15 relative per step), not bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from .activations import ACTIVATIONS
from .losses import LOSSES
from .network import Network
from .optimizer_kernels import InPlaceStep
from .optimizers import Optimizer, State, make_optimizer
from .spec_model import Spec

# ∂ℓ/∂y = c·(y − t) and Σ_k ℓ = w·Σ_k (y − t)² for the squared-error family.
_SQUARED = {name: loss.squared for name, loss in LOSSES.items() if loss.squared is not None}


def supports(spec: Spec, net: Network) -> bool:
    """Whether the engine can run this network (else the reference loop does)."""
    return net.theta.dtype == np.float64 and len(spec.layers) >= 1


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
        self.row, self.row2 = np.empty((n, 1)), np.empty((n, 1))
        self.ones = np.ones(n)  # per-sample scalars (softmax + cross-entropy)
        self.diff_flat = self.diff.reshape(-1)


class Engine:
    """Trains a float network in place with its optimiser; `train(count)` runs whole epochs."""

    def __init__(self, spec: Spec, net: Network, optimizer: Optimizer | None = None):
        self.spec, self.net = spec, net
        optimizer = optimizer or make_optimizer(spec, net)
        self.lr = float(spec.learning_rate)
        self.mean = spec.reduction == "mean"
        self.sizes = [spec.inputs.shape[1], *(layer.size for layer in spec.layers)]
        self.acts = [a.name for a in net.activations]
        self.alphas = [float(a) for a in net.alphas]
        self.k = self.sizes[-1]
        self._layout(net)
        self.w = [wb[:, :-1] for wb in self.wb]
        self.wt = [w.T for w in self.w]
        self.b = [wb[:, -1] for wb in self.wb]
        # ∂L/∂[W | b] per layer. For big products it is kept transposed (inputs+1 × neurons): OpenBLAS
        # runs `a.T @ δ` up to 3× faster than `δ.T @ a` with its long inner dimension (the batch).
        # For small ones the transposed subtraction would cost more than it saves.
        bs = spec.effective_batch_size
        self.trans = [bs * wb.size >= 2**20 for wb in self.wb]
        self.g = [np.empty(wb.shape[::-1]) if t else gv
                  for wb, gv, t in zip(self.wb, self.g_flat_views, self.trans, strict=True)]
        self.g_update = [g.T if t else g for g, t in zip(self.g, self.trans, strict=True)]  # shaped like [W | b]
        self.gw = [g[:-1] if t else g[:, :-1] for g, t in zip(self.g, self.trans, strict=True)]
        self.gb = [g[-1] if t else g[:, -1] for g, t in zip(self.g, self.trans, strict=True)]
        # Plain SGD updates the frozen slots too and then puts their values back: a masked subtraction
        # costs twice a plain one, and the reference keeps a frozen value whatever its gradient.
        self.frozen_slots = np.flatnonzero(net.frozen[self.slot_param])
        self.frozen_values = self.flat[self.frozen_slots]
        self._optimizer(net, optimizer)
        loss = spec.loss
        self.loss = net.loss
        self.squared = loss in _SQUARED
        if self.squared:
            c, w = _SQUARED[loss]
            self.c, self.w_loss = (2.0 / self.k, 1.0 / self.k) if c is None else (c, w)
        self.fused = self.acts[-1] in self.loss.fused
        # A fused form with an in-place kernel (softmax + cross-entropy) computes the output's activation,
        # ℓ and δ in preallocated buffers (the entry's value and fused δ allocate a dozen arrays per batch).
        self.fused_kernel = self.loss.fused[self.acts[-1]].kernel if self.fused else None
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
            self.batches.append((xb, tb, buffers[n], n, tb.sum(axis=1, keepdims=True)))

    def _layout(self, net: Network) -> None:
        """Every layer's [W | b] and its gradient as views into one flat vector each."""
        # Slot i of the flat vector holds parameter `slot_param[i]` of theta (layer by layer, row-major [W | b]).
        self.slot_param = np.concatenate([np.hstack([wi, bi[:, None]]).ravel()
                                          for wi, bi in zip(net.w_index, net.b_index, strict=True)])
        self.flat = np.empty(self.slot_param.size)
        self.gflat = np.empty(self.slot_param.size)
        self.wb, self.g_flat_views, start = [], [], 0
        for wi in net.w_index:
            shape = (wi.shape[0], wi.shape[1] + 1)
            end = start + shape[0] * shape[1]
            self.wb.append(self.flat[start:end].reshape(shape))
            self.g_flat_views.append(self.gflat[start:end].reshape(shape))
            start = end
        self.flat[...] = net.theta[self.slot_param]

    def _optimizer(self, net: Network, optimizer: Optimizer) -> None:
        """How the parameters are updated, and the optimiser state that update keeps."""
        # Plain SGD on untied parameters updates layer by layer (lr folded into δ); anything else steps
        # the flat vector: the slots when untied (`order` maps them to theta), else the distinct parameters.
        self.plain = optimizer.plain and not net.tied
        self.fold = self.lr if self.plain else 1.0
        self.tied = net.tied
        self.order = None if net.tied else self.slot_param
        self.p = net.theta.astype(np.float64, copy=True) if net.tied else self.flat
        self.stepper = None
        # Off the plain path the weights change once per batch, all at once: the forward products then
        # read a contiguous copy of each Wᵀ (BLAS runs up to 2× faster on it than on the [W | b] view).
        self.wt_fwd = self.wt if self.plain else [np.ascontiguousarray(w) for w in self.wt]
        if not self.plain:
            frozen_here = net.frozen if net.tied else net.frozen[self.slot_param]
            self.stepper = InPlaceStep(optimizer.config, self.lr, frozen_here)
            self.stepper.load(optimizer.state, self.order)

    # -- parameters ----------------------------------------------------------
    def snapshot(self) -> tuple:
        return self.theta(), self.state()

    def restore(self, snap: tuple) -> None:
        self.load(snap[0])
        self.load_state(snap[1])

    def load(self, theta: np.ndarray) -> None:
        """Take the parameter values of the flat vector `theta`."""
        if self.tied:
            self.p[...] = theta
        np.take(theta, self.slot_param, out=self.flat)
        self.frozen_values = self.flat[self.frozen_slots]
        self._copy_weights()

    def _copy_weights(self) -> None:
        if not self.plain:
            for copy, wt in zip(self.wt_fwd, self.wt, strict=True):
                np.copyto(copy, wt)

    def load_state(self, state: State | None) -> None:
        """Take the optimiser's state (over theta); plain SGD has none to take."""
        if self.stepper is not None and state is not None:
            self.stepper.load(state, self.order)

    def state(self) -> State | None:
        """The optimiser's state now, over theta (None: plain SGD, whose state never changes)."""
        if self.stepper is None:
            return None
        return self.stepper.state(self.order, self.net.theta.size)

    def finite(self) -> bool:
        return bool(np.isfinite(self.p).all())  # the slots are copies of these

    def theta(self) -> np.ndarray:
        if self.tied:
            return self.p.copy()
        theta = np.empty(self.net.theta.size)
        theta[self.slot_param] = self.flat
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
        for x, t, buf, n, t_sum in self.batches:
            s = batch(x, t, buf, n, t_sum)
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

    def _batch(self, x, t, buf: _Buffers, n: int, t_sum: np.ndarray) -> float:
        """Forward, loss, backward and update on one batch; returns the sum of the samples' losses."""
        n_layers = len(self.wb)
        acts, alphas, z, out = self.acts, self.alphas, buf.z, buf.out
        # forward
        a = x
        for li in range(n_layers):
            np.matmul(a, self.wt_fwd[li], out=z[li])
            z[li] += self.b[li]
            if li < n_layers - 1 or self.fused_kernel is None:  # the fused kernel computes y itself
                _forward(acts[li], z[li], out[li], buf.mask[li], alphas[li])
            a = out[li]
        # loss and output δ (already scaled by lr, and by 1/n for a mean)
        y, last = buf.y, n_layers - 1
        scale = self.fold / n if self.mean else self.fold
        delta = buf.delta[last]
        if self.squared:
            diff = buf.diff
            np.subtract(y, t, out=diff)
            s = float(np.dot(buf.diff_flat, buf.diff_flat)) * self.w_loss
            np.multiply(diff, self.c * scale, out=buf.up[last])
            _backward(acts[last], buf.up[last], z[last], y, delta, buf.tmp[last], buf.mask[last], alphas[last])
        elif self.fused_kernel is not None:
            s = self.fused_kernel(z[last], y, t, t_sum, scale, delta, buf.tmp[last], buf.up[last], buf.row, buf.row2)
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
            if self.plain:
                np.add.reduce(delta, axis=0, out=self.gb[li])
            else:  # a column sum as one BLAS product: ~20× faster for a long batch of few neurons
                np.matmul(buf.ones, delta, out=self.gb[li])
            if li:
                below = buf.delta[li - 1]
                np.matmul(delta, self.w[li], out=buf.up[li - 1])
                _backward(acts[li - 1], buf.up[li - 1], z[li - 1], out[li - 1], below, buf.tmp[li - 1],
                          buf.mask[li - 1], alphas[li - 1])
                delta = below
            if self.plain:
                self.wb[li] -= self.g_update[li]
        if self.plain and self.frozen_slots.size:
            self.flat[self.frozen_slots] = self.frozen_values
        if not self.plain:
            self._step()
        return s

    def _step(self) -> None:
        """One optimiser step over the flat vector, from the layers' gradients."""
        for g, view, t in zip(self.g, self.g_flat_views, self.trans, strict=True):
            if t:
                np.copyto(view, g.T)
        if not self.tied:
            self.stepper.step(self.flat, self.gflat)
        else:
            grad = np.bincount(self.slot_param, weights=self.gflat, minlength=self.p.size)
            self.stepper.step(self.p, grad)
            np.take(self.p, self.slot_param, out=self.flat)
        self._copy_weights()


def _forward(name: str, z: np.ndarray, a: np.ndarray, mask: np.ndarray, alpha: float) -> None:
    """a = f(z), written into `a` (the registry entry's kernel)."""
    ACTIVATIONS[name].kernel_forward(z, a, mask, alpha)


def _backward(name: str, up: np.ndarray, z: np.ndarray, a: np.ndarray, delta: np.ndarray,
              tmp: np.ndarray, mask: np.ndarray, alpha: float) -> None:
    """δ = ∂ℓ/∂a · ∂a/∂z, written into `delta` (the registry entry's kernel)."""
    ACTIVATIONS[name].kernel_backward(up, z, a, delta, tmp, mask, alpha)
