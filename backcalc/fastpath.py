"""Which training path runs a spec, and the chunked loop that drives the fast ones.

Three paths compute the same epochs:
- `scalar.Kernel`: generated plain-float code for tiny networks (tied names allowed);
- `engine.Engine`: in-place NumPy for any untied float network;
- the reference loop `Trainer._run_reference`: `Network.forward/backward` per
  batch, which handles everything (tied parameters, exact fractions, other
  optimisers) and is the only one that checks every update for NaN/infinity.

The fast paths run whole stretches of epochs between the records that will be
shown, without making a record per epoch. Before each stretch they take a
snapshot; if anything goes wrong in it (a non-finite loss or parameter, an
overflow), the snapshot is restored and the reference loop replays exactly
that stretch, so stopping on divergence behaves as it always did.
"""

from __future__ import annotations

from collections.abc import Iterator

from .result import EpochRecord


def plain_sgd(spec) -> bool:
    """True unless the spec names an optimiser other than plain SGD (no momentum, no weight decay)."""
    opt = getattr(spec, "optimizer", None)
    if opt is None:
        return True
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
    runner.load(trainer.net.theta)
    spec = trainer.spec
    n_batches = -(-spec.n_samples // spec.effective_batch_size)
    while trainer.epochs_done < last:
        target = _next_shown(trainer.epochs_done, first, last, every)
        count = target - trainer.epochs_done
        if runner is None:  # after trouble with no fast path left
            stream = trainer._run_reference(count)
        else:
            snap = runner.snapshot()
            stats = runner.train(count)
            if stats is not None and runner.finite():
                trainer.epochs_done = target
                trainer.net.set_theta(runner.theta())
                yield EpochRecord(target, stats[0] / n_batches, stats[1], stats[2], stats[3] / spec.n_samples)
                continue
            runner.restore(snap)
            trainer.net.set_theta(runner.theta())
            stream = trainer._run_reference(count)
            runner = trainer.fast_runner(after_trouble=runner)
        for record in stream:
            if shown(record.epoch, first, last, every):
                yield record
        if trainer.stopped:
            return
        if runner is not None:
            runner.load(trainer.net.theta)
