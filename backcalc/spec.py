"""The spec, as callers use it: read a YAML spec (`load_spec`, `parse_spec`) into a `Spec`.

A facade: each name lives in the module that owns it, and the library imports it from there.
- compose: safe YAML composition (limits, the safe loader, alias checks)
- reader: the located-node reader every file reader uses
- spec_model: the model (`Spec`, `Layer`, `Init`, parameter and default names), a leaf the math imports
- spec_read, spec_layers, spec_names: validation into the model
- schema: the keys, their types and choices, declared once
"""

from __future__ import annotations

from .compose import MAX_ALIAS_EXPANSION, MAX_BYTES, compose, read_limited, reader_problem
from .reader import MAX_NODES, MAX_PROBLEMS, SAFE_TAGS, Reader, Stop, not_decimal, shown, tag_problem
from .schema import DISTRIBUTIONS, INIT, INIT_KEYS, LAYER, LAYER_KEYS, REDUCTIONS, TOP_LEVEL, TOP_LEVEL_KEYS, Field
from .spec_layers import MAX_PARAMETERS
from .spec_model import (
    Init,
    Layer,
    Spec,
    default_bias_name,
    default_neuron_names,
    default_weight_name,
    parameter_names,
)
from .spec_read import load_spec, parse_spec

__all__ = [
    "DISTRIBUTIONS", "INIT", "INIT_KEYS", "LAYER", "LAYER_KEYS", "MAX_ALIAS_EXPANSION", "MAX_BYTES", "MAX_NODES",
    "MAX_PARAMETERS", "MAX_PROBLEMS", "REDUCTIONS", "SAFE_TAGS", "TOP_LEVEL", "TOP_LEVEL_KEYS", "Field", "Init",
    "Layer", "Reader", "Spec", "Stop", "compose", "default_bias_name", "default_neuron_names",
    "default_weight_name", "load_spec", "not_decimal", "parameter_names", "parse_spec", "read_limited",
    "reader_problem", "shown", "tag_problem",
]
