"""The optimizers' update math in place over one flat float vector, for the fast trainer.

The same operations, in the same order, as `optimizers.Optimizer._sgd/_adam`
(torch's single-tensor path), written as in-place NumPy passes over
preallocated buffers: nothing is allocated per batch. Adam's bias corrections
are Python floats of the one step count all live parameters share (a state
read from a file may give them different counts: then they are per-element
arrays, as the reference computes them). Frozen entries take part in the
passes (masking every pass would cost more than it saves) and are put back,
value and state, after each step.
"""

from __future__ import annotations

import numpy as np

from .optimizers import OptimizerSpec, State


class InPlaceStep:
    """One optimizer's step `p ← step(p, g)` over vectors of `n` entries, with its state kept in that order."""

    def __init__(self, config: OptimizerSpec, lr: float, frozen: np.ndarray):
        self.config, self.lr = config, float(lr)
        self.frozen = np.flatnonzero(frozen)
        self.live = ~np.asarray(frozen, dtype=bool)
        n = len(self.live)
        self.keys = [k for k in config.state_keys if k != "step"]
        self.buffers = {k: np.zeros(n) for k in self.keys}
        self.active = np.zeros(n, dtype=bool)
        self.steps = np.zeros(n, dtype=np.int64)
        self.tmp, self.tmp2 = np.empty(n), np.empty(n)
        self.t: int | None = 0  # the live parameters' shared step count (None: they differ)
        self.first: bool | None = True  # momentum: no live parameter has a buffer yet (None: some have)
        self._kept: tuple = ()

    def load(self, state: State, order: np.ndarray | None = None) -> None:
        """Take `state` (over theta; `order[i]` is the theta entry of vector entry i)."""
        pick = (lambda a: a.copy()) if order is None else (lambda a: a[order])
        self.active, self.steps = pick(state.active), pick(state.step)
        for k in self.keys:
            self.buffers[k][...] = pick(state.buffers[k])
        live_steps, live_active = self.steps[self.live], self.active[self.live]
        if not live_steps.size:
            self.t = 0
        else:
            self.t = int(live_steps[0]) if (live_steps == live_steps[0]).all() else None
        self.first = None if live_active.any() and not live_active.all() else not live_active.any()

    def state(self, order: np.ndarray | None = None, size: int | None = None) -> State:
        """The state now, over theta (`order` as for `load`, `size` theta's length)."""
        steps = self.steps
        if self.config.is_adam and self.t is not None:
            steps = np.where(self.live, self.t, self.steps)
        out = State(self.active.copy(), steps.copy(), {k: b.copy() for k, b in self.buffers.items()})
        if order is None:
            return out
        theta_order = State(np.zeros(size, dtype=bool), np.zeros(size, dtype=np.int64),
                            {k: np.zeros(size) for k in self.keys})
        theta_order.active[order] = out.active
        theta_order.step[order] = out.step
        for k in self.keys:
            theta_order.buffers[k][order] = out.buffers[k]
        return theta_order

    def step(self, p: np.ndarray, g: np.ndarray) -> None:
        """One step in place: `p` the parameters, `g` their gradient (overwritten)."""
        fz = self.frozen
        if fz.size:
            self._kept = (p[fz], {k: b[fz] for k, b in self.buffers.items()})
        if self.config.is_adam:
            self._adam(p, g)
        else:
            self._sgd(p, g)
        if fz.size:
            p[fz] = self._kept[0]
            for k, b in self.buffers.items():
                b[fz] = self._kept[1][k]

    def _sgd(self, p, g) -> None:
        c, tmp = self.config, self.tmp
        if c.weight_decay != 0:
            np.multiply(p, c.weight_decay, out=tmp)  # torch: g + λ·p
            g += tmp
        d = g
        if c.momentum != 0:
            buf = self.buffers["momentum_buffer"]
            if self.first is None:  # some parameters have a buffer: the reference's np.where
                later = buf * c.momentum + (1 - c.dampening) * g
                np.copyto(buf, np.where(self.active, later, g))
            elif self.first:
                np.copyto(buf, g)  # the first buffer is the gradient itself
            else:
                buf *= c.momentum
                if c.dampening != 0:
                    np.multiply(g, 1 - c.dampening, out=tmp)
                    buf += tmp
                else:
                    buf += g
            self.active |= self.live
            self.first = False
            if c.nesterov:
                np.multiply(buf, c.momentum, out=tmp)
                g += tmp  # g + μ·b
            else:
                d = buf
        np.multiply(d, self.lr, out=self.tmp2)
        p -= self.tmp2

    def _adam(self, p, g) -> None:
        c, tmp, tmp2, lr = self.config, self.tmp, self.tmp2, self.lr
        beta1, beta2 = c.betas
        if c.weight_decay != 0:
            if c.name == "adamw":
                p *= 1 - lr * c.weight_decay
            else:
                np.multiply(p, c.weight_decay, out=tmp)
                g += tmp
        m, v = self.buffers["exp_avg"], self.buffers["exp_avg_sq"]
        w = 1 - beta1  # torch.lerp(m, g, w), its branch for |w| < 0.5 (else the other one)
        np.subtract(g, m, out=tmp)
        if abs(w) < 0.5:
            tmp *= w
            m += tmp
        else:
            tmp *= 1 - w
            np.subtract(g, tmp, out=m)
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp
        self.active |= self.live
        if self.t is not None:
            self.t += 1
            t = float(self.t)
            step_size, bc2_sqrt = lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5
        else:
            self.steps[self.live] += 1
            t = np.maximum(self.steps, 1).astype(float)
            step_size, bc2_sqrt = lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5
        np.sqrt(v, out=tmp)
        tmp /= bc2_sqrt
        tmp += c.eps
        np.multiply(m, -step_size, out=tmp2)
        tmp2 /= tmp
        p += tmp2
