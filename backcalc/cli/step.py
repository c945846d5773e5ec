"""`backcalc step`: one step, every factor, as tables, JSON or a worked solution."""

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import circuit
from .application import command, warn
from .circuit import is_circuit
from .inputs import network_for, read_spec
from .options import (
    BlankOpt,
    ConfigArg,
    DebugOpt,
    DigitsOpt,
    ExactOpt,
    ExampleOpt,
    FormatOpt,
    FullOpt,
    JsonOpt,
    NoColorOpt,
    OutputOpt,
    PerSampleOpt,
    QuietOpt,
    QuizOpt,
    RoundOpt,
    SetOpt,
    SolutionOpt,
    StepFormat,
)
from .outputs import output_target, report_failed_writes, try_write

DOCUMENTS = ("markdown", "latex", "html")


@command('One step, every factor: forward pass, loss, chain rule, update.')
def step(
    config: ConfigArg = None,
    json: JsonOpt = False,
    format: FormatOpt = StepFormat.table,
    blank: BlankOpt = False,
    quiz: QuizOpt = False,
    solution: SolutionOpt = None,
    output: OutputOpt = None,
    exact: ExactOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    full: FullOpt = False,
    round_: RoundOpt = None,
    per_sample: PerSampleOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Let --solution or --output replace an existing file "
                                        "(without it, an existing file is refused before anything is "
                                        "computed).")] = False,
    debug: DebugOpt = False,
    example: ExampleOpt = None,
) -> None:
    """One forward pass, loss, backward pass and optimizer update on the first batch, every factor shown."""
    from ..explain import step as run_step
    from ..numerics import quiet as quiet_numpy
    from ..numerics import step_warnings

    if quiz and (json or format.value != "html"):
        _check_document_options("json" if json else format.value, exact, round_, quiz, output)
    kind = step_format(json, format, blank or quiz, solution)
    _check_document_options(kind, exact, round_, quiz, output)
    spec = read_spec(config, example, quiet, set_, _size_check(round_))
    solution_file = output_target(solution, "--solution", force, spec)
    output_file = output_target(output, "--output", force, spec)
    if is_circuit(spec):
        return circuit.step(spec, kind, digits, blank, exact, round_, no_color, solution_file, per_sample,
                            output_file)
    with quiet_numpy():
        result = run_step(spec, network_for(spec, exact))
    result.warnings += step_warnings(result)
    warn(result.warnings, quiet)
    if kind in DOCUMENTS and round_ is not None:  # the document writes out the computation rounded by hand
        from ..hand_step import hand_rounded

        with quiet_numpy():
            result = hand_rounded(spec, result, round_)
        digits = max(digits, round_)
    extras = step_extras(spec, result, round_, per_sample)
    _warn_not_finite_by_hand(result, extras, round_, quiet)
    if kind in DOCUMENTS:
        page = _quiz_data(spec) if quiz else None
        write_solution(result, kind, digits, blank or quiz, solution_file, extras, output_file, page)
    else:
        _show(result, extras, kind, digits, full, no_color)


def _check_document_options(kind: str, exact: bool, round_: Optional[int], quiz: bool, output) -> None:
    if kind in DOCUMENTS and exact and round_ is not None:
        raise UsageError("--exact and --round: a worked solution shows either the exact computation or the one "
                         "rounded by hand; give one of them")
    if quiz and kind != "html":
        raise UsageError(f"--quiz writes a page that grades answers in the browser: it needs --format html, got {kind}")
    if quiz and round_ is not None:
        raise UsageError("--quiz and --round: the quiz grades answers as `check` does without --round; "
                         "give one of them")
    if output is not None and kind not in DOCUMENTS:
        raise UsageError(f"--output writes a document: it needs --format markdown, latex or html, got {kind}")


def _quiz_data(spec):
    from ..quiz import QuizTooBig, quiz_data

    try:
        return quiz_data(spec)
    except QuizTooBig as e:
        raise UsageError(str(e)) from None


def _size_check(round_: Optional[int]):
    from ..explain import size_limit

    if round_ is not None:  # recomputed number by number in plain Python, like `check`
        from ..check import CHECK_LIMIT

        return size_limit(CHECK_LIMIT, "--round recomputes")
    return size_limit()


def _show(result, extras: dict, kind: str, digits: int, full: bool, no_color: bool) -> None:
    if kind == "json":
        from ..render.json import dumps

        typer.echo(dumps({**result.to_dict(), **extras}))
    else:
        from ..render.step_table import step_tables
        from ..render.table import print_renderable

        print_renderable(step_tables(result, digits, full), no_color)
        if extras:
            print_renderable(_extra_tables(extras, digits, result, full), no_color)


def step_format(json: bool, format: StepFormat, blank: bool, solution: Optional[Path]) -> str:
    """The output asked for (table, json, markdown, latex), once the options are checked to agree."""
    kind = format.value
    if json and kind not in ("table", "json"):
        raise UsageError(f"--json and --format {kind} ask for different outputs; give one of them")
    kind = "json" if json else kind
    if blank and kind not in DOCUMENTS:
        raise UsageError(f"--blank writes an exercise document: it needs --format markdown, latex or html, got {kind}")
    if solution is not None and not blank:
        raise UsageError("--solution FILE goes with --blank (without --blank the solution itself is printed)")
    return kind


def _warn_not_finite_by_hand(result, extras: dict, round_: Optional[int], quiet: bool) -> None:
    broken = [q["quantity"] for q in extras.get("hand_rounding", {}).get("quantities", []) if q["drift"] is None]
    if broken:  # e.g. an output rounded to exactly 1 under bce: log 0 by hand
        note = (f"rounded to {round_} decimals along the way, {broken[0]}"
                f"{f' and {len(broken) - 1} more' if len(broken) > 1 else ''} cannot be computed by hand "
                "(not finite; null in JSON)")
        result.warnings.append(note)
        warn([note], quiet)


def step_extras(spec, result, decimals: Optional[int], per_sample: bool) -> dict:
    """The data `--round` and `--per-sample` add to a step (JSON keys `hand_rounding`, `per_sample`)."""
    extras: dict = {}
    if decimals is not None:
        from ..handcalc import drift

        rows = drift(spec, decimals)
        extras["hand_rounding"] = {"decimals": decimals, "quantities": [r.to_dict() for r in rows],
                                   "drifted": [r.quantity for r in rows if r.units != 0]}
    if per_sample:
        from ..per_sample import per_sample as per_sample_data

        extras["per_sample"] = per_sample_data(result)
    return extras


def _extra_tables(extras: dict, digits: int, result=None, full: bool = False):
    from rich.console import Group

    from ..render.step_extras import drift_table, per_sample_table

    parts = []
    if "per_sample" in extras:
        parts.append(per_sample_table(extras["per_sample"], digits, full))
    if "hand_rounding" in extras:
        h = extras["hand_rounding"]
        parts.append(drift_table(h["quantities"], h["decimals"], digits, result, full))
    return Group(*parts)


def write_solution(result, kind: str, digits: int, blank: bool, solution, extras: dict, output=None,
                   quiz: dict | None = None) -> None:
    """The worked solution (or, with --blank, the exercise; with `quiz` data, the quiz page) on stdout,
    or into the `output` target (--output FILE, checked); the `solution` target (--solution FILE,
    checked) gets the solution.

    `extras` (--round, --per-sample) shape both documents alike."""
    if kind == "markdown":
        from ..render.markdown import render
    elif kind == "latex":
        from ..render.latex import render
    else:
        from ..render.html_page import render
    from ..render.streams import printable

    failed: list = []
    if solution is not None:
        from ..atomic import write_file

        try_write(failed, write_file, solution, printable(render(result, digits, extras=extras)).encode("utf-8"))
    text = render(result, digits, blank=blank, extras=extras, **({"quiz": quiz} if quiz is not None else {}))
    if output is not None:
        from ..atomic import write_file

        try_write(failed, write_file, output, printable(text).encode("utf-8"))
    else:
        sys.stdout.write(printable(text))
        sys.stdout.flush()
    report_failed_writes(failed)
