"""The forward pass only: every neuron's weighted sum z and activation a, per sample."""

from __future__ import annotations

import numpy as np

from .compose import compose
from .errors import SpecError, UsageError
from .network import Network
from .reader import Reader, Stop
from .result import ForwardLayer, ForwardResult
from .spec_model import Spec


def parse_inputs(text: str, n_features: int, source: str = "--inputs") -> np.ndarray:
    """`[[1, 2], [3, 4]]` (or one sample, `[1, 2]`) as samples × features; located errors."""
    if not text.strip():
        raise UsageError(f"{source}: expected a list of samples such as [[1, 2], [3, 4]], got nothing")
    node = compose(text, source)
    reader = Reader(source)
    rows = None
    try:
        rows = reader.matrix(node, "inputs", "sample")
        if rows is not None and len(rows[0]) != n_features:
            reader.error(node, "inputs", f"expected {n_features} number{'s' if n_features != 1 else ''} "
                         f"per sample (the network has {n_features} input{'s' if n_features != 1 else ''}), "
                         f"got {len(rows[0])}")
    except Stop:
        pass
    if reader.problems:
        raise SpecError(reader.problems)
    return np.array(rows, dtype=float)


def forward(spec: Spec, inputs: np.ndarray | None = None) -> ForwardResult:
    """Run the spec's network on `inputs` (default: the spec's own inputs)."""
    x = spec.inputs if inputs is None else inputs
    trace = Network(spec).forward(x)
    layers = [ForwardLayer(li, layer.activation, layer.neuron_names, trace.z[li], trace.a[li + 1])
              for li, layer in enumerate(spec.layers)]
    return ForwardResult(name=spec.name, source=spec.source, input_names=spec.input_names, inputs=x,
                         layers=layers, inputs_from="spec" if inputs is None else "--inputs")
