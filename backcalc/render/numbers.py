"""How numbers are written in human output: the rules are the library's (number_text.py), shared
with a saved spec's header and `check`'s messages; the views import them from here."""

from __future__ import annotations

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


def written_once(digits: int):
    """`fmt` and `short` at `digits` that write each float value once: a big table shows the same
    weight, activation or derivative in many rows (equal floats have the same text; ±0 are both 0)."""
    def once(rule):
        texts: dict[float, str] = {}

        def text(x, at: int = digits) -> str:
            if at != digits or not isinstance(x, float):
                return rule(x, at)
            written = texts.get(x)
            if written is None:
                written = texts[x] = rule(x, at)
            return written
        return text
    return once(fmt), once(short)
