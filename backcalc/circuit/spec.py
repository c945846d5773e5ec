"""A circuit spec (`values:` and `expression:` or `define:`) read into a `Circuit`, every problem located:
an expression's problem at its line and column inside the YAML file."""

from __future__ import annotations

import keyword

import yaml

from ..reader import Reader, suggest
from .expression import Builder, ExpressionError, Node
from .model import Circuit, not_a_network
from .ops import GATES

MAX_GATES = 2_000
KEYS = ("name", "description", "values", "expression", "define", "output", "learning_rate", "parameters")


def read_circuit(r: Reader, root) -> Circuit | None:
    top = r.mapping(root, "")
    if top is None:
        return None
    for key, (key_node, _) in top.items():
        if key not in KEYS:
            r.error(key_node, key, f"unknown key in a circuit; expected one of: {', '.join(KEYS)}{suggest(key, KEYS)}")
    if "expression" in top and "define" in top:
        r.error(top["define"][0], "define", "give `expression:` or `define:`, not both")
        return None
    for needed, what in ((("values",), "`values:` (the leaves and their numbers)"),
                         (("expression", "define"), "`expression:` or `define:`")):
        if not any(k in top for k in needed):
            r.error(root, "", f"a circuit needs {what}; see `backcalc docs circuits`")
            return None
    values = _read_values(r, top["values"][1])
    if values is None:
        return None
    builder = Builder(values)
    steps = _read_steps(r, top, builder)
    if steps is None:
        return None
    extra = {k: r.string(top[k][1], k) for k in ("name", "description") if k in top}
    output = _read_output(r, top, builder, steps)
    if output is None:
        return None
    if len(builder.nodes) > MAX_GATES:
        r.error(root, "", f"the circuit has {len(builder.nodes):,} gates; at most {MAX_GATES:,} (a circuit is "
                "for working by hand: a bigger graph is a network)")
        return None
    circuit = Circuit(values, _needed(builder.nodes, output), output, **extra, steps=[(n, t) for n, t, _ in steps])
    _check_used(r, top, circuit, steps)
    _read_update(r, top, circuit)
    return circuit


def _read_values(r: Reader, node) -> dict | None:
    items = r.mapping(node, "values")
    if not items:
        if items is not None:
            r.error(node, "values", "expected at least one leaf (`x: -2`)")
        return None
    values = {}
    for name, (key_node, value_node) in items.items():
        if not name.isidentifier() or keyword.iskeyword(name) or name in GATES:
            why = "a function's name" if name in GATES else "not a name an expression can use"
            r.error(key_node, f"values.{name}", f"{name!r} is {why}: use letters, digits and _ (x, w0, x_1)")
            continue
        value = r.number(value_node, f"values.{name}")
        if value is not None:
            values[name] = value
    return values if len(values) == len(items) else None


def _read_steps(r: Reader, top: dict, builder: Builder) -> list | None:
    if "expression" in top:
        node = top["expression"][1]
        text = r.string(node, "expression")
        name = "f"
        if "output" in top and isinstance(top["output"][1], yaml.ScalarNode):
            name = top["output"][1].value
        return _define(r, builder, [(name, text, node, "expression", top["expression"][0])])
    entries = r.sequence(top["define"][1], "define")
    if entries is None:
        return None
    if not entries:
        r.error(top["define"][1], "define", "expected at least one step (`- q: x + y`)")
        return None
    found = []
    for i, entry in enumerate(entries):
        path = f"define[{i + 1}]"
        items = r.mapping(entry, path)
        if items is None or len(items) != 1:
            if items is not None:
                r.error(entry, path, f"expected one `name: expression` per step, got {len(items)} keys")
            continue
        (name, (key_node, value_node)), = items.items()
        if not name.isidentifier() or keyword.iskeyword(name) or name in GATES:
            r.error(key_node, path, f"{name!r} cannot name a node: use letters, digits and _ (q, h1)")
            continue
        found.append((name, r.string(value_node, f"{path}.{name}"), value_node, f"{path}.{name}", key_node))
    return _define(r, builder, found) if len(found) == len(entries) else None


def _define(r: Reader, builder: Builder, found: list) -> list | None:
    from ..errors import Problem

    steps = []
    for i, (name, text, node, path, key_node) in enumerate(found):
        if text is None:
            return None
        builder.later = {later[0]: later[3] for later in reversed(found[i + 1:]) if later[0] not in builder.bound}
        try:
            top = builder.define(name, text, i)
        except ExpressionError as e:
            r.problems.append(Problem(*_inside(r, node, key_node, e.line, e.column), path, str(e)))
            return None
        for n in builder.nodes:
            if n.step == i:
                n.at = _inside(r, node, key_node, n.line, n.column)
        steps.append((top, text, key_node))
    return steps


def _inside(r: Reader, node, key_node, line: int, column: int):
    """Where (line, column) of an expression's text falls in the YAML file."""
    source, at_line, at_column = r.where(node)
    if at_line is None:
        return source, None, None
    if node.style in ("|", ">"):  # a block scalar's text starts on the next line, taken as indented 2 past its key
        return source, at_line + line, key_node.start_mark.column + 2 + column
    quote = 1 if node.style in ("'", '"') else 0
    return source, at_line + line - 1, (at_column + quote + column - 1) if line == 1 else column


def _read_output(r: Reader, top: dict, builder: Builder, steps: list) -> str | None:
    if "output" not in top or "expression" in top:
        if "output" in top:
            r.string(top["output"][1], "output")
        return steps[-1][0]
    name = r.string(top["output"][1], "output")
    if name is None:
        return None
    if name not in builder.bound or name in builder.leaves and builder.bound[name] == name:
        known = [n.name for n in builder.nodes]
        r.error(top["output"][1], "output", f"{name!r} is not a node of the circuit; expected one of: "
                f"{', '.join(known)}{suggest(name, known)}")
        return None
    return builder.bound[name]


def _needed(nodes: list[Node], output: str) -> list[Node]:
    """The nodes the output is computed from (the rest the unused-name check reports)."""
    wanted, keep = {output}, set()
    for n in reversed(nodes):
        if n.name in wanted:
            keep.add(n.name)
            wanted.update(i for i in n.inputs if isinstance(i, str))
    return [n for n in nodes if n.name in keep]


def _check_used(r: Reader, top: dict, circuit: Circuit, steps: list) -> None:
    used = {i for n in circuit.nodes for i in n.inputs if isinstance(i, str)}
    for leaf in circuit.values:
        if leaf not in used:
            key_node = next(k for k, _ in top["values"][1].value if k.value == leaf)
            r.error(key_node, f"values.{leaf}", f"the leaf {leaf} is not used by {circuit.output}: "
                    "remove it or use it in the expression")
    kept = {n.name for n in circuit.nodes}
    for name, _, key_node in steps:
        if name not in kept:
            r.error(key_node, "define", f"{name} is defined but {circuit.output} does not use it: remove the step, "
                    "or name it in `output:`")


def _read_update(r: Reader, top: dict, circuit: Circuit) -> None:
    if "learning_rate" in top:
        circuit.learning_rate = r.number(top["learning_rate"][1], "learning_rate")
    if "parameters" not in top:
        return
    items = r.sequence(top["parameters"][1], "parameters") or []
    for i, item in enumerate(items):
        name = r.string(item, f"parameters[{i + 1}]")
        if name is None:
            continue
        if name not in circuit.values:
            why = "a node, not a leaf" if any(n.name == name for n in circuit.nodes) else "not a leaf"
            r.error(item, f"parameters[{i + 1}]", f"{name!r} is {why}; parameters are leaves of values: "
                    f"{', '.join(circuit.values)}{suggest(name, list(circuit.values))}")
        elif name in circuit.parameters:
            r.error(item, f"parameters[{i + 1}]", f"{name} is listed twice")
        else:
            circuit.parameters.append(name)
    if circuit.parameters and circuit.learning_rate is None:
        r.error(top["parameters"][0], "parameters", "parameters are updated with a learning_rate: add one")


__all__ = ["KEYS", "Circuit", "not_a_network", "read_circuit"]
