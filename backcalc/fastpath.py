"""Which training path runs a spec, the runner interface of the fast ones, and the loop that drives them.

Three paths compute the same epochs:
- `scalar.Kernel`: generated plain-float code for tiny networks trained with plain SGD (tied names allowed);
- `engine.Engine`: in-place NumPy for every other float network, with any optimiser, tied and frozen
  parameters and every activation and loss;
- the reference loop `Trainer._run_reference`: `Network.forward/backward` and `Optimizer` per batch,
  which runs exact fractions and is the only one that checks every update for NaN/infinity.

The fast paths run the stretch of epochs up to the next record asked for in one
call, handing back each epoch's losses for the diagnostics; a stretch is also
sized, from the time the last one took, to last at most about STRETCH_SECONDS,
so a stop request between stretches is honoured promptly. Before each
stretch they take a snapshot (parameters and optimiser state); if anything goes
wrong in it (a non-finite loss or parameter, an overflow), the snapshot is
restored and the reference loop replays exactly that stretch, so stopping on
divergence behaves as it always did.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from .optimizers import State
from .result import EpochRecord
from .scalar import Kernel


class Runner(Protocol):
    """What the loop below needs of a fast path: its parameters and optimiser state in and out, and epochs."""

    def load(self, theta: np.ndarray) -> None:
        """Take the parameter values of the flat vector `theta`."""

    def load_state(self, state: State | None) -> None:
        """Take the optimiser's state (over theta)."""

    def state(self) -> State | None:
        """The optimiser's state now (None: the optimiser keeps none, plain SGD)."""

    def snapshot(self) -> object:
        """Everything `restore` needs to go back here: parameters and optimiser state."""

    def restore(self, snap: object) -> None: ...

    def train(self, count: int, stats: list) -> bool:
        """Run `count` epochs, appending each one's (loss sum, min, max, sample total); False on trouble."""

    def finite(self) -> bool:
        """Whether every parameter is a finite number."""

    def theta(self) -> np.ndarray:
        """The parameters now, as a new flat vector."""


class ScalarRunner(Kernel):
    """The generated scalar kernel as a Runner: plain SGD only, so there is no optimiser state to carry."""

    def load_state(self, state: State | None) -> None:
        pass

    def state(self) -> State | None:
        return None


def plain_sgd(spec) -> bool:
    """True unless the spec names an optimiser other than plain SGD (no momentum, no weight decay)."""
    opt = getattr(spec, "optimizer", None)
    if opt is None:
        return True
    if isinstance(getattr(opt, "plain", None), bool):  # optimizers.OptimizerSpec
        return opt.plain
    if isinstance(opt, str):
        return opt.lower() == "sgd"
    get = opt.get if isinstance(opt, dict) else (lambda key, default=None: getattr(opt, key, default))
    name = get("name", None) or get("kind", None) or get("type", None)
    if not isinstance(name, str) or name.lower() != "sgd":
        return False
    return not any(get(key, None) for key in ("momentum", "weight_decay", "nesterov", "dampening"))


def choose(spec, net, optimizer=None, allow_scalar: bool = True) -> Runner | None:
    """The fast runner for this spec with `optimizer` (by default the spec's), or None for the reference loop."""
    if net.theta.dtype != np.float64 or any(layer.kind != "dense" for layer in spec.layers):
        return None  # the other layer kinds train on the reference loop (Network: vectorised per kind)
    from . import engine, scalar
    from .optimizers import make_optimizer

    optimizer = optimizer or make_optimizer(spec, net)
    if allow_scalar and optimizer.plain and scalar.supports(spec, net):
        return ScalarRunner(spec, net)
    if engine.supports(spec, net):
        return engine.Engine(spec, net, optimizer)
    return None


CHUNK = 4096  # epochs per call of a fast path at most: bounds the per-epoch records held at once
# A fast path's stretch of epochs is sized to last about this long (measured as it runs), so a stop
# request (a signal) waits no longer, whatever the epoch count or the spacing of shown epochs.
STRETCH_SECONDS = 0.1


def shown(epoch: int, first: int, last: int, every: int) -> bool:
    return epoch == first or epoch == last or epoch % every == 0


def _next_shown(done: int, first: int, last: int, every: int) -> int:
    if done < first:
        return first
    return min(last, (done // every + 1) * every)


def run(trainer, epochs: int, every: int = 1) -> Iterator[EpochRecord]:
    """Yield the records of the first, every `every`-th and the last of the next `epochs` epochs.

    Stopping early (trouble, or `trainer.stop_requested()`), it yields the last completed epoch too;
    stopped on request before the first `every`-th epoch, it first yields about ten of the epochs
    run at a round spacing (what a table of an interrupted run should show).
    """
    first, last = trainer.epochs_done + 1, trainer.epochs_done + epochs
    latest = None
    early = trainer.early_rows
    early.reset()
    for record in _stretches(trainer, first, last, every):
        latest = record
        if shown(record.epoch, first, last, every):
            yield record
            if record.epoch != first:
                early.stop()
            latest = None
        if trainer.stop_requested():
            if latest is not None:
                yield from early.spaced(first, latest.epoch)
            break
    if latest is not None:  # stopped before the last epoch: it ended here
        yield latest


def _stretches(trainer, first: int, last: int, every: int) -> Iterator[EpochRecord]:
    """The record at the end of every stretch of epochs run (the reference loop: of every epoch)."""
    runner = trainer.fast_runner()
    if runner is None:
        yield from trainer._run_reference(last - trainer.epochs_done)
        return
    spec, net, watch, opt = trainer.spec, trainer.net, trainer.watch, trainer.optimizer
    n_batches = -(-spec.n_samples // spec.effective_batch_size)
    runner.load(net.theta)
    runner.load_state(opt.state)
    synced = net.theta, opt.state
    budget = 1  # epochs the next stretch may run: grows (at most doubling) toward STRETCH_SECONDS' worth
    while trainer.epochs_done < last:
        done = trainer.epochs_done
        # A stretch ends at the next epoch to show, so that whenever a record is yielded the trainer's
        # parameters and epoch count are exactly those after that epoch.
        count = min(_next_shown(done, first, last, every) - done, budget)
        if runner is not None:
            if net.theta is not synced[0] or opt.state is not synced[1]:  # someone set them between records
                runner.load(net.theta)
                runner.load_state(opt.state)
            snap = runner.snapshot()
            stats: list = []
            started = time.perf_counter()
            if runner.train(count, stats) and runner.finite():
                elapsed = time.perf_counter() - started
                net.set_theta(runner.theta())
                state = runner.state()
                if state is not None:
                    opt.state = state
                synced = net.theta, opt.state
                lsum, lmin, lmax, total = stats[-1]
                record = EpochRecord(done + count, lsum / n_batches, lmin, lmax, total / spec.n_samples)
                trainer._complete(record)
                on_epoch = trainer.on_epoch
                keep = trainer.early_rows.add if trainer.early_rows.on else None
                for i, (lsum, lmin, lmax, total) in enumerate(stats):
                    epoch, loss = done + 1 + i, lsum / n_batches
                    watch.epoch(epoch, loss)
                    if on_epoch is not None:
                        on_epoch(epoch, loss, lmin, lmax)
                    if keep is not None:
                        keep(epoch, loss, lmin, lmax, total / spec.n_samples)
                fits = int(count * STRETCH_SECONDS / elapsed) if elapsed > 0 else CHUNK
                budget = max(1, min(CHUNK, 2 * budget, fits))
                yield record
                continue
            # Trouble somewhere in these epochs: replay them on the reference loop.
            runner.restore(snap)
            net.set_theta(runner.theta())
            runner = trainer.fast_runner(after_trouble=runner)
        yield from trainer._run_reference(count)
        if trainer.stopped:
            return
        if runner is not None:
            runner.load(net.theta)
            runner.load_state(opt.state)
            synced = net.theta, opt.state
