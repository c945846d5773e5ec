"""JSON and JSON Lines: the results' own dictionaries, at full precision."""

from __future__ import annotations

import json
import sys


def dumps(data: dict) -> str:
    # allow_nan=False: a NaN must never leave as invalid JSON; results turn
    # non-finite values into null before they get here. On a standard output that
    # cannot encode every character (ASCII, Latin-1) they are written as \uXXXX, which
    # read back exactly (the tables' ASCII spellings would change the data).
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    return json.dumps(data, allow_nan=False, ensure_ascii=not encoding.startswith("utf"))
