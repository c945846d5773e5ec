"""Grade a student's answers: right or wrong, where the error began, and which mistake it looks like.

Each answer is compared with the exact value at the tolerance its own digits
imply. A wrong answer names the first answered quantity upstream of it (in
the order of the computation) that was already wrong, and every common
mistake (`handcalc.variants`) whose recomputation reproduces the student's
number. With `decimals`, an answer that matches the hand-rounded computation
but not the exact one is right by hand-rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .answers import Answer, key_text, matches
from .handcalc import Calc, Key, compute, variants
from .result import plain
from .spec import Spec

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


def check(spec: Spec, answers: list[Answer], decimals: int | None = None,
          answers_source: str = "<answers>") -> CheckResult:
    exact = compute(spec)
    hand = compute(spec, decimals) if decimals is not None else None
    n = exact.n_samples
    order = exact.order()
    verdicts = []
    for a in sorted(answers, key=lambda a: order[a.key]):
        correct = exact.values[a.key]
        by_hand = hand.values[a.key] if hand else None
        if matches(a.value, correct, a.tolerance):
            verdict = RIGHT
        elif by_hand is not None and matches(a.value, by_hand, a.tolerance):
            verdict = ROUNDING
        else:
            verdict = WRONG
        verdicts.append(Verdict(a, key_text(a.key, n), correct, by_hand, verdict))
    wrong = {v.answer.key: v for v in verdicts if v.verdict == WRONG}
    if wrong:
        ancestors = _Ancestors(exact)
        for v in wrong.values():
            up = [k for k in ancestors(v.answer.key) if k in wrong]
            if up:
                v.upstream = key_text(min(up, key=order.__getitem__), n)
        given = {a.key: a for a in answers}
        _diagnose(spec, list(wrong.values()), decimals,
                  {v.answer.key: [given[k] for k in ancestors(v.answer.key) if k in given] for v in wrong.values()})
    return CheckResult(spec.source, answers_source, decimals, verdicts)


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


def _diagnose(spec: Spec, wrong: list[Verdict], decimals: int | None, upstream: dict) -> None:
    """Name every common mistake whose recomputation gives the student's number.

    The recomputation must also give every answer the student wrote upstream of
    it, so a mistake is named only where it explains the whole chain.
    """
    for mistake, variant in variants(spec):
        calcs = [compute(spec, variant=variant)]
        if decimals is not None:
            calcs.append(compute(spec, decimals, variant))
        for v in wrong:
            a = v.answer
            for k, calc in enumerate(calcs):
                value = calc.values[a.key]
                if not all(matches(u.value, calc.values[u.key], u.tolerance) for u in upstream[a.key]):
                    continue
                if matches(a.value, value, a.tolerance) and not matches(value, v.correct, a.tolerance):
                    text, detail = _describe(spec, mistake, a.key)
                    if k:
                        text += f", with hand-rounding to {decimals} decimals"
                    v.causes.append(Cause(mistake, text, detail))
                    break
    if decimals is None:
        # Rounded along the way at the decimals written? `--round` would accept it.
        by_hand: dict[int, Calc] = {}
        for v in wrong:
            d = v.answer.decimals
            if d is None or not 0 <= d <= 12:
                continue
            if d not in by_hand:
                by_hand[d] = compute(spec, d)
            if matches(v.answer.value, by_hand[d].values[v.answer.key], v.answer.tolerance):
                v.causes.append(Cause("rounding", f"rounded to {d} decimals along the way",
                                      f"--round {d} accepts it"))
    for v in wrong:
        if not v.causes and v.correct != 0 and matches(v.answer.value, -v.correct, v.answer.tolerance):
            v.causes.append(Cause("sign", "sign flipped", "the value is right but for its sign"))


def _neurons_of(spec: Spec, key: Key) -> list[tuple[int, int]]:
    """(layer, neuron) pairs a quantity belongs to."""
    kind, name, _ = key
    out = []
    for li, layer in enumerate(spec.layers):
        for i, m in enumerate(layer.neuron_names):
            if kind in ("z", "a", "dl_da", "da_dz", "delta", "loss_term") and m == name:
                out.append((li, i))
            if kind in ("grad", "new") and (name == layer.bias_names[i] or name in layer.weight_names[i]):
                out.append((li, i))
    return out


def _join(names: list[str]) -> str:
    return ", ".join(dict.fromkeys(names))


def _describe(spec: Spec, mistake: str, key: Key) -> tuple[str, str]:
    """A mistake's short name for this quantity, and why it is a mistake."""
    kind = key[0]
    if mistake == "updated_weights":
        above = [spec.layers[li + 1].weight_names[k][i] for li, i in _neurons_of(spec, key)
                 if li + 1 < len(spec.layers) for k in range(spec.layers[li + 1].size)]
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
        if layer.size <= 3:
            names = ", ".join(f"∂{m}/∂z_{m}" for m in layer.neuron_names)
            return f"missing activation derivative {names}", f"δ = ∂L/∂a × {layer.activation}′(z)"
        return (f"missing activation derivative in layer {int(which) + 1}",
                f"δ = ∂L/∂a × {layer.activation}′(z)")
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
    from .render.numbers import short

    for layer in spec.layers:
        for i in range(layer.size):
            if name in layer.weight_names[i]:
                return short(layer.weights[i, layer.weight_names[i].index(name)])
    return "?"
