"""The command line: read input, call the library, choose a renderer, map errors to exit codes."""

from __future__ import annotations

import functools
import sys
import warnings
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
EpochsOpt = Annotated[Optional[int], typer.Option(
    "--epochs", "-e", min=1, help="Epochs to run (default: the spec's `epochs`, else 100).")]
EveryOpt = Annotated[Optional[int], typer.Option(
    "--every", min=1, help="Show every K-th epoch (default: about 10 rows; JSON: every epoch).")]
DebugOpt = Annotated[bool, typer.Option("--debug", hidden=True, help="Show tracebacks of internal errors.")]
RoundOpt = Annotated[Optional[int], typer.Option(
    "--round", min=0, max=12, metavar="N",
    help="Round every intermediate value to N decimals, as by hand, and show where that drifts.")]
PerSampleOpt = Annotated[bool, typer.Option(
    "--per-sample", help="Also show every partial derivative of each sample before the reduction over the batch.")]


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def handle_errors(fn):
    """Turn every failure into one clear message and an exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.get("debug", False)
        try:
            with warnings.catch_warnings():
                # NumPy's overflow warnings: backcalc reports non-finite values itself, naming them.
                warnings.simplefilter("ignore", RuntimeWarning)
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
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    round_: RoundOpt = None,
    per_sample: PerSampleOpt = False,
    debug: DebugOpt = False,
) -> None:
    """One forward pass, loss, backward pass and optimizer update on the first batch, every factor shown."""
    from .explain import step as run_step

    spec = read_spec(config, quiet)
    result = run_step(spec)
    _warn(result.warnings, quiet)
    extras = _step_extras(spec, result, round_, per_sample)
    if json:
        from .render.json import dumps

        typer.echo(dumps({**result.to_dict(), **extras}))
    else:
        from .render.table import print_renderable, step_tables

        print_renderable(step_tables(result, digits), no_color)
        if extras:
            print_renderable(_step_extra_tables(extras, digits), no_color)


@app.command()
@handle_errors
def train(
    config: ConfigArg = None,
    epochs: EpochsOpt = None,
    every: EveryOpt = None,
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
    trainer = Trainer(spec)
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
def check(
    config: ConfigArg = None,
    answers: Annotated[str, typer.Option(
        "--answers", "-a", metavar="ANSWERS.yaml", show_default=False,
        help="Your answers: `quantity: value` pairs (names as in docs/check.md); `-` reads standard input.")] = ...,
    round_: RoundOpt = None,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check hand-computed answers: ✓ or ✗ for each, where the errors begin, and the likely mistake."""
    from .answers import read_answers
    from .check import check as run_check
    from .errors import UsageError

    if answers == "-" and config == "-":
        raise UsageError("backcalc: the spec and the answers cannot both come from standard input")
    spec = read_spec(config, quiet)
    if answers == "-":
        given = read_answers("<stdin>", spec, sys.stdin.buffer.read())
    else:
        given = read_answers(answers, spec)
    result = run_check(spec, given, round_, "<stdin>" if answers == "-" else answers)
    if json:
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from .render.check import check_table
        from .render.table import print_renderable

        print_renderable(check_table(result, digits), no_color)
    if not result.ok:
        raise typer.Exit(int(ExitCode.WRONG))


def _step_extras(spec, result, decimals: int | None, per_sample: bool) -> dict:
    """The data `--round` and `--per-sample` add to a step (JSON keys `hand_rounding`, `per_sample`)."""
    extras: dict = {}
    if decimals is not None:
        from .handcalc import drift

        rows = drift(spec, decimals)
        extras["hand_rounding"] = {"decimals": decimals, "quantities": [r.to_dict() for r in rows],
                                   "drifted": [r.quantity for r in rows if r.units]}
    if per_sample:
        from .per_sample import per_sample as per_sample_data

        extras["per_sample"] = per_sample_data(result)
    return extras


def _step_extra_tables(extras: dict, digits: int):
    from rich.console import Group

    from .render.step_extras import drift_table, per_sample_table

    parts = []
    if "per_sample" in extras:
        parts.append(per_sample_table(extras["per_sample"], digits))
    if "hand_rounding" in extras:
        h = extras["hand_rounding"]
        parts.append(drift_table(h["quantities"], h["decimals"], digits))
    return Group(*parts)


def main() -> None:
    app()
