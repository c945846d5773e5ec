"""Per-sample losses over the K outputs, each next to its derivative and formula.

`value(y, t, z, activation)` returns (per-sample losses, note): note is None or
a sentence saying a saturated value had to be clipped. `grad(y, t)` is ∂ℓ/∂y.
`fused_delta` gives ∂ℓ/∂z directly for output activations where the combined
formula is both simpler and numerically stable (sigmoid with bce, softmax with
cross-entropy), or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _logsumexp(x, axis=-1):
    """log Σ e^x along `axis`, stable, and −inf (not nan) when every entry is −inf."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def _log_softmax(z):
    """log softmax(z) = (z − max) − log Σ e^(z − max): finite wherever z is, however far y is from 1."""
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _log_softmax_pair(z):
    """log y and log(1 − y) of softmax(z), both from z, accurate when y nears 0 or 1.

    log(1 − y_k) is log1p(−y_k) where y_k ≤ ½; above ½ (only the largest z_k can be) 1 − y_k
    would cancel, so it is log Σ_{j≠k} e^(z_j) − logsumexp(z) instead.
    """
    log_y = _log_softmax(z)
    with np.errstate(divide="ignore"):
        log_1my = np.log1p(-np.exp(log_y))
    top = np.argmax(z, axis=-1)[..., None]
    rest = z.copy()
    np.put_along_axis(rest, top, -np.inf, axis=-1)
    log_1my_top = _logsumexp(rest)[..., None] - _logsumexp(z)[..., None]
    is_top = np.arange(z.shape[-1]) == top
    return log_y, np.where(is_top & (log_y > -np.log(2.0)), log_1my_top, log_1my)


def _log_pair(y, z, act):
    """log y and log(1 − y) from the output's z in a stable form, or None for other outputs."""
    if z is None:
        return None
    if act == "sigmoid":
        # log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z): 1 − y cancels as y nears 1
        # (at z = 30 the textbook log(1 − y) is off by 6e-4), these never do.
        return -_softplus(-z), -_softplus(z)
    if act == "softmax":
        return _log_softmax_pair(z)
    return None


def _bce(y, t, z, act):
    pair = _log_pair(y, z, act)
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
    if z is not None and act == "softmax":
        logy = _log_softmax(z)
    elif z is not None and act == "sigmoid":
        logy = -_softplus(-z)  # log σ(z), accurate where y nears 1 and ℓ is tiny (see _log_pair)
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


def _fused(loss: str, act: str, y, t, z=None):
    k = _k(y)
    if loss == "bce" and act == "sigmoid":
        return (y - t) / k
    if loss == "cross_entropy" and act == "softmax":
        return y * np.sum(t, axis=-1, keepdims=True) - t
    if loss == "cross_entropy" and act == "sigmoid":
        return t * (y - 1)
    if loss == "bce" and act == "softmax" and z is not None:
        return _bce_softmax_delta(y, t, z)
    return None


def _bce_softmax_delta(y, t, z):
    """∂ℓ/∂z for bce on a softmax output, in a form that stays finite when y saturates.

    With r_k = y_k/(1 − y_k): K·∂ℓ/∂z_j = y_j·Σt − t_j + (1 − t_j)·y_j − Σ_{k≠j} (1 − t_k)·y_j·r_k,
    and y_j·r_k = exp(z_j + z_k − lse(z) − lse(z without z_k)) ≤ 1 for j ≠ k.
    """
    k = z.shape[-1]
    if k == 1:
        return np.zeros_like(z)  # a one-neuron softmax is the constant 1
    eye = np.eye(k, dtype=bool)
    lse = _logsumexp(z)[..., None]
    lse_without = _logsumexp(np.where(eye, -np.inf, z[..., None, :]))  # per k
    log_yr = z[..., :, None] + z[..., None, :] - lse[..., None] - lse_without[..., None, :]  # [j, k]
    yr = np.where(eye, 0.0, np.exp(np.minimum(log_yr, 0.0)))
    cross = np.sum(yr * (1 - t)[..., None, :], axis=-1)
    return (y * np.sum(t, axis=-1, keepdims=True) - t + (1 - t) * y - cross) / k


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

    def fused_delta(self, activation: str, y, t, z=None):
        return _fused(self.name, activation, y, t, z)


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in [
        Loss("squared_error", "ℓ = Σ_k (y_k − t_k)²", "∂ℓ/∂y_k = 2·(y_k − t_k)",
             r"\ell = \sum_k (y_k - t_k)^2", r"2(y_k - t_k)", _squared_error, _squared_error_g, True),
        Loss("half_squared_error", "ℓ = ½·Σ_k (y_k − t_k)²", "∂ℓ/∂y_k = y_k − t_k",
             r"\ell = \tfrac{1}{2}\sum_k (y_k - t_k)^2", r"y_k - t_k", _half, _half_g, True),
        Loss("mse", "ℓ = (1/K)·Σ_k (y_k − t_k)²", "∂ℓ/∂y_k = (2/K)·(y_k − t_k)",
             r"\ell = \frac{1}{K}\sum_k (y_k - t_k)^2", r"\frac{2}{K}(y_k - t_k)", _mse, _mse_g, True),
        Loss("bce", "ℓ = −(1/K)·Σ_k [t_k·log y_k + (1 − t_k)·log(1 − y_k)]",
             "∂ℓ/∂y_k = (y_k − t_k) / (K·y_k·(1 − y_k))",
             r"\ell = -\frac{1}{K}\sum_k \left[t_k \log y_k + (1 - t_k)\log(1 - y_k)\right]",
             r"\frac{y_k - t_k}{K\,y_k(1 - y_k)}", _bce, _bce_g, False),
        Loss("cross_entropy", "ℓ = −Σ_k t_k·log y_k", "∂ℓ/∂y_k = −t_k / y_k",
             r"\ell = -\sum_k t_k \log y_k", r"-\frac{t_k}{y_k}", _ce, _ce_g, False),
    ]
}
DEFAULT_LOSS = "mse"


def get_loss(name: str) -> Loss:
    return LOSSES[name]
