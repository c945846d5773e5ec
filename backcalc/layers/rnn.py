"""The recurrent layer (Elman, as torch.nn.RNN with one layer): each sample is time × features, and
at every time step hₜ = f(W_x·xₜ + W_h·hₜ₋₁ + b) from h₀ (`initial_state`, default zeros). Its output
is h_T (`return: last`) or every hₜ (`return: all`, time-major). torch has two biases (b_ih, b_hh);
one bias b is their sum.

The spec model keeps the two weight arrays side by side as one hidden × (features + hidden) array
[W_x | W_h], so that zₜ = [xₜ, hₜ₋₁]·[W_x | W_h]ᵀ + b is a dense layer's affine map, and `theta`,
tying, freezing and the optimizers serve it unchanged. The activation sits inside the recurrence,
so at the protocol's level the layer's z is its output h and a = z (∂a/∂z = 1); the step's own
pre-activations zₜ and hidden states hₜ are the kind's quantities. Backward is backpropagation
through time: ∂ℓ/∂hₜ gathers what the output sends to hₜ and what zₜ₊₁ sends back through W_h,
and each recurrent weight's gradient is the sum over the time steps of its products.
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from .activated import Activated


class Rnn(Activated):
    name = "rnn"
    spec_keys = ("type", "weights_input", "weights_hidden", "biases", "hidden_size", "activation", "alpha",
                 "initial_state", "return", "input_shape", "names")
    slots = ("weights", "biases")

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        self.cell = self.activation  # the recurrence's f; the layer as a whole hands h on as it is
        self.activation = get_activation("identity")
        o = self.options
        self.time, self.features, self.hidden = o["time"], o["features"], o["hidden"]
        self.every = o["return"] == "all"
        self.h0 = np.array(o["initial_state"], dtype=float)
        self.w, self.b = layer.weights, layer.biases

    def steps(self, arith, a_in, w, b):
        """The forward through time: ([xₜ, hₜ₋₁] per step, zₜ per step, hₜ per step, h₀ first)."""
        n, f = a_in.shape[0], self.features
        h = np.zeros((n, self.hidden), dtype=a_in.dtype) + self.start(a_in.dtype)
        joined, zs, hs = [], [], [h]
        for t in range(self.time):
            u = np.concatenate([a_in[:, t * f:(t + 1) * f], hs[-1]], axis=1)
            z = arith.affine(u, w, b)
            joined.append(u)
            zs.append(z)
            hs.append(self.cell.forward(z, self.alpha))
        return joined, zs, hs

    def start(self, dtype):
        """h₀ in the arithmetic's numbers (exact: each float's exact value as a Fraction)."""
        if dtype.kind != "O":
            return self.h0.astype(dtype)
        from fractions import Fraction  # only for an exact step (a float one imports none)

        return np.array([Fraction(v) for v in self.h0], dtype=object)

    def weighted_sum(self, arith, a_in, w, b):
        self.w, self.b = w, b  # the kind's backward (slot products, gradients) reads the weights the forward used
        hs = self.steps(arith, a_in, w, b)[2]
        return np.concatenate(hs[1:], axis=1) if self.every else hs[-1]

    def through_time(self, arith, delta, w, a_in):
        """BPTT: (∂ℓ/∂zₜ per step, ∂ℓ/∂hₜ per step, ∂ℓ/∂xₜ per step), from the output's δ."""
        joined, zs, hs = self.steps(arith, a_in, w, self.b)
        f, n_h = self.features, self.hidden
        dz, dh, dx = [None] * self.time, [None] * self.time, [None] * self.time
        carried = np.zeros_like(delta[:, :n_h])
        for t in reversed(range(self.time)):
            sent = delta[:, t * n_h:(t + 1) * n_h] if self.every else (delta if t == self.time - 1 else 0 * delta)
            dh[t] = sent + carried
            dz[t] = dh[t] * self.cell.derivative(zs[t], hs[t + 1], self.alpha)
            back = arith.back(dz[t], w)
            dx[t], carried = back[:, :f], back[:, f:]
        return dz, dh, dx, joined

    def back(self, arith, delta, w, a_in):
        return np.concatenate(self.through_time(arith, delta, w, a_in)[2], axis=1)

    def slot_products(self, delta, a_in):
        dz, _, _, joined = self.through_time(_Plain, delta, self.w, a_in)
        if self.slip == ("bptt_last_step",):  # the mistake: BPTT truncated to the last step
            return dz[-1][:, :, None] * joined[-1][:, None, :], dz[-1] * 1
        pw = sum(d[:, :, None] * u[:, None, :] for d, u in zip(dz, joined))
        return pw, sum(dz[1:], dz[0] * 1)

    def gradients(self, delta, a_in):
        pw, pb = self.slot_products(delta, a_in)
        return np.sum(pw, axis=0), np.sum(pb, axis=0)

    def quantities(self, a_in, delta):
        """Per time step (samples × time × hidden): zₜ, hₜ, ∂ℓ/∂hₜ, f′(zₜ) = ∂hₜ/∂zₜ, ∂ℓ/∂zₜ, and [xₜ, hₜ₋₁],
        each weight's product at each step (samples × time × hidden × (features + hidden)), whose sum over time
        is its gradient."""
        joined, zs, hs = self.steps(_Plain, a_in, self.w, self.b)
        dz, dh, _, _ = self.through_time(_Plain, delta, self.w, a_in)
        terms = np.stack([d[:, :, None] * u[:, None, :] for d, u in zip(dz, joined)], axis=1)
        slopes = [self.cell.derivative(z, h, self.alpha) for z, h in zip(zs, hs[1:])]
        return {"recurrence_activation": self.cell.name, "pre_activation": np.stack(zs, axis=1),
                "hidden_state": np.stack(hs[1:], axis=1), "dl_dh": np.stack(dh, axis=1),
                "dh_dz_step": np.stack(slopes, axis=1), "dl_dz_step": np.stack(dz, axis=1),
                "step_inputs": np.stack(joined, axis=1), "step_terms": terms}

    def torch(self, torch, a, w, b):
        """The recurrence in PyTorch, step by step (gradcheck's independent reference)."""
        f = self.features
        x = a.reshape(a.shape[0], self.time, f)
        h = torch.zeros(a.shape[0], self.hidden, dtype=a.dtype) + torch.tensor(self.h0, dtype=a.dtype)
        out = []
        for t in range(self.time):
            h = self.cell.torch(torch, x[:, t] @ w[:, :f].T + h @ w[:, f:].T + b, self.alpha)
            out.append(h)
        return torch.cat(out, dim=1) if self.every else h

    def reads(self, i: int) -> list[int]:
        t = i // self.hidden if self.every else self.time - 1
        return list(range((t + 1) * self.features))

    def slot_deps(self, i: int, j: int | None, s: int, below: list[str] | None) -> list[tuple]:
        """Row i's products read every output unit's δ (through time) and, for an input weight, xⱼ at each step."""
        out = [("delta", m, s) for m in self.neurons]
        if j is not None and below and j < self.features:
            out += [("a", below[t * self.features + j], s) for t in range(self.time)]
        return out


class _Plain:
    """NumPy's order without recording: the kind's backward recomputing its own forward."""

    @staticmethod
    def affine(a, w, b):
        return a @ w.T + b

    @staticmethod
    def back(delta, w):
        return delta @ w
