"""Random gru/lstm specs (with dense layers before and after, `return: last|all`, the gated layer as the
output layer) and the same networks in torch float64 (nn.GRU, nn.LSTM, weights copied in by name)."""

from __future__ import annotations

import json

import numpy as np

GATES = {"lstm": "ifgo", "gru": "rzn"}


def random_gated_spec(seed: int, kind: str | None = None, output: bool | None = None) -> dict:
    rng = np.random.default_rng(seed)
    kind = kind or str(rng.choice(["gru", "lstm"]))
    n, t, f, h = (int(rng.integers(1, k)) for k in (4, 4, 3, 3))
    g = len(GATES[kind])
    draw = lambda *shape: np.round(rng.uniform(-1, 1, shape), 3).tolist()  # noqa: E731
    returns = str(rng.choice(["last", "all"]))
    layers, width_in = [], t * f
    if rng.random() < 0.3:  # a dense layer below, read as time × features
        layers.append({"weights": draw(t * f, 2), "biases": draw(t * f), "activation": "tanh"})
        width_in = 2
    gated = {"type": kind, "input_shape": [t, f], "weights_input": draw(g * h, f), "weights_hidden": draw(g * h, h),
             "return": returns}
    if kind == "lstm":
        gated["biases"] = draw(g * h)
        if rng.random() < 0.5:
            gated["initial_cell"] = draw(h)
    else:
        gated["biases_input"], gated["biases_hidden"] = draw(g * h), draw(g * h)
    if rng.random() < 0.5:
        gated["initial_state"] = draw(h)
    layers.append(gated)
    width = h * (t if returns == "all" else 1)
    output = rng.random() < 0.4 if output is None else output
    if not output:
        if rng.random() < 0.4:
            layers.append({"weights": draw(2, width), "biases": draw(2), "activation": "tanh"})
            width = 2
        width_out = int(rng.integers(1, 3))
        layers.append({"weights": draw(width_out, width), "biases": draw(width_out), "activation": "identity"})
        width = width_out
    return {"name": f"{kind} {seed}", "inputs": draw(n, width_in), "targets": draw(n, width), "loss": "mse",
            "learning_rate": 0.1, "layers": layers}


def spec_path(tmp_path, spec: dict):
    path = tmp_path / "spec.yaml"
    path.write_text(json.dumps(spec))  # YAML reads JSON
    return path


def torch_step(spec: dict, theta: dict):
    """Loss and every parameter's gradient of `spec` in torch float64, from the parameters by name."""
    import torch

    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in theta.items()}
    a = torch.tensor(spec["inputs"], dtype=torch.float64)
    for li, layer in enumerate(spec["layers"]):
        a = _gated(torch, layer, li + 1, leaves, a) if layer.get("type") in GATES else _dense(torch, layer, li + 1,
                                                                                             leaves, a)
    loss = torch.nn.functional.mse_loss(a, torch.tensor(spec["targets"], dtype=torch.float64))
    loss.backward()
    return loss.item(), {k: v.grad.item() for k, v in leaves.items()}


def _dense(torch, layer, L: int, leaves, a):
    rows, cols = len(layer["weights"]), len(layer["weights"][0])
    w = torch.stack([torch.stack([leaves[f"W{L}[{i + 1},{j + 1}]"] for j in range(cols)]) for i in range(rows)])
    b = torch.stack([leaves[f"b{L}[{i + 1}]"] for i in range(rows)])
    z = torch.nn.functional.linear(a, w, b)
    return torch.tanh(z) if layer["activation"] == "tanh" else z


def _gated(torch, layer, L: int, leaves, a):
    kind, (steps, f) = layer["type"], layer["input_shape"]
    gates = GATES[kind]
    h = layer["hidden_size"] if "hidden_size" in layer else len(layer["weights_hidden"][0])
    rows = [(g, k) for g in gates for k in range(h)]
    grid = lambda side, cols: torch.stack([torch.stack([leaves[f"W{side}{g}{L}[{k + 1},{j + 1}]"]  # noqa: E731
                                                        for j in range(cols)]) for g, k in rows])
    row = lambda prefix: torch.stack([leaves[f"{prefix}{g}{L}[{k + 1}]"] for g, k in rows])  # noqa: E731
    params = {"weight_ih_l0": grid("x", f), "weight_hh_l0": grid("h", h)}
    if kind == "lstm":  # backcalc's one bias is torch's two added up
        params.update(bias_ih_l0=row("b"), bias_hh_l0=torch.zeros(len(rows), dtype=torch.float64))
    else:
        params.update(bias_ih_l0=row("bx"), bias_hh_l0=row("bh"))
    module = getattr(torch.nn, kind.upper())(f, h, batch_first=True, dtype=torch.float64)
    n = a.shape[0]
    h0 = torch.tensor(layer.get("initial_state", [0.0] * h), dtype=torch.float64).reshape(1, 1, h).expand(1, n, h)
    state = h0
    if kind == "lstm":
        c0 = torch.tensor(layer.get("initial_cell", [0.0] * h), dtype=torch.float64).reshape(1, 1, h)
        state = (h0, c0.expand(1, n, h))
    out, _ = torch.func.functional_call(module, params, (a.reshape(n, steps, f), state))
    return out.reshape(n, -1) if layer["return"] == "all" else out[:, -1]
