"""The number rule's fast path (no Decimal in the common case) writes the same text as the rule
written the plain way, on random values of every magnitude and at every digit count."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from backcalc.number_text import SCIENTIFIC_BELOW, SCIENTIFIC_FROM, fixed, fmt, short


# The rule as it was written before the fast path: Decimal's shortest form for every value.
def _plain_reference(x: float, decimals: int) -> str:
    shortest = Decimal(repr(x))
    if -shortest.as_tuple().exponent <= decimals:
        return f"{shortest:.{decimals}f}"
    return f"{x:.{decimals}f}"


def _scientific_reference(x: float, figures: int) -> str:
    shortest = Decimal(repr(x)).normalize()
    source = shortest if len(shortest.as_tuple().digits) <= figures else x
    mantissa, exponent = f"{source:.{figures - 1}e}".split("e")
    return f"{mantissa}e{int(exponent):+03d}"


def fmt_reference(x, digits: int = 5) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        x = Fraction(x)
    if isinstance(x, Fraction):
        return fmt(x, digits)  # exact values: not on the fast path
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    if x == 0:
        return "0"
    figures = max(digits, 1)
    ax = abs(x)
    if ax < SCIENTIFIC_BELOW or ax >= SCIENTIFIC_FROM:
        text = _scientific_reference(x, figures)
    else:
        first = math.floor(math.log10(ax))
        text = _plain_reference(x, max(digits, figures - 1 - first))
    return text.replace("-", "−")


def fixed_reference(x, decimals: int) -> str:
    if x is None or isinstance(x, Fraction) or not math.isfinite(float(x)):
        return fmt_reference(x, decimals)
    text = _plain_reference(float(x), decimals)
    return (text[1:] if text.startswith("-") and not text.strip("-0.") else text).replace("-", "−")


def short_reference(x, digits: int = 5) -> str:
    if isinstance(x, (Fraction, str)):
        return fmt(x, digits)
    if x is not None and math.isfinite(float(x)) and 0 < abs(float(x)) < SCIENTIFIC_FROM:
        shortest = Decimal(repr(float(x)))
        if -shortest.as_tuple().exponent <= digits:
            text = f"{shortest:f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            return text.replace("-", "−")
    text = fmt_reference(x, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return (mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa) + "e" + exponent
    if "." not in text:
        return text
    text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "−0") else "0"


def _values(rng: random.Random, n: int) -> list[float]:
    """Values as the tables meet them, and the edges: every magnitude from 1e-12 to 1e20, short
    decimals (0.5, 0.0007, 2.25: hand-rounded or typed), ties, integers, random bit patterns."""
    out = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-3, -1e-3, 1e9, -1e9, 9.999999999999999e8,
           0.0009999999999999998, 1e16, 1e-5, 0.1, 0.99, 5e-324, 1.7976931348623157e308]
    while len(out) < n:
        kind = rng.randrange(5)
        sign = rng.choice((1.0, -1.0))
        if kind == 0:
            out.append(sign * 10 ** rng.uniform(-12, 20))
        elif kind == 1:  # a short decimal
            out.append(sign * round(10 ** rng.uniform(-6, 10), rng.randrange(0, 9)))
        elif kind == 2:  # a tie at some digit: 0.125, 2.5, 1.0005
            out.append(sign * (rng.randrange(1, 10 ** 6) + 0.5) / 10 ** rng.randrange(0, 8))
        elif kind == 3:
            out.append(sign * float(rng.randrange(0, 10 ** rng.randrange(1, 18))))
        else:  # any finite double
            x = np.frombuffer(rng.getrandbits(64).to_bytes(8, "little"), dtype=np.float64)[0]
            out.append(float(x) if math.isfinite(x) else 1.5)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_fmt_short_and_fixed_write_what_the_decimal_rule_writes(seed):
    rng = random.Random(seed)
    values = _values(rng, 6_000)
    for digits in (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 17, 20):
        for x in values:
            assert fmt(x, digits) == fmt_reference(x, digits), (x, digits)
            assert short(x, digits) == short_reference(x, digits), (x, digits)
            assert fixed(x, digits) == fixed_reference(x, digits), (x, digits)


def test_numpy_scalars_and_other_numbers_read_as_floats():
    for x in (np.float64(0.1), np.float32(0.25), np.int64(3), 7, True, np.float64(-2.5e-7)):
        for digits in (3, 5, 17):
            assert fmt(x, digits) == fmt_reference(x, digits)
            assert short(x, digits) == short_reference(x, digits)
            assert fixed(x, digits) == fixed_reference(x, digits)
    assert fmt(None) == "—" and fmt("-361/30") == fmt(Fraction(-361, 30))
