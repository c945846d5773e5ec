"""A circuit's worked step in any arithmetic (Float, Exact, ByHand): every node's value and local
derivatives forward, every gradient backward (added at forks, routed by max and min), the update.

`given` carries a student's own numbers forward (check): a key found there replaces the computed
number before anything after it reads it. `mistake` changes a gate's local derivatives (check's
named circuit mistakes) before they are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..arithmetic import Float
from ..errors import NumericError, UsageError
from ..result import plain
from .expression import Node
from .ops import GATES, domain_problem, winner
from .spec import Circuit


@dataclass
class Use:
    """One wire out of a name: into `node` as its input `slot`, carrying local·upstream back."""

    node: str
    slot: int
    local: object
    upstream: object
    grad: object


@dataclass
class NodeStep:
    name: str
    gate: str
    inputs: list  # names and constants, as the node reads them
    args: list  # the inputs' values
    value: object
    local: list  # ∂value/∂input for each input slot
    grad: object = None  # ∂output/∂node, summed over its uses
    routed: int | None = None  # max/min: the input slot the gradient goes to
    sent: list = field(default_factory=list)  # local·grad back to each input slot (None: a constant)

    def to_dict(self) -> dict:
        local: dict = {}
        for i, x in zip(self.inputs, self.local):
            if isinstance(i, str):
                local[i] = local[i] + x if i in local else x
        return {"name": self.name, "op": self.gate, "inputs": [i if isinstance(i, str) else plain(i)
                                                               for i in self.inputs],
                "value": plain(self.value), "local": {k: plain(v) for k, v in local.items()},
                "grad": plain(self.grad)}


@dataclass
class CircuitStep:
    circuit: Circuit
    nodes: list[NodeStep]
    leaves: dict  # leaf -> its value in the arithmetic
    grads: dict  # every name (leaf or node) -> ∂output/∂name
    uses: dict  # every name -> its Uses, in backward order
    new_values: dict = field(default_factory=dict)  # parameter -> its updated value
    exact: bool = False
    decimals: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def value(self):
        return self.nodes[-1].value if self.nodes[-1].name == self.circuit.output else self.node(
            self.circuit.output).value

    def node(self, name: str) -> NodeStep:
        return next(n for n in self.nodes if n.name == name)

    def forks(self) -> dict:
        """Names used more than once: their gradient is the sum over these uses."""
        return {name: uses for name, uses in self.uses.items() if len(uses) > 1}

    def to_dict(self) -> dict:
        c = self.circuit
        return {
            "kind": "circuit", "name": c.name, "output": c.output, "value": plain(self.value),
            "leaves": {k: plain(v) for k, v in self.leaves.items()},
            "gradients": {leaf: plain(self.grads[leaf]) for leaf in c.leaves},
            "nodes": [n.to_dict() for n in self.nodes],
            "forks": {name: [{"into": u.node, "local": plain(u.local), "upstream": plain(u.upstream),
                              "grad": plain(u.grad)} for u in uses] for name, uses in self.forks().items()},
            "learning_rate": plain(c.learning_rate), "parameters": list(c.parameters),
            "new_values": {k: plain(v) for k, v in self.new_values.items()},
            "exact": self.exact, "round": self.decimals,
        }


def not_exact(circuit: Circuit) -> str | None:
    """Why the circuit has no exact (rational) step, or None."""
    for n in circuit.nodes:
        gate = GATES[n.gate]
        if not gate.exact:
            return f"{n.name} = {n.gate}(…) has no rational value"
        if n.gate == "pow" and not (not isinstance(n.inputs[1], str) and float(n.inputs[1]).is_integer()):
            return f"{n.name} is a power with a {'variable' if isinstance(n.inputs[1], str) else 'fractional'} " \
                   "exponent, which has no rational value"
    return None


def worked_step(circuit: Circuit, arithmetic=None, given: dict | None = None, mistake=None) -> CircuitStep:
    """The circuit's step in `arithmetic` (default float64)."""
    arith = arithmetic or Float()
    if arith.exact and (why := not_exact(circuit)):
        raise UsageError(f"--exact: {why}; drop --exact, or use --round N to compute it as by hand")
    given = given or {}

    def record(x, what: str = ""):
        values = np.array([x], dtype=object if isinstance(x, Fraction) else float)
        out = arith.record(values, what)[0]
        return out if isinstance(out, Fraction) else float(out)

    leaves = {k: given.get(("value", k), arith.scalar(float(v) if not arith.exact else v))
              for k, v in circuit.values.items()}
    nodes = _forward(circuit, arith, leaves, record, given, mistake)
    grads, uses = _backward(circuit, nodes, leaves, record, given)
    step = CircuitStep(circuit, nodes, leaves, grads, uses, exact=arith.exact, decimals=arith.decimals)
    if circuit.learning_rate is not None:
        lr = arith.scalar(circuit.learning_rate)
        step.new_values = {p: given.get(("new", p), record(leaves[p] - record(lr * grads[p])))
                           for p in circuit.parameters}
    return step


def _forward(circuit: Circuit, arith, leaves: dict, record, given: dict, mistake) -> list[NodeStep]:
    env = dict(leaves)
    out = []
    for n in circuit.nodes:
        gate = GATES[n.gate]
        args = [env[i] if isinstance(i, str) else arith.scalar(i) for i in n.inputs]
        _check_domain(n, gate, args)
        try:
            value = given.get(("value", n.name), record(gate.value(args), n.name))
        except OverflowError:
            raise NumericError(f"circuit: {n.name} = {n.gate}(…) overflows a float") from None
        if not isinstance(value, Fraction) and not np.isfinite(value):
            raise NumericError(f"circuit: {n.name} = {n.gate}(…) is not finite ({value})")
        local = [record(x) for x in gate.local(args, value)]
        if mistake is not None:
            local = mistake(n, gate, args, local)
        local = [given.get(("local", n.name, i), x) if isinstance(i, str) else x for i, x in zip(n.inputs, local)]
        env[n.name] = value
        out.append(NodeStep(n.name, n.gate, list(n.inputs), args, value, local,
                            routed=winner(gate, args) if gate.routes else None))
    return out


def _check_domain(n: Node, gate, args: list) -> None:
    problem = domain_problem(gate, args)
    if problem is None and n.gate == "pow" and isinstance(n.inputs[1], str) and not args[0] > 0:
        problem = "a power with a variable exponent needs a positive base (its derivative takes log of it)"
    if problem is not None:
        from ..errors import Problem, SpecError

        shown = ", ".join(f"{i} = {float(a):g}" if isinstance(i, str) else f"{float(a):g}"
                          for i, a in zip(n.inputs, args))
        raise SpecError([Problem(*n.at, n.name, f"{n.gate}({shown}): {problem}")])


def _backward(circuit: Circuit, nodes: list[NodeStep], leaves: dict, record, given: dict):
    zero = next(iter(leaves.values())) * 0
    grads: dict = {circuit.output: given.get(("grad", circuit.output), zero + 1)}
    uses: dict = {name: [] for name in [*leaves, *(n.name for n in nodes)]}
    fan_out = {name: 0 for name in uses}
    for n in nodes:
        for i in n.inputs:
            if isinstance(i, str):
                fan_out[i] += 1
    for n in reversed(nodes):
        n.grad = grads.get(n.name, zero)
        n.sent = [None] * len(n.inputs)
        for slot, (i, local) in enumerate(zip(n.inputs, n.local)):
            if not isinstance(i, str):
                continue
            g = n.sent[slot] = record(n.grad * local)
            uses[i].append(Use(n.name, slot, local, n.grad, g))
            grads[i] = record(grads[i] + g) if i in grads else g
            if len(uses[i]) == fan_out[i]:  # every use is in: the student's number replaces it
                grads[i] = given.get(("grad", i), grads[i])
    for leaf in leaves:
        grads.setdefault(leaf, zero)
    return grads, uses
