"""A worked solution as one self-contained HTML page (`step --format html`), an exercise
(`--blank`) or a quiz (`--quiz`).

The page is solution.build()'s blocks laid out as HTML: each section (given, forward, loss,
backward, gradients, update) a <details> a reader can fold, the maths MathML written from the
same LaTeX the latex view prints (html_page_math.py), the network as inline SVG
(html_page_graph.py) and, for the solution, the step's tables as notebook.py draws them. The
style sheet and scripts are package data (render/static/) copied into the page, so it opens
offline and asks the network for nothing.
"""

from __future__ import annotations

import json
from html import escape
from importlib.resources import files

from ..result import StepResult
from .html import grid_html
from .html_page_graph import network_svg
from .html_page_math import aligned_mathml, to_mathml
from .math_text import render_expr, split_lines
from .solution import build
from .solution_blocks import BLANK_NOTE, Heading, Items, Math, Paragraph, Table

# The quantities a quiz asks for in each numbered section of the solution (its heading's number).
SECTION_KINDS = {"1": ("z", "a"), "2": ("loss_term", "loss"), "3": ("dl_da", "da_dz", "delta"),
                 "4": ("grad",), "5": ("new",)}


def static_text(name: str) -> str:
    """A file of render/static/ (package data: a wheel installs it too)."""
    return files("backcalc.render").joinpath("static", name).read_text(encoding="utf-8")


def render(result: StepResult, digits: int = 5, blank: bool = False, extras: dict | None = None,
           quiz: dict | None = None) -> str:
    """The whole page. `blank`: the exercise; `quiz` (quiz.quiz_data, implies blank): the exercise
    with a box per quantity, graded in the browser; `extras`: step's `--round`/`--per-sample` data."""
    blank = blank or quiz is not None
    title, body = layout(build(result, extras, blank), digits, blank, quiz)
    body.append(_network(result, digits, blank))
    if not blank:
        body.append(_tables(result, digits))
    return page(title, "\n".join(body), quiz)


def layout(doc, digits: int, blank: bool, quiz: dict | None = None) -> tuple[str, list[str]]:
    """A solution's blocks (a network's or a circuit's) as the page's title and body parts."""
    body, title, open_section = [], "", False
    for block in doc.blocks:
        if isinstance(block, Heading) and block.level == 1:
            title = block.text.replace("Worked solution", "Quiz" if quiz else "Exercise", 1) if blank else block.text
            body.append(f"<header><h1>{escape(title)}</h1>")
            if blank:
                body.append(f'<p class="note">{escape(BLANK_NOTE)}</p>')
            body.append("</header>")
            continue
        if isinstance(block, Heading) and block.level == 2:
            if open_section:
                body.append(_section_end(quiz, open_section))
            open_section = block.text.split(".")[0] if block.text[:1].isdigit() else "-"
            body.append(f'<details open class="section"><summary><h2>{escape(block.text)}</h2></summary>')
            continue
        body.append(_block(block, digits, blank))
    if open_section:
        body.append(_section_end(quiz, open_section))
    return title, body


def _section_end(quiz: dict | None, section: str) -> str:
    if quiz is None or section not in SECTION_KINDS:
        return "</details>"
    from .html_page_quiz import answer_boxes

    return answer_boxes(quiz, SECTION_KINDS[section]) + "</details>"


def _block(block, digits: int, blank: bool) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return "<p>" + "".join(escape(p) if isinstance(p, str) else _inline(p, digits, blank)
                               for p in block.parts) + "</p>"
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in block.header)
        rows = "".join("<tr>" + "".join(f"<td>{_cell(c, digits, blank)}</td>" for c in row) + "</tr>"
                       for row in block.rows)
        return (f'<div class="wide"><table class="solution"><thead><tr>{head}</tr></thead>'
                f'<tbody>{rows}</tbody></table></div>')
    if isinstance(block, Math):
        lines = [line for eq in block.equations for line in split_lines(eq, digits, blank)]
        return f'<div class="wide">{aligned_mathml(lines)}</div>'
    raise TypeError(f"a block the page cannot lay out: {type(block).__name__}")


def _inline(tokens: list, digits: int, blank: bool) -> str:
    return to_mathml(render_expr(tokens, digits, blank))


def _cell(cell, digits: int, blank: bool) -> str:
    if isinstance(cell, str):
        return escape(cell)
    if isinstance(cell, Items):
        return ", ".join(_inline(part, digits, blank) for part in cell.parts)
    return _inline(cell, digits, blank) if any(t != "" for t in cell) else ""


def _network(result: StepResult, digits: int, blank: bool) -> str:
    from ..errors import UsageError

    try:
        svg = network_svg(result, digits, blank)
    except UsageError as e:  # a layer kind graph does not draw yet: the page says so and goes on
        return f'<p class="note">No drawing of the network: {escape(str(e))}.</p>'
    what = "the given values" if blank else f"sample {result.batch[0] + 1}'s values, the batch's gradients"
    return (f'<details open class="section"><summary><h2>The network</h2></summary>'
            f'<p class="note">Drawn with {escape(what)}.</p>'
            f'<div class="wide">{svg}</div></details>')


def _tables(result: StepResult, digits: int) -> str:
    from .html_page_tables import extra_grids
    from .notebook import step_grids

    grids = "".join(grid_html(g) for g in step_grids(result, digits) + extra_grids(result, digits))
    return (f'<details open class="section tables"><summary><h2>The step\'s tables</h2></summary>'
            f'<div class="wide">{grids}</div></details>')


def page(title: str, body: str, quiz: dict | None) -> str:
    """The whole document around a body: the style sheet and scripts inline, no request allowed."""
    scripts = f"<script>{static_text('page.js')}</script>"
    if quiz is not None:
        data = json.dumps(quiz, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        scripts += (f'<script type="application/json" id="backcalc-quiz-data">{data}</script>'
                    f"<script>{static_text('quiz.js')}</script>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            # the page runs its own inline code and nothing else, and asks the network for nothing
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
            '<meta name="generator" content="backcalc">\n'
            f"<title>{escape(title)}</title>\n<style>{static_text('page.css')}</style>\n</head>\n"
            f'<body class="{"quiz" if quiz is not None else "solution"}">\n<main>\n{body}\n</main>\n'
            f"{scripts}\n</body>\n</html>\n")
