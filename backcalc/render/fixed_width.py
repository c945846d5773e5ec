"""Rich's table layout without rich's per-cell cost, for output without styles (a pipe, a file, NO_COLOR).

Rich measures and renders every cell through several layers of objects (~0.5 ms a row), which made
`step --full` of a 945-parameter net take 40 s. Here the column widths still come from rich's own
algorithm (`Table._calculate_column_widths`), run on a stand-in table of two cells a column that
measure as the column's widest cells do; a cell that fits its column is then written with string
padding, and only a cell that must wrap is handed to rich. The result is the same text, line for line
(tests/test_big_tables.py compares the two on every bundled config and random specs).
"""

from __future__ import annotations

from copy import copy
from dataclasses import replace

from rich.console import Console, ConsoleOptions, Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .cells import all_narrow, cell_len, longest, narrow, wrapped
from .streams import GLUE, for_encoding, printable


def plain_lines(renderable, console: Console) -> list[str] | None:
    """The lines `console` would print for `renderable` (trailing spaces kept), or None where
    this writer does not do exactly what rich does and rich should render it."""
    if console.color_system is not None:  # styles are written: rich's own segments
        return None
    options = console.options
    lines: list[str] = []
    for part in _flattened(renderable):
        rendered = _table_lines(part, console, options) if isinstance(part, Table) else None
        if rendered is None:
            rendered = _rich_lines(part, console, options)
        lines += rendered
    return lines


def _flattened(renderable):
    if isinstance(renderable, Group):
        for part in renderable.renderables:
            yield from _flattened(part)
    else:
        yield renderable


def _rich_lines(renderable, console: Console, options: ConsoleOptions) -> list[str]:
    return ["".join(s.text for s in line)
            for line in console.render_lines(renderable, options, pad=False, new_lines=False)]


def _plain_shape(table: Table) -> bool:
    """Only the table options backcalc uses; anything else is left to rich."""
    return (table.box is not None and table.show_header and not table.show_footer and table.show_edge
            and not table.show_lines and not table.leading and tuple(table.padding) == (0, 1, 0, 1)
            and not table.collapse_padding and not table.expand and table.width is None
            and table.caption is None and not table.row_styles and bool(table.columns)
            and isinstance(table.title, (str, type(None)))
            and all(c.width is None and c.max_width is None and c.ratio is None and c.vertical == "top"
                    and isinstance(c.header, str) for c in table.columns))


# Long because it is the hot path of every big table (tens of thousands of rows): the writer's state
# stays in locals shared by two closures, so a row costs no attribute lookups; split it only with
# `make bench ONLY=tables` beside you.
def _table_lines(table: Table, console: Console, options: ConsoleOptions) -> list[str] | None:
    if not _plain_shape(table):
        return None
    encode = not console.encoding.startswith("utf")

    def text_of(cell):
        if not isinstance(cell, str):
            return None
        cell = printable(cell)
        return for_encoding(cell, console.encoding) if encode else cell

    def texts_of(cells: list) -> list:
        """A column's texts: as they are when every one is a printable str the stream can write."""
        if all(type(c) is str for c in cells):
            joined = "".join(cells)
            # printable() keeps newlines and the glue, and each line between them when it is printable
            if (joined.isprintable() or joined.replace(GLUE, "").replace("\n", "").isprintable()) and (
                    not encode or for_encoding(joined, console.encoding) == joined):
                return cells
        return [text_of(c) for c in cells]

    columns = table.columns
    n = len(columns)
    texts = [texts_of(column._cells) for column in columns]
    headers = [text_of(c.header) for c in columns]
    if any(None in col for col in texts):
        return None
    widths = _widths(table, console, options, headers, texts)
    pads = [(0 if i == 0 and not table.pad_edge else 1, 0 if i == n - 1 and not table.pad_edge else 1)
            for i in range(n)]
    if all(w - left - right < 1 for w, (left, right) in zip(widths, pads)):
        return None  # every column squeezed to nothing: rich's corner case, not worth copying
    table_width = sum(widths) + table._extra_width
    render_options = options.update(width=table_width, highlight=table.highlight, height=None)
    box = table.box.substitute(render_options, safe=table.safe_box if table.safe_box is not None
                               else console.safe_box)
    lines: list[str] = []
    if table.title:
        title = console.render_str(table.title, highlight=False)
        lines += _rich_lines(title, console, render_options.update(justify=table.title_justify))
    lines.append(box.get_top(widths))

    simple = [(" " * left, " " * right, widths[i] - left - right, column.justify == "right")
              for i, ((left, right), column) in enumerate(zip(pads, columns))]
    plain_columns = all(column.justify in ("left", "right") for column in columns)

    def row_lines(cells: list, header: bool, edges: tuple[str, str, str], padded=None) -> list[str]:
        """A row's lines; `padded`: its cells as `_padded` wrote them (None where a cell needs more)."""
        if plain_columns and padded is None:  # the common row: one line a cell, each fits
            parts = []
            for text, (left, right, inner, flush_right) in zip(cells, simple):
                if "\n" in text or "\t" in text:
                    break
                if flush_right:
                    text = text.rstrip()
                size = cell_len(text)
                if size > inner or inner < 1:
                    break
                parts.append(left + " " * (inner - size) + text + right if flush_right
                             else left + text + " " * (inner - size) + right)
            else:
                return [edges[0] + edges[2].join(parts) + edges[1]]
        rendered = []
        for i, (cell, column) in enumerate(zip(cells, columns)):
            if padded is not None and padded[i] is not None:
                rendered.append([padded[i]])
                continue
            left, right = pads[i]
            inner = widths[i] - left - right
            rendered.append([" " * left + line + " " * right
                             for line in _cell_lines(cell, column, inner, console, render_options)])
        height = max(len(c) for c in rendered)
        for i, cell in enumerate(rendered):
            blank = [" " * widths[i]] * (height - len(cell))
            rendered[i] = blank + cell if header else cell + blank
        left_edge, right_edge, divider = edges
        return [left_edge + divider.join(parts) + right_edge for parts in zip(*rendered)]

    rows = table.rows
    lines += row_lines(headers, True, (box.head_left, box.head_right, box.head_vertical))
    lines.append(box.get_row(widths, "head", edge=True))
    mid = (box.mid_left, box.mid_right, box.mid_vertical)
    foot = (box.foot_left, box.foot_right, box.foot_vertical)
    section = box.get_row(widths, "row", edge=True)
    padded = [_padded(cells, *simple[i]) if plain_columns else [None] * len(cells)
              for i, cells in enumerate(texts)]
    for r, (row, cells) in enumerate(zip(rows, zip(*padded))):
        last = r == len(rows) - 1
        edges = foot if last else mid
        if None in cells:
            lines += row_lines([texts[i][r] for i in range(n)], False, edges, cells)
        else:
            lines.append(edges[0] + edges[2].join(cells) + edges[1])
        if row.end_section and not last:
            lines.append(section)
    lines.append(box.get_bottom(widths))
    return lines


def _padded(cells: list[str], left: str, right: str, inner: int, flush_right: bool) -> list[str | None]:
    """A column's cells padded to its width, as `row_lines` pads a one-line cell that fits; None
    for the others. A column of narrow characters only is padded by length, all at once."""
    if inner < 1:  # squeezed to nothing (rich's widths at a narrow terminal): blank, as rich leaves it
        return [" " * (len(left) + inner + len(right))] * len(cells)  # the column's width
    if flush_right:
        cells = [text.rstrip() for text in cells]
    joined = "".join(cells)
    if "\n" not in joined and "\t" not in joined and all_narrow(joined):
        if flush_right:
            return [left + text.rjust(inner) + right if len(text) <= inner else None for text in cells]
        return [left + text.ljust(inner) + right if len(text) <= inner else None for text in cells]
    out: list[str | None] = []
    for text in cells:
        size = cell_len(text)
        if "\n" in text or "\t" in text or size > inner:
            out.append(None)
        else:
            out.append(left + " " * (inner - size) + text + right if flush_right
                       else left + text + " " * (inner - size) + right)
    return out


def _cell_lines(text: str, column, width: int, console: Console, options: ConsoleOptions) -> list[str]:
    """A cell's lines, each `width` cells wide: string padding where it fits, rich where it wraps."""
    if width < 1:  # rich renders no line in a column squeezed to nothing; the row's others set the height
        return []
    one_line = "\t" not in text and "\n" not in text and column.justify in ("left", "right")
    if column.no_wrap and column.overflow in ("ellipsis", "fold", "crop") and one_line and narrow(text):
        # one line cut at the width, as rich's Text.truncate cuts it
        if column.justify == "right":
            text = text.rstrip()
        if len(text) > width:
            text = text[:width - 1] + "…" if column.overflow == "ellipsis" else text[:width]
        return [text.rjust(width) if column.justify == "right" else text.ljust(width)]
    if "\t" not in text and column.justify in ("left", "right"):
        parts = []
        for line in text.split("\n"):
            if cell_len(line) <= width:
                parts.append(line)
            elif column.no_wrap or not narrow(line):
                parts = None  # cropped, or wide or combining characters: rich's business
                break
            else:
                lines = wrapped(line, width, fold=column.overflow == "fold")
                if lines is None:
                    parts = None
                    break
                parts += lines
        if parts is not None:
            if column.justify == "right":
                return [" " * (width - cell_len(p)) + p for p in (p.rstrip() for p in parts)]
            return [p + " " * (width - cell_len(p)) for p in parts]
    cell_options = options.update(width=width, justify=column.justify, no_wrap=column.no_wrap,
                                  overflow=column.overflow, height=None, highlight=column.highlight)
    return ["".join(s.text for s in line)
            for line in console.render_lines(Text(text), cell_options, pad=True, new_lines=False)]


def _widths(table: Table, console: Console, options: ConsoleOptions, headers: list[str],
            texts: list[list[str]]) -> list[int]:
    """Rich's column widths, computed on `_stand_in`."""
    proxy = _stand_in(table, headers, texts)
    return proxy._calculate_column_widths(console, options.update_width(options.max_width - proxy._extra_width))


def _stand_in(table: Table, headers: list[str], texts: list[list[str]]) -> Table:
    """A table of two cells a column that measure as the widest of the column's cells do (a cell's
    measure is its longest line and its longest word): rich lays it out as it lays out `table`."""
    proxy = type(table)(box=table.box, pad_edge=table.pad_edge, min_width=table.min_width,  # its own edges
                        show_edge=table.show_edge, padding=table.padding, expand=table.expand)
    for column, header, cells in zip(table.columns, headers, texts):
        longest_line, longest_word = longest(set(cells))
        proxy.add_column(header, justify=column.justify, no_wrap=column.no_wrap, overflow=column.overflow,
                         min_width=column.min_width)
        column_cells = proxy.columns[-1]._cells
        if longest_line:
            column_cells += ["a" * longest_word, "a" + " " * (longest_line - 1)]
        elif cells:
            column_cells.append("")
    return proxy


# -- a table with styled marks and a centred column (check's verdicts) ---------------------------

def fitted_table_lines(table: Table, console: Console, options: ConsoleOptions) -> list[str] | None:
    """The lines rich prints for `table` when no styles are written and its minimum width fits
    `options` (measured unclamped, as `check` decides between its table and one block per answer);
    None otherwise, for rich to decide.

    Beyond the tables `plain_lines` writes: a cell may be a `Text` with one style and no spans (the
    style is not written, so rich prints its plain text), and a column may be centred where each of
    its cells is one line at most one cell narrower than the column: rich puts (width − cell) // 2
    spaces before a centred cell, none here, so it writes such a column as it writes one flush left.
    """
    if console.color_system is not None or not _plain_shape(table):
        return None
    encoding = None if console.encoding.startswith("utf") else console.encoding
    columns, headers, texts = [], [], []
    for column in table.columns:
        cells = [cell if type(cell) is str else _styled_only(cell, encoding) for cell in column._cells]
        if None in cells:
            return None
        shown = [_shown(cell, encoding) for cell in cells]
        header = _shown(column.header, encoding)
        if column.justify == "center":  # (a table's min_width may widen the column past its cells)
            if table.min_width is not None or not _flush_when_centred(column, [header, *shown]):
                return None
            column = replace(column, justify="left")
        columns.append(replace(column, _cells=cells))
        headers.append(header)
        texts.append(shown)
    plain = copy(table)
    plain.columns = columns
    if Measurement.get(console, options.update_width(10_000), _stand_in(plain, headers, texts)).minimum \
            > options.max_width:
        return None
    return _table_lines(plain, console, options)


def _shown(text: str, encoding: str | None) -> str:
    """A str cell as the console lays it out (`_PrintableConsole.render_str`, and `text_of` above)."""
    text = printable(text)
    return for_encoding(text, encoding) if encoding else text


def _styled_only(cell, encoding: str | None) -> str | None:
    """The text of a `Text` cell that prints as its plain text and that a str cell of that text would
    print as: one style, no spans, nothing the console would change (a Text is not made printable)."""
    if type(cell) is not Text or cell.spans or cell.justify or cell.overflow or cell.no_wrap is not None \
            or cell.end != "\n":
        return None
    text = cell.plain
    return text if _shown(text, encoding) == text else None


def _flush_when_centred(column, texts: list[str]) -> bool:
    """Every text of a no-wrap column (its header too) one line of narrow characters, none with
    trailing spaces (rich strips those before centring), and each at most one cell narrower than the
    widest (or the column's min_width), so none gets a space before it."""
    if not column.no_wrap:
        return False
    if any("\n" in t or "\t" in t or t != t.rstrip() or not narrow(t) for t in texts):
        return False
    width = max(max(map(len, texts)), column.min_width or 0)
    return all(len(t) >= width - 1 for t in texts)
