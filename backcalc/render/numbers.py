"""How numbers are written in human output (JSON keeps full precision)."""

from __future__ import annotations

import math
from fractions import Fraction


def fmt(x, digits: int = 5) -> str:
    """A number with `digits` decimals; tiny or huge values in scientific notation.

    Exact values (Fractions) print as terminating decimals when they have one,
    else as p/q.
    """
    if x is None:
        return "—"
    if isinstance(x, Fraction):
        return exact(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax < 0.5 * 10 ** (-digits) or ax >= 1e9:
        text = f"{x:.{max(digits - 1, 1)}e}"
    else:
        text = f"{x:.{digits}f}"
    return text.replace("-", "−")


def exact(q: Fraction) -> str:
    """A Fraction as an exact decimal when it terminates, else as p/q."""
    from ..exact import exact_text

    return exact_text(q).replace("-", "−")


def short(x, digits: int = 5) -> str:
    """A compact number for written-out formulas: at most `digits` decimals, no trailing zeros."""
    if isinstance(x, Fraction):
        return exact(x)
    text = fmt(x, digits)
    if "e" in text or "." not in text:
        return text
    text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "−0") else "0"
