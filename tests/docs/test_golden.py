"""The human tables of every config, compared with reviewed golden text (`make golden`)."""

from __future__ import annotations

import pytest
from make_golden import CASES, GOLDEN, render


@pytest.mark.parametrize("name,args", CASES, ids=[c[0] for c in CASES])
def test_golden(name, args):
    expected = (GOLDEN / name).read_text()
    assert render(args) == expected, f"table output changed: run `make golden` and review the diff of {name}"
