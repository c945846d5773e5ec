"""What every section of a worked solution shares: the step, which samples are written, and the
symbols of its quantities (a neuron's z and a, a sample's loss and targets)."""

from __future__ import annotations

from ..result import LayerResult, StepResult
from .math_text import join_tokens, name
from .solution_blocks import Document, Heading, Num, Paragraph

MAX_SAMPLES_WRITTEN = 8


class SolutionState:
    def __init__(self, result: StepResult, hand_rounding: dict | None = None, per_sample: bool = False,
                 blank: bool = False):
        self.r = result
        self.n = len(result.batch)
        self.many = self.n > 1
        self.hand = hand_rounding  # step's JSON `hand_rounding` when the values are rounded by hand
        self.per_sample = per_sample
        self.blank = blank
        self.samples = list(range(self.n if per_sample else min(self.n, MAX_SAMPLES_WRITTEN)))
        self.doc = Document()
        self.out = result.layers[-1]
        self.k = len(self.out.neuron_names)

    # symbols
    def loss_sym(self, s: int) -> str:
        return rf"\ell_{{{self.r.batch[s] + 1}}}" if self.many else "L"

    def target_sym(self, k: int) -> str:
        return "t" if self.k == 1 else f"t_{{{k + 1}}}"

    def at(self, sym: str, s: int) -> str:
        """`sym` of sample s, e.g. t^{(2)}, when the batch has several samples (the loss lines)."""
        if not self.many:
            return sym
        return f"{sym if '^' not in sym else '{' + sym + '}'}^{{({self.r.batch[s] + 1})}}"

    def a_sym(self, layer: LayerResult, i: int) -> str:
        return name(layer.neuron_names[i])

    def z_sym(self, layer: LayerResult, i: int) -> str:
        return f"z_{{{self.a_sym(layer, i)}}}"

    def input_value(self, li: int, s: int, j: int, wrap: bool = True) -> Num:
        if li == 0:
            return Num(self.r.inputs[s, j], given=True, wrap=wrap)
        return Num(self.r.layers[li - 1].a[s, j], wrap=wrap)

    def sample_heading(self, s: int) -> None:
        if self.many:
            self.doc.add(Heading(3, f"Sample {self.r.batch[s] + 1}"))

    def more_samples_note(self) -> None:
        if self.n > len(self.samples):
            self.doc.add(Paragraph([f"(The remaining {self.n - len(self.samples)} samples of the batch go the "
                                    "same way; backcalc step --json lists every value.)"]))

    def reduced(self, values: list) -> list:
        """The batch's mean (or sum) of the written samples' values, `1/N(a + b + …)`."""
        tokens = join_tokens([[Num(v, wrap=True)] for v in values], " + ")
        if self.n > len(self.samples):
            tokens += [r" + \dots"]
        if self.r.reduction == "mean":
            return [rf"\frac{{1}}{{{self.n}}}", "(", *tokens, ")"]
        return tokens

    def rounding_note(self) -> list:
        n = self.hand["decimals"]
        return [f"Every computed value is rounded to {n} decimal{'s' if n != 1 else ''} before it is used again, "
                "as by hand (the given values are used as they are), and each chain-rule product is the rounded ",
                [r"\delta"], " times the input"
                + ("; the last section compares the result with the exact computation." if not self.blank else ".")]
