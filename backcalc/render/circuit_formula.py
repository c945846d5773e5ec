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
    """q, w0, d_1, c'' as LaTeX symbols (math_text.name's spelling of the user's names, then the primes)."""
    from .math_text import name as symbol

    base = name.rstrip("'")
    primes = "'" * (len(name) - len(base))
    stem, sep, index = base.partition("_")
    if sep and index.isdigit():
        inner = symbol(stem)
        return (f"{{{inner}}}" if "_" in inner else inner) + f"_{{{index}}}" + primes
    return symbol(base) + primes


def tex_operand(x) -> str:
    return tex_name(x) if isinstance(x, str) else (fmt(x, 0).replace("−", "-") if float(x) >= 0
                                                    else f"({fmt(x, 0).replace('−', '-')})")


def tex_formula(gate: str, inputs: list) -> str:
    """The node's gate on its inputs' names, as LaTeX."""
    return "".join(tex_tokens(gate, [[tex_operand(i)] for i in inputs]))


def tex_tokens(gate: str, ops: list[list]) -> list:
    """The gate on operands given as token lists (names, or math_text Nums): numbers written in."""
    a = ops[0]
    b = ops[1] if len(ops) > 1 else []
    if gate == "div":
        return [r"\frac{", *a, "}{", *b, "}"]
    if gate == "pow":
        return ["{", *a, "}^{", *b, "}"]
    if gate in TEX_INFIX:
        return [*a, f" {TEX_INFIX[gate]} ", *b]
    if gate == "neg":
        return ["-", *a]
    if gate == "sqrt":
        return [r"\sqrt{", *a, "}"]
    if gate == "exp":
        return ["e^{", *a, "}"]
    escaped = gate.replace("_", r"\_")
    name = TEX_FUNCTIONS.get(gate, rf"\operatorname{{{escaped}}}")
    return [f"{name}(", *a, *([", ", *b] if b else []), ")"]
