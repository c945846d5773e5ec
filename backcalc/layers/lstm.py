"""The LSTM layer (`type: lstm`, as torch.nn.LSTM with one layer): each sample is time × features, and
at every step, with gate rows in torch's order i, f, g, o,

    i = σ(W_ii·x + W_hi·h + b_i)   f = σ(W_if·x + W_hf·h + b_f)
    g = tanh(W_ig·x + W_hg·h + b_g)   o = σ(W_io·x + W_ho·h + b_o)
    c' = f⊙c + i⊙g   h' = o⊙tanh(c')

from h₀ (`initial_state`) and c₀ (`initial_cell`), zeros by default. torch has two biases (b_ih, b_hh);
one bias b is their sum. Backward through time: ∂ℓ/∂cₜ = ∂ℓ/∂hₜ⊙o⊙(1 − tanh²cₜ) + fₜ₊₁⊙∂ℓ/∂cₜ₊₁ (the
cell path), and each gate's δ is ∂ℓ/∂gate times its activation's derivative.
"""

from __future__ import annotations

import numpy as np

from .gated import Gated, sigmoid


class Lstm(Gated):
    name = "lstm"
    gates = ("i", "f", "g", "o")
    cell_state = True
    spec_keys = ("type", "weights_input", "weights_hidden", "biases", "hidden_size", "initial_state",
                 "initial_cell", "return", "input_shape", "names")
    own_step_keys = ("c",)
    own_back_keys = ("dc",)

    def cell(self, arith, x, h, c, w, b) -> dict:
        n_h = self.hidden
        rec = arith.record  # by hand (--round): every value rounded as it is written down
        pre = rec(arith.affine(np.concatenate([x, h], axis=1), w, b))
        i, f, o = (rec(sigmoid(pre[:, k * n_h:(k + 1) * n_h])) for k in (0, 1, 3))
        g = rec(np.tanh(pre[:, 2 * n_h:3 * n_h]))
        c_new = rec(f * c + i * g)
        return {"x": x, "h_prev": h, "c_prev": c, "pre": pre, "gate": np.concatenate([i, f, g, o], axis=1),
                "c": c_new, "h": rec(o * rec(np.tanh(c_new)))}

    def cell_back(self, arith, step, dh, dc_next, w) -> dict:
        """One step back: ∂ℓ/∂c, each gate's δ, and what goes on to xₜ, hₜ₋₁ and cₜ₋₁."""
        n_h = self.hidden
        i, f, g, o = (step["gate"][:, k * n_h:(k + 1) * n_h] for k in range(4))
        rec = arith.record
        tc = rec(np.tanh(step["c"]))
        dc = rec(dh * o * (1 - tc * tc) + dc_next)
        d = rec(np.concatenate([dc * g * i * (1 - i), dc * step["c_prev"] * f * (1 - f), dc * i * (1 - g * g),
                                dh * tc * o * (1 - o)], axis=1))
        back = rec(arith.back(d, w))
        return {"d_in": d, "d_hid": d, "dx": back[:, :self.features], "dh_prev": back[:, self.features:],
                "dc": dc, "dc_prev": rec(dc * f)}

    def torch_parameters(self, torch, w, b):
        f = self.features
        return {"weight_ih_l0": w[:, :f], "weight_hh_l0": w[:, f:], "bias_ih_l0": b,
                "bias_hh_l0": torch.zeros_like(b)}  # one bias: their sum
