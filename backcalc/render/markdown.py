"""A worked solution as Markdown with GitHub's math syntax ($…$ inline, ```math blocks)."""

from __future__ import annotations

import re

from ..result import StepResult
from .math_text import render_expr, split_lines
from .solution import build
from .solution_blocks import BLANK_NOTE, Heading, Items, Math, Paragraph, Table

_TEXT_SPECIALS = re.compile(r"([\\`*_\[\]<>$#|])")


def _text(s: str) -> str:
    return _TEXT_SPECIALS.sub(r"\\\1", s)


def _inline(tokens: list, digits: int, blank: bool) -> str:
    return f"${render_expr(tokens, digits, blank)}$"


def render(result: StepResult, digits: int = 5, blank: bool = False, extras: dict | None = None) -> str:
    """The whole document; `blank` makes the exercise (computed numbers left as blanks); `extras`:
    step's `--round`/`--per-sample` data (see solution.build)."""
    return write(build(result, extras, blank), digits, blank)


def write(document, digits: int = 5, blank: bool = False) -> str:
    """A document's blocks as Markdown (a network's solution, or a circuit's)."""
    out: list[str] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            title = block.text
            if block.level == 1 and blank:
                title = title.replace("Worked solution", "Exercise", 1)
            out.append(f"{'#' * block.level} {_text(title)}")
            if block.level == 1 and blank:
                out += ["", BLANK_NOTE]
        elif isinstance(block, Paragraph):
            out.append("".join(_text(p) if isinstance(p, str) else _inline(p, digits, blank) for p in block.parts))
        elif isinstance(block, Table):
            out.append("| " + " | ".join(_text(h) for h in block.header) + " |")
            out.append("|" + "---|" * len(block.header))
            for row in block.rows:
                out.append("| " + " | ".join(_cell(c, digits, blank) for c in row) + " |")
        elif isinstance(block, Math):
            lines = [line for eq in block.equations for line in split_lines(eq, digits, blank)]
            out.append("```math\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n```")
        out.append("")
    return "\n".join(out)


def _nonempty(cell: list) -> bool:
    return any(not (isinstance(t, str) and t == "") for t in cell)


def _cell(cell, digits: int, blank: bool) -> str:
    if isinstance(cell, str):
        return _text(cell)
    if isinstance(cell, Items):
        return _inline([t for k, part in enumerate(cell.parts) for t in ([", "] if k else []) + part], digits, blank)
    return _inline(cell, digits, blank) if _nonempty(cell) else ""
