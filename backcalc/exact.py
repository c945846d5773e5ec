"""Exact arithmetic: which specs allow it, exact values read from and written as text.

Numbers in a spec are decimals or fractions `p/q`; `Fraction(repr(float))`
recovers the decimal text the YAML gave (0.01 → 1/100), and a number whose text
holds more than its float (`1/3`, a decimal of more than 15 digits) is read as
an `ExactFloat` that keeps the text's exact value, so a network with rational
activations and a polynomial loss can be computed without any rounding.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .errors import ExactTooLong, Problem, SpecError
from .losses import LOSSES, get_loss

if TYPE_CHECKING:
    from fractions import Fraction

    from .spec_model import Spec

# Exact values grow: each layer (and each epoch) multiplies their digits. Past this size
# (numerator or denominator) the computation stops, in `step` and `train` alike.
MAX_EXACT_DIGITS = 200
_MAX_BITS = int(MAX_EXACT_DIGITS * 3.3219280948873626)  # log2(10)
RATIO = re.compile(r"[-+]?[0-9]+/[0-9]+")  # a fraction p/q as a spec (or an answers file) writes it


class ExactFloat(float):
    """A float read from text that holds more than the float does (`1/3`, `0.1234567890123456789`):
    the correctly rounded float, which keeps the text's exact value for --exact."""

    __slots__ = ("exact",)

    def __new__(cls, exact: Fraction):
        self = super().__new__(cls, float(exact))
        self.exact = exact
        return self

    def __reduce__(self):
        return ExactFloat, (self.exact,)


def to_fraction(value) -> Fraction:
    """The exact value of a number as the spec wrote it (0.1 → 1/10, not 3602879701896397/2**55)."""
    # imported here, not at the top: reading a spec imports this module, and a float step needs
    # no Fraction (fractions and decimal: ~2.5 ms of start-up)
    from fractions import Fraction

    if isinstance(value, Fraction):
        return value
    if isinstance(value, ExactFloat):
        return value.exact
    return Fraction(repr(float(value)))


def to_fractions(values: np.ndarray) -> np.ndarray:
    """An array of numbers as an object array of their exact values (`to_fraction` of each)."""
    return np.array([to_fraction(v) for v in np.ravel(values)], dtype=object).reshape(np.shape(values))


def written(text: str, value: float) -> float:
    """`value`, the float of the decimal `text`, as an ExactFloat when the text holds more than
    the float's shortest decimal (more than 15 significant digits), else unchanged."""
    if len(text) < 16 and "e" not in text and "E" not in text:  # the common case, decided at once
        return value
    mantissa, _, exponent = text.replace("_", "").lower().partition("e")
    digits = mantissa.lstrip("+-").replace(".", "").lstrip("0")
    power = int(exponent or 0)
    if len(digits) <= 15 and abs(power) < 290:  # a float keeps 15 digits exactly
        return value
    if abs(power) > 1000:  # 0 as a float, and past the digit bound of exact arithmetic anyway
        return value
    from fractions import Fraction

    exact = Fraction(mantissa) * Fraction(10) ** power
    return value if exact == Fraction(repr(value)) else ExactFloat(exact)


def check_digits(values, what: str) -> None:
    """Raise ExactTooLong (naming `what`) when an exact value's numerator or denominator passes
    MAX_EXACT_DIGITS digits: the one bound of `step --exact` and `train --exact`."""
    for q in np.ravel(values):
        if q.numerator.bit_length() > _MAX_BITS or q.denominator.bit_length() > _MAX_BITS:
            raise ExactTooLong(what, MAX_EXACT_DIGITS)


def check_exact(spec: Spec) -> None:
    """Raise a one-line SpecError naming the first activation or loss that is not rational."""
    offending = [(f"layers[{li}].activation", layer.activation, layer.line)
                 for li, layer in enumerate(spec.layers) if not get_activation(layer.activation).exact]
    if not get_loss(spec.loss).exact:
        offending.append(("loss", spec.loss, None))
    if spec.optimizer.is_adam:
        offending.append(("optimizer", spec.optimizer.name, None))
    offending = [(f"layers[{li}].type", layer.kind, layer.line) for li, layer in enumerate(spec.layers)
                 if layer.kind in ("batchnorm", "gru", "lstm")] + offending
    if not offending:
        return
    path, name, line = offending[0]
    if path.endswith(".type"):
        why = "√(σ² + ε) is" if name == "batchnorm" else "its gates' σ and tanh are"
        message = f"--exact cannot run {name}: {why} not rational; use step without --exact, or --round N"
    elif path == "optimizer":
        message = f"--exact cannot run {name}: it needs square roots; use sgd (with or without momentum)"
    elif path == "loss":
        allowed = _or(sorted(n for n, loss in LOSSES.items() if loss.exact))
        message = f"--exact needs a polynomial loss ({allowed}), got {name}"
    else:
        allowed = _or([n for n, a in ACTIVATIONS.items() if a.exact])
        message = f"--exact needs a rational activation ({allowed}), got {name}"
    others = [f"{p} {n}" for p, n, _ in offending[1:]]
    if others:
        message += f" (also {', '.join(others)})"
    source, line, column = spec.where.get(path, (spec.source, line, None))
    raise SpecError([Problem(source, line, column, path, message)])


def exact_text(q: Fraction) -> str:
    """A Fraction as a terminating decimal when it has one ("0.985"), else "p/q" ("2/3").

    ASCII only, and always accepted by `Fraction(text)`.
    """
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{q.numerator}/{q.denominator}"
    places = max(twos, fives)
    scaled = abs(q.numerator) * (10**places // q.denominator)
    sign = "-" if q < 0 else ""
    if places == 0:
        return f"{sign}{scaled}"
    s = str(scaled).rjust(places + 1, "0")
    return f"{sign}{s[:-places]}.{s[-places:]}"


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
