"""Names in a spec: neurons' names (`names:`, or the defaults), the names written on weights and
biases (tied entries must agree), every name distinct, and the unnamed entries' default names.
"""

from __future__ import annotations

import re

import numpy as np
import yaml

from .exact import to_fraction
from .layers import kind_named
from .reader import Reader, describe, shown
from .spec_kinds import fill_default_names
from .spec_model import Spec, default_bias_name, default_neuron_names, default_weight_name, flat_names


def check_names(r: Reader, spec: Spec, layer_maps) -> None:
    """Give unnamed entries their default names, then tie equal names and check values."""
    # Named entries only: (name, value, path, node, kind). Unnamed ones get their default names at
    # the end; they are most of a large `size:` network, so nothing per unnamed entry is built here.
    slots = []
    for li, ((layer_node, m), layer) in enumerate(zip(layer_maps, spec.layers)):
        slots += _named_entries(spec, li, layer_node, m, layer)
        layer.neuron_names = _neuron_names(r, li, m, layer, len(spec.layers))
    seen_neurons = _unique_neuron_names(r, spec, layer_maps)
    _check_named_entries(r, spec, slots, seen_neurons)
    for li, layer in enumerate(spec.layers):
        if layer.kind != "dense":
            fill_default_names(layer, li)
            continue
        for i, row in enumerate(layer.weight_names):
            if None in row:
                layer.weight_names[i] = [default_weight_name(li, i, j) if n is None else n
                                         for j, n in enumerate(row)]
        if None in layer.bias_names:
            layer.bias_names = [default_bias_name(li, i) if n is None else n for i, n in enumerate(layer.bias_names)]


def _named_entries(spec: Spec, li: int, layer_node, m: dict, layer) -> list:
    """Layer `li`'s named weights and biases as (name, value, path, node, kind)."""
    slots = []
    if layer.kind != "dense":
        return _named_kind_entries(spec, li, layer_node, layer)
    named_w = [(i, j) for i, row in enumerate(layer.weight_names) for j, n in enumerate(row) if n is not None]
    named_b = [i for i, n in enumerate(layer.bias_names) if n is not None]
    # tied values compare exactly where the text held more than floats (`1/3` and 0.3333333333333333 differ)
    weights = spec.exact.get(f"layers[{li}].weights", layer.weights)
    biases = spec.exact.get(f"layers[{li}].biases", layer.biases)
    if named_w:
        w_nodes = _entry_nodes(m.get("weights", (None, None))[1], layer.weights.shape)
        for i, j in named_w:
            slots.append((layer.weight_names[i][j], weights[i, j], f"layers[{li}].weights[{i}][{j}]",
                          w_nodes[i][j] or layer_node, "w"))
    if named_b:
        b_nodes = _entry_nodes(m.get("biases", (None, None))[1], (1, layer.size))
        for i in named_b:
            slots.append((layer.bias_names[i], biases[i], f"layers[{li}].biases[{i}]",
                          b_nodes[0][i] or layer_node, "b"))
    return slots


def _named_kind_entries(spec: Spec, li: int, layer_node, layer) -> list:
    """A typed layer's named kernel, gamma, bias and beta entries (flat index in the path)."""
    w_key, b_key = layer.options["keys"]
    weights = np.ravel(spec.exact.get(f"layers[{li}].weights", layer.weights))
    biases = spec.exact.get(f"layers[{li}].biases", layer.biases)
    own = getattr(kind_named(layer.kind), "slot_path", None)  # a recurrent kind's own keys (weights_hidden[1][0])
    cols = layer.weights.shape[-1] if layer.weights.ndim == 2 else 1
    w_path = (lambda k: f"{w_key}[{k}]") if own is None else (lambda k: own(layer.options, k // cols, k % cols))
    b_path = (lambda i: f"{b_key}[{i}]") if own is None else (lambda i: own(layer.options, i, None))
    slots = [(n, weights[k], f"layers[{li}].{w_path(k)}", layer_node, "w")
             for k, n in enumerate(flat_names(layer.weight_names)) if n is not None]
    return slots + [(n, biases[i], f"layers[{li}].{b_path(i)}", layer_node, "b")
                    for i, n in enumerate(layer.bias_names) if n is not None]


def _neuron_names(r: Reader, li: int, m: dict, layer, n_layers: int) -> list[str]:
    """Layer `li`'s neuron names: its `names:` when they are all good, else the defaults."""
    if "names" not in m:
        if layer.kind != "dense":
            return layer.options["unit_names"]
        return default_neuron_names(n_layers, li, layer.size)
    names_node = m["names"][1]
    items = r.sequence(names_node, f"layers[{li}].names")
    names = [r.string(x, f"layers[{li}].names[{k}]") for k, x in enumerate(items or [])]
    if items is not None and len(names) != layer.size:
        r.error(names_node, f"layers[{li}].names", f"expected {layer.size} names (one per "
                f"neuron), got {len(names)}")
    for k, (n, x) in enumerate(zip(names, items or [])):
        if n is not None and not n.strip():
            r.error(x, f"layers[{li}].names[{k}]", f"expected a neuron name, got {describe(x)}")
            names[k] = None
    if items is None or len(names) != layer.size or any(n is None for n in names):
        return default_neuron_names(n_layers, li, layer.size)
    layer.explicit_names = True
    return names


def _unique_neuron_names(r: Reader, spec: Spec, layer_maps) -> dict[str, str]:
    """Every input's and neuron's name → who has it ("an input", "layers[1]"), repeats reported."""
    seen_neurons: dict[str, str] = {n: "an input" for n in spec.input_names}
    for li, (layer_node, m) in enumerate(layer_maps):
        for k, n in enumerate(spec.layers[li].neuron_names):
            if n in seen_neurons:
                node = m["names"][1] if "names" in m else layer_node
                r.error(node, f"layers[{li}].names[{k}]", f"neuron name {n!r} is already used by "
                        f"{seen_neurons[n]}; names must be unique")
            seen_neurons[n] = f"layers[{li}]"
    return seen_neurons


def _check_named_entries(r: Reader, spec: Spec, slots: list, seen_neurons: dict[str, str]) -> None:
    """A parameter name is no default name nor a neuron's, and entries sharing one have equal values."""
    explicit: dict[str, tuple[float, str, object]] = {}
    for name, value, path, node, kind in slots:
        default_of = _unnamed_default(spec, name)
        if default_of is not None:
            r.error(node, path, f"the name {name!r} is the default name of {default_of}; "
                    "choose another name or name that entry")
            continue
        if name in seen_neurons:  # `check` could not tell `dL/dh1` of the weight from that of the neuron
            who = seen_neurons[name] if seen_neurons[name] == "an input" else f"a neuron of {seen_neurons[name]}"
            r.error(node, path, f"the parameter name {name!r} is already used by {who}; parameters, neurons "
                    "and inputs need distinct names")
            continue
        if name in explicit:
            first_value, first_path, first_kind = explicit[name]
            if first_value != value or (spec.exact and to_fraction(first_value) != to_fraction(value)):
                kinds = "" if first_kind == kind else f" ({'a weight' if first_kind == 'w' else 'a bias'} " \
                    f"and {'a weight' if kind == 'w' else 'a bias'} share it)"
                r.error(node, path, f"{name!r} is tied to {first_path} = {shown(first_value)}{kinds}: "
                        f"tied entries must have equal values, got {shown(value)}")
        else:
            explicit[name] = (value, path, kind)


_DEFAULT_NAME = re.compile(r"(?:W([0-9]+)\[([0-9]+),([0-9]+)\]|b([0-9]+)\[([0-9]+)\])\Z")


def _unnamed_default(spec: Spec, name: str) -> str | None:
    """The key path of the unnamed entry whose default name is `name`, if there is one."""
    m = _DEFAULT_NAME.match(name)
    if m is None:
        return None
    if m.group(1) is not None:
        li, i, j = int(m.group(1)) - 1, int(m.group(2)) - 1, int(m.group(3)) - 1
        if (name == default_weight_name(li, i, j) and 0 <= li < len(spec.layers)
                and 0 <= i < len(spec.layers[li].weight_names)
                and 0 <= j < len(spec.layers[li].weight_names[i]) and spec.layers[li].weight_names[i][j] is None):
            return f"layers[{li}].weights[{i}][{j}]"
        return None
    li, i = int(m.group(4)) - 1, int(m.group(5)) - 1
    if (name == default_bias_name(li, i) and 0 <= li < len(spec.layers) and 0 <= i < len(spec.layers[li].bias_names)
            and spec.layers[li].bias_names[i] is None):
        return f"layers[{li}].biases[{i}]"
    return None


def _entry_nodes(node, shape):
    """The YAML node of each weight/bias entry (None where there is none)."""
    rows, cols = shape
    out = [[None] * cols for _ in range(rows)]
    if node is None:
        return out
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if items and all(not isinstance(x, yaml.SequenceNode) for x in items):
        items = [node] if rows == 1 else items
    for i, row in enumerate(items[:rows]):
        row_items = row.value if isinstance(row, yaml.SequenceNode) else [row]
        for j, e in enumerate(row_items[:cols]):
            out[i][j] = e
    return out

