"""What reading a spec leaves unimported: fractions (and decimal) until a value needs them, difflib
until a message suggests a name; benchmarks/run.py measures what that saves at start-up."""

import json
import subprocess
import sys

from conftest import ROOT

PROBE = """import atexit, sys
atexit.register(lambda: sys.__stderr__.write(
    "IMPORTED " + " ".join(m for m in ("fractions", "decimal", "difflib") if m in sys.modules) + "\\n"))
sys.argv = ["backcalc", *sys.argv[1:]]
from backcalc.entry import main
main()
"""


def imported(*args, stdin=None):
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    lines = [line for line in proc.stderr.splitlines() if line.startswith("IMPORTED")]
    return proc, set(lines[-1].split()[1:])


def test_a_float_step_imports_no_fractions():
    proc, mods = imported("step", "configs/mazur.yaml", "--json")
    assert proc.returncode == 0 and proc.stdout.startswith("{"), proc.stderr
    assert not mods & {"fractions", "decimal"}, mods


def test_a_fraction_in_the_spec_is_still_read_exactly():
    spec = "inputs: [1/3, 0.5]\ntarget: 1\nlayers:\n - {activation: identity, weights: [[1/3, 2]], biases: [0]}\n"
    proc, mods = imported("step", "-", "--exact", "--json", stdin=spec)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["layers"][0]["z"] == [["10/9"]]  # 1/3 · 1/3 + 2 · 0.5, exactly
    assert "fractions" in mods


def test_a_misspelt_key_still_gets_its_suggestion():
    proc, mods = imported("step", "-", "--json", stdin="inputs: [1]\ntarget: 1\nlayer:\n - {size: 1}\n")
    assert proc.returncode == 2
    assert "did you mean `layers`" in proc.stderr, proc.stderr
