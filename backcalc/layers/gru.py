"""The GRU layer (`type: gru`, as torch.nn.GRU with one layer): each sample is time × features, and at
every step, with gate rows in torch's order r, z, n,

    r = σ(W_ir·x + b_ir + W_hr·h + b_hr)   z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
    n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn))   h' = (1 − z)⊙n + z⊙h

from h₀ (`initial_state`, zeros by default). The n gate needs torch's two biases apart, so the spec
gives both: `biases_input` (torch's bias_ih_l0) and `biases_hidden` (bias_hh_l0). The spec model keeps
the hidden side's affine map W_hh·h + b_hh as one row [W_hh | b_hh] against [h, 1], beside W_ih:
each row is [W_ih | W_hh | b_hh] and the row's bias is b_ih. Backward: the input side of a gate gets
its δ, the hidden side the same δ for r and z, and δₙ⊙r for n.
"""

from __future__ import annotations

import numpy as np

from .gated import Gated, sigmoid


class Gru(Gated):
    name = "gru"
    gates = ("r", "z", "n")
    spec_keys = ("type", "weights_input", "weights_hidden", "biases_input", "biases_hidden", "hidden_size",
                 "initial_state", "return", "input_shape", "names")
    own_step_keys = ("input_part", "hidden_part")
    own_back_keys = ("d_hid",)
    bias_letter = "bx"
    spec_bias_key = "biases_input"

    def cell(self, arith, x, h, c, w, b) -> dict:
        f, n_h = self.features, self.hidden
        rec = arith.record  # by hand (--round): every value rounded as it is written down
        gi = rec(arith.affine(x, w[:, :f], b))  # W_ih·x + b_ih
        gh = rec(arith.affine(h, w[:, f:f + n_h], w[:, f + n_h]))  # W_hh·h + b_hh
        pre_rz = rec(gi[:, :2 * n_h] + gh[:, :2 * n_h])
        r, z = rec(sigmoid(pre_rz[:, :n_h])), rec(sigmoid(pre_rz[:, n_h:]))
        n_pre = rec(gi[:, 2 * n_h:] + r * gh[:, 2 * n_h:])
        n = rec(np.tanh(n_pre))
        pre = np.concatenate([pre_rz, n_pre], axis=1)
        return {"x": x, "h_prev": h, "pre": pre, "gate": np.concatenate([r, z, n], axis=1),
                "input_part": gi, "hidden_part": gh, "h": rec((1 - z) * n + z * h)}

    def cell_back(self, arith, step, dh, dc_next, w) -> dict:
        """One step back: each gate's δ on the input side (d_in) and the hidden side (d_hid), and what
        goes on to xₜ and hₜ₋₁."""
        f, n_h = self.features, self.hidden
        r, z, n = (step["gate"][:, k * n_h:(k + 1) * n_h] for k in range(3))
        rec = arith.record
        d_n = rec(dh * (1 - z) * (1 - n * n))
        d_r = rec(d_n * step["hidden_part"][:, 2 * n_h:] * r * (1 - r))
        d_z = rec(dh * (step["h_prev"] - n) * z * (1 - z))
        d_in = np.concatenate([d_r, d_z, d_n], axis=1)
        d_hid = np.concatenate([d_r, d_z, rec(d_n * r)], axis=1)
        return {"d_in": d_in, "d_hid": d_hid, "dx": rec(arith.back(d_in, w[:, :f])),
                "dh_prev": rec(dh * z + arith.back(d_hid, w[:, f:f + n_h]))}

    def hidden_columns(self, h_prev):
        return np.concatenate([h_prev, np.ones((h_prev.shape[0], 1))], axis=1)

    def torch_parameters(self, torch, w, b):
        f, n_h = self.features, self.hidden
        return {"weight_ih_l0": w[:, :f], "weight_hh_l0": w[:, f:f + n_h], "bias_ih_l0": b,
                "bias_hh_l0": w[:, f + n_h]}

    @classmethod
    def extra_names(cls, gate: str, L: int, k: int) -> list[str]:
        return [f"bh{gate}{L}[{k + 1}]"]  # torch's b_hh, the last column of the row

    @classmethod
    def blocks(cls, options: dict) -> list:
        f, n_h = options["features"], options["hidden"]
        return [(0, f), (f, f + n_h), None, (f + n_h, f + n_h + 1)]
