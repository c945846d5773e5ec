"""Which convention do a student's numbers follow? The step rerun under the conventions textbooks use.

A course may use another convention than the spec: ½ on the squared error or not (Hagan's F = Σe²,
Mitchell's and Nielsen's ½Σ(t − y)²), the mean over the outputs or their sum (PyTorch's MSELoss
averages; Ng sums the cross-entropy over the outputs), the mean or the sum over the batch, and δ
as ∂E/∂z or as −∂E/∂z (Haykin's local gradient, Mitchell's δ = (t − y)·f′(z)). Each alternative is
a change of the step's hooks (`mistakes.Mistake`'s scales and reduction) or the sign δ is written
with; `follow` counts the answers right under each and names the one that reproduces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from .answers import Answer, matches
from .mistakes import Mistake
from .spec_model import Spec

# an automatic look (without --conventions) when this many answers, and at least half, are wrong
AUTO_WRONG = 3


@dataclass(frozen=True)
class Convention:
    id: str  # "no_half+batch_sum", … ("+" joins the changes)
    text: str  # in words, with who uses it
    mistake: Mistake  # the hooks that compute the step under it
    delta_sign: int = 1  # −1: δ written as −∂E/∂z

    def value(self, calc, key) -> float:
        value = calc.values[key]
        return -value if self.delta_sign < 0 and key[0] in ("delta", "step_delta") else value


@dataclass
class Followed:
    convention: Convention
    right: int  # answers right under it
    total: int

    def to_dict(self) -> dict:
        return {"id": self.convention.id, "text": self.convention.text, "right": self.right, "total": self.total}


def _output_choices(spec: Spec) -> list[tuple[str, str, float]]:
    """(id, words, scale of every loss value and ∂ℓ/∂y) for each other output convention."""
    from .losses import get_loss

    loss = get_loss(spec.loss)
    k = spec.layers[-1].size
    if loss.squared is not None:
        own = loss.squared[1] if loss.squared[1] is not None else 1 / k
        choices = [("half", "½ on the squared error, ½·Σ(y − t)² (Mitchell, Nielsen, Mazur)", 0.5),
                   ("no_half", "no ½ on the squared error, Σ(y − t)² (Hagan's e²)", 1.0)]
        if k > 1:
            choices += [("output_mean", "the mean over the outputs, (1/K)·Σ(y − t)² (PyTorch's MSELoss)", 1 / k),
                        ("half_output_mean", "½ and the mean over the outputs, (1/2K)·Σ(y − t)²", 0.5 / k)]
        return [(i, t, w / own) for i, t, w in choices if w != own]
    if "log" in loss.formula and k > 1:
        if loss.mean_over_outputs:
            return [("output_sum", "the cross-entropy summed over the outputs (Ng), not averaged", float(k))]
        return [("output_mean", "the cross-entropy averaged over the outputs, not summed", 1 / k)]
    return []


def conventions(spec: Spec) -> list[Convention]:
    """Every other convention (and combination of them) the step can be written in."""
    outputs = [None] + _output_choices(spec)
    other = "sum" if spec.reduction == "mean" else "mean"
    batches = [False] + ([True] if spec.effective_batch_size > 1 else [])
    out = []
    for output, batch, sign in product(outputs, batches, (1, -1)):
        if output is None and not batch and sign == 1:
            continue  # the spec's own
        parts, scale = [], 1.0
        if output is not None:
            parts.append(output[:2])
            scale = output[2]
        if batch:
            parts.append((f"batch_{other}", f"the {other} over the batch"))
        if sign < 0:
            parts.append(("delta_sign", "δ = −∂E/∂z (Haykin's local gradient; Mitchell's δ = (t − y)·f′(z))"))
        mistake = Mistake(loss_scale=scale, grad_scale=scale, swap_reduction=batch)
        out.append(Convention("+".join(i for i, _ in parts), "; ".join(t for _, t in parts), mistake, sign))
    return out


def follow(spec: Spec, answers: list[Answer], decimals: int | None = None) -> list[Followed]:
    """How many answers each convention reproduces, most first (the spec's own left out)."""
    from .quantities import by_hand, compute

    runs: dict[Mistake, list] = {}
    out = []
    for c in conventions(spec):
        if c.mistake not in runs:
            runs[c.mistake] = [compute(spec, variant=c.mistake)] + (
                by_hand(spec, decimals, c.mistake) if decimals is not None else [])
        right = sum(any(matches(a.value, c.value(run, a.key), a.tolerance) for run in runs[c.mistake])
                    for a in answers)
        out.append(Followed(c, right, len(answers)))
    return sorted(out, key=lambda f: -f.right)


def best(followed: list[Followed], right_under_spec: int) -> Followed | None:
    """The convention that reproduces more answers than the spec's own, and the most (None: none does)."""
    if not followed or followed[0].right <= right_under_spec:
        return None
    return followed[0]


def worth_a_look(wrong: int, total: int) -> bool:
    """Many answers wrong: see, without being asked, whether one convention explains them all."""
    return wrong >= AUTO_WRONG and 2 * wrong >= total
