"""The `check` table: each answer, the correct value, ✓ or ✗, what it follows from, and numbered causes."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ..check import ROUNDING, WRONG, CheckResult
from .fixed_width import fitted_table_lines
from .numbers import fixed, fmt
from .table import HEAD_RULE

NOT_RECOGNISED = "cause not recognised"


def verdict_rows(result: CheckResult, digits: int = 5) -> tuple[list[tuple], list[str]]:
    """One row per answer (quantity, yours, correct, ✓ or ✗, follows from, the causes' note numbers)
    and the notes those numbers refer to: what the terminal's table and a notebook's both show."""
    notes: list[str] = []  # shown under the table; a cell holds only a note's number

    def note(text: str) -> str:
        if text not in notes:
            notes.append(text)
        return f"({notes.index(text) + 1})"

    written = {v.quantity: v.answer.written for v in result.verdicts}
    rows = []
    for v in result.verdicts:
        a = v.answer
        shown = max(digits, min((a.decimals or 0) + 1, 12))
        if v.verdict == WRONG:
            mark = "✗"
            # An answer that follows from a wrong one upstream needs no cause of its own.
            cause = (" or ".join(note(c.full()) for c in v.causes) if v.causes
                     else "" if v.upstream else note(NOT_RECOGNISED))
        else:
            mark = "✓"
            cause = (note(f"right by hand-rounding (by hand {fixed(v.by_hand, result.decimals)})")
                     if v.verdict == ROUNDING else "")
        upstream = written.get(v.upstream, v.upstream) if v.upstream else ""
        rows.append((a.written, a.text, fmt(v.correct, shown), mark, upstream, cause))
    return rows, notes


def check_table(result: CheckResult, digits: int = 5) -> Group:
    title = f"Checking {result.answers_source} against {result.source}"
    if result.decimals is not None:
        title += f" (hand-rounding to {result.decimals} decimals allowed)"
    plain_rows, notes = verdict_rows(result, digits)
    rows = [(*row[:3], Text(row[3], style="bold red" if row[3] == "✗" else "bold green"), *row[4:])
            for row in plain_rows]

    table = Table(box=HEAD_RULE, pad_edge=False)
    widest = max(len(v.answer.written) for v in result.verdicts)
    table.add_column("quantity", justify="left", min_width=min(widest, 24), overflow="fold")
    table.add_column("yours", justify="right", no_wrap=True)
    table.add_column("correct", justify="right", no_wrap=True)
    table.add_column("", justify="center", no_wrap=True)
    keep = [True] * 4
    labels = ["yours", "correct", "follows from", "cause" if result.wrong else "note"]
    for header, i in ((labels[2], 4), (labels[3], 5)):
        keep.append(any(row[i] for row in rows))  # an empty column is left out
        if keep[-1]:
            table.add_column(header, justify="left")
    for row in rows:
        table.add_row(*(cell for cell, k in zip(row, keep) if k))
    # the title wraps at the terminal, not the table
    parts = [Text(title, style="bold"), _TableOrStack(table, rows, labels)]
    if notes:
        listing = Table.grid(padding=(0, 1))
        listing.add_column(no_wrap=True)
        listing.add_column()
        for i, text in enumerate(notes, 1):
            listing.add_row(f"({i})", text)
        parts += [listing, Text()]
    return Group(*parts, Text(summary(result)))


class _TableOrStack:
    """The table where the terminal is wide enough for every column whole, else one block per answer.

    A table squeezed below its minimum width would cut numbers (`0.3…`) and drop the ✓/✗ and
    cause columns; stacked, each answer's fields go on lines of their own and nothing is cut.
    """

    def __init__(self, table: Table, rows: list[tuple], labels: list[str]):
        self.table, self.rows, self.labels = table, rows, labels  # labels of yours, correct, follows, cause

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = fitted_table_lines(self.table, console, options)
        if lines is not None:  # no styles written and it fits: the same lines without rich's cost per cell
            for line in lines:
                yield Segment(line)
                yield Segment.line()
            return
        # measured unclamped: Measurement.get caps its answer at the width it is given
        needed = Measurement.get(console, options.update_width(10_000), self.table).minimum
        if needed <= options.max_width:
            yield self.table
            return
        width = options.max_width
        for written, yours, correct, mark, upstream, cause in self.rows:
            yield Text.assemble(mark, " ", (written, "bold"), overflow="fold")
            for label, value in zip(self.labels, (yours, correct, upstream, cause)):
                if not value:
                    continue
                line = f"  {label:<7} {value}"
                # a value too long for its label's line gets a line of its own, folded only if
                # even that is too narrow
                yield Text(line if cell_len(line) <= width else f"  {label}\n    {value}", overflow="fold")
        yield Text()


def summary(result: CheckResult) -> str:
    total = len(result.verdicts)
    right = total - len(result.wrong)
    text = f"{right} of {total} right"
    by_rounding = sum(v.verdict == ROUNDING for v in result.verdicts)
    if by_rounding:
        text += f" ({by_rounding} by hand-rounding)"
    if result.wrong:
        roots = [next(v.answer.written for v in result.verdicts if v.quantity == q) for q in result.roots]
        text += (f"; {len(result.wrong)} wrong, starting at {', '.join(roots)}"
                 + (": fix those first, the others follow from them" if len(roots) < len(result.wrong) else ""))
    return text + "."
