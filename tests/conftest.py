"""Shared test helpers: run the real CLI in-process, find the repo's configs."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from backcalc.cli import app_for

# The Makefile's helper scripts (tools/: readme_blocks, make_golden, make_spec_doc) double as test helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

# CI (CI=true) runs every property test on fixed examples, so a run is repeatable; locally each
# run draws new ones (and keeps any failure in .hypothesis/ to replay).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Two *different* computations of the same value (a fast path and `step`, NumPy's SIMD exp and
# math.exp) agree to rounding, not bit for bit: compare them within these bounds. Bit-for-bit
# equality is asserted only where the same path recomputes (a resumed run against an
# uninterrupted one).
PATH_RTOL = 1e-15  # a few ulps
PATH_ATOL = 1e-300


def network_configs() -> list[Path]:
    """The bundled configs that are networks (the circuits among them have tests of their own: tests/circuit)."""
    import yaml

    return sorted(p for p in CONFIGS.glob("*.yaml") if "values" not in yaml.safe_load(p.read_text()))


def assert_same_math(actual, expected, rtol: float = PATH_RTOL, atol: float = PATH_ATOL) -> None:
    """Assert two computations of the same quantities agree to a few ulps (numbers, lists or
    dicts of them, compared key by key)."""
    import numpy as np

    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), (actual, expected)
        for key in expected:
            assert_same_math(actual[key], expected[key], rtol, atol)
        return
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rtol, atol=atol)


def shown(value: float, digits: int = 5) -> str:
    """How a table writes `value` between 0.001 and 10⁹, as the test suite's own arithmetic: at least
    `digits` significant figures and at least `digits` decimals (ASCII minus)."""
    import math

    return f"{value:.{max(digits, digits - 1 - math.floor(math.log10(abs(value))))}f}"


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


# A signal test waits until the process has computed for a while (past start-up, its handlers
# installed) rather than for a wall-clock time, which a loaded machine stretches.
def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_cpu(proc, seconds: float) -> None:
    """Until the process has computed for `seconds` (past start-up: training is under way), however loaded
    the machine is."""
    if not Path("/proc/self/stat").exists():
        proc.kill()
        proc.wait()
        pytest.skip("reads a process's CPU time from /proc")
    deadline = time.monotonic() + 120
    while _cpu_seconds(proc.pid) < seconds:
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended or never got going"
        time.sleep(0.02)


# Bad input: one located line on stderr, exit 2, nothing on stdout.
def one_line(result, code: int = 2) -> str:
    """The single stderr line of a clean failure."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def where(text: str, token: str) -> str:
    """`line:col` (1-based) of the first `token` in `text`."""
    before = text[:text.index(token)]
    return f"{before.count(chr(10)) + 1}:{len(before) - (before.rfind(chr(10)) + 1) + 1}"


def write_file(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """`content` (text as UTF-8, or bytes) as the file `name` in `tmp_path`."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path
