"""The class report: a score per student, then each mistake with how many made it and where."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from ..class_report import ClassReport
from .table import titled_table


def class_tables(report: ClassReport) -> Group:
    graded = report.graded
    title = f"Class report: {report.source} ({len(graded)} of {len(report.students)} graded)"
    students = titled_table(title, ("student", "left"), ("score", "right"), ("right", "right"),
                            ("carried", "right"), ("wrong", "right"), ("where errors begin", "left"))
    for s in report.students:
        if not s.graded:
            students.add_row(s.name, "—", "", "", "", Text("not graded (why: on standard error, or --json)",
                                                               style="dim"))
            continue
        verdicts = s.result.verdicts
        begin = "; ".join(f"{q} ({t})" for q, t in _firsts(s))
        if s.convention is not None:  # told, not marked wrong everywhere
            begin = f"all right under {s.convention.convention.text}"
        students.add_row(s.name, f"{100 * s.score:.0f}%", str(sum(v.verdict != "wrong" for v in verdicts)),
                         str(sum(v.carried for v in verdicts)), str(len(s.result.wrong)), begin)
    parts = [students, Text()]
    mistakes = report.mistakes()
    if mistakes:
        table = titled_table("Mistakes, most students first (what to re-teach)", ("mistake", "left"),
                             ("students", "right"), ("at", "left"))
        for m in mistakes:
            share = f"{len(m.students)} ({100 * len(m.students) / len(graded):.0f}%)"
            table.add_row(m.text, share, ", ".join(f"{q} ({n})" for q, n in m.at.most_common()))
        parts += [table, Text()]
    parts.append(Text(summary(report)))
    return Group(*parts)


def _firsts(student) -> list[tuple[str, str]]:
    """Each quantity where an error begins, with its causes joined by `or`."""
    out: dict[str, list[str]] = {}
    for quantity, _, text in student.errors():
        out.setdefault(quantity, []).append(text)
    return [(q, " or ".join(texts)) for q, texts in out.items()]


def summary(report: ClassReport) -> str:
    graded = report.graded
    if not graded:
        return "No student could be graded."
    mean = sum(s.score for s in graded) / len(graded)
    text = (f"{len(graded)} students graded, {sum(s.result.ok for s in graded)} all right; mean score "
            f"{100 * mean:.0f}% (error carried forward counts as right)")
    if report.problems:
        text += f"; {len(report.problems)} not graded"
    return text + "."
