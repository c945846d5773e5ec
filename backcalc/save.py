"""Nothing the user saved is ever lost: atomic writes and orderly interrupts.

`save_spec_atomic` writes through `atomic.write_atomic` (the one way a file is
written): a temporary file in the same folder, flushed and fsynced, then
renamed over the target, so the target is always either the old file or the
complete new one. `Interrupts` turns
SIGINT and SIGTERM into a flag the training loop checks between epochs, so a
run stops at an epoch boundary with its parameters intact and every printed
line complete.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

from .errors import UsageError


def check_writable(path: str | Path) -> None:
    """Fail before any work is done if `path` cannot be written."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not str(path):
        raise UsageError("--save: expected a file name, got nothing")
    try:
        if p.is_dir():
            raise UsageError(f"--save {path}: is a directory, expected a file name")
        if not folder.is_dir():
            raise UsageError(f"--save {path}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--save {path}: the folder {folder} is not writable")
        if p.exists() and not os.access(p, os.W_OK):
            raise UsageError(f"--save {path}: the file is not writable")
    except OSError as e:  # a name the file system refuses (too long, …)
        raise UsageError(f"--save {path}: cannot write: {e.strerror or e}") from None


def save_spec_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` atomically: temp file in the same folder, fsync, rename."""
    from .atomic import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"), overwrite=True)
    except OSError as e:
        raise UsageError(f"--save {path}: cannot write: {e.strerror or e}") from None


def saved_header(path: str, source: str, epochs_done: int, epochs_asked: int, loss: float,
                 stopped: str | None = None, interrupted: bool = False) -> list[str]:
    """The comment lines at the top of a saved spec: where it came from and how far it got."""
    from . import __version__
    from .render.numbers import recorded

    lines = [f"Trained by backcalc {__version__} from {source}",
             f"epochs: {epochs_done} of {epochs_asked} completed; loss on all data: {recorded(loss)}"]
    if stopped:
        lines.append(f"stopped early: {stopped}")
    if interrupted and epochs_done < epochs_asked:
        lines.append(f"to finish the run: backcalc train {path} --epochs {epochs_asked - epochs_done}")
    lines.append("Training N more epochs from this file gives exactly what a run of "
                 f"{epochs_done} + N epochs from the source gives.")
    return lines


class Interrupts:
    """SIGINT and SIGTERM as a flag checked between epochs (only in the main thread).

    A second signal inside an `abortable()` block (the epoch loop) raises
    KeyboardInterrupt at once (the caller falls back to the last completed
    epoch), except inside a `critical()` block (printing a line); anywhere
    else (reporting, writing the file) signals only count.
    """

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self) -> None:
        self.received: str | None = None
        self.count = 0
        self._critical = 0
        self._abortable = False
        self._previous: dict = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        self.count += 1
        if self.received is None:
            self.received = signal.Signals(signum).name
        if self.count > 1 and self._abortable and not self._critical:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def abortable(self):
        """A block a second signal may cut short (with KeyboardInterrupt)."""
        self._abortable = True
        try:
            yield
        finally:
            self._abortable = False

    @contextlib.contextmanager
    def critical(self):
        """A block no signal may cut short."""
        self._critical += 1
        try:
            yield
        finally:
            self._critical -= 1

    def __bool__(self) -> bool:
        return self.received is not None
