"""A worked solution's math as LaTeX text (GitHub renders the same syntax): numbers, the user's
names as symbols, a registry entry's templates filled with numbers, and equations cut into
aligned lines."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from string import Formatter

from .numbers import short
from .solution_blocks import BLANK, Equation, Num


def number(value, digits: int) -> str:
    """A number in LaTeX math: ASCII minus, ×10^k for scientific notation, \\tfrac for p/q."""
    if isinstance(value, Fraction) and value.denominator != 1:
        text = short(value, digits)
        if "/" in text:
            sign = "-" if value < 0 else ""
            return rf"{sign}\tfrac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    text = short(value, digits).replace("−", "-")
    if text == "nan":
        return r"\mathrm{NaN}"
    if text in ("inf", "-inf"):
        return text.replace("inf", r"\infty")
    if text == "—":
        return r"\text{--}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def render_token(token, digits: int, blank: bool) -> str:
    if isinstance(token, str):
        return token
    if blank and not token.given:
        return BLANK
    text = number(token.value, digits if token.digits is None else token.digits)
    if token.wrap and (text.startswith("-") or "\\" in text):
        return f"({text})"
    return text


def render_expr(tokens: list, digits: int, blank: bool) -> str:
    return "".join(render_token(t, digits, blank) for t in tokens)


_SIMPLE = re.compile(r"^([A-Za-z]+)(\d+)(?:_(\d+))?$")
_DEFAULT = re.compile(r"^([A-Za-z])(\d+)\[(\d+(?:,\d+)*)\]$")
_MATH_ESCAPES = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#", "$": r"\$",
                 "%": r"\%", "&": r"\&", "^": r"\hat{}", "~": r"\sim ", " ": r"\ "}


def name(text: str) -> str:
    """A user's name (w5, h2_1, W1[1,2], out, anything) as a LaTeX math symbol."""
    m = _SIMPLE.match(text)
    if m:
        letters, index, sub = m.groups()
        base = letters if len(letters) == 1 else rf"\mathrm{{{letters}}}"
        return f"{base}_{{{index}{',' + sub if sub else ''}}}"
    m = _DEFAULT.match(text)
    if m:
        letter, layer, index = m.groups()
        return f"{letter}^{{({layer})}}_{{{index}}}"
    if re.fullmatch(r"[A-Za-z]", text):
        return text
    body = "".join(_MATH_ESCAPES.get(c, c) for c in ascii_text(text))
    return rf"\mathrm{{{body}}}"


def ascii_text(text: str) -> str:
    """pdflatex cannot typeset arbitrary Unicode: letters lose their accents, the rest becomes '?'."""
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return out if out or not text else "?"


def d(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def fill(template: str, slots: dict) -> list:
    """A registry entry's LaTeX template with its {slots} filled: text, a Num, or a list of tokens.

    `{alpha:bare}` writes a Num without the parentheses an operand gets.
    """
    tokens: list = []
    for literal, field_name, spec, _conv in Formatter().parse(template):
        if literal:
            tokens.append(literal)
        if field_name is not None:
            value = slots[field_name]
            if isinstance(value, Num) and spec == "bare":
                value = Num(value.value, value.given, False, value.digits)
            tokens.extend(value if isinstance(value, list) else [value])
    return tokens if any(isinstance(t, Num) for t in tokens) else ["".join(tokens)]


def join_tokens(groups: list[list], sep: str) -> list:
    out: list = []
    for k, g in enumerate(groups):
        if k:
            out.append(sep)
        out.extend(g)
    return out


def split_lines(eq: Equation, digits: int, blank: bool, width: int = 70) -> list[str]:
    """An equation as aligned lines `lhs &= a = b`; a long one breaks before each `=`, and a side
    still too long breaks before a `+` of its outermost sum, the next line indented."""
    lhs = render_expr(eq.lhs, digits, blank)
    sides = [render_expr(side, digits, blank) for side in eq.sides]
    one = f"{lhs} &= " + " = ".join(sides)
    if visible_width(one) <= width:
        return [one]
    lines = []
    for k, side in enumerate(sides):
        head = f"{lhs} &= " if k == 0 else "&= "
        first, *rest = wrap_sum(side, width - visible_width(head))
        lines.append(head + first)
        lines += [rf"&\quad {{}}+ {chunk}" for chunk in rest]
    return lines


def wrap_sum(latex: str, width: int) -> list[str]:
    """A formula cut before the `+` signs outside any braces or \\left…\\right into lines of at most
    `width` visible characters (a single term longer than that stays whole)."""
    terms, start, depth = [], 0, 0
    for m in re.finditer(r"\\[{}]|\\left\b|\\right\b|[{}]| \+ ", latex):
        token = m.group()
        if token in ("{", r"\left"):
            depth += 1
        elif token in ("}", r"\right"):
            depth -= 1
        elif token == " + " and depth == 0:
            terms.append(latex[start:m.start()])
            start = m.end()
    terms.append(latex[start:])
    lines = [terms[0]]
    for term in terms[1:]:
        if visible_width(f"{lines[-1]} + {term}") <= width:
            lines[-1] = f"{lines[-1]} + {term}"
        else:
            lines.append(term)
    return lines


def visible_width(latex: str) -> int:
    """A rough count of the characters a formula shows (fractions count both lines)."""
    text = latex.replace(BLANK, "x" * 7)  # a blank: 3 em, about six digits, and its spacing
    text = re.sub(r"\\(log|max|tanh|exp|dots)\b", r"\1", text)
    text = re.sub(r"\\(?:partial|cdot|sigma|eta|delta|ell|alpha|sum|times|infty|le|ge)\b", "x", text)
    text = re.sub(r"\\[a-zA-Z]+|[{}^_&\\ ]", "", text)
    return len(text)
