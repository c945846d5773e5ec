"""Warnings about a network that will not learn well, each one line naming the neuron or parameter.

- symmetric hidden neurons: same incoming weights and bias, same outgoing
  weights, so the same gradients: they stay identical forever;
- a ReLU neuron dead on every sample (z ≤ 0: no gradient flows through it): the
  registry's `dies` flag; a convolution's channel only when every position of it is
  dead (its kernel is shared: one dead position still learns from the others), a
  batch norm's unit or channel naming γ and β;
- a sigmoid, tanh or softplus neuron saturated on every sample (∂a/∂z < 1e-3; the
  registry's `saturates` flag), except an output whose δ comes from the combined
  loss formula, which does not stall;
- a learning rate at which the loss rises;
- NaN or infinity, naming the parameter (training stops there).
"""

from __future__ import annotations

import math

import numpy as np

from .network import Network, Trace

SATURATED = 1e-3


def _floats(a) -> np.ndarray:
    return np.asarray(a, dtype=float)


def _where(net: Network, li: int, i: int) -> str:
    return f"{net.spec.layers[li].neuron_names[i]} (layer {li + 1})"


def _unit_groups(net: Network, li: int) -> list[tuple[str, list[int], str]]:
    """What a warning names in layer `li`: (which, its units, the parameters that would not change).
    A dense unit alone; a convolution's channel (all its positions: the kernel is shared); a batch
    norm's statistic (a channel's positions, or one unit)."""
    layer, kind = net.spec.layers[li], net.kinds[li]
    where = f"(layer {li + 1})"
    if layer.kind in ("conv1d", "conv2d"):
        p = kind.window.positions
        return [(f"channel {c + 1} {where}, at every position,", list(range(c * p, (c + 1) * p)),
                 "its kernel and bias") for c in range(kind.out_channels)]
    if layer.kind == "batchnorm":
        p = kind.positions
        return [(f"channel {c + 1} {where}, at every position," if p > 1 else
                 f"neuron {layer.neuron_names[c]} {where}", list(range(c * p, (c + 1) * p)),
                 "its γ and β") for c in range(kind.channels)]
    return [(f"neuron {_where(net, li, i)}", [i], "its incoming weights and bias")
            for i in range(len(layer.neuron_names))]


def symmetric_neurons(net: Network) -> list[str]:
    """Groups of hidden neurons that start identical and so stay identical."""
    out = []
    layers = net.spec.layers
    for li in range(len(layers) - 1):
        if layers[li].kind != "dense" or layers[li + 1].kind != "dense":
            continue  # a kernel's channels share their inputs by design; pools and norms have no neurons
        w, b = _floats(net.weights[li]), _floats(net.biases[li])
        w_out = _floats(net.weights[li + 1])
        frozen_w, frozen_b = net.frozen[net.w_index[li]], net.frozen[net.b_index[li]]
        groups: dict[tuple, list[int]] = {}
        for i in range(layers[li].size):
            signature = (tuple(w[i]), b[i], tuple(w_out[:, i]), tuple(frozen_w[i]), frozen_b[i])
            groups.setdefault(signature, []).append(i)
        for members in groups.values():
            if len(members) > 1:
                names = [layers[li].neuron_names[i] for i in members]
                listed = ", ".join(names[:-1]) + f" and {names[-1]}"
                out.append(f"hidden neurons {listed} (layer {li + 1}) start identical (same incoming weights "
                           "and bias, same outgoing weights): they get the same gradients and stay identical "
                           "forever; give them different initial weights")
    return out


def dead_and_saturated(net: Network, trace: Trace, when: str) -> list[str]:
    """Dead ReLU and saturated sigmoid/tanh neurons over every sample of `trace`."""
    out = []
    n_layers = len(net.spec.layers)
    fused = net.loss.fused_delta(net.activations[-1].name, _floats(trace.output[:1]),
                                 _floats(trace.output[:1])) is not None
    for li, act in enumerate(net.activations):
        if not (act.dies or act.saturates):
            continue
        z, a = _floats(trace.z[li]), _floats(trace.a[li + 1])
        for which, units, params in _unit_groups(net, li):
            if act.dies and np.all(z[:, units] <= 0):
                out.append(f"{act.sentence_name} {which} is dead on every sample {when} "
                           f"(z ≤ 0): no gradient flows through it, so {params} never change")
            if act.saturates and not (fused and li == n_layers - 1):
                d = act.derivative(z[:, units], a[:, units], 0.0)
                if np.all(d < SATURATED):
                    out.append(f"{act.sentence_name} {which} is saturated on every sample "
                               f"{when} (largest ∂a/∂z {float(np.max(d)):.2g}, under {SATURATED:g}): it learns "
                               "very slowly")
    return out


def non_finite(names: list[str], loss, grad, new) -> str | None:
    """What became NaN or infinite first: the loss, a gradient or an updated value (None: nothing)."""
    if not math.isfinite(float(loss)):
        return f"the loss became {float(loss)}"
    for what, values in (("the gradient ∂L/∂{}", grad), ("parameter {}", new)):
        bad = ~np.isfinite(_floats(values))
        if bad.any():
            k = int(np.argmax(bad))
            return f"{what.format(names[k])} became {float(values[k])}"
    return None


def non_finite_stop(epoch: int, names: list[str], loss, grad, new, theta) -> str:
    """The message training stops with."""
    what = non_finite(names, loss, grad, new) or "a value became non-finite"
    big = int(np.argmax(np.abs(_floats(theta))))
    return (f"{what} in epoch {epoch} (largest parameter before it: {names[big]} = {float(theta[big]):.6g}); "
            f"training stopped, the parameters reported are those after epoch {epoch - 1}")


def step_warnings(net: Network, trace: Trace, x, t, loss, grad, new_theta) -> list[str]:
    """Every diagnostic of one step on one batch."""
    out = symmetric_neurons(net) + dead_and_saturated(net, trace, "of the batch")
    bad = non_finite(net.names, loss, grad, new_theta)
    if bad:
        out.append(f"{bad}: the step is meaningless; lower the learning rate or rescale the inputs")
        return out
    after = _loss_at(net, new_theta, x, t)
    if math.isfinite(after) and after > float(loss) * (1 + 1e-9) + 1e-15:
        out.append(f"the loss rises after this step ({float(loss):.6g} → {after:.6g}): the learning rate "
                   f"{net.spec.learning_rate:g} is too large here")
    return out


def _loss_at(net: Network, theta, x, t) -> float:
    saved = net.theta
    try:
        net.set_theta(np.asarray(theta, dtype=float))
        trace = net.forward(_floats(x))
        per_sample, _ = net.losses(trace, _floats(t))
        with np.errstate(all="ignore"):
            return float(net.reduce(per_sample))
    finally:
        net.set_theta(saved)


class TrainWatch:
    """Diagnostics of a training run: at the start, per epoch, and at the end."""

    def __init__(self, net: Network, x, t, batches_per_epoch: int):
        self.net, self.x, self.t = net, x, t
        self.full_batch = batches_per_epoch == 1
        start = dead_and_saturated(net, net.forward(x), "at the start")
        self.warnings = symmetric_neurons(net) + start
        self._start_neurons = {w.split(" is ")[0] for w in start}
        self.first: tuple[int, float] | None = None
        self.last: tuple[int, float] | None = None
        self.rose = False

    def epoch(self, epoch: int, loss: float) -> None:
        loss = float(loss)  # exact mode passes a Fraction, which cannot be formatted with :g on 3.11
        if self.first is None:
            self.first = (epoch, loss)
        elif self.full_batch and not self.rose and loss > self.last[1] * (1 + 1e-9) + 1e-15:
            self.rose = True
            self.warnings.append(f"the loss rose in epoch {epoch} ({self.last[1]:.6g} → {loss:.6g}): the "
                                 f"learning rate {self.net.spec.learning_rate:g} is too large there")
        self.last = (epoch, loss)

    def finish(self, trace=None) -> list[str]:
        """The run's warnings; `trace` is the forward pass at the final parameters, when the caller has it."""
        out = list(self.warnings)
        if not self.full_batch and self.first and self.last and self.last[1] > self.first[1] * (1 + 1e-9):
            out.append(f"the loss rose over training (epoch {self.first[0]} {self.first[1]:.6g} → epoch "
                       f"{self.last[0]} {self.last[1]:.6g}): the learning rate "
                       f"{self.net.spec.learning_rate:g} is too large")
        if self.last is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                trace = trace if trace is not None else self.net.forward(self.x)
                end = dead_and_saturated(self.net, trace, f"after epoch {self.last[0]}")
            out += [w for w in end if w.split(" is ")[0] not in self._start_neurons]
        return out
