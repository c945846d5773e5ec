"""An exercise's answer key: every quantity asked, its right value, and each common mistake's value.

The causes a mistake's numbers are given come from `check` itself: each mistake's whole step is
planted as a student's answers and graded, so an export's feedback says what `check` says, and a
mistake added to the catalogue (`mistakes.variants`) reaches every export without a line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..arithmetic import round_half_up
from ..mistakes import variants
from ..quantities import Calc, Key, compute, key_text
from ..spec_model import Spec


def answer_text(x: float, decimals: int) -> str:
    """`x` rounded half up to `decimals` decimals, written with that many (ASCII minus, no −0)."""
    text = f"{round_half_up(x, decimals):.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


@dataclass
class Wrong:
    """A common mistake's value at one quantity, and what `check` says of it there."""

    mistake: str
    value: float
    text: str
    causes: list[tuple[str, str]]  # (mistake id, words) as check names them
    upstream: str | None  # the first wrong answer it follows from, when it is not where the error began
    alone: float | None = None  # the mistake made here alone, everything upstream right

    def to_dict(self) -> dict:
        return {"mistake": self.mistake, "value": self.value, "text": self.text,
                "causes": [list(c) for c in self.causes], "upstream": self.upstream, "alone": self.alone}


@dataclass
class Quantity:
    key: Key
    name: str  # the canonical name, the key of an answers file
    correct: float
    text: str  # the right value at the answer decimals
    parents: list[str]  # the asked quantities it is computed from directly (through no other asked one)
    wrong: list[Wrong] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "correct": self.correct, "text": self.text, "parents": self.parents,
                "wrong": [w.to_dict() for w in self.wrong]}


def asked_keys(calc: Calc) -> list[Key]:
    """The quantities an exercise asks for: every one, except that one sample's loss and gradients
    are the batch's (the same number, one blank)."""
    return [k for k in calc.keys() if not (calc.n_samples == 1 and k[0] in ("loss", "grad") and k[2] == 0)]



def answer_key(spec: Spec, decimals: int) -> list[Quantity]:
    """Every asked quantity of the spec's step with the right value and each mistake's value."""
    calc = compute(spec)
    keys = asked_keys(calc)
    asked = set(keys)
    n = calc.n_samples
    out = [Quantity(k, key_text(k, n), calc.values[k], answer_text(calc.values[k], decimals),
                    [key_text(p, n) for p in calc.nearest(k, asked)]) for k in keys]
    for mistake, variant in variants(spec):
        run = compute(spec, variant=variant)
        for q in out:
            value = run.values[q.key]
            if not _same(value, q.correct):
                q.wrong.append(Wrong(mistake, value, answer_text(value, decimals), [], None))
    return out


def add_causes(spec: Spec, key: list[Quantity]) -> None:
    """Each mistake's numbers graded by `check` as one student's answers: its causes and upstream."""
    from ..api import check

    by_mistake: dict[str, dict[str, Wrong]] = {}
    for q in key:
        for w in q.wrong:
            by_mistake.setdefault(w.mistake, {})[q.name] = w
    right = {q.key: q.correct for q in key}
    for mistake, variant in variants(spec):
        wrongs = by_mistake.get(mistake, {})
        if not wrongs:
            continue
        alone = compute(spec, variant=variant, overrides=right).computed
        for q in key:
            if q.name in wrongs and not _same(alone[q.key], q.correct):
                wrongs[q.name].alone = alone[q.key]
        planted = {q.name: (wrongs[q.name].text if q.name in wrongs else q.text) for q in key}
        for v in check(spec, planted).verdicts:
            if v.quantity in wrongs:
                w = wrongs[v.quantity]
                w.causes, w.upstream = [(c.mistake, c.full()) for c in v.causes], v.upstream


def collisions(quantities: list[Quantity], decimals: int) -> list[str]:
    """Where two different values (the right one, the mistakes') read the same at the answer decimals.

    (A mistake whose number check calls right, because it rounds to the right one, is one.)
    Values equal but for rounding noise are one value (sign_grad and sign_update give the same
    updated weight, always): feedback names both. Only numbers that differ and are written alike
    are a collision, since no answer written at these decimals could tell them apart."""
    tol = 0.5 * 10.0 ** -decimals
    out = []
    for q in quantities:
        values = [("the right answer", q.correct)] + [(w.mistake, w.value) for w in q.wrong]
        for i, (a, x) in enumerate(values):
            for b, y in values[i + 1:]:
                if not _same(x, y) and (answer_text(x, decimals) == answer_text(y, decimals)
                                 or abs(float(answer_text(x, decimals)) - y) <= tol + 1e-12
                                 or abs(float(answer_text(y, decimals)) - x) <= tol + 1e-12):
                    out.append(f"{q.name}: {a} and {b} both give {answer_text(x, decimals)}")
    return out


def _same(x: float, y: float) -> bool:
    """Equal but for rounding noise: the same number, reached two ways."""
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-12)
