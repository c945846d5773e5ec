"""The exports by name: each gives {path under --out: bytes}."""

from __future__ import annotations

import re
from dataclasses import dataclass

EXPORTS = ("moodle", "gift", "qti", "prairielearn", "gradescope")
# Where a platform gives each student a variant at random, a student's id would only tell others who
# had which numbers: those exports number the variants instead. Canvas (a quiz per variant, assigned
# by hand) and Gradescope (which finds a student's variant by their id) keep the ids.
KEEP_IDS = ("qti", "gradescope")


@dataclass(frozen=True)
class Credits:
    mistake: float = 0.5  # an error of its own that a common mistake explains
    ecf: float = 1.0  # a value carried forward from an earlier error


def slug(text: str) -> str:
    """A name fit for file names, identifiers and categories."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "exercise"


def shared_data(kind: str, variants: list[dict]) -> list[dict]:
    """The variants as an export carries them: never the roster's other columns (names, emails)."""
    out = []
    for v in variants:
        v = {k: value for k, value in v.items() if k != "student"}
        if kind not in KEEP_IDS:
            number = f"v{v['number']:03d}"
            first, rest = v["spec"].split("\n", 1)  # the spec's header names the variant
            v["spec"] = first.replace(f"variant {v['id']} of", f"variant {number} of", 1) + "\n" + rest
            v["id"] = number
        out.append(v)
    return out


def export(kind: str, name: str, seed: int, variants: list[dict], specs: list, answer_decimals: int,
           credits: Credits) -> dict[str, bytes]:
    if kind == "moodle":
        from .moodle import moodle_xml

        return {"moodle.xml": moodle_xml(name, variants, specs, answer_decimals, credits).encode("utf-8")}
    if kind == "gift":
        from .moodle import gift

        return {"gift.txt": gift(name, variants, specs, answer_decimals, credits).encode("utf-8")}
    if kind == "qti":
        from .qti import qti_zip

        return {"qti.zip": qti_zip(name, variants, specs, answer_decimals, credits)}
    if kind == "prairielearn":
        from .prairielearn import question_folder

        files = question_folder(name, seed, variants, specs, answer_decimals, credits)
        return {f"prairielearn/{name}/{path}": text.encode("utf-8") for path, text in files.items()}
    if kind == "gradescope":
        from .gradescope import autograder_zip

        return {"gradescope/autograder.zip": autograder_zip(name, variants, credits)}
    raise ValueError(kind)
