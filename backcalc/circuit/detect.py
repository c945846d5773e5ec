"""Whether a composed spec is a circuit: told apart where every spec is read (spec_read.parse_spec), so
cheaply: yaml only, nothing of the circuit's own modules until one is read."""

from __future__ import annotations

import yaml

CIRCUIT_KEYS = {"values", "expression", "define"}


def is_circuit(root) -> bool:
    """A mapping with `values:`, `expression:` or `define:` (no network has them, so the circuit
    reader names what is missing)."""
    if not isinstance(root, yaml.MappingNode):
        return False
    return any(isinstance(k, yaml.ScalarNode) and k.value in CIRCUIT_KEYS for k, _ in root.value)
