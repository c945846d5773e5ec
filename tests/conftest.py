"""Shared test helpers: run the real CLI in-process, find the repo's configs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from backcalc.cli import app_for

# CI (CI=true) runs every property test on fixed examples, so a run is repeatable; locally each
# run draws new ones (and keeps any failure in .hypothesis/ to replay).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


def cli(*args: str, input: str | bytes | None = None, env: dict | None = None):
    """Invoke `backcalc ARGS` in-process, through the same dispatch as the entry point (`app_for`);
    the result has .exit_code, .stdout, .stderr."""
    runner = CliRunner()
    args = [str(a) for a in args]
    return runner.invoke(app_for(args), args, input=input, env={"COLUMNS": "100", **(env or {})})


def cli_json(*args: str, input: str | None = None) -> dict:
    result = cli(*args, "--json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cli_jsonl(*args: str, input: str | None = None) -> list[dict]:
    result = cli(*args, "--json", input=input)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def config():
    return lambda name: str(CONFIGS / f"{name}.yaml")
