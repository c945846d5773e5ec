"""The command line: read input, call the library, choose a renderer, map errors to exit codes."""

from __future__ import annotations

import enum
import functools
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import BackcalcError, ExitCode

app = typer.Typer(
    name="backcalc",
    help="A backpropagation calculator: every partial derivative of a small network, step by step.",
    add_completion=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DEFAULT_CONFIG = "backcalc.yaml"

ConfigArg = Annotated[Optional[str], typer.Argument(
    help="The spec file (YAML); `-` reads standard input. Omitted: ./backcalc.yaml if present, "
         "else the embedded default example.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (JSON Lines for train) instead of tables.")]
DigitsOpt = Annotated[int, typer.Option("--digits", min=0, max=17, help="Decimals shown in tables.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print results only: no notes or warnings.")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour (NO_COLOR is honoured too).")]
DebugOpt = Annotated[bool, typer.Option("--debug", hidden=True, help="Show tracebacks of internal errors.")]
ExactOpt = Annotated[bool, typer.Option("--exact", help="Exact rational arithmetic from the YAML's decimals "
                                        "(identity/relu/leaky_relu with a polynomial loss).")]


class StepFormat(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"


FormatOpt = Annotated[StepFormat, typer.Option("--format", "-f", help="table (default), json (= --json), or a "
                                               "worked solution as markdown or latex.")]
BlankOpt = Annotated[bool, typer.Option("--blank", help="Write the worked solution as an exercise: computed numbers "
                                        "become blanks (with --format markdown|latex).")]
SolutionOpt = Annotated[Optional[Path], typer.Option("--solution", metavar="FILE", help="With --blank: also write "
                                                     "the full solution to FILE.", show_default=False)]


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def handle_errors(fn):
    """Turn every failure into one clear message and an exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BackcalcError as e:
            for line in e.lines():
                _err(line)
            raise typer.Exit(int(e.exit_code)) from None
        except KeyboardInterrupt:
            _err("backcalc: interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:
            # A closed pipe (`| head`) is not an error worth a message.
            sys.stderr.close()
            raise typer.Exit(0) from None
        except Exception as e:  # the last resort: a bug in backcalc
            if debug:
                import traceback

                traceback.print_exc()
            _err(f"backcalc: internal error: {type(e).__name__}: {e}")
            _err("This is a bug in backcalc; please report it with the spec that caused it "
                 "(run again with --debug for the traceback).")
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper


def read_spec(config: Optional[str], quiet: bool = False):
    """The spec named on the command line, from stdin, ./backcalc.yaml or the embedded default."""
    from .spec import load_spec, parse_spec

    if config == "-":
        return parse_spec(sys.stdin.buffer.read(), "<stdin>")
    if config is None:
        if Path(DEFAULT_CONFIG).is_file():
            if not quiet:
                _err(f"backcalc: using ./{DEFAULT_CONFIG}")
            return load_spec(DEFAULT_CONFIG)
        from importlib.resources import files

        if not quiet:
            _err("backcalc: no CONFIG given and no ./backcalc.yaml; using the embedded default "
                 "example 'mazur' (the 2-2-1 sigmoid network of Mazur's worked example)")
        text = (files("backcalc") / "examples" / "mazur.yaml").read_bytes()
        return parse_spec(text, "<embedded default: mazur>")
    return load_spec(config)


def _warn(warnings: list[str], quiet: bool) -> None:
    if not quiet:
        for w in warnings:
            _err(f"backcalc: warning: {w}")


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"backcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """A backpropagation calculator: every partial derivative of a small network, step by step."""


@app.command()
@handle_errors
def step(
    config: ConfigArg = None,
    json: JsonOpt = False,
    format: FormatOpt = StepFormat.table,
    blank: BlankOpt = False,
    solution: SolutionOpt = None,
    exact: ExactOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """One forward pass, loss, backward pass and SGD update on the first batch, every factor shown."""
    from .explain import step as run_step

    kind = _step_format(json, format, blank, solution)
    spec = read_spec(config, quiet)
    result = run_step(spec, _network(spec, exact))
    _warn(result.warnings, quiet)
    if kind == "json":
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    elif kind in ("markdown", "latex"):
        _write_solution(result, kind, digits, blank, solution)
    else:
        from .render.table import print_renderable, step_tables

        print_renderable(step_tables(result, digits), no_color)


@app.command()
@handle_errors
def train(
    config: ConfigArg = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", "-e", min=1,
                                                  help="Epochs to run (default: the spec's `epochs`, else 100).")] = None,
    every: Annotated[Optional[int], typer.Option("--every", min=1,
                                                 help="Show every K-th epoch (default: about 10 rows; JSON: every epoch).")] = None,
    exact: ExactOpt = False,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Train for N epochs of the configured batches; report the loss and the final parameters."""
    from .training import Trainer, shown_epochs

    spec = read_spec(config, quiet)
    n_epochs = epochs or spec.epochs or 100
    trainer = Trainer(spec, _network(spec, exact))
    if json:
        from .render.json import dumps

        k = every or 1
        for record in trainer.run(n_epochs):
            if record.epoch % k == 0 or record.epoch == n_epochs:
                sys.stdout.write(dumps(record.to_dict()) + "\n")
        result = trainer.result()
        if result.stopped:
            _err(f"backcalc: {result.stopped}")
        _warn(result.warnings, quiet)
        sys.stdout.write(dumps(result.to_dict()) + "\n")
        sys.stdout.flush()
    else:
        from .render.table import print_renderable, train_tables

        k = shown_epochs(n_epochs, every)
        history = [r for r in trainer.run(n_epochs) if r.epoch % k == 0 or r.epoch in (1, n_epochs)]
        result = trainer.result(history)
        if result.stopped:
            _err(f"backcalc: {result.stopped}")
        _warn(result.warnings, quiet)
        print_renderable(train_tables(result, digits), no_color)
    if result.stopped:
        raise typer.Exit(int(ExitCode.WRONG))


@app.command()
@handle_errors
def gradcheck(
    config: ConfigArg = None,
    eps: Annotated[float, typer.Option("--eps", help="Step of the central differences.")] = 1e-6,
    tol: Annotated[float, typer.Option("--tol", help="Largest relative error that counts as agreement.")] = 1e-5,
    no_torch: Annotated[bool, typer.Option("--no-torch", help="Do not compare with torch.autograd even if "
                                           "PyTorch is installed.")] = False,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Compare every analytic gradient with central finite differences (and torch.autograd); exit 1 on a mismatch."""
    from .errors import UsageError
    from .gradcheck import gradcheck as run_gradcheck

    for option, value in (("--eps", eps), ("--tol", tol)):
        if not value > 0:
            raise UsageError(f"{option}: expected a number > 0, got {value:g}")
    spec = read_spec(config, quiet)
    result = run_gradcheck(spec, eps=eps, tol=tol, use_torch=not no_torch)
    _warn(result.notes, quiet)
    if json:
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from .render.gradcheck import gradcheck_tables
        from .render.table import print_renderable

        print_renderable(gradcheck_tables(result, digits), no_color)
    if not result.ok:
        _err(f"backcalc: gradcheck: {', '.join(result.failures)} disagree beyond the tolerance {tol:g}")
        raise typer.Exit(int(ExitCode.WRONG))


def _network(spec, exact: bool):
    """An exact (Fraction) network when --exact is given, after checking the spec allows it; else None."""
    if not exact:
        return None
    from .exact import check_exact
    from .network import Network

    check_exact(spec)
    return Network(spec, dtype=object)


def _step_format(json: bool, format: StepFormat, blank: bool, solution: Optional[Path]) -> str:
    from .errors import UsageError

    kind = format.value
    if json and kind not in ("table", "json"):
        raise UsageError(f"--json and --format {kind} ask for different outputs; give one of them")
    kind = "json" if json else kind
    if blank and kind not in ("markdown", "latex"):
        raise UsageError(f"--blank writes an exercise document: it needs --format markdown or latex, got {kind}")
    if solution is not None and not blank:
        raise UsageError("--solution FILE goes with --blank (without --blank the solution itself is printed)")
    return kind


def _write_solution(result, kind: str, digits: int, blank: bool, solution: Optional[Path]) -> None:
    """The worked solution (or, with --blank, the exercise) on stdout; --solution FILE gets the solution."""
    if kind == "markdown":
        from .render.markdown import render
    else:
        from .render.latex import render
    if solution is not None:
        _write_atomically(solution, render(result, digits))
    sys.stdout.write(render(result, digits, blank=blank))
    sys.stdout.flush()


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it: never a half-written file."""
    import os
    import tempfile

    from .errors import UsageError

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                   suffix=".tmp")
    except OSError as e:
        raise UsageError(f"--solution {path}: cannot write there: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise UsageError(f"--solution {path}: cannot write there: {e.strerror}") from None


def main() -> None:
    app()
