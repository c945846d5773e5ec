"""The epoch and batch loop: streams one record per epoch and keeps no history."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .network import Network
from .result import EpochRecord, TrainResult
from .spec import Spec


def shown_epochs(epochs: int, every: int | None) -> int:
    """The default spacing of shown rows: about ten rows."""
    return every if every else max(1, epochs // 10)


class Trainer:
    """Runs epochs of the spec's batches (in file order) with plain SGD."""

    def __init__(self, spec: Spec, network: Network | None = None):
        self.spec = spec
        self.net = network or Network(spec)
        self.epochs_done = 0
        self.stopped: str | None = None
        bs = spec.effective_batch_size
        n = spec.n_samples
        self.batches = [(spec.inputs[s:s + bs], spec.targets[s:s + bs]) for s in range(0, n, bs)]

    def run(self, epochs: int) -> Iterator[EpochRecord]:
        """Yield one record per epoch; stop early (setting `stopped`) on NaN or infinity."""
        net, lr = self.net, self.spec.learning_rate
        for _ in range(epochs):
            epoch = self.epochs_done + 1
            losses = []
            sample_total = 0.0
            for x, t in self.batches:
                trace = net.forward(x)
                per_sample, _ = net.losses(trace, t)
                loss = float(net.reduce(per_sample))
                sample_total += float(sum(per_sample))
                grad = net.backward(trace, t, record=False).grad
                new = net.step_theta(grad, lr)
                if not math.isfinite(loss) or not np.all(np.isfinite(new)):
                    self.stopped = _non_finite_message(epoch, loss, net.names, new)
                    return
                net.set_theta(new)
                losses.append(loss)
            self.epochs_done = epoch
            yield EpochRecord(epoch, sum(losses) / len(losses), min(losses), max(losses),
                              sample_total / self.spec.n_samples)

    def result(self, history: list[EpochRecord] | None = None) -> TrainResult:
        net = self.net
        trace = net.forward(self.spec.inputs)
        per_sample, note = net.losses(trace, self.spec.targets)
        return TrainResult(
            name=self.spec.name, epochs=self.epochs_done, loss=float(net.reduce(per_sample)),
            output=trace.output, layers=list(zip(net.weights, net.biases)),
            parameters={n: float(v) for n, v in zip(net.names, net.theta)},
            history=history or [], warnings=[note] if note else [], stopped=self.stopped,
            batches_per_epoch=len(self.batches), reduction=self.spec.reduction,
        )


def _non_finite_message(epoch: int, loss: float, names: list[str], theta: np.ndarray) -> str:
    bad = [n for n, v in zip(names, theta, strict=True) if not math.isfinite(v)]
    if not math.isfinite(loss):
        then = f" (and parameter {bad[0]} would become {theta[names.index(bad[0])]})" if bad else ""
        return (f"the loss became {loss} in epoch {epoch}{then}; training stopped, "
                "the parameters are those before it")
    return (f"parameter {bad[0]} became {theta[names.index(bad[0])]} in epoch {epoch}; training stopped, "
            "the parameters are those before it")


def train(spec: Spec, epochs: int, every: int | None = None) -> TrainResult:
    """Train for `epochs` epochs; the result keeps every `every`-th epoch record."""
    trainer = Trainer(spec)
    k = shown_epochs(epochs, every)
    history = [r for r in trainer.run(epochs) if r.epoch % k == 0 or r.epoch == epochs]
    return trainer.result(history)
