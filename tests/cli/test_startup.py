"""Start-up import discipline: what a command imports before it answers (not a timing test).

benchmarks/run.py measures the times; these guard the mechanism that keeps them down.
"""

import subprocess
import sys
from importlib.metadata import version

from conftest import ROOT

WATCHED = ("typer", "click", "rich", "rich._emoji_codes", "numpy", "yaml", "importlib.metadata")

# Runs the real entry point, then reports which of WATCHED were imported (at exit: the
# commands end with sys.exit).
PROBE = """import atexit, sys
def report():
    loaded = sorted(m for m in {watched!r} if m in sys.modules)
    sys.__stderr__.write("IMPORTED " + " ".join(loaded) + "\\n")
atexit.register(report)
sys.argv = ["backcalc", *sys.argv[1:]]
from backcalc.entry import main
main()
"""


def imported(*args):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(watched=WATCHED), *args], cwd=ROOT,
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("IMPORTED")]
    return proc.stdout, set(lines[-1].split()[1:])


def test_version_is_answered_before_typer_or_numpy_is_imported():
    out, mods = imported("--version")
    assert out == f"backcalc {version('backcalc')}\n"
    assert mods == set(), mods  # not even importlib.metadata: the version is read from METADATA


def test_version_after_other_arguments_still_goes_through_the_command_line():
    out, mods = imported("--version", "step")
    assert out == f"backcalc {version('backcalc')}\n"
    assert "typer" in mods


def test_step_json_does_not_import_rich():
    out, mods = imported("step", "configs/mazur.yaml", "--json")
    assert out.startswith("{")
    assert {"typer", "numpy", "yaml"} <= mods
    assert "rich" not in mods, mods


def test_step_tables_import_rich():  # the probe sees rich when it is there
    out, mods = imported("step", "configs/mazur.yaml")
    assert "rich" in mods


def test_names_like_emoji_codes_are_shown_verbatim(tmp_path):
    """Regression: rich's tables turned ":smile:" into 😄."""
    from conftest import cli

    spec = tmp_path / "m.yaml"
    spec.write_text('inputs: [1, 2]\ntarget: 1\nlayers:\n - activation: sigmoid\n   names: [":smile:"]\n'
                    '   weights: [[":thumbs_up:": 0.5, "w2": 0.2]]\n   biases: [0.1]\n')
    for args in (["step"], ["forward"], ["train", "--epochs", "2"]):
        result = cli(*args, spec)
        assert result.exit_code == 0, (args, result.stderr)
        assert "😄" not in result.stdout and "👍" not in result.stdout, args
        assert ":smile:" in result.stdout or args[0] == "train", args
    # (Whether rich then skips loading its emoji table depends on rich's version: 14.3 still loads
    # it, so that start-up saving is make bench's to measure, not a test's to assert.)
