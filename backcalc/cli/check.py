"""`backcalc check` and `backcalc gradcheck`: grading answers by hand, and the gradients by finite differences."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ExitCode, UsageError
from .application import command, err, warn
from .circuit import is_circuit
from .inputs import read_spec, read_stdin
from .options import ConfigArg, DebugOpt, DigitsOpt, ExampleOpt, JsonOpt, NoColorOpt, QuietOpt, SetOpt, complete_answers

RosterOpt = Annotated[Optional[str], typer.Option(
    "--roster", metavar="ROSTER.csv", show_default=False,
    help="Grade a class: a CSV with student, answers and (per-student variants) spec columns, paths relative "
         "to it; with --answers DIR, each student's file in DIR instead of the answers column.")]
PlotOpt = Annotated[Optional[str], typer.Option(
    "--plot", metavar="FILE", show_default=False,
    help="With a class: write how many students made each mistake to an image, e.g. mistakes.svg (an existing "
         "FILE only with --force); needs matplotlib.")]
ConventionsOpt = Annotated[bool, typer.Option(
    "--conventions", help="Also rerun the step under the conventions textbooks use (½ on squared error or "
                          "not, mean or sum over outputs and batch, the sign of δ) and say which one the answers "
                          "follow.")]


@command('Grade hand-computed answers and name the likely mistake.')
def check(
    config: ConfigArg = None,
    answers: Annotated[Optional[str], typer.Option(
        "--answers", "-a", metavar="ANSWERS.yaml", show_default=False,
        help="Your answers: `quantity: value` pairs (names as in `backcalc docs check`); `-` reads standard "
             "input; a folder grades a class (a file per student, named by its stem).")] = None,
    answers_example: Annotated[Optional[str], typer.Option(
        "--answers-example", metavar="NAME", show_default=False, autocompletion=complete_answers,
        help="Use a bundled answers file instead of --answers (`backcalc examples` lists them).")] = None,
    round_: Annotated[Optional[int], typer.Option(
        "--round", min=0, max=12, metavar="N",
        help="Accept answers that match a computation rounded to N decimals at every step, as by hand.")] = None,
    roster: RosterOpt = None,
    plot: PlotOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Let --plot replace an existing file.")] = False,
    conventions: ConventionsOpt = False,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    debug: DebugOpt = False,
    example: ExampleOpt = None,
) -> None:
    """Check hand-computed answers: ✓ or ✗ for each, where the errors begin, and the likely mistake."""
    if roster is not None or (answers not in (None, "-") and Path(answers).is_dir()):
        from .check_class import run_class

        if answers_example is not None:
            raise UsageError("check: --answers-example grades one file; a class comes from --answers DIR or --roster")
        return run_class(config, answers, roster, {
            "round": round_, "conventions": conventions, "json": json, "quiet": quiet, "no_color": no_color,
            "set": set_, "example": example, "plot": plot, "force": force})
    if plot is not None:
        raise UsageError("check: --plot draws a class's mistakes; give --answers DIR or --roster")
    if (answers is None) == (answers_example is None):
        raise UsageError("check: give your answers with --answers ANSWERS.yaml or --answers-example NAME"
                         + (", not both" if answers is not None else ""))
    if answers == "-" and config == "-":
        raise UsageError("backcalc: the spec and the answers cannot both come from standard input")
    from ..check import CHECK_LIMIT
    from ..explain import size_limit

    spec = read_spec(config, example, quiet, set_, size_limit(CHECK_LIMIT, "check recomputes"))
    given, source = _read_answers(spec, answers, answers_example)
    result = _graded(spec, given, round_, source, conventions)
    if json:
        from ..render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from ..render.check import check_table
        from ..render.table import print_renderable

        print_renderable(check_table(result, digits), no_color)
    if not result.ok:
        raise typer.Exit(int(ExitCode.WRONG))



def _graded(spec, given, round_, source, conventions: bool):
    """The check of a network's answers, or a circuit's."""
    if not is_circuit(spec):
        from ..check import check as run_check

        return run_check(spec, given, round_, source, conventions)
    if conventions:
        raise UsageError("check: --conventions reruns a network's step under its loss conventions; "
                         "a circuit has none")
    from ..circuit.check import check as run_circuit_check

    return run_circuit_check(spec, given, round_, source)

def _read_answers(spec, answers: Optional[str], answers_example: Optional[str]):
    """The answers (--answers FILE, `-`, or --answers-example NAME) and the name messages give their source."""
    from ..answers import read_answers

    if answers_example is not None:
        from .. import bundled

        source = bundled.answers_source(answers_example)
        return read_answers(source, spec, bundled.read_answers(answers_example)), source
    if answers == "-":
        return read_answers("<stdin>", spec, read_stdin("the answers")), "<stdin>"
    return read_answers(answers, spec), answers


@command('Compare every gradient with finite differences (and PyTorch).')
def gradcheck(
    config: ConfigArg = None,
    eps: Annotated[float | None, typer.Option("--eps", metavar="FLOAT", help="Step h of the central differences "
                                              "for every parameter (default ∛ε_mach·max(1, |p|) per parameter p).")
                   ] = None,
    tol: Annotated[float, typer.Option("--tol", metavar="FLOAT",
                                       help="Largest relative error that counts as agreement.")] = 1e-5,
    no_torch: Annotated[bool, typer.Option("--no-torch", help="Do not compare with torch.autograd even if "
                                           "PyTorch is installed.")] = False,
    max_params: Annotated[int, typer.Option(
        "--max-params", min=0, metavar="N", help="Check at most this many parameters (a fixed random sample of a "
        "larger network); 0 checks all.")] = 200,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    debug: DebugOpt = False,
    example: ExampleOpt = None,
) -> None:
    """Compare every analytic gradient with central finite differences (and torch.autograd); exit 1 on a mismatch."""
    from ..gradcheck import gradcheck as run_gradcheck

    for option, value in (("--eps", eps), ("--tol", tol)):
        if value is None:
            continue
        if not value > 0:
            raise UsageError(f"{option}: expected a number > 0, got {value:g}")
        if value == float("inf"):
            raise UsageError(f"{option}: expected a finite number, got {value:g}")
    spec = read_spec(config, example, quiet, set_)
    if is_circuit(spec):
        from ..circuit.gradcheck import gradcheck as circuit_gradcheck

        result = circuit_gradcheck(spec, eps=eps, tol=tol, use_torch=not no_torch)
    else:
        result = run_gradcheck(spec, eps=eps, tol=tol, use_torch=not no_torch, max_params=max_params or None)
    warn(result.notes, quiet)
    if json:
        from ..render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from ..render.gradcheck import gradcheck_tables
        from ..render.table import print_renderable

        print_renderable(gradcheck_tables(result, digits), no_color)
    if not result.ok:
        err(f"backcalc: gradcheck: {', '.join(result.failures)} disagree beyond the tolerance {tol:g}")
        raise typer.Exit(int(ExitCode.WRONG))
