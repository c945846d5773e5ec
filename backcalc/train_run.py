"""A training run from start to end, however it ends: the epochs, SIGINT/SIGTERM, saving, the report data.

`backcalc train` is this plus its views; from Python (no typer or rich):

    outcome = run_training(spec, 100)          # Ctrl-C stops it after the current epoch
    outcome.result.loss, outcome.interrupted, outcome.exit_code

The views are callbacks: a progress bar (entered for the epochs only), each shown epoch's
record as it completes, and two calls once the run has ended: `on_end` before the parameters
are saved, `on_report` after. None of them is cut short by a signal. A run stopped by a signal
leaves SIGINT and SIGTERM ignored (save.Interrupts: the process is on its way out, and must flush
its output); a program that goes on restores its own handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ExitCode, OutputError


@dataclass
class TrainOutcome:
    """How a run ended: the trainer at its last completed epoch, its result and loss curve, and why it stopped."""

    trainer: Any  # training.Trainer, restored to its last completed epoch
    result: Any  # result.TrainResult; `stopped` says why a run ended early
    history: Any  # history.LossHistory: every epoch's mean, min and max loss
    epochs_asked: int
    interrupted: str | None = None  # the signal that stopped the run (SIGINT, SIGTERM)
    lost: OutputError | None = None  # standard output failed while writing a record
    saved_epoch: int | None = None  # the epoch written to `save`
    failed: list = field(default_factory=list)  # atomic.WriteError of each file that could not be written

    @property
    def exit_code(self) -> int:
        """The exit status this ending means: a file not written, standard output lost, a signal, a stop."""
        if self.failed:
            return int(ExitCode.CANT_WRITE)
        if self.lost is not None:
            return int(self.lost.exit_code)
        if self.interrupted:
            return int(ExitCode.INTERRUPTED)
        return int(ExitCode.WRONG) if self.result.stopped else int(ExitCode.OK)

    def write(self, write: Callable, *args) -> None:
        """Run `write(*args)`; a file that cannot be written goes to `failed`, so the results still come first."""
        from .atomic import WriteError

        try:
            write(*args)
        except WriteError as e:
            self.failed.append(e)


def run_training(spec, epochs: int, *, every: int = 1, network=None, keep_records: bool = True, save=None,
                 progress=None, on_record: Callable | None = None, on_end: Callable | None = None,
                 on_report: Callable | None = None) -> TrainOutcome:
    """Train `spec` for `epochs` epochs, stopping early on NaN or at a signal, and save to `save` (an
    `atomic.Target`) the last completed epoch.

    `every`: the spacing of shown records (the first, every `every`-th and the last); with
    `keep_records` the result's history holds them (and the first). `network`: e.g. an exact one.
    `progress`: a context manager whose value has `update(epoch, loss)`, called after every epoch.
    `on_record(record)`: the record of every `every`-th and the last epoch. `on_end(outcome)` and
    then `on_report(outcome)`: before and after saving.
    """
    from .history import LossHistory
    from .numerics import quiet as quiet_numpy
    from .save import Interrupts
    from .training import Trainer

    trainer = Trainer(spec, network)
    history = LossHistory()
    with Interrupts() as interrupts, quiet_numpy():
        # Checked after every epoch (the fast paths: every stretch of at most ~0.1 s), so a signal
        # stops the run at the end of the current epoch.
        trainer.should_stop = interrupts.__bool__
        shown, lost = _epochs(trainer, interrupts, history, epochs, every, keep_records, progress, on_record)
        with interrupts.critical():
            outcome = _ending(trainer, interrupts, history, epochs, shown, lost)
            if on_end is not None:
                on_end(outcome)
            if save is not None:
                outcome.write(_save, outcome, save)
            if on_report is not None:
                on_report(outcome)
    return outcome


def _epochs(trainer, interrupts, history, epochs: int, every: int, keep: bool, progress, on_record):
    """Run the epochs; the records kept (None unless `keep`) and the OutputError that stopped them (or None)."""
    from contextlib import nullcontext

    shown: list | None = [] if keep else None
    with progress if progress is not None else nullcontext() as bar:
        trainer.on_epoch = history.add if bar is None else _with_bar(history, bar)
        try:
            with interrupts.abortable():
                for record in trainer.run(epochs, every=every):
                    if on_record is not None and (record.epoch % every == 0 or record.epoch == epochs):
                        with interrupts.critical():
                            on_record(record)
                    if shown is not None:
                        shown.append(record)
        except KeyboardInterrupt:  # a second signal in the middle of an epoch
            interrupts.received = interrupts.received or "SIGINT"
        except OutputError as e:  # the reader went away (`| head`), the disk is full
            return shown, e
    return shown, None


def _with_bar(history, bar):
    """What runs after every epoch: the loss curve takes its loss, and the progress bar too."""
    def each(epoch: int, loss: float, low: float, high: float) -> None:
        history.add(epoch, loss, low, high)
        bar.update(epoch, loss)

    return each


def _ending(trainer, interrupts, history, epochs: int, shown: list, lost) -> TrainOutcome:
    """The trainer back at its last completed epoch (a second signal may have cut the next one short) and its result."""
    from .numerics import train_warnings

    trainer.restore(trainer.last_completed)
    final = trainer.last_completed.record
    if final is not None and shown is not None and (not shown or shown[-1].epoch != final.epoch):
        shown.append(final)  # the last completed epoch, even when stopped early
    result = trainer.result(shown)
    result.warnings += train_warnings(result)
    if lost is not None:
        result.stopped = (f"cannot write to standard output ({lost.reason}) after epoch "
                          f"{trainer.epochs_done} of {epochs}")
    elif interrupts:
        result.stopped = f"interrupted by {interrupts.received} after epoch {trainer.epochs_done} of {epochs}"
    return TrainOutcome(trainer, result, history, epochs, interrupted=interrupts.received, lost=lost)


def _save(outcome: TrainOutcome, target) -> None:
    from .save import save_checkpoint

    outcome.saved_epoch = save_checkpoint(target, outcome.trainer.spec, outcome.trainer, outcome.epochs_asked,
                                          stopped=outcome.result.stopped,
                                          interrupted=bool(outcome.interrupted or outcome.lost))
