"""The declared dependency ranges: the floors file CI tests them with matches pyproject.toml."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def _site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())






@pytest.mark.slow
def test_a_wheel_installed_elsewhere_runs_the_readme_check_example_and_docs(tmp_path):
    """Built as `pip wheel . --no-deps`, installed into a fresh venv (not editable), run from
    another folder: the README's check example and `backcalc docs check` work (~20 s)."""
    import shutil
    import sysconfig

    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "*.egg-info", ".*cache", ".hypothesis", "__pycache__", "benchmarks"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(src), "--no-deps", "-w", str(tmp_path / "dist")], check=True)
    wheel = next((tmp_path / "dist").glob("backcalc-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], check=True)
    # The runtime dependencies from this interpreter's site-packages; backcalc itself from the wheel
    # (a path in a .pth file does not run the editable install's own .pth there).
    (_site_packages(python) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args):
        return subprocess.run([str(venv / "bin" / "backcalc"), *args], cwd=elsewhere, capture_output=True,
                              text=True, env={**os.environ, "COLUMNS": "100"})

    where = subprocess.run([str(python), "-c", "import backcalc; print(backcalc.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(venv), where
    assert (Path(where.strip()).parent / "py.typed").is_file()  # PEP 561: type checkers read the API's hints
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"backcalc (check --example \S+ --answers-example [\w-]+)", readme)
    assert example, "the README shows the check example a pip user can run"
    checked = run(*example[1].split())
    assert checked.returncode == 1, checked.stderr  # wrong answers: the notebook's slip
    assert "12 of 22 right" in checked.stdout and "updated w5 used" in checked.stdout
    page = run("docs", "check")
    assert page.returncode == 0 and page.stdout == (ROOT / "docs" / "check.md").read_text()
    quiz = run("step", "--example", "sigmoid_seed", "--format", "html", "--quiz")  # its CSS and JS: package data
    assert quiz.returncode == 0, quiz.stderr
    assert "prefers-color-scheme" in quiz.stdout and "function grade(" in quiz.stdout
    listing = run("examples")
    assert "sigmoid_seed_2dp" in listing.stdout.split("\n\n")[1]
