"""What a quiz page needs to grade answers in the browser as `check` grades them, computed here.

The page's script does no arithmetic of the step: everything it compares a typed number with is
in this data. For each quantity (in computation order): its exact value, what it is computed
from, its hand-rounded values at 0 to 12 decimals (the "rounded along the way" cause), and how a
change of each of its inputs moves it (slope, curvature, and for a product the mixed
derivative: "follows from your wrong answer upstream" carries the student's slips forward by
these, to second order, where check recomputes the step); for each common mistake
(`mistakes.variants`): every quantity's value in the step made with that mistake, its value
made with the mistake at that quantity alone (every input exact), and the cause `check` names
for it. The cause texts come from `check` itself,
run once per mistake on that mistake's own numbers, so the page names a mistake in check's words.
"""

from __future__ import annotations

import math

import numpy as np

from .answers import Answer
from .check import check
from .mistakes import variants
from .quantities import Calc, Key, by_hand, compute, key_text
from .spec_model import Spec

MAX_DECIMALS = 12  # check's "rounded to d decimals along the way" tries d up to this
MAX_QUANTITIES = 400  # a quiz is one page a student fills in by hand
_STEP, _CURVE_STEP = 2.0**-20, 2.0**-10  # the relative steps of the central differences (slope, curvature)
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
            "deps": sorted(index[p] for p in exact.nearest(k, index)),
            "hand": [[_num(run.values[k]) for run in runs] for runs in hand],
            "local": {}, "cross": [],
        })
    _local_derivatives(spec, exact, keys, quantities)
    return {"quantities": quantities, "mistakes": _mistakes(spec, exact, keys), "texts": OWN_CAUSES}


def _num(value: float):
    """A float for JSON (None when not finite: the page then never matches it)."""
    return value if math.isfinite(value) else None



def _local_derivatives(spec: Spec, exact: Calc, keys: list[Key], quantities: list) -> None:
    """How each quantity moves with the quantities it is computed from, the others held (every quiz
    quantity pinned, so `computed` is each one from its own inputs; an input is any quantity whose
    change moves it, which can be more than `deps` names): slope and curvature per input,
    and the mixed derivative of each pair of inputs of a product (a quantity of two or three
    inputs); central differences, the curvature's step coarser so that rounding does not swamp it."""
    pins = {k: exact.values[k] for k in keys}

    def moved(changes: dict) -> np.ndarray:
        run = compute(spec, overrides={**pins, **changes})
        return np.array([run.computed.get(k, pins[k]) for k in keys])

    children: dict[int, list[int]] = {}  # the quantities each one moves (a loss read from z, not a, too)
    base = np.array([exact.values[k] for k in keys])
    wobble = 1e-13 * np.maximum(1.0, np.abs(base))  # a last-bit wobble of the vectorised sums is no input
    for d, c in enumerate(base):
        if not math.isfinite(c):
            continue
        h, k = _STEP * max(1.0, abs(c)), _CURVE_STEP * max(1.0, abs(c))
        up, down = moved({keys[d]: c + h}), moved({keys[d]: c - h})
        far_up, far_down = moved({keys[d]: c + k}), moved({keys[d]: c - k})
        with np.errstate(all="ignore"):
            shift = np.max(np.abs(np.stack([up, down, far_up, far_down]) - base), axis=0)
            slope, curve = (up - down) / (2 * h), (far_up - 2 * base + far_down) / (k * k)
        for i in np.flatnonzero(shift > wobble):
            if i > d:  # downstream only
                children.setdefault(d, []).append(int(i))
                if math.isfinite(slope[i]) and math.isfinite(curve[i]):
                    quantities[i]["local"][str(d)] = [float(slope[i]), float(curve[i])]
    for i, q in enumerate(quantities):  # an input that moves it only with another (δ times an input of 0)
        for d in q["deps"]:
            q["local"].setdefault(str(d), [0.0, 0.0])
            if i not in children.setdefault(d, []):
                children[d].append(i)
    inputs = [[int(d) for d in q["local"]] for q in quantities]
    pairs = {(a, b) for ins in inputs if 2 <= len(ins) <= 3 for a in ins for b in ins if a < b}
    for a, b in sorted(pairs):
        ca, cb = base[a], base[b]
        if not (math.isfinite(ca) and math.isfinite(cb)):
            continue
        ka, kb = _CURVE_STEP * max(1.0, abs(ca)), _CURVE_STEP * max(1.0, abs(cb))
        corners = [moved({keys[a]: ca + sa * ka, keys[b]: cb + sb * kb})
                   for sa, sb in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        for i in set(children[a]) & set(children[b]):
            mixed = (corners[0][i] - corners[1][i] - corners[2][i] + corners[3][i]) / (4 * ka * kb)
            if math.isfinite(mixed) and mixed != 0:
                quantities[i]["cross"].append([a, b, mixed])


def _mistakes(spec: Spec, exact: Calc, keys: list[Key]) -> list[dict]:
    """Each common mistake: the step made with it, the mistake at each quantity alone, check's causes."""
    everything = {k: exact.values[k] for k in keys}  # what a student can answer, so what check can pin
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
                texts[str(position[v.answer.key])] = [cause.text, cause.detail]
    return texts
