"""The arithmetic a worked step is computed in: float64, exact Fractions, or by hand (rounded to N decimals).

An arithmetic decides how numbers are made (`cast`), how a weighted sum is
added up (`affine`, `back`), what is done to every recorded quantity
(`record`: rounding by hand, the digit bound in exact mode) and whether a
batch gradient is added up per slot first (NumPy's order, the one `step`
prints) or per sample first (a student's order, `sequential`).
"""

from __future__ import annotations

import math

import numpy as np


class Float:
    """float64 in NumPy's order: the numbers `step` prints and training uses."""

    exact = False
    sequential = False
    decimals = None

    def cast(self, values, exact=None):
        return values

    def scalar(self, value):
        return value

    def affine(self, a, w, b):
        """z = a·Wᵀ + b for every sample at once."""
        z = a @ w.T
        if z.dtype == object or np.result_type(z, b) != z.dtype:
            return z + b
        z += b  # in place: the same sums, without a second samples × units array (a fresh one costs more)
        return z

    def back(self, delta, w):
        """∂ℓ/∂a of the layer below: δ·W."""
        return delta @ w

    def record(self, values, what: str = ""):
        return values


class Exact(Float):
    """Fractions (object arrays), each recorded quantity held to exact.py's digit bound."""

    exact = True

    def cast(self, values, exact=None):
        from .exact import to_fractions

        return to_fractions(values if exact is None else exact)

    def scalar(self, value):
        from .exact import to_fraction

        return to_fraction(value)

    def record(self, values, what: str = ""):
        if what and isinstance(values, np.ndarray) and values.dtype == object:
            from .exact import check_digits

            check_digits(values, what)
        return values


class ByHand(Float):
    """Plain floats added up term by term as on paper, each recorded quantity rounded to `decimals`
    (None: not rounded, the exact column of `--round`'s drift table and `check`'s reference)."""

    sequential = True

    def __init__(self, decimals: int | None = None):
        self.decimals = decimals

    def cast(self, values, exact=None):
        return np.asarray(values, dtype=float)

    def scalar(self, value):
        return float(value)

    def affine(self, a, w, b):
        # Σⱼ wᵢⱼ·aⱼ added left to right from 0, then + bᵢ: the order a student writes it
        total = np.zeros((a.shape[0], w.shape[0]))
        for j in range(w.shape[1]):
            total = total + w[:, j] * a[:, j:j + 1]
        return total + b

    def back(self, delta, w):
        total = np.zeros((delta.shape[0], w.shape[1]))
        for k in range(w.shape[0]):
            total = total + delta[:, k:k + 1] * w[k, :]
        return total

    def record(self, values, what: str = ""):
        return values if self.decimals is None else round_half_up_array(values, self.decimals)


def round_half_up(x: float, decimals: int) -> float:
    """`x` rounded to `decimals` decimals as on paper: halves away from zero, on the decimal value.

    Python's round() works on the binary value, so 0.53075 (stored as 0.530749999…) would become
    0.5307 where a student writes 0.5308; 15 significant digits first clear that binary noise,
    and 13 decimals the noise a cancellation leaves (0.15 − 0.14685 = 0.0031499999999999944).
    """
    x = float(x)
    if not math.isfinite(x):
        return x
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

    wide = Context(prec=400)  # room for any float's digits plus the decimals
    value = Decimal(format(x, ".15g"))
    if decimals < 13:
        value = value.quantize(Decimal(1).scaleb(-13), rounding=ROUND_HALF_EVEN, context=wide)
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=wide))


def round_half_up_array(values, decimals: int):
    """round_half_up of every element, identical to it, without a Decimal per number.

    Away from a half, rounding |x|·10ᵈ to the nearest integer k and dividing by 10ᵈ (exact
    for d ≤ 22, and IEEE division rounds correctly) is the float of the decimal k/10ᵈ; values
    near a half, too large, or not finite take round_half_up itself.
    """
    x = np.asarray(values, dtype=float)
    if decimals > 22:
        return np.vectorize(lambda v: round_half_up(v, decimals), otypes=[float])(x)
    scale = 10.0 ** decimals
    with np.errstate(all="ignore"):
        y = np.abs(x) * scale
        frac = y - np.floor(y)
        margin = 1e-6 + (0.6 * 10.0 ** (decimals - 13) if decimals < 13 else 0.0)
        fast = np.isfinite(y) & (y < 1e8) & (np.abs(frac - 0.5) > margin)
        out = np.copysign(np.floor(y + 0.5) / scale, x)
    slow = ~fast
    if np.any(slow):
        out = np.array(out, dtype=float)
        out[slow] = [round_half_up(v, decimals) for v in x[slow]]
    return out if out.ndim else float(out)
