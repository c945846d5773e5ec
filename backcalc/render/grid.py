"""A table as plain data (a title, columns, rows of text, notes), and as Markdown with `$…$` maths.

What render/notebook.py builds from a result, and what html.py and `markdown_grids` write out.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Column:
    text: str  # the header as Unicode (HTML, plain text)
    latex: str = ""  # the header as Markdown maths, `$…$` (default: the text)
    right: bool = True  # numbers are right-aligned


@dataclass
class Grid:
    title: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    title_latex: str = ""  # the title's maths for Markdown, after the words
    notes: list[str] = field(default_factory=list)  # lines under the table
    dim: set = field(default_factory=set)  # rows standing for rows left out
    bold: set = field(default_factory=set)  # totals

    def add(self, *cells: str, dim: bool = False, bold: bool = False) -> None:
        if dim:
            self.dim.add(len(self.rows))
        if bold:
            self.bold.add(len(self.rows))
        self.rows.append(list(cells))


def markdown_grids(heading: str, grids: list[Grid]) -> str:
    """The grids as Markdown tables (a notebook's Markdown renders `$…$` as maths)."""
    out = [f"**{_md(heading)}**", ""] if heading else []
    for grid in grids:
        out.append(f"**{_md(grid.title)}**" + (f" {grid.title_latex}" if grid.title_latex else ""))
        out.append("")
        out.append("| " + " | ".join(c.latex or _md(c.text) or " " for c in grid.columns) + " |")
        out.append("|" + "|".join("---:" if c.right else ":---" for c in grid.columns) + "|")
        for k, row in enumerate(grid.rows):
            cells = [_md(cell) for cell in row]
            if k in grid.bold:
                cells = [f"**{c}**" if c else c for c in cells]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        out += [f"{_md(note)}  " for note in grid.notes]
        if grid.notes:
            out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    """A cell's text in a Markdown table: pipes escaped, and no `$`, `*` or `_` read as markup."""
    for ch in "\\|$*_":
        text = text.replace(ch, "\\" + ch)
    return text
