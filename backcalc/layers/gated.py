"""What the gated recurrent layers (lstm.py, gru.py) share: the loop over time forward, backpropagation
through time backward, each weight's product at every step (its gradient their sum over time) and the
per-step quantities the tables and JSON show.

The spec model keeps a layer's weights side by side as one array, one row per gate unit (torch's
weight_ih_l0 beside weight_hh_l0, gate rows in torch's order), so that `theta`, tying, freezing and
the optimizers serve it unchanged. As for the rnn, at the protocol's level the layer's z is its output
(h_T, or every hₜ with `return: all`) and a = z; the gates live inside the recurrence. A kind gives its
`gates`, its cell forward (`cell`) and backward (`cell_back`) for one step, and its torch module.
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from .activated import Activated

RECURRENT = ("rnn", "gru", "lstm")  # the kinds that loop over time steps inside the layer


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Recurrent(Activated):
    """What every recurrent kind (rnn, gru, lstm) shares: its sizes, h₀, what it returns and reads."""

    slots = ("weights", "biases")

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        o = self.options
        self.time, self.features, self.hidden = o["time"], o["features"], o["hidden"]
        self.every = o["return"] == "all"
        self.h0 = np.array(o["initial_state"], dtype=float)
        self.h0_given = list(o["initial_state"])  # as read: an ExactFloat keeps its text's exact value
        self.w, self.b = layer.weights, layer.biases

    def forward_steps(self, arith, a_in, w, b, fresh: bool = False):
        """`steps()`, computed once per forward: the backward, the products and the quantities of the same
        batch, weights and arithmetic reuse the forward's (the forward itself always computes them anew)."""
        key = (arith, a_in, w, b)
        if fresh:
            self._bptt = None
        return self.remembered("_steps", key, lambda: self.steps(arith, a_in, w, b), fresh)

    def reads(self, i: int) -> list[int]:
        t = i // self.hidden if self.every else self.time - 1
        return list(range((t + 1) * self.features))

    def slot_deps(self, i: int, j: int | None, s: int, below: list[str] | None) -> list[tuple]:
        """Row i's products read every output unit's δ (through time) and, for an input weight, xⱼ at each step."""
        out = [("delta", m, s) for m in self.neurons]
        if j is not None and below and j < self.features:
            out += [("a", below[t * self.features + j], s) for t in range(self.time)]
        return out



class Gated(Recurrent):
    """A recurrent layer with gates; a subclass names them and gives one step forward and back."""

    name = ""
    gates: tuple[str, ...] = ()
    cell_state = False  # the LSTM carries a cell state c beside h

    def __init__(self, layer, alpha=None):
        super().__init__(layer, alpha)
        self.activation = get_activation("identity")  # the layer hands h on as it is
        self.c0 = np.array(self.options.get("initial_cell", [0.0] * self.hidden), dtype=float)

    def steps(self, arith, a_in, w, b) -> list[dict]:
        """The forward through time: one dict per step (x, h and c before, the gates, h and c after)."""
        n, f = a_in.shape[0], self.features
        h = np.zeros((n, self.hidden)) + self.h0
        c = np.zeros((n, self.hidden)) + self.c0
        out = []
        for t in range(self.time):
            step = self.cell(arith, a_in[:, t * f:(t + 1) * f], h, c, w, b)
            out.append(step)
            h, c = step["h"], step.get("c", c)
        return out

    def weighted_sum(self, arith, a_in, w, b):
        self.w, self.b, self.arith = w, b, arith  # the kind's backward reads the weights the forward used
        hs = [s["h"] for s in self.forward_steps(arith, a_in, w, b, fresh=True)]
        return np.concatenate(hs, axis=1) if self.every else hs[-1]

    def through_time(self, arith, delta, w, a_in):
        """BPTT from the output's δ: (the forward's steps, each step's backward dict, ∂ℓ/∂xₜ per step)."""
        return self.remembered("_bptt", (arith, delta, w, a_in), lambda: self._through_time(arith, delta, w, a_in))

    def _through_time(self, arith, delta, w, a_in):
        steps = self.forward_steps(arith, a_in, w, self.b)
        n_h = self.hidden
        backs, dx = [None] * self.time, [None] * self.time
        dh_next = np.zeros_like(delta[:, :n_h])
        dc_next = np.zeros_like(delta[:, :n_h])
        for t in reversed(range(self.time)):
            sent = delta[:, t * n_h:(t + 1) * n_h] if self.every else (delta if t == self.time - 1 else 0 * delta)
            dh = arith.record(sent + dh_next)
            back = self.cell_back(arith, steps[t], dh, dc_next, w)
            back["dh"] = dh
            backs[t], dx[t] = back, back["dx"]
            dh_next, dc_next = back["dh_prev"], back.get("dc_prev", dc_next)
            if self.slip == ("forgot_cell_path",):  # the mistake: ∂ℓ/∂cₜ₋₁ without f⊙∂ℓ/∂cₜ
                dc_next = 0 * dc_next
        return steps, backs, dx

    def back(self, arith, delta, w, a_in):
        return np.concatenate(self.through_time(arith, delta, w, a_in)[2], axis=1)

    def step_products(self, delta, a_in):
        """Per step: (each weight's product samples × rows × columns, each bias's samples × rows, the
        columns' inputs [xₜ, hₜ₋₁, …] samples × columns)."""
        steps, backs, _ = self.through_time(self.arith, delta, self.w, a_in)
        out = []
        for step, back in zip(steps, backs):
            u_in, u_hid = step["x"], self.hidden_columns(step["h_prev"])
            pw = self.arith.record(np.concatenate([back["d_in"][:, :, None] * u_in[:, None, :],
                                                   back["d_hid"][:, :, None] * u_hid[:, None, :]], axis=2))
            out.append((pw, back["d_in"], np.concatenate([u_in, u_hid], axis=1)))
        return out, steps, backs

    def hidden_columns(self, h_prev):
        """The inputs of the hidden side's weight columns: hₜ₋₁ (the GRU adds a 1 for b_hh)."""
        return h_prev

    def slot_products(self, delta, a_in):
        per_step = self.step_products(delta, a_in)[0]
        if self.slip == ("bptt_last_step",):  # the mistake: BPTT truncated to the last step
            return per_step[-1][0], per_step[-1][1] * 1
        return sum(p[0] for p in per_step), sum(p[1] for p in per_step)

    def gradients(self, delta, a_in):
        pw, pb = self.slot_products(delta, a_in)
        return np.sum(pw, axis=0), np.sum(pb, axis=0)

    def train_gradients(self, delta, a_in):
        """`gradients` for training: each step's products summed over the batch by matrix products."""
        if self.slip is not None or self.arith.sequential:
            return self.gradients(delta, a_in)
        steps, backs, _ = self.through_time(self.arith, delta, self.w, a_in)
        gw = sum(np.concatenate([b["d_in"].T @ s["x"], b["d_hid"].T @ self.hidden_columns(s["h_prev"])], axis=1)
                 for s, b in zip(steps, backs))
        return gw, sum(b["d_in"].sum(axis=0) for b in backs)

    def quantities(self, a_in, delta):
        """Per time step (samples × time × …): each gate's pre-activation and value, c and h, ∂ℓ/∂h,
        ∂ℓ/∂c, each gate's δ, the weight columns' inputs and each weight's product at each step."""
        per_step, steps, backs = self.step_products(delta, a_in)
        stack = lambda items: np.stack(items, axis=1)  # noqa: E731
        out = {"gates": list(self.gates), "features": self.features,
               "gate_pre_activation": stack([s["pre"] for s in steps]),
               "gate_value": stack([s["gate"] for s in steps]),
               "hidden_state": stack([s["h"] for s in steps]), "dl_dh": stack([b["dh"] for b in backs]),
               "gate_delta": stack([b["d_in"] for b in backs]),
               "step_inputs": stack([p[2] for p in per_step]), "step_terms": stack([p[0] for p in per_step])}
        out.update({key: stack([s[key] for s in steps]) for key in self.own_step_keys})
        out.update({key: stack([b[key] for b in backs]) for key in self.own_back_keys})
        return out

    own_step_keys: tuple[str, ...] = ()  # a kind's own per-step forward quantities (c, the GRU's two halves)
    own_back_keys: tuple[str, ...] = ()

    def torch(self, torch, a, w, b):
        """The layer in PyTorch's own module (gradcheck's independent reference)."""
        f, n_h = self.features, self.hidden
        module = getattr(torch.nn, self.name.upper())(f, n_h, batch_first=True, dtype=a.dtype)
        params = self.torch_parameters(torch, w, b)
        h0 = torch.tensor(self.h0, dtype=a.dtype).reshape(1, 1, n_h).expand(1, a.shape[0], n_h)
        state = (h0, torch.tensor(self.c0, dtype=a.dtype).reshape(1, 1, n_h).expand(1, a.shape[0], n_h)) \
            if self.cell_state else h0
        out, _ = torch.func.functional_call(module, params, (a.reshape(a.shape[0], self.time, f), state))
        return out.reshape(a.shape[0], -1) if self.every else out[:, -1]

    @classmethod
    def default_names(cls, options: dict, li: int) -> tuple[list[str], list[str]]:
        """Weight names row by row ([W_ih | W_hh] side by side: `Wxi1[1,2]` is torch's W_ii, unit 1,
        feature 2; `Whf1[2,1]` W_hf) and bias names (`bi1[1]`), 1-based."""
        f, n_h, L = options["features"], options["hidden"], li + 1
        rows = [(g, k) for g in cls.gates for k in range(n_h)]
        weights = [[f"Wx{g}{L}[{k + 1},{j + 1}]" for j in range(f)] + [f"Wh{g}{L}[{k + 1},{m + 1}]" for m in range(n_h)]
                   + cls.extra_names(g, L, k) for g, k in rows]
        return [n for row in weights for n in row], [f"{cls.bias_letter}{g}{L}[{k + 1}]" for g, k in rows]

    bias_letter = "b"

    @classmethod
    def extra_names(cls, gate: str, L: int, k: int) -> list[str]:
        return []

    @classmethod
    def slot_path(cls, options: dict, i: int, j: int | None) -> str:
        """The spec key of weight row i, column j (None: its bias), as a located message names it."""
        f, n_h = options["features"], options["hidden"]
        if j is None:
            return f"{cls.spec_bias_key}[{i}]"
        if j < f:
            return f"weights_input[{i}][{j}]"
        return f"weights_hidden[{i}][{j - f}]" if j < f + n_h else f"biases_hidden[{i}]"

    spec_bias_key = "biases"

    @classmethod
    def blocks(cls, options: dict) -> list:
        """The spec's arrays in the order it writes them, as (first, last column) of the weights, None the biases."""
        f, n_h = options["features"], options["hidden"]
        return [(0, f), (f, f + n_h), None]


