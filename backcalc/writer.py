"""Write a spec back as YAML (the same format, the user's names) with new parameter values."""

from __future__ import annotations

import functools
import re
from fractions import Fraction

import numpy as np
import yaml

from .activations import get_activation
from .exact import ExactFloat, exact_text, to_fraction
from .optimizers import OptimizerSpec
from .spec_model import Spec, default_bias_name, default_weight_name

_RESOLVER = yaml.resolver.Resolver()


def _num(x) -> str:
    """The shortest text that reads back (as a YAML 1.1 float) to exactly `x`; an exact value
    (a Fraction, an ExactFloat) as its exact text: the decimal in full where it terminates, else
    a quoted `"p/q"`, which the loader reads back exactly."""
    if isinstance(x, (Fraction, ExactFloat)):
        text = exact_text(to_fraction(x))
        return f'"{text}"' if "/" in text else text
    x = float(x)
    text = repr(x)
    if text.endswith(".0") and abs(x) < 1e15 and text != "-0.0":
        return text[:-2]
    if "e" in text and "." not in text:  # PyYAML reads 1e-06 as a string, 1.0e-06 as a float
        mantissa, exponent = text.split("e")
        return f"{mantissa}.0e{exponent}"
    return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(text, text)


def _entry(name: str, default: str, value) -> str:
    return _num(value) if name == default else f"{_name(name)}: {_num(value)}"


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@functools.lru_cache(maxsize=4096)
def _name(name: str) -> str:
    """A parameter name as a key inside a flow list: plain when it reads back as the same text
    (`w1`), else quoted (`"a: b"`, `"w[1]"`, `"yes"`, `"1.5"`)."""
    if _PLAIN.fullmatch(name) and _RESOLVER.resolve(yaml.ScalarNode, name, (True, False)) == "tag:yaml.org,2002:str":
        return name
    return _text(name)


def _matrix(rows: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(_num(v) for v in row) + "]" for row in rows) + "]"


def _text(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def spec_to_yaml(spec: Spec, weights: list[np.ndarray] | None = None, biases: list[np.ndarray] | None = None,
                 header: list[str] | None = None, extra: dict[str, str] | None = None) -> str:
    """The spec as YAML text, with `weights`/`biases` (per layer) replacing its values when given.

    Unnamed entries stay unnamed, so the text loads back to the same default
    names; `header` lines become leading comments; `extra` maps top-level keys
    to ready-made YAML values (for keys other modules own).
    """
    if weights is None:
        weights = [spec.exact.get(f"layers[{li}].weights", layer.weights) for li, layer in enumerate(spec.layers)]
    if biases is None:
        biases = [spec.exact.get(f"layers[{li}].biases", layer.biases) for li, layer in enumerate(spec.layers)]
    out = [f"# {line}" for line in header or []]
    if spec.name:
        out.append(f"name: {_text(spec.name)}")
    if spec.description:
        out.append(f"description: {_text(spec.description)}")
    out.append(f"inputs: {_matrix(spec.exact.get('inputs', spec.inputs))}")
    out.append(f"targets: {_matrix(spec.exact.get('targets', spec.targets))}")
    out.append("layers:")
    for li, (layer, w, b) in enumerate(zip(spec.layers, weights, biases)):
        if layer.kind != "dense":
            out += kind_layer_yaml(li, layer, np.asarray(w), np.asarray(b))
            continue
        out.append(f"  - activation: {layer.activation}")
        if get_activation(layer.activation).takes_alpha:
            out.append(f"    alpha: {_num(layer.alpha)}")
        if layer.explicit_names:
            out.append("    names: [" + ", ".join(_text(n) for n in layer.neuron_names) + "]")
        out.append("    weights:")
        for i, row in enumerate(w):
            entries = [_entry(layer.weight_names[i][j], default_weight_name(li, i, j), v) for j, v in enumerate(row)]
            out.append("      - [" + ", ".join(entries) + "]")
        entries = [_entry(layer.bias_names[i], default_bias_name(li, i), v) for i, v in enumerate(b)]
        out.append("    biases: [" + ", ".join(entries) + "]")
    out.append(f"loss: {spec.loss}")
    out.append(f"reduction: {spec.reduction}")
    out.append(f"learning_rate: {_num(spec.learning_rate)}")
    out.append(f"batch_size: {spec.batch_size if spec.batch_size else 'full'}")
    if spec.frozen:
        out.append("frozen: [" + ", ".join(_text(n) for n in spec.frozen) + "]")
    if spec.epochs:
        out.append(f"epochs: {spec.epochs}")
    if spec.optimizer != OptimizerSpec():
        out.append(f"optimizer: {optimizer_yaml(spec.optimizer)}")
    for key, value in (extra or {}).items():
        out.append(f"{key}:{'' if value.startswith(chr(10)) else ' '}{value}")
    return "\n".join(out) + "\n"


def kind_layer_yaml(li: int, layer, w: np.ndarray, b: np.ndarray) -> list[str]:
    """A conv, pool, flatten or batchnorm layer's lines, as spec_kinds reads them back."""
    from .spec_kinds import default_kind_names

    o, out = layer.options, [f"  - type: {layer.kind}"]
    keys = ("input_shape", "stride", "padding") if layer.kind.startswith("conv") else (
        "input_shape", "kernel_size", "stride", "padding")
    if "in_shape" in o:  # the model's names of the spec's keys
        for key in keys:
            values = o[{"input_shape": "in_shape", "kernel_size": "kernel"}.get(key, key)]
            # a 1d window's one number bare: the schema takes a number or a pair
            out.append(f"    {key}: {values[0]}" if len(values) == 1 else f"    {key}: [{', '.join(map(str, values))}]")
    if o.get("per_written"):  # a batch norm after channels: per channel or per unit, said either way
        out.append(f"    per: {o['per']}")
    if layer.kind.startswith("conv") or layer.kind in ("batchnorm", "rnn"):
        out.append(f"    activation: {layer.activation}")
        if get_activation(layer.activation).takes_alpha:
            out.append(f"    alpha: {_num(layer.alpha)}")
    if layer.explicit_names:
        out.append("    names: [" + ", ".join(_text(n) for n in layer.neuron_names) + "]")
    if not w.size:
        return out
    w_defaults, b_defaults = default_kind_names(layer, li)
    names = [n for n in np.ravel(np.array(layer.weight_names, dtype=object))]
    flat = [_entry(n, d, v) for n, d, v in zip(names, w_defaults, np.ravel(w))]
    row = [_entry(n, d, v) for n, d, v in zip(layer.bias_names, b_defaults, b)]
    if layer.kind == "batchnorm":
        return out + [f"    gamma: [{', '.join(flat)}]", f"    beta: [{', '.join(row)}]"]
    if layer.kind == "rnn":
        return out + rnn_yaml(layer, np.array(flat, dtype=object).reshape(w.shape), row)
    if layer.kind in ("gru", "lstm"):
        return out + gated_yaml(layer, np.array(flat, dtype=object).reshape(w.shape), row)
    return out + [f"    kernels: {_nested(np.array(flat, dtype=object).reshape(w.shape))}",
                  f"    biases: [{', '.join(row)}]"]


def rnn_yaml(layer, entries: np.ndarray, row: list[str]) -> list[str]:
    """A recurrent layer's own lines: its shape, h₀, what it returns, W_x and W_h apart again."""
    o, f = layer.options, layer.options["features"]
    return [f"    input_shape: [{o['time']}, {f}]", f"    return: {o['return']}",
            f"    initial_state: [{', '.join(_num(v) for v in o['initial_state'])}]",
            f"    weights_input: {_nested(entries[:, :f])}", f"    weights_hidden: {_nested(entries[:, f:])}",
            f"    biases: [{', '.join(row)}]"]


def gated_yaml(layer, entries: np.ndarray, row: list[str]) -> list[str]:
    """A gru's or lstm's own lines: as an rnn's, with c₀ (lstm) and a gru's two bias rows apart again."""
    o, f, n_h = layer.options, layer.options["features"], layer.options["hidden"]
    out = rnn_yaml(layer, entries[:, :f + n_h], row)
    if layer.kind == "lstm":
        return out[:3] + [f"    initial_cell: [{', '.join(_num(v) for v in o['initial_cell'])}]"] + out[3:]
    return out[:-1] + [f"    biases_input: [{', '.join(row)}]", f"    biases_hidden: {_nested(entries[:, f + n_h])}"]


def _nested(entries: np.ndarray) -> str:
    if entries.ndim == 1:
        return "[" + ", ".join(entries) + "]"
    return "[" + ", ".join(_nested(e) for e in entries) + "]"


def optimizer_yaml(config: OptimizerSpec) -> str:
    """The optimizer settings as a one-line YAML mapping (every setting that applies, written out)."""
    items = [f"name: {config.name}"]
    for key, value in config.hyperparameters().items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = "[" + ", ".join(_num(v) for v in value) + "]"
        else:
            text = _num(value)
        items.append(f"{key}: {text}")
    return "{" + ", ".join(items) + "}"


def optimizer_state_yaml(state: dict[str, dict]) -> str | None:
    """An `optimizer_state:` value (for `spec_to_yaml(extra=...)`): one line per parameter, every
    number written so that it reads back to the same value; None when no parameter has state."""
    if not state:
        return None
    lines = []
    for name, values in state.items():
        items = ", ".join(f"{k}: {v if k == 'step' else _num(v)}" for k, v in values.items())
        lines.append(f"  {_text(name)}: {{{items}}}")
    return "\n" + "\n".join(lines)
