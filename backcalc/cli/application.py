"""The app: its one-line usage errors, each command's error handling, the root callback, and the entry point."""

import functools
import sys
import warnings
from typing import Annotated

import typer
from typer.core import TyperGroup

from ..errors import BackcalcError, ExitCode, one_line


class OneLineErrors(TyperGroup):
    """Command-line usage errors as one clear line (not click's usage block), exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            try:
                rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            finally:
                if sys.stdout is not None:  # what is still buffered fails here, not at the interpreter's exit
                    sys.stdout.flush()
        except typer.TyperException as e:  # click's UsageError, BadParameter, NoSuchOption…
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "backcalc"
            hint = f" (see `{where} --help`)" if ctx is not None else ""
            err(f"{where}: {e.format_message()}{hint}")
            sys.exit(getattr(e, "exit_code", 2))
        except typer.Abort:
            err("backcalc: aborted")
            sys.exit(int(ExitCode.INTERRUPTED))
        except BackcalcError as e:  # standard output failed outside a command (--help, --version)
            for line in e.lines():
                err(line)
            sys.exit(int(e.exit_code))
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="backcalc",
    help="A backpropagation calculator: every partial derivative of a small network, step by step.",
    add_completion=True,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def err(message: str) -> None:
    """One line on standard error, control characters escaped."""
    sys.stderr.write(one_line(message) + "\n")
    sys.stderr.flush()


def warn(warnings: list[str], quiet: bool) -> None:
    if not quiet:
        for w in warnings:
            err(f"backcalc: warning: {w}")


def command(short_help: str):
    """A command of the app (registered by `register`, in the order `--help` lists them), its
    failures turned into one clear message and an exit code: never a traceback."""
    def decorate(fn):
        wrapper = handle_errors(fn)
        wrapper.short_help = short_help
        return wrapper

    return decorate


def register(*commands) -> None:
    for fn in commands:
        app.command(short_help=fn.short_help)(fn)


def handle_errors(fn):
    """`fn`, with every failure turned into one clear message and an exit code."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings():
                # NumPy's overflow warnings: backcalc reports non-finite values itself, naming them.
                warnings.simplefilter("ignore", RuntimeWarning)
                return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BackcalcError as e:
            for line in e.lines():
                err(line)
            raise typer.Exit(int(e.exit_code)) from None
        except KeyboardInterrupt:
            if sys.stderr.isatty():  # below the `^C` the terminal echoed, not after it (as httpie does)
                sys.stderr.write("\n")
            err("backcalc: interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as e:  # the last resort: a bug in backcalc
            if kwargs.get("debug", False):
                import traceback

                traceback.print_exc()
            err(f"backcalc: internal error: {type(e).__name__}: {e}")
            err("This is a bug in backcalc; please report it with the spec that caused it "
                "(run again with --debug for the traceback).")
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"backcalc {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """A backpropagation calculator: every partial derivative of a small network, step by step."""
    if ctx.invoked_subcommand is None:  # bare `backcalc`: the help, not a usage error
        typer.echo(ctx.get_help())
        raise typer.Exit()


def main() -> None:
    """The command (`backcalc.entry.main` calls this once Ctrl-C is handled)."""
    from ..render.streams import guard_streams

    guard_streams()
    app_for(sys.argv[1:])()


# The commands, in the order `--help` lists them: (name, module of backcalc.cli, function). A command's
# module is imported only when that command runs (or the whole app is asked for: help, completion).
COMMANDS = [("step", "step", "step"), ("train", "train", "train"), ("forward", "forward", "forward"),
            ("graph", "forward", "graph"), ("check", "check", "check"),
            ("exercise", "exercise", "exercise"), ("examples", "texts", "examples"),
            ("docs", "texts", "docs"), ("init", "texts", "init"), ("schema", "texts", "schema"),
            ("gradcheck", "check", "gradcheck")]


def _command(module: str, function: str):
    import importlib

    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def full_app() -> typer.Typer:
    """The app with every command registered (once)."""
    if not app.registered_commands:
        register(*(_command(module, function) for _, module, function in COMMANDS))
    return app


def app_for(args: list[str]) -> typer.Typer:
    """The whole app, or when the first argument names a command, a copy holding only that command:
    typer builds the options of every registered command before it runs one (about 10 ms of a
    150 ms start-up for the nine commands), and the other commands' modules need not even be
    compiled. Help and errors for that command read the same."""
    import copy
    import os

    wanted = args[0] if args else None
    found = [(module, function) for name, module, function in COMMANDS if name == wanted]
    if len(found) != 1 or any(k.endswith("_COMPLETE") for k in os.environ):
        return full_app()
    one = copy.copy(app)
    one.registered_commands = []
    fn = _command(*found[0])
    one.command(short_help=fn.short_help)(fn)
    return one
