"""The `backcalc` command's entry point: Ctrl-C is handled from its first instruction.

Start-up is mostly imports (typer, click, rich: about 0.1 s). A Ctrl-C among them exits
quietly with 130 at once, as nothing has been read or written yet; once the command line is
ready, Ctrl-C becomes the KeyboardInterrupt the commands handle themselves. A bare
`backcalc --version` is answered here, before typer is imported (`cli.application` answers it
when other arguments follow).
"""

# The C module under `signal`, which imports enum first: with the interpreter's own start-up
# quick (no import hooks in `site`), a Ctrl-C there was a traceback from backcalc's code.
import _signal
import os
import sys

INTERRUPTED = 130  # errors.ExitCode.INTERRUPTED, without importing anything first


def _exit_at_once(signum, frame) -> None:
    if os.isatty(2):  # the shell's prompt below the `^C` the terminal echoed, not after it
        os.write(2, b"\n")
    os._exit(INTERRUPTED)


def main() -> None:
    _signal.signal(_signal.SIGINT, _exit_at_once)
    if sys.argv[1:] == ["--version"]:
        _print_version()
    try:
        from .cli import main as run

        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        run()
    except KeyboardInterrupt:  # between start-up and a command's own handling
        sys.exit(INTERRUPTED)


def _print_version() -> None:
    from . import version
    from .errors import BackcalcError, one_line
    from .render.streams import guard_streams

    guard_streams()
    try:
        sys.stdout.write(f"backcalc {version()}\n")
        sys.stdout.flush()
    except BackcalcError as e:  # standard output failed, as cli.application.OneLineErrors reports it
        for line in e.lines():
            sys.stderr.write(one_line(line) + "\n")
        sys.exit(int(e.exit_code))
    sys.exit(0)
