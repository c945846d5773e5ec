"""`backcalc check SPEC --answers DIR/` and `--roster roster.csv`: a class graded at once."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .application import err


def run_class(config: Optional[str], answers: Optional[str], roster: Optional[str], options: dict) -> None:
    """Grade every student, print the report (table or JSON), write the --plot, exit as the report says."""
    from ..check import CHECK_LIMIT
    from ..class_report import folder_students, grade, roster_students
    from ..errors import UsageError
    from ..explain import size_limit
    from ..spec import load_spec
    from .inputs import read_spec
    from .outputs import output_target, report_failed_writes, try_write

    if answers is not None and roster is not None and not Path(answers).is_dir():
        raise UsageError(f"check --roster: --answers {answers}: expected a folder of answers files, one a student")
    size = size_limit(CHECK_LIMIT, "check recomputes")
    if roster is None and config is None and options["example"] is None:
        raise UsageError("check --answers DIR: give the SPEC every answers file is checked against")
    common = None
    if config is not None or options["example"] is not None or roster is None:
        common = read_spec(config, options["example"], options["quiet"], options["set"], size)
    plot_target = None
    if options["plot"] is not None:
        from ..render.plot import check_plot_format

        check_plot_format(options["plot"])
        plot_target = output_target(options["plot"], "--plot", options["force"], common or _Source(roster))
    source = common.source if common is not None else None
    students = (roster_students(roster, source, answers) if roster is not None
                else folder_students(answers, source))

    def spec_for(path: str):
        if common is not None and path == common.source:
            return common
        return load_spec(path, options["set"], size)

    report = grade(students, roster or answers, spec_for, options["round"], options["conventions"])
    for s in report.problems:
        err(f"backcalc: not graded: {s.name}: {s.problem}")
    if not report.graded:  # bad input only: nothing on standard output
        err(f"backcalc: check: no student in {roster or answers} could be graded")
        raise typer.Exit(report.exit_code)
    failed: list = []
    if plot_target is not None:
        try_write(failed, _write_plot, report, options["plot"], plot_target, Path(roster or answers).name)
    if options["json"]:
        from ..render.json import dumps

        typer.echo(dumps(report.to_dict()))
    else:
        from ..render.class_report import class_tables
        from ..render.table import print_renderable

        print_renderable(class_tables(report), options["no_color"])
    report_failed_writes(failed)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _write_plot(report, path: str, target, name: str) -> None:
    """The class's mistakes as bars (another convention in grey), written to the checked target."""
    from ..atomic import write_file
    from ..render.plot import mistake_plot_image

    mistakes = report.mistakes()
    rows = [(m.text, len(m.students)) for m in mistakes]
    muted = frozenset(i for i, m in enumerate(mistakes) if m.mistake.startswith("convention:"))
    title = f"Mistakes in {name} ({len(report.graded)} students)"
    write_file(target, mistake_plot_image(path, rows, len(report.graded), title, muted))


class _Source:
    """What output_target needs of a spec (its source, so --plot cannot overwrite it)."""

    def __init__(self, source: str):
        self.source = source
