"""tools/dump_outputs.py, the safety net around a refactor: two dumps are byte-identical, they cover
every command, and --compare catches a one-byte and a one-ulp change (tolerating the latter only when asked)."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, cli

TOOL = ROOT / "tools" / "dump_outputs.py"
SMALL = ["--configs", "sigmoid_seed,linear_seed", "--random", "2", "--jobs", "1"]


@functools.cache
def _tool():
    spec = importlib.util.spec_from_file_location("dump_outputs", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dump_outputs"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    """Two dumps of the same small selection, made at the same time by two processes."""
    base = tmp_path_factory.mktemp("dumps")
    runs = [subprocess.Popen([sys.executable, str(TOOL), str(base / name), *SMALL], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in "ab"]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    return base / "a", base / "b"


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_two_dumps_are_byte_identical(dumps):
    a, b = dumps
    names = _files(a)
    assert names == _files(b)
    assert len(names) > 200
    assert [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()] == []
    result = _run("--compare", a, b)
    assert result.returncode == 0, result.stdout
    assert f"{len(names)} files: 0 differ" in result.stdout


def test_the_dump_covers_every_command(dumps):
    a, _ = dumps
    help_text = cli("--help").stdout
    commands = re.findall(r"^  (\S+)\s", help_text.split("Commands:")[1], re.M)
    assert len(commands) >= 9
    rows = [line.split("\t") for line in (a / "MANIFEST.txt").read_text().splitlines() if not line.startswith("#")]
    succeeded = {argv.split()[0] for _, code, argv in rows if code == "0"}
    assert set(commands) <= succeeded
    # Every case of a spec left a file, with the command line and exit code the manifest names.
    for name, code, argv in rows:
        head = (a / name).read_text().splitlines()[:2]
        assert head == [f"$ backcalc {argv}", f"exit: {code}"]


def test_every_option_of_every_command_has_a_case():
    # A new option needs a case in tools/dump_outputs.py, or the refactor could change it unseen.
    assert _tool().uncovered_options() == []


def test_no_output_holds_a_temporary_path(dumps):
    a, _ = dumps
    leaks = [n for n in _files(a) if re.search(rb"/tmp/|backcalc-dump-|scratch-\d", (a / n).read_bytes())]
    assert leaks == []


def _planted(dumps, tmp_path):
    a, _ = dumps
    c = tmp_path / "c"
    shutil.copytree(a, c)
    return a, c


def test_compare_finds_a_planted_byte(dumps, tmp_path):
    a, c = _planted(dumps, tmp_path)
    target = c / "sigmoid_seed" / "step.table.txt"
    data = bytearray(target.read_bytes())
    i = data.index(b"0.", data.index(b"--- stdout"))  # a digit of a table's number
    data[i + 2] = ord("7") if data[i + 2] != ord("7") else ord("8")
    target.write_bytes(bytes(data))
    for extra in ([], ["--tolerate-ulps", "1000"]):  # a rounded table number is never a few ulps off
        result = _run("--compare", a, c, *extra)
        assert result.returncode == 1
        assert "differs: sigmoid_seed/step.table.txt" in result.stdout
        assert re.search(r"^  -.*\n  \+", result.stdout, re.M)  # a unified diff of the line
        assert "1 differ," in result.stdout


def _shift_loss(folder, n_ulps: int) -> str:
    """Move step --json's loss `n_ulps` doubles up, keeping the dump file well formed."""
    tool = _tool()
    target = folder / "sigmoid_seed" / "step.json.txt"
    parts = tool.parse_dump_file(target.read_bytes())
    loss = json.loads(parts["stdout"])["loss"]
    moved = loss
    for _ in range(n_ulps):
        moved = math.nextafter(moved, math.inf)
    old, new = f'"loss": {loss!r}'.encode(), f'"loss": {moved!r}'.encode()
    assert parts["stdout"].count(old) == 1
    parts["stdout"] = parts["stdout"].replace(old, new)
    target.write_bytes(tool.format_dump_file(parts))
    return "sigmoid_seed/step.json.txt"


def test_compare_finds_a_planted_ulp_and_tolerates_it_when_asked(dumps, tmp_path):
    a, c = _planted(dumps, tmp_path)
    name = _shift_loss(c, 1)
    strict = _run("--compare", a, c)
    assert strict.returncode == 1
    assert f"differs: {name}" in strict.stdout
    assert "JSON: 1 number(s) differ" in strict.stdout and "at $[0].loss; up to 1 ulp" in strict.stdout
    tolerant = _run("--compare", a, c, "--tolerate-ulps", "1")
    assert tolerant.returncode == 0, tolerant.stdout
    assert f"within 1 ulps: {name}: 1 number(s), up to 1 ulp" in tolerant.stdout
    assert "0 differ, 1 within 1 ulps" in tolerant.stdout


def test_compare_tolerates_no_more_ulps_than_asked(dumps, tmp_path):
    a, c = _planted(dumps, tmp_path)
    name = _shift_loss(c, 3)
    result = _run("--compare", a, c, "--tolerate-ulps", "2")
    assert result.returncode == 1
    assert f"differs: {name}" in result.stdout and "up to 3 ulps" in result.stdout


def test_compare_reports_a_missing_file(dumps, tmp_path):
    a, c = _planted(dumps, tmp_path)
    (c / "linear_seed" / "graph.dot.txt").unlink()
    result = _run("--compare", a, c, "--tolerate-ulps", "5")
    assert result.returncode == 1
    assert f"only in {a}: linear_seed/graph.dot.txt" in result.stdout
