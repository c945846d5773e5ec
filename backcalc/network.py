"""Parameters (named, tied, frozen), forward pass, backward pass and update.

Pure NumPy, no printing. Every distinct parameter name owns one entry of the
flat vector `theta`; each weight or bias slot points at its entry, so tied
slots share one value and their gradients add up. Arrays may hold floats or,
for exact arithmetic, `fractions.Fraction` objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arithmetic import Exact, Float
from .layers import kind_of
from .losses import get_loss
from .spec_model import Spec, flat_names, parameter_names

_FLOAT, _EXACT = Float(), Exact()  # NumPy order, no recording: the network's own arithmetic


@dataclass
class Trace:
    """The forward pass: `a[0]` is the input, `z[l]`, `a[l + 1]` belong to layer l."""

    z: list[np.ndarray]
    a: list[np.ndarray]

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]


@dataclass
class Backward:
    """The backward pass of one batch; per-sample arrays are samples × neurons."""

    dl_da: list[np.ndarray | None]  # ∂ℓ/∂a per layer (None where not recorded)
    da_dz: list[np.ndarray | None]  # ∂a/∂z per layer (None for softmax)
    delta: list[np.ndarray]  # ∂ℓ/∂z per layer and sample
    grad_weights: list[np.ndarray]  # per slot, reduced over samples
    grad_biases: list[np.ndarray]
    grad: np.ndarray  # per distinct parameter (tied slots summed)


class Network:
    """A network built from a Spec, holding its current parameter values."""

    def __init__(self, spec: Spec, dtype=float):
        self.spec = spec
        self.names = parameter_names(spec)
        index = {n: k for k, n in enumerate(self.names)}
        self.alphas = [cast_scalar(layer.alpha, dtype) for layer in spec.layers]
        self.kinds = [kind_of(layer, alpha) for layer, alpha in zip(spec.layers, self.alphas)]
        # what follows each layer's z, as its kind sees it (an rnn's activation is inside its recurrence)
        self.activations = [kind.activation for kind in self.kinds]
        self.loss = get_loss(spec.loss)
        self.w_index = [np.array([index[n] for n in flat_names(layer.weight_names)], dtype=np.intp)
                        .reshape(layer.weights.shape) for layer in spec.layers]
        self.b_index = [np.array([index[n] for n in layer.bias_names], dtype=np.intp) for layer in spec.layers]
        self.theta = np.zeros(len(self.names), dtype=dtype)
        for li, (layer, wi, bi) in enumerate(zip(spec.layers, self.w_index, self.b_index)):
            self.theta[wi] = cast_values(layer.weights, dtype, spec.exact.get(f"layers[{li}].weights"))
            self.theta[bi] = cast_values(layer.biases, dtype, spec.exact.get(f"layers[{li}].biases"))
        counts = np.bincount(np.concatenate([*(w.ravel() for w in self.w_index), *self.b_index]),
                             minlength=len(self.names))
        self.tied = bool(np.any(counts > 1))
        self.slot_counts = counts
        frozen = set(spec.frozen)
        self.frozen = np.array([n in frozen for n in self.names], dtype=bool)
        self._unpack()

    # -- parameters ----------------------------------------------------------
    def _unpack(self) -> None:
        self.weights, self.biases = self.layers_of(self.theta)

    def layers_of(self, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each layer's weight matrix and bias vector, taken from the flat vector `theta`."""
        return [theta[wi] for wi in self.w_index], [theta[bi] for bi in self.b_index]

    def set_theta(self, theta: np.ndarray) -> None:
        self.theta = theta
        self._unpack()

    def step_theta(self, grad: np.ndarray, lr) -> np.ndarray:
        """θ − lr·∇ for every parameter that is not frozen."""
        new = self.theta - cast_scalar(lr, self.theta.dtype) * grad
        if self.frozen.any():
            new = np.where(self.frozen, self.theta, new)
        return new

    # -- forward -------------------------------------------------------------
    def forward(self, x: np.ndarray, bounded: bool = True) -> Trace:
        """The forward pass; exact values are checked against the digit bound layer by layer (unless not `bounded`)."""
        zs, acts = [], [x]
        a = x
        arith = _EXACT if bounded and self.theta.dtype == object else _FLOAT
        for li, (w, b, kind) in enumerate(zip(self.weights, self.biases, self.kinds)):
            z = arith.record(kind.weighted_sum(arith, a, w, b), f"z of layer {li + 1}")
            a = kind.activate(z)
            zs.append(z)
            acts.append(a)
        return Trace(zs, acts)

    def losses(self, trace: Trace, t: np.ndarray):
        """Per-sample losses and a note (or None) about clipping."""
        return self.loss.value(trace.output, t, trace.z[-1], self.activations[-1].name)

    def reduce(self, per_sample: np.ndarray):
        total = np.sum(per_sample)
        return total / len(per_sample) if self.spec.reduction == "mean" else total

    # -- backward ------------------------------------------------------------
    def backward(self, trace: Trace, t: np.ndarray, record: bool = True) -> Backward:
        """Backpropagate the batch loss; `record` keeps ∂ℓ/∂a and ∂a/∂z for display."""
        n_layers = len(self.weights)
        n = trace.a[0].shape[0]
        dl_da: list = [None] * n_layers
        da_dz: list = [None] * n_layers
        delta: list = [None] * n_layers
        y = trace.output
        out_act = self.activations[-1]
        fused = self.loss.fused_delta(out_act.name, y, t, trace.z[-1])
        upstream = self.loss.grad(y, t) if record or fused is None else None
        for li in range(n_layers - 1, -1, -1):
            kind, z, a = self.kinds[li], trace.z[li], trace.a[li + 1]
            if li < n_layers - 1:
                upstream = self.kinds[li + 1].back(_FLOAT, delta[li + 1], self.weights[li + 1], trace.a[li + 1])
            dl_da[li] = upstream
            da_dz[li] = kind.local_derivative(_FLOAT, z, a)
            delta[li] = fused if li == n_layers - 1 and fused is not None else kind.delta(upstream, da_dz[li], a)
            _EXACT.record(delta[li], f"δ of layer {li + 1}")
        scale = n if self.spec.reduction == "mean" else 1
        grad_w, grad_b = [], []
        for li in range(n_layers):
            gw, gb = self.kinds[li].train_gradients(delta[li], trace.a[li])
            if scale != 1:
                gw = gw / scale
                gb = gb / scale
            grad_w.append(gw)
            grad_b.append(gb)
        grad = self.gather(grad_w, grad_b)
        return Backward(dl_da, da_dz, delta, grad_w, grad_b, grad)

    def gather(self, grad_w: list[np.ndarray], grad_b: list[np.ndarray]) -> np.ndarray:
        """Sum slot gradients into one gradient per distinct parameter."""
        g = np.zeros(len(self.names), dtype=self.theta.dtype)
        if g.dtype == object:
            g[:] = 0
            for wi, bi, gw, gb in zip(self.w_index, self.b_index, grad_w, grad_b):
                for k, v in zip(wi.ravel(), gw.ravel()):
                    g[k] = g[k] + v
                for k, v in zip(bi, gb):
                    g[k] = g[k] + v
            return g
        # One bincount adds the slots in the same order as sequential np.add.at calls would, far faster.
        index = np.concatenate([a for wi, bi in zip(self.w_index, self.b_index, strict=True) for a in (wi.ravel(), bi)])
        values = np.concatenate([a for gw, gb in zip(grad_w, grad_b, strict=True)
                                 for a in (np.ravel(gw), np.ravel(gb))])
        return np.bincount(index, weights=values, minlength=len(self.names))


def cast_scalar(value, dtype):
    """A number as the network computes it: a Fraction of its decimal text in exact mode."""
    if dtype is object or dtype == np.dtype(object):
        from .exact import to_fraction

        return to_fraction(value)
    return value


def cast_values(values: np.ndarray, dtype, exact: np.ndarray | None = None):
    """Values of the spec as the network computes them: in exact mode their exact values (`exact`,
    the spec's Fractions of them, when it has them)."""
    if dtype is object:
        from .exact import to_fractions

        return to_fractions(values if exact is None else exact)
    return values
