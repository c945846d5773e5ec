"""An independent reference for issue 17's layer kinds, written from the contract's equations and
not from backcalc's code: every quantity a scalar node (reverse-mode, micrograd style), each layer
a plain Python loop over channels, positions and time steps. The tests hold backcalc's `--json`
to it; PyTorch float64 is a third opinion (test_contract_torch.py).

It reads the spec dict itself (flat `inputs` with `input_shape:`, or a nested sample), names every
parameter itself (the docs' defaults: W2[i,j], b2[i], K1[o,c,i,j], Wx1[i,j], Wh1[i,k], gamma3[k],
beta3[k]; a `name: number` entry its own name) and lists them in the order the contract promises:
the order their entries first appear in the spec, row-major within each array.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

import numpy as np

EPS = 1e-5


class V:
    """A scalar and its gradient; `parents` pairs each input node with the local derivative."""

    __slots__ = ("data", "grad", "parents")

    def __init__(self, data: float, parents=()):
        self.data, self.grad, self.parents = data, 0, parents  # data a float, or a Fraction (exact)

    def __add__(self, o):
        o = o if isinstance(o, V) else V(o)
        return V(self.data + o.data, ((self, 1), (o, 1)))

    __radd__ = __add__

    def __mul__(self, o):
        o = o if isinstance(o, V) else V(o)
        return V(self.data * o.data, ((self, o.data), (o, self.data)))

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, o):
        return self + (-o if isinstance(o, V) else V(-o))

    def __truediv__(self, o):
        if isinstance(o, V):
            return self * o ** -1.0
        return self * (Fraction(1, o) if isinstance(o, int) else 1.0 / o)

    def __pow__(self, k: float):
        return V(self.data ** k, ((self, k * self.data ** (k - 1)),))


def act(name: str, z: V) -> V:
    if name == "identity":
        return z
    if name == "relu":
        return V(z.data if z.data > 0 else 0 * z.data, ((z, 1 if z.data > 0 else 0),))
    if name == "leaky_relu":
        slope = Fraction(1, 100) if isinstance(z.data, Fraction) else 0.01
        return V(z.data if z.data > 0 else slope * z.data, ((z, 1 if z.data > 0 else slope),))
    if name == "tanh":
        t = math.tanh(z.data)
        return V(t, ((z, 1 - t * t),))
    if name == "sigmoid":
        s = 1 / (1 + math.exp(-z.data))
        return V(s, ((z, s * (1 - s)),))
    raise ValueError(name)


def first_max(nodes):
    """The window's maximum, its gradient to the first maximal entry in window order (as torch)."""
    best = nodes[0]
    for n in nodes[1:]:
        if n.data > best.data:
            best = n
    return V(best.data, ((best, 1),))


def backward(root: V) -> None:
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p, _ in node.parents)
    root.grad = 1
    for node in reversed(order):
        for p, local in node.parents:
            p.grad += local * node.grad


class Params:
    """Every parameter by name, in first-appearance order; a tied name is one node."""

    def __init__(self, values: dict | None = None):
        self.nodes: dict[str, V] = {}
        self.values = values or {}  # a name's current value, overriding the spec's (training)

    def entry(self, value, default: str) -> V:
        name, number = (next(iter(value.items())) if isinstance(value, dict) else (default, value))
        if name not in self.nodes:
            self.nodes[name] = V(self.values.get(name, number))
        return self.nodes[name]

    def array(self, values, prefix: str):
        """Nested lists of entries, named prefix[i,j,…] (1-based) when unnamed."""
        arr = np.empty(_shape(values), dtype=object)
        for idx in product(*(range(n) for n in arr.shape)):
            v = values
            for i in idx:
                v = v[i]
            arr[idx] = self.entry(v, f"{prefix}[{','.join(str(i + 1) for i in idx)}]")
        return arr


def _shape(values):
    return () if not isinstance(values, list) else (len(values), *_shape(values[0]))


def _pair(v, dims):
    return tuple(v) if isinstance(v, list) else (v,) * dims


def _const(node: V) -> V:
    """The node's value as a constant: no gradient flows back through it (a planted mistake)."""
    return V(node.data)


def conv(x, kernels, biases, stride, padding, activation, forget=None):
    """x: channels × positions (1 or 2 axes) of nodes; out[o, p] = b[o] + Σ K[o,c,·]·x_pad[c, p·s + ·].
    `forget`: a flat position whose products the kernel gradients leave out (the mistake)."""
    dims = x.ndim - 1
    s, p = _pair(stride, dims), _pair(padding, dims)
    k = kernels.shape[2:]
    size = x.shape[1:]
    out_size = tuple((size[a] + 2 * p[a] - k[a]) // s[a] + 1 for a in range(dims))
    out = np.empty((kernels.shape[0], *out_size), dtype=object)
    for o in range(kernels.shape[0]):
        for flat, pos in enumerate(product(*(range(n) for n in out_size))):
            total = biases[o]
            for c in range(x.shape[0]):
                for off in product(*(range(n) for n in k)):
                    at = tuple(pos[a] * s[a] + off[a] - p[a] for a in range(dims))
                    if all(0 <= at[a] < size[a] for a in range(dims)):
                        entry = kernels[(o, c, *off)]
                        total = total + (_const(entry) if flat == forget else entry) * x[(c, *at)]
            out[(o, *pos)] = act(activation, total)
    return out


def pool(x, kind: str, size, stride, padding, spread=False):
    dims = x.ndim - 1
    k = _pair(size, dims)
    s = _pair(stride if stride is not None else size, dims)
    p = _pair(padding or 0, dims)
    n = x.shape[1:]
    out_size = tuple((n[a] + 2 * p[a] - k[a]) // s[a] + 1 for a in range(dims))
    out = np.empty((x.shape[0], *out_size), dtype=object)
    for c in range(x.shape[0]):
        for pos in product(*(range(m) for m in out_size)):
            window = []
            for off in product(*(range(m) for m in k)):
                at = tuple(pos[a] * s[a] + off[a] - p[a] for a in range(dims))
                inside = all(0 <= at[a] < n[a] for a in range(dims))
                window.append(x[(c, *at)] if inside else None)
            if kind == "max" and spread:  # the mistake: δ to every entry of the window
                inside = [w for w in window if w is not None]
                out[(c, *pos)] = V(first_max(inside).data, tuple((w, 1) for w in inside))
            elif kind == "max":  # padding is −∞: never the winner
                out[(c, *pos)] = first_max([w for w in window if w is not None])
            else:  # padding counts as 0 in the divisor (count_include_pad=True)
                total = V(0)
                for w in window:
                    if w is not None:
                        total = total + w
                out[(c, *pos)] = total / math.prod(k)
    return out


def rnn(x, wx, wh, b, h0, activation, returns, last_only=False):
    """x: time × features; h_t = act(W_x·x_t + W_h·h_{t−1} + b). `last_only`: the weights' gradients
    from the last time step's products only (the mistake: truncated BPTT)."""
    hidden = wx.shape[0]
    h = list(h0)
    states = []
    for t in range(x.shape[0]):
        if last_only and t < x.shape[0] - 1:
            wx_t, wh_t, b_t = (np.vectorize(_const, otypes=[object])(a) for a in (wx, wh, b))
        else:
            wx_t, wh_t, b_t = wx, wh, b
        z = []
        for i in range(hidden):
            total = b_t[i]
            for j in range(x.shape[1]):
                total = total + wx_t[i, j] * x[t, j]
            for k in range(hidden):
                total = total + wh_t[i, k] * h[k]
            z.append(act(activation, total))
        h = z
        states.append(h)
    return np.array(h if returns == "last" else [v for s in states for v in s], dtype=object)


def batchnorm(batch, gamma, beta, activation, no_mean_terms=False):
    """batch: samples × features; training mode: the batch mean and biased variance. `no_mean_terms`:
    μ and σ² held constant in the backward (the mistake: ∂ℓ/∂x = γ/√(σ²+ε)·δ)."""
    n, f = batch.shape
    out = np.empty_like(batch)
    for k in range(f):
        mu = sum((batch[i, k] for i in range(n)), V(0.0)) / n
        var = sum(((batch[i, k] - mu) ** 2 for i in range(n)), V(0.0)) / n
        std = (var + EPS) ** 0.5
        if no_mean_terms:
            mu, std = _const(mu), _const(std)
        for i in range(n):
            out[i, k] = act(activation, gamma[k] * ((batch[i, k] - mu) / std) + beta[k])
    return out


def dense(x, w, b, activation):
    flat = list(x.ravel())
    return np.array([act(activation, sum((w[i, j] * flat[j] for j in range(len(flat))), b[i]))
                     for i in range(w.shape[0])], dtype=object)


def layer_parameters(params: Params, layer: dict, li: int):
    kind = layer.get("type", "dense")
    n = li + 1
    if kind.startswith("conv"):
        k = params.array(layer["kernels"], f"K{n}")
        return k, params.array(layer["biases"], f"b{n}") if "biases" in layer else np.array(
            [V(0) for _ in range(k.shape[0])], dtype=object)
    if kind == "rnn":
        wx = params.array(layer["weights_input"], f"Wx{n}")
        wh = params.array(layer["weights_hidden"], f"Wh{n}")
        return wx, wh, params.array(layer["biases"], f"b{n}")
    if kind == "batchnorm":
        return params.array(layer["gamma"], f"gamma{n}"), params.array(layer["beta"], f"beta{n}")
    if kind == "dense":
        return params.array(layer["weights"], f"W{n}"), params.array(layer["biases"], f"b{n}")
    return ()


def forward(spec: dict, params: Params, built, mistake=(None, None), taps=None):
    """Every sample through every layer (a batch norm across the batch): the outputs, samples × outputs.
    `mistake`: (its name, the 0-based layer it is planted in); `taps`: each layer's outputs appended."""
    xs = [np.array([V(v) for v in np.ravel(np.array(s, dtype=object))], dtype=object) for s in spec["inputs"]]
    shapes = [np.shape(np.array(spec["inputs"][0], dtype=object))]
    for li, (layer, ps) in enumerate(zip(spec["layers"], built)):
        kind = layer.get("type", "dense")
        planted = mistake[0] if mistake[1] == li else None
        if "input_shape" in layer:
            xs = [x.reshape(layer["input_shape"]) for x in xs]
        elif kind != "dense" and len(shapes[-1]) > 1:
            xs = [x.reshape(shapes[-1]) for x in xs]
        if kind.startswith("conv"):
            xs = [conv(x, ps[0], ps[1], layer.get("stride", 1), layer.get("padding", 0),
                       layer.get("activation", "identity"), mistake[2] if planted == "forgot_position" else None)
                  for x in xs]
        elif kind.startswith(("maxpool", "avgpool")):
            xs = [pool(x, kind[:3], layer.get("kernel_size", layer.get("size")), layer.get("stride"),
                       layer.get("padding"), planted == "spread_max") for x in xs]
        elif kind == "rnn":
            h0 = [V(v) for v in layer.get("initial_state", [0] * ps[0].shape[0])]
            xs = [rnn(x, *ps, h0, layer.get("activation", "tanh"), layer.get("return", "last"),
                      planted == "bptt_last_step") for x in xs]
        elif kind == "batchnorm":
            out = batchnorm(np.array([x.ravel() for x in xs], dtype=object), *ps, layer.get("activation", "identity"),
                            planted == "no_mean_terms")
            xs = list(out)
        elif kind == "dense":
            xs = [dense(x, *ps, layer.get("activation", "identity")) for x in xs]
        elif kind == "flatten":
            xs = [x.ravel() for x in xs]
        shapes.append(xs[0].shape)
        if taps is not None:
            taps.append(xs)
    return [x.ravel() for x in xs]


def mse(outputs, targets) -> V:
    """backcalc's mse, reduction mean: the mean over outputs, then over the batch (torch's)."""
    total = V(0)
    count = 0
    for out, t in zip(outputs, targets):
        for o, y in zip(out, t):
            total = total + (o - y) ** 2
            count += 1
    return total / count


def spec_targets(spec: dict):
    """Rows of targets; a flat `target:` is one sample's row, or one target per sample."""
    t = spec["targets"] if "targets" in spec else spec["target"]
    if isinstance(t, list) and t and isinstance(t[0], list):
        return t
    t = t if isinstance(t, list) else [t]
    return [t] if len(spec["inputs"]) == 1 else [[v] for v in t]


def exact_spec(spec: dict) -> dict:
    """The spec with every number of its data and parameters the Fraction its decimal text means."""
    def fractions(v):
        if isinstance(v, list):
            return [fractions(x) for x in v]
        if isinstance(v, dict):
            return {k: fractions(x) for k, x in v.items()}
        return Fraction(str(v))

    keys = ("weights", "biases", "kernels", "weights_input", "weights_hidden", "gamma", "beta", "initial_state")
    return {**spec, "inputs": fractions(spec["inputs"]), "targets": fractions(spec_targets(spec)),
            "layers": [{k: fractions(v) if k in keys else v for k, v in layer.items()} for layer in spec["layers"]]}


def reference_step(spec: dict, values: dict | None = None, mistake=(None, None), taps=None):
    """(loss, {name: gradient}, [names in first-appearance order], {name: value}) for one full-batch step;
    exact (Fractions) when the spec's numbers are (exact_spec)."""
    params = Params(values)
    built = [layer_parameters(params, layer, li) for li, layer in enumerate(spec["layers"])]
    outputs = forward(spec, params, built, mistake, taps)
    targets = spec_targets(spec)
    loss = mse(outputs, targets)
    backward(loss)
    names = list(params.nodes)
    return loss.data, {k: v.grad for k, v in params.nodes.items()}, names, {k: v.data for k, v in params.nodes.items()}


def optimizer_update(name: str, values: dict, grads: dict, state: dict, lr: float, frozen=()):
    """torch.optim's sgd, momentum (sgd, momentum 0.9), adam and adamw (their defaults), from their docs."""
    new = {}
    for k, p in values.items():
        g = grads[k]
        if k in frozen:
            new[k] = p
            continue
        s = state.setdefault(k, {"t": 0})
        s["t"] += 1
        if name == "sgd":
            new[k] = p - lr * g
        elif name == "momentum":
            s["buf"] = g if s["t"] == 1 else 0.9 * s["buf"] + g
            new[k] = p - lr * s["buf"]
        else:
            b1, b2, eps = 0.9, 0.999, 1e-8
            if name == "adamw":
                p = p * (1 - lr * 0.01)
            s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
            s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
            m_hat, v_hat = s["m"] / (1 - b1 ** s["t"]), s["v"] / (1 - b2 ** s["t"])
            new[k] = p - lr * m_hat / (math.sqrt(v_hat) + eps)
    return new
