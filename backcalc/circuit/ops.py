"""A circuit's gates: each one's value next to its local derivatives, once (as micrograd's `Value` ops).

`value(args)` and `local(args, out)` take plain numbers: floats, or Fractions when the step is
exact; `exact` says whether a gate stays rational. The registry's elementwise activations are
gates by their own name and reuse their entry's value and derivative, so a formula lives once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..activations import ACTIVATIONS, ALIASES, get_activation


@dataclass(frozen=True)
class Gate:
    name: str
    arity: int
    value: Callable  # (args) -> the output
    local: Callable  # (args, out) -> ∂out/∂arg for each argument
    exact: bool  # rational arguments give a rational output and derivatives
    symbol: str = ""  # an infix operator's sign; "" for a function
    routes: bool = False  # max/min: the gradient goes to the winner only


def _sign(x):
    return (x > 0) - (x < 0)


def _winner(args, pick) -> int:
    # at a tie the first argument wins (as written), so the gradient is never split
    return 0 if pick(args[0], args[1]) == args[0] else 1


def _route(args, pick) -> list:
    w = _winner(args, pick)
    one, zero = args[0] * 0 + 1, args[0] * 0
    return [one if i == w else zero for i in range(2)]


def _power(args):
    base, exponent = args
    if isinstance(base, Fraction) and isinstance(exponent, Fraction):
        return base ** int(exponent)  # exact() admits whole exponents only
    return float(base) ** float(exponent)


def _power_local(args, out):
    base, exponent = args
    d_base = exponent * _power([base, exponent - 1]) if exponent != 0 else base * 0
    d_exp = out * math.log(base) if not isinstance(out, Fraction) and base > 0 else out * 0
    return [d_base, d_exp]


def _registry_gate(name: str) -> Gate:
    act = get_activation(name)

    def array(x):
        return np.array([x], dtype=object if isinstance(x, Fraction) else float)

    def value(args):
        return act.forward(array(args[0]), 0.01)[0]

    def local(args, out):
        return [act.derivative(array(args[0]), array(out), 0.01)[0]]

    return Gate(name, 1, value, local, act.exact)


GATES: dict[str, Gate] = {g.name: g for g in [
    Gate("add", 2, lambda a: a[0] + a[1], lambda a, o: [a[0] * 0 + 1, a[0] * 0 + 1], True, "+"),
    Gate("sub", 2, lambda a: a[0] - a[1], lambda a, o: [a[0] * 0 + 1, a[0] * 0 - 1], True, "−"),
    Gate("mul", 2, lambda a: a[0] * a[1], lambda a, o: [a[1], a[0]], True, "·"),
    Gate("div", 2, lambda a: a[0] / a[1], lambda a, o: [1 / a[1], -a[0] / (a[1] * a[1])], True, "/"),
    Gate("pow", 2, _power, _power_local, True, "^"),
    Gate("neg", 1, lambda a: -a[0], lambda a, o: [a[0] * 0 - 1], True, "−"),
    Gate("exp", 1, lambda a: math.exp(a[0]), lambda a, o: [o], False),
    Gate("log", 1, lambda a: math.log(a[0]), lambda a, o: [1 / a[0]], False),
    Gate("sqrt", 1, lambda a: math.sqrt(a[0]), lambda a, o: [1 / (2 * o)], False),
    Gate("abs", 1, lambda a: abs(a[0]), lambda a, o: [a[0] * 0 + _sign(a[0])], True),
    Gate("max", 2, lambda a: max(a[0], a[1]), lambda a, o: _route(a, max), True, routes=True),
    Gate("min", 2, lambda a: min(a[0], a[1]), lambda a, o: _route(a, min), True, routes=True),
    *(_registry_gate(n) for n, act in ACTIVATIONS.items() if act.elementwise and n not in ("identity",)),
]}
for _alias, _name in {**ALIASES, "identity": "identity"}.items():
    GATES.setdefault(_alias, _registry_gate(_name))

FUNCTIONS = sorted(n for n, g in GATES.items() if not g.symbol)


def winner(gate: Gate, args) -> int:
    """Which argument a max or min gate routes its gradient to."""
    return _winner(args, max if gate.name == "max" else min)


def domain_problem(gate: Gate, args) -> str | None:
    """Why `args` are outside the gate's domain (log of 0, a negative square root), or None."""
    if gate.name == "log" and not args[0] > 0:
        return "log needs a positive argument"
    if gate.name == "sqrt" and not args[0] > 0:
        return "sqrt needs a positive argument (its derivative at 0 is infinite)"
    if gate.name == "div" and args[1] == 0:
        return "division by zero"
    if gate.name == "pow":
        base, exponent = args
        if base == 0 and exponent < 1:
            return "0 to a power below 1 has no finite derivative"
        if base < 0 and exponent != int(exponent):
            return "a negative number to a fractional power is not real"
    return None
