"""Exception types and exit codes, named in one place."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    OK = 0
    WRONG = 1  # `check` found a wrong answer, `gradcheck` a disagreement
    BAD_INPUT = 2  # the user's input (spec, options) is wrong
    INTERNAL = 70  # a bug in backcalc (EX_SOFTWARE)
    CANT_WRITE = 73  # an output file could not be written after the work was done (EX_CANTCREAT)
    OUTPUT = 74  # standard output cannot be written: a full disk, a closed descriptor (EX_IOERR)
    INTERRUPTED = 130  # Ctrl-C / SIGTERM
    BROKEN_PIPE = 141  # standard output's reader went away (`| head`): 128 + SIGPIPE, as the shell says


def one_line(text: str) -> str:
    """`text` with control characters escaped (a newline as \\n): a message from the user's
    own key names or values stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class BackcalcError(Exception):
    """Base of every error backcalc reports as one clear message."""

    exit_code = ExitCode.BAD_INPUT

    def lines(self) -> list[str]:
        return [one_line(str(self))]


@dataclass
class Problem:
    """One located problem in an input file."""

    source: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.path}:" if self.path else ""
        return one_line(f"{where}:{key} {self.message}")


class SpecError(BackcalcError):
    """One or more located problems in a spec (or answers) file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(BackcalcError):
    """A bad command-line option or a combination the spec cannot support."""


class NumericError(BackcalcError):
    """NaN or infinity appeared in a computation."""

    exit_code = ExitCode.WRONG


class OutputError(BackcalcError):
    """Standard output cannot be written (its reader went away, the disk is full, it was closed)."""

    def __init__(self, error: OSError):
        self.broken_pipe = isinstance(error, BrokenPipeError)
        self.reason = error.strerror or str(error) or type(error).__name__
        self.exit_code = ExitCode.BROKEN_PIPE if self.broken_pipe else ExitCode.OUTPUT
        super().__init__(f"backcalc: cannot write to standard output: {self.reason}")

    def lines(self) -> list[str]:
        # A reader that stopped reading (`| head`) is no news to the user who set it up.
        return [] if self.broken_pipe else super().lines()
