"""JSON and JSON Lines: the results' own dictionaries, at full precision."""

from __future__ import annotations

import json


def dumps(data: dict) -> str:
    # allow_nan=False: a NaN must never leave as invalid JSON; results turn
    # non-finite values into null before they get here.
    return json.dumps(data, allow_nan=False, ensure_ascii=False)
