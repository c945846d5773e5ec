"""Rich tables for people: forward pass, loss, chain rule, update; training runs."""

from __future__ import annotations

from fractions import Fraction

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..result import ForwardResult, TrainResult
from .numbers import approx, fmt, fmt_once, with_exact
from .numbers import exact as exact_number
from .summary import SUMMARY_HEAD
from .summary import pick as _pick

MAX_SAMPLES_SHOWN = 8
MAX_TERMS_WRITTEN = 4  # write the weighted sum out for layers with at most this many inputs
MAX_PARAMETERS_SHOWN = 40  # the final-parameters table of `train`, unless --full


class _HeadRule(box.Box):
    """box.SIMPLE_HEAD (a rule under the header, nothing else) without its right edge, and keeping
    its shape on a stream that cannot write '─', where rich would draw a full ASCII grid: the
    rule becomes '-'. The right edge would only write a space the output strips, and cost a
    column at 80 (issue 13: softmax_classifier's backward pass folded a term for it)."""

    def __init__(self, box_text: str, *, ascii: bool = False) -> None:
        super().__init__(box_text, ascii=ascii)
        for side in ("top_right", "head_right", "head_row_right", "mid_right", "row_right",
                     "foot_row_right", "foot_right", "bottom_right"):
            setattr(self, side, "")

    def substitute(self, options, safe: bool = True) -> box.Box:
        return _ASCII_HEAD_RULE if options.ascii_only and not self.ascii else self


HEAD_RULE = _HeadRule("    \n    \n ── \n    \n    \n    \n    \n    \n")
_ASCII_HEAD_RULE = _HeadRule("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


class EdgeTable(Table):
    """A table drawn with HEAD_RULE: one edge column (the left), not rich's two."""

    @property
    def _extra_width(self) -> int:
        return super()._extra_width - (self.box is not None and self.show_edge)


def titled_table(title: str, *columns: tuple[str, str]) -> Table:
    table = EdgeTable(title=title, title_justify="left", title_style="bold", box=HEAD_RULE,
                      pad_edge=False, min_width=len(title))
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=justify == "right", overflow="fold")
    return table


class Rows:
    """Rows of plain-text cells put into a rich table at once, as `add_row` puts them (the same
    cells, the same `Row` records), without its checks cell by cell: a big table has ~50,000 rows."""

    def __init__(self, table: Table):
        self._table, self._width, self._pending = table, len(table.columns), []

    def add(self, *cells: str) -> None:
        if len(cells) != self._width:
            raise ValueError(f"a row of {len(cells)} cells in a table of {self._width} columns")
        self._pending.append(cells)

    def add_row(self, *cells: str, style=None) -> None:
        """A row as rich adds it (with a style, say), after the rows before it."""
        self.table().add_row(*cells, style=style)

    def add_section(self) -> None:
        self.table().add_section()

    def table(self) -> Table:
        """The table with every row added so far."""
        if self._pending:
            from rich.table import Row

            for column, cells in zip(self._table.columns, zip(*self._pending)):
                column._cells.extend(cells)
            self._table.rows.extend(Row() for _ in self._pending)
            self._pending = []
        return self._table


class Texts:
    """Per-sample values (the first `n`) written as `fmt` writes them; an array many rows share (a
    neuron's ∂ℓ/∂a, an input) written once."""

    def __init__(self, n: int, digits: int):
        self.n, self.digits, self._seen = n, digits, {}

    def once(self, values) -> list[str]:
        d = self.digits
        return [fmt_once(v, d) for v in values[:self.n].tolist()]

    def of(self, values) -> list[str]:
        key = id(values)
        hit = self._seen.get(key)
        if hit is None:  # the array is kept with its text, so its id is not reused while we look
            hit = self._seen[key] = (values, self.once(values))
        return hit[1]


def hanging(mark: str, note: str) -> Table:
    """A dim note after `mark`; a line it wraps onto starts under the note, not under the mark."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_row(Text(mark, style="dim"), Text(note, style="dim"))
    return grid


def samples(result, full: bool = False) -> list[int]:
    """The samples a step's tables show a row each for: the first MAX_SAMPLES_SHOWN, or all with --full."""
    return list(range(len(result.batch) if full else min(len(result.batch), MAX_SAMPLES_SHOWN)))


def batch_text(result) -> str:
    """Which samples a step took, counted from 1: `3`, or `1–4`."""
    b = result.batch
    return str(b[0] + 1) if len(b) == 1 else f"{b[0] + 1}–{b[-1] + 1}"


def gap_row(table: Table, what: str, n_hidden: int, cells: int, at: int, mark: int = 1) -> None:
    """A dim row standing for the rows a summarised view leaves out: ⋮ in column `mark`, a note at `at`."""
    row = [""] * cells
    row[mark] = "⋮"
    row[at] = f"{'⋮ ' if at == mark else ''}{n_hidden} more {what} (--full)"
    table.add_row(*row, style="dim")



def train_tables(result: TrainResult, digits: int = 5, sparkline: str | None = None,
                 full: bool = False) -> Group:
    d = digits
    parts = []
    several = result.batches_per_epoch > 1
    per_sample = result.reduction == "sum"
    # Exact values (--exact) show as decimals, with their exact value in a column of its own.
    exact = isinstance(result.loss, Fraction)
    number = (lambda x: approx(x, d)) if exact else (lambda x: fmt(x, d))
    columns = [("epoch", "right"), ("loss (mean over batches)" if several else "loss", "right")]
    columns += [("min", "right"), ("max", "right")] if several else []
    columns += [("mean per sample", "right")] if per_sample else []
    columns += [("exact loss", "left")] if exact else []
    history = titled_table("Training", *columns)
    if exact:  # headers may wrap, so that the exact values keep a column wide enough to fold in
        for column in history.columns[1:]:
            column.no_wrap = False
    for r in result.history:
        history.add_row(str(r.epoch), number(r.loss),
                        *([number(r.loss_min), number(r.loss_max)] if several else []),
                        *([number(r.mean_sample_loss)] if per_sample else []),
                        *([_exact(r.loss)] if exact else []))
    parts.append(history)
    if sparkline:
        parts.append(Text(f"loss {sparkline}"))
    final = titled_table(f"Final parameters after {result.epochs} epoch{'s' if result.epochs != 1 else ''}",
                   ("parameter", "left"), ("value", "right"), *([("exact value", "left")] if exact else []))
    items = list(result.parameters.items())
    limit = len(items) if full else MAX_PARAMETERS_SHOWN
    for name, value in items[:limit]:
        final.add_row(name, number(value), *([_exact(value)] if exact else []))
    if len(items) > limit:
        final.add_row(f"⋮ {len(items) - limit} more (--full)", "", style="dim")
    parts.append(final)
    n_samples = len(result.output) if full else MAX_SAMPLES_SHOWN
    shown = _pick(result.output.shape[1], full)
    written = (lambda x: with_exact(x, d)) if exact else number
    outputs = ", ".join("[" + ", ".join("…" if k is None else written(row[k]) for k in shown) + "]"
                        for row in result.output[:n_samples])
    more = " …" if len(result.output) > n_samples else ""
    parts.append(Text.assemble(("final loss on all data: ", "bold"), written(result.loss)))
    parts.append(Text.assemble(("outputs: ", "bold"), outputs + more))
    return Group(*parts)


def _exact(q) -> Text:
    """An exact value for a column of its own: long ones fold at the column's width."""
    return Text(exact_number(q), overflow="fold")


def forward_table(result: ForwardResult, digits: int = 5, full: bool = False) -> Group:
    """Every neuron's z and a, per sample; wide layers and long batches summarised unless `full`."""
    d = digits
    n = len(result.inputs)
    many = n > 1
    samples = list(range(n if full else min(n, MAX_SAMPLES_SHOWN)))
    source = "the spec's inputs" if result.inputs_from == "spec" else "--inputs"
    title = Text.assemble((f"{result.name or result.source}", "bold"),
                          f": forward pass of {n} sample{'s' if many else ''} ({source})")
    cols = [("layer", "left"), ("neuron", "left")] + ([("sample", "right")] if many else [])
    table = titled_table("Forward pass", *cols, ("z", "right"), ("a", "right"))
    for j in _pick(len(result.input_names), full):
        if j is None:
            gap_row(table, "inputs", len(result.input_names) - SUMMARY_HEAD - 1, 4 + many, at=1, mark=1)
            continue
        for s in samples:
            table.add_row("0 input" if j == 0 and s == 0 else "", result.input_names[j] if s == 0 else "",
                          *([str(s + 1)] if many else []), "", fmt(result.inputs[s, j], d))
    table.add_section()
    for layer in result.layers:
        for i in _pick(len(layer.neuron_names), full):
            if i is None:
                gap_row(table, "neurons", len(layer.neuron_names) - SUMMARY_HEAD - 1, 4 + many, at=1, mark=1)
                continue
            for s in samples:
                table.add_row(f"{layer.index + 1} {layer.activation}" if i == 0 and s == 0 else "",
                              layer.neuron_names[i] if s == 0 else "", *([str(s + 1)] if many else []),
                              fmt(layer.z[s, i], d), fmt(layer.a[s, i], d))
        table.add_section()
    parts = [title, table]
    if len(samples) < n:
        parts.append(Text(f"(showing the first {len(samples)} of {n} samples; --full or --json has them all)",
                          style="dim"))
    return Group(*parts)


def make_console(no_color: bool = False, stderr: bool = False) -> Console:
    """A console for tables: `no_color` (or NO_COLOR) turns off every ANSI style, not only colour."""
    import os

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    # markup=False, emoji=False: names are the user's text ("w[out,x1]" must not be read as a
    # style tag, nor ":smile:" become 😄; not loading rich's emoji table also saves ~4 ms)
    return _PrintableConsole(stderr=stderr, highlight=False, markup=False, emoji=False, no_color=plain or None,
                             **({"color_system": None} if plain else {}))


class _PrintableConsole(Console):
    """Text cells and titles made printable, and spelled as the stream can encode them, before
    the table is laid out, so they keep their columns aligned (print_renderable and the stream
    make sure of the rest)."""

    def render_str(self, text: str, **options) -> Text:
        from .streams import for_encoding, printable

        text = printable(text)
        if not self.encoding.startswith("utf"):
            text = for_encoding(text, self.encoding)
        return super().render_str(text, **options)


def print_renderable(renderable, no_color: bool = False, stderr: bool = False) -> None:
    """Print through the output boundary: the user's text made printable (a name cannot clear the
    screen or move the cursor) and no trailing spaces (rich pads cells to the table's width, which
    makes diffs of saved output noisy)."""
    from rich.segment import Segment, Segments

    from . import fixed_width
    from .streams import GLUE, printable

    console = make_console(no_color, stderr)
    plain = fixed_width.plain_lines(renderable, console)
    if plain is not None:  # no styles to write: the same text without rich's cost per cell
        text = "".join(printable(line.replace(GLUE, " ")).rstrip(" ") + "\n" for line in plain)
        console.print(Segments([Segment(text)]), crop=False, end="")
        return
    segments = []
    for line in console.render_lines(renderable, pad=False, new_lines=False):
        line = [Segment(printable(s.text.replace(GLUE, " ")), s.style) if not s.control else s for s in line]
        while line and not line[-1].control and not line[-1].text.rstrip(" "):
            line.pop()
        if line and not line[-1].control:
            line[-1] = Segment(line[-1].text.rstrip(" "), line[-1].style)
        segments += [*line, Segment.line()]
    console.print(Segments(segments), crop=False, end="")

