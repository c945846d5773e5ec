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
    result = finished(trainer, epochs, shown, interrupts.received, lost)
    return TrainOutcome(trainer, result, history, epochs, interrupted=interrupts.received, lost=lost)


def finished(trainer, epochs: int, shown: list | None, interrupted: str | None = None, lost=None):
    """The trainer back at its last completed epoch (a second signal may have cut the next one short)
    and its TrainResult, saying why the run stopped early if it did."""
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
    elif interrupted:
        result.stopped = f"interrupted by {interrupted} after epoch {trainer.epochs_done} of {epochs}"
    return result


class Training:
    """A training run from Python (`backcalc.train`): an iterator of epoch records, then `result`.

    Records are those `train --json --every` prints (every `every`-th epoch and the last); `result` runs
    whatever is left first. Ctrl-C (a notebook's interrupt) ends the run at the last completed epoch,
    so `result` then holds that epoch's parameters and says it was interrupted.
    """

    CURVE_POINTS = 200  # the loss curve a notebook draws: at most this many means of consecutive epochs

    def __init__(self, spec, epochs: int, *, every: int = 1, network=None):
        from .history import LossHistory
        from .training import Trainer

        self.spec, self.epochs, self.every = spec, epochs, every
        self.trainer = Trainer(spec, network)
        self.history = LossHistory()  # every epoch's mean, min and max batch loss
        self.trainer.on_epoch = self.history.add
        self.records: list = []  # the records yielded so far
        self._records = None
        self._result = None

    def __iter__(self):
        return self

    def __next__(self):
        from .numerics import quiet

        if self._result is not None:
            raise StopIteration
        if self._records is None:
            self._records = iter(self.trainer.run(self.epochs, every=self.every))
        with quiet():
            try:
                record = next(self._records)
                while record.epoch % self.every and record.epoch != self.epochs:  # as `train --json --every`
                    record = next(self._records)
            except StopIteration:
                self._finish()
                raise
            except KeyboardInterrupt:
                self._finish("SIGINT")
                raise
        self.records.append(record)
        return record

    def _finish(self, interrupted: str | None = None) -> None:
        from .numerics import quiet

        with quiet():
            result = finished(self.trainer, self.epochs, self.records, interrupted)
        resampled = self.history.resampled(self.CURVE_POINTS)
        first, last = (self.history.buckets[0].first, self.history.buckets[-1].last) if len(self.history) else (0, 0)
        span = max(len(resampled) - 1, 1)
        result.curve = [(first + (last - first) * k / span, loss) for k, loss in enumerate(resampled)]
        self._result = result

    @property
    def result(self):
        """The TrainResult once the run has ended (run to its end first if it has not)."""
        for _ in self:
            pass
        return self._result

    @property
    def spec_after(self):
        """The trained spec: the spec with the last completed epoch's parameters and optimizer state."""
        result = self.result
        return self.spec.with_parameters([w for w, _ in result.layers], [b for _, b in result.layers],
                               self.trainer.optimizer.state_dict())

    def to_dict(self) -> dict:
        """The final JSON line of `train --json`."""
        return self.result.to_dict()

    def __repr__(self) -> str:
        done = "ended" if self._result is not None else f"{len(self.records)} records so far"
        return f"<Training {self.spec.name or self.spec.source}: {self.epochs} epochs, {done}>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return self.result._repr_mimebundle_(include, exclude)


def _save(outcome: TrainOutcome, target) -> None:
    from .save import save_checkpoint

    outcome.saved_epoch = save_checkpoint(target, outcome.trainer.spec, outcome.trainer, outcome.epochs_asked,
                                          stopped=outcome.result.stopped,
                                          interrupted=bool(outcome.interrupted or outcome.lost))
