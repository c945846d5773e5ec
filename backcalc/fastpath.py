"""Which training path runs a spec, and the chunked loop that drives the fast ones.

Three paths compute the same epochs:
- `scalar.Kernel`: generated plain-float code for tiny networks (tied names allowed);
- `engine.Engine`: in-place NumPy for any untied float network;
- the reference loop `Trainer._run_reference`: `Network.forward/backward` per
  batch, which handles everything (tied parameters, exact fractions, other
  optimisers) and is the only one that checks every update for NaN/infinity.

The fast paths run the stretch of epochs up to the next record asked for (at
most CHUNK) in one call, handing back each epoch's losses for the diagnostics. Before each
stretch they take a snapshot; if anything goes wrong in it (a non-finite loss
or parameter, an overflow), the snapshot is restored and the reference loop
replays exactly that stretch, so stopping on divergence behaves as it always
did.
"""

from __future__ import annotations

from collections.abc import Iterator

from .result import EpochRecord


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


def choose(spec, net, allow_scalar: bool = True):
    """The fast runner for this spec, or None for the reference loop."""
    import numpy as np

    if not plain_sgd(spec) or net.theta.dtype != np.float64:
        return None
    from . import engine, scalar

    if allow_scalar and scalar.supports(spec, net):
        return scalar.Kernel(spec, net)
    if engine.supports(spec, net):
        return engine.Engine(spec, net)
    return None


CHUNK = 4096  # epochs per call of a fast path: bounds the per-epoch records held at once


def shown(epoch: int, first: int, last: int, every: int) -> bool:
    return epoch == first or epoch == last or epoch % every == 0


def _next_shown(done: int, first: int, last: int, every: int) -> int:
    if done < first:
        return first
    return min(last, (done // every + 1) * every)


def run(trainer, epochs: int, every: int = 1) -> Iterator[EpochRecord]:
    """Yield the records of the first, every `every`-th and the last of the next `epochs` epochs."""
    first, last = trainer.epochs_done + 1, trainer.epochs_done + epochs
    runner = trainer.fast_runner()
    if runner is None:
        for record in trainer._run_reference(epochs):
            if shown(record.epoch, first, last, every):
                yield record
        return
    spec, net, watch = trainer.spec, trainer.net, trainer.watch
    n_batches = -(-spec.n_samples // spec.effective_batch_size)
    runner.load(net.theta)
    synced = net.theta
    while trainer.epochs_done < last:
        done = trainer.epochs_done
        # A stretch ends at the next epoch to show, so that whenever a record is yielded the trainer's
        # parameters and epoch count are exactly those after that epoch (callers checkpoint them).
        count = min(_next_shown(done, first, last, every) - done, CHUNK)
        if runner is not None:
            if net.theta is not synced:  # someone set the parameters between records
                runner.load(net.theta)
            snap = runner.snapshot()
            stats: list = []
            if runner.train(count, stats) and runner.finite():
                trainer.epochs_done = done + count
                net.set_theta(runner.theta())
                synced = net.theta
                on_epoch = trainer.on_epoch
                for i, (lsum, lmin, lmax, _) in enumerate(stats):
                    watch.epoch(done + 1 + i, lsum / n_batches)
                    if on_epoch is not None:
                        on_epoch(done + 1 + i, lsum / n_batches, lmin, lmax)
                epoch = done + count
                if shown(epoch, first, last, every):
                    lsum, lmin, lmax, total = stats[-1]
                    yield EpochRecord(epoch, lsum / n_batches, lmin, lmax, total / spec.n_samples)
                continue
            # Trouble somewhere in these epochs: replay them on the reference loop.
            runner.restore(snap)
            net.set_theta(runner.theta())
            runner = trainer.fast_runner(after_trouble=runner)
        for record in trainer._run_reference(count):
            if shown(record.epoch, first, last, every):
                yield record
        if trainer.stopped:
            return
        if runner is not None:
            runner.load(net.theta)
            synced = net.theta
