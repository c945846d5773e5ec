"""The spec model: a validated network description as plain data (no YAML, no validation), so the
math imports it alone. `spec_read` builds it from a file; `spec` is the public facade.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np

from .losses import DEFAULT_LOSS
from .optimizers import OptimizerSpec


@dataclass
class Layer:
    """One fully resolved layer: every weight and bias has a value and a name."""

    activation: str
    alpha: float
    weights: np.ndarray  # neurons × inputs (PyTorch nn.Linear layout)
    biases: np.ndarray  # neurons
    weight_names: list[list[str]]
    bias_names: list[str]
    neuron_names: list[str]
    explicit_names: bool = False  # names came from the spec, not defaults
    line: int | None = None
    kind: str = "dense"  # the spec's `type:` (layers/ has a module per kind)
    # a kind's own settings (stride, padding, the shapes it receives and produces, …)
    options: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        """The layer's outputs (neurons; a convolution's channels × positions)."""
        return self.options.get("units", self.weights.shape[0])


@dataclass
class Init:
    """How `size:` layers are initialised (the spec's `init:`)."""

    seed: int = 42
    distribution: str = "uniform"


@dataclass
class Spec:
    """A validated network description: data, layers, loss and training settings."""

    inputs: np.ndarray  # samples × features
    targets: np.ndarray  # samples × outputs
    layers: list[Layer]
    loss: str = DEFAULT_LOSS
    reduction: str = "mean"
    learning_rate: float = 0.1
    batch_size: int | None = None  # None: the full batch
    name: str | None = None
    description: str | None = None
    init: Init = field(default_factory=Init)
    frozen: list[str] = field(default_factory=list)
    epochs: int | None = None
    input_names: list[str] = field(default_factory=list)
    source: str = "<spec>"
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    optimizer_state: dict[str, dict] = field(default_factory=dict)  # parameter name → torch-named state
    # The exact values (Fractions) of the arrays some of whose numbers the text wrote more precisely
    # than a float holds (`1/3`, a long decimal), by key: inputs, targets, layers[i].weights, layers[i].biases
    exact: dict[str, np.ndarray] = field(default_factory=dict)
    # where some keys' values were written, (source, line, column), for checks made after loading (--exact)
    where: dict[str, tuple[str, int | None, int | None]] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return self.inputs.shape[0]

    @property
    def effective_batch_size(self) -> int:
        """Samples per update: `batch_size` (None: all), at most the number of samples."""
        return min(self.batch_size or self.n_samples, self.n_samples)

    def with_parameters(self, weights: list, biases: list, optimizer_state: dict[str, dict]) -> Spec:
        """This spec with these weights and biases (per layer; Fractions kept as its exact values) and
        this optimizer state: the spec a step or a training run leaves behind, to chain the next one."""
        exact = dict(self.exact)
        layers = []
        for li, (layer, w, b) in enumerate(zip(self.layers, weights, biases)):
            for key, values in ((f"layers[{li}].weights", w), (f"layers[{li}].biases", b)):
                if np.asarray(values).dtype == object:
                    exact[key] = np.array(values)  # the floats below are for display; the math reads these
                else:
                    exact.pop(key, None)
            layers.append(replace(layer, weights=np.array(w, dtype=float), biases=np.array(b, dtype=float)))
        return replace(self, layers=layers, exact=exact, optimizer_state=optimizer_state)


def parameter_names(spec: Spec) -> list[str]:
    """Distinct parameter names in order of first appearance (weights, then biases, per layer)."""
    return list(dict.fromkeys(chain.from_iterable(layer_parameter_names(layer) for layer in spec.layers)))


def layer_parameter_names(layer: Layer) -> list:
    """A layer's slot names in the order its spec writes them: weights then biases, or a kind's own
    `blocks` (a gated layer's weights_input, weights_hidden, then its biases: each array row by row)."""
    blocks = layer.options.get("blocks")
    if blocks is None:
        return [*flat_names(layer.weight_names), *layer.bias_names]
    out = []
    for block in blocks:
        out += list(layer.bias_names) if block is None else [n for row in layer.weight_names
                                                              for n in row[block[0]:block[1]]]
    return out


def flat_names(names) -> list:
    """A layer's weight names (nested as its weights: rows of names, a kernel's 4 levels) in order."""
    out = []
    for item in names:
        if isinstance(item, list):
            out += flat_names(item)
        else:
            out.append(item)
    return out


def default_neuron_names(n_layers: int, li: int, size: int) -> list[str]:
    """The names of layer `li`'s neurons when the spec gives none: o1… (output), h1… or h2_1… (hidden)."""
    if li == n_layers - 1:
        return [f"o{i + 1}" for i in range(size)]
    if n_layers == 2:
        return [f"h{i + 1}" for i in range(size)]
    return [f"h{li + 1}_{i + 1}" for i in range(size)]


def default_weight_name(li: int, i: int, j: int) -> str:
    """The name of an unnamed weight (0-based layer, neuron, input): `W1[1,2]`."""
    return f"W{li + 1}[{i + 1},{j + 1}]"


def default_bias_name(li: int, i: int) -> str:
    """The name of an unnamed bias (0-based layer, neuron): `b2[1]`."""
    return f"b{li + 1}[{i + 1}]"
