"""The located-node reader: typed values out of a composed YAML node tree, every problem with the
file, line, column and key path of its node, all problems of a file collected (up to a limit).
The spec, its optimizer and data-file keys, answers files and `--inputs` all read through it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from .errors import Problem
from .exact import RATIO, ExactFloat, exact_text, to_fractions, written

if TYPE_CHECKING:
    from .schema import Field

MAX_NODES = 5_000_000  # node visits; an alias bomb needs far more
MAX_PROBLEMS = 20

T_STR = "tag:yaml.org,2002:str"
T_INT = "tag:yaml.org,2002:int"
T_FLOAT = "tag:yaml.org,2002:float"
T_BOOL = "tag:yaml.org,2002:bool"
T_NULL = "tag:yaml.org,2002:null"
SAFE_TAGS = {T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL,
             "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}

constructor = yaml.SafeLoader("")
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")


class Stop(Exception):
    """Raised when a file has too many problems (or a fatal one) to read on."""


def suggest(word: str, options) -> str:
    import difflib  # only for a message: ~2 ms of every start-up otherwise

    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def clip(text: str, limit: int = 40) -> str:
    """A value as a message shows it: long ones cut short, so the message stays one readable line."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def describe(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == T_STR:
        return f"the string {clip(node.value)!r}"
    if node.tag == T_BOOL:
        return f"the boolean {clip(node.value)}"
    if node.tag == T_NULL:
        return "nothing (null)"
    if node.tag in (T_INT, T_FLOAT):
        return f"the number {clip(node.value)}"
    return repr(node.value)


_NOT_DECIMAL = [  # YAML 1.1's other ways of writing a number, which YAML 1.2 and every other reader drop
    (re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"), "base 60", T_FLOAT),
    (re.compile(r"[-+]?0[xX][0-9a-fA-F_]+"), "hexadecimal", T_INT),
    (re.compile(r"[-+]?0[bB][01_]+"), "binary", T_INT),
    (re.compile(r"[-+]?0[0-7_]+"), "octal, for the leading zero", T_INT),
]


def not_decimal(text: str) -> str | None:
    """Why a number written as `text` is refused, or None: YAML 1.1 reads `1:30` as 90 (base 60),
    `010` as 8 and `0x1F` as 31, which no one writing a spec or an answer means. One function,
    so the spec and answers readers agree."""
    text = text.strip()
    for pattern, what, tag in _NOT_DECIMAL:
        if pattern.fullmatch(text):
            try:
                value = constructor.construct_object(yaml.ScalarNode(tag, text))
                means = f"{value:g} ({what})" if isinstance(value, float) else f"{value} ({what})"
            except (ValueError, yaml.YAMLError):
                means = f"a number in {what}"
            return (f"expected a number in decimal, got {clip(text)}, which YAML 1.1 reads as {means}: "
                    "write it in decimal (or quote it, if it is meant as text)")
    return None


T_TIMESTAMP = "tag:yaml.org,2002:timestamp"
T_MERGE = "tag:yaml.org,2002:merge"
T_VALUE = "tag:yaml.org,2002:value"


def tag_problem(node, instead: str = "specs are plain YAML data (numbers, text, lists, mappings), read with "
                                     "the safe loader") -> str:
    """What to say of a node whose tag is not plain data. YAML 1.1 gives tags to plain text no one
    tagged (`2001-12-14` a date, `<<` a merge key, `=` a value key): say what was written and what
    to do, not the tag."""
    if isinstance(node, yaml.ScalarNode) and not node.style:
        text = clip(node.value)
        if node.tag == T_TIMESTAMP:
            return f"{text} reads as a date in YAML: quote it (\"{text}\") to give it as text"
        if node.tag == T_MERGE:
            return "merge keys (`<<: *anchor`) are not supported: write the keys out"
        if node.tag == T_VALUE:
            return "`=` alone reads as a YAML 1.1 value key: quote it (\"=\") to give it as text"
    return f"the tag {short_tag(node.tag)} is not allowed: {instead}"


class Reader:
    """Reads one file's nodes; `problems` collects what is wrong, `error` raises Stop past the limit."""

    def __init__(self, source: str, base: Path | None = None, size_check=None):
        self.source = source
        self.problems: list[Problem] = []
        self.visits = 0
        self.exact: dict[str, np.ndarray] = {}  # becomes Spec.exact
        self.base = Path(".") if base is None else Path(base)  # where the file's data files are found
        self.size_check = size_check  # a command's own size limit (spec_read.parse_spec)

    def keep_exact(self, key: str, values: list) -> None:
        """Keep the exact values of an array (a list, or a list of rows, of numbers) by `key` when
        any of its numbers is an ExactFloat (data files hold floats only)."""
        if not isinstance(values, list):
            return
        rows = values if values and isinstance(values[0], list) else [values]
        if any(isinstance(v, ExactFloat) for row in rows for v in row):
            self.exact[key] = to_fractions(np.array(values, dtype=object))

    # -- reporting -----------------------------------------------------------
    def where(self, node) -> tuple[str, int | None, int | None]:
        """(source, line, column) of a node, as its problems are reported."""
        mark = getattr(node, "start_mark", None)
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        if mark is not None and str(mark.name).startswith("--set "):
            return mark.name, None, None  # the value came from the command line
        return self.source, line, col

    def error(self, node, path: str, message: str) -> None:
        self.problems.append(Problem(*self.where(node), path, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise Stop

    def visit(self, node, path: str = "") -> None:
        self.visits += 1
        if self.visits > MAX_NODES:
            self.error(node, path, f"the document expands to more than {MAX_NODES:,} "
                       "nodes (an alias bomb?); refusing to read it")
            raise Stop
        if node.tag not in SAFE_TAGS:
            self.error(node, path, tag_problem(node))
            raise Stop

    # -- typed readers -------------------------------------------------------
    def mapping(self, node, path: str) -> dict | None:
        """A mapping's items as {key: (key_node, value_node)}; None after an error."""
        self.visit(node, path)
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"expected a mapping, got {describe(node)}")
            return None
        out = {}
        for key_node, value_node in node.value:
            self.visit(key_node, path)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != T_STR:
                self.error(key_node, path, f"expected a key name, got {describe(key_node)}")
                continue
            key = key_node.value
            if key in out:
                self.error(key_node, join_key(path, key), "this key is given twice")
                continue
            out[key] = (key_node, value_node)
        return out

    def number(self, node, path: str) -> float | None:
        """A number: its correctly rounded float, an ExactFloat where the text holds more (exact.py)."""
        self.visit(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag == T_STR and "/" in node.value:
            return self._ratio(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag in (T_INT, T_FLOAT):
            if (problem := not_decimal(node.value)) is not None:
                self.error(node, path, problem)
                return None
            try:
                value = float(constructor.construct_object(node))
            except OverflowError:
                value = math.inf
            except (ValueError, yaml.YAMLError):  # `!!float abc`: a tag on text that is no number
                self.error(node, path, f"expected a number, got {clip(node.value)!r} (tagged {short_tag(node.tag)})")
                return None
            if not math.isfinite(value):
                self.error(node, path, f"expected a finite number, got {clip(node.value)}")
                return None
            return written(node.value, value) if _NUMBER.match(node.value) else value
        if isinstance(node, yaml.ScalarNode) and node.tag == T_STR and _NUMBER.match(node.value):
            if not node.style:  # plain (C loader: "", Python loader: None)
                # YAML 1.1 reads `1e-3` (no dot) as text; everyone means a number.
                value = float(node.value.replace("_", ""))
                if not math.isfinite(value):
                    self.error(node, path, f"expected a finite number, got {clip(node.value)}")
                    return None
                return written(node.value, value)
            self.error(node, path, f"expected a number, got the quoted text {node.value!r} "
                       "(remove the quotes)")
            return None
        self.error(node, path, f"expected a number, got {describe(node)}")
        return None

    def _ratio(self, node, path: str) -> float | None:
        """A fraction `p/q` of whole numbers (plain or quoted), as an ExactFloat."""
        text = node.value.strip()
        if not RATIO.fullmatch(text):
            self.error(node, path, f"expected a number or a fraction p/q of whole numbers, got {clip(text)!r}")
            return None
        from fractions import Fraction  # a spec without `p/q` never needs it (start-up)

        try:
            return ExactFloat(Fraction(text))
        except ZeroDivisionError:
            self.error(node, path, f"expected a fraction p/q with q ≠ 0, got {clip(text)}")
        except ValueError:  # more digits than Python reads (4300)
            self.error(node, path, f"expected a fraction of at most a few thousand digits, got {clip(text)}")
        except OverflowError:
            self.error(node, path, f"expected a finite number, got {clip(text)}")
        return None

    def integer(self, node, path: str) -> int | None:
        self.visit(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag == T_INT:
            if (problem := not_decimal(node.value)) is not None:
                self.error(node, path, problem)
                return None
            try:
                return int(constructor.construct_object(node))
            except (ValueError, yaml.YAMLError):  # `!!int abc`
                self.error(node, path, f"expected a whole number, got {clip(node.value)!r} (tagged !!int)")
                return None
        self.error(node, path, f"expected a whole number, got {describe(node)}")
        return None

    def string(self, node, path: str) -> str | None:
        self.visit(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag == T_STR:
            return node.value
        quote = ""
        if isinstance(node, yaml.ScalarNode) and not node.style and node.tag in (T_BOOL, T_INT, T_FLOAT):
            quote = f": quote it (\"{clip(node.value)}\") to give it as text"  # `name: yes`, `name: 1.0`
        self.error(node, path, f"expected a text value, got {describe(node)}{quote}")
        return None

    def choice(self, node, path: str, options: list[str], what: str) -> str | None:
        value = self.string(node, path)
        if value is None:
            return None
        if value.lower() in options:  # the names are lower-case; `MSE`, `Sigmoid` lose nothing
            return value.lower()
        if value not in options:
            self.error(node, path, f"unknown {what} {value!r}; expected one of: "
                       f"{', '.join(options)}{suggest(value.lower(), options)}")
            return None
        return value

    def field(self, node, path: str, f: Field):
        """A simple key's value, checked against its declaration in schema.py; None after an error."""
        if f.choices:
            return self.choice(node, path, list(f.choices), f.what)
        if f.type == "string":
            return self.string(node, path)
        if f.type == "integer":
            value = self.integer(node, path)
            if value is not None and f.minimum is not None and value < f.minimum:
                self.error(node, path, f"expected a whole number ≥ {f.minimum:g}, got {value}")
                return None
            return value
        assert f.type == "number", f"{path}: not a simple key"
        value = self.number(node, path)
        if value is not None and f.minimum is not None and value < f.minimum:
            self.error(node, path, f"expected a number ≥ {f.minimum:g}, got {shown(value)}")
            return None
        if value is not None and f.above is not None and value <= f.above:
            self.error(node, path, f"expected a number > {f.above:g}, got {shown(value)}")
            return None
        return value

    def sequence(self, node, path: str) -> list | None:
        self.visit(node, path)
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"expected a list, got {describe(node)}")
            return None
        return node.value

    def entry(self, node, path: str) -> tuple[float | None, str | None] | None:
        """A weight or bias entry: a number or a one-pair mapping `name: number`."""
        if isinstance(node, yaml.MappingNode):
            self.visit(node, path)
            if len(node.value) != 1:
                self.error(node, path, "expected a number or one `name: number` pair, "
                           f"got a mapping with {len(node.value)} pairs")
                return None
            key_node, value_node = node.value[0]
            self.visit(key_node, path)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != T_STR or not key_node.value.strip():
                self.error(key_node, path, f"expected a parameter name, got {describe(key_node)}")
                return None
            value = self.number(value_node, f"{path}.{key_node.value}")
            return None if value is None else (value, key_node.value)
        value = self.number(node, path)
        return None if value is None else (value, None)

    def matrix(self, node, path: str, what: str) -> list[list[float]] | None:
        """A number, a list of numbers (one row) or a list of lists (rows)."""
        self.visit(node, path)
        if isinstance(node, yaml.ScalarNode):
            value = self.number(node, path)
            return None if value is None else [[value]]
        items = self.sequence(node, path)
        if items is None:
            return None
        if not items:
            self.error(node, path, f"expected at least one {what}, got an empty list")
            return None
        if all(isinstance(i, yaml.SequenceNode) for i in items):
            rows = []
            for r, row_node in enumerate(items):
                values = [self.number(v, f"{path}[{r}][{c}]") for c, v in enumerate(row_node.value)]
                if not values:
                    self.error(row_node, f"{path}[{r}]", "expected numbers, got an empty list")
                    return None
                if any(v is None for v in values):
                    return None
                if rows and len(values) != len(rows[0]):
                    self.error(row_node, f"{path}[{r}]", f"expected {len(rows[0])} numbers "
                               f"(like row 0), got {len(values)}")
                    return None
                rows.append(values)
            return rows
        if any(isinstance(i, yaml.SequenceNode) for i in items):
            self.error(node, path, "expected either a list of numbers or a list of lists, "
                       "got a mix of both")
            return None
        values = [self.number(v, f"{path}[{i}]") for i, v in enumerate(items)]
        return None if any(v is None for v in values) else [values]



def shown(value) -> str:
    """A number in a message: `:g` for a float, the exact text of a fraction (`-1/3`) as written."""
    from fractions import Fraction  # messages only

    value = value.exact if isinstance(value, ExactFloat) else value
    return exact_text(value) if isinstance(value, Fraction) else f"{value:g}"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def join_key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

