"""Files a command writes besides standard output: checked before any work, reported after the results."""

import typer

from ..errors import ExitCode, UsageError
from .application import err


def output_target(path, option: str, force: bool, spec):
    """The checked `atomic.Target` for an output option (None when not given), before any work is done."""
    if path is None:
        return None
    if str(path) == "-":  # `-` is standard input as CONFIG; never a file named `-` by surprise
        instead = {"--save": "--emit-spec", "--solution": "--format"}.get(option)
        hint = f"; to print it on standard output use {instead}" if instead else ""
        raise UsageError(f"{option} -: expected a file name, got `-` (standard output is not a file here{hint}; "
                         "a file named - is ./-)")
    from ..atomic import check_target

    return check_target(path, option, force, spec.source)


def try_write(failed: list, write, *args) -> None:
    """Run `write(*args)`; a file that cannot be written is kept in `failed`, so the results are
    still printed before it is reported."""
    from ..atomic import WriteError

    try:
        write(*args)
    except WriteError as e:
        failed.append(e)


def report_failed_writes(failed: list) -> None:
    """One line per file that could not be written, then exit 73 (the results are already printed)."""
    for e in failed:
        for line in e.lines():
            err(line)
    if failed:
        raise typer.Exit(int(ExitCode.CANT_WRITE))
