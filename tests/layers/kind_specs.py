"""Random specs mixing the layer kinds (conv, pool, flatten, batchnorm) with dense layers, for the
tests that hold backcalc to PyTorch and to central differences."""

from __future__ import annotations

import json

import numpy as np

ACTIVATIONS = ["identity", "relu", "tanh", "sigmoid", "leaky_relu"]


def _entries(rng, shape):
    return np.round(rng.uniform(-1, 1, shape), 3).tolist()


def _conv(rng, dims: int, channels: int, size: int) -> dict:
    k = int(rng.integers(1, min(3, size) + 1))
    out = int(rng.integers(1, 3))
    layer = {"type": f"conv{dims}d", "kernels": _entries(rng, (out, channels, *([k] * dims))),
             "biases": _entries(rng, out), "activation": str(rng.choice(ACTIVATIONS))}
    if rng.random() < 0.5:
        layer["stride"] = int(rng.integers(1, 3))
    if rng.random() < 0.4:
        layer["padding"] = 1
    return layer


def _pool(rng, dims: int) -> dict:
    k = int(rng.integers(1, 3))
    layer = {"type": f"{rng.choice(['max', 'avg'])}pool{dims}d", "kernel_size": k}
    if rng.random() < 0.5:
        layer["stride"] = 1
    return layer


def _first_conv(rng, dims: int, largest: int):
    """A conv over the inputs read as channels × size^dims (size 3 to `largest`): the layer, the number
    of inputs, and the output's size along each axis."""
    channels, size = int(rng.integers(1, 3)), int(rng.integers(3, largest + 1))
    conv = _conv(rng, dims, channels, size)
    conv["input_shape"] = [channels, *([size] * dims)]
    k = len(conv["kernels"][0][0])
    return conv, channels * size ** dims, (size + 2 * conv.get("padding", 0) - k) // conv.get("stride", 1) + 1


def random_kind_spec(seed: int) -> dict:
    """A spec of one of four shapes: conv (+ pool) + flatten + dense, 1d or 2d; dense + batchnorm +
    dense; batchnorm on the inputs + dense."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    shape = int(rng.integers(0, 4))
    layers: list[dict] = []
    if shape <= 1:
        dims = shape + 1
        conv, n_in, left = _first_conv(rng, dims, 5)
        layers.append(conv)
        pool = _pool(rng, dims)
        if rng.random() < 0.7 and pool["kernel_size"] <= left:
            layers.append(pool)
        layers.append({"type": "flatten"})
    else:
        n_in = int(rng.integers(2, 4))
        if shape == 2:
            hidden = int(rng.integers(2, 4))
            layers.append({"weights": _entries(rng, (hidden, n_in)), "biases": _entries(rng, hidden),
                           "activation": "identity"})
        layers.append({"type": "batchnorm", "activation": str(rng.choice(ACTIVATIONS))})
        if rng.random() < 0.7:
            features = hidden if shape == 2 else n_in
            layers[-1]["gamma"] = _entries(rng, features)
            layers[-1]["beta"] = _entries(rng, features)
    outputs = int(rng.integers(1, 3))
    layers.append({"size": outputs, "activation": str(rng.choice(["identity", "sigmoid"]))})
    return {"inputs": _entries(rng, (n, n_in)), "targets": _entries(rng, (n, outputs)), "loss": "mse",
            "learning_rate": 0.1, "init": {"seed": seed}, "layers": layers}


def spec_text(spec: dict) -> str:
    return json.dumps(spec)  # YAML reads JSON


def random_norm_spec(seed: int) -> dict:
    """A batch norm after a conv1d, a conv2d, a pool (per channel: BatchNorm1d on N×C×L, BatchNorm2d),
    a conv read `per: unit`, or a dense layer (per unit); then flatten (where shaped) and a dense output.
    Batches of 3 to 5: over 2 values x̂ is ±1 whatever x is, and the gradient through it all but vanishes."""
    rng = np.random.default_rng(seed)
    n, where = int(rng.integers(3, 6)), ["conv1d", "conv2d", "pool", "per_unit", "dense"][seed % 5]
    layers: list[dict] = []
    if where == "dense":
        n_in, hidden = int(rng.integers(2, 4)), int(rng.integers(2, 4))
        layers.append({"weights": _entries(rng, (hidden, n_in)), "biases": _entries(rng, hidden),
                       "activation": str(rng.choice(ACTIVATIONS))})
        stats = hidden
    else:
        dims = 1 if where == "conv1d" or (where == "pool" and rng.random() < 0.5) else 2
        conv, n_in, left = _first_conv(rng, dims, 4)
        layers.append(conv)
        if where == "pool" and left >= 2:
            layers.append({"type": f"{rng.choice(['max', 'avg'])}pool{dims}d", "kernel_size": 2, "stride": 1})
            left -= 1
        stats = len(conv["kernels"]) * (left ** dims if where == "per_unit" else 1)
    norm = {"type": "batchnorm", "activation": str(rng.choice(ACTIVATIONS))}
    if where == "per_unit":
        norm["per"] = "unit"
    if rng.random() < 0.7:
        norm["gamma"], norm["beta"] = _entries(rng, stats), _entries(rng, stats)
    layers.append(norm)
    if where != "dense":
        layers.append({"type": "flatten"})
    outputs = int(rng.integers(1, 3))
    layers.append({"size": outputs, "activation": str(rng.choice(["identity", "sigmoid"]))})
    return {"inputs": _entries(rng, (n, n_in)), "targets": _entries(rng, (n, outputs)), "loss": "mse",
            "learning_rate": 0.1, "init": {"seed": seed}, "layers": layers}
