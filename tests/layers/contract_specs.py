"""Random specs for the contract audit: odd shapes on purpose (strides 2 and 3, padding [1, 0],
non-square kernels, several channels in and out, pools with stride ≠ size and overlapping windows,
max-pool ties, rnn with `return: all`, batch norm over batches of 1–4), tied names across kernel
entries, and every kind mixed with dense layers. Every parameter is given in the spec, so the
reference (contract_reference.py) names and values them without asking backcalc.
"""

from __future__ import annotations

import json
from math import prod

import numpy as np

ACTIVATIONS = ["identity", "relu", "tanh", "sigmoid", "leaky_relu"]
KINDS = ["conv2d", "conv1d", "pool2d", "pool1d", "rnn", "batchnorm", "mix"]


def _draw(rng, shape, ties=False):
    if ties:  # few distinct values: max-pool windows with equal entries
        return rng.choice([0.0, 0.5, 1.0], size=shape).tolist()
    return np.round(rng.uniform(-1, 1, shape), 3).tolist()


def _pair(rng, low, high, square_bias=0.5):
    a = int(rng.integers(low, high + 1))
    if rng.random() < square_bias:
        return a
    return [a, int(rng.integers(low, high + 1))]


def _tie_names(rng, kernels, li):
    """Tie two or three kernel entries under one name (same value): one parameter, its gradient the sum."""
    flat = np.array(kernels, dtype=object)
    idx = list(np.ndindex(flat.shape))
    if len(idx) < 2 or rng.random() < 0.5:
        return kernels
    chosen = [idx[i] for i in rng.choice(len(idx), size=min(3, len(idx)), replace=False)]
    value = flat[chosen[0]]
    for c in chosen:
        flat[c] = {f"tied{li}": value}
    return flat.tolist()


def _window_fits(size, k, s, p):
    return all((n + 2 * q - kk) // ss + 1 >= 1 and n + 2 * q >= kk for n, kk, ss, q in zip(size, k, s, p))


def _out(size, k, s, p):
    return tuple((n + 2 * q - kk) // ss + 1 for n, kk, ss, q in zip(size, k, s, p))


def _as(v, dims):
    return tuple(v) if isinstance(v, list) else (v,) * dims


def conv_layer(rng, li, dims, in_shape):
    channels, size = in_shape[0], in_shape[1:]
    for _ in range(50):
        k = _as(_pair(rng, 1, 3) if dims == 2 else int(rng.integers(1, 4)), dims)
        s = _pair(rng, 1, 3) if dims == 2 else int(rng.integers(1, 4))
        p = [0, 1, [1, 0], [0, 1]][int(rng.integers(0, 4))] if dims == 2 else int(rng.integers(0, 2))
        if _window_fits(size, k, _as(s, dims), _as(p, dims)):
            break
    else:
        k, s, p = (1,) * dims, 1, 0
    out_ch = int(rng.integers(1, 4))
    kernels = _tie_names(rng, _draw(rng, (out_ch, channels, *k)), li + 1)
    layer = {"type": f"conv{dims}d", "kernels": kernels, "biases": _draw(rng, out_ch),
             "activation": str(rng.choice(ACTIVATIONS))}
    if s != 1:
        layer["stride"] = s
    if p != 0:
        layer["padding"] = p
    return layer, (out_ch, *_out(size, k, _as(s, dims), _as(p, dims)))


def pool_layer(rng, dims, in_shape):
    size = in_shape[1:]
    kind = str(rng.choice(["max", "avg"]))
    for _ in range(50):
        k = _pair(rng, 1, 3) if dims == 2 else int(rng.integers(1, 4))
        s = _pair(rng, 1, 3) if dims == 2 else int(rng.integers(1, 4))
        kk = _as(k, dims)
        p = 0 if rng.random() < 0.6 else [min(1, x // 2) for x in kk]
        if _window_fits(size, kk, _as(s, dims), _as(p, dims)):
            break
    else:
        k, s, p = 1, 1, 0
    layer = {"type": f"{kind}pool{dims}d", "kernel_size": k, "stride": s}
    if p != 0 and any(_as(p, dims)):
        layer["padding"] = p
    return layer, (in_shape[0], *_out(size, _as(k, dims), _as(s, dims), _as(p, dims)))


def _dense(rng, n_out, n_in, activation):
    return {"weights": _draw(rng, (n_out, n_in)), "biases": _draw(rng, n_out), "activation": activation}


def _head(rng, width, layers):
    if rng.random() < 0.4:
        hidden = int(rng.integers(2, 4))
        layers.append(_dense(rng, hidden, width, str(rng.choice(ACTIVATIONS))))
        width = hidden
    outputs = int(rng.integers(1, 3))
    layers.append(_dense(rng, outputs, width, str(rng.choice(["identity", "sigmoid"]))))
    return outputs


def random_contract_spec(seed: int, kind: str) -> dict:
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    n = int(rng.integers(1, 5))
    layers: list[dict] = []
    if kind in ("conv2d", "conv1d", "pool2d", "pool1d", "mix"):
        dims = 1 if kind.endswith("1d") else 2
        channels = int(rng.integers(1, 4))
        size = tuple(int(rng.integers(3, 7)) for _ in range(dims))
        shape = (channels, *size)
        n_in = prod(shape)
        ties = kind.startswith("pool")
        inputs = _draw(rng, (n, n_in), ties=ties)
        if kind.startswith("pool"):
            layer, shape = pool_layer(rng, dims, shape)
            layer["input_shape"] = [channels, *size]
            layers.append(layer)
            if rng.random() < 0.5:
                conv, shape = conv_layer(rng, len(layers), dims, shape)
                layers.append(conv)
        else:
            conv, shape = conv_layer(rng, 0, dims, shape)
            conv["input_shape"] = [channels, *size]
            layers.append(conv)
            if rng.random() < 0.7:
                pool, shape = pool_layer(rng, dims, shape)
                layers.append(pool)
            if rng.random() < 0.3:
                conv, shape = conv_layer(rng, len(layers), dims, shape)
                layers.append(conv)
        layers.append({"type": "flatten"})
        width = prod(shape)
        if kind == "mix":
            layers.append({"type": "batchnorm", "gamma": _draw(rng, width), "beta": _draw(rng, width),
                           "activation": str(rng.choice(ACTIVATIONS))})
            n = max(n, 2)
            inputs = _draw(rng, (n, n_in))
    elif kind == "rnn":
        t, f, h = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(2, 4))
        returns = str(rng.choice(["last", "all"]))
        layer = {"type": "rnn", "input_shape": [t, f], "weights_input": _draw(rng, (h, f)),
                 "weights_hidden": _draw(rng, (h, h)), "biases": _draw(rng, h),
                 "activation": str(rng.choice(["identity", "relu", "tanh", "sigmoid"])), "return": returns}
        if rng.random() < 0.5:
            layer["initial_state"] = _draw(rng, h)
        layers.append(layer)
        inputs = _draw(rng, (n, t * f))
        width = h * (t if returns == "all" else 1)
    else:  # batchnorm: a batch of 2 at least (over one sample each statistic has one value: refused, as torch does)
        n_in = int(rng.integers(2, 4))
        n = max(n, 2)
        inputs = _draw(rng, (n, n_in))
        width = n_in
        if rng.random() < 0.6:
            width = int(rng.integers(2, 4))
            layers.append(_dense(rng, width, n_in, "identity"))
        layers.append({"type": "batchnorm", "gamma": _draw(rng, width), "beta": _draw(rng, width),
                       "activation": str(rng.choice(ACTIVATIONS))})
    outputs = _head(rng, width, layers)
    return {"name": f"{kind} {seed}", "inputs": inputs, "targets": _draw(rng, (n, outputs)), "loss": "mse",
            "learning_rate": 0.1, "layers": layers}


def spec_text(spec: dict) -> str:
    return json.dumps(spec)  # YAML reads JSON
