"""The LaTeX a worked solution is written in (math_text.py, the registry's templates) as MathML Core.

Only the part of LaTeX those templates and math_text write is read: groups, `^` and `_`,
\\frac and \\tfrac, \\sqrt, \\mathrm and \\text, \\hat, \\underline (a blank), \\left/\\right, \\big (fixed),
spacing, Greek letters and a few operators; an unknown command is shown by its name, never
dropped. Browsers render MathML natively, so the page needs no script or font for its maths.
"""

from __future__ import annotations

import re
from html import escape

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[0-9]+(?:\.[0-9]+)?|\s+|.", re.S)
_SYMBOLS = {"partial": "∂", "ell": "ℓ", "delta": "δ", "eta": "η", "sigma": "σ", "beta": "β", "alpha": "α",
            "epsilon": "ϵ", "varepsilon": "ε", "lambda": "λ", "mu": "μ", "theta": "θ", "gamma": "γ", "pi": "π",
            "Delta": "Δ", "nabla": "∇", "infty": "∞"}
_OPERATORS = {"cdot": "⋅", "times": "×", "le": "≤", "ge": "≥", "leq": "≤", "geq": "≥", "sim": "∼", "sum": "∑",
              "dots": "…", "ldots": "…", "cdots": "⋯", "backslash": "\\", "to": "→", "pm": "±", "neq": "≠",
              "approx": "≈", "leftarrow": "←"}
_FUNCTIONS = ("log", "exp", "max", "min", "tanh", "ln", "sin", "cos", "sqrt")
_SPACES = {"quad": "1em", "qquad": "2em", ",": "0.1667em", ";": "0.2778em", " ": "0.25em", ":": "0.2222em"}
_ESCAPED = {"{": "{", "}": "}", "_": "_", "#": "#", "$": "$", "%": "%", "&": "&"}
_FENCES = "()[]|"
_SIZED = {"big": "1.2em", "bigl": "1.2em", "bigr": "1.2em", "Big": "1.6em", "bigg": "2.1em", "Bigg": "2.6em"}
_PAREN_OPEN, _PAREN_CLOSE = '<mo lspace="0" rspace="0">(</mo>', '<mo lspace="0" rspace="0">)</mo>'
BLANK_CLASS = "blank"
# every command the converter reads (any other is shown by its name)
KNOWN = frozenset({"frac", "tfrac", "dfrac", "sqrt", "mathrm", "operatorname", "text", "hat", "underline", "left",
                   "right", *_SIZED, *_SYMBOLS, *_OPERATORS, *_FUNCTIONS, *_SPACES, *_ESCAPED})


def to_mathml(latex: str, display: bool = False) -> str:
    """One formula as a <math> element."""
    body = _Parser(latex).row()
    mode = ' display="block"' if display else ""
    return f'<math{mode}><mrow>{body}</mrow></math>'


def aligned_mathml(lines: list[str]) -> str:
    """Aligned lines `lhs &= rest` (math_text.split_lines) as one displayed table of two columns."""
    rows = []
    for line in lines:
        left, _, right = line.partition("&")
        rows.append(f'<mtr><mtd style="text-align: right">{_Parser(left).row()}</mtd>'
                    f'<mtd style="text-align: left">{_Parser(right).row()}</mtd></mtr>')
    return f'<math display="block"><mtable>{"".join(rows)}</mtable></math>'


class _Parser:
    def __init__(self, latex: str):
        self.tokens = [t for t in _TOKEN.findall(latex)]
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str | None:
        token = self.peek()
        self.at += 1
        return token

    def skip_spaces(self) -> None:
        while (token := self.peek()) is not None and token.isspace():
            self.take()

    def row(self, until: str | None = None) -> str:
        """Atoms up to `until` (a closing brace or \\right) or the end, each with its scripts."""
        out = []
        while (token := self.peek()) is not None and token != until:
            if token in ("^", "_"):  # a script on nothing (`{}^2`)
                out.append(self.scripted("<mrow></mrow>"))
                continue
            atom = self.atom()
            if atom:
                out.append(self.scripted(atom))
        if until is not None and self.peek() == until:
            self.take()
        return "".join(out)

    def scripted(self, base: str) -> str:
        sub = sup = None
        while self.peek() in ("^", "_"):
            which = self.take()
            arg = self.argument()
            if which == "^":
                sup = arg
            else:
                sub = arg
        if sub is not None and sup is not None:
            return f"<msubsup>{base}<mrow>{sub}</mrow><mrow>{sup}</mrow></msubsup>"
        if sup is not None:
            return f"<msup>{base}<mrow>{sup}</mrow></msup>"
        if sub is not None:
            return f"<msub>{base}<mrow>{sub}</mrow></msub>"
        return base

    def argument(self) -> str:
        """A command's or a script's argument: a braced group or one token."""
        self.skip_spaces()
        if self.peek() == "{":
            self.take()
            return self.row("}")
        if self.peek() is None:
            return ""
        return self.atom() or ""

    def raw_group(self) -> str:
        """A braced group's text as written (\\mathrm, \\text): escapes undone, spaces kept."""
        self.skip_spaces()
        if self.peek() != "{":
            return self.take() or ""
        self.take()
        depth, out = 0, []
        while (token := self.take()) is not None:
            if token == "}" and depth == 0:
                break
            depth += token == "{"
            depth -= token == "}"
            if token.startswith("\\") and len(token) == 2:
                out.append(_ESCAPED.get(token[1], " " if token[1] == " " else token[1]))
            elif token.startswith("\\"):
                out.append({"hat": "^", "sim": "~", "backslash": "\\"}.get(token[1:], token[1:]))
            else:
                out.append(token)
        return "".join(out)

    def atom(self) -> str:
        token = self.take()
        if token is None or token.isspace():
            return ""
        if token == "{":
            return f"<mrow>{self.row('}')}</mrow>"
        if token == "}":
            return ""
        if token == "&":
            return ""
        if token.startswith("\\"):
            return self.command(token[1:])
        if token[0].isdigit():
            return f"<mn>{token}</mn>"
        if token.isalpha():
            return f"<mi>{escape(token)}</mi>"
        if token == "-":
            return "<mo>−</mo>"
        if token == "'":
            return "<mo>′</mo>"
        if token == "(":  # one group up to its `)`, so that `(y - t)^2` squares the whole
            inner = self.row(")")
            closed = self.tokens[self.at - 1] == ")"
            return f"<mrow>{_PAREN_OPEN}{inner}{_PAREN_CLOSE if closed else ''}</mrow>"
        if token in _FENCES:  # in the middle of a row a fence would get an operator's spacing
            return f'<mo lspace="0" rspace="0">{escape(token)}</mo>'
        return f"<mo>{escape(token)}</mo>"

    @staticmethod
    def fence(token: str | None) -> str:
        token = (token or ".").removeprefix("\\")
        return "" if token == "." else f'<mo stretchy="true" lspace="0" rspace="0">{escape(token)}</mo>'

    def command(self, name: str) -> str:
        if name in ("frac", "tfrac", "dfrac"):
            top, bottom = self.argument(), self.argument()
            style = ' displaystyle="false"' if name == "tfrac" else ""
            return f"<mfrac{style}><mrow>{top}</mrow><mrow>{bottom}</mrow></mfrac>"
        if name == "sqrt":
            return f"<msqrt>{self.argument()}</msqrt>"
        if name in ("mathrm", "operatorname"):
            return f'<mi mathvariant="normal">{escape(self.raw_group())}</mi>'
        if name == "text":
            return f"<mtext>{escape(self.raw_group())}</mtext>"
        if name == "hat":
            return f'<mover accent="true"><mrow>{self.argument()}</mrow><mo>^</mo></mover>'
        if name == "underline":
            self.argument()  # the spacing inside: a blank is one fixed width
            return f'<mspace class="{BLANK_CLASS}" width="3em" height="0.9em" depth="0.25em"></mspace>'
        if name == "left":  # one group from \left to \right, so a script after \right) is the group's
            opening = self.fence(self.take())
            inner = self.row("\\right")
            return f"<mrow>{opening}{inner}{self.fence(self.take())}</mrow>"
        if name == "right":  # a \right without its \left
            return self.fence(self.take())
        if name in _SIZED:  # \big| (a circuit's "along this path"): the fence at a fixed size
            token = (self.take() or ".").removeprefix("\\")
            size = _SIZED[name]
            return "" if token == "." else (f'<mo stretchy="false" minsize="{size}" maxsize="{size}" lspace="0" '
                                            f'rspace="0">{escape(token)}</mo>')
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"></mspace>'
        if name in _SYMBOLS:
            return f"<mi>{_SYMBOLS[name]}</mi>"
        if name in _OPERATORS:
            return f"<mo>{_OPERATORS[name]}</mo>"
        if name in _FUNCTIONS:
            return f"<mi>{name}</mi><mspace width=\"0.1667em\"></mspace>"
        if len(name) == 1:  # an escaped character: \{ \_ \# …
            return f"<mo>{escape(_ESCAPED.get(name, name))}</mo>"
        return f'<mi mathvariant="normal">{escape(name)}</mi>'
