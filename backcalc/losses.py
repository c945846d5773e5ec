"""The registry of per-sample losses over the K outputs: each one entry with everything every engine and view needs.

`value(y, t, z, activation)` returns (per-sample losses, note): note is None or a sentence saying
a saturated value had to be clipped. `grad(y, t)` is ∂ℓ/∂y. `fused_delta` gives ∂ℓ/∂z directly for
the output activations whose combined formula is both simpler and numerically stable (sigmoid with
bce, softmax with cross-entropy), or None: those live in the entry's `fused` table, keyed by
activation, each with its kernel, formulas and scalar code. Besides, an entry holds the squared
family's constants for the fast trainer, the scalar code the tiny-net kernel is generated from,
the torch mirror, the formula templates (Unicode, LaTeX with slots {y}, {t}, {K}, {sum}) and what
validation checks (allowed output layers, target ranges). Adding a loss is adding one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS
from .log_space import logsumexp

CLIP = 1e-15


def _k(y):
    return y.shape[-1]


def _squared_error(y, t, z, act):
    return np.sum((y - t) ** 2, axis=-1), None


def _squared_error_g(y, t):
    return 2 * (y - t)


def _half(y, t, z, act):
    return np.sum((y - t) ** 2, axis=-1) / 2, None


def _half_g(y, t):
    return y - t


def _mse(y, t, z, act):
    return np.sum((y - t) ** 2, axis=-1) / _k(y), None


def _mse_g(y, t):
    return 2 * (y - t) / _k(y)


def _bce(y, t, z, act):
    entry = ACTIVATIONS.get(act) if z is not None and act else None
    pair = entry.log_output_pair(z) if entry is not None and entry.log_output_pair else None
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y, log_1my = pair if pair is not None else (np.log(y), np.log(1 - y))
        # t = 0 or 1 leaves out the other term, so a log of 0 there costs nothing (0·−∞ is nan)
        terms = np.where(t == 0, 0.0, t * log_y) + np.where(t == 1, 0.0, (1 - t) * log_1my)
    note = None
    bad = ~np.isfinite(terms)
    if bad.any():
        yc = np.clip(y, CLIP, 1 - CLIP)
        terms = np.where(bad, t * np.log(yc) + (1 - t) * np.log(1 - yc), terms)
        note = f"bce: an output of exactly 0 or 1 was clipped to [{CLIP:g}, 1 − {CLIP:g}]"
    return -np.sum(terms, axis=-1) / _k(y), note


def _bce_g(y, t):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (y - t) / (y * (1 - y)) / _k(y)


def _ce(y, t, z, act):
    note = None
    entry = ACTIVATIONS.get(act) if z is not None and act else None
    if entry is not None and entry.log_output:
        logy = entry.log_output(z)  # stable from z (log-softmax; log σ(z) = −softplus(−z))
    else:
        with np.errstate(divide="ignore"):
            logy = np.log(y)
    terms = np.where(t == 0, 0.0, t * logy)
    if not np.all(np.isfinite(terms)):
        terms = np.where(t == 0, 0.0, t * np.log(np.clip(y, CLIP, None)))
        note = f"cross_entropy: an output of exactly 0 was clipped to {CLIP:g}"
    return -np.sum(terms, axis=-1), note


def _ce_g(y, t):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, -t / y)


def _bce_softmax_delta(y, t, z):
    """∂ℓ/∂z for bce on a softmax output, in a form that stays finite when y saturates.

    K·∂ℓ/∂z_j = y_j·Σ_k u_k − u_j with u_k = (t_k − y_k)/(1 − y_k) (what the formulas write); here, with
    r_k = y_k/(1 − y_k), the same as y_j·Σt − t_j + (1 − t_j)·y_j − Σ_{k≠j} (1 − t_k)·y_j·r_k,
    and y_j·r_k = exp(z_j + z_k − lse(z) − lse(z without z_k)) ≤ 1 for j ≠ k.
    """
    k = z.shape[-1]
    if k == 1:
        return np.zeros_like(z)  # a one-neuron softmax is the constant 1
    eye = np.eye(k, dtype=bool)
    lse = logsumexp(z)[..., None]
    lse_without = logsumexp(np.where(eye, -np.inf, z[..., None, :]))  # per k
    log_yr = z[..., :, None] + z[..., None, :] - lse[..., None] - lse_without[..., None, :]  # [j, k]
    yr = np.where(eye, 0.0, np.exp(np.minimum(log_yr, 0.0)))
    cross = np.sum(yr * (1 - t)[..., None, :], axis=-1)
    return (y * np.sum(t, axis=-1, keepdims=True) - t + (1 - t) * y - cross) / k




def _huber(y, t, z, act):
    # δ = 1, as torch.nn.HuberLoss: ½r² where |r| < 1, else |r| − ½; per sample the mean over the K outputs
    r = y - t
    ar = np.abs(r)
    return np.sum(np.where(ar < 1.0, 0.5 * (r * r), ar - 0.5), axis=-1) / _k(y), None


def _huber_g(y, t):
    return np.clip(y - t, -1.0, 1.0) / _k(y)


# -- scalar code (see scalar.py): the names y_k, t_k, z_k of one sample's outputs in; lines out.
# A softmax output leaves m, e_i and se in scope (activations._softmax_code), which these read.

def _sq_code(divisor: str | None):
    def code(ls, y, t, z, kf, out_act):
        out = [f"r{k} = {yk} - {tk}" for k, (yk, tk) in enumerate(zip(y, t, strict=True))]
        sq = " + ".join(f"r{k} * r{k}" for k in range(len(y)))
        div = {"K": repr(kf), "2": "2.0"}.get(divisor)
        return out + [f"{ls} = {sq}" if div is None else f"{ls} = ({sq}) / {div}"]
    return code


def _bce_code(ls, y, t, z, kf, out_act):
    k_out = len(y)
    if out_act == "sigmoid":
        # from z, as _bce: log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z)
        terms = [f"({t[k]} * -softplus(-{z[k]}) + (1.0 - {t[k]}) * -softplus({z[k]}))" for k in range(k_out)]
        return [f"{ls} = -({' + '.join(terms)}) / {kf!r}"]
    # softmax, from z as log_softmax_pair: log y_k = (z_k − m) − log se, and log(1 − y_k)
    # = log1p(−y_k) up to y_k = ½, above it log Σ_{j≠k} e_j − log se (1 − y_k would cancel)
    log_y = [f"({z[k]} - m - lse)" for k in range(k_out)]
    rest = [" + ".join(f"e{j}" for j in range(k_out) if j != k) or "0.0" for k in range(k_out)]
    log_1my = [f"(log1p(-{y[k]}) if {y[k]} <= 0.5 else log({rest[k]}) - lse)" for k in range(k_out)]
    terms = [f"(({t[k]} * {log_y[k]}) if {t[k]} != 0.0 else 0.0) + "
             f"(((1.0 - {t[k]}) * {log_1my[k]}) if {t[k]} != 1.0 else 0.0)" for k in range(k_out)]
    return ["lse = log(se)", f"{ls} = -({' + '.join(terms)}) / {kf!r}"]


def _ce_code(ls, y, t, z, kf, out_act):
    out = ["lse = log(se)"] if out_act == "softmax" else []
    logy = [f"-softplus(-{zk})" if out_act == "sigmoid" else f"({zk} - m - lse)" for zk in z]
    terms = [f"({tk} * {lk} if {tk} != 0.0 else 0.0)" for tk, lk in zip(t, logy, strict=True)]
    return out + [f"{ls} = -({' + '.join(terms)})"]


def _huber_code(ls, y, t, z, kf, out_act):
    out = [f"r{k} = {yk} - {tk}" for k, (yk, tk) in enumerate(zip(y, t, strict=True))]
    terms = [f"(0.5 * (r{k} * r{k}) if abs(r{k}) < 1.0 else abs(r{k}) - 0.5)" for k in range(len(y))]
    return out + [f"{ls} = ({' + '.join(terms)}) / {kf!r}"]


def _bce_softmax_code(y, t, d, kf):
    # _bce_softmax_delta: K·δ_j = y_j·Σt − t_j + (1 − t_j)·y_j − Σ_{k≠j} (1 − t_k)·y_j·y_k/(1 − y_k),
    # with 1 − y_k = Σ_{i≠k} e_i / se, a sum of others that never cancels (0 only if they underflow)
    k_out = len(y)
    if k_out == 1:
        return None
    out = [f"ts = {' + '.join(t)}"]
    out += [f"om{k} = {' + '.join(f'e{i}' for i in range(k_out) if i != k)}" for k in range(k_out)]
    for j in range(k_out):
        cross = " + ".join(f"(1.0 - {t[k]}) * (e{j} * e{k} / (se * om{k}))" for k in range(k_out) if k != j)
        out.append(f"{d[j]} = ({y[j]} * ts - {t[j]} + (1.0 - {t[j]}) * {y[j]} - ({cross})) / {kf!r}")
    return out


# -- the torch mirror (gradcheck): per-sample losses from z (the output's weighted sums) and y

def _torch_bce(torch, out_act, z, y, t):
    k = y.shape[-1]
    if out_act == "sigmoid":
        return torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none").sum(-1) / k
    # softmax, in log space as log_softmax_pair: log(1 − y_k) = log Σ_{j≠k} e^(z_j) − lse(z)
    # where y_k > ½ (1 − y_k would cancel), log1p(−y_k) elsewhere
    log_y = torch.log_softmax(z, dim=-1)
    eye = torch.eye(k, dtype=torch.bool)
    lse_rest = torch.logsumexp(torch.where(eye, -torch.inf, z[..., None, :]), dim=-1)
    rest = lse_rest - torch.logsumexp(z, -1)[..., None]
    high = y > 0.5
    log_1my = torch.where(high, rest, torch.log1p(-torch.where(high, torch.zeros_like(y), y)))
    terms = torch.where(t == 0, torch.zeros_like(t), t * log_y) + \
        torch.where(t == 1, torch.zeros_like(t), (1 - t) * log_1my)
    return -terms.sum(-1) / k


def _torch_ce(torch, out_act, z, y, t):
    if out_act == "softmax":
        logy = torch.log_softmax(z, dim=-1)
    elif out_act == "sigmoid":
        logy = torch.nn.functional.logsigmoid(z)
    else:
        logy = torch.log(y)
    return -(torch.where(t == 0, torch.zeros_like(t), t * logy)).sum(-1)


def _torch_huber(torch, out_act, z, y, t):
    return torch.nn.functional.huber_loss(y, t, reduction="none", delta=1.0).mean(-1)


# -- what validation checks of the targets: None, or (sample row, the message's text)

def _bce_targets(t, out_act):
    bad = (t < 0) | (t > 1)
    if not bad.any():
        return None
    return int(np.argmax(bad.any(axis=1))), f"bce targets must lie in [0, 1], got {t[bad][0]:g}"


def _ce_targets(t, out_act):
    sums = t.sum(axis=1)
    if not (np.any(t < 0) or (out_act == "softmax" and np.any(np.abs(sums - 1) > 1e-9))):
        return None
    row = int(np.argmax((t < 0).any(axis=1) | (np.abs(sums - 1) > 1e-9)))
    return row, ("cross_entropy targets must be distributions (non-negative, summing to 1); "
                 f"sample {row} sums to {sums[row]:g}")


def _ce_softmax_kernel(z, y, t, t_sum, scale, delta, tmp, tmp2, row, row2) -> float:
    """The engine's in-place cross-entropy on a softmax output: y = softmax(z) (as the activation
    computes it) into `y`; returns Σ of the samples' −Σ_k t_k·log y_k,
    log y taken as log-softmax(z); δ = (y·Σt − t)·scale into `delta`."""
    np.maximum.reduce(z, axis=1, keepdims=True, out=row)
    np.subtract(z, row, out=tmp)
    np.exp(tmp, out=tmp2)
    np.add.reduce(tmp2, axis=1, keepdims=True, out=row2)
    np.divide(tmp2, row2, out=y)
    np.log(row2, out=row2)
    tmp -= row2  # log y
    s = -float(np.vdot(t, tmp))
    np.multiply(y, t_sum, out=delta)  # the loss entry's fused δ, operation for operation
    delta -= t
    delta *= scale
    return s


@dataclass(frozen=True)
class Fused:
    """∂ℓ/∂z straight from y and t, for one loss on one output activation."""

    delta: Callable  # (y, t, z) -> ∂ℓ/∂z, or None when it needs z and has none
    formula: str  # Unicode, for the tables' footnote
    # ((symbolic, numbers) for K = 1, the same for K > 1): slots {a}, {t}, {tj}, {tsum}, {K}, and {yk}, {tk}
    # (the k-th output and target) and {terms} (`latex_term` for every output, joined by +)
    latex: tuple
    code: Callable  # (y, t, d names, K as float) -> lines, or None to decline
    # The fast engine's in-place form, or None: (z, y, t, Σt, scale, δ, tmp, tmp2, row, row2) -> the sum of
    # the samples' losses, writing the output's activation into y and δ·scale into δ (the buffers are the
    # engine's, so nothing is allocated per batch).
    kernel: Callable | None = None
    latex_term: str | None = None  # one output's term of {terms}, slots {a}, {t}


@dataclass(frozen=True)
class Loss:
    name: str
    formula: str
    derivative_formula: str
    latex: str
    latex_derivative: str
    value: Callable
    grad: Callable
    exact: bool  # polynomial: computable with rationals
    torch: Callable  # (torch, out_act, z, y, t) -> per-sample losses
    code: Callable  # scalar code of the per-sample loss: (ls name, y, t, z names, K, out_act) -> lines
    code_grad: str  # scalar code of ∂ℓ/∂y_k, slots {r} (r_k = y_k − t_k where `code` made it), {y}, {t}, {K}
    latex_term: str  # one output's term of the sum, slots {y}, {t}
    latex_total: tuple  # the per-sample loss around {sum} (the terms joined by +), for K = 1 and K > 1
    latex_grad: tuple  # ∂ℓ/∂y_k: ((symbolic, numbers) for K = 1, the same for K > 1), slots {y}, {t}, {K}
    fused: dict = field(default_factory=dict)  # output activation -> Fused
    squared: tuple | None = None  # (c, w): ∂ℓ/∂y = c·(y − t), ℓ = w·Σ(y − t)²; (None, None): 2/K and 1/K
    mean_over_outputs: bool = False  # ℓ is a mean over the K outputs (each output's term carries 1/K)
    outputs: tuple | None = None  # the output activations it accepts (None: any)
    outputs_need: str = ""  # why, for validation's message
    target_problem: Callable | None = None  # (t, out_act) -> None or (row, message)
    title: str = ""  # its longer name, for the starter spec's comment

    def fused_delta(self, activation: str, y, t, z=None):
        f = self.fused.get(activation)
        return None if f is None else f.delta(y, t, z)


def _sq_sum_latex(pre: str):
    return ("{sum}" if pre == "" else pre + "{sum}", "{sum}" if pre == "" else pre + r"\left[{sum}\right]")


_BCE_FUSED_LATEX = (("{a} - {t}", "{a} - {t}"), (r"\tfrac{{1}}{{{K}}}({a} - {t})", r"\tfrac{{1}}{{{K}}}({a} - {t})"))
# bce on softmax (K ≥ 2: a one-neuron softmax is refused): K·δ_j = y_j·Σ_k u_k − u_j, u_k = (t_k − y_k)/(1 − y_k)
_U_J = r"\frac{{{t} - {a}}}{{1 - {a}}}"
_BCE_SOFTMAX_LATEX = ((r"\tfrac{{1}}{{{K}}}\left({a} \sum_k \frac{{{tk} - {yk}}}{{1 - {yk}}} - " + _U_J + r"\right)",
                       r"\tfrac{{1}}{{{K}}}\left({a} \cdot \left[{terms}\right] - " + _U_J + r"\right)"),) * 2

LOSSES: dict[str, Loss] = {
    l.name: l
    for l in [
        Loss("squared_error", "ℓ = Σ_k (y_k − t_k)²", "∂ℓ/∂y_k = 2·(y_k − t_k)",
             r"\ell = \sum_k (y_k - t_k)^2", r"2(y_k - t_k)", _squared_error, _squared_error_g, True,
             lambda torch, out_act, z, y, t: ((y - t) ** 2).sum(-1), _sq_code(None), "2.0 * {r}",
             "({y} - {t})^2", ("{sum}", "{sum}"), (("2({y} - {t})",) * 2, ("2({y} - {t})",) * 2),
             squared=(2.0, 1.0)),
        Loss("half_squared_error", "ℓ = ½·Σ_k (y_k − t_k)²", "∂ℓ/∂y_k = y_k − t_k",
             r"\ell = \tfrac{1}{2}\sum_k (y_k - t_k)^2", r"y_k - t_k", _half, _half_g, True,
             lambda torch, out_act, z, y, t: ((y - t) ** 2).sum(-1) / 2, _sq_code("2"), "{r}",
             "({y} - {t})^2", _sq_sum_latex(r"\tfrac{{1}}{{2}}"), (("{y} - {t}",) * 2, ("{y} - {t}",) * 2),
             squared=(1.0, 0.5)),
        Loss("mse", "ℓ = (1/K)·Σ_k (y_k − t_k)²", "∂ℓ/∂y_k = (2/K)·(y_k − t_k)",
             r"\ell = \frac{1}{K}\sum_k (y_k - t_k)^2", r"\frac{2}{K}(y_k - t_k)", _mse, _mse_g, True,
             lambda torch, out_act, z, y, t: ((y - t) ** 2).sum(-1) / y.shape[-1], _sq_code("K"), "2.0 * {r} / {K}",
             "({y} - {t})^2", ("{sum}", r"\tfrac{{1}}{{{K}}}\left[{sum}\right]"),
             (("2({y} - {t})",) * 2, (r"\tfrac{{2}}{{{K}}}({y} - {t})",) * 2),
             squared=(None, None), mean_over_outputs=True),
        Loss("bce", "ℓ = −(1/K)·Σ_k [t_k·log y_k + (1 − t_k)·log(1 − y_k)]",
             "∂ℓ/∂y_k = (y_k − t_k) / (K·y_k·(1 − y_k))",
             r"\ell = -\frac{1}{K}\sum_k \left[t_k \log y_k + (1 - t_k)\log(1 - y_k)\right]",
             r"\frac{y_k - t_k}{K\,y_k(1 - y_k)}", _bce, _bce_g, False,
             _torch_bce, _bce_code, "({y} - {t}) / ({y} * (1.0 - {y})) / {K}",
             r"{t} \log {y} + (1 - {t}) \log(1 - {y})",
             (r"-\left[{sum}\right]", r"-\tfrac{{1}}{{{K}}}\left[{sum}\right]"),
             ((r"\frac{{{y} - {t}}}{{{y}(1 - {y})}}",) * 2,
              (r"\frac{{{y} - {t}}}{{{K}{y}(1 - {y})}}", r"\frac{{{y} - {t}}}{{{K} \cdot {y}(1 - {y})}}")),
             fused={
                 "sigmoid": Fused(lambda y, t, z: (y - t) / _k(y), "(y − t)/K", _BCE_FUSED_LATEX,
                                  lambda y, t, d, kf: [f"{dk} = ({yk} - {tk}) / {kf!r}"
                                                       for yk, tk, dk in zip(y, t, d, strict=True)]),
                 "softmax": Fused(lambda y, t, z: None if z is None else _bce_softmax_delta(y, t, z),
                                  "(y_j·Σ_k u_k − u_j)/K with u_k = (t_k − y_k)/(1 − y_k)",
                                  _BCE_SOFTMAX_LATEX, _bce_softmax_code, latex_term=_U_J),
             },
             mean_over_outputs=True, outputs=("sigmoid", "softmax"), outputs_need="outputs in (0, 1)",
             target_problem=_bce_targets, title="binary cross-entropy"),
        Loss("cross_entropy", "ℓ = −Σ_k t_k·log y_k", "∂ℓ/∂y_k = −t_k / y_k",
             r"\ell = -\sum_k t_k \log y_k", r"-\frac{t_k}{y_k}", _ce, _ce_g, False,
             _torch_ce, _ce_code, "-{t} / {y} if {t} != 0.0 else 0.0",
             r"{t} \log {y}", (r"-\left({sum}\right)",) * 2, ((r"-\frac{{{t}}}{{{y}}}",) * 2,) * 2,
             fused={
                 "softmax": Fused(lambda y, t, z: y * np.sum(t, axis=-1, keepdims=True) - t, "y·Σt − t",
                                  ((r"{a} \sum_j {tj} - {t}", r"{a} \cdot {tsum} - {t}"),) * 2,
                                  lambda y, t, d, kf: [f"ts = {' + '.join(t)}"] + [
                                      f"{dk} = {yk} * ts - {tk}" for yk, tk, dk in zip(y, t, d, strict=True)],
                                  kernel=_ce_softmax_kernel),
                 "sigmoid": Fused(lambda y, t, z: t * (y - 1), "t·(y − 1)", (("{t}({a} - 1)",) * 2,) * 2,
                                  lambda y, t, d, kf: [f"{dk} = {tk} * ({yk} - 1.0)"
                                                       for yk, tk, dk in zip(y, t, d, strict=True)]),
             },
             outputs=("softmax", "sigmoid"), outputs_need="positive outputs", target_problem=_ce_targets),
        Loss("huber", "ℓ = (1/K)·Σ_k h(y_k − t_k), h(r) = ½r² if −1 < r < 1 else abs(r) − ½",
             "∂ℓ/∂y_k = clip(y_k − t_k, −1, 1) / K",
             r"\ell = \frac{1}{K}\sum_k h(y_k - t_k),\ h(r) = \tfrac{1}{2}\min(|r|, 1)^2 + \max(|r| - 1, 0)",
             r"\frac{1}{K}\operatorname{clip}(y_k - t_k, -1, 1)", _huber, _huber_g, False,
             _torch_huber, _huber_code, "(-1.0 if {r} < -1.0 else 1.0 if {r} > 1.0 else {r}) / {K}",
             r"\tfrac{{1}}{{2}}\min(|{y} - {t}|, 1)^2 + \max(|{y} - {t}| - 1, 0)",
             ("{sum}", r"\tfrac{{1}}{{{K}}}\left[{sum}\right]"),
             ((r"\operatorname{{clip}}({y} - {t}, -1, 1)",) * 2,
              (r"\tfrac{{1}}{{{K}}}\operatorname{{clip}}({y} - {t}, -1, 1)",) * 2),
             mean_over_outputs=True),
    ]
}
DEFAULT_LOSS = "mse"


def get_loss(name: str) -> Loss:
    return LOSSES[name]
