"""A class roster (CSV, a header row, one student a row): each student's id names their variant."""

from __future__ import annotations

import csv
import io
import re

from ..errors import UsageError

ID_COLUMNS = ("id", "student_id", "sid", "username", "login", "email")
_SAFE = re.compile(r"[A-Za-z0-9._@+-]+")


def read_roster(path: str) -> tuple[list[str], list[str], list[dict]]:
    """(the columns, each student's id, each student's row); the id column is the first of
    ID_COLUMNS the header has (any case), else the first column."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--roster {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    reader = csv.reader(io.StringIO(text))
    rows = [(n, row) for n, row in enumerate(reader, start=1) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise UsageError(f"{path}: expected a header row and one row per student, found {len(rows)} row(s)")
    header = [h.strip() for h in rows[0][1]]
    lower = [h.lower() for h in header]
    col = next((lower.index(c) for c in ID_COLUMNS if c in lower), 0)
    ids, students, seen = [], [], {}
    for line, row in rows[1:]:
        sid = row[col].strip() if col < len(row) else ""
        if not _SAFE.fullmatch(sid) or sid in (".", ".."):
            raise UsageError(f"{path}:{line}: column {header[col]}: expected an id of letters, digits and . _ @ + -"
                             f" (it names the student's folder), found {sid!r}")
        if sid in seen:
            raise UsageError(f"{path}:{line}: column {header[col]}: expected each id once, found {sid!r} "
                             f"again (first on line {seen[sid]})")
        seen[sid] = line
        ids.append(sid)
        students.append({h: (row[k].strip() if k < len(row) else "") for k, h in enumerate(header)})
    return header, ids, students
