"""How numbers are written as text for people (JSON keeps full precision): the views, a saved
spec's header and the messages of `check` share these rules, so they live in the library.

One rule for every view: a non-zero value shows at least `digits` significant figures (and at
least `digits` decimals in plain notation, so columns line up), in scientific notation below
0.001 and from 10⁹ on; digits beyond the value's shortest round-trip form are zeros, never
float noise (0.99 at 17 digits is 0.99000000000000000, not 0.98999999999999999).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

SCIENTIFIC_BELOW = 1e-3
SCIENTIFIC_FROM = 1e9


def fmt(x, digits: int = 5) -> str:
    """A number with at least `digits` significant figures and `digits` decimals; tiny or huge
    values in scientific notation.

    Exact values (Fractions) print as terminating decimals when they have one,
    else as p/q.
    """
    if type(x) is not float:  # numpy's float64 too; the rest as it comes
        if x is None:
            return "—"
        if isinstance(x, (str, Fraction)):
            return _exact_or_text(x)
        x = float(x)
    if x != x:
        return "nan"
    if x in (_INF, -_INF):
        return "inf" if x > 0 else "−inf"
    if x == 0:
        return "0"
    figures = max(digits, 1)
    ax = -x if x < 0 else x
    if ax < SCIENTIFIC_BELOW or ax >= SCIENTIFIC_FROM:
        text = _scientific(x, figures)
    else:
        first = math.floor(math.log10(ax))  # the place of the first significant digit
        text = _plain(x, max(digits, figures - 1 - first))
    return text.replace("-", "−")


_INF = float("inf")
_TINY = 2.2250738585072014e-308  # the smallest normal float: below it an ulp is no longer relative


def _exact_or_text(x) -> str:
    if isinstance(x, str):  # an exact value as the JSON-ready dictionaries hold it ("-361/30")
        x = Fraction(x)
    return exact(x)


def fixed(x, decimals: int) -> str:
    """A value rounded to `decimals` decimals (by hand, `--round`), written with exactly that many: 0.00."""
    if x is None or isinstance(x, Fraction) or not math.isfinite(float(x)):
        return fmt(x, decimals)
    text = _plain(float(x), decimals)
    return (text[1:] if text.startswith("-") and not text.strip("-0.") else text).replace("-", "−")


def _plain(x: float, decimals: int) -> str:
    r = repr(x)
    if decimals > 0 and "e" not in r and "n" not in r:  # the common case without Decimal (same text)
        places = len(r) - r.index(".") - 1
        return r + "0" * (decimals - places) if places <= decimals else f"{x:.{decimals}f}"
    shortest = Decimal(r)
    if -shortest.as_tuple().exponent <= decimals:  # nothing to round: pad the shortest form with zeros
        return f"{shortest:.{decimals}f}"
    return f"{x:.{decimals}f}"


def _scientific(x: float, figures: int) -> str:
    if figures <= 15 and not -_TINY < x < _TINY:  # the common case without Decimal (same text):
        source = x  # a normal float to 15 figures or fewer rounds as its shortest form padded with
    else:           # zeros does (half an ulp is below half a unit of the 15th figure)
        shortest = Decimal(repr(x)).normalize()
        source = shortest if len(shortest.as_tuple().digits) <= figures else x
    mantissa, exponent = f"{source:.{figures - 1}e}".split("e")
    return f"{mantissa}e{int(exponent):+03d}"


def exact(q: Fraction) -> str:
    """A Fraction as an exact decimal when it terminates, else as p/q."""
    from .exact import exact_text

    return exact_text(q).replace("-", "−")


def short(x, digits: int = 5) -> str:
    """A compact number for written-out formulas: `fmt` without trailing zeros (1e−08, 0.15); a value
    whose shortest form has at most `digits` decimals (0.0007, rounded by hand) is written as that."""
    if isinstance(x, (Fraction, str)):  # exact values: `fmt` writes them whole
        return fmt(x, digits)
    if x is not None and math.isfinite(float(x)) and 0 < abs(float(x)) < SCIENTIFIC_FROM:
        r = repr(float(x))
        if "e" not in r:  # the common case without Decimal (same text)
            if len(r) - r.index(".") - 1 <= digits:
                return r.rstrip("0").rstrip(".").replace("-", "−")
            return _trimmed(fmt(x, digits))
        shortest = Decimal(r)
        if -shortest.as_tuple().exponent <= digits:
            text = f"{shortest:f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            return text.replace("-", "−")
    return _trimmed(fmt(x, digits))


def _trimmed(text: str) -> str:
    """`fmt`'s text without trailing zeros (in the mantissa too)."""
    if "e" in text:
        mantissa, exponent = text.split("e")
        return (mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa) + "e" + exponent
    if "." not in text:
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
