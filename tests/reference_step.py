"""Independent references the tests share: a plain-Python step over random specs (central differences
compare against it), saturating one-layer specs, and the sigmoid seed worked by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import cli


def sig(z):
    return 1 / (1 + math.exp(-z))

HIDDEN = ["identity", "linear", "relu", "leaky_relu", "sigmoid", "tanh"]


LOSS_OUT = {
    "squared_error": ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"],
    "half_squared_error": ["identity", "sigmoid", "tanh", "softmax"],
    "mse": ["identity", "leaky_relu", "sigmoid", "tanh", "softmax"],
    "bce": ["sigmoid", "softmax"],
    "cross_entropy": ["softmax", "sigmoid"],
}


def ref_act(name, z, alpha):
    if name in ("identity", "linear"):
        return z
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ref_loss(name, y, t):
    k = y.shape[1]
    if name == "squared_error":
        per = ((y - t) ** 2).sum(1)
    elif name == "half_squared_error":
        per = 0.5 * ((y - t) ** 2).sum(1)
    elif name == "mse":
        per = ((y - t) ** 2).sum(1) / k
    elif name == "bce":
        per = -(t * np.log(y) + (1 - t) * np.log(1 - y)).sum(1) / k
    else:
        per = -(t * np.log(y)).sum(1)
    return per


def ref_batch_loss(layers, x, t, loss, reduction):
    a = x
    for w, b, act, alpha in layers:
        a = ref_act(act, a @ w.T + b, alpha)
    per = ref_loss(loss, a, t)
    return per.mean() if reduction == "mean" else per.sum()


def random_spec(seed: int):
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(1, 4))
    sizes = [int(s) for s in rng.integers(1, 4, size=int(rng.integers(0, 3)))]
    loss = str(rng.choice(list(LOSS_OUT)))
    out_act = str(rng.choice(LOSS_OUT[loss]))
    k = int(rng.integers(2, 4)) if out_act == "softmax" else int(rng.integers(1, 3))
    sizes.append(k)
    n = int(rng.integers(1, 5))
    x = rng.normal(0, 1, (n, n_in)).round(3)
    if loss == "cross_entropy":
        t = rng.dirichlet(np.ones(k), size=n).round(6) if out_act == "softmax" else rng.uniform(0, 1, (n, k)).round(3)
        if out_act == "softmax":
            t[:, -1] = 1 - t[:, :-1].sum(1)
    elif loss == "bce":
        t = rng.uniform(0, 1, (n, k)).round(3)
        if out_act == "softmax":
            t = np.eye(k)[rng.integers(0, k, n)]
    else:
        t = rng.normal(0, 1, (n, k)).round(3)
    layers = []
    prev = n_in
    tie_pool = {}
    for li, size in enumerate(sizes):
        act = out_act if li == len(sizes) - 1 else str(rng.choice(HIDDEN))
        alpha = float(rng.choice([0.01, 0.2]))
        w = rng.normal(0, 1, (size, prev)).round(3)
        b = rng.normal(0, 0.5, size).round(3)
        w_names = [[None] * prev for _ in range(size)]
        b_names = [None] * size
        # tie a few entries (same name, same value), sometimes across weights and biases
        for _ in range(int(rng.integers(0, 3))):
            name = f"p{len(tie_pool)}"
            slots = [("w", int(rng.integers(size)), int(rng.integers(prev))) for _ in range(2)]
            if rng.random() < 0.3:
                slots[1] = ("b", int(rng.integers(size)), 0)
            value = round(float(rng.normal(0, 1)), 3)
            for kind, i, j in slots:
                if kind == "w":
                    w[i, j], w_names[i][j] = value, name
                else:
                    b[i], b_names[i] = value, name
            tie_pool[name] = value
        if tie_pool and rng.random() < 0.4:  # tie across layers too
            name = str(rng.choice(sorted(tie_pool)))
            i, j = int(rng.integers(size)), int(rng.integers(prev))
            w[i, j], w_names[i][j] = tie_pool[name], name
        layers.append((w, b, act, alpha, w_names, b_names))
        prev = size
    reduction = str(rng.choice(["mean", "sum"]))
    batch = int(rng.integers(1, n + 1))
    return x, t, layers, loss, reduction, batch


def entry(v, name):
    return f"{name}: {v!r}" if name else repr(float(v))


def spec_text(x, t, layers, loss, reduction, batch):
    lines = [f"inputs: {json.dumps(x.tolist())}", f"targets: {json.dumps(t.tolist())}", "layers:"]
    for w, b, act, alpha, w_names, b_names in layers:
        lines.append(f"  - activation: {act}")
        if act == "leaky_relu":
            lines.append(f"    alpha: {alpha}")
        lines.append("    weights:")
        for i, row in enumerate(w):
            lines.append("      - [" + ", ".join(entry(float(v), w_names[i][j]) for j, v in enumerate(row)) + "]")
        lines.append("    biases: [" + ", ".join(entry(float(v), b_names[i]) for i, v in enumerate(b)) + "]")
    lines += [f"loss: {loss}", f"reduction: {reduction}", "learning_rate: 0.1", f"batch_size: {batch}"]
    return "\n".join(lines) + "\n"


def near_kink(x, layers):
    """True when a relu/leaky_relu pre-activation is too close to 0 for finite differences."""
    a = x
    for w, b, act, alpha, *_ in layers:
        z = a @ w.T + b
        if act in ("relu", "leaky_relu") and np.min(np.abs(z)) < 1e-3:
            return True
        a = ref_act(act, z, alpha)
    return False


def random_step(seed: int, *options: str):
    """A random spec (skipped at a ReLU kink) and its `step --json` output through the CLI."""
    spec = random_spec(seed)
    x, t, layers, loss, reduction, batch = spec
    if near_kink(x[:batch], layers):
        pytest.skip("a ReLU input sits on its kink")
    result = cli("step", "-", "--json", *options, input=spec_text(*spec))
    assert result.exit_code == 0, result.stderr
    return spec, json.loads(result.stdout)


def param_slots(d: dict) -> dict[str, list[tuple]]:
    """Each named parameter's slots (layer, "w" or "b", row, column) in `step --json` output."""
    slots: dict[str, list[tuple]] = {}
    for li, layer in enumerate(d["layers"]):
        for i, row in enumerate(layer["weight_names"]):
            for j, name in enumerate(row):
                slots.setdefault(name, []).append((li, "w", i, j))
        for i, name in enumerate(layer["bias_names"]):
            slots.setdefault(name, []).append((li, "b", i, 0))
    return slots


def with_values(layers, values: dict[tuple, float]) -> list[tuple]:
    """(w, b, activation, alpha) per layer with the given slots set to the given values."""
    out = []
    for li, (w, b, act, alpha, *_) in enumerate(layers):
        w, b = w.copy(), b.copy()
        for (l, kind, i, j), v in values.items():
            if l == li:
                if kind == "w":
                    w[i, j] = v
                else:
                    b[i] = v
        out.append((w, b, act, alpha))
    return out


# (output, loss, weights of one input 1.0, targets): outputs near 0 or 1 where log y or log(1 − y)
# from a rounded y loses digits (or all of them)
SATURATING = {
    "softmax bce, y₁ = 1 − 2e-7": ("softmax", "bce", [8.0, -7.4249], [0, 1]),
    "softmax bce, 1 − y₁ = 1e-13": ("softmax", "bce", [30.0, 0.0], [0, 1]),
    "softmax bce, 3 outputs, both branches": ("softmax", "bce", [0.1, -0.2, 0.3], [1, 0, 0]),
    "softmax bce, soft targets": ("softmax", "bce", [12.0, -3.0, 0.5], [0.25, 0.5, 0.25]),
    "softmax cross_entropy, y₂ subnormal": ("softmax", "cross_entropy", [0.0, -740.0], [0, 1]),
    "softmax cross_entropy, y₁ = 1 − 1e-13": ("softmax", "cross_entropy", [30.0, 0.0], [0.9, 0.1]),
    "sigmoid bce, z = 30": ("sigmoid", "bce", [30.0], [0]),
    "sigmoid cross_entropy, z = −30": ("sigmoid", "cross_entropy", [-30.0], [1]),
}


def one_layer_spec(act: str, loss: str, weights: list[float], targets: list[float]) -> str:
    return (f"inputs: [[1.0]]\ntargets: [{targets}]\nlayers:\n  - activation: {act}\n"
            f"    weights: {[[w] for w in weights]}\n    biases: {[0.0] * len(weights)}\n"
            f"loss: {loss}\nlearning_rate: 0.1\n")


def sigmoid_seed_by_hand(use_updated_weights=False, with_derivative=True, grad_factor=1.0):
    """The sigmoid seed's one step by hand (x 0.05, 0.10; t 0.01; lr 0.5; ½ squared error)."""
    x1, x2, t, lr = 0.05, 0.10, 0.01, 0.5
    w1, w2, w3, w4, w5, w6, b1, b2 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.35, 0.60
    h1, h2 = sig(w1 * x1 + w2 * x2 + b1), sig(w3 * x1 + w4 * x2 + b1)
    y = sig(w5 * h1 + w6 * h2 + b2)
    d_out = grad_factor * (y - t) * (y * (1 - y) if with_derivative else 1)
    v = {"h1": h1, "h2": h2, "out": y, "delta_out": d_out, "dL/dw5": d_out * h1, "dL/dw6": d_out * h2}
    v["w5_new"], v["w6_new"] = w5 - lr * v["dL/dw5"], w6 - lr * v["dL/dw6"]
    u5, u6 = (v["w5_new"], v["w6_new"]) if use_updated_weights else (w5, w6)
    v["delta_h1"] = d_out * u5 * h1 * (1 - h1)
    v["delta_h2"] = d_out * u6 * h2 * (1 - h2)
    v["dL/dw1"], v["dL/dw2"] = v["delta_h1"] * x1, v["delta_h1"] * x2
    v["dL/dw3"], v["dL/dw4"] = v["delta_h2"] * x1, v["delta_h2"] * x2
    for p, old in (("w1", w1), ("w2", w2), ("w3", w3), ("w4", w4)):
        v[f"{p}_new"] = old - lr * v[f"dL/d{p}"]
    return v
