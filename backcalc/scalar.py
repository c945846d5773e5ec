"""The tiny-network path: plain-float Python code generated once per spec shape.

A NumPy call costs about a microsecond however small its arrays, so a 2-2-1
network trained with arrays spends nearly all its time in call overhead. For
small networks this module writes the whole epoch out as straight-line scalar
code (every sample, neuron and parameter a local variable), compiles it once
per spec shape (cached) and runs many epochs per call.

The formulas are those of `network.py`, term by term and in the same order
where NumPy's order is known (sums over a matrix product's terms run left to
right here, while BLAS may group them differently), so the results agree with
the general path to rounding. `supports` is the one predicate deciding which
specs run here; anything numerically awkward at run time (an overflowing
exp, a log of 0, a non-finite loss) makes `train` return None and the caller
replays those epochs on the general path.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .activations import get_activation
from .losses import get_loss
from .network import Network
from .spec_model import Spec

MAX_SLOTS = 64  # weights and biases
MAX_BATCH_WORK = 256  # slots × samples in one batch: above this, NumPy's fixed cost pays off
MAX_EPOCH_WORK = 4096  # slots × samples: bounds the generated code's size


def supports(spec: Spec, net: Network) -> bool:
    """Whether the generated scalar code runs this network (else the general path does)."""
    if net.theta.dtype != np.float64:
        return False
    slots = sum(w.size + b.size for w, b in zip(net.w_index, net.b_index, strict=True))
    bs = spec.effective_batch_size
    return slots <= MAX_SLOTS and slots * bs <= MAX_BATCH_WORK and slots * spec.n_samples <= MAX_EPOCH_WORK


def shape_key(spec: Spec, net: Network) -> tuple:
    """Everything the generated code depends on (values come in as arguments)."""
    sizes = (spec.inputs.shape[1], *(layer.size for layer in spec.layers))
    bs = spec.effective_batch_size
    batches = tuple(min(bs, spec.n_samples - s) for s in range(0, spec.n_samples, bs))
    return (sizes, tuple(a.name for a in net.activations), spec.loss, spec.reduction, batches,
            tuple(tuple(map(tuple, w.tolist())) for w in net.w_index), tuple(tuple(b.tolist()) for b in net.b_index),
            tuple(bool(f) for f in net.frozen))


class Kernel:
    """One spec's compiled epoch loop and its current parameter values."""

    def __init__(self, spec: Spec, net: Network):
        self.fn = compile_kernel(shape_key(spec, net))
        self.params = [float(v) for v in net.theta]
        self.data = tuple(float(v) for s in range(spec.n_samples)
                          for v in (*spec.inputs[s], *spec.targets[s]))
        self.alphas = tuple(float(a) for a in net.alphas)
        self.lr = float(spec.learning_rate)

    def snapshot(self) -> list[float]:
        return list(self.params)

    def restore(self, snap: list[float]) -> None:
        self.params = list(snap)

    def load(self, theta: np.ndarray) -> None:
        self.params = [float(v) for v in theta]

    def finite(self) -> bool:
        return all(map(math.isfinite, self.params))

    def theta(self) -> np.ndarray:
        return np.array(self.params, dtype=np.float64)

    def train(self, count: int, stats: list) -> bool:
        """Run `count` epochs, appending each one's (loss sum, min, max, sample total); False on trouble."""
        try:
            params = self.fn(self.params, self.data, self.alphas, self.lr, count, stats.append)
        except (ArithmeticError, ValueError):
            return False
        if params is None:
            return False
        self.params = params
        return True


@lru_cache(maxsize=64)
def compile_kernel(key: tuple):
    """The epoch function for one spec shape, compiled once."""
    source = generate(key)
    namespace = dict(_GLOBALS)
    exec(compile(source, "<backcalc scalar kernel>", "exec"), namespace)
    return namespace["kernel"]


def generate(key: tuple) -> str:
    """Python source of `kernel(P, D, A, lr, count, append)` for one spec shape."""
    sizes, acts, loss, reduction, batches, w_index, b_index, frozen = key
    n_params = len(frozen)
    n_in, k_out, n_layers = sizes[0], sizes[-1], len(sizes) - 1
    mean = reduction == "mean"
    n_samples = sum(batches)
    p = [f"p{i}" for i in range(n_params)]
    lines = [
        "def kernel(P, D, A, lr, count, append):",
        "    exp = _exp; log = _log; log1p = _log1p; tanh = _tanh; isfinite = _isfinite; softplus = _softplus",
        f"    {_tuple(p)} = P",
        f"    {_tuple(f'al{li}' for li in range(n_layers))} = A",
        "    " + _tuple(f"{c}{s}_{j}" for s in range(n_samples)
                        for c, j in [*(("x", j) for j in range(n_in)), *(("t", k) for k in range(k_out))]) + " = D",
        "    for _ in range(count):",
    ]
    body: list[str] = []
    start = 0
    for bi, n in enumerate(batches):
        grads: dict[tuple, str] = {}  # slot -> accumulated per-sample products
        for s in range(start, start + n):
            body += _sample(s, sizes, acts, loss, w_index, b_index, grads, first=s == start)
        body.append(f"S{bi} = " + " + ".join(f"ls{s}" for s in range(start, start + n)))
        body.append(f"L{bi} = S{bi} / {float(n)!r}" if mean and n > 1 else f"L{bi} = S{bi}")
        # one gradient per distinct parameter: its slots' (scaled) gradients summed in slot order
        per_param: dict[int, list[str]] = {}
        for li in range(n_layers):
            for i in range(sizes[li + 1]):
                for j in range(sizes[li]):
                    per_param.setdefault(w_index[li][i][j], []).append(grads[("w", li, i, j)])
            for i in range(sizes[li + 1]):
                per_param.setdefault(b_index[li][i], []).append(grads[("b", li, i)])
        for k in range(n_params):
            if frozen[k]:
                continue
            terms = [f"{g} / {float(n)!r}" if mean and n > 1 else g for g in per_param[k]]
            grad = terms[0] if len(terms) == 1 else "(" + " + ".join(f"({t})" for t in terms) + ")"
            body.append(f"p{k} = p{k} - lr * ({grad})")
        start += n
    n_b = len(batches)
    body.append("if not isfinite(" + " + ".join(f"L{b}" for b in range(n_b)) + "):")
    body.append("    return None")
    # the epoch's record: (sum of batch losses, smallest, largest, sum of sample losses)
    if n_b == 1:
        body.append("append((L0, L0, L0, S0))")
    else:
        ls = _tuple(f"L{b}" for b in range(n_b))
        body.append(f"append(({' + '.join(f'L{b}' for b in range(n_b))}, min({ls}), max({ls}), "
                    f"{' + '.join(f'S{b}' for b in range(n_b))}))")
    lines += ["        " + line for line in body]
    lines.append(f"    return [{', '.join(p)}]")
    return "\n".join(lines) + "\n"


def _tuple(names) -> str:
    names = list(names)
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _sum(terms: list[str]) -> str:
    return " + ".join(terms)


def _sample(s: int, sizes, acts, loss: str, w_index, b_index, grads: dict, first: bool) -> list[str]:
    """Forward, loss, backward and gradient accumulation for sample s."""
    out, inputs = _forward_code(s, sizes, acts, w_index, b_index)
    loss_lines, d = _output_delta_code(s, sizes, acts, loss, inputs[-1])
    hidden_lines, deltas = _hidden_delta_code(sizes, acts, w_index, inputs, d)
    return out + loss_lines + hidden_lines + _accumulate_code(sizes, inputs, deltas, grads, first)


def _forward_code(s: int, sizes, acts, w_index, b_index) -> tuple[list[str], list[list[str]]]:
    """Sample s's weighted sums and activations, layer by layer; the lines and each layer's activation names
    (the inputs first)."""
    out: list[str] = []
    a_prev = [f"x{s}_{j}" for j in range(sizes[0])]
    inputs = [a_prev]
    for li in range(len(sizes) - 1):
        act = get_activation(acts[li])
        zs, cur = [f"z{li}_{i}" for i in range(sizes[li + 1])], []
        for i, z in enumerate(zs):
            terms = [f"{a_prev[j]} * p{w_index[li][i][j]}" for j in range(sizes[li])]
            out.append(f"{z} = {_sum(terms)} + p{b_index[li][i]}")
            if act.elementwise and act.code is None:  # a = z: the weighted sum serves as the activation
                cur.append(z)
            elif act.elementwise:
                cur.append(f"a{li}_{i}")
                out.append(f"{cur[-1]} = {act.code.format(z=z, alpha=f'al{li}')}")
        if not act.elementwise:  # the whole layer at once
            cur = [f"a{li}_{i}" for i in range(len(zs))]
            out += act.code_layer(zs, cur)
        inputs.append(cur)
        a_prev = cur
    return out, inputs


def _output_delta_code(s: int, sizes, acts, loss: str, y: list[str]) -> tuple[list[str], list[str]]:
    """Sample s's loss and the output layer's δ names: the loss's fused form for this output activation,
    or ∂ℓ/∂y times the activation's derivative."""
    k_out = sizes[-1]
    t = [f"t{s}_{k}" for k in range(k_out)]
    kf = float(k_out)
    last, out_act = len(sizes) - 2, acts[-1]
    z_out = [f"z{last}_{k}" for k in range(k_out)]
    loss_fn = get_loss(loss)
    out = loss_fn.code(f"ls{s}", y, t, z_out, kf, out_act)  # the per-sample loss
    d = [f"d{last}_{k}" for k in range(k_out)]
    fused = loss_fn.fused.get(out_act)
    fused_code = fused.code(y, t, d, kf) if fused is not None else None
    if fused_code is not None:
        out += fused_code
    else:
        g = [f"g{k}" for k in range(k_out)]
        out += [f"g{k} = {loss_fn.code_grad.format(r=f'r{k}', y=y[k], t=t[k], K=repr(kf))}" for k in range(k_out)]
        out += _delta(out_act, last, g, z_out, y, d)
    return out, d


def _hidden_delta_code(sizes, acts, w_index, inputs, d: list[str]) -> tuple[list[str], dict]:
    """The hidden layers' δ, layer by layer downwards: the lines, and every layer's δ names."""
    out: list[str] = []
    last = len(sizes) - 2
    deltas = {last: d}
    for li in range(last - 1, -1, -1):
        above = deltas[li + 1]
        for j in range(sizes[li + 1]):
            terms = [f"{above[i]} * p{w_index[li + 1][i][j]}" for i in range(sizes[li + 2])]
            out.append(f"u{j} = {_sum(terms)}")
        u = [f"u{j}" for j in range(sizes[li + 1])]
        dl = [f"d{li}_{j}" for j in range(sizes[li + 1])]
        out += _delta(acts[li], li, u, [f"z{li}_{j}" for j in range(sizes[li + 1])], inputs[li + 1], dl)
        deltas[li] = dl
    return out, deltas


def _accumulate_code(sizes, inputs, deltas: dict, grads: dict, first: bool) -> list[str]:
    """Each slot's gradient added up over the batch's samples (the first sample sets it); `grads` learns
    every slot's variable name."""
    out = []
    for li in range(len(sizes) - 1):
        for i in range(sizes[li + 1]):
            for j in range(sizes[li]):
                name = f"gw{li}_{i}_{j}"
                prod = f"{deltas[li][i]} * {inputs[li][j]}"
                out.append(f"{name} = {prod}" if first else f"{name} = {name} + {prod}")
                grads[("w", li, i, j)] = name
            name = f"gb{li}_{i}"
            out.append(f"{name} = {deltas[li][i]}" if first else f"{name} = {name} + {deltas[li][i]}")
            grads[("b", li, i)] = name
    return out


def _delta(act: str, li: int, g: list[str], z: list[str], a: list[str], d: list[str]) -> list[str]:
    """δ = ∂ℓ/∂a · ∂a/∂z for one layer (softmax: the vector–Jacobian product)."""
    entry = get_activation(act)
    if not entry.elementwise:
        return entry.code_layer_delta(g, a, d)
    return [f"{d[k]} = {entry.code_derivative.format(g=g[k], z=z[k], a=a[k], alpha=f'al{li}')}"
            for k in range(len(g))]


def _softplus(x: float) -> float:
    """log(1 + e^x), stable: log_space.softplus in plain floats."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


_GLOBALS = {"_exp": math.exp, "_log": math.log, "_log1p": math.log1p, "_tanh": math.tanh, "_isfinite": math.isfinite,
            "_softplus": _softplus}
