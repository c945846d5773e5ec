"""Exact arithmetic: which specs allow it, and exact values written as text.

Numbers in a spec are decimals; `Fraction(repr(float))` recovers the decimal
text the YAML gave (0.01 → 1/100), so a network with rational activations and a
polynomial loss can be computed without any rounding.
"""

from __future__ import annotations

from fractions import Fraction

from .activations import ACTIVATIONS, get_activation
from .errors import Problem, SpecError
from .losses import LOSSES, get_loss
from .spec import Spec


def to_fraction(value) -> Fraction:
    """The decimal a float was written as, exactly (0.1 → 1/10, not 3602879701896397/2**55)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(repr(float(value)))


def check_exact(spec: Spec) -> None:
    """Raise a one-line SpecError naming the first activation or loss that is not rational."""
    offending = [(f"layers[{li}].activation", layer.activation, layer.line)
                 for li, layer in enumerate(spec.layers) if not get_activation(layer.activation).exact]
    if not get_loss(spec.loss).exact:
        offending.append(("loss", spec.loss, None))
    if spec.optimizer.is_adam:
        offending.append(("optimizer", spec.optimizer.name, None))
    if not offending:
        return
    path, name, line = offending[0]
    if path == "optimizer":
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
