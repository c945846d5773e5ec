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
from .gated import Recurrent


class Rnn(Recurrent):
    name = "rnn"
    spec_keys = ("type", "weights_input", "weights_hidden", "biases", "hidden_size", "activation", "alpha",
                 "initial_state", "return", "input_shape", "names")

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        self.cell = self.activation  # the recurrence's f; the layer as a whole hands h on as it is
        self.activation = get_activation("identity")

    def steps(self, arith, a_in, w, b):
        """The forward through time: ([xₜ, hₜ₋₁] per step, zₜ per step, hₜ per step, h₀ first)."""
        n, f = a_in.shape[0], self.features
        h = np.zeros((n, self.hidden), dtype=a_in.dtype) + self.start(a_in.dtype)
        joined, zs, hs = [], [], [h]
        for t in range(self.time):
            u = np.concatenate([a_in[:, t * f:(t + 1) * f], hs[-1]], axis=1)
            z = arith.record(arith.affine(u, w, b))  # by hand (--round): zₜ and hₜ rounded at every step
            joined.append(u)
            zs.append(z)
            hs.append(arith.record(self.cell.forward(z, self.alpha)))
        return joined, zs, hs

    def start(self, dtype):
        """h₀ in the arithmetic's numbers (exact: each number's value as the spec wrote it, 0.1 → 1/10)."""
        if dtype.kind != "O":
            return self.h0.astype(dtype)
        from ..exact import to_fractions  # only for an exact step (a float one imports no fractions)

        return to_fractions(np.array(self.h0_given, dtype=object))

    def weighted_sum(self, arith, a_in, w, b):
        self.w, self.b, self.arith = w, b, arith  # the kind's backward reads the weights the forward used
        hs = self.forward_steps(arith, a_in, w, b, fresh=True)[2]
        return np.concatenate(hs[1:], axis=1) if self.every else hs[-1]

    def through_time(self, arith, delta, w, a_in):
        """BPTT: (∂ℓ/∂zₜ per step, ∂ℓ/∂hₜ per step, ∂ℓ/∂xₜ per step), from the output's δ."""
        return self.remembered("_bptt", (arith, delta, w, a_in), lambda: self._through_time(arith, delta, w, a_in))

    def _through_time(self, arith, delta, w, a_in):
        joined, zs, hs = self.forward_steps(arith, a_in, w, self.b)
        f, n_h = self.features, self.hidden
        dz, dh, dx = [None] * self.time, [None] * self.time, [None] * self.time
        carried = np.zeros_like(delta[:, :n_h])
        for t in reversed(range(self.time)):
            sent = delta[:, t * n_h:(t + 1) * n_h] if self.every else (delta if t == self.time - 1 else 0 * delta)
            dh[t] = arith.record(sent + carried)
            dz[t] = arith.record(dh[t] * self.slope(arith, zs[t], hs[t + 1]))
            back = arith.record(arith.back(dz[t], w))
            dx[t], carried = back[:, :f], back[:, f:]
        return dz, dh, dx, joined

    def slope(self, arith, z, h):
        """∂hₜ/∂zₜ = f′(zₜ) (as written down: rounded by hand)."""
        return arith.record(self.cell.derivative(z, h, self.alpha))

    def back(self, arith, delta, w, a_in):
        return np.concatenate(self.through_time(arith, delta, w, a_in)[2], axis=1)

    def slot_products(self, delta, a_in):
        dz, _, _, joined = self.through_time(self.arith, delta, self.w, a_in)
        terms = [self.arith.record(d[:, :, None] * u[:, None, :]) for d, u in zip(dz, joined)]
        if self.slip == ("bptt_last_step",):  # the mistake: BPTT truncated to the last step
            return terms[-1], dz[-1] * 1
        pw = sum(terms)
        return pw, sum(dz[1:], dz[0] * 1)

    def gradients(self, delta, a_in):
        pw, pb = self.slot_products(delta, a_in)
        return np.sum(pw, axis=0), np.sum(pb, axis=0)

    def train_gradients(self, delta, a_in):
        """`gradients` for training: each step's products summed over the batch by one matrix product."""
        if self.slip is not None or self.arith.sequential:
            return self.gradients(delta, a_in)
        dz, _, _, joined = self.through_time(self.arith, delta, self.w, a_in)
        return sum(d.T @ u for d, u in zip(dz, joined)), sum(d.sum(axis=0) for d in dz)

    def quantities(self, a_in, delta):
        """Per time step (samples × time × hidden): zₜ, hₜ, ∂ℓ/∂hₜ, f′(zₜ) = ∂hₜ/∂zₜ, ∂ℓ/∂zₜ, and [xₜ, hₜ₋₁],
        each weight's product at each step (samples × time × hidden × (features + hidden)), whose sum over time
        is its gradient."""
        arith = self.arith
        joined, zs, hs = self.forward_steps(arith, a_in, self.w, self.b)
        dz, dh, _, _ = self.through_time(arith, delta, self.w, a_in)
        terms = np.stack([arith.record(d[:, :, None] * u[:, None, :]) for d, u in zip(dz, joined)], axis=1)
        slopes = [self.slope(arith, z, h) for z, h in zip(zs, hs[1:])]
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

    @staticmethod
    def default_names(options: dict, li: int) -> tuple[list[str], list[str]]:
        """W_x then W_h, side by side in each row (`Wx1[1,2]`, `Wh1[1,1]`), then `b1[1]`, 1-based."""
        f, n_h, L = options["features"], options["hidden"], li + 1
        names = [[f"Wx{L}[{i + 1},{j + 1}]" for j in range(f)] + [f"Wh{L}[{i + 1},{k + 1}]" for k in range(n_h)]
                 for i in range(n_h)]
        return [n for row in names for n in row], [f"b{L}[{i + 1}]" for i in range(n_h)]

    @staticmethod
    def slot_path(options: dict, i: int, j: int | None) -> str:
        """The spec key of weight row i, column j (None: its bias)."""
        f = options["features"]
        if j is None:
            return f"biases[{i}]"
        return f"weights_input[{i}][{j}]" if j < f else f"weights_hidden[{i}][{j - f}]"
