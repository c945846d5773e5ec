"""Grade a class: every student's answers checked, a score with error-carried-forward credit, and
how often each mistake was made at which quantity (docs/check.md, "Grading a class").

The students come from a folder of answers files (one a student, named by the file's stem) or a
roster CSV (`student`, `answers` and, for per-student variants, `spec` columns). A file that
cannot be read is one problem line; the others are still graded.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BackcalcError, ExitCode, UsageError
from .spec_model import Spec

ANSWER_SUFFIXES = (".yaml", ".yml", ".txt")
NOT_RECOGNISED = "not_recognised"  # the id of an error of its own no mistake reproduces


@dataclass
class Student:
    """One student's work: where it comes from, and its grading (None: it could not be graded)."""

    name: str
    answers_source: str
    spec_source: str
    result: object = None  # a check.CheckResult
    problem: str | None = None  # one line: why this student could not be graded

    @property
    def graded(self) -> bool:
        return self.result is not None

    @property
    def credit(self) -> int:
        return sum(v.credited for v in self.result.verdicts)

    @property
    def score(self) -> float:
        """The share of answers credited: right, or a wrong number that follows correctly from the student's own."""
        return self.credit / len(self.result.verdicts)

    @property
    def convention(self):
        """The other convention every answer follows (conventions.Followed), or None."""
        found = self.result.convention
        return found if found is not None and found.right == found.total else None

    def errors(self, first_only: bool = False) -> list[tuple[str, str, str]]:
        """(quantity, mistake id, its words) for each error of the student's own (where errors begin);
        `first_only`: only the first cause named for each. Answers that all follow another
        convention are one entry, that convention, not mistakes."""
        if self.convention is not None:
            c = self.convention.convention
            return [("every answer", f"convention:{c.id}", f"another convention: {c.text}")]
        out = []
        for v in self.result.wrong:
            if v.upstream is not None:
                continue
            for c in (v.causes or [None])[:1 if first_only else None]:
                out.append((v.quantity, c.mistake if c else NOT_RECOGNISED,
                            c.text.split(", applied to your own")[0] if c else "cause not recognised"))
        return out

    def to_dict(self) -> dict:
        out = {"student": self.name, "answers": self.answers_source, "config": self.spec_source}
        if not self.graded:
            return {**out, "problem": self.problem}
        verdicts = self.result.verdicts
        return {**out, "score": round(self.score, 6), "total": len(verdicts),
                "right": sum(v.verdict != "wrong" for v in verdicts),
                "carried_forward": sum(v.carried for v in verdicts), "wrong": len(self.result.wrong),
                "first_wrong": self.result.roots,
                "convention": self.result.convention.to_dict() if self.result.convention is not None else None,
                "errors": [{"quantity": q, "mistake": m, "text": t} for q, m, t in self.errors()],
                "check": self.result.to_dict()}


@dataclass
class MistakeCount:
    """One mistake across the class: how many students made it, and at which quantities."""

    mistake: str
    text: str
    students: list[str]
    at: Counter = field(default_factory=Counter)  # quantity -> students who made it there

    def to_dict(self, graded: int) -> dict:
        return {"mistake": self.mistake, "text": self.text, "students": len(self.students),
                "share": round(len(self.students) / graded, 6) if graded else 0.0,
                "at": [{"quantity": q, "students": n} for q, n in self.at.most_common()],
                "names": self.students}


@dataclass
class ClassReport:
    source: str  # the folder or the roster
    students: list[Student]

    @property
    def graded(self) -> list[Student]:
        return [s for s in self.students if s.graded]

    @property
    def problems(self) -> list[Student]:
        return [s for s in self.students if not s.graded]

    def mistakes(self) -> list[MistakeCount]:
        """Every mistake made, most students first (what to re-teach first)."""
        rows: dict[tuple[str, str], MistakeCount] = {}
        for s in self.graded:
            for quantity, mistake, text in s.errors(first_only=True):  # twins counted once
                row = rows.setdefault((mistake, text), MistakeCount(mistake, text, []))
                if s.name not in row.students:
                    row.students.append(s.name)
                row.at[quantity] += 1
        return sorted(rows.values(), key=lambda r: (-len(r.students), r.mistake == NOT_RECOGNISED, r.mistake, r.text))

    @property
    def exit_code(self) -> int:
        if not self.graded:
            return int(ExitCode.BAD_INPUT)
        if self.problems or any(not s.result.ok for s in self.graded):
            return int(ExitCode.WRONG)
        return int(ExitCode.OK)

    def to_dict(self) -> dict:
        graded = self.graded
        scores = [s.score for s in graded]
        return {
            "class": self.source,
            "summary": {"students": len(self.students), "graded": len(graded), "problems": len(self.problems),
                        "all_right": sum(s.result.ok for s in graded),
                        "mean_score": round(sum(scores) / len(scores), 6) if scores else None},
            "students": [s.to_dict() for s in self.students],
            "mistakes": [m.to_dict(len(graded)) for m in self.mistakes()],
        }


def folder_students(folder: str, spec_source: str) -> list[Student]:
    """One student per answers file in `folder` (.yaml, .yml, .txt), by file stem, in name order."""
    root = Path(folder)
    files = _answer_files(root)
    if not files:
        raise UsageError(f"--answers {folder}: no answers files (*.yaml, *.yml, *.txt) in the folder")
    return [Student(p.stem, str(p), spec_source) for p in files]


# the column naming the student: ours, then `backcalc exercise`'s index.csv, then a roster's id columns
STUDENT_COLUMNS = ("student", "variant", "id", "student_id", "sid", "username", "login", "email", "name")


def roster_students(roster: str, spec_source: str | None, answers_dir: str | None = None) -> list[Student]:
    """The students of a roster CSV: a student column (`student`, or `backcalc exercise`'s
    `variant`, or an id column), `answers` and optional `spec` columns, paths relative to the
    roster's folder; a row without a spec uses SPEC. With `answers_dir`, each student's answers
    are the file there named by the student (`DIR/ada.yaml`), not the `answers` column."""
    path = Path(roster)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--roster {roster}: cannot read it ({e.__class__.__name__}: {e})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    who = next((c for c in STUDENT_COLUMNS if c in columns), None)
    if who is None or (answers_dir is None and "answers" not in columns):
        raise UsageError(f"{roster}:1: expected the columns student, answers (and spec), found "
                         f"{', '.join(columns) or 'none'}")
    if answers_dir is None and "solution" in columns:  # the answers column is the answer key
        raise UsageError(f"{roster}: this is `backcalc exercise`'s index (its answers column is the answer key); "
                         "give the students' answers with --answers DIR/ (a file per student, named by the "
                         f"{who} column)")
    out, seen = [], set()
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str) or v is None}
        name, answers, spec = row.get(who, ""), row.get("answers", ""), row.get("spec", "")
        if answers_dir is not None and name:
            answers = str(_handed_in(Path(answers_dir), name))
        elif answers:
            answers = str(path.parent / answers)
        where = f"{roster}:{line}"
        student = Student(name or f"(row {line})", answers,
                          str(path.parent / spec) if spec else (spec_source or ""))
        if not name:
            student.problem = f"{where}: {who}: expected a name, found an empty cell"
        elif name in seen:
            student.problem = f"{where}: {who}: {name} is listed twice"
        elif not answers:
            student.problem = f"{where}: answers: expected a file, found an empty cell"
        elif not student.spec_source:
            student.problem = f"{where}: spec: expected a spec file (or SPEC on the command line), found an empty cell"
        seen.add(name)
        out.append(student)
    if not out:
        raise UsageError(f"{roster}: no students listed")
    if answers_dir is not None:
        listed = {Path(s.answers_source).name for s in out}
        out += [Student(p.stem, str(p), "", problem=f"{p}: {p.stem} is not on the roster {roster}")
                for p in _answer_files(Path(answers_dir)) if p.name not in listed]
    return out


def _answer_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in ANSWER_SUFFIXES and not p.name.startswith("."))


def _handed_in(folder: Path, name: str) -> Path:
    """The student's file in the folder (NAME.yaml, .yml or .txt; NAME.yaml if none is there)."""
    for suffix in ANSWER_SUFFIXES:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return folder / f"{name}.yaml"


def grade(students: list[Student], source: str, spec_for, decimals: int | None = None,
          conventions: bool = False) -> ClassReport:
    """Check every student who has no problem yet; `spec_for(path)` reads a spec (cached by path)."""
    from .answers import read_answers
    from .check import check

    specs: dict[str, Spec | BackcalcError] = {}
    for s in students:
        if s.problem:
            continue
        if s.spec_source not in specs:
            try:
                specs[s.spec_source] = spec_for(s.spec_source)
            except BackcalcError as e:
                specs[s.spec_source] = e
        spec = specs[s.spec_source]
        try:
            if isinstance(spec, BackcalcError):
                raise spec
            if not Path(s.answers_source).is_file():
                raise UsageError(f"{s.answers_source}: no such file (no answers handed in)")
            s.result = check(spec, read_answers(s.answers_source, spec), decimals, s.answers_source, conventions)
        except BackcalcError as e:
            lines = e.lines()
            s.problem = lines[0] + (f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else "")
    return ClassReport(source, students)


__all__ = ["ClassReport", "MistakeCount", "Student", "folder_students", "grade", "roster_students"]
