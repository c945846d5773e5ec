"""A student's answers file: keys naming backcalc's quantities, values as written.

The key grammar is documented in docs/check.md. Each value keeps the text it
was written with, because the number of decimals a student wrote sets the
tolerance it is graded at (half a unit in the last written decimal); a whole
number or a fraction is taken as exact, and so is a zero such as `0e5`, whose
exponent would otherwise make it right for anything below 50 000.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import yaml

from .compose import compose, read_limited
from .errors import Problem, SpecError
from .exact import RATIO
from .handcalc import Key, key_text
from .reader import SAFE_TAGS, clip, not_decimal, tag_problem
from .spec_model import Spec, parameter_names

LOSS_NAMES = ("loss", "L", "E", "E_total", "Etotal", "J", "cost")
_PER_SAMPLE_KINDS = ("z", "a", "loss_term", "dl_da", "da_dz", "delta", "dl_dx", "step_h", "step_z", "step_dh",
                     "step_delta")
_NEW_FORMS = (re.compile(r"^(?P<p>.+)_new$"), re.compile(r"^new_(?P<p>.+)$"), re.compile(r"^(?P<p>.+)(?:'|\+|⁺)$"))
_DERIVATIVE = re.compile(r"^d(?P<num>[^/]+)/d(?P<den>.+)$")
_PY_DERIVATIVE = re.compile(r"^d(?P<num>L|E|E_total|Etotal|J|loss|cost)_d(?P<den>.+)$")
_SAMPLE = re.compile(r"^(?P<base>.+)\[(?P<s>[0-9]+)\]$")
_LOSS_TERM = re.compile(r"^(?:loss|L|E)_(?P<o>.+)$")


@dataclass
class Answer:
    written: str  # the key as written
    key: Key
    value: float
    text: str  # the value as written
    decimals: int | None  # None: exact (a whole number, a fraction, `0e5`)
    line: int
    column: int

    @property
    def tolerance(self) -> float:
        if self.decimals is None:
            return 0.0
        # past 400 decimals half a unit is below any float (and 10.0 ** -huge would overflow)
        return 0.5 * 10.0 ** -min(self.decimals, 400)


def matches(answer: float, value: float, tolerance: float) -> bool:
    """Within half a unit of the last written decimal (and a hair of floating-point slack)."""
    if not math.isfinite(value):
        return False
    return abs(answer - value) <= tolerance + 1e-9 * abs(value) + 1e-15


class KeyResolver:
    """Turns a key as written into a quantity of this spec, or says why it cannot."""

    def __init__(self, spec: Spec):
        self.n = spec.effective_batch_size
        self.neurons = [m for layer in spec.layers for m in layer.neuron_names]
        self.outputs = spec.layers[-1].neuron_names
        self.params = parameter_names(spec)
        self.inputs = spec.input_names
        self._inputs = set(self.inputs)
        self._neurons = set(self.neurons)
        self._params = set(self.params)
        from .quantities import step_names

        steps = step_names(spec)
        self._steps = set(steps)  # a recurrent layer's hₜ (`h1[t,k]`), and an rnn's zₜ and δₜ
        self._rnn_steps = {m for m, (li, _, _) in steps.items() if spec.layers[li].kind == "rnn"}
        # h_T is the layer's output: `h1[T,k]` names its unit k
        self._last = {m: ("a", spec.layers[li].neuron_names[k], None) for m, (li, t, k) in steps.items()
                      if t == spec.layers[li].options["time"] - 1}

    def canonical_names(self) -> list[str]:
        out = [f"z_{m}" for m in self.neurons] + list(self.neurons) + ["loss"]
        out += [f"loss_{o}" for o in self.outputs]
        out += [f"dL/d{m}" for m in self.neurons] + [f"delta_{m}" for m in self.neurons]
        out += [f"d{m}/dz_{m}" for m in self.neurons]
        out += [f"dL/d{p}" for p in self.params] + [f"dL/d{x}" for x in self.inputs]
        # (a recurrent layer's time steps are left out: T·H names each would crowd out the suggestions)
        return out + [f"{p}_new" for p in self.params]

    def resolve(self, written: str) -> Key:
        """The quantity a key names; raises ValueError with the reason."""
        text = _normalise(written)
        key = self._base(text)
        sample = None
        if key is None:
            m = _SAMPLE.match(text)
            if m:
                key = self._base(m.group("base"))
                sample = int(m.group("s"))
        if key is None:
            raise ValueError(self._unknown(written, text))
        kind, name, _ = key
        if sample is not None:
            if kind == "new":
                raise ValueError(f"an updated value belongs to the whole batch; write `{name}_new` "
                                 f"without [{sample}]")
            if not 1 <= sample <= self.n:
                raise ValueError(f"sample {sample} is not in the batch (samples 1–{self.n})")
            return kind, name, sample - 1
        if kind in _PER_SAMPLE_KINDS:
            if self.n > 1:
                shown = key_text((kind, name, None), 1)
                raise ValueError(f"`{shown}` has one value per sample in this batch of {self.n}; write "
                                 f"`{shown}[1]` … `{shown}[{self.n}]`")
            return kind, name, 0
        return kind, name, None

    def _neuron(self, text: str) -> str | None:
        """A neuron's output written as `h1`, `a_h1` or `out_h1`."""
        if text in self._neurons:
            return text
        for prefix in ("a_", "out_"):
            if text.startswith(prefix) and text[len(prefix):] in self._neurons:
                return text[len(prefix):]
        return None

    def _pre(self, text: str) -> str | None:
        """A neuron's pre-activation written as `z_h1` or `net_h1`."""
        for prefix in ("z_", "net_"):
            if text.startswith(prefix) and text[len(prefix):] in self._neurons:
                return text[len(prefix):]
        return None

    def _step(self, text: str) -> Key | None:
        """A recurrent layer's time step: hₜ `h1[t,k]`, ∂ℓ/∂hₜ `dL/dh1[t,k]`; an rnn's zₜ and ∂ℓ/∂zₜ.
        The last step's h and ∂ℓ/∂h are the layer's own output unit's a and ∂ℓ/∂a (one quantity)."""
        if text in self._steps:
            return self._last.get(text, ("step_h", text, None))
        for prefix in ("z_", "net_"):
            if text.startswith(prefix) and text[len(prefix):] in self._rnn_steps:
                return "step_z", text[len(prefix):], None
        if text.startswith("delta_") and text[6:] in self._rnn_steps:
            return "step_delta", text[6:], None
        m = _PY_DERIVATIVE.match(text) or _DERIVATIVE.match(text)
        if m and m.group("num") in LOSS_NAMES:
            den = m.group("den")
            if den in self._steps:
                last = self._last.get(den)
                return ("dl_da", last[1], None) if last else ("step_dh", den, None)
            for prefix in ("z_", "net_"):
                if den.startswith(prefix) and den[len(prefix):] in self._rnn_steps:
                    return "step_delta", den[len(prefix):], None
        return None

    def _base(self, text: str) -> Key | None:
        key = self._plain(text)  # a unit's own name first (a spec may name a unit `h1[2,1]`)
        if key is None and self._steps:
            key = self._step(text)
        return key

    def _plain(self, text: str) -> Key | None:
        if text in LOSS_NAMES:
            return "loss", "", None
        m = _LOSS_TERM.match(text)
        if m and m.group("o") in self.outputs and text not in self._neurons:
            return "loss_term", m.group("o"), None
        if (name := self._pre(text)) is not None:
            return "z", name, None
        if text.startswith("delta_") and text[6:] in self._neurons:
            return "delta", text[6:], None
        if (name := self._neuron(text)) is not None:
            return "a", name, None
        m = _PY_DERIVATIVE.match(text) or _DERIVATIVE.match(text)
        if m:
            num, den = m.group("num"), m.group("den")
            if num in LOSS_NAMES:
                if den in self._params:
                    return "grad", den, None
                if (name := self._pre(den)) is not None:
                    return "delta", name, None
                if (name := self._neuron(den)) is not None:
                    return "dl_da", name, None
                if den in self._inputs:
                    return "dl_dx", den, None
                return None
            num_neuron = self._neuron(num)
            if num_neuron is not None and self._pre(den) == num_neuron:
                return "da_dz", num_neuron, None
            return None
        for form in _NEW_FORMS:
            m = form.match(text)
            if m and m.group("p") in self._params:
                return "new", m.group("p"), None
        return None

    def _unknown(self, written: str, text: str) -> str:
        if text in self._params:
            return (f"`{written}` is a parameter the spec gives; write `{text}_new` for its updated value "
                    f"or `dL/d{text}` for its gradient")
        if text in self.inputs:
            return f"`{written}` is an input the spec gives; nothing to check"
        m = _SAMPLE.match(text)
        base, sample = (m.group("base"), f"[{m.group('s')}]") if m else (text, "")
        # no quantity name is long: a suggestion for a long key costs much and helps little
        close = difflib.get_close_matches(base, self._spellings(base), n=1, cutoff=0.5) if len(base) <= 100 else []
        if close and self._base(close[0])[0] == "new":
            sample = ""  # an updated value takes no sample
        hint = f" (did you mean `{close[0]}{sample}`?)" if close else ""
        return f"unknown quantity `{clip(written, 100)}`{hint}; see `backcalc docs check` for the names"

    def _spellings(self, text: str) -> list[str]:
        """Names to suggest: the canonical ones, and the text with its last name swapped for a real one.

        The swap keeps the student's own spelling, so `out_h3` suggests `out_h2`
        and `dE_total/dout_h3` suggests `dE_total/dout_h2`.
        """
        names = self.canonical_names()
        for i in range(len(text)):
            if i == 0 or not text[i - 1].isalnum():
                names += [text[:i] + m for m in (*self.neurons, *self.params)]
            if i and text[i - 1] == "d":  # `dE/dw9`, `dE/dout_h3`
                names += [text[:i] + m for m in (*self.neurons, *self.params)]
        return [n for n in dict.fromkeys(names) if self._base(n) is not None]


def _normalise(key: str) -> str:
    text = "".join(key.split())
    text = text.replace("∂", "d").replace("ℓ", "L")
    if text.startswith("δ"):
        text = "delta_" + text[1:].lstrip("_")
    return text


_DECIMAL = re.compile(r"[+-]?(?P<whole>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?")
# An exponent of more digits than this puts any number a file can hold past a float's range.
_EXPONENT_DIGITS = 4000


def _is_zero(m: re.Match) -> bool:
    return all(int(c) == 0 for c in m["whole"] + (m["frac"] or ""))


def _written_decimals(text: str) -> int | None:
    """The decimal place of the last digit written (docs/check.md, "Tolerance"); None: exact.

    In E notation the mantissa's decimals minus the exponent (`5.9327e-1`: 5, `1.2e5`: -4).
    A zero has no leading digit, so its exponent says nothing of its size (0·10⁵ = 0·10⁰): it
    can make a zero finer, never coarser than its mantissa alone; `0e5` is `0`, exact.
    """
    m = _DECIMAL.fullmatch(text.strip())
    if m is None:  # float() took it but it is no plain number: claim nothing beyond the value
        return None
    frac = m["frac"] or ""
    exp = m["exp"] or "0"
    sign, digits = (-1, exp[1:]) if exp.startswith("-") else (1, exp.lstrip("+"))
    digits = digits.lstrip("0") or "0"
    # int() refuses more than 4300 digits; such an exponent only matters by its sign
    exponent = sign * (int(digits) if len(digits) <= _EXPONENT_DIGITS else 10**_EXPONENT_DIGITS)
    if _is_zero(m):
        if m["frac"] is None and exponent >= 0:
            return None  # `0e5` is `0`
        return len(frac) - min(exponent, 0)
    return len(frac) - exponent


def _number(node) -> tuple[float, int | None] | str:
    """(value, decimals written) of an answer node, or what is wrong with it."""
    if not isinstance(node, yaml.ScalarNode):
        what = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        return f"expected a number, got {what} (one key per value; per-sample values as `h1[2]`)"
    text = node.value.strip()
    if node.tag not in SAFE_TAGS:
        return tag_problem(node, "write the number alone")
    if node.tag.endswith((":bool", ":null")) or not text:
        return f"expected a number, got {clip(text) or 'nothing'}"
    if (problem := not_decimal(text)) is not None:
        return problem
    if RATIO.fullmatch(text):
        try:
            return float(Fraction(text)), None
        except ZeroDivisionError:
            return f"expected a number, got {clip(text)} (division by zero)"
        except (OverflowError, ValueError):  # more digits than Python converts, or beyond a float
            return f"expected a fraction of at most a few hundred digits, got {clip(text)}"
    plain = text.replace("_", "").replace("−", "-")
    try:
        value = float(plain)
    except ValueError:
        return f"expected a number, got the string {clip(text)!r}"
    written = _DECIMAL.fullmatch(plain.strip())
    if written and (not math.isfinite(value) or (value == 0 and not _is_zero(written))):
        return f"expected a number within a float's range (about 1e-308 to 1.8e308 in size), got {clip(text)}"
    if not math.isfinite(value):
        return f"expected a finite number, got {clip(text)}"
    if re.fullmatch(r"[+\-−]?[0-9_]+", text):
        return value, None  # "2" claims 2 exactly, not 2 ± 0.5
    return value, _written_decimals(plain)


def _found(root) -> str:
    """What an answers file that is not a mapping holds, and how to write it instead."""
    if not isinstance(root, yaml.SequenceNode):
        return f"the single value {root.value!r}"
    first = root.value[0] if root.value else None
    if isinstance(first, yaml.MappingNode) and len(first.value) == 1:
        (k, v), = first.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode):
            return f"a list (write `{k.value}: {v.value}`, not `- {k.value}: {v.value}`)"
    return "a list (one `quantity: value` per line, without `- `)"


def read_answers(path: str, spec: Spec, text: bytes | None = None) -> list[Answer]:
    """Read and resolve an answers file; every problem is located, and all are reported at once."""
    source = str(path)
    if text is None:
        text = read_limited(Path(path), source, "a YAML file")
    root = compose(text, source, what="`quantity: value`")
    if not isinstance(root, yaml.MappingNode):
        raise SpecError([Problem(source, root.start_mark.line + 1, root.start_mark.column + 1, "",
                                 f"expected a mapping of `quantity: your value` pairs, got {_found(root)}")])
    # a circuit's keys are its node names (circuit/answers.py); the rest of the reading is shared
    resolver = spec.answer_keys() if hasattr(spec, "answer_keys") else KeyResolver(spec)
    problems: list[Problem] = []
    answers: list[Answer] = []
    seen: dict[Key, Answer] = {}

    def problem(node, path: str, message: str) -> None:
        problems.append(Problem(source, node.start_mark.line + 1, node.start_mark.column + 1, path, message))

    for key_node, value_node in root.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problem(key_node, "", "expected a quantity name as the key, got a "
                    f"{'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}")
            continue
        written = key_node.value
        if key_node.tag not in SAFE_TAGS:  # `<<: *b`
            problem(key_node, clip(written, 100), tag_problem(key_node, "write the quantity's name alone"))
            continue
        try:
            key = resolver.resolve(written)
        except ValueError as e:
            problem(key_node, clip(written, 100), str(e))
            continue
        number = _number(value_node)
        if isinstance(number, str):
            problem(value_node, written, number)
            continue
        if key in seen:
            first = seen[key]
            problem(key_node, written, f"names the same quantity as `{first.written}` (line {first.line})")
            continue
        answer = Answer(written, key, number[0], value_node.value, number[1],
                        key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        seen[key] = answer
        answers.append(answer)
    if problems:
        raise SpecError(problems)
    if not answers:
        raise SpecError([Problem(source, None, None, "", "no answers in the file")])
    return answers
