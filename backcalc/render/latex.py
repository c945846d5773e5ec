"""A worked solution as a complete LaTeX document (article, amsmath; compiles with pdflatex)."""

from __future__ import annotations

from ..result import StepResult
from .math_text import ascii_text, render_expr, split_lines, visible_width
from .solution import build
from .solution_blocks import BLANK_NOTE, Heading, Items, Math, Paragraph, Table

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\usepackage{array}
\usepackage{longtable}
\setlength{\LTleft}{0pt}
\renewcommand{\arraystretch}{1.3}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
"""

_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_SECTIONS = {2: "section*", 3: "subsection*"}
PAGE_CHARS = 80  # about how many characters of a formula fit across the page (11pt, 2 cm margins)
LONG_TABLE = 12  # a narrow table of more rows than this many per copy is set in copies side by side
MAX_COPIES = 3


_TEXT_MATH = {"∂": r"$\partial$", "ℓ": r"$\ell$", "δ": r"$\delta$", "η": r"$\eta$", "·": r"$\cdot$", "′": "'"}


def _text(s: str) -> str:
    """Plain text for pdflatex: the few maths letters of table headers (∂ℓ/∂a, δ) as maths, the rest ASCII."""
    return "".join(_TEXT_MATH.get(c) or "".join(_TEXT_ESCAPES.get(a, a) for a in ascii_text(c)) for c in s)


def render(result: StepResult, digits: int = 5, blank: bool = False, extras: dict | None = None) -> str:
    """The whole document; `blank` makes the exercise (computed numbers left as blanks); `extras`:
    step's `--round`/`--per-sample` data (see solution.build)."""
    return write(build(result, extras, blank), digits, blank)


def write(document, digits: int = 5, blank: bool = False) -> str:
    """A document's blocks as a LaTeX document (a network's solution, or a circuit's)."""
    body: list[str] = []
    title = ""
    for block in document.blocks:
        if isinstance(block, Heading):
            if block.level == 1:
                title = block.text.replace("Worked solution", "Exercise", 1) if blank else block.text
                if blank:
                    body += [_text(BLANK_NOTE), ""]
                continue
            body.append(f"\\{_SECTIONS.get(block.level, 'subsubsection*')}{{{_text(block.text)}}}")
        elif isinstance(block, Paragraph):
            body.append("".join(_text(p) if isinstance(p, str) else f"${render_expr(p, digits, blank)}$"
                                for p in block.parts))
        elif isinstance(block, Table):
            body.append("\n\n".join(_tables(block, digits, blank)))
        elif isinstance(block, Math):
            lines = [line for eq in block.equations for line in split_lines(eq, digits, blank)]
            body.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
        body.append("")
    return (PREAMBLE + f"\\title{{{_text(title)}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n"
            + "\n".join(body) + "\\end{document}\n")


def _tables(block: Table, digits: int, blank: bool) -> list[str]:
    """A table as longtables, which break across pages (the header repeated on each). Columns of
    comma-separated formulas (Items) wrap inside the room the others leave; a table still wider
    than the page is cut into several, each repeating the first column; a long narrow one runs in
    up to MAX_COPIES copies of its columns side by side, row after row."""
    n = len(block.header)
    cells = [[_cell(c, digits, blank) for c in row] for row in block.rows]
    widths = [max([len(h), *(_width(row[k], text) for row, text in zip(block.rows, (r[k] for r in cells)))]) + 2
              for k, h in enumerate(block.header)]
    wraps = [any(isinstance(row[k], Items) for row in block.rows) for k in range(n)]
    specs = ["l"] * n
    if sum(widths) > PAGE_CHARS and any(wraps):
        fixed = sum(w for w, wrap in zip(widths, wraps) if not wrap)
        flexible = sum(w for w, wrap in zip(widths, wraps) if wrap)
        room = max(PAGE_CHARS - fixed - 4, 12 * sum(wraps))  # 4: the column gaps, and a margin
        for k in range(n):
            if wraps[k]:
                share = min(widths[k], room * widths[k] / flexible) / PAGE_CHARS
                specs[k] = rf">{{\raggedright\arraybackslash}}p{{\dimexpr {share:.2f}\linewidth - 2\tabcolsep}}"
                widths[k] = round(share * PAGE_CHARS)
    groups = _column_groups(widths)
    copies = min(MAX_COPIES, PAGE_CHARS // (sum(widths) + 4), len(cells) // LONG_TABLE)
    if len(groups) == 1 and copies > 1:  # a long narrow table (the Given parameters): side by side
        header = " & ".join(_text(h) for h in block.header)
        rows = [" & ".join([header] * copies) + r" \\ \hline", r"\endhead"]
        for at in range(0, len(cells), copies):
            chunk = cells[at:at + copies]
            chunk += [[""] * n] * (copies - len(chunk))
            rows.append(" & ".join(" & ".join(row) for row in chunk) + r" \\")
        spec = r"@{\hspace{2em}}".join("".join(specs) for _ in range(copies))
        return [f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}\n" + "\n".join(rows) + "\n\\end{longtable}"]
    out = []
    for group in groups:
        rows = [" & ".join(_text(block.header[k]) for k in group) + r" \\ \hline", r"\endhead"]
        rows += [" & ".join(row[k] for k in group) + r" \\" for row in cells]
        out.append(f"\\begin{{longtable}}{{@{{}}{''.join(specs[k] for k in group)}@{{}}}}\n" + "\n".join(rows)
                   + "\n\\end{longtable}")
    return out


def _column_groups(widths: list[int]) -> list[list[int]]:
    """The columns split into as few page-wide groups of about equal size as fit, each starting
    with column 0 (one group when the table fits)."""
    rest = list(range(1, len(widths)))
    for count in range(1, len(rest) + 1):
        size = -(-len(rest) // count)
        groups = [[0, *rest[k:k + size]] for k in range(0, len(rest), size)]
        if all(sum(widths[j] for j in g) <= PAGE_CHARS for g in groups):
            return groups
    return [[0, k] for k in rest]


def _width(cell, text: str) -> int:
    if isinstance(cell, str):
        return len(ascii_text(cell))
    return visible_width(text.replace("$", "")) + 2 * text.count("$, $")  # Items: the ", " between


def _cell(cell, digits: int, blank: bool) -> str:
    if isinstance(cell, str):
        return _text(cell)
    if isinstance(cell, Items):
        return ", ".join(f"${render_expr(part, digits, blank)}$" for part in cell.parts)
    return f"${render_expr(cell, digits, blank)}$" if any(cell) else ""
