"""What a quiz page needs to grade answers in the browser as `check` grades them, computed here.

The page's script does no arithmetic of the step: everything it compares a typed number with is
in this data. For each quantity (in computation order): its exact value, what it is computed
from, its hand-rounded values at 0 to 12 decimals (the "rounded along the way" cause), and how a
change of each quantity upstream moves it (the first-order sensitivities, for "follows from your
wrong answer upstream"); for each common mistake (`mistakes.variants`): every quantity's value in
the step made with that mistake, its value made with the mistake at that quantity alone (every
input exact), and the cause `check` names for it. The cause texts come from `check` itself,
run once per mistake on that mistake's own numbers, so the page names a mistake in check's words.
"""

from __future__ import annotations

import math

from .answers import Answer
from .check import check
from .mistakes import variants
from .quantities import Calc, Key, by_hand, compute, key_text
from .spec_model import Spec

MAX_DECIMALS = 12  # check's "rounded to d decimals along the way" tries d up to this
MAX_QUANTITIES = 400  # a quiz is one page a student fills in by hand
_STEP = 2.0**-20  # the relative step of the central differences the sensitivities come from
# The two causes check names without recomputing a mistake (check._Diagnosis._own_causes), in its
# words; tests/html/test_quiz_grading.py holds the page to check on answers that get each.
OWN_CAUSES = {"rounding": "rounded to {d} decimals along the way (--round {d} accepts it)",
              "sign": "sign flipped (the value is right but for its sign)"}


class QuizTooBig(ValueError):
    pass


def quiz_keys(calc: Calc) -> list[Key]:
    """The quantities a quiz asks for: every one `check` grades (one sample: no per-sample copies)."""
    n = calc.n_samples
    return [k for k in calc.keys() if not (n == 1 and k[0] in ("grad", "loss") and k[2] is not None)]


def quiz_data(spec: Spec) -> dict:
    """Everything the quiz page's script grades with, as plain JSON-ready data."""
    exact = compute(spec)
    keys = quiz_keys(exact)
    if len(keys) > MAX_QUANTITIES:
        raise QuizTooBig(f"{spec.source}: a quiz asks for every quantity of the step, and this one has "
                         f"{len(keys)} (at most {MAX_QUANTITIES}); use --blank for an exercise page without boxes")
    index = {k: i for i, k in enumerate(keys)}
    n = exact.n_samples
    correct = [exact.values[k] for k in keys]
    hand = [by_hand(spec, d) for d in range(MAX_DECIMALS + 1)]
    quantities = []
    for i, k in enumerate(keys):
        quantities.append({
            "key": key_text(k, n), "kind": k[0], "correct": _num(correct[i]),
            "deps": _deps(exact, k, index),
            "hand": [[_num(run.values[k]) for run in runs] for runs in hand],
            "sens": {},
        })
    _sensitivities(spec, exact, keys, quantities)
    return {"quantities": quantities, "mistakes": _mistakes(spec, exact, keys), "texts": OWN_CAUSES}


def _num(value: float):
    """A float for JSON (None when not finite: the page then never matches it)."""
    return value if math.isfinite(value) else None


def _deps(calc: Calc, key: Key, index: dict) -> list[int]:
    """The quiz quantities `key` is computed from, looking through any it does not ask for."""
    out, stack, seen = [], list(calc.deps[key]), set()
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        if k in index:
            out.append(index[k])
        else:
            stack.extend(calc.deps[k])
    return sorted(out)


def _sensitivities(spec: Spec, exact: Calc, keys: list[Key], quantities: list) -> None:
    """∂(each quantity)/∂(each quantity upstream), everything between recomputed: central differences."""
    for j, u in enumerate(keys):
        c = exact.values[u]
        if not math.isfinite(c):
            continue
        h = _STEP * max(1.0, abs(c))
        up = compute(spec, overrides={u: c + h})
        down = compute(spec, overrides={u: c - h})
        for i in range(j + 1, len(keys)):
            k = keys[i]
            slope = (up.values[k] - down.values[k]) / (2 * h)
            if math.isfinite(slope) and abs(slope) > 1e-12:
                quantities[i]["sens"][str(j)] = slope


def _mistakes(spec: Spec, exact: Calc, keys: list[Key]) -> list[dict]:
    """Each common mistake: the step made with it, the mistake at each quantity alone, check's causes."""
    everything = {k: exact.values[k] for k in exact.keys()}
    out = []
    for mistake, variant in variants(spec):
        whole = compute(spec, variant=variant)
        alone = compute(spec, variant=variant, overrides=everything)
        values = [whole.values[k] for k in keys]
        alone_values = [alone.computed.get(k, exact.values[k]) for k in keys]
        changed = [k for k, v, w in zip(keys, values, alone_values) if v != exact.values[k] or w != exact.values[k]]
        out.append({"id": mistake, "values": [_num(v) for v in values],
                    "alone": [_num(v) for v in alone_values],
                    "causes": _cause_texts(spec, mistake, whole, changed, keys)})
    return out


def _cause_texts(spec: Spec, mistake: str, whole: Calc, changed: list[Key], keys: list[Key]) -> dict:
    """Quantity index -> the text `check` gives this mistake there, from `check` run on the mistake's numbers."""
    n = whole.n_samples
    answers = [Answer(key_text(k, n), k, whole.values[k], repr(whole.values[k]), None, 0, 0)
               for k in changed if math.isfinite(whole.values[k])]
    position = {k: i for i, k in enumerate(keys)}
    texts = {}
    for v in check(spec, answers).verdicts:
        for cause in v.causes:
            if cause.mistake == mistake:
                texts[str(position[v.answer.key])] = cause.full()
    return texts
