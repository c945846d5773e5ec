"""The peers backcalc races: hand-written training loops doing the same work.

Every loop trains a two-layer sigmoid network (weights neurons × inputs) on the
same batches in the same order with plain SGD, computes each batch's loss as it
goes (as a training loop that reports its loss must), and returns the final
parameters. `tied_b1` makes the hidden biases one shared parameter, as in the
Mazur network (its gradient is the sum of the neurons' gradients).
"""

from __future__ import annotations

import math

import numpy as np


def numpy_loop(p: dict, epochs: int) -> dict:
    """A hand-written NumPy loop: what a competent user writes without a framework."""
    W1, b1, W2, b2 = p["W1"].copy(), p["b1"].copy(), p["W2"].copy(), p["b2"].copy()
    lr, c, wl, tied = p["lr"], p["c"], p["wl"], p["tied_b1"]
    batches = p["batches"]
    for _ in range(epochs):
        for x, t in batches:
            n = x.shape[0]
            a1 = 1.0 / (1.0 + np.exp(-(x @ W1.T + b1)))
            y = 1.0 / (1.0 + np.exp(-(a1 @ W2.T + b2)))
            diff = y - t
            loss = wl * np.sum(diff * diff) / n  # noqa: F841 (reported by a real loop)
            d2 = (c / n) * diff * y * (1.0 - y)
            d1 = (d2 @ W2) * a1 * (1.0 - a1)
            W2 -= lr * (d2.T @ a1)
            b2 -= lr * d2.sum(axis=0)
            W1 -= lr * (d1.T @ x)
            if tied:
                b1 -= lr * d1.sum()
            else:
                b1 -= lr * d1.sum(axis=0)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def python_loop_2_2_1(p: dict, epochs: int) -> dict:
    """A hand-unrolled pure-Python loop for the 2-2-1 sigmoid net with a shared hidden bias, one sample."""
    (w1, w2), (w3, w4) = p["W1"].tolist()
    b1 = float(p["b1"][0])
    w5, w6 = p["W2"][0].tolist()
    b2 = float(p["b2"][0])
    (x1, x2), = p["X"].tolist()
    (t,), = p["T"].tolist()
    lr, c, wl = p["lr"], p["c"], p["wl"]
    exp = math.exp
    for _ in range(epochs):
        h1 = 1.0 / (1.0 + exp(-(w1 * x1 + w2 * x2 + b1)))
        h2 = 1.0 / (1.0 + exp(-(w3 * x1 + w4 * x2 + b1)))
        o = 1.0 / (1.0 + exp(-(w5 * h1 + w6 * h2 + b2)))
        e = o - t
        loss = wl * e * e  # noqa: F841
        do = c * e * o * (1.0 - o)
        d1 = do * w5 * h1 * (1.0 - h1)
        d2 = do * w6 * h2 * (1.0 - h2)
        w5 -= lr * do * h1
        w6 -= lr * do * h2
        b2 -= lr * do
        w1 -= lr * d1 * x1
        w2 -= lr * d1 * x2
        w3 -= lr * d2 * x1
        w4 -= lr * d2 * x2
        b1 -= lr * (d1 + d2)
    return {"W1": np.array([[w1, w2], [w3, w4]]), "b1": np.array([b1, b1]),
            "W2": np.array([[w5, w6]]), "b2": np.array([b2])}


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_loop(p: dict, epochs: int) -> dict:
    """PyTorch on the CPU in float64, autograd and an in-place SGD step, as its tutorials write it."""
    import torch

    def param(a):
        return torch.tensor(a, dtype=torch.float64, requires_grad=True)

    W1, W2, b2 = param(p["W1"]), param(p["W2"]), param(p["b2"])
    b1 = param(p["b1"][0]) if p["tied_b1"] else param(p["b1"])
    params = [W1, b1, W2, b2]
    batches = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in p["batches"]]
    lr, wl = p["lr"], p["wl"]
    for _ in range(epochs):
        for x, t in batches:
            a1 = torch.sigmoid(x @ W1.T + b1)
            y = torch.sigmoid(a1 @ W2.T + b2)
            loss = wl * ((y - t) ** 2).sum() / x.shape[0]
            loss.backward()
            with torch.no_grad():
                for q in params:
                    q -= lr * q.grad
                    q.grad = None
    b1_out = b1.detach().numpy()
    return {"W1": W1.detach().numpy(), "b1": np.broadcast_to(b1_out, p["b1"].shape).copy(),
            "W2": W2.detach().numpy(), "b2": b2.detach().numpy()}


def full_loss(p: dict, params: dict) -> float:
    """The loss on all the data for given parameters: one formula judging every contender."""
    a1 = 1.0 / (1.0 + np.exp(-(p["X"] @ params["W1"].T + params["b1"])))
    y = 1.0 / (1.0 + np.exp(-(a1 @ params["W2"].T + params["b2"])))
    diff = y - p["T"]
    return float(p["wl"] * np.sum(diff * diff) / p["X"].shape[0])


# -- every optimizer, tied and frozen parameters, softmax + cross-entropy --------------------------
# One hand-written loop for the fast trainer's rows (benchmarks/fast_trainer.py): a two-layer network
# with a sigmoid hidden layer and a sigmoid (squared error) or softmax (cross-entropy) output, trained
# with the optimizer `p["opt"]` written out as its textbook formulas; `p["frozen_W1"]` (a mask) keeps
# those weights fixed, `tied_b1` shares the hidden bias.

def _forward(x, W1, b1, W2, b2, softmax: bool):
    a1 = 1.0 / (1.0 + np.exp(-(x @ W1.T + b1)))
    z2 = a1 @ W2.T + b2
    if softmax:
        z2 = z2 - z2.max(axis=1, keepdims=True)
        e = np.exp(z2)
        s = e.sum(axis=1, keepdims=True)
        return a1, e / s, z2 - np.log(s)  # probabilities and their logarithms
    return a1, 1.0 / (1.0 + np.exp(-z2)), None


class _Step:
    """The optimizer step a user writes: per parameter array, its own state."""

    def __init__(self, opt: dict, lr: float, params: list):
        self.name, self.lr = opt["name"], lr
        self.mu, self.nesterov = opt.get("momentum", 0.0), opt.get("nesterov", False)
        self.wd = opt.get("weight_decay", 0.0)
        self.b1, self.b2 = opt.get("betas", (0.9, 0.999))
        self.eps = opt.get("eps", 1e-8)
        self.t = 0
        self.m = [np.zeros_like(q) for q in params]
        self.v = [np.zeros_like(q) for q in params]

    def __call__(self, params: list, grads: list) -> None:
        lr = self.lr
        if self.name == "sgd":
            for q, g, buf in zip(params, grads, self.m):
                if self.mu:
                    if self.t:
                        buf *= self.mu
                        buf += g
                    else:
                        buf[...] = g
                    g = g + self.mu * buf if self.nesterov else buf
                q -= lr * g
            self.t += 1
            return
        self.t += 1
        c1, c2 = 1.0 - self.b1 ** self.t, 1.0 - self.b2 ** self.t
        for q, g, m, v in zip(params, grads, self.m, self.v):
            if self.name == "adamw" and self.wd:
                q *= 1.0 - lr * self.wd
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * g * g
            q -= (lr / c1) * m / (np.sqrt(v / c2) + self.eps)


def numpy_general(p: dict, epochs: int) -> dict:
    """The hand-written loop for any optimizer, tied hidden bias, frozen weights, softmax output."""
    W1, W2, b2 = p["W1"].copy(), p["W2"].copy(), p["b2"].copy()
    b1 = p["b1"][:1].copy() if p["tied_b1"] else p["b1"].copy()
    softmax, lr, c, wl = p["softmax"], p["lr"], p["c"], p["wl"]
    free = None if p.get("frozen_W1") is None else ~p["frozen_W1"]
    params = [W1, b1, W2, b2]
    step = _Step(p["opt"], lr, params)
    for _ in range(epochs):
        for x, t in p["batches"]:
            n = x.shape[0]
            a1, y, logy = _forward(x, W1, b1, W2, b2, softmax)
            if softmax:
                loss = -np.sum(t * logy) / n  # noqa: F841 (reported by a real loop)
                d2 = (y - t) / n
            else:
                diff = y - t
                loss = wl * np.sum(diff * diff) / n  # noqa: F841
                d2 = (c / n) * diff * y * (1.0 - y)
            d1 = (d2 @ W2) * a1 * (1.0 - a1)
            gW1 = d1.T @ x
            if free is not None:
                gW1 *= free
            gb1 = np.array([d1.sum()]) if p["tied_b1"] else d1.sum(axis=0)
            step(params, [gW1, gb1, d2.T @ a1, d2.sum(axis=0)])
    return {"W1": W1, "b1": np.broadcast_to(b1, p["b1"].shape).copy(), "W2": W2, "b2": b2}


def general_loss(p: dict, params: dict) -> float:
    """The loss on all the data, for `numpy_general`'s problems."""
    _, y, logy = _forward(p["X"], params["W1"], params["b1"], params["W2"], params["b2"], p["softmax"])
    n = p["X"].shape[0]
    if p["softmax"]:
        return float(-np.sum(p["T"] * logy) / n)
    diff = y - p["T"]
    return float(p["wl"] * np.sum(diff * diff) / n)
