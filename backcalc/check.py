"""Grade a student's answers: right or wrong, where the error began, and which mistake it looks like.

Each answer is compared with the exact value at the tolerance its own digits
imply. A wrong answer that follows from wrong answers upstream of it names
the answer where that error began; any other wrong answer is an error of its
own. Either way it names every common mistake (`mistakes.variants`) whose
recomputation reproduces the student's number. With `decimals`, an answer
that matches the hand-rounded computation but not the exact one is right by
hand-rounding (a tied parameter's gradient added up in either order,
`quantities.by_hand`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .answers import Answer, key_text, matches
from .mistake_names import describe as _describe
from .mistakes import Mistake as Variant
from .mistakes import variants
from .quantities import Calc, Key, by_hand, compute
from .result import plain
from .spec_model import Spec

RIGHT, ROUNDING, WRONG = "right", "right_by_rounding", "wrong"


@dataclass
class Cause:
    mistake: str  # an id: updated_weights, no_derivative:1, reduction, sign_grad, …
    text: str  # short: "updated w5 used"
    detail: str = ""  # why it is wrong: "δ needs the old w5 = 0.4"

    def full(self) -> str:
        return f"{self.text} ({self.detail})" if self.detail else self.text


@dataclass
class Verdict:
    answer: Answer
    quantity: str  # the canonical name
    correct: float
    by_hand: float | None  # the hand-rounded value (with decimals)
    verdict: str  # RIGHT | ROUNDING | WRONG
    upstream: str | None = None  # the first wrong answer this one depends on
    causes: list[Cause] = field(default_factory=list)
    carried: bool = False  # wrong, but what the student's own wrong numbers upstream give (credit carried forward)

    @property
    def credited(self) -> bool:
        """Right, right by hand-rounding, or an error carried forward correctly (docs/check.md)."""
        return self.verdict != WRONG or self.carried

    def to_dict(self) -> dict:
        a = self.answer
        return {
            "key": a.written, "quantity": self.quantity, "line": a.line, "answer": a.value, "text": a.text,
            "tolerance": a.tolerance, "correct": plain(self.correct),
            "by_hand": plain(self.by_hand) if self.by_hand is not None else None,
            "verdict": self.verdict, "first_wrong_upstream": self.upstream,
            "causes": [{"mistake": c.mistake, "text": c.full()} for c in self.causes],
        }


@dataclass
class CheckResult:
    source: str
    answers_source: str
    decimals: int | None  # --round
    verdicts: list[Verdict]  # in the order of the computation
    conventions: list | None = None  # --conventions: conventions.Followed, most answers right first
    convention: object = None  # the convention.Followed that reproduces more answers than the spec's own

    def __repr__(self) -> str:
        counts = ", ".join(f"{sum(v.verdict == k for v in self.verdicts)} {k.replace('_', ' ')}"
                           for k in (RIGHT, ROUNDING, WRONG))
        return f"<CheckResult {self.answers_source} on {self.source}: {counts}>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from .display import mimebundle

        return mimebundle(self, include, exclude)

    @property
    def wrong(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.verdict == WRONG]

    @property
    def ok(self) -> bool:
        return not self.wrong

    @property
    def roots(self) -> list[str]:
        """Wrong answers with no wrong answer upstream: where the errors begin."""
        return [v.quantity for v in self.wrong if v.upstream is None]

    def to_dict(self) -> dict:
        counts = {k: sum(v.verdict == k for v in self.verdicts) for k in (RIGHT, ROUNDING, WRONG)}
        return {
            "config": self.source, "answers": self.answers_source, "round": self.decimals,
            "summary": {"total": len(self.verdicts), **counts, "first_wrong": self.roots},
            "verdicts": [v.to_dict() for v in self.verdicts],
            **self._convention_dict(),
        }

    def _convention_dict(self) -> dict:
        out = {}
        if self.conventions is not None:
            out["conventions"] = [f.to_dict() for f in self.conventions]
        if self.conventions is not None or self.convention is not None:
            out["convention"] = self.convention.to_dict() if self.convention is not None else None
        return out


# check recomputes the step (and again for every mistake that could give a wrong answer). The
# per-number engine it once used took about 40 µs per chain-rule product, hence this bound; the
# vectorised core is far faster, but raising the bound changes what `check` and `--round` accept.
CHECK_LIMIT = 250_000


def check(spec: Spec, answers: list[Answer], decimals: int | None = None,
          answers_source: str = "<answers>", conventions: bool = False) -> CheckResult:
    from .explain import check_size

    check_size(spec, spec.effective_batch_size, CHECK_LIMIT, "check recomputes")
    exact = compute(spec)
    hand = by_hand(spec, decimals) if decimals is not None else []
    n = exact.n_samples
    order = exact.order()
    verdicts = []
    for a in sorted(answers, key=lambda a: order[a.key]):
        correct = exact.values[a.key]
        # either order of adding up a tied parameter's gradient by hand (docs/check.md, --round)
        matched = [run.values[a.key] for run in hand if matches(a.value, run.values[a.key], a.tolerance)]
        rounded = (matched or [run.values[a.key] for run in hand] or [None])[0]
        if matches(a.value, correct, a.tolerance):
            verdict = RIGHT
        elif matched:
            verdict = ROUNDING
        else:
            verdict = WRONG
        verdicts.append(Verdict(a, key_text(a.key, n), correct, rounded, verdict))
    wrong = [v for v in verdicts if v.verdict == WRONG]
    if wrong:
        _Diagnosis(spec, exact, answers, decimals).explain(wrong)
    result = CheckResult(spec.source, answers_source, decimals, verdicts)
    _conventions(result, spec, answers, conventions)
    return result


def _conventions(result: CheckResult, spec: Spec, answers: list[Answer], asked: bool) -> None:
    """Which convention the answers follow: asked for, or when many are wrong and one explains them all."""
    from .conventions import best, follow, worth_a_look

    wrong, total = len(result.wrong), len(result.verdicts)
    if not (asked or worth_a_look(wrong, total)):
        return
    followed = follow(spec, answers, result.decimals)
    found = best(followed, total - wrong)
    if asked:
        result.conventions, result.convention = followed, found
    elif found is not None and found.right == total:
        result.convention = found


class _Diagnosis:
    """Where each wrong answer's error began, and which common mistake reproduces it.

    A wrong answer *follows from* the wrong answers it was computed from when
    the step recomputed from the student's own numbers gives it, or when one
    mistake reproduces it and every answer upstream of it. Otherwise it is an
    error of its own, and the mistakes are tried on it alone, with everything
    upstream of it correct.
    """

    def __init__(self, spec: Spec, exact: Calc, answers: list[Answer], decimals: int | None):
        self.spec, self.exact, self.decimals = spec, exact, decimals
        self.given = {a.key: a for a in answers}
        self.order = exact.order()
        self.ancestors = _Ancestors(exact)
        self.mistakes = variants(spec)
        self._calcs: dict = {}

    def calcs(self, variant: Variant = Variant(), overrides: dict | None = None) -> list[Calc]:
        """The step with this variant and these overrides: exact, and (with --round) by hand."""
        overrides = overrides or {}
        cache_key = (variant, frozenset(overrides.items()))
        if cache_key not in self._calcs:
            runs = [compute(self.spec, variant=variant, overrides=overrides)]
            if self.decimals is not None:
                runs += by_hand(self.spec, self.decimals, variant, overrides)
            self._calcs[cache_key] = runs
        return self._calcs[cache_key]

    def explain(self, wrong: list[Verdict]) -> None:
        keys = {v.answer.key for v in wrong}
        root_of: dict[Key, Key] = {}  # a wrong answer -> the answer its error began at
        carried = self._carried(wrong)
        for v in wrong:  # in computation order, so everything upstream is settled first
            key = v.answer.key
            answered = [self.given[k] for k in self.ancestors(key) if k in self.given]
            v.causes = self._matching(v, self.calcs, answered)
            # the wrong answers it was computed from, not through another wrong answer
            frontier = self.exact.nearest(key, keys)  # in computation order
            v.carried = bool(frontier) and carried(v)
            if frontier and (v.causes or v.carried):
                root = min((root_of[k] for k in frontier), key=self.order.__getitem__)
                root_of[key] = root
                v.upstream = key_text(root, self.exact.n_samples)
                continue
            root_of[key] = key
            if not v.causes:  # its own error: each mistake alone, on correct numbers upstream
                pinned = {a.key: self.exact.values[a.key] for a in answered}
                v.causes = self._matching(v, lambda variant, pinned=pinned: self.calcs(variant, pinned), [])
            if not v.causes and frontier:  # a new mistake made on the student's own wrong numbers upstream
                own = {a.key: (self.exact.values[a.key] if a.key not in keys else a.value) for a in answered}
                v.causes = self._matching(v, lambda variant, own=own: self.calcs(variant, own), [])
                names = ", ".join(f"{self.given[k].written} = {self.given[k].text}"
                                  for k in frontier)
                for c in v.causes:
                    c.text += f", applied to your own {names}"
            self._own_causes(v)

    def _matching(self, v: Verdict, calcs_of, upstream: list[Answer]) -> list[Cause]:
        """Every mistake whose recomputation gives this answer and every answer in `upstream`.

        The mistake need only change the value: one that moves it by less than half a unit can
        still be what took the student's rounded number past the line (a factor 2 on 0.0000039
        gives 0.0000078, written 0.00001)."""
        a, out = v.answer, []
        for mistake, variant in self.mistakes:
            if not variant.changes(a.key[0]):  # its recomputation cannot give another number here
                continue
            for k, calc in enumerate(calcs_of(variant)):
                if not all(matches(u.value, calc.values[u.key], u.tolerance) for u in upstream):
                    continue
                value = calc.values[a.key]
                if matches(a.value, value, a.tolerance) and not matches(value, v.correct, 0.0):
                    text, detail = _describe(self.spec, mistake, a.key)
                    if k:
                        text += f", with hand-rounding to {self.decimals} decimals"
                    out.append(Cause(mistake, text, detail))
                    break
        return out

    def _carried(self, wrong: list[Verdict]):
        """A test: does recomputing from the student's own wrong numbers give this answer?

        The student's numbers are rounded to the decimals written, so each one
        widens the tolerance by how far its last half unit moves the result.
        """
        student = {v.answer.key: v.answer.value for v in wrong}
        base = self.calcs(overrides=student)
        slack = dict.fromkeys(student, 0.0)
        for v in wrong:
            a = v.answer
            if a.tolerance > 0 and any(a.key in self.ancestors(w.answer.key) for w in wrong):
                for nudged, plain_run in zip(self.calcs(overrides={**student, a.key: a.value + a.tolerance}), base):
                    for k in slack:
                        if k in nudged.computed and k in plain_run.computed:  # (a time step's is not put in)
                            slack[k] += abs(nudged.computed[k] - plain_run.computed[k])

        def carried(v: Verdict) -> bool:
            k = v.answer.key
            return any(k in run.computed and matches(v.answer.value, run.computed[k], v.answer.tolerance + slack[k])
                       for run in base)

        return carried

    def _own_causes(self, v: Verdict) -> None:
        a = v.answer
        d = a.decimals
        if self.decimals is None and d is not None and 0 <= d <= 12:
            # Rounded along the way at the decimals written? `--round` would accept it.
            if any(matches(a.value, run.values[a.key], a.tolerance) for run in self.rounded_at(d)):
                v.causes.append(Cause("rounding", f"rounded to {d} decimals along the way",
                                      f"--round {d} accepts it"))
        if not v.causes and d is not None and 0 <= d <= 12:  # a last resort, like the sign
            self._truncated(v, d)
        if not v.causes and v.correct != 0 and matches(a.value, -v.correct, a.tolerance):
            v.causes.append(Cause("sign", "sign flipped", "the value is right but for its sign"))

    def _truncated(self, v: Verdict, d: int) -> None:
        """Truncated, not rounded: the answer itself, or every number along the way."""
        from .mistakes import truncate
        from .number_text import short

        a = v.answer
        if matches(a.value, float(truncate(v.correct, d)), 0.0):
            v.causes.append(Cause("truncated", f"truncated to {d} decimals, not rounded",
                                  f"{short(v.correct)} rounds to {fixed_text(v.correct, d)}"))
            return
        key = ("truncated", d)
        if key not in self._calcs:
            self._calcs[key] = truncated_by_hand(self.spec, d)
        if matches(a.value, self._calcs[key].values[a.key], a.tolerance):
            v.causes.append(Cause("truncated", f"truncated to {d} decimals along the way",
                                  "round halves up, not down"))

    def rounded_at(self, decimals: int) -> list[Calc]:
        key = ("by_hand", decimals)
        if key not in self._calcs:
            self._calcs[key] = by_hand(self.spec, decimals)
        return self._calcs[key]


class _Ancestors:
    def __init__(self, calc: Calc):
        self.deps = calc.deps
        self.memo: dict[Key, frozenset] = {}

    def __call__(self, key: Key) -> frozenset:
        if key not in self.memo:
            out: set = set()
            for d in self.deps[key]:
                out.add(d)
                out |= self(d)
            self.memo[key] = frozenset(out)
        return self.memo[key]


def fixed_text(value: float, decimals: int) -> str:
    """`value` rounded half up and written with `decimals` decimals."""
    from .arithmetic import round_half_up

    return f"{round_half_up(value, decimals):.{decimals}f}"


def truncated_by_hand(spec: Spec, decimals: int):
    """The step worked by hand, every recorded quantity truncated (not rounded) to `decimals`."""
    from .arithmetic import ByHand
    from .core import worked_step
    from .mistakes import truncate

    class Truncating(ByHand):
        def record(self, values, what: str = ""):
            return truncate(values, self.decimals)

    return Calc(worked_step(spec, Truncating(decimals)))
