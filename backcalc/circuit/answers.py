"""The keys of a circuit's answers file: node and leaf names (docs/circuits.md).

`q` a node's value, `dq` or `df/dq` its gradient (f the output), `dq/dx` the local derivative of
node q with respect to its input x, `x_new` (or `new_x`) a parameter's updated value. `∂` may be
written for `d`; primes as `'` or `′`.
"""

from __future__ import annotations

import re

from ..reader import suggest

_DERIVATIVE = re.compile(r"^d(?P<num>[^/]*)/d(?P<den>.+)$")
_NEW = (re.compile(r"^(?P<p>.+)_new$"), re.compile(r"^new_(?P<p>.+)$"))


def normalise(key: str) -> str:
    return "".join(key.split()).replace("∂", "d").replace("′", "'").replace("″", "''").replace("‴", "'''")


class CircuitKeys:
    """Resolves an answer's key to ("value", name), ("grad", name), ("local", node, input) or ("new", p)."""

    def __init__(self, circuit):  # a circuit.spec.Circuit (which imports this module when asked for its keys)
        self.circuit = circuit
        self.names = [*circuit.leaves, *(n.name for n in circuit.nodes)]

    def resolve(self, written: str) -> tuple:
        key = normalise(written)
        out = self.circuit.output
        if key in self.names:
            return ("value", key)
        for form in _NEW:
            if (m := form.match(key)) and m["p"] in self.circuit.parameters:
                return ("new", m["p"])
        m = _DERIVATIVE.match(key)
        if m and m["num"] in ("", out) and m["den"] in self.names:
            return ("grad", m["den"])
        if m and m["num"] in self.names and not self._output_as_written(m["num"], m["den"]):
            return self._local(m["num"], m["den"], written)
        if m and m["den"] in self.names and self._output_as_written(m["num"], m["den"]):
            return ("grad", m["den"])
        if key.startswith("d") and key[1:] in self.names:
            return ("grad", key[1:])
        raise ValueError(self._unknown(written, key))

    def _output_as_written(self, name: str, wrt: str) -> bool:
        """`dg/da` for a reassigned output g'' (the name as the student writes it), unless a is g's own input."""
        out = self.circuit.output
        if name != out.rstrip("'") or name == out:
            return False
        node = next((n for n in self.circuit.nodes if n.name == name), None)
        return node is None or wrt not in node.inputs

    def _local(self, node: str, wrt: str, written: str) -> tuple:
        if node in self.circuit.leaves:
            raise ValueError(f"{node} is a leaf: it has no local derivative (d{out_of(self)}/d{node} is its gradient)")
        inputs = [i for i in self.circuit.node(node).inputs if isinstance(i, str)]
        if wrt not in inputs:
            raise ValueError(f"{node}'s inputs are {', '.join(inputs) or 'constants only'}, not {wrt}: "
                             f"d{node}/d{wrt} is no local derivative (write d{out_of(self)}/d{wrt} for the gradient)")
        return ("local", node, wrt)

    def _unknown(self, written: str, key: str) -> str:
        out = self.circuit.output
        shown = ", ".join(self.names[:12]) + (" …" if len(self.names) > 12 else "")
        hint = suggest(key, self.names) or suggest(key, [f"d{out}/d{n}" for n in self.names])
        return (f"unknown quantity {written!r}: expected a node or leaf ({shown}), its gradient (d{out}/dx or dx), "
                f"a local derivative (dq/dx) or a parameter's new value (x_new){hint}")


def out_of(keys: CircuitKeys) -> str:
    return keys.circuit.output


def key_text(key: tuple, output: str) -> str:
    """The canonical spelling of a key, as check's table names it."""
    kind = key[0]
    if kind == "value":
        return key[1]
    if kind == "grad":
        return f"d{output}/d{key[1]}"
    if kind == "local":
        return f"d{key[1]}/d{key[2]}"
    return f"{key[1]}_new"
