"""The spec's `layers:`: each layer's keys, shape, activation, weights and biases read and
checked, then the initial values of `size:` layers drawn (from `init:`) once every size fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import yaml

from .activations import ACTIVATIONS, ALIASES, DEFAULT_LEAKY_ALPHA, get_activation
from .reader import Reader, describe, plural, suggest
from .schema import DENSE_KEYS, LAYER
from .spec_init import LazyRng, initial_biases, initial_weights
from .spec_kinds import Below, KindShape, check_keys, layer_type, read_kind
from .spec_model import Init, Layer

# Weights and biases in a network with `size:` layers. `train` needs about 300 bytes a parameter
# (names, theta, gradients, optimizer state; measured at 2 M and 8 M): 15 GB here, within a 24 GiB
# machine with a full data file beside it. `step`, `graph` and `check` have their own, smaller limits
# (explain.EXPLAIN_LIMIT, check.CHECK_LIMIT), checked by the loader before anything is built.
MAX_PARAMETERS = 50_000_000


def read_layer_maps(r: Reader, node) -> list | None:
    """The layers as (node, {key: (key_node, value_node)}), every key known; None after an error."""
    items = r.sequence(node, "layers")
    if items is None:
        return None
    if not items:
        r.error(node, "layers", "expected at least one layer, got an empty list")
        return None
    maps = []
    for i, item in enumerate(items):
        m = r.mapping(item, f"layers[{i}]")
        if m is None:
            return None
        if "type" in m:  # every kind checks its own keys (spec_kinds)
            maps.append((item, m))
            continue
        for key, (key_node, _) in m.items():
            if key not in DENSE_KEYS:
                r.error(key_node, f"layers[{i}].{key}", f"unknown key{suggest(key, DENSE_KEYS)}; "
                        f"expected one of: {', '.join(DENSE_KEYS)}")
        maps.append((item, m))
    return maps


@dataclass
class _Entries:
    """A row of weight or bias entries: their values, names (None: unnamed) and nodes."""

    values: list
    names: list
    nodes: list


def read_entries(r: Reader, node, path: str) -> _Entries | None:
    """A row of weight or bias entries (a single entry counts as a row of one)."""
    r.visit(node, path)
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    paths = [f"{path}[{i}]" for i in range(len(items))] if isinstance(node, yaml.SequenceNode) else [path]
    if not items:
        r.error(node, path, "expected numbers, got an empty list")
        return None
    out = _Entries([], [], [])
    ok = True
    for item, p in zip(items, paths):
        if isinstance(item, yaml.SequenceNode):
            r.error(item, p, "expected a number or `name: number`, got a list")
            ok = False
            continue
        e = r.entry(item, p)
        if e is None:
            ok = False
            continue
        out.values.append(e[0])
        out.names.append(e[1])
        out.nodes.append(item)
    return out if ok else None


def read_layers(r: Reader, maps, sample_shape: tuple, init: Init, size_check=None) -> list[Layer] | None:
    """The layers over samples of `sample_shape` (flat: one number per feature): every shape read and
    checked first, then the initial values drawn (`size:`)."""
    shapes = []
    below = Below(tuple(sample_shape))
    for li, (layer_node, m) in enumerate(maps):
        kind = layer_type(r, li, m) if "type" in m else "dense"
        shape = None
        if kind == "dense":
            if "type" in m:
                check_keys(r, li, m, kind, [*DENSE_KEYS, "type"])
            shape = _read_layer(r, li, layer_node, m, below.size, len(maps), below.said(li))
            out = shape and Below((shape[1],))
        elif kind is not None:
            shape = read_kind(r, li, layer_node, m, below, kind)
            out = shape and shape.out
        if shape is None:
            # Later layers' shapes depend on this one; stop checking shapes here.
            return None
        shapes.append(shape)
        below = out
    # Every size is known before anything is built: the cap, then the command's own limit.
    total = _count_parameters(r, maps, shapes)
    if total is None:
        return None
    if size_check is not None and not r.problems:
        size_check(total)
    return _build_layers(maps, shapes, init)


def _read_layer(r: Reader, li: int, layer_node, m: dict, n_in: int, n_layers: int, below: str):
    """One layer's (li, n_out, n_in, weights, names, biases, bias_names, activation, alpha); None
    when its shape is unknown (the problem reported)."""
    path = f"layers[{li}]"
    activation, ok = _read_activation(r, layer_node, m, path, li, n_layers)
    alpha = DEFAULT_LEAKY_ALPHA
    if "alpha" in m:
        a = r.field(m["alpha"][1], f"{path}.alpha", LAYER["alpha"])
        if a is not None:
            alpha_only_where_read(r, m["alpha"][0], path, activation)
            alpha = a
    size = None
    if "size" in m:
        size = r.field(m["size"][1], f"{path}.size", LAYER["size"])
    weights = names = None
    if "weights" in m:
        weights, names = _read_weights(r, m["weights"][1], f"{path}.weights", n_in, below)
        if weights is None:
            ok = False
        elif size is not None and size != weights.shape[0]:
            r.error(m["size"][1], f"{path}.size", f"expected {weights.shape[0]} (the number of "
                    f"weight rows), got {size}")
            ok = False
    elif size is None:
        if "size" not in m:  # (a bad `size:` was reported above)
            r.error(layer_node, path, "give `weights:` (one row per neuron) or `size:` (to initialise from "
                    "`init:`)")
        ok = False
    if not ok:
        return None
    n_out = weights.shape[0] if weights is not None else size
    layer_needs_two_neurons(r, layer_node, path, activation, n_out)
    biases = bias_names = None  # (a `size:` layer's names are made once the sizes are known to fit)
    if "biases" in m:
        read = _read_biases(r, m["biases"][1], path, li, n_out)
        if read is None:
            return None
        biases, bias_names = read
    return li, n_out, n_in, weights, names, biases, bias_names, activation, alpha


def _read_activation(r: Reader, layer_node, m: dict, path: str, li: int, n_layers: int) -> tuple[str, bool]:
    """The layer's activation (its canonical name) and whether it was read without a problem."""
    if "activation" not in m:
        r.error(layer_node, path, "missing required key `activation` (one of: "
                f"{', '.join(LAYER['activation'].choices)})")
        return "identity", False
    act_node = m["activation"][1]
    name = r.field(act_node, f"{path}.activation", LAYER["activation"])
    if name is None:
        return "identity", False
    activation = ALIASES.get(name, name)
    return activation, output_only_on_output(r, act_node, path, activation, li, n_layers)


def output_only_on_output(r: Reader, node, path: str, activation: str, li: int, n_layers: int) -> bool:
    """An activation of the whole layer (softmax) couples its neurons, so it may only produce the outputs."""
    if get_activation(activation).output_only and li != n_layers - 1:
        r.error(node, f"{path}.activation", f"{activation} is allowed only on the output "
                f"(last) layer; this is layer {li + 1} of {n_layers}")
        return False
    return True


def alpha_only_where_read(r: Reader, key_node, path: str, activation: str) -> None:
    """`alpha:` is a slope some activations read (leaky_relu); on any other it would be silently ignored."""
    if not get_activation(activation).takes_alpha:
        takers = " and ".join(a.name for a in ACTIVATIONS.values() if a.takes_alpha)
        r.error(key_node, f"{path}.alpha", f"`alpha` applies to {takers} only, "
                f"this layer is {activation}")


def layer_needs_two_neurons(r: Reader, layer_node, path: str, activation: str, n_out: int) -> None:
    """A one-neuron softmax (an activation of the whole layer) is the constant 1: nothing is learned through it."""
    if get_activation(activation).output_only and n_out == 1:
        r.error(layer_node, path, f"expected at least 2 neurons for {activation}, got 1: a one-neuron {activation} is "
                "always 1, so every gradient through it is 0; for one output use `activation: sigmoid` "
                "(with `loss: bce`)")


def _read_biases(r: Reader, b_node, path: str, li: int, n_out: int):
    """(biases, names) of a layer of `n_out` neurons; None after a problem."""
    entries = read_entries(r, b_node, f"{path}.biases")
    if entries is None:
        return None
    if not isinstance(b_node, yaml.SequenceNode) and n_out > 1:
        # `biases: 0.35`: one bias shared by the layer's neurons (tied, as textbooks draw b1)
        entries.values *= n_out
        entries.names = [entries.names[0] or f"b{li + 1}"] * n_out
    if len(entries.values) != n_out:
        r.error(b_node, f"{path}.biases", f"expected {n_out} biases (one per neuron, or one alone "
                f"shared by them all), got {len(entries.values)}")
        return None
    r.keep_exact(f"{path}.biases", entries.values)
    return np.array(entries.values, dtype=float), entries.names


def _count_parameters(r: Reader, maps, shapes) -> int | None:
    """The network's number of weights and biases; None (reported) over MAX_PARAMETERS."""
    counts = [s.count if isinstance(s, KindShape) else s[1] * (s[2] + 1) for s in shapes]
    total = sum(counts)
    if total > MAX_PARAMETERS:
        big = max(range(len(shapes)), key=counts.__getitem__)
        if isinstance(shapes[big], KindShape):
            r.error(maps[big][0], f"layers[{big}]", f"expected at most {MAX_PARAMETERS:,} parameters in the "
                    f"network, got {total:,}; layers[{big}] has {counts[big]:,} of them")
            return None
        li, n_out, n_in = shapes[big][:3]
        sized = "size" in maps[li][1]
        r.error(maps[li][1]["size"][1] if sized else maps[li][0], f"layers[{li}]" + (".size" if sized else ""),
                f"expected at most {MAX_PARAMETERS:,} weights and biases in the network, got {total:,}; the "
                f"largest layer, layers[{li}], has {n_out:,} neuron{'s' if n_out != 1 else ''} × ("
                f"{n_in:,} input{'s' if n_in != 1 else ''} + a bias) = {counts[big]:,} of them")
        return None
    return total


def _build_layers(maps, shapes, init: Init) -> list[Layer]:
    """The layers, `size:` ones' weights and biases drawn from `init:` in layer order."""
    rng = LazyRng(init.seed)
    layers = []
    for shape in shapes:
        if isinstance(shape, KindShape):
            layers.append(shape.build(rng, init.distribution, maps[shape.li][0].start_mark.line + 1))
            continue
        li, n_out, n_in, weights, names, biases, bias_names, activation, alpha = shape
        m = maps[li][1]
        layer_node = maps[li][0]
        if weights is None:
            weights = initial_weights(rng, init.distribution, n_out, n_in)
            names = [[None] * n_in for _ in range(n_out)]
        if biases is None:
            biases = np.zeros(n_out) if "weights" in m else initial_biases(rng, init.distribution, n_out, n_in)
            bias_names = [None] * n_out
        layers.append(Layer(activation=activation, alpha=alpha, weights=weights, biases=biases,
                            weight_names=names, bias_names=bias_names, neuron_names=[],
                            line=layer_node.start_mark.line + 1))
    return layers


def _read_weights(r: Reader, node, path: str, n_in: int, below: str):
    """A layer's weights (neurons × inputs) and their names; (None, None) after a problem."""
    r.visit(node, path)
    rows_nodes = node.value if isinstance(node, yaml.SequenceNode) else None
    if rows_nodes is None:
        r.error(node, path, f"expected a list of rows (one per neuron), got {describe(node)}")
        return None, None
    if not rows_nodes:
        r.error(node, path, "expected at least one row (one per neuron), got an empty list")
        return None, None
    if not any(isinstance(x, yaml.SequenceNode) for x in rows_nodes):
        rows = [(node, path)]  # a flat list: the one row of a one-neuron layer
    else:
        rows = [(x, f"{path}[{i}]") for i, x in enumerate(rows_nodes)]
    values, names = [], []
    for row_node, row_path in rows:
        if row_node is not node and not isinstance(row_node, yaml.SequenceNode):
            r.error(row_node, row_path, f"expected a row (a list of numbers), got {describe(row_node)}")
            return None, None
        entries = read_entries(r, row_node, row_path)
        if entries is None:
            return None, None
        if len(entries.values) != n_in:
            prev = below  # what the layer receives, as the layer below says it
            hint = ""
            if len(rows) == n_in and len(rows) > 1 and all(isinstance(x, yaml.SequenceNode) and len(x.value)
                                                           == len(entries.values) for x, _ in rows):
                hint = (f"; looks transposed? weights are neurons × inputs, one row per neuron (as in PyTorch's "
                        f"nn.Linear): write {plural(len(entries.values), 'row')} of {n_in}")
            r.error(row_node, row_path, f"expected {plural(n_in, 'column')} ({prev}), got "
                    f"{len(entries.values)}{hint}")
            return None, None
        values.append(entries.values)
        names.append(entries.names)
    r.keep_exact(path, values)
    return np.array(values, dtype=float), names
