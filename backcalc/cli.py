"""The command line: read input, call the library, choose a renderer, map errors to exit codes."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from .errors import BackcalcError, ExitCode


class _OneLineErrors(TyperGroup):
    """Command-line usage errors as one clear line (not click's usage block), exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as e:  # click's UsageError, BadParameter, NoSuchOption…
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "backcalc"
            hint = f" (see `{where} --help`)" if ctx is not None else ""
            _err(f"{where}: {e.format_message()}{hint}")
            sys.exit(getattr(e, "exit_code", 2))
        except typer.Abort:
            _err("backcalc: aborted")
            sys.exit(int(ExitCode.INTERRUPTED))
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
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
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """One forward pass, loss, backward pass and SGD update on the first batch, every factor shown."""
    from .explain import step as run_step
    from .numerics import quiet as quiet_numpy
    from .numerics import step_warnings

    spec = read_spec(config, quiet)
    with quiet_numpy():
        result = run_step(spec)
    result.warnings += step_warnings(result)
    _warn(result.warnings, quiet)
    if json:
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from .render.table import print_renderable, step_tables

        print_renderable(step_tables(result, digits), no_color)


@app.command()
@handle_errors
def train(
    config: ConfigArg = None,
    epochs: EpochsOpt = None,
    every: EveryOpt = None,
    save: Annotated[Optional[str], typer.Option(
        "--save", metavar="OUT.yaml",
        help="Write the trained spec (same format and names) to OUT.yaml, atomically; on Ctrl-C or "
             "SIGTERM the last completed epoch is saved.")] = None,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Train for N epochs of the configured batches; report the loss and the final parameters."""
    import time

    from .numerics import quiet as quiet_numpy
    from .numerics import train_warnings
    from .save import Interrupts, check_writable
    from .training import Trainer, shown_epochs

    spec = read_spec(config, quiet)
    if save:
        check_writable(save)
    n_epochs = epochs or spec.epochs or 100
    trainer = Trainer(spec)
    k = (every or 1) if json else shown_epochs(n_epochs, every)
    history, last = [], None
    # The parameters at the end of the last completed epoch: what is reported and saved when a
    # NaN or a second Ctrl-C cuts an epoch short (a copy per epoch: a few hundred floats at most).
    snapshot = trainer.net.theta.copy()
    if json:
        from .render.json import dumps
    flushed = time.monotonic()
    with Interrupts() as interrupts, quiet_numpy():
        try:
            with interrupts.abortable():
                for record in trainer.run(n_epochs):
                    snapshot = trainer.net.theta.copy()
                    last = record
                    if json:
                        if record.epoch % k == 0 or record.epoch == n_epochs:
                            with interrupts.critical():
                                sys.stdout.write(dumps(record.to_dict()) + "\n")
                                if time.monotonic() - flushed > 0.1:  # keep a pipe's reader current
                                    sys.stdout.flush()
                                    flushed = time.monotonic()
                    elif record.epoch % k == 0 or record.epoch in (1, n_epochs):
                        history.append(record)
                    if interrupts:
                        break
        except KeyboardInterrupt:  # a second signal in the middle of an epoch
            interrupts.received = interrupts.received or "SIGINT"
        with interrupts.critical():
            trainer.net.set_theta(snapshot)
            if last is not None and not json and (not history or history[-1] is not last):
                history.append(last)  # the last completed epoch, even when stopped early
            result = trainer.result(history)
            result.warnings += train_warnings(result)
            if interrupts:
                result.stopped = (f"interrupted by {interrupts.received} after epoch {trainer.epochs_done} "
                                  f"of {n_epochs}")
            if result.stopped:
                _err(f"backcalc: {result.stopped}")
            _warn(result.warnings, quiet)
            if save:
                _save_trained(spec, trainer, result, save, n_epochs, quiet, bool(interrupts))
            if json:
                sys.stdout.write(dumps(result.to_dict()) + "\n")
                sys.stdout.flush()
            else:
                from .render.table import print_renderable, train_tables

                print_renderable(train_tables(result, digits), no_color)
    if interrupts:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if result.stopped:
        raise typer.Exit(int(ExitCode.WRONG))


def _save_trained(spec, trainer, result, path: str, n_epochs: int, quiet: bool, interrupted: bool) -> None:
    """Write the spec with the trained parameters to `path` (atomically) and say so."""
    from .save import save_spec_atomic, saved_header
    from .writer import spec_to_yaml

    net = trainer.net
    header = saved_header(path, spec.source, trainer.epochs_done, n_epochs, result.loss, result.stopped,
                          interrupted)
    save_spec_atomic(path, spec_to_yaml(spec, net.weights, net.biases, header=header))
    if not quiet or result.stopped:
        _err(f"backcalc: saved the parameters after epoch {trainer.epochs_done} to {path}")


def main() -> None:
    app()
