"""A worked solution as a complete LaTeX document (article, amsmath; compiles with pdflatex)."""

from __future__ import annotations

from ..result import StepResult
from .solution import BLANK_NOTE, Heading, Math, Paragraph, Table, _ascii, build, render_expr, split_lines

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
"""

_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                 "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_SECTIONS = {2: "section*", 3: "subsection*"}


def _text(s: str) -> str:
    return "".join(_TEXT_ESCAPES.get(c, c) for c in _ascii(s))


def render(result: StepResult, digits: int = 5, blank: bool = False, extras: dict | None = None) -> str:
    """The whole document; `blank` makes the exercise (computed numbers left as blanks); `extras`:
    step's `--round`/`--per-sample` data (see solution.build)."""
    body: list[str] = []
    title = ""
    for block in build(result, extras, blank).blocks:
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
            cols = "l" * len(block.header)
            rows = [" & ".join(_text(h) for h in block.header) + r" \\ \hline"]
            for row in block.rows:
                rows.append(" & ".join(_cell(c, digits, blank) for c in row) + r" \\")
            body.append(f"\\begin{{tabular}}{{{cols}}}\n" + "\n".join(rows) + "\n\\end{tabular}")
        elif isinstance(block, Math):
            lines = [line for eq in block.equations for line in split_lines(eq, digits, blank)]
            body.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
        body.append("")
    return (PREAMBLE + f"\\title{{{_text(title)}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n"
            + "\n".join(body) + "\\end{document}\n")


def _cell(cell, digits: int, blank: bool) -> str:
    if isinstance(cell, str):
        return _text(cell)
    return f"${render_expr(cell, digits, blank)}$" if any(cell) else ""
