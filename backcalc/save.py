"""Nothing the user saved is ever lost: the saved file's header and orderly interrupts.

The file itself is written by `atomic.write_file` (the one way backcalc writes
a file). `Interrupts` turns SIGINT and SIGTERM into a flag the training loop
checks between epochs, so a run stops at an epoch boundary with its parameters
intact and every printed line complete.
"""

from __future__ import annotations

import contextlib
import signal
import threading


def save_checkpoint(target, spec, trainer, epochs_asked: int, *, stopped: str | None = None,
                    interrupted: bool = False) -> int:
    """Write the trainer's last completed epoch (`checkpoint_text`) to `target` (an `atomic.Target`)
    by `atomic.write_file`; return that epoch."""
    from .atomic import write_file

    text, epoch = checkpoint_text(spec, trainer, epochs_asked, path=str(target.path), stopped=stopped,
                                  interrupted=interrupted)
    write_file(target, text.encode("utf-8"))
    return epoch


def checkpoint_text(spec, trainer, epochs_asked: int, *, path: str | None = None, stopped: str | None = None,
                    interrupted: bool = False) -> tuple[str, int]:
    """`spec` as YAML with the parameters and optimizer state of the trainer's last completed epoch
    (`Trainer.last_completed`), and that epoch: what `--save` writes and `--emit-spec` prints.

    Values, optimizer state and the epoch in the header all come from that one checkpoint, read
    once, so the text is labelled with the epoch its values belong to whenever it is made: after
    a finished run, a NaN, or any kind of interrupt. `path` is where it will be saved (None: standard
    output), for the header's how-to-finish line.
    """
    from .writer import spec_to_yaml

    cp = trainer.last_completed
    weights, biases = trainer.net.layers_of(cp.theta)
    header = saved_header(path, spec.source, cp.epoch, epochs_asked, trainer.loss_of(cp.theta), stopped,
                          interrupted)
    return spec_to_yaml(spec, weights, biases, header=header, extra=trainer.save_extra(cp.state)), cp.epoch


def saved_header(path: str | None, source: str, epochs_done: int, epochs_asked: int, loss: float,
                 stopped: str | None = None, interrupted: bool = False) -> list[str]:
    """The comment lines at the top of a saved spec: where it came from and how far it got."""
    from . import __version__
    from .number_text import recorded

    lines = [f"Trained by backcalc {__version__} from {source}",
             f"epochs: {epochs_done} of {epochs_asked} completed; loss on all data: {recorded(loss)}"]
    if stopped:
        lines.append(f"stopped early: {stopped}")
    if interrupted and epochs_done < epochs_asked:
        rest = f"backcalc train {path or 'THIS_FILE'} --epochs {epochs_asked - epochs_done}"
        lines.append(f"to finish the run: {rest} --save {path} --force" if path else f"to finish the run: {rest}")
    lines.append("Training N more epochs from this file gives exactly what a run of "
                 f"{epochs_done} + N epochs from the source gives.")
    return lines


class Interrupts:
    """SIGINT and SIGTERM as a flag checked between epochs (only in the main thread).

    A second signal inside an `abortable()` block (the epoch loop) raises
    KeyboardInterrupt at once (the caller falls back to the last completed
    epoch), except inside a `critical()` block (printing a line); anywhere
    else (reporting, writing the file) signals only count, and once one has
    been received, later ones are ignored until the process exits.
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
            # Stopped by a signal, the process is on its way out (exit 130, results printed, file
            # saved): a later signal must not kill it before its buffers are flushed or change its
            # exit status. Ignored (not a Python handler), it stays ignored through shutdown.
            signal.signal(sig, signal.SIG_IGN if self.received else handler)
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
