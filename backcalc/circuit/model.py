"""The circuit model: plain data (the leaves' values, the nodes in computation order), cheap to import,
so that telling a circuit from a network costs a command nothing (circuit/spec.py reads one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .expression import Node


@dataclass
class Circuit:
    """A scalar expression graph: its leaves' values and its nodes in computation order."""

    values: dict  # leaf -> its number (an ExactFloat keeps a long decimal's exact value)
    nodes: list[Node]
    output: str
    name: str | None = None
    description: str | None = None
    learning_rate: float | None = None
    parameters: list[str] = field(default_factory=list)
    source: str = "<circuit>"
    steps: list[tuple[str, str]] = field(default_factory=list)  # (node name, text as written)

    @property
    def leaves(self) -> list[str]:
        return list(self.values)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def answer_keys(self):
        """What resolves the keys of an answers file for this circuit (answers.read_answers)."""
        from .answers import CircuitKeys

        return CircuitKeys(self)

    def with_values(self, values: dict) -> Circuit:
        """The same circuit at other leaf values (gradcheck's nudges, `parameters`' update)."""
        from dataclasses import replace

        return replace(self, values={**self.values, **values})


def not_a_network(circuit: Circuit, command: str):
    """The one line for a command that has no meaning on a circuit (train, forward)."""
    from ..errors import UsageError

    return UsageError(f"{command}: {circuit.source} is a circuit (values: and an expression), not a network; "
                      "circuits have step, check, gradcheck and graph")
