"""Check every analytic gradient against central finite differences (and torch.autograd if present).

The loss is the step's: the first batch, reduced as the spec says. Each distinct
parameter p (tied slots share one) is nudged by ±h, h = ∛ε_mach·max(1, |p|) unless
`--eps` fixes it (the step that balances rounding against truncation for central
differences); the central difference (L(p+h) − L(p−h)) / 2h is compared with
backcalc's backward pass by the relative error |g − n| / max(|g|, |n|).

Each parameter gets a verdict: `agree` when the relative error shown is within the
tolerance; `undecidable` when it is not but the difference is within the noise floor,
the rounding error of the loss divided by h (finite differences cannot tell the two
apart; reason `noise`), or where a ReLU's weighted sum crosses 0 within ±h (the loss
has a kink there; reason `kink`); `disagree` otherwise. Only a disagreement fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .activations import KINKED
from .network import Backward, Network, Trace
from .result import plain
from .spec_model import Spec

DEFAULT_EPS = None  # None: the step h = ∛ε_mach·max(1, |p|) per parameter
DEFAULT_TOL = 1e-5
MACHINE_EPS = float(np.finfo(float).eps)
STEP_SCALE = MACHINE_EPS ** (1 / 3)  # ≈ 6.1e-6
# The loss's rounding error is bounded by a few ε_mach times the sizes its sums and products pass
# through (rounding_error); this factor covers the few operations each of those goes through.
ROUNDING_FACTOR = 4
# Each checked parameter costs two forward passes over the batch; past this many parameters a
# fixed random sample of them is checked (--max-params), so a large network takes seconds, not hours.
DEFAULT_MAX_PARAMS = 200
SAMPLE_SEED = 0
AGREE, DISAGREE, UNDECIDABLE = "agree", "disagree", "undecidable"


@dataclass
class GradRow:
    name: str
    analytic: float
    numeric: float
    rel_error: float
    verdict: str  # AGREE | DISAGREE | UNDECIDABLE
    step: float = 0.0  # the h used for this parameter (as represented: ((p + h) − (p − h)) / 2)
    noise_floor: float = 0.0  # the loss's rounding error / h: differences below it cannot be resolved
    reason: str | None = None  # why undecidable: "noise" | "kink"
    torch: float | None = None
    torch_rel_error: float | None = None
    torch_verdict: str | None = None  # AGREE | DISAGREE | None (torch not used)

    @property
    def ok(self) -> bool:
        return self.verdict != DISAGREE and self.torch_verdict != DISAGREE

    def to_dict(self) -> dict:
        d = {"name": self.name, "analytic": plain(self.analytic), "finite_difference": plain(self.numeric),
             "step": plain(self.step), "rel_error": plain(self.rel_error), "noise_floor": plain(self.noise_floor),
             "verdict": self.verdict, **({"reason": self.reason} if self.reason else {})}
        if self.torch_verdict is not None:
            d.update({"torch": plain(self.torch), "torch_rel_error": plain(self.torch_rel_error),
                      "torch_verdict": self.torch_verdict})
        return d


@dataclass
class GradcheckResult:
    name: str | None
    eps: float | None  # the fixed step, or None for h = ∛ε_mach·max(1, |p|)
    tol: float
    loss: float
    batch: list[int]
    rows: list[GradRow]
    torch_version: str | None = None  # None: torch was not used
    torch_skipped: str | None = None  # why not: "not installed" | "not requested"
    notes: list[str] = field(default_factory=list)
    n_parameters: int = 0  # how many distinct parameters the network has (rows: those checked)
    loss_rounding: float = 0.0  # the estimated rounding error of one evaluation of the loss

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failures(self) -> list[str]:
        return [r.name for r in self.rows if not r.ok]

    @property
    def undecided(self) -> list[GradRow]:
        return [r for r in self.rows if r.ok and r.verdict == UNDECIDABLE]

    @property
    def verdict(self) -> str:
        return DISAGREE if not self.ok else UNDECIDABLE if self.undecided else AGREE

    def to_dict(self) -> dict:
        return {"name": self.name, "eps": self.eps, "tol": self.tol, "loss": plain(self.loss),
                "loss_rounding": plain(self.loss_rounding), "batch": self.batch,
                "torch": self.torch_version, **({"torch_skipped": self.torch_skipped} if self.torch_skipped else {}),
                "ok": self.ok, "verdict": self.verdict, "checked": len(self.rows), "of": self.n_parameters,
                "parameters": [r.to_dict() for r in self.rows],
                "notes": self.notes}


def relative_error(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|), and 0 when both are 0."""
    diff = abs(a - b)
    return 0.0 if diff == 0 else diff / max(abs(a), abs(b))


def verdict(analytic: float, numeric: float, tol: float, noise_floor: float) -> str:
    """AGREE when the relative error is within `tol`, UNDECIDABLE when the difference is not above
    `noise_floor` (what finite differences can resolve), DISAGREE otherwise."""
    diff = abs(analytic - numeric)
    if diff == 0 or (math.isfinite(diff) and relative_error(analytic, numeric) <= tol):
        return AGREE
    if math.isfinite(diff) and diff <= noise_floor:
        return UNDECIDABLE
    return DISAGREE


def rounding_error(net: Network, trace: Trace, back: Backward, per_sample: np.ndarray) -> float:
    """A first-order bound on the rounding error of the reduced loss, in its own units.

    Every z = Σ w·a + b is rounded relative to Σ |w·a| + |b|, and that error reaches the loss
    times |∂ℓ/∂z| = |δ|; the loss's own sum is rounded relative to |ℓ|. Roundings elsewhere (each
    activation's) are of the same size as the next layer's, so a small factor covers them.
    """
    scale = len(per_sample) if net.spec.reduction == "mean" else 1
    total = float(np.sum(np.abs(per_sample)))
    for li, delta in enumerate(back.delta):
        if net.spec.layers[li].kind != "dense":  # Σ |w·a| + |b| as the kind adds it up
            from .arithmetic import Float

            w, b = np.abs(net.weights[li]), np.abs(net.biases[li])
            size = np.abs(net.kinds[li].weighted_sum(Float(), np.abs(trace.a[li]), w, b))
        else:
            size = np.abs(trace.a[li]) @ np.abs(net.weights[li]).T + np.abs(net.biases[li])
        total += float(np.sum(np.abs(delta) * size))
    return ROUNDING_FACTOR * MACHINE_EPS * total / scale


def gradcheck(spec: Spec, eps: float | None = DEFAULT_EPS, tol: float = DEFAULT_TOL,
              use_torch: bool = True, max_params: int | None = DEFAULT_MAX_PARAMS) -> GradcheckResult:
    """Compare backcalc's gradients on the first batch with finite differences and, optionally, torch.

    `eps` fixes the step h of every parameter (None: h = ∛ε_mach·max(1, |p|)). With more than
    `max_params` distinct parameters (None: no limit), a fixed random sample of `max_params` of
    them (seed 0, in the network's order) is checked.
    """
    net = Network(spec)
    batch = slice(0, spec.effective_batch_size)
    x, t = spec.inputs[batch], spec.targets[batch]
    theta0 = net.theta.copy()
    loss0, pattern0, trace0, per_sample0 = _loss_and_pattern(net, x, t, theta0)
    back = net.backward(trace0, t, record=False)
    analytic = back.grad.astype(float)
    with np.errstate(over="ignore", invalid="ignore"):
        rounding = rounding_error(net, trace0, back, per_sample0)

    n_params = len(theta0)
    chosen = np.arange(n_params)
    if max_params is not None and n_params > max_params:
        chosen = np.sort(np.random.default_rng(SAMPLE_SEED).choice(n_params, size=max_params, replace=False))
    numeric, steps, kinks = _central_differences(net, x, t, theta0, chosen, eps, pattern0)
    rows = []
    for k in chosen:
        floor = rounding / steps[k] if steps[k] > 0 else math.inf
        v = verdict(analytic[k], numeric[k], tol, floor)
        reason = None
        if kinks[k] and v != AGREE:
            v, reason = UNDECIDABLE, "kink"
        elif v == UNDECIDABLE:
            reason = "noise"
        rows.append(GradRow(net.names[k], float(analytic[k]), float(numeric[k]),
                            relative_error(analytic[k], numeric[k]), v, float(steps[k]), floor, reason))
    notes = _notes(net, rows, loss0, rounding, eps, kinks, chosen, n_params)
    version, skipped = None, "not requested"
    if use_torch:
        version, skipped = _against_torch(spec, net, x, t, rows, chosen, loss0, tol)
    return GradcheckResult(spec.name, eps, tol, loss0, list(range(spec.n_samples))[batch], rows, version, skipped,
                           notes, n_params, rounding)


def _loss_and_pattern(net: Network, x, t, theta):
    """The reduced loss at `theta`, which side of 0 each kinked activation's z lies, the trace, the losses."""
    net.set_theta(theta)
    trace = net.forward(x)
    per_sample, _ = net.losses(trace, t)
    pattern = [trace.z[li] > 0 for li, act in enumerate(net.activations) if act.name in KINKED]
    # a max pool's kink: which input wins a window
    pattern += [kind.winners(trace.a[li]) for li, kind in enumerate(net.kinds) if hasattr(kind, "winners")]
    return float(net.reduce(per_sample)), pattern, trace, per_sample


def _central_differences(net: Network, x, t, theta0, chosen, eps, pattern0):
    """For each chosen parameter: (L(p + h) − L(p − h))/2h, the step h as represented, and whether a kink
    lies within ±h. The network is left at `theta0`."""
    numeric = np.zeros(len(theta0))
    steps = np.zeros(len(theta0))
    kinks = np.zeros(len(theta0), dtype=bool)
    for k in chosen:
        h = eps if eps is not None else STEP_SCALE * max(1.0, abs(float(theta0[k])))
        plus, minus = theta0.copy(), theta0.copy()
        plus[k] += h
        minus[k] -= h
        steps[k] = (plus[k] - minus[k]) / 2  # the step as represented: p ± h is rounded too
        lp, pp, *_ = _loss_and_pattern(net, x, t, plus)
        lm, pm, *_ = _loss_and_pattern(net, x, t, minus)
        with np.errstate(divide="ignore", invalid="ignore"):
            numeric[k] = np.float64(lp - lm) / (2 * steps[k])
        kinks[k] = any(not np.array_equal(a, b) for p in (pp, pm) for a, b in zip(p, pattern0, strict=True))
    net.set_theta(theta0)
    return numeric, steps, kinks


def _notes(net: Network, rows, loss0, rounding, eps, kinks, chosen, n_params) -> list[str]:
    """Plain-words notes on what could not be checked, and why."""
    notes = []
    if not math.isfinite(loss0):
        notes.append(f"the loss is {loss0} at the spec's parameters, so neither the gradients nor their finite "
                     "differences are finite numbers and none can be checked; rescale the inputs or weights "
                     "(`backcalc step` names the first value that overflows)")
    noisy = [r.name for r in rows if r.reason == "noise"]
    if noisy:
        notes.append("finite differences cannot decide " + ", ".join(noisy) + ": their difference from the "
                     "analytic gradient is within the noise floor (the loss's rounding error, "
                     f"{rounding:.1e}, divided by the step h)" +
                     ("; the default step h = ∛ε_mach·max(1, |p|) balances rounding against truncation"
                      if eps is not None else ""))
    if kinks.any():
        notes.append("a ReLU's weighted sum crosses 0 within ±h of " +
                     ", ".join(net.names[k] for k in chosen if kinks[k]) +
                     ": the loss has a kink there, so finite differences cannot check those gradients")
    if len(chosen) < n_params:
        notes.append(f"checked {len(chosen):,} of the {n_params:,} parameters, a fixed random sample "
                     "(--max-params sets how many; 0 checks all)")
    return notes


def _against_torch(spec: Spec, net: Network, x, t, rows, chosen, loss0, tol) -> tuple:
    """torch.autograd's gradients into `rows`; (torch's version, None) or (None, why it was skipped)."""
    grads, version = torch_gradients(spec, net, x, t)
    if grads is None:
        return version, "not installed"
    for row, g in zip(rows, grads[chosen], strict=True):
        row.torch = float(g)
        row.torch_rel_error = relative_error(row.analytic, row.torch)
        # two analytic computations: they differ by rounding only, far below any step's noise
        floor = 1e-14 * max(abs(loss0), 1.0)
        row.torch_verdict = AGREE if verdict(row.analytic, row.torch, tol, floor) != DISAGREE else DISAGREE
    return version, None


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
    for wi, bi, act, alpha, kind in zip(net.w_index, net.b_index, net.activations, net.alphas, net.kinds, strict=True):
        w = theta[torch.as_tensor(wi)]
        b = theta[torch.as_tensor(bi)]
        z = kind.torch(torch, a, w, b)
        a = act.torch(torch, z, float(alpha))
    per_sample = net.loss.torch(torch, net.activations[-1].name, z, a, tt)
    total = per_sample.mean() if spec.reduction == "mean" else per_sample.sum()
    (grad,) = torch.autograd.grad(total, theta)
    return grad.detach().numpy(), torch.__version__
