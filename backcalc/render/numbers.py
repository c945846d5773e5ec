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
