"""Non-finite values are reported, never printed silently and never as NumPy noise.

NumPy's own RuntimeWarnings (`overflow encountered in matmul`, with a source
line) mean nothing to a user; `quiet()` silences them while results are
computed, and `non_finite_warnings` says in plain words which values of a
result overflowed, so a NaN or infinity never reaches the output unexplained.
"""

from __future__ import annotations

import math

import numpy as np


def quiet():
    """A context in which overflow, 0/0 and x/0 give inf/nan without RuntimeWarnings."""
    return np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore")


def _bad(value) -> bool:
    if value is None:
        return False
    if type(value) is float:
        return not math.isfinite(value)
    arr = np.asarray(value)
    if arr.dtype == object:
        return False  # exact rationals are always finite
    return bool(np.any(~np.isfinite(arr)))


def _summary(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def step_warnings(result) -> list[str]:
    """Plain-words warnings for every non-finite quantity of a StepResult."""
    bad: list[str] = []
    for layer in result.layers:
        n = layer.index + 1
        for label, value in (("z", layer.z), ("a", layer.a), ("∂ℓ/∂a", layer.dl_da),
                             ("∂a/∂z", layer.da_dz), ("δ", layer.delta)):
            if _bad(value):
                why = " (shown only: δ comes from the combined formula and is finite)" \
                    if label == "∂ℓ/∂a" and layer.fused and not _bad(layer.delta) else ""
                bad.append(f"{label} of layer {n}{why}")
    if _bad(result.losses) or _bad(result.loss):
        bad.append("the loss")
    grads = news = []
    # one test per layer array first: a large network has tens of thousands of parameters
    if any(_bad(v) for layer in result.layers
           for v in (layer.grad_weights, layer.grad_biases, layer.new_weights, layer.new_biases)):
        grads = [p.name for p in result.parameters if _bad(p.grad)]
        news = [p.name for p in result.parameters if _bad(p.new) and not _bad(p.grad)]
    if grads:
        bad.append(f"the gradient of {_summary(grads)}")
    if news:
        bad.append(f"the updated value of {_summary(news)}")
    if not bad:
        return []
    return [f"not finite (overflow or 0/0; shown as nan/inf, null in JSON): {_summary(bad, 8)}"]


def train_warnings(result) -> list[str]:
    """Warnings for a TrainResult whose final loss or outputs are not finite."""
    if result.stopped:
        return []  # the stop message already says what went wrong
    bad = []
    if _bad(result.loss):
        bad.append("the final loss")
    if _bad(result.output):
        bad.append("the outputs")
    names = [n for n, v in result.parameters.items() if _bad(v)]
    if names:
        bad.append(f"the parameters {_summary(names)}")
    if not bad:
        return []
    return [f"not finite after training (overflow; shown as nan/inf, null in JSON): {', '.join(bad)}"]
