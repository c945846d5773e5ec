"""A Gradescope autograder (autograder.zip: setup.sh, run_autograder, grade.py): a student uploads
their filled-in worksheet (exercise.txt, an answers file); the grader finds their variant from the
worksheet's first line or from their roster id (submission_metadata.json), grades each answer by
check's rules (classroom/grader.py, carried inside grade.py) and writes results.json as Gradescope's
autograder specification asks: a test per quantity with its score, and the total."""

from __future__ import annotations

from .embed import embedded
from .qti import deterministic_zip

SETUP = """#!/usr/bin/env bash
# grade.py needs only Python 3 (Gradescope's base image has it): nothing to install
"""

RUN = """#!/usr/bin/env bash
cd /autograder/source
python3 grade.py /autograder/submission /autograder/submission_metadata.json /autograder/results/results.json
"""

GRADE = r'''

import pathlib
import sys

_FIRST_LINE = re.compile(r"#\s*Exercise\s+(?P<id>[^:\s]+):")


def read_sheet(text):
    """(the variant id named on its first line, {key: value text}) of a filled-in worksheet."""
    found, answers = None, {}
    for line in text.splitlines():
        m = _FIRST_LINE.match(line)
        if m and found is None:
            found = m["id"]
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            key, _, value = line.rpartition(":")
            if value.strip():
                answers[key.strip().strip('"')] = value.strip()
    return found, answers


def find_variant(sheet_id, metadata):
    ids = {v["id"]: v for v in VARIANTS}
    if sheet_id in ids:
        return ids[sheet_id]
    for user in metadata.get("users", []):
        for field in ("sid", "email", "name"):
            if user.get(field) in ids:
                return ids[user[field]]
    return None


def results(submission, metadata):
    sheets = sorted(p for p in pathlib.Path(submission).rglob("*") if p.is_file())
    if not sheets:
        return {"score": 0, "output": "No file was submitted: upload your filled-in exercise.txt."}
    sheet_id, answers = read_sheet(sheets[0].read_text(encoding="utf-8", errors="replace"))
    v = find_variant(sheet_id, metadata)
    if v is None:
        return {"score": 0, "output": "Which exercise is this? Keep the worksheet's first line "
                                      "(# Exercise ID: …) or submit under the id on the roster."}
    verdicts, score = grade_answers(v, answers, MISTAKE_CREDIT, ECF_CREDIT, USE_BACKCALC)
    by_name = {x["name"]: x for x in verdicts}
    tests = []
    for q in v["quantities"]:
        x = by_name.get(q["name"])
        tests.append({"name": q["name"], "score": x["credit"] if x else 0.0, "max_score": 1.0,
                      "output": x["feedback"] if x else "no answer", "visibility": "visible"})
    return {"score": round(sum(t["score"] for t in tests), 6), "tests": tests,
            "output": f"Exercise {v['id']}: {sum(t['score'] for t in tests):g} of {len(tests)}"}


def main(argv):
    submission, metadata_path, out = argv[1:4]
    try:
        metadata = json.loads(pathlib.Path(metadata_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metadata = {}
    pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(out).write_text(json.dumps(results(submission, metadata), indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
'''


def autograder_zip(name: str, variants: list[dict], credits) -> bytes:
    grade = embedded(variants, credits, f"Gradescope autograder of {name}") + GRADE
    return deterministic_zip({"setup.sh": SETUP, "run_autograder": RUN, "grade.py": grade},
                             executable=("setup.sh", "run_autograder"))
