"""What a newcomer trips over (issue 13): help, a silent stdin, the starter, numbers, a pip install."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, cli

from backcalc.cli import app

COMMANDS = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]


def test_bare_backcalc_prints_the_help_and_exits_0():
    result = cli()
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: backcalc")
    assert all(name in result.stdout for name in COMMANDS)
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_dash_h_is_help_on_every_command(command):
    args = [command] if command else []
    short, long = cli(*args, "-h"), cli(*args, "--help")
    assert short.exit_code == long.exit_code == 0, short.stderr
    assert short.stdout == long.stdout and "-h, --help" in short.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_metavars_are_words_not_click_types(command):
    text = cli(command, "--help").stdout
    assert not re.search(r"<(int|float|integer|text)[^>]*>", text, re.I), text
    assert "range>" not in text


def test_stdin_hint_on_a_terminal_only(config):
    """`step -` on a terminal says what it waits for; piped input gets no hint."""
    import pty

    spec = Path(config("relu_seed")).read_text()
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "backcalc", "step", "-", "--json"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    try:
        # Give the hint time to appear before input arrives, as for a person at the keyboard.
        time.sleep(0.5)
        for line in spec.splitlines():
            os.write(master, line.encode() + b"\n")
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert b"reading the spec from standard input; Ctrl-D to end" in err
    assert b'"loss": 0.25' in out

    piped = cli("step", "-", "--json", input=spec)
    assert piped.exit_code == 0 and "standard input" not in piped.stderr


def test_init_writes_each_comment_once():
    result = cli("init", "-")
    assert result.exit_code == 0
    comments = [line for line in result.stdout.splitlines() if line.startswith("#") and len(line) > 20]
    repeated = [line for line, n in Counter(comments).items() if n > 1]
    assert not repeated and "Larger data can come from files instead" in result.stdout


# Item 16: what the README and the help point to is installed with the package.

BUNDLED_ANSWERS = ROOT / "backcalc" / "examples" / "answers"
BUNDLED_DOCS = ROOT / "backcalc" / "docs"


def test_bundled_answers_and_docs_are_links_to_the_one_copy():
    answers = sorted(p.name for p in (ROOT / "configs" / "answers").glob("*.yaml"))
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert answers and sorted(p.name for p in BUNDLED_ANSWERS.iterdir()) == answers
    assert pages and sorted(p.name for p in BUNDLED_DOCS.iterdir()) == pages
    for name in answers:
        assert os.readlink(BUNDLED_ANSWERS / name) == f"../../../configs/answers/{name}"
    for name in pages:
        assert os.readlink(BUNDLED_DOCS / name) == f"../../docs/{name}"


def test_examples_lists_the_answers_files_and_check_runs_them(config):
    listing = cli("examples")
    assert listing.exit_code == 0
    answers_part = listing.stdout.split("\n\n")[1].splitlines()
    assert "--answers-example" in answers_part[0]
    listed = [line.split()[0] for line in answers_part[1:]]
    assert listed == sorted(p.stem for p in (ROOT / "configs" / "answers").glob("*.yaml"))
    for name in listed:
        file = ROOT / "configs" / "answers" / f"{name}.yaml"
        spec = next(e["name"] for e in json.loads(cli("examples", "--json").stdout) if name in e["answers"])
        by_file = cli("check", config(spec), "--answers", str(file), "--json")
        bundled = cli("check", "--example", spec, "--answers-example", name, "--json")
        assert by_file.exit_code == bundled.exit_code and by_file.exit_code in (0, 1), bundled.stderr
        assert json.loads(bundled.stdout)["verdicts"] == json.loads(by_file.stdout)["verdicts"]
        assert cli("examples", name, "--answers").stdout == file.read_text()


def test_check_needs_exactly_one_answers_source(config):
    for args in ([], ["--answers", "x.yaml", "--answers-example", "sigmoid_seed"]):
        result = cli("check", config("sigmoid_seed"), *args)
        assert result.exit_code == 2 and result.stdout == ""
        assert "--answers-example" in result.stderr and len(result.stderr.splitlines()) == 1


def test_docs_prints_every_page_and_lists_them():
    listing = cli("docs")
    assert listing.exit_code == 0
    pages = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    assert [line.split()[0] for line in listing.stdout.splitlines()] == pages
    for page in pages:
        assert cli("docs", page).stdout == (ROOT / "docs" / f"{page}.md").read_text()
    unknown = cli("docs", "chek")
    assert unknown.exit_code == 2 and "did you mean `check`" in unknown.stderr and unknown.stdout == ""


def test_every_docs_pointer_in_the_help_and_the_starter_is_a_page():
    """What `check --help`, an answers error and `init` tell a user to read can be printed."""
    pages = {line.split()[0] for line in cli("docs").stdout.splitlines()}
    texts = cli("check", "--help").stdout + cli("init", "-").stdout
    pointers = re.findall(r"backcalc docs ([\w-]+)", texts)
    assert pointers and all(p in pages for p in pointers)
    assert not re.search(r"(?<![\w`])docs/[\w-]+\.md", texts)  # no path a pip user lacks


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
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"backcalc (check --example \S+ --answers-example [\w-]+)", readme)
    assert example, "the README shows the check example a pip user can run"
    checked = run(*example[1].split())
    assert checked.returncode == 1, checked.stderr  # wrong answers: the notebook's slip
    assert "12 of 22 right" in checked.stdout and "updated w5 used" in checked.stdout
    page = run("docs", "check")
    assert page.returncode == 0 and page.stdout == (ROOT / "docs" / "check.md").read_text()
    listing = run("examples")
    assert "sigmoid_seed_2dp" in listing.stdout.split("\n\n")[1]


# Item 17: the seed examples are described in the repository, in words a newcomer understands.

def test_example_descriptions_say_what_each_example_is_not_a_seed_number():
    listed = json.loads(cli("examples", "--json").stdout)
    numbered = [e["name"] for e in listed if re.search(r"\bseeds?\s*\d", e["description"], re.I)]
    assert not numbered, numbered


def test_the_seed_documents_are_described_inside_the_repository():
    readme, configs = (ROOT / "README.md").read_text(), (ROOT / "configs" / "README.md").read_text()
    for text, base in ((readme, ROOT), (configs, ROOT / "configs")):
        for path in re.findall(r"[`(](\.\./[^`)\s]+)", text):
            assert (base / path).resolve().is_relative_to(ROOT), f"{path} points outside the repository"
    # each seed config's document, with the numbers where it goes wrong
    seeds = [e["name"] for e in json.loads(cli("examples", "--json").stdout) if "seed" in e["name"]]
    assert all(f"`{name}.yaml`" in configs for name in seeds)
    for number in ("0.01199", "0.01362", "0.013368", "0.014996", "0.9590413360683729", "0.07616360712960568"):
        assert number in configs, number


# Item 12: one rule for numbers in every view: never fewer than --digits significant figures.

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[+−-]\d+| \\times 10\^\{-?\d+\})?")


def _numbers(text: str) -> list[float]:
    """Every number written in `text` (tables, formulas, LaTeX's m × 10^k)."""
    out = []
    for token in NUMBER.findall(text):
        token = re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", token).replace("−", "-")
        out.append(float(token))
    return out


def _significant(value: float, written: list[float], digits: int) -> bool:
    """Some number in `written` is `value` correct to `digits` significant figures."""
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    return any(abs(w - value) <= half_unit * (1 + 1e-9) for w in written)


def _step_values(data: dict) -> list[float]:
    values = [data["loss"]]
    for p in data["parameters"]:
        values += [p["grad"], p["new"], p["value"]]
    for layer in data["layers"]:
        values += [v for row in layer["z"] + layer["a"] for v in row]
    return [v for v in values if v != 0]


@pytest.mark.parametrize("name", ["mazur", "relu_seed", "batch_seed", "sigmoid_seed_adam", "linear_regression"])
@pytest.mark.parametrize("digits", ["3", "5"])
def test_every_view_shows_at_least_digits_significant_figures(name, digits):
    data = json.loads(cli("step", "--example", name, "--json").stdout)
    values = _step_values(data)
    for view in (["--format", "table"], ["--format", "markdown"], ["--format", "latex"]):
        out = cli("step", "--example", name, "--digits", digits, *view, env={"COLUMNS": "200"})
        assert out.exit_code == 0, out.stderr
        written = _numbers(out.stdout)
        missing = [v for v in values if not _significant(v, written, int(digits))]
        assert not missing, (view, missing)


def test_a_tiny_loss_keeps_its_figures_like_every_other_small_number():
    # one identity neuron whose output misses the target by √5.14e-6: a loss of 5.14e-6
    spec = "inputs: [1.0]\ntarget: 1.0022671568\nlayers:\n  - activation: identity\n    weights: [[1.0]]\nloss: mse\n"
    loss = json.loads(cli("step", "-", "--json", input=spec).stdout)["loss"]
    assert 5.1e-6 < loss < 5.2e-6
    table = cli("step", "-", input=spec).stdout
    assert _significant(loss, _numbers(table), 5)
    assert "0.00001" not in table


def test_more_digits_than_a_float_holds_show_zeros_not_noise():
    result = cli("step", "--example", "relu_seed", "--digits", "17", "--json")
    new = {p["name"]: p["new"] for p in json.loads(result.stdout)["parameters"]}
    table = cli("step", "--example", "relu_seed", "--digits", "17", env={"COLUMNS": "200"}).stdout
    update = table.split("Update:")[1]
    for row in update.splitlines()[3:]:
        cells = row.split()
        if cells and cells[0] in new:
            shown = cells[-1].replace("−", "-")
            assert float(shown) == new[cells[0]]
            assert shown.rstrip("0").rstrip(".") == repr(new[cells[0]]).rstrip("0").rstrip("."), row


def test_values_rounded_by_hand_show_their_decimals():
    table = cli("step", "--example", "sigmoid_seed", "--round", "2").stdout
    drift = table.split("Hand-rounding:")[1].splitlines()
    by_hand = [line.split()[2] for line in drift if re.match(r" (z_|h\d|out|loss|dL/|delta|dh|dout|w\d|b\d)", line)]
    assert len(by_hand) > 20 and all(re.fullmatch(r"−?\d+\.\d\d", v) for v in by_hand), by_hand
    assert "0.00" in by_hand  # ∂L/∂w1 = δh1 · x1 = 0.01 · 0.05, rounded to 2 decimals
