"""The progress bar of long runs: on a terminal's stderr only, never in machine output.

The environment (stream, terminal or not, variables) is passed in, as httpie
does, so tests can fake a terminal instead of needing one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

REFRESH_SECONDS = 0.1  # update the bar at most this often: cheap even at a million epochs
# Columns left free at the end of the bar's line: the terminal echoes Ctrl-C as `^C` after it, and
# on a full-width line that echo wraps, so the bar's line scrolls out of reach of the clearing.
ECHO_ROOM = 2


@dataclass
class Terminal:
    """Where progress would go: the error stream, whether it is a terminal, the environment."""

    stderr: TextIO
    is_terminal: bool
    env: Mapping[str, str]

    @classmethod
    def current(cls) -> Terminal:
        stream = sys.stderr
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream, tty, os.environ)


def wants_progress(term: Terminal, *, json: bool = False, quiet: bool = False) -> bool:
    """A bar only for people watching: not with --json or --quiet, not into a pipe or file."""
    if json or quiet or not term.is_terminal:
        return False
    return term.env.get("TERM") != "dumb"


class NoProgress:
    """Stands in when no bar is wanted."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, epoch: int, loss: float) -> None:
        return None


class EpochProgress:
    """A rich bar with the epoch, the loss and the rate; it disappears when done."""

    def __init__(self, term: Terminal, total: int, no_color: bool = False):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
        from rich.table import Column
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{speed:,.0f} epochs/s")

        plain = no_color or bool(term.env.get("NO_COLOR"))
        console = Console(file=term.stderr, force_terminal=True, highlight=False, no_color=plain or None,
                          **({"color_system": None} if plain else {}))
        console.width = max(1, console.width - ECHO_ROOM)
        self.total = total
        self.last = -float("inf")
        # One line at any width: the bar shrinks first; a text column left free to wrap put the
        # rate's "epochs/s" on a second line at 80 columns.
        def one_line():
            return Column(no_wrap=True)

        self.progress = Progress(
            TextColumn("epoch {task.completed:,.0f}/{task.total:,.0f}", table_column=one_line()), BarColumn(),
            TextColumn("loss {task.fields[loss]}", table_column=one_line()), Rate(table_column=one_line()),
            TimeRemainingColumn(table_column=one_line()), console=console, transient=True,
        )
        self.task = self.progress.add_task("train", total=total, loss="…")

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, epoch: int, loss: float) -> None:
        now = time.monotonic()
        if now - self.last >= REFRESH_SECONDS or epoch == self.total:
            from .numbers import fmt

            self.progress.update(self.task, completed=epoch, loss=fmt(loss))
            self.last = now


def progress_for(term: Terminal, total: int, *, json: bool = False, quiet: bool = False,
                 no_color: bool = False):
    """The bar to use for `total` epochs in this environment (maybe none)."""
    if wants_progress(term, json=json, quiet=quiet):
        return EpochProgress(term, total, no_color)
    return NoProgress()
