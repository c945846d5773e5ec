"""Logs of a sigmoid or softmax output computed from its z in a stable form, never as the log of a
rounded y: where y nears 0 or 1 the textbook log(1 − y) cancels, these do not."""

from __future__ import annotations

import numpy as np


def softplus(x):
    """log(1 + e^x) as max(x, 0) + log1p(e^−|x|): never overflows, and exact to rounding for large |x|."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def logsumexp(x, axis=-1):
    """log Σ e^x along `axis`, stable, and −inf (not nan) when every entry is −inf."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def log_softmax(z):
    """log softmax(z) = (z − max) − log Σ e^(z − max): finite wherever z is, however far y is from 1."""
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def log_softmax_pair(z):
    """log y and log(1 − y) of softmax(z), both from z, accurate when y nears 0 or 1.

    log(1 − y_k) is log1p(−y_k) where y_k ≤ ½; above ½ (only the largest z_k can be) 1 − y_k
    would cancel, so it is log Σ_{j≠k} e^(z_j) − logsumexp(z) instead.
    """
    log_y = log_softmax(z)
    with np.errstate(divide="ignore"):
        log_1my = np.log1p(-np.exp(log_y))
    top = np.argmax(z, axis=-1)[..., None]
    rest = z.copy()
    np.put_along_axis(rest, top, -np.inf, axis=-1)
    log_1my_top = logsumexp(rest)[..., None] - logsumexp(z)[..., None]
    is_top = np.arange(z.shape[-1]) == top
    return log_y, np.where(is_top & (log_y > -np.log(2.0)), log_1my_top, log_1my)


def sigmoid_log_pair(z):
    """log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z): 1 − y cancels as y nears 1 (at z = 30
    the textbook log(1 − y) is off by 6e-4), these never do."""
    return -softplus(-z), -softplus(z)


def sigmoid_log(z):
    """log σ(z) = −softplus(−z), accurate where y nears 1 and a loss is tiny."""
    return -softplus(-z)
