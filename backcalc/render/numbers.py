"""How numbers are written in human output: the rules are the library's (number_text.py), shared
with a saved spec's header and `check`'s messages; the views import them from here."""

from __future__ import annotations

from functools import lru_cache

from ..number_text import (  # noqa: F401 (the views' names for them)
    SCIENTIFIC_BELOW,
    SCIENTIFIC_FROM,
    approx,
    exact,
    fixed,
    fmt,
    recorded,
    short,
    with_exact,
)


# A big table shows the same weight, activation or derivative in many rows: each float value is
# written once per digit count (equal floats have the same text; ±0 are both 0). Only floats: a
# Fraction equal to a float hashes alike but is written as a fraction.
@lru_cache(maxsize=1 << 16)
def _fmt_float(x: float, digits: int) -> str:
    return fmt(x, digits)


@lru_cache(maxsize=1 << 16)
def _short_float(x: float, digits: int) -> str:
    return short(x, digits)


def fmt_once(x, digits: int = 5) -> str:
    """`fmt`, remembering the text of each float value."""
    return _fmt_float(x, digits) if isinstance(x, float) else fmt(x, digits)


def short_once(x, digits: int = 5) -> str:
    """`short`, remembering the text of each float value."""
    return _short_float(x, digits) if isinstance(x, float) else short(x, digits)


def paren(text: str) -> str:
    """A number's text in parentheses when it is negative, as a product's factor is written."""
    return f"({text})" if text.startswith("−") else text
