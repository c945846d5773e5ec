"""Random spec texts for the fast-path tests: every activation, loss, reduction, batch size, ties and frozen names."""

from __future__ import annotations

import json

import numpy as np

HIDDEN = ["identity", "relu", "leaky_relu", "sigmoid", "tanh"]
LOSSES = ["squared_error", "half_squared_error", "mse", "bce", "cross_entropy"]


def random_spec(seed: int, max_width: int = 3, max_samples: int = 5, tied: bool | None = None,
                frozen: bool | None = None) -> str:
    """A valid spec's YAML text drawn from `seed`."""
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(1, max_width + 1))
    n_layers = int(rng.integers(1, 4))
    sizes = [n_in] + [int(rng.integers(1, max_width + 1)) for _ in range(n_layers)]
    loss = str(rng.choice(LOSSES))
    if loss == "bce":
        out_act = str(rng.choice(["sigmoid", "softmax"]))
    elif loss == "cross_entropy":
        out_act = str(rng.choice(["softmax", "sigmoid"]))
    else:
        out_act = str(rng.choice(HIDDEN + ["softmax"]))
    if out_act == "softmax":
        sizes[-1] = max(sizes[-1], 2)  # a one-neuron softmax is refused (it is the constant 1)
    acts = [str(rng.choice(HIDDEN)) for _ in range(n_layers - 1)] + [out_act]
    n = int(rng.integers(1, max_samples + 1))
    x = rng.normal(0, 1, (n, n_in))
    k = sizes[-1]
    if loss == "cross_entropy" and out_act == "softmax":
        t = rng.dirichlet(np.ones(k), n)
        if k > 1 and rng.random() < 0.5:  # some zero targets (one-hot rows)
            t = np.eye(k)[rng.integers(0, k, n)]
    elif loss == "bce" and out_act == "softmax":
        t = np.eye(k)[rng.integers(0, k, n)]  # one-hot, some rows soft
        t[rng.random(n) < 0.3] = 1.0 / k
    elif loss in ("bce", "cross_entropy"):
        t = rng.uniform(0, 1, (n, k))
        t[rng.random((n, k)) < 0.2] = 0.0
    else:
        t = rng.normal(0, 1, (n, k))
    tied = bool(rng.random() < 0.4) if tied is None else tied
    frozen = bool(rng.random() < 0.3) if frozen is None else frozen
    names: list[str] = []
    layers = []
    for li in range(n_layers):
        w = rng.normal(0, 0.8, (sizes[li + 1], sizes[li]))
        b = rng.normal(0, 0.3, sizes[li + 1])
        w_rows, b_row = [], []
        for i in range(sizes[li + 1]):
            row = []
            for j in range(sizes[li]):
                if tied and rng.random() < 0.3:
                    name = f"v{int(rng.integers(0, 3))}"
                    row.append({name: _tie_value(name)})
                    names.append(name)
                else:
                    row.append(float(w[i, j]))
            w_rows.append(row)
            if tied and rng.random() < 0.3:
                name = f"c{int(rng.integers(0, 2))}"
                b_row.append({name: _tie_value(name)})
                names.append(name)
            else:
                b_row.append(float(b[i]))
        layer = {"activation": acts[li], "weights": w_rows, "biases": b_row}
        if acts[li] == "leaky_relu":
            layer["alpha"] = float(rng.uniform(0.01, 0.3))
        layers.append(layer)
    spec = {
        "inputs": x.tolist(), "targets": t.tolist(), "layers": layers, "loss": loss,
        "reduction": str(rng.choice(["mean", "sum"])),
        "learning_rate": float(rng.uniform(0.01, 0.2)),
        "batch_size": int(rng.integers(1, n + 1)) if rng.random() < 0.6 else "full",
    }
    if frozen:
        default = ["W1[1,1]"] if not isinstance(layers[0]["weights"][0][0], dict) else []
        spec["frozen"] = sorted(set(default + names[:1]))
        if not spec["frozen"]:
            del spec["frozen"]
    return json.dumps(spec)  # JSON is YAML


def _tie_value(name: str) -> float:
    return {"v0": 0.3, "v1": -0.45, "v2": 0.7, "c0": 0.1, "c1": -0.2}[name]
