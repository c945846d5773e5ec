"""How a training run stops, on every path (scalar kernel, in-place engine, reference loop):
on NaN/infinity, on signals at random moments (fault injection), and never hanging first.

Set BACKCALC_FAULT_TRIALS=200 for a longer fault-injection run (CI runs each path × fault once).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_same_math, cli, wait_for_cpu

from backcalc.network import Network
from backcalc.spec import load_spec
from backcalc.training import Trainer

BACKCALC = Path(sys.executable).with_name("backcalc")
OLD = "# the previous file\nold: content\n"
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")


def _data(rng, n: int, n_in: int, n_out: int) -> str:
    x = rng.uniform(-1, 1, (n, n_in)).round(3).tolist()
    t = rng.uniform(0.05, 0.95, (n, n_out)).round(3).tolist()
    return f"inputs: {json.dumps(x)}\ntargets: {json.dumps(t)}\n"


def _spec_text(path: str, samples: int = 0) -> str:
    """A spec that runs on `path`: scalar (a tiny net, tied biases), engine (untied, too big for the
    scalar kernel), adam (the reference loop, one sample per batch)."""
    rng = np.random.default_rng(11)
    if path == "scalar":
        return (_data(rng, samples or 3, 2, 1) + "layers:\n"
                "  - {activation: tanh, names: [l, r], weights: [[w1: 0.15, w2: 0.2], [w3: 0.25, w4: 0.3]], "
                "biases: [b1: 0.35, b1: 0.35]}\n"
                "  - {activation: sigmoid, weights: [[0.4, 0.45]], biases: [0.6]}\n"
                "loss: bce\nbatch_size: 2\nlearning_rate: 0.3\n")
    if path == "engine":
        return (_data(rng, samples or 20, 4, 3) + "layers:\n  - {activation: tanh, size: 12}\n"
                "  - {activation: sigmoid, size: 3}\ninit: {seed: 7}\nloss: mse\nbatch_size: 5\nlearning_rate: 0.5\n")
    return (_data(rng, samples or 40, 2, 1) + "layers:\n  - {activation: tanh, size: 4}\n"
            "  - {activation: sigmoid, size: 1}\ninit: {seed: 3}\nloss: mse\nbatch_size: 1\nlearning_rate: 0.01\n"
            "optimizer: {name: adam, betas: [0.8, 0.95]}\n")


def test_the_specs_run_on_the_paths_they_are_named_for(tmp_path):
    from backcalc import engine, scalar

    kinds = {"scalar": scalar.Kernel, "engine": engine.Engine, "adam": type(None)}
    for path, kind in kinds.items():
        trainer = Trainer(_load(tmp_path, path))
        assert type(trainer.fast_runner()) is kind, path


def _load(tmp_path, path: str, samples: int = 0):
    file = tmp_path / f"{path}.yaml"
    file.write_text(_spec_text(path, samples))
    return load_spec(file)


def _final(*args) -> dict:
    result = cli("train", *args, "--json", "--every", 10**12)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])["final"]


def _parameters(path) -> dict:
    net = Network(load_spec(path))
    return dict(zip(net.names, net.theta.tolist()))


def _saved_epoch(text: str) -> int:
    return int(re.search(r"^# epochs: (\d+) of \d+ completed", text, re.M).group(1))


def _finish(proc, timeout: float = 120) -> tuple[str, str]:
    watchdog = threading.Timer(timeout, proc.kill)  # a hung process fails the test, never hangs it
    watchdog.start()
    try:
        out, err = proc.communicate()
    finally:
        watchdog.cancel()
    return out, err


# -- A: a run stopped by NaN/∞ reports and saves its last finite epoch -------------------------------

@pytest.mark.parametrize("source", [("--example", "linear_regression"), "multi-batch"])
def test_a_run_stopped_by_overflow_reports_its_last_finite_epoch_everywhere(tmp_path, source):
    if source == "multi-batch":  # the overflow comes in a later batch of the epoch: its first batches are undone
        spec = tmp_path / "spec.yaml"
        spec.write_text(_spec_text("adam").replace("learning_rate: 0.01", "learning_rate: 0.5")
                        .replace("optimizer: {name: adam, betas: [0.8, 0.95]}", "")
                        .replace("activation: sigmoid", "activation: identity"))
        source = (spec,)
    source = (*source, *(("--set", "learning_rate=5") if "--example" in source else ()))
    args = ("train", *source, "--epochs", "2000")
    out = tmp_path / "out.yaml"
    table = cli(*args, "--save", out)
    assert table.exit_code == 1, table.stderr
    done = int(re.search(r"Final parameters after (\d+) epochs", table.stdout).group(1))
    assert f"the parameters reported are those after epoch {done}\n" in table.stderr
    assert f"saved the parameters after epoch {done} to {out}" in table.stderr
    finite = _final(*source, "--epochs", done)  # the same epochs, without the overflow after them
    assert finite["epochs"] == done
    # the table: the last row is that epoch and the parameters are its values
    rows = re.findall(r"^ +(\d+) ", table.stdout.split("Final parameters")[0], re.M)
    assert int(rows[-1]) == done
    for name, value in finite["parameters"].items():
        shown = re.search(rf"^ {re.escape(name)} +(\S+)", table.stdout.split("Final parameters")[1], re.M).group(1)
        assert_same_math(float(shown.replace("−", "-")), value, rtol=1e-4)
    # --save and --json --every K: those values, labelled with that epoch
    assert _saved_epoch(out.read_text()) == done
    assert_same_math(_parameters(out), finite["parameters"])
    lines = cli(*args, "--json", "--every", "50")
    final = json.loads(lines.stdout.splitlines()[-1])["final"]
    assert final["epochs"] == done
    assert_same_math(final["parameters"], finite["parameters"])
    # --emit-spec: the same spec on standard output, labelled with that epoch and why it stopped
    emitted = cli(*args, "--emit-spec", "--quiet")
    assert emitted.exit_code == 1, emitted.stderr
    assert _saved_epoch(emitted.stdout) == done and "# stopped early: " in emitted.stdout
    (tmp_path / "emitted.yaml").write_text(emitted.stdout)
    assert _parameters(tmp_path / "emitted.yaml") == _parameters(out)  # the same checkpoint, the same text


# -- C: a signal is honoured at the end of the current epoch, on every path ---------------------------

@pytest.mark.parametrize("path", ["engine", "adam"])
def test_a_signal_stops_slow_epochs_within_an_epoch_or_two(tmp_path, path):
    spec = tmp_path / "slow.yaml"
    spec.write_text(_spec_text(path, samples=2000 if path == "engine" else 400))
    out = tmp_path / "out.yaml"
    proc = subprocess.Popen([str(BACKCALC), "train", str(spec), "--epochs", "1000000", "--every", "100000",
                             "--save", str(out), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_cpu(proc, 1.5)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = _finish(proc, timeout=30)
    assert proc.returncode == 130, err
    # Each epoch takes milliseconds; a stretch of thousands of them (as before) takes minutes.
    assert time.monotonic() - sent < 15
    assert _saved_epoch(out.read_text()) >= 1


# -- D: no epoch count or spacing makes training hang or crawl ----------------------------------------

@pytest.mark.parametrize("args", [("--epochs", "2000", "--every", "1000000007"), ("--epochs", "100000000190",)])
def test_a_large_prime_spacing_or_epoch_count_starts_training_at_once(tmp_path, args):
    spec = tmp_path / "scalar.yaml"
    spec.write_text(_spec_text("scalar"))
    proc = subprocess.Popen([str(BACKCALC), "train", str(spec), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for_cpu(proc, 1.0)
    except AssertionError:
        pass  # a short run may have finished
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out, err = _finish(proc, timeout=60)
    assert proc.returncode in (0, 130), err
    done = int(re.search(r"Final parameters after (\d+) epochs", out).group(1))
    assert done >= 2000  # trained from the start, not stuck sizing its stretches


def test_any_epoch_count_runs_long_stretches(tmp_path, monkeypatch):
    """A prime epoch count (or spacing) costs what a round one does: a few thousand epochs per call of the kernel."""
    from backcalc import scalar

    calls = []
    train = scalar.Kernel.train
    monkeypatch.setattr(scalar.Kernel, "train", lambda self, count, stats: calls.append(count) or train(
        self, count, stats))
    spec = tmp_path / "scalar.yaml"
    spec.write_text(_spec_text("scalar"))
    for args in (("--epochs", "200003"), ("--epochs", "200000", "--every", "100003")):
        calls.clear()
        assert cli("train", spec, *args, "-q").exit_code == 0
        assert sum(calls) == int(args[1])
        assert len(calls) < 200


def test_signals_after_the_orderly_stop_change_nothing(tmp_path):
    """Once a signal has stopped the run, more of them (during the report, the save, the exit) neither
    kill the process nor change its exit status."""
    spec = tmp_path / "scalar.yaml"
    spec.write_text(_spec_text("scalar"))
    out = tmp_path / "out.yaml"
    proc = subprocess.Popen([str(BACKCALC), "train", str(spec), "--epochs", "1000000000", "--every", "20000",
                             "--save", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_cpu(proc, 1.0)
    proc.send_signal(signal.SIGINT)
    assert "interrupted by SIGINT" in proc.stderr.readline()  # the run has stopped: now the report
    while proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.002)
    out_text, err = _finish(proc)
    assert proc.returncode == 130, err
    assert "outputs: " in out_text  # the whole report, flushed
    assert _saved_epoch(out.read_text()) >= 1


# -- B and E: signals at random moments on every path ------------------------------------------------

FAULTS = ["SIGINT", "SIGINT twice", "SIGTERM", "SIGKILL", "SIGTERM then SIGKILL"]
PATHS = ["scalar", "engine", "adam"]
FIRST_LINE = {"scalar": 20000, "engine": 200, "adam": 10}  # --every: a first line within ~0.1 s


def _trials() -> list[tuple[str, str, int]]:
    extra = int(os.environ.get("BACKCALC_FAULT_TRIALS", "0"))
    if not extra:
        return [(path, fault, seed) for seed, (path, fault) in enumerate(
            (p, f) for p in PATHS for f in FAULTS)]
    rng = random.Random(20261201)
    return [(rng.choice(PATHS), rng.choice(FAULTS), seed) for seed in range(extra)]


@pytest.mark.parametrize("path, fault, seed", _trials())
def test_a_signal_at_any_moment_leaves_a_file_that_says_what_it_holds(tmp_path, path, fault, seed):
    """The saved file is the old one or complete; its header's epoch is its values' epoch; training on
    from it equals the uninterrupted run bit for bit."""
    rng = random.Random(seed)
    spec = tmp_path / "spec.yaml"
    spec.write_text(_spec_text(path))
    out = tmp_path / "out.yaml"
    out.write_text(OLD)
    epochs = 10**9
    proc = subprocess.Popen([str(BACKCALC), "train", str(spec), "--epochs", str(epochs), "--json", "--every",
                             str(FIRST_LINE[path]), "--save", str(out), "--force"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # training is under way, the handlers installed
        assert first.startswith('{"epoch": '), first
        time.sleep(rng.uniform(0, 0.4))
        if fault == "SIGINT twice":
            proc.send_signal(signal.SIGINT)
            time.sleep(rng.choice([0, rng.uniform(0, 0.01), rng.uniform(0, 0.2)]))  # often mid-epoch
            proc.send_signal(signal.SIGINT)
        elif fault == "SIGTERM then SIGKILL":
            proc.send_signal(signal.SIGTERM)
            time.sleep(rng.uniform(0, 0.5))
            proc.send_signal(signal.SIGKILL)
        else:
            proc.send_signal(getattr(signal, fault))
        rest, err = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed = fault.endswith("SIGKILL")
    assert proc.returncode in ((130, -9) if fault == "SIGTERM then SIGKILL" else (-9,) if killed else (130,)), err
    assert "Traceback" not in err and "internal error" not in err, err
    text = out.read_text()
    if proc.returncode == -9:
        assert text == OLD or _saved_epoch(text) >= 0  # the old file or a complete one (it loads, below)
        if text == OLD:
            return
    else:
        lines = [json.loads(line) for line in (first + rest).splitlines()]  # every line complete
        final = lines[-1]["final"]
        assert _saved_epoch(text) == final["epochs"]
        assert f"saved the parameters after epoch {final['epochs']} to {out}" in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "spec.yaml"]  # no temporary file
    done = _saved_epoch(text)
    assert 1 <= done < epochs
    # its values are those after the epoch in its header, and training on from it is exact
    trainer = Trainer(load_spec(spec))
    list(trainer.run(done, every=10**12))
    assert _parameters(out) == dict(zip(trainer.net.names, trainer.net.theta.tolist()))
    list(trainer.run(3, every=10**12))
    assert _final(out, "--epochs", 3)["parameters"] == dict(zip(trainer.net.names, trainer.net.theta.tolist()))
