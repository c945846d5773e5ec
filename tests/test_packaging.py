"""The declared dependency ranges: the floors file CI tests them with matches pyproject.toml."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11


def _floors_declared() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = {}
    for dep in deps:
        m = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)", dep)
        assert m, f"every runtime dependency declares a floor (>=): {dep}"
        floors[m[1].lower()] = m[2]
    return floors


def _floors_tested() -> dict[str, str]:
    lines = (ROOT / "constraints" / "floors.txt").read_text().splitlines()
    pins = (line.split("==") for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip().lower(): version.strip() for name, version in pins}


def _same_version(a: str, b: str) -> bool:
    pad = lambda v: [int(x) for x in v.split(".")] + [0] * (3 - len(v.split(".")))  # noqa: E731
    return pad(a) == pad(b)


def test_ci_tests_every_floor_pyproject_declares():
    declared, tested = _floors_declared(), _floors_tested()
    assert declared.keys() == tested.keys()
    for name in declared:
        assert _same_version(declared[name], tested[name]), (name, declared[name], tested[name])


def test_ci_runs_the_suite_on_the_floors():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M) and re.search(r"^make test-floors$", ci, re.M)
