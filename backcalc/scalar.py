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
    n_layers = len(sizes) - 1
    k_out = sizes[-1]
    out: list[str] = []
    a_prev = [f"x{s}_{j}" for j in range(sizes[0])]
    inputs = [a_prev]
    for li in range(n_layers):
        act = acts[li]
        cur = []
        for i in range(sizes[li + 1]):
            z = f"z{li}_{i}"
            terms = [f"{a_prev[j]} * p{w_index[li][i][j]}" for j in range(sizes[li])]
            out.append(f"{z} = {_sum(terms)} + p{b_index[li][i]}")
            a = f"a{li}_{i}"
            if act == "sigmoid":
                out.append(f"{a} = 1.0 / (1.0 + exp(-{z}))")
            elif act == "tanh":
                out.append(f"{a} = tanh({z})")
            elif act == "relu":
                out.append(f"{a} = {z} if {z} > 0.0 else {z} * 0.0")
            elif act == "leaky_relu":
                out.append(f"{a} = {z} if {z} > 0.0 else {z} * al{li}")
            elif act == "identity":
                a = z
            cur.append(a)
        if act == "softmax":
            zs = [f"z{li}_{i}" for i in range(sizes[li + 1])]
            out.append(f"m = max({', '.join(zs)})" if len(zs) > 1 else f"m = {zs[0]}")
            for i, z in enumerate(zs):
                out.append(f"e{i} = exp({z} - m)")
            out.append(f"se = {_sum([f'e{i}' for i in range(len(zs))])}")
            for i in range(len(zs)):
                out.append(f"a{li}_{i} = e{i} / se")
            cur = [f"a{li}_{i}" for i in range(len(zs))]
        inputs.append(cur)
        a_prev = cur
    y = inputs[-1]
    t = [f"t{s}_{k}" for k in range(k_out)]
    kf = float(k_out)
    # per-sample loss
    if loss in ("squared_error", "half_squared_error", "mse"):
        for k in range(k_out):
            out.append(f"r{k} = {y[k]} - {t[k]}")
        sq = _sum([f"r{k} * r{k}" for k in range(k_out)])
        if loss == "squared_error":
            out.append(f"ls{s} = {sq}")
        else:
            out.append(f"ls{s} = ({sq}) / {2.0 if loss == 'half_squared_error' else kf!r}")
    elif loss == "bce" and acts[-1] == "sigmoid":
        # from z, as losses._bce: log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z)
        zo = [f"z{n_layers - 1}_{k}" for k in range(k_out)]
        terms = [f"({t[k]} * -softplus(-{zo[k]}) + (1.0 - {t[k]}) * -softplus({zo[k]}))" for k in range(k_out)]
        out.append(f"ls{s} = -({_sum(terms)}) / {kf!r}")
    elif loss == "bce":
        # softmax, from z as losses._log_softmax_pair: log y_k = (z_k − m) − log se, and log(1 − y_k)
        # = log1p(−y_k) up to y_k = ½, above it log Σ_{j≠k} e_j − log se (1 − y_k would cancel)
        out.append("lse = log(se)")
        log_y = [f"(z{n_layers - 1}_{k} - m - lse)" for k in range(k_out)]
        rest = [_sum([f"e{j}" for j in range(k_out) if j != k]) or "0.0" for k in range(k_out)]
        log_1my = [f"(log1p(-{y[k]}) if {y[k]} <= 0.5 else log({rest[k]}) - lse)" for k in range(k_out)]
        terms = [f"(({t[k]} * {log_y[k]}) if {t[k]} != 0.0 else 0.0) + "
                 f"(((1.0 - {t[k]}) * {log_1my[k]}) if {t[k]} != 1.0 else 0.0)" for k in range(k_out)]
        out.append(f"ls{s} = -({_sum(terms)}) / {kf!r}")
    else:  # cross_entropy
        if acts[-1] == "softmax":
            out.append("lse = log(se)")
        logy = [f"-softplus(-z{n_layers - 1}_{k})" if acts[-1] == "sigmoid" else f"(z{n_layers - 1}_{k} - m - lse)"
                for k in range(k_out)]
        terms = [f"({t[k]} * {logy[k]} if {t[k]} != 0.0 else 0.0)" for k in range(k_out)]
        out.append(f"ls{s} = -({_sum(terms)})")
    # output δ
    last, out_act = n_layers - 1, acts[-1]
    d = [f"d{last}_{k}" for k in range(k_out)]
    if loss == "bce" and out_act == "sigmoid":
        out += [f"{d[k]} = ({y[k]} - {t[k]}) / {kf!r}" for k in range(k_out)]
    elif loss == "cross_entropy" and out_act == "softmax":
        out.append(f"ts = {_sum(t)}")
        out += [f"{d[k]} = {y[k]} * ts - {t[k]}" for k in range(k_out)]
    elif loss == "cross_entropy" and out_act == "sigmoid":
        out += [f"{d[k]} = {t[k]} * ({y[k]} - 1.0)" for k in range(k_out)]
    elif loss == "bce" and out_act == "softmax" and k_out > 1:
        # losses._bce_softmax_delta: K·δ_j = y_j·Σt − t_j + (1 − t_j)·y_j − Σ_{k≠j} (1 − t_k)·y_j·y_k/(1 − y_k),
        # with 1 − y_k = Σ_{i≠k} e_i / se, a sum of others that never cancels (0 only if they underflow)
        out.append(f"ts = {_sum(t)}")
        for k in range(k_out):
            out.append(f"om{k} = {_sum([f'e{i}' for i in range(k_out) if i != k])}")
        for j in range(k_out):
            cross = _sum([f"(1.0 - {t[k]}) * (e{j} * e{k} / (se * om{k}))" for k in range(k_out) if k != j])
            out.append(f"{d[j]} = ({y[j]} * ts - {t[j]} + (1.0 - {t[j]}) * {y[j]} - ({cross})) / {kf!r}")
    else:
        g = [f"g{k}" for k in range(k_out)]
        for k in range(k_out):
            if loss == "squared_error":
                out.append(f"g{k} = 2.0 * r{k}")
            elif loss == "half_squared_error":
                out.append(f"g{k} = r{k}")
            elif loss == "mse":
                out.append(f"g{k} = 2.0 * r{k} / {kf!r}")
            elif loss == "bce":
                out.append(f"g{k} = ({y[k]} - {t[k]}) / ({y[k]} * (1.0 - {y[k]})) / {kf!r}")
            else:
                out.append(f"g{k} = -{t[k]} / {y[k]} if {t[k]} != 0.0 else 0.0")
        out += _delta(out_act, last, g, [f"z{last}_{k}" for k in range(k_out)], y, d)
    # hidden δ, layer by layer downwards
    deltas = {last: d}
    for li in range(last - 1, -1, -1):
        above = deltas[li + 1]
        u = [f"u{j}" for j in range(sizes[li + 1])]
        for j in range(sizes[li + 1]):
            terms = [f"{above[i]} * p{w_index[li + 1][i][j]}" for i in range(sizes[li + 2])]
            out.append(f"u{j} = {_sum(terms)}")
        dl = [f"d{li}_{j}" for j in range(sizes[li + 1])]
        out += _delta(acts[li], li, u, [f"z{li}_{j}" for j in range(sizes[li + 1])], inputs[li + 1], dl)
        deltas[li] = dl
    # accumulate slot gradients over the batch's samples
    for li in range(n_layers):
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
    out = []
    if act == "softmax":
        out.append(f"sga = {_sum([f'{g[k]} * {a[k]}' for k in range(len(g))])}")
        return out + [f"{d[k]} = {a[k]} * ({g[k]} - sga)" for k in range(len(g))]
    for k in range(len(g)):
        if act == "sigmoid":
            out.append(f"{d[k]} = {g[k]} * ({a[k]} * (1.0 - {a[k]}))")
        elif act == "tanh":
            out.append(f"{d[k]} = {g[k]} * (1.0 - {a[k]} * {a[k]})")
        elif act == "relu":
            out.append(f"{d[k]} = {g[k]} if {z[k]} > 0.0 else {g[k]} * 0.0")
        elif act == "leaky_relu":
            out.append(f"{d[k]} = {g[k]} if {z[k]} > 0.0 else {g[k]} * al{li}")
        else:
            out.append(f"{d[k]} = {g[k]}")
    return out


def _softplus(x: float) -> float:
    """log(1 + e^x), stable: losses._softplus in plain floats."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


_GLOBALS = {"_exp": math.exp, "_log": math.log, "_log1p": math.log1p, "_tanh": math.tanh, "_isfinite": math.isfinite,
            "_softplus": _softplus}
