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
    if isinstance(x, str):  # an exact value as the JSON-ready dictionaries hold it ("-361/30")
        x = Fraction(x)
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
    if isinstance(x, (Fraction, str)):
        return fmt(x, digits)
    text = fmt(x, digits)
    if "e" in text or "." not in text:
        return text
    text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "−0") else "0"


def approx(x, digits: int = 5) -> str:
    """An exact value (a Fraction) as a decimal of at most `digits` decimals, ending in … when that
    rounds it (`0.06984…`, but `0.5`); any other number as `fmt` writes it."""
    if not isinstance(x, Fraction):
        return fmt(x, digits)
    text = short(float(x), digits)
    return text if Fraction(text.replace("−", "-")) == x else text + "…"


def with_exact(x, digits: int = 5) -> str:
    """An exact value as its decimal and, when that is rounded, the exact value beside it:
    `0.06984… (217236114499/3110400000000)`; any other number as `fmt` writes it."""
    if not isinstance(x, Fraction):
        return fmt(x, digits)
    text = approx(x, digits)
    return f"{text} ({exact(x)})" if text.endswith("…") else text


def recorded(x) -> str:
    """A number in full for a record (a saved spec's header): a float as `repr` writes it, an exact
    value as `with_exact` does (never a Python repr such as `Fraction(1, 3)`)."""
    return with_exact(x, 8).replace("−", "-") if isinstance(x, Fraction) else repr(float(x))
