"""An exercise's documents: per variant the blank exercise and the solution in every document
format (Markdown, LaTeX, HTML, plain text), the HTML quiz page and the answers file, and the index
of all variants."""

from __future__ import annotations

import csv
import io

from ..classroom.given import given_rows, setting

DOCUMENTS = ("md", "tex", "txt")
TEXT_WIDTH = 100  # the plain-text solution's tables, whatever the terminal


def variant_file_names() -> list[str]:
    """The files of a variant's folder, in the order they are written."""
    return ["spec.yaml", "exercise.md", "solution.md", "exercise.tex", "solution.tex", "exercise.html",
            "solution.html", "quiz.html", "exercise.txt", "solution.txt", "answers.yaml"]


def variant_files(variant, result, decimals: int) -> dict[str, str]:
    """{file name: text} of one variant's folder."""
    from ..quiz import quiz_data
    from .html_page import render as html
    from .latex import render as latex
    from .markdown import render as markdown

    return {
        "spec.yaml": variant.yaml,
        "exercise.md": markdown(result, decimals, blank=True),
        "solution.md": markdown(result, decimals),
        "exercise.tex": latex(result, decimals, blank=True),
        "solution.tex": latex(result, decimals),
        "exercise.html": html(result, decimals, blank=True),
        "solution.html": html(result, decimals),
        "quiz.html": html(result, decimals, quiz=quiz_data(variant.spec)),  # graded in the browser, as check
        "exercise.txt": worksheet(variant, decimals),
        "solution.txt": tables_text(result, decimals),
        "answers.yaml": answers_file(variant, decimals),
    }


def worksheet(variant, decimals: int) -> str:
    """The plain-text exercise: the given numbers, then one line per quantity to fill in, so that the
    filled-in sheet is an answers file for `backcalc check`."""
    lines = [f"# Exercise {variant.id}: {setting(variant.spec)}", "# Given:"]
    lines += [f"#   {label} = {value}" for label, value in given_rows(variant.spec)]
    lines += [f"# Write each value to {decimals} decimals after its colon; then",
              f"#   backcalc check {variant.id}/spec.yaml --answers THIS-FILE", ""]
    lines += [f"{q.name}:" for q in variant.key]
    return "\n".join(lines) + "\n"


def answers_file(variant, decimals: int) -> str:
    """The right answers at the answer decimals, as an answers file (`check` accepts every line)."""
    lines = [f"# The answers of exercise {variant.id}, each to {decimals} decimals"]
    lines += [f"{q.name}: {q.text}" for q in variant.key]
    return "\n".join(lines) + "\n"


def tables_text(result, decimals: int) -> str:
    """The step's tables as plain text at TEXT_WIDTH columns, no colour (what `backcalc step` prints)."""
    from rich.console import Console

    from .step_table import step_tables
    from .streams import GLUE

    out = io.StringIO()
    console = Console(file=out, width=TEXT_WIDTH, color_system=None, no_color=True, highlight=False,
                      markup=False, emoji=False, force_terminal=False, legacy_windows=False)
    console.print(step_tables(result, decimals))
    return "".join(line.replace(GLUE, " ").rstrip(" ") + "\n" for line in out.getvalue().splitlines())


def index_files(exercise, roster_columns: list[str]) -> dict[str, str]:
    """index.md (for the teacher) and index.csv (one row per variant, for a spreadsheet or a mail merge)."""
    first = exercise.variants[0]
    md = [f"# Exercise: {len(exercise.variants)} variants of {exercise.template}", "",
          setting(first.spec), "",
          f"Seed {exercise.seed}; given numbers with {exercise.decimals} decimals, answers to "
          f"{exercise.answer_decimals}; {exercise.draws} draws, "
          f"{exercise.draws - len(exercise.variants)} refused"
          + _refusals(exercise.refused)
          + ".", "",
          "| variant | " + "".join(f"{c} | " for c in roster_columns) + "loss | exercise | solution |",
          "|---|" + "---|" * len(roster_columns) + "---:|---|---|"]
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["variant", *roster_columns, "loss", "spec", "exercise", "solution", "answers"])
    for v in exercise.variants:
        loss = next(q.text for q in v.key if q.name == "loss")
        cells = [v.student.get(c, "") for c in roster_columns]
        md.append(f"| {v.id} | " + "".join(f"{_cell(c)} | " for c in cells)
                  + f"{loss} | [md]({v.id}/exercise.md) [tex]({v.id}/exercise.tex) [html]({v.id}/exercise.html) "
                  f"[quiz]({v.id}/quiz.html) [txt]({v.id}/exercise.txt) "
                  f"| [md]({v.id}/solution.md) [tex]({v.id}/solution.tex) [html]({v.id}/solution.html) "
                  f"[txt]({v.id}/solution.txt) |")
        writer.writerow([v.id, *cells, loss, f"{v.id}/spec.yaml", f"{v.id}/exercise.md", f"{v.id}/solution.md",
                         f"{v.id}/answers.yaml"])
    return {"index.md": "\n".join(md) + "\n", "index.csv": rows.getvalue()}


def _refusals(refused) -> str:
    return (": " + "; ".join(f"{why} ({n})" for why, n in sorted(refused.items()))) if refused else ""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
