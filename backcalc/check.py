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
from .mistakes import KIND_SLIPS, variants
from .mistakes import Mistake as Variant
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
        }


# check recomputes the step (and again for every mistake that could give a wrong answer). The
# per-number engine it once used took about 40 µs per chain-rule product, hence this bound; the
# vectorised core is far faster, but raising the bound changes what `check` and `--round` accept.
CHECK_LIMIT = 250_000


def check(spec: Spec, answers: list[Answer], decimals: int | None = None,
          answers_source: str = "<answers>") -> CheckResult:
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
    return CheckResult(spec.source, answers_source, decimals, verdicts)


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
            frontier = self._frontier(key, keys)
            if frontier and (v.causes or carried(v)):
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
                                  for k in sorted(frontier, key=self.order.__getitem__))
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
                        slack[k] += abs(nudged.computed[k] - plain_run.computed[k])

        def carried(v: Verdict) -> bool:
            k = v.answer.key
            return any(matches(v.answer.value, run.computed[k], v.answer.tolerance + slack[k]) for run in base)

        return carried

    def _frontier(self, key: Key, wrong: set) -> set:
        """The wrong answers this quantity was computed from, not through another wrong answer."""
        out, stack, seen = set(), list(self.exact.deps[key]), set()
        while stack:
            k = stack.pop()
            if k in seen:
                continue
            seen.add(k)
            if k in wrong:
                out.add(k)
            else:
                stack.extend(self.exact.deps[k])
        return out

    def _own_causes(self, v: Verdict) -> None:
        a = v.answer
        d = a.decimals
        if self.decimals is None and d is not None and 0 <= d <= 12:
            # Rounded along the way at the decimals written? `--round` would accept it.
            if any(matches(a.value, run.values[a.key], a.tolerance) for run in self.rounded_at(d)):
                v.causes.append(Cause("rounding", f"rounded to {d} decimals along the way",
                                      f"--round {d} accepts it"))
        if not v.causes and v.correct != 0 and matches(a.value, -v.correct, a.tolerance):
            v.causes.append(Cause("sign", "sign flipped", "the value is right but for its sign"))

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


def _neurons_of(spec: Spec, key: Key) -> list[tuple[int, int]]:
    """(layer, neuron) pairs a quantity belongs to."""
    kind, name, _ = key
    out = []
    for li, layer in enumerate(spec.layers):
        for i, m in enumerate(layer.neuron_names):
            if kind in ("z", "a", "dl_da", "da_dz", "delta", "loss_term") and m == name:
                out.append((li, i))
            if kind in ("grad", "new") and layer.kind == "dense" and (
                    name == layer.bias_names[i] or name in layer.weight_names[i]):
                out.append((li, i))
    return out


def _join(names: list[str]) -> str:
    return ", ".join(dict.fromkeys(names))


def _describe(spec: Spec, mistake: str, key: Key) -> tuple[str, str]:
    """A mistake's short name for this quantity, and why it is a mistake."""
    kind = key[0]
    if mistake == "updated_weights":
        above = [spec.layers[li + 1].weight_names[k][i] for li, i in _neurons_of(spec, key)
                 if li + 1 < len(spec.layers) and spec.layers[li + 1].kind == "dense"
                 for k in range(spec.layers[li + 1].size)]
        if not above:
            return "updated weights used", "backpropagate through the old weights"
        names = _join(above)
        if len(set(above)) == 1:
            return f"updated {names} used", f"δ needs the old {names} = {_old(spec, names)}"
        return f"updated {names} used", "δ needs the old weights"
    if mistake.startswith("no_derivative:"):
        which = mistake.split(":")[1]
        if which == "all":
            return "missing activation derivatives", "every δ taken as ∂L/∂a, without ∂a/∂z"
        layer = spec.layers[int(which)]
        # the neurons of that layer this quantity belongs to (δh1: h1), else the whole layer
        own = [layer.neuron_names[i] for li, i in _neurons_of(spec, key) if li == int(which)]
        if own or layer.size <= 3:
            names = ", ".join(f"∂{m}/∂z_{m}" for m in dict.fromkeys(own or layer.neuron_names))
            return f"missing activation derivative {names}", f"δ = ∂L/∂a × {layer.activation}′(z)"
        return (f"missing activation derivative in layer {int(which) + 1}",
                f"δ = ∂L/∂a × {layer.activation}′(z)")
    if mistake.split(":")[0] in KIND_SLIPS:
        slip, li, *position = mistake.split(":")
        _, short_name, why = KIND_SLIPS[slip]
        where = f"layer {int(li) + 1}" + (f", {spec.layers[int(li)].neuron_names[int(position[0])]} left out"
                                          if position else "")
        return f"{short_name} ({where})", why
    if mistake == "reduction":
        asked, used = spec.reduction, "sum" if spec.reduction == "mean" else "mean"
        what = "loss" if kind in ("loss", "loss_term") else "gradient"
        return f"the {what} of the {used} where the {asked} was asked", f"the spec's reduction is {asked}"
    return {
        "factor_2_grad": ("missing factor 2 in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}"),
        "factor_half_grad": ("missing factor ½ in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}"),
        "factor_2_loss": ("missing factor 2 in the loss", f"{_loss_formula(spec)}"),
        "factor_half_loss": ("missing factor ½ in the loss", f"{_loss_formula(spec)}"),
        "sign_grad": ("sign flip in ∂L/∂y", f"∂ℓ/∂y = {_loss_grad(spec)}"),
        "sign_update": ("sign flip in the update", "p ← p − η·∂L/∂p"),
        "bias_not_updated": ("bias left out of the update", "biases are updated like weights"),
        "frozen_updated": ("a frozen parameter was updated", f"the spec freezes {_join(spec.frozen)}"),
    }[mistake]


def _loss_grad(spec: Spec) -> str:
    from .losses import get_loss

    return get_loss(spec.loss).derivative_formula.partition(" = ")[2]


def _loss_formula(spec: Spec) -> str:
    from .losses import get_loss

    return get_loss(spec.loss).formula


def _old(spec: Spec, name: str) -> str:
    from .number_text import short

    for layer in spec.layers:
        for i in range(layer.size if layer.kind == "dense" else 0):
            if name in layer.weight_names[i]:
                return short(layer.weights[i, layer.weight_names[i].index(name)])
    return "?"
