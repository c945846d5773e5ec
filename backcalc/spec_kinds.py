"""The spec's layers of a kind other than dense (`type:`): their own keys read and checked, the
shape each receives and produces worked out at load time, and their parameters (kernels, biases,
gamma, beta) read as entries like a dense layer's weights, or drawn from `init:`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

import numpy as np
import yaml

from .activations import get_activation
from .layers import kind_named
from .layers.windows import Window, position_names, shape_text
from .reader import Reader, describe, plural, suggest
from .schema import LAYER
from .spec_init import initial_biases, initial_weights
from .spec_model import Layer
from .spec_rows import read_row as row_entries


@dataclass
class Below:
    """What a layer receives: its per-sample shape, and the sentence saying where it came from."""

    shape: tuple[int, ...]
    text: str | None = None
    channels: bool = False  # the first axis is channels (a conv's or pool's output): batch norm per channel
    kind: str | None = None  # the kind of the layer that gave it (None: the input or a dense layer)

    @property
    def size(self) -> int:
        return prod(self.shape)

    def said(self, li: int) -> str:
        if self.text is not None:
            return self.text
        if li == 0 and len(self.shape) > 1:
            return f"each sample is {shape_text(self.shape)}"
        return f"the input has {plural(self.size, 'feature')}" if li == 0 else \
            f"the previous layer has {plural(self.size, 'neuron')}"


@dataclass
class KindShape:
    """A typed layer as read: everything known before the initial values are drawn."""

    li: int
    kind: str
    activation: str
    alpha: float
    options: dict
    out: Below
    weights: np.ndarray | None = None  # None: drawn from `init:` with `draw` = (rows, fan in, shape)
    names: list = field(default_factory=list)
    biases: np.ndarray | None = None
    bias_names: list = field(default_factory=list)
    draw: tuple | None = None

    @property
    def count(self) -> int:
        if self.draw is not None:
            return prod(self.draw[2]) + self.draw[0]
        return self.weights.size + (self.weights.shape[0] if self.biases is None else self.biases.size)

    def build(self, rng, distribution: str, line: int) -> Layer:
        weights, biases = self.weights, self.biases
        if self.draw is not None:
            rows, fan_in, shape = self.draw
            weights = initial_weights(rng, distribution, rows, fan_in).reshape(shape)
            biases = initial_biases(rng, distribution, rows, fan_in) if biases is None else biases
            self.names = np.full(shape, None, dtype=object).tolist()
        if biases is None:
            biases = np.zeros(weights.shape[0])
        if not self.bias_names:
            self.bias_names = [None] * len(biases)
        return Layer(activation=self.activation, alpha=self.alpha, weights=weights, biases=biases,
                     weight_names=self.names, bias_names=self.bias_names, neuron_names=[], line=line,
                     kind=self.kind, options=self.options)


def layer_type(r: Reader, li: int, m: dict) -> str | None:
    """The layer's `type:` (None after a problem)."""
    return r.field(m["type"][1], f"layers[{li}].type", LAYER["type"])


def check_keys(r: Reader, li: int, m: dict, kind: str, keys) -> None:
    for key, (key_node, _) in m.items():
        if key not in keys:
            r.error(key_node, f"layers[{li}].{key}", f"unknown key for a {kind} layer{suggest(key, keys)}; "
                    f"expected one of: {', '.join(keys)}")


def read_kind(r: Reader, li: int, node, m: dict, below: Below, kind: str) -> KindShape | None:
    """A conv, pool, flatten or batchnorm layer read against what it receives; None after a problem."""
    check_keys(r, li, m, kind, kind_named(kind).spec_keys)
    if r.problems:
        return None
    path = f"layers[{li}]"
    activation, alpha = _activation(r, m, path, "tanh" if kind == "rnn" else "identity")
    if activation is None:
        return None
    read = {"flatten": _flatten, "batchnorm": _batchnorm, "rnn": _rnn, "gru": _rnn, "lstm": _rnn}.get(kind)
    if read is None:
        read = _conv if kind.startswith("conv") else _pool
    shape = read(r, li, node, m, below, kind)
    if shape is not None:
        shape.activation, shape.alpha, shape.out.kind = activation, alpha, kind
        shape.out.text = "; ".join(t for t in (below.text, shape.out.text) if t)  # the path so far
        shape.options.update(units=shape.out.size, out_shape=shape.out.shape, text=shape.out.text)
    return shape


def _activation(r: Reader, m: dict, path: str, default: str):
    activation, alpha = default, 0.01
    if "activation" in m:
        activation = r.field(m["activation"][1], f"{path}.activation", LAYER["activation"])
        if activation is not None and get_activation(activation).output_only:
            r.error(m["activation"][1], f"{path}.activation", f"{activation} is for a dense output layer; "
                    "put a dense layer after this one")
            activation = None
    if "alpha" in m and activation is not None:
        alpha = r.field(m["alpha"][1], f"{path}.alpha", LAYER["alpha"])
        if alpha is not None and not get_activation(activation).takes_alpha:
            r.error(m["alpha"][0], f"{path}.alpha", f"`alpha` applies to leaky_relu only, this layer is {activation}")
    return activation, alpha


def _ints(r: Reader, node, path: str, count: int, minimum: int) -> tuple[int, ...] | None:
    """A whole number (the same on every axis) or a list of `count` of them."""
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is not None and len(items) != count:
        r.error(node, path, f"expected a whole number or a list of {count}, got a list of {len(items)}")
        return None
    nodes = [(x, f"{path}[{i}]") for i, x in enumerate(items)] if items is not None else [(node, path)]
    values = []
    for x, at in nodes:  # the first bad number, located where it is written
        value = r.integer(x, at)
        if value is not None and value < minimum:
            r.error(x, at, f"expected a whole number ≥ {minimum}, got {describe(x)}")
            value = None
        if value is None:
            return None
        values.append(value)
    return tuple(values) if items is not None else tuple(values) * count


def _input_shape(r: Reader, li: int, node, m: dict, below: Below, kind: str, dims: int):
    """The channels × positions a conv or pool reads: `input_shape:` over flat inputs, or the layer below's."""
    path = f"layers[{li}]"
    axes = "length" if dims == 1 else "height × width"
    if "input_shape" in m:
        key_node = m["input_shape"][1]
        given = _ints(r, key_node, f"{path}.input_shape", dims + 1, 1) if isinstance(
            key_node, yaml.SequenceNode) else None
        if given is None:
            if not r.problems:
                r.error(key_node, f"{path}.input_shape", f"expected [channels, {axes.replace(' × ', ', ')}], "
                        f"got {describe(key_node)}")
            return None
        if prod(given) != below.size:  # the same values in the same order, read as another shape (a view)
            r.error(key_node, f"{path}.input_shape", f"{kind} reads {shape_text(given)} = {prod(given)} values, "
                    f"but {below.said(li)}")
            return None
        return given
    if len(below.shape) == dims + 1:
        return below.shape
    r.error(node, path, f"{kind} reads channels × {axes}, but {below.said(li)}: give `input_shape: "
            f"[channels, {axes.replace(' × ', ', ')}]`")
    return None


def _window(r: Reader, li: int, node, m: dict, below: Below, kind: str, kernel, stride_default):
    """The window (its shape checked against the input) and the sentence saying what it gives."""
    dims = len(kernel)
    in_shape = _input_shape(r, li, node, m, below, kind, dims)
    if in_shape is None:
        return None
    path = f"layers[{li}]"
    stride = _ints(r, m["stride"][1], f"{path}.stride", dims, 1) if "stride" in m else stride_default
    padding = _ints(r, m["padding"][1], f"{path}.padding", dims, 0) if "padding" in m else (0,) * dims
    if stride is None or padding is None:
        return None
    window = Window(in_shape, kernel, stride, padding)
    said = f"{kind} of {shape_text(kernel)} over {shape_text(in_shape)} with stride {_setting(stride)}"
    said += f" and padding {_setting(padding)}" if any(padding) else ""
    if not window.fits:
        r.error(node, path, "; ".join(t for t in (below.text, f"{said}: the window is larger than its input") if t))
        return None
    if kind.startswith("maxpool") and any(2 * p > k for p, k in zip(padding, kernel)):
        r.error(m["padding"][1], f"{path}.padding", f"expected padding at most half the window "
                f"({shape_text(kernel)}), as PyTorch requires; got {shape_text(padding)}")
        return None
    return window, said


def _setting(values) -> str:
    return str(values[0]) if len(set(values)) == 1 else shape_text(values)


def _conv(r: Reader, li: int, node, m: dict, below: Below, kind: str) -> KindShape | None:
    dims, path = int(kind[4]), f"layers[{li}]"
    window = "length" if dims == 1 else "height × width"
    if "kernels" in m:
        depth = _depth(m["kernels"][1])
        if depth != dims + 2:
            r.error(m["kernels"][1], f"{path}.kernels", f"expected {dims + 2} levels of lists (out channels × "
                    f"in channels × {window}), got {depth if depth else describe(m['kernels'][1])}")
            return None
        read = read_nested(r, m["kernels"][1], f"{path}.kernels", dims + 2)
        if read is None:
            return None
        values, names, shape = read
        kernel, out_channels = shape[2:], shape[0]
    elif "out_channels" in m and "kernel_size" in m:
        out_channels = r.field(m["out_channels"][1], f"{path}.out_channels", LAYER["out_channels"])
        kernel = _ints(r, m["kernel_size"][1], f"{path}.kernel_size", dims, 1)
        if out_channels is None or kernel is None:
            return None
        values = names = shape = None
    else:
        r.error(node, path, f"give `kernels:` (out channels × in channels × {window}) or `out_channels:` "
                "and `kernel_size:` (to initialise from `init:`)")
        return None
    seen = _window(r, li, node, m, below, kind, tuple(kernel), (1,) * dims)
    if seen is None:
        return None
    window, said = seen
    channels = window.in_shape[0]
    if shape is not None and shape[1] != channels:
        r.error(m["kernels"][1], f"{path}.kernels", f"{kind} kernels are {shape_text(shape)} (out × in × "
                f"window), but they read {shape_text(window.in_shape)}: expected {plural(channels, 'in channel')}, "
                f"got {shape[1]}")
        return None
    out = Below((out_channels, *window.out_spatial), channels=True)
    out.text = f"{said} gives {shape_text(out.shape)}"
    options = _options(window, li, "c", ("kernels", "biases"), out.shape)
    layer = KindShape(li, kind, "identity", 0.01, options, out)
    if values is not None:
        layer.weights, layer.names = np.array(values, dtype=float), names
        r.keep_exact(f"{path}.weights", [v for v in np.ravel(np.array(values, dtype=object))])
        if f"{path}.weights" in r.exact:
            r.exact[f"{path}.weights"] = r.exact[f"{path}.weights"].reshape(shape)
    else:
        layer.draw = (out_channels, channels * prod(kernel), (out_channels, channels, *kernel))
    if "biases" in m:
        if not read_row(r, m["biases"][1], f"{path}.biases", out_channels, "bias", layer, "biases"):
            return None
    return layer


def _depth(node) -> int:
    """How many levels of lists a value is, down its first entries."""
    depth = 0
    while isinstance(node, yaml.SequenceNode) and node.value:
        node, depth = node.value[0], depth + 1
    return depth


def _options(window: Window, li: int, prefix: str, keys, out_shape) -> dict:
    return {"in_shape": window.in_shape, "kernel": window.kernel, "stride": window.stride,
            "padding": window.padding, "keys": keys, "unit_names": position_names(f"{prefix}{li + 1}", out_shape)}


def _pool(r: Reader, li: int, node, m: dict, below: Below, kind: str) -> KindShape | None:
    dims, path = int(kind[-2]), f"layers[{li}]"
    given = [k for k in ("kernel_size", "size") if k in m]  # `size:` the spelling, `kernel_size:` torch's
    if len(given) != 1:
        r.error(m["size"][0] if given else node, f"{path}.size" if given else path,
                f"give the {kind}'s window once, as `kernel_size:` or `size:`" if given else
                f"missing required key `kernel_size` (or `size`: the {kind}'s window)")
        return None
    kernel = _ints(r, m[given[0]][1], f"{path}.{given[0]}", dims, 1)
    if kernel is None:
        return None
    seen = _window(r, li, node, m, below, kind, kernel, kernel)
    if seen is None:
        return None
    window, said = seen
    out = Below((window.in_shape[0], *window.out_spatial), channels=True)
    out.text = f"{said} gives {shape_text(out.shape)}"
    layer = KindShape(li, kind, "identity", 0.01, _options(window, li, "p", ("", ""), out.shape), out)
    layer.weights, layer.biases = np.zeros((0, 0)), np.zeros(0)
    return layer


def _flatten(r: Reader, li: int, node, m: dict, below: Below, kind: str) -> KindShape | None:
    out = Below((below.size,), f"flatten of {shape_text(below.shape)} gives {below.size}")
    options = {"keys": ("", ""), "unit_names": position_names(f"f{li + 1}", out.shape)}
    layer = KindShape(li, kind, "identity", 0.01, options, out)
    layer.weights, layer.biases = np.zeros((0, 0)), np.zeros(0)
    return layer


def _batchnorm(r: Reader, li: int, node, m: dict, below: Below, kind: str) -> KindShape | None:
    import sys

    from .spec_batchnorm import read_batchnorm

    return read_batchnorm(r, li, node, m, below, kind, sys.modules[__name__])


def _rnn(r: Reader, li: int, node, m: dict, below: Below, kind: str) -> KindShape | None:
    import sys

    from .spec_gated import read_gated
    from .spec_rnn import read_rnn

    read = read_rnn if kind == "rnn" else read_gated
    return read(r, li, node, m, below, kind, sys.modules[__name__])


def read_row(r: Reader, node, path: str, n: int, noun: str, layer: KindShape, key: str, rule: str = "") -> bool:
    """A row of `n` entries (one per channel or unit) into the layer's gamma (weights) or biases;
    `rule` says why n (a batch norm's: per channel or per unit, after what)."""
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if rule and (items is None or len(items) != n):
        got = f"{len(items)}" if items is not None else describe(node)
        r.error(node, path, f"{rule}: {key} needs {n} {'entry' if n == 1 else 'entries'}, got {got}")
        return False
    read = row_entries(r, node, path, n, noun, "channel" if key == "biases" else "feature")
    if read is None:
        return False
    values, names = read
    store = "weights" if key == "gamma" else "biases"
    r.keep_exact(f"{path.rsplit('.', 1)[0]}.{store}", values)
    if key == "gamma":
        layer.weights, layer.names = np.array(values, dtype=float)[:, None], [[x] for x in names]
    else:
        layer.biases, layer.bias_names = np.array(values, dtype=float), names
    return True


def read_nested(r: Reader, node, path: str, depth: int):
    """Nested lists of entries `depth` deep, every level the same length: (values, names, shape)."""
    if depth == 0:
        e = r.entry(node, path) if not isinstance(node, yaml.SequenceNode) else None
        if e is None:
            if not r.problems:
                r.error(node, path, "expected a number or `name: number`, got a list")
            return None
        return e[0], e[1], ()
    r.visit(node, path)
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        r.error(node, path, f"expected a list (kernels are out × in × window, like their first entry), "
                f"got {describe(node)}")
        return None
    parts = []
    for i, x in enumerate(node.value):  # stop at the first problem: one line, not one per entry
        part = read_nested(r, x, f"{path}[{i}]", depth - 1)
        if part is None:
            return None
        parts.append(part)
    shapes = {p[2] for p in parts}
    if len(shapes) > 1:
        r.error(node, path, f"expected lists of equal lengths, got {', '.join(sorted(map(shape_text, shapes)))}")
        return None
    return [p[0] for p in parts], [p[1] for p in parts], (len(parts), *parts[0][2])


def default_kind_names(layer: Layer, li: int) -> tuple[list[str], list[str]]:
    """A typed layer's default names, flat: kernel entries `K2[o,c,i,j]` (gamma `gamma2[k]`), then
    biases `b2[o]` (beta `beta2[k]`), 1-based."""
    w_key, b_key = layer.options["keys"]
    own = getattr(kind_named(layer.kind), "default_names", None)  # a kind that names its own (rnn, gru, lstm)
    if own is not None:
        return own(layer.options, li)
    prefix = {"kernels": "K", "gamma": "gamma"}.get(w_key, "W")
    b_prefix = {"biases": "b", "beta": "beta"}.get(b_key, "b")
    shape = layer.weights.shape if w_key == "kernels" else layer.weights.shape[:1]
    weights = position_names(f"{prefix}{li + 1}", shape) if layer.weights.size else []
    return weights, [f"{b_prefix}{li + 1}[{i + 1}]" for i in range(len(layer.biases))]


def fill_default_names(layer: Layer, li: int) -> None:
    """Every unnamed kernel entry, bias, gamma and beta given its default name."""
    weights, biases = default_kind_names(layer, li)
    if layer.weights.size:
        defaults = np.array(weights, dtype=object).reshape(layer.weights.shape)
        given = np.array(layer.weight_names, dtype=object).reshape(layer.weights.shape)
        layer.weight_names = np.where(given == None, defaults, given).tolist()  # noqa: E711
    layer.bias_names = [d if n is None else n for d, n in zip(biases, layer.bias_names)]
