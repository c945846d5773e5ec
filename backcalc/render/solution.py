"""A worked solution as format-neutral blocks, read off a StepResult.

`build()` turns one step into headings, paragraphs, tables and groups of equations (the blocks of
solution_blocks.py, each section written by solution_forward/_backward/_update.py); `markdown.py`
and `latex.py` only lay those blocks out. Equations are LaTeX math (math_text.py), with every
number kept as a `Num` so it is written once, at `--digits`, and so an exercise (`blank=True`)
can replace each computed number by a blank while keeping the given data.
"""

from __future__ import annotations

from ..result import StepResult
from .solution_backward import BackwardSections
from .solution_blocks import Document, Heading
from .solution_forward import ForwardSections
from .solution_update import UpdateSections


class _Builder(ForwardSections, BackwardSections, UpdateSections):
    def build(self) -> Document:
        r = self.r
        self.doc.add(Heading(1, f"Worked solution: {r.name or r.source}"))
        self.setup()
        self.forward()
        self.loss()
        self.backward()
        self.gradients()
        self.update()
        if self.per_sample:
            self.per_sample_table()
        if self.hand is not None and not self.blank:
            self.hand_rounding()
        return self.doc


def build(result: StepResult, extras: dict | None = None, blank: bool = False) -> Document:
    """The worked solution of one step, as blocks.

    `extras` are step's `--round`/`--per-sample` data (JSON keys `hand_rounding`, `per_sample`):
    with `hand_rounding`, `result` holds the hand-rounded values (hand_step.hand_rounded) and the
    document says so and ends with where they drift; with `per_sample`, every sample is written
    out and a table gives each sample's derivatives before the reduction. `blank`: an exercise
    (the drift section, which gives answers away, is left out).
    """
    extras = extras or {}
    if any(layer.kind != "dense" for layer in result.layers):  # conv, pool, flatten, batchnorm
        from .layer_solution import kind_document

        return kind_document(result, blank, extras.get("hand_rounding"))
    return _Builder(result, extras.get("hand_rounding"), "per_sample" in extras, blank).build()
