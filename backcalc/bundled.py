"""The example specs, answers files and documentation shipped with backcalc as package data.

The files in `backcalc/examples/` are links to the repository's `configs/` (answers files:
`backcalc/examples/answers/` to `configs/answers/`), and `backcalc/docs/` links to `docs/`:
one copy of each, which a wheel stores the contents of.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

DEFAULT = "mazur"  # what `step`/`train` run with no CONFIG and no ./backcalc.yaml
STARTER = "starter"  # what `init` writes without --example
SCHEMA_FILE = "backcalc.schema.json"
_MODELINE = "# yaml-language-server: $schema="


@dataclass(frozen=True)
class Example:
    name: str
    description: str


def _folder(kind: str = "examples") -> Path:
    # Next to this module (importlib.resources would cost ~4 ms of start-up; backcalc is never run from a zip).
    return Path(__file__).resolve().parent / kind


def _names(folder: Path, suffix: str) -> list[str]:
    return sorted(p.name[:-len(suffix)] for p in folder.iterdir() if p.name.endswith(suffix)) if folder.is_dir() else []


def names() -> list[str]:
    """Every bundled example's name (its file name without `.yaml`), sorted."""
    return _names(_folder(), ".yaml")


def _resolve(name: str, known: list[str], what: str, kind: str) -> str:
    for wanted in (name.strip(), name.strip().replace("-", "_")):
        if wanted in known:
            return wanted
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    raise UsageError(f"{what}: unknown {kind} {name!r}{hint}; expected one of: {', '.join(known)}")


def resolve(name: str, what: str = "--example") -> str:
    """The bundled example called `name` (`-` and `_` alike), or a UsageError (about `what`) listing them."""
    return _resolve(name, names(), what, "example")


def read(name: str, what: str = "--example") -> bytes:
    """The YAML text of a bundled example."""
    return (_folder() / f"{resolve(name, what)}.yaml").read_bytes()


def source(name: str) -> str:
    """The name errors and tables use for a bundled example."""
    return f"<example {resolve(name)}>"


def catalogue() -> list[Example]:
    """Every bundled example with its `description:`."""
    from .spec_read import parse_spec

    out = []
    for name in names():
        spec = parse_spec(read(name), source(name))
        out.append(Example(name, spec.description or ""))
    return out


def starter_text(name: str | None = None, what: str = "--example") -> str:
    """The text `init` writes (and `examples NAME` prints): an example whose schema line points next to the new file."""
    text = read(name or STARTER, what).decode("utf-8")
    lines = _function_lists(text).splitlines(keepends=True)
    if lines and lines[0].startswith(_MODELINE):
        lines[0:1] = [f"{_MODELINE}{SCHEMA_FILE}\n",
                      f"# (for completion in an editor: backcalc schema > {SCHEMA_FILE})\n"]
    return "".join(lines)


def _function_lists(text: str) -> str:
    """The starter's comment paragraphs naming {activations} or {losses}, filled from the registries and rewrapped."""
    if "{activations}" not in text and "{losses}" not in text:
        return text
    import textwrap

    from .activations import ACTIVATIONS, ALIASES
    from .losses import DEFAULT_LOSS, LOSSES

    def activation(name, a):
        alias = "".join(f"/{k}" for k, v in ALIASES.items() if v == name)
        note = " with `alpha:`" if a.takes_alpha else " on the output layer only" if a.output_only else ""
        return f"{name}{alias}{note}"

    def loss(name, entry):
        notes = [n for n in (entry.title, entry.outputs and f"{entry.outputs[0]} outputs") if n]
        return name + (" (default)" if name == DEFAULT_LOSS else "") + (f" ({'; '.join(notes)})" if notes else "")

    acts = [activation(n, a) for n, a in ACTIVATIONS.items()]
    losses = [loss(n, e) for n, e in sorted(LOSSES.items(), key=lambda item: item[0] != DEFAULT_LOSS)]
    lists = {"{activations}": ", ".join(acts), "{losses}": ", ".join(losses[:-1]) + " or " + losses[-1]}
    out, paragraph = [], []
    for line in [*text.splitlines(keepends=True), ""]:
        if line.startswith("# ") and line.strip() != "#":
            paragraph.append(line[2:].rstrip("\n"))
            continue
        joined = " ".join(paragraph)
        if any(marker in joined for marker in lists):
            for marker, words in lists.items():
                joined = joined.replace(marker, words)
            out += [f"# {w}\n" for w in textwrap.wrap(joined, 78, break_on_hyphens=False, break_long_words=False)]
        else:
            out += [f"# {p}\n" for p in paragraph]
        paragraph = []
        out.append(line)
    return "".join(out)


# Answers files for `check`: `backcalc/examples/answers/NAME.yaml`. Each one's first line is a
# comment saying what it is; it goes with the example whose name is NAME or begins NAME.


def answers_names() -> list[str]:
    """Every bundled answers file's name, sorted."""
    return _names(_folder() / "answers", ".yaml")


def resolve_answers(name: str, what: str = "--answers-example") -> str:
    return _resolve(name, answers_names(), what, "answers file")


def read_answers(name: str, what: str = "--answers-example") -> bytes:
    """The YAML text of a bundled answers file."""
    return (_folder() / "answers" / f"{resolve_answers(name, what)}.yaml").read_bytes()


def answers_source(name: str) -> str:
    return f"<answers example {resolve_answers(name)}>"


def answers_catalogue() -> list[Example]:
    """Every bundled answers file with its first comment line."""
    return [Example(name, _first_comment(read_answers(name).decode("utf-8"))) for name in answers_names()]


def answers_for(example: str) -> list[str]:
    """The bundled answers files that go with the example `example`."""
    known = names()

    def spec_of(answers: str) -> str | None:
        fits = [n for n in known if answers == n or answers.startswith(n + "_")]
        return max(fits, key=len) if fits else None

    return [a for a in answers_names() if spec_of(a) == example]


def _first_comment(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return first.lstrip("#").strip() if first.startswith("#") else ""


# The documentation pages, `backcalc/docs/NAME.md`, for `backcalc docs`.


def doc_names() -> list[str]:
    """Every bundled documentation page's name (`check` for docs/check.md), sorted."""
    return _names(_folder("docs"), ".md")


def read_doc(name: str, what: str = "docs") -> str:
    """The Markdown text of a bundled documentation page."""
    page = _resolve(name.removesuffix(".md").removeprefix("docs/"), doc_names(), what, "page")
    return (_folder("docs") / f"{page}.md").read_text(encoding="utf-8")


def doc_catalogue() -> list[Example]:
    """Every bundled documentation page with its title (its first heading)."""
    out = []
    for name in doc_names():
        heading = next((line.lstrip("#").strip() for line in read_doc(name).splitlines() if line.startswith("#")), "")
        out.append(Example(name, heading))
    return out
