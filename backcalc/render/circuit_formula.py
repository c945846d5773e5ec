"""A circuit node's formula and local derivatives as text: Unicode for tables and graphs, LaTeX for documents."""

from __future__ import annotations

from .numbers import fmt

INFIX = {"add": "+", "sub": "−", "mul": "·", "div": "/", "pow": "^"}
TEX_INFIX = {"add": "+", "sub": "-", "mul": r"\cdot", "pow": "^"}
TEX_FUNCTIONS = {"exp": r"\exp", "log": r"\log", "sqrt": r"\sqrt", "tanh": r"\tanh", "sigmoid": r"\sigma",
                 "max": r"\max", "min": r"\min", "abs": "abs"}
# ∂(node)/∂(input) for each gate, slots {a} {b} (the inputs) and {o} (the node's value)
LOCAL = {"add": ("1", "1"), "sub": ("1", "−1"), "mul": ("{b}", "{a}"), "div": ("1/{b}", "−{a}/{b}²"),
         "pow": ("{b}·{a}^({b}−1)", "{o}·log {a}"), "neg": ("−1",), "exp": ("e^{a} = {o}",),
         "log": ("1/{a}",), "sqrt": ("1/(2·{o})",), "abs": ("sign({a})",), "tanh": ("1 − {o}²",),
         "sigmoid": ("{o}·(1 − {o})",), "relu": ("1 if {a} > 0 else 0",),
         "max": ("1 if {a} wins else 0", "1 if {b} wins else 0"),
         "min": ("1 if {a} wins else 0", "1 if {b} wins else 0")}


def operand(x) -> str:
    return x if isinstance(x, str) else fmt(x, 0).replace("−", "-") if float(x) >= 0 else f"({fmt(x, 0)})"


def formula(gate: str, inputs: list) -> str:
    """`x + y`, `q · z`, `max(x, y)`, `−a`, `b^3`: the node's gate on its inputs' names."""
    ops = [operand(i) for i in inputs]
    if gate in INFIX:
        return f"{ops[0]} {INFIX[gate]} {ops[1]}" if gate != "pow" else f"{ops[0]}^{ops[1]}"
    if gate == "neg":
        return f"−{ops[0]}"
    return f"{gate}({', '.join(ops)})"


def local_formula(gate: str, inputs: list, name: str, slot: int) -> str:
    """∂name/∂input as a formula of the inputs' names, or '' where the gate has none written."""
    slots = LOCAL.get(gate)
    if slots is None or slot >= len(slots):
        return ""
    ops = [operand(i) for i in inputs] + [""]
    return slots[slot].format(a=ops[0], b=ops[1], o=name)


def tex_name(name: str) -> str:
    base, _, primes = name.partition("'")
    primes = "'" + primes if _ else ""
    stem, sep, index = base.partition("_")
    text = stem if len(stem) == 1 else rf"\mathrm{{{stem}}}"
    if sep:
        text += f"_{{{index}}}"
    return text + "'" * len(primes)


def tex_operand(x) -> str:
    return tex_name(x) if isinstance(x, str) else (fmt(x, 0).replace("−", "-") if float(x) >= 0
                                                    else f"({fmt(x, 0).replace('−', '-')})")


def tex_formula(gate: str, inputs: list) -> str:
    ops = [tex_operand(i) for i in inputs]
    if gate == "div":
        return rf"\frac{{{ops[0]}}}{{{ops[1]}}}"
    if gate == "pow":
        return f"{{{ops[0]}}}^{{{ops[1]}}}"
    if gate in TEX_INFIX:
        return f"{ops[0]} {TEX_INFIX[gate]} {ops[1]}"
    if gate == "neg":
        return f"-{ops[0]}"
    if gate == "sqrt":
        return rf"\sqrt{{{ops[0]}}}"
    escaped = gate.replace("_", r"\_")
    name = TEX_FUNCTIONS.get(gate, rf"\operatorname{{{escaped}}}")
    return f"{name}({', '.join(ops)})"
