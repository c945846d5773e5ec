"""Parse and validate a YAML spec into a typed `Spec`.

Every problem carries the file, line, column and key path of the YAML node it
is about, and all problems of a file are reported at once (up to a limit).
The YAML is composed (never constructed) with the safe loader, libyaml's C
version when present, so no tag can run code and every node keeps its marks.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import yaml

from .activations import ALIASES, DEFAULT_LEAKY_ALPHA
from .errors import Problem, SpecError
from .exact import RATIO, ExactFloat, exact_text, to_fraction, to_fractions, written
from .losses import DEFAULT_LOSS
from .optimizers import OptimizerSpec
from .schema import DISTRIBUTIONS, INIT, LAYER, REDUCTIONS, TOP_LEVEL, Field  # noqa: F401 (re-exported)

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 10 * 1024 * 1024
MAX_NODES = 5_000_000  # node visits; an alias bomb needs far more
MAX_PROBLEMS = 20
# Weights and biases in a network with `size:` layers. `train` needs about 300 bytes a parameter
# (names, theta, gradients, optimizer state; measured at 2 M and 8 M): 15 GB here, within a 24 GiB
# machine with a full data file beside it. `step`, `graph` and `check` have their own, smaller limits
# (explain.EXPLAIN_LIMIT, check.CHECK_LIMIT), checked by the loader before anything is built.
MAX_PARAMETERS = 50_000_000
MAX_ALIAS_EXPANSION = 100_000  # nodes that aliases may add beyond the text's own

TOP_LEVEL_KEYS = [
    "name",
    "description",
    "inputs",
    "target",
    "targets",
    "layers",
    "loss",
    "reduction",
    "learning_rate",
    "batch_size",
    "init",
    "frozen",
    "epochs",
    "optimizer",
    "optimizer_state",
    "data",
]
# Every key in TOP_LEVEL_KEYS needs a `Field` in schema.TOP_LEVEL (a test checks).
LAYER_KEYS = list(LAYER)
INIT_KEYS = list(INIT)

T_STR = "tag:yaml.org,2002:str"
T_INT = "tag:yaml.org,2002:int"
T_FLOAT = "tag:yaml.org,2002:float"
T_BOOL = "tag:yaml.org,2002:bool"
T_NULL = "tag:yaml.org,2002:null"
SAFE_TAGS = {T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL,
             "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}

_constructor = yaml.SafeLoader("")
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass
class Layer:
    """One fully resolved layer: every weight and bias has a value and a name."""

    activation: str
    alpha: float
    weights: np.ndarray  # neurons × inputs (PyTorch nn.Linear layout)
    biases: np.ndarray  # neurons
    weight_names: list[list[str]]
    bias_names: list[str]
    neuron_names: list[str]
    explicit_names: bool = False  # names came from the spec, not defaults
    line: int | None = None

    @property
    def size(self) -> int:
        return self.weights.shape[0]


@dataclass
class Init:
    seed: int = 42
    distribution: str = "uniform"


@dataclass
class Spec:
    """A validated network description: data, layers, loss and training settings."""

    inputs: np.ndarray  # samples × features
    targets: np.ndarray  # samples × outputs
    layers: list[Layer]
    loss: str = DEFAULT_LOSS
    reduction: str = "mean"
    learning_rate: float = 0.1
    batch_size: int | None = None  # None: the full batch
    name: str | None = None
    description: str | None = None
    init: Init = field(default_factory=Init)
    frozen: list[str] = field(default_factory=list)
    epochs: int | None = None
    input_names: list[str] = field(default_factory=list)
    source: str = "<spec>"
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    optimizer_state: dict[str, dict] = field(default_factory=dict)  # parameter name → torch-named state
    # The exact values (Fractions) of the arrays some of whose numbers the text wrote more precisely
    # than a float holds (`1/3`, a long decimal), by key: inputs, targets, layers[i].weights, layers[i].biases
    exact: dict[str, np.ndarray] = field(default_factory=dict)
    # where some keys' values were written, (source, line, column), for checks made after loading (--exact)
    where: dict[str, tuple[str, int | None, int | None]] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return self.inputs.shape[0]

    @property
    def effective_batch_size(self) -> int:
        """Samples per update: `batch_size` (None: all), at most the number of samples."""
        return min(self.batch_size or self.n_samples, self.n_samples)


class _Stop(Exception):
    pass


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _clip(text: str, limit: int = 40) -> str:
    """A value as a message shows it: long ones cut short, so the message stays one readable line."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _describe(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == T_STR:
        return f"the string {_clip(node.value)!r}"
    if node.tag == T_BOOL:
        return f"the boolean {_clip(node.value)}"
    if node.tag == T_NULL:
        return "nothing (null)"
    if node.tag in (T_INT, T_FLOAT):
        return f"the number {_clip(node.value)}"
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
                value = _constructor.construct_object(yaml.ScalarNode(tag, text))
                means = f"{value:g} ({what})" if isinstance(value, float) else f"{value} ({what})"
            except (ValueError, yaml.YAMLError):
                means = f"a number in {what}"
            return (f"expected a number in decimal, got {_clip(text)}, which YAML 1.1 reads as {means}: "
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
        text = _clip(node.value)
        if node.tag == T_TIMESTAMP:
            return f"{text} reads as a date in YAML: quote it (\"{text}\") to give it as text"
        if node.tag == T_MERGE:
            return "merge keys (`<<: *anchor`) are not supported: write the keys out"
        if node.tag == T_VALUE:
            return "`=` alone reads as a YAML 1.1 value key: quote it (\"=\") to give it as text"
    return f"the tag {_short_tag(node.tag)} is not allowed: {instead}"


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.visits = 0
        self.exact: dict[str, np.ndarray] = {}  # becomes Spec.exact

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
            raise _Stop

    def visit(self, node, path: str = "") -> None:
        self.visits += 1
        if self.visits > MAX_NODES:
            self.error(node, path, f"the document expands to more than {MAX_NODES:,} "
                       "nodes (an alias bomb?); refusing to read it")
            raise _Stop
        if node.tag not in SAFE_TAGS:
            self.error(node, path, tag_problem(node))
            raise _Stop

    # -- typed readers -------------------------------------------------------
    def mapping(self, node, path: str) -> dict | None:
        """A mapping's items as {key: (key_node, value_node)}; None after an error."""
        self.visit(node, path)
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"expected a mapping, got {_describe(node)}")
            return None
        out = {}
        for key_node, value_node in node.value:
            self.visit(key_node, path)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != T_STR:
                self.error(key_node, path, f"expected a key name, got {_describe(key_node)}")
                continue
            key = key_node.value
            if key in out:
                self.error(key_node, _join(path, key), "this key is given twice")
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
                value = float(_constructor.construct_object(node))
            except OverflowError:
                value = math.inf
            except (ValueError, yaml.YAMLError):  # `!!float abc`: a tag on text that is no number
                self.error(node, path, f"expected a number, got {_clip(node.value)!r} (tagged {_short_tag(node.tag)})")
                return None
            if not math.isfinite(value):
                self.error(node, path, f"expected a finite number, got {_clip(node.value)}")
                return None
            return written(node.value, value) if _NUMBER.match(node.value) else value
        if isinstance(node, yaml.ScalarNode) and node.tag == T_STR and _NUMBER.match(node.value):
            if not node.style:  # plain (C loader: "", Python loader: None)
                # YAML 1.1 reads `1e-3` (no dot) as text; everyone means a number.
                value = float(node.value.replace("_", ""))
                if not math.isfinite(value):
                    self.error(node, path, f"expected a finite number, got {_clip(node.value)}")
                    return None
                return written(node.value, value)
            self.error(node, path, f"expected a number, got the quoted text {node.value!r} "
                       "(remove the quotes)")
            return None
        self.error(node, path, f"expected a number, got {_describe(node)}")
        return None

    def _ratio(self, node, path: str) -> float | None:
        """A fraction `p/q` of whole numbers (plain or quoted), as an ExactFloat."""
        text = node.value.strip()
        if not RATIO.fullmatch(text):
            self.error(node, path, f"expected a number or a fraction p/q of whole numbers, got {_clip(text)!r}")
            return None
        try:
            return ExactFloat(Fraction(text))
        except ZeroDivisionError:
            self.error(node, path, f"expected a fraction p/q with q ≠ 0, got {_clip(text)}")
        except ValueError:  # more digits than Python reads (4300)
            self.error(node, path, f"expected a fraction of at most a few thousand digits, got {_clip(text)}")
        except OverflowError:
            self.error(node, path, f"expected a finite number, got {_clip(text)}")
        return None

    def integer(self, node, path: str) -> int | None:
        self.visit(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag == T_INT:
            if (problem := not_decimal(node.value)) is not None:
                self.error(node, path, problem)
                return None
            try:
                return int(_constructor.construct_object(node))
            except (ValueError, yaml.YAMLError):  # `!!int abc`
                self.error(node, path, f"expected a whole number, got {_clip(node.value)!r} (tagged !!int)")
                return None
        self.error(node, path, f"expected a whole number, got {_describe(node)}")
        return None

    def string(self, node, path: str) -> str | None:
        self.visit(node, path)
        if isinstance(node, yaml.ScalarNode) and node.tag == T_STR:
            return node.value
        quote = ""
        if isinstance(node, yaml.ScalarNode) and not node.style and node.tag in (T_BOOL, T_INT, T_FLOAT):
            quote = f": quote it (\"{_clip(node.value)}\") to give it as text"  # `name: yes`, `name: 1.0`
        self.error(node, path, f"expected a text value, got {_describe(node)}{quote}")
        return None

    def choice(self, node, path: str, options: list[str], what: str) -> str | None:
        value = self.string(node, path)
        if value is None:
            return None
        if value.lower() in options:  # the names are lower-case; `MSE`, `Sigmoid` lose nothing
            return value.lower()
        if value not in options:
            self.error(node, path, f"unknown {what} {value!r}; expected one of: "
                       f"{', '.join(options)}{_suggest(value.lower(), options)}")
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
            self.error(node, path, f"expected a list, got {_describe(node)}")
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
                self.error(key_node, path, f"expected a parameter name, got {_describe(key_node)}")
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
    value = value.exact if isinstance(value, ExactFloat) else value
    return exact_text(value) if isinstance(value, Fraction) else f"{value:g}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load_spec(path: str | Path, overrides: list[str] | None = None, size_check=None) -> Spec:
    """Read and validate a spec file; `overrides` are `key=value` changes (`--set`); `size_check`
    as for parse_spec."""
    p = Path(path)
    source = str(path)
    data = read_limited(p, source, "a YAML file")
    return parse_spec(data, source, overrides, base=p.parent, size_check=size_check)


def read_limited(p: Path, source: str, what: str) -> bytes:
    """A file's bytes, at most MAX_BYTES of them, or a SpecError saying why not.

    A pipe (`<(…)`) is read as it comes; a device, a socket or a link that leads nowhere is refused
    as what it is, and a named pipe nobody writes to is reported, not waited on."""
    from .files import kind, read_pipe_or_file

    def fail(message: str):
        return SpecError([Problem(source, None, None, "", message)])

    why = kind(p)
    if why == "is a directory":
        raise fail(f"is a directory, expected {what}")
    if why is not None and why != "is a named pipe (FIFO)":
        if why.startswith("cannot read it ("):  # the file system's own reason
            why = f"cannot read: {why[len('cannot read it ('):-1]}"
        raise fail(why if why.startswith(("no such", "cannot", "is a symbolic link")) else f"{why}, expected {what}")
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise fail(f"the file is {size / 2**20:.1f} MB; specs are limited to {MAX_BYTES // 2**20} MB")
        data = read_pipe_or_file(p, MAX_BYTES + 1)
    except OSError as e:
        raise fail(f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise fail(f"the input is over {MAX_BYTES // 2**20} MB")
    if not data and why is not None:
        raise fail(f"{why} and nothing was written to it, expected {what}")
    return data


def compose(text: str | bytes, source: str, what: str = "spec"):
    """Compose YAML text into a node tree, turning YAML errors into located problems."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise SpecError([Problem(source, None, None, "", f"the input is over {MAX_BYTES // 2**20} MB")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SpecError([Problem(source, None, None, "", f"not UTF-8 text (byte {e.start})")]) from None
    try:
        node = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise SpecError([Problem(source, mark.line + 1 if mark else None,
                                 mark.column + 1 if mark else None, "", f"not valid YAML: {msg}")]) from None
    except yaml.reader.ReaderError as e:  # a character YAML forbids; its str() spans two lines
        raise SpecError([reader_problem(e, text, source)]) from None
    except yaml.YAMLError as e:
        raise SpecError([Problem(source, None, None, "", f"not valid YAML: {e}")]) from None
    if node is None:
        raise SpecError([Problem(source, None, None, "", f"the file is empty; expected a {what} mapping")])
    if "&" in text:  # no anchor, no alias: nothing to expand
        _check_aliases(node, source)
    return node


def reader_problem(e, text: str, source: str, path: str = "") -> Problem:
    """A character YAML does not allow (a NUL, a control character), located by line and column."""
    pos = getattr(e, "position", None)
    char = e.character if isinstance(e.character, int) else ord(e.character) if e.character else 0
    line = col = None
    if isinstance(pos, int) and 0 <= pos < len(text) and ord(text[pos]) != char:
        # libyaml counts UTF-8 bytes, the Python loader characters
        pos = len(text.encode("utf-8")[:pos].decode("utf-8", "replace"))
    if isinstance(pos, int) and 0 <= pos <= len(text):
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Problem(source, line, col, path, f"not valid YAML: the character U+{char:04X} is not allowed "
                   "(YAML text cannot hold control characters)")


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []


def _check_aliases(root, source: str) -> None:
    """Refuse aliases that refer to an enclosing node or expand the document hugely.

    Composing keeps one node per anchor however often it is aliased, so the
    tree stays as small as the text; this walk counts what expanding it would
    cost, visiting each distinct node once (time and memory bounded by the
    file size), before anything reads the expanded document.
    """
    open_, limit = -1, MAX_ALIAS_EXPANSION
    sizes: dict[int, int] = {}
    distinct = 0
    stack = [(root, False, "")]
    while stack:
        node, done, top = stack.pop()
        key = id(node)
        if done:
            sizes[key] = min(1 + sum(sizes[id(c)] for c in _children(node)), 2 * limit + 1)
            continue
        if key in sizes:
            if sizes[key] == open_:
                raise SpecError([_problem(source, node, top, "an alias refers to the node that contains "
                                          "it (a recursive structure); refusing to read it")])
            continue
        sizes[key] = open_
        distinct += 1
        stack.append((node, True, top))
        if node is root and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += [(k, False, ""), (v, False, str(k.value))]
        else:
            stack += [(c, False, top) for c in _children(node)]
    if sizes[id(root)] - distinct > limit:
        culprit, top = root, ""
        if isinstance(root, yaml.MappingNode) and root.value:
            k, culprit = max(root.value, key=lambda kv: sizes[id(kv[1])])
            top = str(k.value)
        raise SpecError([_problem(source, culprit, top, f"aliases expand this to more than {limit:,} "
                                  "extra nodes (an alias bomb?); refusing to read the file")])


def _problem(source: str, node, path: str, message: str) -> Problem:
    mark = node.start_mark
    return Problem(source, mark.line + 1, mark.column + 1, path, message)


def parse_spec(text: str | bytes, source: str = "<spec>", overrides: list[str] | None = None,
               base: str | Path | None = None, size_check=None) -> Spec:
    """Parse and validate spec text; raise SpecError listing every problem found.

    `overrides` (`key=value`, as given to `--set`) change the composed YAML
    before validation, so their problems are reported like the file's own.
    Data files the spec names are read relative to `base` (default: the working folder).
    `size_check(parameters, samples, source)`, a command's own size limit, is called with the number of
    weights and biases and of samples in the first batch as soon as they are known, before
    anything per parameter is built; it raises to refuse.
    """
    node = compose(text, source)
    if overrides:
        from .overrides import apply_overrides

        node = apply_overrides(node, overrides)
    reader = _Reader(source)
    reader.base = Path(base) if base is not None else Path(".")
    reader.size_check = size_check
    try:
        spec = _read_spec(reader, node)
    except _Stop:
        spec = None
    if reader.problems:
        # in file order, whatever order the checks found them in
        raise SpecError(sorted(reader.problems, key=lambda p: (p.line or 0, p.column or 0)))
    assert spec is not None
    spec.source = source
    return spec


def _read_spec(r: _Reader, root) -> Spec | None:
    top = r.mapping(root, "")
    if top is None:
        return None
    for key, (key_node, _) in top.items():
        if key not in TOP_LEVEL_KEYS:
            r.error(key_node, key, f"unknown key{_suggest(key, TOP_LEVEL_KEYS)}; "
                    f"expected one of: {', '.join(TOP_LEVEL_KEYS)}")
    for required in ("layers",) if "data" in top else ("inputs", "layers"):
        if required not in top:
            r.error(root, "", f"missing required key `{required}`")
    if "target" in top and "targets" in top:
        r.error(top["targets"][0], "targets", "give `target` or `targets`, not both")
    target_key = "targets" if "targets" in top else "target"
    if "data" in top:
        for key in ("inputs", "target", "targets"):
            if key in top:
                r.error(top[key][0], key, "give `data` (one table with `target_columns`) or `inputs` and "
                        "`targets`, not both")
        target_key = "data"
    elif target_key not in top:
        r.error(root, "", "missing required key `target` (or `targets`)")

    def get(key):
        return top[key][1] if key in top else None

    spec_kwargs: dict = {}
    for key in ("name", "description", "loss", "reduction", "learning_rate", "epochs"):
        if get(key) is not None:
            spec_kwargs[key] = r.field(get(key), key, TOP_LEVEL[key])
    init = _read_init(r, get("init")) if get("init") is not None else Init()

    from_files = _read_data_files(r, top)
    if from_files is None:
        return None
    inputs = from_files.get("inputs")
    if inputs is None and get("inputs") is not None:
        inputs = r.matrix(get("inputs"), "inputs", "sample")
    layer_maps = _read_layer_maps(r, get("layers")) if get("layers") is not None else None
    if inputs is None or layer_maps is None:
        return None
    x = np.ascontiguousarray(inputs, dtype=float)
    r.keep_exact("inputs", inputs)
    batch_size = _read_batch_size(r, get("batch_size"), x.shape[0]) if get("batch_size") is not None else None
    size_check = getattr(r, "size_check", None)
    layers = _read_layers(r, layer_maps, x.shape[1], init, size_check and (
        lambda parameters: size_check(parameters, min(batch_size or x.shape[0], x.shape[0]), r.source)))
    if layers is None:
        return None
    n_out = layers[-1].size

    targets = None
    if target_key in top:
        targets = _read_targets(r, top[target_key][1], target_key, x.shape[0], n_out, from_files.get("targets"))
    if targets is None:
        return None
    spec = Spec(inputs=x, targets=targets, layers=layers, init=init, exact=r.exact,
                **{k: v for k, v in spec_kwargs.items() if v is not None})
    spec.input_names = from_files.get("input_names") or [f"x{j + 1}" for j in range(x.shape[1])]
    spec.where = {key: r.where(value) for key, (_, value) in top.items()}
    spec.where.update({f"layers[{li}].activation": r.where(m["activation"][1]) for li, (_, m) in enumerate(layer_maps)})
    spec.batch_size = batch_size
    _check_loss(r, spec, top, target_key)
    _check_names(r, spec, layer_maps)
    if get("frozen") is not None:
        spec.frozen = _read_frozen(r, get("frozen"), spec)
    if "optimizer" in top or "optimizer_state" in top:
        from .optimizer_spec import read_optimizer

        read_optimizer(r, spec, top)
    return spec


def _read_init(r: _Reader, node) -> Init:
    m = r.mapping(node, "init")
    init = Init()
    if m is None:
        return init
    for key, (key_node, value_node) in m.items():
        if key in INIT:
            value = r.field(value_node, f"init.{key}", INIT[key])
            if value is not None:
                setattr(init, key, value)
        else:
            r.error(key_node, f"init.{key}", f"unknown key{_suggest(key, INIT_KEYS)}; "
                    f"expected one of: {', '.join(INIT_KEYS)}")
    return init


def _read_layer_maps(r: _Reader, node) -> list | None:
    items = r.sequence(node, "layers")
    if items is None:
        return None
    if not items:
        r.error(node, "layers", "expected at least one layer, got an empty list")
        return None
    maps = []
    for i, item in enumerate(items):
        m = r.mapping(item, f"layers[{i}]")
        if m is None:
            return None
        for key, (key_node, _) in m.items():
            if key not in LAYER_KEYS:
                r.error(key_node, f"layers[{i}].{key}", f"unknown key{_suggest(key, LAYER_KEYS)}; "
                        f"expected one of: {', '.join(LAYER_KEYS)}")
        maps.append((item, m))
    return maps


@dataclass
class _Entries:
    values: list
    names: list
    nodes: list


def _read_entries(r: _Reader, node, path: str) -> _Entries | None:
    """A row of weight or bias entries (a single entry counts as a row of one)."""
    r.visit(node, path)
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    paths = [f"{path}[{i}]" for i in range(len(items))] if isinstance(node, yaml.SequenceNode) else [path]
    if not items:
        r.error(node, path, "expected numbers, got an empty list")
        return None
    out = _Entries([], [], [])
    ok = True
    for item, p in zip(items, paths):
        if isinstance(item, yaml.SequenceNode):
            r.error(item, p, "expected a number or `name: number`, got a list")
            ok = False
            continue
        e = r.entry(item, p)
        if e is None:
            ok = False
            continue
        out.values.append(e[0])
        out.names.append(e[1])
        out.nodes.append(item)
    return out if ok else None


def _read_layers(r: _Reader, maps, n_in: int, init: Init, size_check=None) -> list[Layer] | None:
    """The layers: every shape read and checked first, then the initial values drawn (`size:`)."""
    rng = _LazyRng(init.seed)
    layers: list[Layer] = []
    shapes = []
    ok = True
    for li, (layer_node, m) in enumerate(maps):
        path = f"layers[{li}]"
        is_output = li == len(maps) - 1
        activation, alpha = "identity", DEFAULT_LEAKY_ALPHA
        if "activation" not in m:
            r.error(layer_node, path, "missing required key `activation` (one of: "
                    f"{', '.join(LAYER['activation'].choices)})")
            ok = False
        else:
            act_node = m["activation"][1]
            name = r.field(act_node, f"{path}.activation", LAYER["activation"])
            if name is None:
                ok = False
            else:
                activation = ALIASES.get(name, name)
                if activation == "softmax" and not is_output:
                    r.error(act_node, f"{path}.activation", "softmax is allowed only on the output "
                            f"(last) layer; this is layer {li + 1} of {len(maps)}")
                    ok = False
        if "alpha" in m:
            a = r.field(m["alpha"][1], f"{path}.alpha", LAYER["alpha"])
            if a is not None:
                if activation != "leaky_relu":
                    r.error(m["alpha"][0], f"{path}.alpha", f"`alpha` applies to leaky_relu only, "
                            f"this layer is {activation}")
                alpha = a
        size = None
        if "size" in m:
            size = r.field(m["size"][1], f"{path}.size", LAYER["size"])
        weights = names = None
        if "weights" in m:
            weights, names = _read_weights(r, m["weights"][1], f"{path}.weights", n_in, li)
            if weights is None:
                ok = False
            elif size is not None and size != weights.shape[0]:
                r.error(m["size"][1], f"{path}.size", f"expected {weights.shape[0]} (the number of "
                        f"weight rows), got {size}")
                ok = False
        elif size is None:
            if "size" not in m:  # (a bad `size:` was reported above)
                r.error(layer_node, path, "give `weights:` (one row per neuron) or `size:` (to initialise from "
                        "`init:`)")
            ok = False
        if not ok:
            # Later layers' shapes depend on this one; stop checking shapes here.
            return None
        n_out = weights.shape[0] if weights is not None else size
        if activation == "softmax" and n_out == 1:
            r.error(layer_node, path, "expected at least 2 neurons for softmax, got 1: a one-neuron softmax is "
                    "always 1, so every gradient through it is 0; for one output use `activation: sigmoid` "
                    "(with `loss: bce`)")
        biases = bias_names = None  # (a `size:` layer's names are made once the sizes are known to fit)
        if "biases" in m:
            b_node = m["biases"][1]
            entries = _read_entries(r, b_node, f"{path}.biases")
            if entries is None:
                return None
            if not isinstance(b_node, yaml.SequenceNode) and n_out > 1:
                # `biases: 0.35`: one bias shared by the layer's neurons (tied, as textbooks draw b1)
                entries.values *= n_out
                entries.names = [entries.names[0] or f"b{li + 1}"] * n_out
            if len(entries.values) != n_out:
                r.error(b_node, f"{path}.biases", f"expected {n_out} biases (one per neuron, or one alone "
                        f"shared by them all), got {len(entries.values)}")
                return None
            biases, bias_names = np.array(entries.values, dtype=float), entries.names
            r.keep_exact(f"{path}.biases", entries.values)
        shapes.append((li, n_out, n_in, weights, names, biases, bias_names, activation, alpha))
        n_in = n_out
    # Every size is known before anything is built: the cap, then the command's own limit.
    counts = [n_out * (n_in + 1) for _, n_out, n_in, *_ in shapes]
    total = sum(counts)
    if total > MAX_PARAMETERS:
        big = max(range(len(shapes)), key=counts.__getitem__)
        li, n_out, n_in = shapes[big][:3]
        sized = "size" in maps[li][1]
        r.error(maps[li][1]["size"][1] if sized else maps[li][0], f"layers[{li}]" + (".size" if sized else ""),
                f"expected at most {MAX_PARAMETERS:,} weights and biases in the network, got {total:,}; the "
                f"largest layer, layers[{li}], has {n_out:,} neuron{'s' if n_out != 1 else ''} × ("
                f"{n_in:,} input{'s' if n_in != 1 else ''} + a bias) = {counts[big]:,} of them")
        return None
    if size_check is not None and not r.problems:
        size_check(total)
    for li, n_out, n_in, weights, names, biases, bias_names, activation, alpha in shapes:
        m = maps[li][1]
        layer_node = maps[li][0]
        if weights is None:
            weights = _initial_weights(rng, init.distribution, n_out, n_in)
            names = [[None] * n_in for _ in range(n_out)]
        if biases is None:
            biases = np.zeros(n_out) if "weights" in m else _initial_biases(rng, init.distribution, n_out, n_in)
            bias_names = [None] * n_out
        layers.append(Layer(activation=activation, alpha=alpha, weights=weights, biases=biases,
                            weight_names=names, bias_names=bias_names, neuron_names=[],
                            line=layer_node.start_mark.line + 1))
    return layers


def _read_weights(r: _Reader, node, path: str, n_in: int, li: int):
    r.visit(node, path)
    rows_nodes = node.value if isinstance(node, yaml.SequenceNode) else None
    if rows_nodes is None:
        r.error(node, path, f"expected a list of rows (one per neuron), got {_describe(node)}")
        return None, None
    if not rows_nodes:
        r.error(node, path, "expected at least one row (one per neuron), got an empty list")
        return None, None
    if not any(isinstance(x, yaml.SequenceNode) for x in rows_nodes):
        rows = [(node, path)]  # a flat list: the one row of a one-neuron layer
    else:
        rows = [(x, f"{path}[{i}]") for i, x in enumerate(rows_nodes)]
    values, names = [], []
    for row_node, row_path in rows:
        if row_node is not node and not isinstance(row_node, yaml.SequenceNode):
            r.error(row_node, row_path, f"expected a row (a list of numbers), got {_describe(row_node)}")
            return None, None
        entries = _read_entries(r, row_node, row_path)
        if entries is None:
            return None, None
        if len(entries.values) != n_in:
            prev = (f"the input has {_count(n_in, 'feature')}" if li == 0
                    else f"the previous layer has {_count(n_in, 'neuron')}")
            hint = ""
            if len(rows) == n_in and len(rows) > 1 and all(isinstance(x, yaml.SequenceNode) and len(x.value)
                                                           == len(entries.values) for x, _ in rows):
                hint = (f"; looks transposed? weights are neurons × inputs, one row per neuron (as in PyTorch's "
                        f"nn.Linear): write {_count(len(entries.values), 'row')} of {n_in}")
            r.error(row_node, row_path, f"expected {_count(n_in, 'column')} ({prev}), got "
                    f"{len(entries.values)}{hint}")
            return None, None
        values.append(entries.values)
        names.append(entries.names)
    r.keep_exact(path, values)
    return np.array(values, dtype=float), names


class _LazyRng:
    """numpy.random.default_rng(seed), made on first use: importing numpy.random costs start-up time."""

    def __init__(self, seed: int):
        self.seed, self._rng = seed, None

    def __getattr__(self, name: str):
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return getattr(self._rng, name)


def _initial_weights(rng, distribution: str, n_out: int, n_in: int) -> np.ndarray:
    if distribution == "uniform":  # PyTorch nn.Linear's default
        bound = 1 / math.sqrt(n_in)
        return rng.uniform(-bound, bound, (n_out, n_in))
    if distribution == "normal":
        return rng.normal(0.0, 1 / math.sqrt(n_in), (n_out, n_in))
    if distribution == "xavier":  # Glorot uniform
        bound = math.sqrt(6 / (n_in + n_out))
        return rng.uniform(-bound, bound, (n_out, n_in))
    return rng.normal(0.0, math.sqrt(2 / n_in), (n_out, n_in))  # he (Kaiming normal)


def _initial_biases(rng, distribution: str, n_out: int, n_in: int) -> np.ndarray:
    if distribution == "uniform":
        bound = 1 / math.sqrt(n_in)
        return rng.uniform(-bound, bound, n_out)
    return np.zeros(n_out)


def _read_data_files(r: _Reader, top: dict) -> dict | None:
    """Inputs and targets named as data files (datafiles.py): {"inputs", "targets", "input_names"}."""
    found: dict = {}
    named = [top[k][1] for k in ("inputs", "target", "targets") if k in top]
    if "data" not in top and not any(isinstance(node, yaml.MappingNode) for node in named):
        return found
    from . import datafiles

    base = getattr(r, "base", Path("."))
    if "data" in top:
        if any(k in top for k in ("inputs", "target", "targets")):
            return None  # reported: give one or the other
        pair = datafiles.read_data(r, top["data"][1], base)
        if pair is None:
            return None
        found["inputs"], found["targets"] = pair[0].values, pair[1].values
        found["input_names"] = pair[0].names
        return found
    for key in ("inputs", "target", "targets"):
        if key in top and isinstance(top[key][1], yaml.MappingNode):
            table = datafiles.read_ref(r, top[key][1], key, base)
            if table is None:
                return None
            found["targets" if key != "inputs" else "inputs"] = table.values
            if key == "inputs":
                found["input_names"] = table.names
    return found


def _read_targets(r: _Reader, node, key: str, n_samples: int, n_out: int,
                  loaded: np.ndarray | None = None) -> np.ndarray | None:
    if loaded is not None:
        return _check_target_shape(r, node, key, loaded, n_samples, n_out)
    rows = r.matrix(node, key, "target")
    if rows is None:
        return None
    t = np.array(rows, dtype=float)
    r.keep_exact("targets", rows)
    nested = isinstance(node, yaml.SequenceNode) and isinstance(node.value[0], yaml.SequenceNode)
    if not nested and t.shape[0] == 1 and n_samples > 1 and n_out == 1 and t.shape[1] == n_samples:
        t = t.T  # one target per sample for a one-output network
        if "targets" in r.exact:
            r.exact["targets"] = r.exact["targets"].T
    return _check_target_shape(r, node, key, t, n_samples, n_out)


def _check_target_shape(r: _Reader, node, key: str, t: np.ndarray, n_samples: int, n_out: int):
    if t.shape != (n_samples, n_out):
        what = (f"{n_samples} sample{'s' if n_samples != 1 else ''} × {n_out} output"
                f"{'s' if n_out != 1 else ''}")
        r.error(node, key, f"expected {what} (inputs have {n_samples} sample"
                f"{'s' if n_samples != 1 else ''}, the last layer {n_out} neuron"
                f"{'s' if n_out != 1 else ''}), got {t.shape[0]} × {t.shape[1]}")
        return None
    return t


def _read_batch_size(r: _Reader, node, n_samples: int) -> int | None:
    r.visit(node, "batch_size")
    if isinstance(node, yaml.ScalarNode) and node.tag == T_STR and node.value == "full":
        return None
    if not (isinstance(node, yaml.ScalarNode) and node.tag == T_INT):
        r.error(node, "batch_size", f"expected `full` or a whole number ≥ 1, got {_describe(node)}")
        return None
    b = r.integer(node, "batch_size")
    if b is not None and b < 1:
        r.error(node, "batch_size", f"expected `full` or a whole number ≥ 1, got {b}")
        return None
    return b  # more than the samples is one short batch of them all, as PyTorch's DataLoader takes it


def _check_loss(r: _Reader, spec: Spec, top: dict, target_key: str) -> None:
    out_act = spec.layers[-1].activation
    where = top["loss"][1] if "loss" in top else top[target_key][1]
    t = spec.targets
    if spec.loss == "bce":
        if out_act not in ("sigmoid", "softmax"):
            r.error(where, "loss", f"bce needs outputs in (0, 1): use a sigmoid output layer, "
                    f"got {out_act}")
        if np.any((t < 0) | (t > 1)):
            bad = t[(t < 0) | (t > 1)][0]
            r.error(top[target_key][1], target_key, f"bce targets must lie in [0, 1], got {bad:g}")
    if spec.loss == "cross_entropy":
        if out_act not in ("softmax", "sigmoid"):
            r.error(where, "loss", f"cross_entropy needs positive outputs: use a softmax output "
                    f"layer, got {out_act}")
        sums = t.sum(axis=1)
        if np.any(t < 0) or (out_act == "softmax" and np.any(np.abs(sums - 1) > 1e-9)):
            row = int(np.argmax((t < 0).any(axis=1) | (np.abs(sums - 1) > 1e-9)))
            r.error(top[target_key][1], target_key, "cross_entropy targets must be distributions "
                    f"(non-negative, summing to 1); sample {row} sums to {sums[row]:g}")


def default_neuron_names(n_layers: int, li: int, size: int) -> list[str]:
    if li == n_layers - 1:
        return [f"o{i + 1}" for i in range(size)]
    if n_layers == 2:
        return [f"h{i + 1}" for i in range(size)]
    return [f"h{li + 1}_{i + 1}" for i in range(size)]


def _check_names(r: _Reader, spec: Spec, layer_maps) -> None:
    """Give unnamed entries their default names, then tie equal names and check values."""
    explicit: dict[str, tuple[float, str, object]] = {}
    # Named entries only: (name, value, path, node, kind). Unnamed ones get their default names at
    # the end; they are most of a large `size:` network, so nothing per unnamed entry is built here.
    slots = []
    for li, ((layer_node, m), layer) in enumerate(zip(layer_maps, spec.layers)):
        named_w = [(i, j) for i, row in enumerate(layer.weight_names) for j, n in enumerate(row) if n is not None]
        named_b = [i for i, n in enumerate(layer.bias_names) if n is not None]
        # tied values compare exactly where the text held more than floats (`1/3` and 0.3333333333333333 differ)
        weights = spec.exact.get(f"layers[{li}].weights", layer.weights)
        biases = spec.exact.get(f"layers[{li}].biases", layer.biases)
        if named_w:
            w_nodes = _entry_nodes(m.get("weights", (None, None))[1], layer.weights.shape)
            for i, j in named_w:
                slots.append((layer.weight_names[i][j], weights[i, j], f"layers[{li}].weights[{i}][{j}]",
                              w_nodes[i][j] or layer_node, "w"))
        if named_b:
            b_nodes = _entry_nodes(m.get("biases", (None, None))[1], (1, layer.size))
            for i in named_b:
                slots.append((layer.bias_names[i], biases[i], f"layers[{li}].biases[{i}]",
                              b_nodes[0][i] or layer_node, "b"))
        # neuron names
        n_layers = len(spec.layers)
        if "names" in m:
            names_node = m["names"][1]
            items = r.sequence(names_node, f"layers[{li}].names")
            names = [r.string(x, f"layers[{li}].names[{k}]") for k, x in enumerate(items or [])]
            if items is not None and len(names) != layer.size:
                r.error(names_node, f"layers[{li}].names", f"expected {layer.size} names (one per "
                        f"neuron), got {len(names)}")
            for k, (n, x) in enumerate(zip(names, items or [])):
                if n is not None and not n.strip():
                    r.error(x, f"layers[{li}].names[{k}]", f"expected a neuron name, got {_describe(x)}")
                    names[k] = None
            if items is None or len(names) != layer.size or any(n is None for n in names):
                names = default_neuron_names(n_layers, li, layer.size)
            else:
                layer.explicit_names = True
            layer.neuron_names = names
        else:
            layer.neuron_names = default_neuron_names(n_layers, li, layer.size)
    seen_neurons: dict[str, str] = {n: "an input" for n in spec.input_names}
    for li, (layer_node, m) in enumerate(layer_maps):
        for k, n in enumerate(spec.layers[li].neuron_names):
            if n in seen_neurons:
                node = m["names"][1] if "names" in m else layer_node
                r.error(node, f"layers[{li}].names[{k}]", f"neuron name {n!r} is already used by "
                        f"{seen_neurons[n]}; names must be unique")
            seen_neurons[n] = f"layers[{li}]"
    for name, value, path, node, kind in slots:
        default_of = _unnamed_default(spec, name)
        if default_of is not None:
            r.error(node, path, f"the name {name!r} is the default name of {default_of}; "
                    "choose another name or name that entry")
            continue
        if name in seen_neurons:  # `check` could not tell `dL/dh1` of the weight from that of the neuron
            who = seen_neurons[name] if seen_neurons[name] == "an input" else f"a neuron of {seen_neurons[name]}"
            r.error(node, path, f"the parameter name {name!r} is already used by {who}; parameters, neurons "
                    "and inputs need distinct names")
            continue
        if name in explicit:
            first_value, first_path, first_kind = explicit[name]
            if first_value != value or (spec.exact and to_fraction(first_value) != to_fraction(value)):
                kinds = "" if first_kind == kind else f" ({'a weight' if first_kind == 'w' else 'a bias'} " \
                    f"and {'a weight' if kind == 'w' else 'a bias'} share it)"
                r.error(node, path, f"{name!r} is tied to {first_path} = {shown(first_value)}{kinds}: "
                        f"tied entries must have equal values, got {shown(value)}")
        else:
            explicit[name] = (value, path, kind)
    for li, layer in enumerate(spec.layers):
        for i, row in enumerate(layer.weight_names):
            if None in row:
                layer.weight_names[i] = [default_weight_name(li, i, j) if n is None else n
                                         for j, n in enumerate(row)]
        if None in layer.bias_names:
            layer.bias_names = [default_bias_name(li, i) if n is None else n for i, n in enumerate(layer.bias_names)]


_DEFAULT_NAME = re.compile(r"(?:W([0-9]+)\[([0-9]+),([0-9]+)\]|b([0-9]+)\[([0-9]+)\])\Z")


def default_weight_name(li: int, i: int, j: int) -> str:
    """The name of an unnamed weight (0-based layer, neuron, input): `W1[1,2]`."""
    return f"W{li + 1}[{i + 1},{j + 1}]"


def default_bias_name(li: int, i: int) -> str:
    """The name of an unnamed bias (0-based layer, neuron): `b2[1]`."""
    return f"b{li + 1}[{i + 1}]"


def _unnamed_default(spec: Spec, name: str) -> str | None:
    """The key path of the unnamed entry whose default name is `name`, if there is one."""
    m = _DEFAULT_NAME.match(name)
    if m is None:
        return None
    if m.group(1) is not None:
        li, i, j = int(m.group(1)) - 1, int(m.group(2)) - 1, int(m.group(3)) - 1
        if (name == default_weight_name(li, i, j) and 0 <= li < len(spec.layers)
                and 0 <= i < len(spec.layers[li].weight_names)
                and 0 <= j < len(spec.layers[li].weight_names[i]) and spec.layers[li].weight_names[i][j] is None):
            return f"layers[{li}].weights[{i}][{j}]"
        return None
    li, i = int(m.group(4)) - 1, int(m.group(5)) - 1
    if (name == default_bias_name(li, i) and 0 <= li < len(spec.layers) and 0 <= i < len(spec.layers[li].bias_names)
            and spec.layers[li].bias_names[i] is None):
        return f"layers[{li}].biases[{i}]"
    return None


def _entry_nodes(node, shape):
    """The YAML node of each weight/bias entry (None where there is none)."""
    rows, cols = shape
    out = [[None] * cols for _ in range(rows)]
    if node is None:
        return out
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if items and all(not isinstance(x, yaml.SequenceNode) for x in items):
        items = [node] if rows == 1 else items
    for i, row in enumerate(items[:rows]):
        row_items = row.value if isinstance(row, yaml.SequenceNode) else [row]
        for j, e in enumerate(row_items[:cols]):
            out[i][j] = e
    return out


def _read_frozen(r: _Reader, node, spec: Spec) -> list[str]:
    items = r.sequence(node, "frozen")
    if items is None:
        return []
    known = parameter_names(spec)
    known_set = set(known)
    out = []
    for k, item in enumerate(items):
        name = r.string(item, f"frozen[{k}]")
        if name is None:
            continue
        if name not in known_set:
            r.error(item, f"frozen[{k}]", f"no parameter is named {name!r}{_suggest(name, known)}")
            continue
        out.append(name)
    return out


def parameter_names(spec: Spec) -> list[str]:
    """Distinct parameter names in order of first appearance (weights, then biases, per layer)."""
    from itertools import chain

    return list(dict.fromkeys(chain.from_iterable(
        chain(chain.from_iterable(layer.weight_names), layer.bias_names) for layer in spec.layers)))
