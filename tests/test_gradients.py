"""Every gradient path against central finite differences of an independent forward pass.

Random small specs cover every activation, loss, reduction, batch size and tied
names; the spec goes through the real CLI (`step --json`), and the reference
loss below is written separately from backcalc's engine.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import cli

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


@pytest.mark.parametrize("seed", range(80))
def test_gradients_match_finite_differences(seed):
    (x, t, layers, loss, reduction, batch), d = random_step(seed)
    xb, tb = x[:batch], t[:batch]

    def loss_at(values: dict[tuple, float]) -> float:
        return ref_batch_loss(with_values(layers, values), xb, tb, loss, reduction)

    assert d["loss"] == pytest.approx(loss_at({}), rel=1e-12, abs=1e-14)
    slots = param_slots(d)
    h = 1e-6
    for p in d["parameters"]:
        v = p["value"]
        plus = loss_at({s: v + h for s in slots[p["name"]]})
        minus = loss_at({s: v - h for s in slots[p["name"]]})
        numeric = (plus - minus) / (2 * h)
        assert math.isclose(p["grad"], numeric, rel_tol=1e-6, abs_tol=1e-6), (p["name"], p["grad"], numeric)
        assert p["new"] == pytest.approx(v - 0.1 * p["grad"], rel=1e-12, abs=1e-15)
        # every slot of the parameter holds its whole gradient
        for li, kind, i, j in slots[p["name"]]:
            layer = d["layers"][li]
            slot_grad = layer["grad_weights"][i][j] if kind == "w" else layer["grad_biases"][i]
            assert slot_grad == p["grad"]
        # JSON delta is ∂L/∂z of the batch loss: an untied bias's gradient is its column sum
        if len(slots[p["name"]]) == 1 and slots[p["name"]][0][1] == "b":
            li, _, i, _ = slots[p["name"]][0]
            column = sum(row[i] for row in d["layers"][li]["delta"])
            assert column == pytest.approx(p["grad"], rel=1e-9, abs=1e-12)
        # the chain-rule terms add up to the gradient
        assert sum(term["contribution"] for term in p["terms"]) == pytest.approx(p["grad"], rel=1e-9, abs=1e-12)


def test_random_specs_cover_every_loss_output_and_tie():
    """The random specs above really exercise every loss, output activation and tying."""
    combos = set()
    for seed in range(80):
        x, t, layers, loss, reduction, batch = random_spec(seed)
        names = [n for *_, w_names, b_names in layers for n in [*sum(w_names, []), *b_names] if n]
        combos.add((loss, layers[-1][2], reduction, batch < len(x), len(names) > len(set(names))))
    assert {c[0] for c in combos} == set(LOSS_OUT)
    assert {c[1] for c in combos} >= {"identity", "sigmoid", "tanh", "softmax", "relu", "leaky_relu"}
    assert {c[2] for c in combos} == {"mean", "sum"}
    assert True in {c[3] for c in combos}  # a batch smaller than the data
    assert True in {c[4] for c in combos}  # a tied parameter with several terms


@pytest.mark.parametrize("seed", range(0, 80, 4))
def test_random_specs_render_as_tables(seed):
    x, t, layers, loss, reduction, batch = random_spec(seed)
    result = cli("step", "-", input=spec_text(x, t, layers, loss, reduction, batch))
    assert result.exit_code == 0, result.stderr
    assert "Update" in result.stdout
    result = cli("train", "-", "--epochs", "3", input=spec_text(x, t, layers, loss, reduction, batch))
    assert result.exit_code == 0, result.stderr
    assert "Final parameters after 3 epochs" in result.stdout
