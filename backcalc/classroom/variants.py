"""Seeded exercise variants of a spec template: the numbers drawn, each variant kept only when it
meets every constraint (`constraints.failures`), the same seed giving the same variants."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import BackcalcError, UsageError
from ..spec_model import Spec
from .answer_key import Quantity, add_causes, answer_key
from .draw import Drawer, drawer_problems

# refused draws in a row before giving up: a template whose numbers cannot meet the constraints
# says so in seconds instead of searching for ever
REFUSALS_IN_A_ROW = 200


class TooFewVariants(BackcalcError):
    """The constraints refused too many draws."""


@dataclass
class Variant:
    id: str  # v001, or the student's id from the roster
    number: int  # 1-based
    spec: Spec
    yaml: str  # the variant's spec file
    key: list[Quantity]
    student: dict = field(default_factory=dict)  # the roster's row


@dataclass
class Exercise:
    template: str
    seed: int
    decimals: int
    answer_decimals: int
    variants: list[Variant]
    draws: int  # how many were drawn to find them
    refused: Counter  # why the others were refused, by kind of reason


def _reason_kind(reason: str) -> str:
    """A refusal's kind, for the summary: the words before the neuron's or quantity's name."""
    for kind in ("dead", "saturated", "loss does not fall"):
        if kind in reason:
            return {"dead": "a dead neuron", "saturated": "a saturated neuron"}.get(kind, "the loss does not fall")
    return "two values alike at the answer decimals"


def generate(template: Spec, count: int, seed: int, decimals: int = 2, answer_decimals: int = 4,
             ids: list[str] | None = None, students: list[dict] | None = None, progress=None) -> Exercise:
    """`count` variants meeting every constraint, drawn from `seed` (the same seed, the same variants);
    `progress(found, draws)` is called after each variant found."""
    from ..quantities import compute
    from ..writer import spec_to_yaml
    from .answer_key import collisions
    from .constraints import quick_failures

    for problem in drawer_problems(template, decimals):
        raise UsageError(problem)
    if count < 1:
        raise UsageError(f"--variants: expected at least 1, got {count}")
    drawer = Drawer(template, decimals, seed)
    variants: list[Variant] = []
    seen: set[str] = set()
    refused: Counter = Counter()
    draws = in_a_row = 0
    while len(variants) < count:
        if in_a_row >= REFUSALS_IN_A_ROW:
            raise TooFewVariants(_too_few(template, len(variants), count, draws, refused))
        draws += 1
        in_a_row += 1
        number = len(variants) + 1
        vid = ids[number - 1] if ids else f"v{number:03d}"
        header = [f"Exercise variant {vid} of {template.source} (backcalc exercise --seed {seed}, "
                  f"--decimals {decimals})"]
        text = spec_to_yaml(drawer.draw(), header=header)
        body = text.split("\n", 1)[1]
        if body in seen:
            refused["the same numbers as an earlier variant"] += 1
            continue
        spec = _parse(text, vid)
        calc = compute(spec)
        reasons = quick_failures(spec, calc)  # before the answer key, which recomputes every mistake
        key = [] if reasons else answer_key(spec, answer_decimals)
        reasons = reasons or collisions(key, answer_decimals)
        if reasons:
            refused.update({_reason_kind(r) for r in reasons})
            continue
        seen.add(body)
        in_a_row = 0
        add_causes(spec, key)
        variants.append(Variant(vid, number, spec, text, key, (students or [{}] * count)[number - 1]))
        if progress is not None:
            progress(len(variants), draws)
    return Exercise(template.source, seed, decimals, answer_decimals, variants, draws, refused)


def _parse(text: str, vid: str) -> Spec:
    from ..spec_read import parse_spec

    return parse_spec(text, f"{vid}/spec.yaml")


def _too_few(template: Spec, found: int, count: int, draws: int, refused: Counter) -> str:
    common = "; ".join(f"{reason} ({n})" for reason, n in refused.most_common(3))
    return (f"{template.source}: only {found} of {count} variants met the constraints in {draws} draws "
            f"(refused most often: {common}); try more --answer-decimals, other --decimals "
            "or a template with larger numbers")
