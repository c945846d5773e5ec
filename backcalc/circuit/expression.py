"""A circuit's expressions read into gates: Python's `ast` parses, a whitelist keeps what is allowed
(never `eval`), and every sub-expression becomes a named node in computation order.

Naming (docs/circuits.md): a `define:` step's node takes its name; a name defined again is
primed (`c`, `c'`, `c''`); the nodes inside one step are that name with `_1`, `_2`, … in
computation order (`d = a*b + b**3`: `d_1 = a·b`, `d_2 = b^3`, `d = d_1 + d_2`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .ops import FUNCTIONS, GATES

BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
HINTS = {ast.BitXor: "write ** for a power (^ is not a power in Python's grammar)",
         ast.MatMult: "write the products out (x0*w0 + x1*w1)",
         ast.Compare: "comparisons are not gates: use max(a, b) or relu(x)",
         ast.Attribute: "write the function's name alone (exp(x), not math.exp(x))"}
ALLOWED = "+ - * / **, unary minus, numbers, the leaves' names and the functions " + ", ".join(FUNCTIONS)


class ExpressionError(Exception):
    """A problem at (line, column) of one expression's text, both 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.line, self.column = line, column


@dataclass
class Node:
    name: str
    gate: str
    inputs: list  # each a name (a leaf or an earlier node) or a constant number
    step: int  # which define: step (0 for `expression:`) it comes from
    line: int = 1  # where its sub-expression starts in the step's text
    column: int = 1
    at: tuple = (None, None, None)  # (source, line, column) in the spec file, for problems found later


@dataclass
class Builder:
    """Turns expressions into nodes; `bound` maps a written name to the node (or leaf) it means now."""

    leaves: dict
    nodes: list[Node] = field(default_factory=list)
    bound: dict = field(default_factory=dict)
    taken: set = field(default_factory=set)
    later: dict = field(default_factory=dict)  # names the next steps define -> their step, for a clearer error
    text: str = ""  # the step's expression being read

    def __post_init__(self):
        self.bound = {leaf: leaf for leaf in self.leaves}
        self.taken = set(self.leaves)

    def define(self, name: str, text: str, step: int) -> str:
        """Add the nodes of `name = text`; return the node's canonical name (primed if reassigned)."""
        tree = parse(text)
        self.text = text
        top = name if name not in self.taken else self._primed(name)
        counter = iter(range(1, 10**9))
        try:
            operand = self._build(tree.body, step, top, counter, outer=True)
        except RecursionError:
            raise ExpressionError("the expression is nested too deeply to read: split it into define: steps") from None
        if operand != top:  # `b: a` or `b: 2`: an identity gate, so b is a node of its own
            self.nodes.append(Node(top, "identity", [operand], step))
        self.taken.add(top)
        self.bound[name] = top
        return top

    def _primed(self, name: str) -> str:
        primed = name + "'"
        while primed in self.taken:
            primed += "'"
        return primed

    def _fresh(self, top: str, counter) -> str:
        while True:
            name = f"{top}_{next(counter)}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def _build(self, e, step: int, top: str, counter, outer: bool = False):
        if isinstance(e, ast.Constant):
            if isinstance(e.value, bool) or not isinstance(e.value, (int, float)):
                raise ExpressionError(f"expected a number or a name, got {e.value!r}", *at(e))
            return e.value
        if isinstance(e, ast.Name):
            return self._name(e)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.UAdd):
            return self._build(e.operand, step, top, counter, outer)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            if isinstance(e.operand, ast.Constant) and isinstance(e.operand.value, (int, float)) \
                    and not isinstance(e.operand.value, bool):
                return -e.operand.value
            return self._gate("neg", [e.operand], e, step, top, counter, outer)
        if isinstance(e, ast.BinOp) and type(e.op) in BINARY:
            return self._gate(BINARY[type(e.op)], [e.left, e.right], e, step, top, counter, outer)
        if isinstance(e, ast.Call):
            return self._call(e, step, top, counter, outer)
        op = getattr(e, "op", None)
        hint = HINTS.get(type(op), HINTS.get(type(e), f"allowed: {ALLOWED}"))
        what = type(op).__name__ if op is not None else type(e).__name__
        where = at(e)
        if isinstance(e, ast.BinOp):  # point at the operator, the first thing written after the left operand
            line, column = e.left.end_lineno, e.left.end_col_offset
            text = f"({self.text}\n)".split("\n")[line - 1]
            column += len(text[column:]) - len(text[column:].lstrip(" )"))
            where = (line, column + (0 if line == 1 else 1))
        raise ExpressionError(f"{_spelled(what)} is not allowed in a circuit: {hint}", *where)

    def _call(self, e: ast.Call, step: int, top: str, counter, outer: bool):
        if not isinstance(e.func, ast.Name) or e.func.id not in GATES or GATES[e.func.id].symbol:
            spelled = e.func.id if isinstance(e.func, ast.Name) else ast.unparse(e.func)
            if isinstance(e.func, ast.Attribute):
                raise ExpressionError(f"`{spelled}`: {HINTS[ast.Attribute]}", *at(e))
            raise ExpressionError(f"unknown function `{spelled}`; expected one of: {', '.join(FUNCTIONS)}"
                                  f"{_close(spelled, FUNCTIONS)}", *at(e))
        gate = GATES[e.func.id]
        if e.keywords or len(e.args) != gate.arity:
            wanted = "one argument" if gate.arity == 1 else f"{gate.arity} arguments"
            raise ExpressionError(f"{e.func.id}() takes {wanted}, got {len(e.args) + len(e.keywords)}",
                                  *at(e))
        return self._gate(gate.name, e.args, e, step, top, counter, outer)

    def _gate(self, gate: str, args: list, e, step: int, top: str, counter, outer: bool) -> str:
        inputs = [self._build(a, step, top, counter) for a in args]
        name = top if outer else self._fresh(top, counter)
        self.nodes.append(Node(name, gate, inputs, step, *at(e)))
        return name

    def _name(self, e: ast.Name) -> str:
        if e.id in self.bound:
            return self.bound[e.id]
        if e.id in GATES:
            raise ExpressionError(f"`{e.id}` is a function: call it, as {e.id}(x)", *at(e))
        if e.id in self.later:
            raise ExpressionError(f"`{e.id}` is defined in a later step ({self.later[e.id]}): steps run in order, "
                                  "so define it before it is used (a name cannot depend on itself)", *at(e))
        known = sorted(self.bound)
        raise ExpressionError(f"unknown name `{e.id}`: not a leaf (values:) nor defined in an earlier step; "
                              f"known: {', '.join(known)}{_close(e.id, known)}", *at(e))


def at(e) -> tuple[int, int]:
    """(line, column), 1-based, of a node in the expression's own text (parse wraps it in parentheses)."""
    return e.lineno, e.col_offset + (0 if e.lineno == 1 else 1)


def parse(text: str) -> ast.Expression:
    """The expression's syntax tree; a syntax error located in the text.

    Parsed inside parentheses, so an expression may run over several lines (a YAML block scalar)."""
    try:
        return ast.parse(f"({text}\n)", mode="eval")
    except (RecursionError, MemoryError):
        return _raise("nested too deeply to read: split it into define: steps", 1, 1)
    except SyntaxError as e:
        message = (e.msg or "invalid syntax").replace("invalid syntax. Perhaps you forgot a comma?", "invalid syntax")
        if "=" in text and "==" not in text and "=" in (e.msg or ""):
            message = "an expression has no `=`: write the name as the define: step's key (- q: x + y)"
        line, column = e.lineno or 1, e.offset or 1
        lines = text.rstrip("\n").split("\n")
        if line > len(lines):  # past the text: the end of its last line (an unfinished expression)
            line, column = len(lines), len(lines[-1]) + 2
        return _raise(message, line, column - 1 if line == 1 else column)


def _raise(message: str, line: int, column: int):
    raise ExpressionError(f"bad expression: {message}", line, column)


def _close(word: str, options) -> str:
    from ..reader import suggest

    return suggest(word, options)


def _spelled(what: str) -> str:
    return {"BitXor": "`^`", "MatMult": "`@`", "Mod": "`%`", "FloorDiv": "`//`", "Compare": "a comparison",
            "Attribute": "an attribute", "Subscript": "indexing", "List": "a list", "Tuple": "a tuple",
            "IfExp": "`if … else`", "Lambda": "a lambda", "BoolOp": "`and`/`or`", "Not": "`not`",
            "Invert": "`~`", "BitAnd": "`&`", "BitOr": "`|`", "LShift": "`<<`", "RShift": "`>>`",
            "NamedExpr": "`:=`"}.get(what, what)
