"""The example specs shipped with backcalc as package data.

The files in `backcalc/examples/` are links to the repository's `configs/`,
the one copy of every example (a wheel stores their contents).
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


def _folder() -> Path:
    # Next to this module (importlib.resources would cost ~4 ms of start-up; backcalc is never run from a zip).
    return Path(__file__).resolve().parent / "examples"


def names() -> list[str]:
    """Every bundled example's name (its file name without `.yaml`), sorted."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml"))


def resolve(name: str, what: str = "--example") -> str:
    """The bundled example called `name` (`-` and `_` alike), or a UsageError (about `what`) listing them."""
    known = names()
    wanted = name.strip().replace("-", "_")
    if wanted in known:
        return wanted
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    raise UsageError(f"{what}: unknown example {name!r}{hint}; expected one of: {', '.join(known)}")


def read(name: str, what: str = "--example") -> bytes:
    """The YAML text of a bundled example."""
    return (_folder() / f"{resolve(name, what)}.yaml").read_bytes()


def source(name: str) -> str:
    """The name errors and tables use for a bundled example."""
    return f"<example {resolve(name)}>"


def catalogue() -> list[Example]:
    """Every bundled example with its `description:`."""
    from .spec import parse_spec

    out = []
    for name in names():
        spec = parse_spec(read(name), source(name))
        out.append(Example(name, spec.description or ""))
    return out


def starter_text(name: str | None = None, what: str = "--example") -> str:
    """The text `init` writes (and `examples NAME` prints): an example whose schema line points next to the new file."""
    text = read(name or STARTER, what).decode("utf-8")
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(_MODELINE):
        lines[0:1] = [f"{_MODELINE}{SCHEMA_FILE}\n",
                      f"# (for completion in an editor: backcalc schema > {SCHEMA_FILE})\n"]
    return "".join(lines)
