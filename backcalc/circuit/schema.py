"""A circuit spec's keys in the editor's JSON Schema: the spec schema takes a circuit when `values:` is given."""

from __future__ import annotations

from .ops import FUNCTIONS

NUMBER = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^[-+]?[0-9]+/[0-9]+$"}]}
NAME = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z_0-9]*$"}


def circuit_schema() -> dict:
    expression = {"type": "string", "description": "A scalar expression of the leaves: + - * / **, unary minus, "
                  f"and the functions {', '.join(FUNCTIONS)} (`backcalc docs circuits`)."}
    return {
        "type": "object",
        "description": "A circuit: a scalar expression graph, forward and backward (`backcalc docs circuits`).",
        "properties": {
            "name": {"type": "string", "description": "The circuit's name, shown in every view."},
            "description": {"type": "string", "description": "One line saying what the circuit teaches."},
            "values": {"type": "object", "description": "The leaves and their values (x: -2).",
                       "propertyNames": NAME, "additionalProperties": NUMBER, "minProperties": 1},
            "expression": expression,
            "define": {"type": "array", "minItems": 1, "description": "Named steps in order (- q: x + y); a name "
                       "defined again is primed (q, q', q'').",
                       "items": {"type": "object", "minProperties": 1, "maxProperties": 1,
                                 "propertyNames": NAME, "additionalProperties": expression}},
            "output": {"type": "string", "description": "The node whose gradient is taken (default: the last)."},
            "learning_rate": {**NUMBER, "description": "One update of the parameters: p − learning_rate·∂out/∂p."},
            "parameters": {"type": "array", "items": NAME, "uniqueItems": True,
                           "description": "The leaves the update changes (default: none)."},
        },
        "additionalProperties": False,
        "required": ["values"],
        "oneOf": [{"required": ["expression"]}, {"required": ["define"]}],
    }


def with_circuits(schema: dict) -> dict:
    """The network spec's schema, taking a circuit instead when `values:` is given: the network's own
    rules (closed keys, required keys) move under `else`, so its properties stay where they were."""
    network = {key: schema.pop(key) for key in ("additionalProperties", "required", "oneOf") if key in schema}
    network["properties"] = {key: True for key in schema["properties"]}
    schema["$defs"]["circuit"] = circuit_schema()
    schema["if"] = {"required": ["values"]}
    schema["then"] = {"$ref": "#/$defs/circuit"}
    schema["else"] = network
    return schema
