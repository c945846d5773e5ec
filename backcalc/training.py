"""The epoch and batch loop: streams one record per epoch and keeps no history."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .diagnostics import TrainWatch, non_finite_stop
from .errors import ExactTooLong
from .exact import check_digits
from .history import EarlyRows
from .network import Network, cast_values
from .optimizers import Optimizer, State, make_optimizer
from .result import EpochRecord, TrainResult
from .spec_model import Spec

_NOTHING = "nothing is shown (run fewer epochs, use fewer or smaller layers, or drop --exact)"


def shown_epochs(epochs: int, every: int | None) -> int:
    """The default spacing of shown rows: about ten rows."""
    return every if every else max(1, epochs // 10)


@dataclass(frozen=True)
class Checkpoint:
    """Where training stood after a completed epoch: its count, parameters, optimizer state and record.

    One object, built whole and then swapped in by one assignment (never changed), so whoever reads
    it, an interrupt included, never pairs the parameters of one epoch with the label of another.
    """

    epoch: int  # epochs completed (0: none yet)
    theta: np.ndarray
    state: State
    record: EpochRecord | None  # that epoch's losses (None before the first)


class Trainer:
    """Runs epochs of the spec's batches (in file order) with the spec's optimizer, whose state
    (from the spec's `optimizer_state`, if any) carries across batches and epochs."""

    def __init__(self, spec: Spec, network: Network | None = None, optimizer: Optimizer | None = None,
                 fast: bool = True, allow_scalar: bool = True):
        self.spec = spec
        self.fast, self.allow_scalar = fast, allow_scalar  # False: force the general / reference path
        self.net = network or Network(spec)
        self.optimizer = optimizer or make_optimizer(spec, self.net)
        self.last_completed = Checkpoint(0, self.net.theta.copy(), self.optimizer.state.copy(), None)
        self.stopped: str | None = None
        # Exact mode (an object network of Fractions): numbers stay Fractions throughout.
        self.exact = self.net.theta.dtype == object
        self.inputs, self.targets = spec.inputs, spec.targets
        if self.exact:
            self.inputs = cast_values(spec.inputs, object, spec.exact.get("inputs"))
            self.targets = cast_values(spec.targets, object, spec.exact.get("targets"))
        bs = spec.effective_batch_size
        n = spec.n_samples
        self.batches = [(self.inputs[s:s + bs], self.targets[s:s + bs]) for s in range(0, n, bs)]
        try:
            self.watch = TrainWatch(self.net, self.inputs, self.targets, len(self.batches))
        except ExactTooLong as e:  # already the first forward pass passes the bound
            raise ExactTooLong(e.what, e.digits, "in epoch 1", _NOTHING) from None
        # Called with (epoch, mean, min, max batch loss) after EVERY epoch, shown or not, on every
        # path: how a caller keeps a per-epoch summary (a loss curve) while asking `run` for few records.
        self.on_epoch = None
        # Called with no arguments after every epoch (reference loop) or stretch of at most about
        # fastpath.STRETCH_SECONDS (fast paths); True stops `run` there: how a signal stops a run promptly.
        self.should_stop: Callable[[], bool] | None = None
        self.early_rows = EarlyRows()  # for the rows of a run stopped before its first spaced row

    @property
    def epochs_done(self) -> int:
        return self.last_completed.epoch

    def _complete(self, record: EpochRecord) -> None:
        """The parameters and optimizer state now are those after `record.epoch`: publish them."""
        self.last_completed = Checkpoint(record.epoch, self.net.theta.copy(), self.optimizer.state.copy(), record)

    def stop_requested(self) -> bool:
        return self.should_stop is not None and bool(self.should_stop())

    def _num(self, value):
        return value if self.exact else float(value)

    def run(self, epochs: int, every: int = 1) -> Iterator[EpochRecord]:
        """Yield the records of the first, every `every`-th and the last epoch (all by default).

        Stops early (setting `stopped`) on NaN or infinity, or when `should_stop` says so; then the
        last completed epoch's record is yielded too and the trainer holds that epoch's parameters.
        Float parameters train on a fast path (fastpath.py), whatever the optimizer; exact fractions,
        and any stretch of epochs where a fast path meets trouble, run the reference loop.
        """
        from .fastpath import run

        self.last_completed = self.checkpoint()  # the parameters as they are now (a caller may have set them)
        return run(self, epochs, every)

    def fast_runner(self, after_trouble=None):
        """The fast path's runner (cached), or None; after trouble, a scalar kernel hands over to the engine."""
        if after_trouble is not None:
            from .fastpath import ScalarRunner

            scalar = isinstance(after_trouble, ScalarRunner)
            self._fast = self._choose(allow_scalar=False) if scalar else after_trouble
        elif not hasattr(self, "_fast"):
            self._fast = self._choose(allow_scalar=self.allow_scalar)
        return self._fast

    def _choose(self, allow_scalar: bool):
        from .fastpath import choose

        if not self.fast:
            return None
        return choose(self.spec, self.net, self.optimizer, allow_scalar)

    def _run_reference(self, epochs: int) -> Iterator[EpochRecord]:
        """The reference loop: Network.forward/backward per batch, every update checked."""
        net, lr, opt = self.net, self.spec.learning_rate, self.optimizer
        for _ in range(epochs):
            epoch = self.epochs_done + 1
            losses = []
            sample_total = 0
            for x, t in self.batches:
                # Overflow is caught below and reported once, naming the parameter.
                try:
                    with np.errstate(over="ignore", invalid="ignore"):
                        trace = net.forward(x)
                        per_sample, _ = net.losses(trace, t)
                        loss = self._num(net.reduce(per_sample))
                        sample_total += self._num(sum(per_sample))
                        grad = net.backward(trace, t, record=False).grad
                        update = None if opt.plain else opt.compute(net.theta, grad)
                        new = net.step_theta(grad, lr) if update is None else update.theta
                    if self.exact:
                        check_digits(new, "a parameter")
                except ExactTooLong as e:  # the one digit bound of exact arithmetic (exact.py)
                    self.stopped = e.message(f"in epoch {epoch}", "training stopped, the parameters are those "
                                             "before it (run fewer epochs, or drop --exact)")
                if not self.exact and (not math.isfinite(loss) or not np.all(np.isfinite(new))):
                    self.stopped = non_finite_stop(epoch, net.names, loss, grad, new, net.theta)
                if self.stopped:
                    self.restore(self.last_completed)  # undo this epoch's earlier batches
                    return
                net.set_theta(new)
                if update is not None:
                    opt.commit(update)
                losses.append(loss)
            record = EpochRecord(epoch, sum(losses) / len(losses), min(losses), max(losses),
                                 sample_total / self.spec.n_samples)
            self._complete(record)
            self.early_rows.add(epoch, record.loss, record.loss_min, record.loss_max, record.mean_sample_loss)
            self.watch.epoch(epoch, record.loss)
            if self.on_epoch is not None:
                self.on_epoch(epoch, record.loss, record.loss_min, record.loss_max)
            yield record

    def checkpoint(self) -> Checkpoint:
        """The parameters and optimizer state now (and the epochs completed), for `restore`."""
        last = self.last_completed
        return Checkpoint(last.epoch, self.net.theta.copy(), self.optimizer.state.copy(), last.record)

    def restore(self, checkpoint: Checkpoint) -> None:
        """Go back to `checkpoint`: its parameters, optimizer state and epoch count."""
        self.net.set_theta(checkpoint.theta.copy())
        self.optimizer.state = checkpoint.state.copy()
        self.last_completed = checkpoint

    def save_extra(self, state: State | None = None) -> dict[str, str]:
        """Extra top-level keys for `writer.spec_to_yaml(extra=...)`: the optimizer's state (now, or `state`)."""
        from .writer import optimizer_state_yaml

        text = optimizer_state_yaml(self.optimizer.state_dict(state))
        return {"optimizer_state": text} if text else {}

    def loss_of(self, theta: np.ndarray):
        """The loss on all the data with parameters `theta`."""
        return self._loss_on_all(theta)[2]

    def _loss_on_all(self, theta: np.ndarray):
        net, saved = self.net, self.net.theta
        net.set_theta(theta)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                try:
                    trace = net.forward(self.inputs)
                except ExactTooLong as e:
                    if self.epochs_done == 0:  # the very first forward pass passes the bound: nothing to report
                        raise ExactTooLong(e.what, e.digits, "in epoch 1", _NOTHING) from None
                    # Trained parameters (each within the bound): the report is one more pass, computed in full.
                    trace = net.forward(self.inputs, bounded=False)
                per_sample, note = net.losses(trace, self.targets)
                return trace, note, self._num(net.reduce(per_sample))
        finally:
            net.set_theta(saved)

    def result(self, history: list[EpochRecord] | None = None) -> TrainResult:
        net = self.net
        trace, note, loss = self._loss_on_all(net.theta)
        return TrainResult(
            name=self.spec.name, epochs=self.epochs_done, loss=loss,
            output=trace.output, layers=list(zip(net.weights, net.biases)),
            parameters={n: self._num(v) for n, v in zip(net.names, net.theta)},
            history=history or [], warnings=([note] if note else []) + self.watch.finish(trace),
            stopped=self.stopped,
            batches_per_epoch=len(self.batches), reduction=self.spec.reduction,
        )


def train(spec: Spec, epochs: int, every: int | None = None) -> TrainResult:
    """Train for `epochs` epochs; the result keeps every `every`-th epoch record."""
    trainer = Trainer(spec)
    k = shown_epochs(epochs, every)
    history = [r for r in trainer.run(epochs) if r.epoch % k == 0 or r.epoch == epochs]
    return trainer.result(history)
