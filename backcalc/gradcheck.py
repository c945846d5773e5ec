"""Check every analytic gradient against central finite differences (and torch.autograd if present).

The loss is the step's: the first batch, reduced as the spec says. Each distinct
parameter (tied slots share one) is nudged by ±ε; the central difference
(L(θ+ε) − L(θ−ε)) / 2ε is compared with backcalc's backward pass by the
relative error |g − n| / max(|g|, |n|). Differences below the floating-point
noise of the finite difference itself (10·ε_mach·max(|L|, 1)/ε) count as
agreement, so zero gradients compare cleanly. A ReLU whose weighted sum crosses
0 between θ−ε and θ+ε has no derivative there; such a parameter is reported as
"kink" and is not counted as a disagreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .network import Network
from .result import plain
from .spec import Spec

DEFAULT_EPS = 1e-6
DEFAULT_TOL = 1e-5
# Each checked parameter costs two forward passes over the batch; past this many parameters a
# fixed random sample of them is checked (--max-params), so a large network takes seconds, not hours.
DEFAULT_MAX_PARAMS = 200
SAMPLE_SEED = 0
KINKED = ("relu", "leaky_relu")


@dataclass
class GradRow:
    name: str
    analytic: float
    numeric: float
    rel_error: float
    status: str  # "ok" | "FAIL" | "kink"
    torch: float | None = None
    torch_rel_error: float | None = None
    torch_status: str | None = None  # "ok" | "FAIL" | None (torch not used)

    @property
    def ok(self) -> bool:
        return self.status != "FAIL" and self.torch_status != "FAIL"

    def to_dict(self) -> dict:
        d = {"name": self.name, "analytic": plain(self.analytic), "finite_difference": plain(self.numeric),
             "rel_error": plain(self.rel_error), "status": self.status}
        if self.torch_status is not None:
            d.update({"torch": plain(self.torch), "torch_rel_error": plain(self.torch_rel_error),
                      "torch_status": self.torch_status})
        return d


@dataclass
class GradcheckResult:
    name: str | None
    eps: float
    tol: float
    loss: float
    batch: list[int]
    rows: list[GradRow]
    torch_version: str | None = None  # None: torch was not used
    torch_skipped: str | None = None  # why not: "not installed" | "not requested"
    notes: list[str] = field(default_factory=list)
    n_parameters: int = 0  # how many distinct parameters the network has (rows: those checked)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failures(self) -> list[str]:
        return [r.name for r in self.rows if not r.ok]

    def to_dict(self) -> dict:
        return {"name": self.name, "eps": self.eps, "tol": self.tol, "loss": plain(self.loss), "batch": self.batch,
                "torch": self.torch_version, **({"torch_skipped": self.torch_skipped} if self.torch_skipped else {}),
                "ok": self.ok, "checked": len(self.rows), "of": self.n_parameters,
                "parameters": [r.to_dict() for r in self.rows],
                "notes": self.notes}


def relative_error(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|), and 0 when both are 0."""
    diff = abs(a - b)
    return 0.0 if diff == 0 else diff / max(abs(a), abs(b))


def _agree(a: float, b: float, tol: float, floor: float) -> bool:
    diff = abs(a - b)
    return math.isfinite(diff) and (diff <= floor or relative_error(a, b) <= tol)


def gradcheck(spec: Spec, eps: float = DEFAULT_EPS, tol: float = DEFAULT_TOL,
              use_torch: bool = True, max_params: int | None = DEFAULT_MAX_PARAMS) -> GradcheckResult:
    """Compare backcalc's gradients on the first batch with finite differences and, optionally, torch.

    With more than `max_params` distinct parameters (None: no limit), a fixed random sample of
    `max_params` of them (seed 0, in the network's order) is checked.
    """
    net = Network(spec)
    batch = slice(0, spec.effective_batch_size)
    x, t = spec.inputs[batch], spec.targets[batch]
    theta0 = net.theta.copy()

    def loss_and_pattern(theta):
        net.set_theta(theta)
        trace = net.forward(x)
        per_sample, _ = net.losses(trace, t)
        pattern = [trace.z[li] > 0 for li, act in enumerate(net.activations) if act.name in KINKED]
        return float(net.reduce(per_sample)), pattern

    loss0, pattern0 = loss_and_pattern(theta0)
    net.set_theta(theta0)
    analytic = net.backward(net.forward(x), t, record=False).grad.astype(float)
    floor = 10 * np.finfo(float).eps * max(abs(loss0), 1.0) / eps

    n_params = len(theta0)
    chosen = np.arange(n_params)
    if max_params is not None and n_params > max_params:
        chosen = np.sort(np.random.default_rng(SAMPLE_SEED).choice(n_params, size=max_params, replace=False))
    numeric = np.zeros_like(analytic)
    kinks = np.zeros(len(analytic), dtype=bool)
    for k in chosen:
        plus, minus = theta0.copy(), theta0.copy()
        plus[k] += eps
        minus[k] -= eps
        lp, pp = loss_and_pattern(plus)
        lm, pm = loss_and_pattern(minus)
        numeric[k] = (lp - lm) / (2 * eps)
        kinks[k] = any(not np.array_equal(a, b) for p in (pp, pm) for a, b in zip(p, pattern0, strict=True))
    net.set_theta(theta0)

    rows = []
    for k in chosen:
        name = net.names[k]
        rel = relative_error(analytic[k], numeric[k])
        bad = not _agree(analytic[k], numeric[k], tol, floor)
        status = "kink" if kinks[k] and bad else ("FAIL" if bad else "ok")
        rows.append(GradRow(name, float(analytic[k]), float(numeric[k]), rel, status))

    notes = []
    if not math.isfinite(loss0):
        notes.append(f"the loss is {loss0} at the spec's parameters, so neither the gradients nor their finite "
                     "differences are finite numbers and none can be checked; rescale the inputs or weights "
                     "(`backcalc step` names the first value that overflows)")
    if kinks.any():
        notes.append("a ReLU's weighted sum crosses 0 within ±ε of " +
                     ", ".join(net.names[k] for k in chosen if kinks[k]) +
                     ": the loss has a kink there, so finite differences cannot check those gradients")
    if len(chosen) < n_params:
        notes.append(f"checked {len(chosen):,} of the {n_params:,} parameters, a fixed random sample "
                     "(--max-params sets how many; 0 checks all)")
    version, skipped = None, "not requested"
    if use_torch:
        grads, version = torch_gradients(spec, net, x, t)
        if grads is not None:
            for row, g in zip(rows, grads[chosen], strict=True):
                row.torch = float(g)
                row.torch_rel_error = relative_error(row.analytic, row.torch)
                agree = _agree(row.analytic, row.torch, tol, 1e-14 * max(abs(loss0), 1.0))
                row.torch_status = "ok" if agree else "FAIL"
        skipped = None if grads is not None else "not installed"
    return GradcheckResult(spec.name, eps, tol, loss0, list(range(spec.n_samples))[batch], rows, version, skipped,
                           notes, n_params)


def torch_gradients(spec: Spec, net: Network, x: np.ndarray, t: np.ndarray):
    """∂L/∂θ from torch.autograd on the same network (float64), or (None, None) without torch."""
    try:
        import torch
    except ImportError:
        return None, None
    f = torch.float64
    theta = torch.tensor(np.asarray(net.theta, dtype=float), dtype=f, requires_grad=True)
    a = torch.tensor(x, dtype=f)
    tt = torch.tensor(t, dtype=f)
    z = a
    for wi, bi, act, alpha in zip(net.w_index, net.b_index, net.activations, net.alphas, strict=True):
        w = theta[torch.as_tensor(wi)]
        b = theta[torch.as_tensor(bi)]
        z = a @ w.T + b
        a = _torch_activation(torch, act.name, z, float(alpha))
    per_sample = _torch_loss(torch, spec.loss, net.activations[-1].name, z, a, tt)
    total = per_sample.mean() if spec.reduction == "mean" else per_sample.sum()
    (grad,) = torch.autograd.grad(total, theta)
    return grad.detach().numpy(), torch.__version__


def _torch_activation(torch, name: str, z, alpha: float):
    if name == "identity":
        return z
    if name == "relu":
        return torch.relu(z)
    if name == "leaky_relu":
        return torch.where(z > 0, z, alpha * z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    return torch.softmax(z, dim=-1)


def _torch_loss(torch, name: str, out_act: str, z, y, t):
    k = y.shape[-1]
    if name == "squared_error":
        return ((y - t) ** 2).sum(-1)
    if name == "half_squared_error":
        return ((y - t) ** 2).sum(-1) / 2
    if name == "mse":
        return ((y - t) ** 2).sum(-1) / k
    if name == "bce":
        if out_act == "sigmoid":
            return torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none").sum(-1) / k
        return -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum(-1) / k
    # cross_entropy
    if out_act == "softmax":
        logy = torch.log_softmax(z, dim=-1)
    elif out_act == "sigmoid":
        logy = torch.nn.functional.logsigmoid(z)
    else:
        logy = torch.log(y)
    return -(torch.where(t == 0, torch.zeros_like(t), t * logy)).sum(-1)
