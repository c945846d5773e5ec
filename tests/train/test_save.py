"""`train --save`: atomic, commented, resumable bit for bit, and safe under SIGINT/SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import cli, wait_for_cpu

from backcalc.spec import load_spec

SPEC = """\
# a comment the user wrote
name: resumable
inputs: [[0.05, 0.10], [0.2, 0.7], [0.9, 0.1]]
targets: [[0.01], [0.99], [0.5]]
layers:
  - activation: tanh
    names: [left, right]
    weights:
      - [w1: 0.15, w2: 0.20]
      - [w3: 0.25, w4: 0.30]
    biases: [b1: 0.35, b1: 0.35]
  - activation: leaky_relu
    alpha: 0.05
    size: 2
  - activation: sigmoid
    weights: [[0.40, 0.45]]
    biases: [0.60]
init: {seed: 7, distribution: xavier}
frozen: [w4]
loss: bce
batch_size: 2
learning_rate: 0.3
"""


def _spec(tmp_path, text: str = SPEC) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def _final(*args) -> dict:
    result = cli("train", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])["final"]


def test_save_writes_a_spec_that_loads_with_header(tmp_path):
    spec = _spec(tmp_path)
    out = tmp_path / "out.yaml"
    result = cli("train", spec, "--epochs", "7", "--save", out)
    assert result.exit_code == 0, result.stderr
    assert f"backcalc: saved the parameters after epoch 7 to {out}" in result.stderr
    text = out.read_text()
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert header[0].startswith("# Trained by backcalc ") and header[0].endswith(f"from {spec}")
    assert header[1].startswith("# epochs: 7 of 7 completed; loss on all data: ")
    saved = load_spec(out)
    assert saved.name == "resumable" and saved.frozen == ["w4"]
    assert saved.layers[0].neuron_names == ["left", "right"] and saved.layers[1].alpha == 0.05
    assert saved.layers[0].bias_names == ["b1", "b1"]  # the tie survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "spec.yaml"]  # no temp file left


@pytest.mark.parametrize("first, more", [(1, 1), (5, 12), (30, 3)])
def test_resume_is_bit_identical(tmp_path, first, more):
    spec = _spec(tmp_path)
    out = tmp_path / "out.yaml"
    assert cli("train", spec, "--epochs", first, "--save", out, "--quiet").exit_code == 0
    resumed = _final(out, "--epochs", more)
    straight = _final(spec, "--epochs", first + more)
    assert resumed["parameters"] == straight["parameters"]  # exact floats, not approx
    assert resumed["loss"] == straight["loss"]
    assert resumed["layers"] == straight["layers"]


def test_save_keeps_the_file_mode_and_replaces_atomically(tmp_path):
    spec = _spec(tmp_path)
    out = tmp_path / "out.yaml"
    out.write_text("old: content\n")
    os.chmod(out, 0o640)
    assert cli("train", spec, "--epochs", "2", "--save", out, "--force").exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640
    assert load_spec(out).name == "resumable"


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    spec = _spec(tmp_path)
    out = tmp_path / "out.yaml"
    out.write_text("old: content\n")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    result = cli("train", spec, "--epochs", "2", "--save", out, "--force")
    assert result.exit_code == 73
    assert result.stderr.splitlines()[-1] == f"--save {out}: cannot write: No space left on device"
    assert "Traceback" not in result.stderr
    assert out.read_text() == "old: content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "spec.yaml"]


def test_save_to_a_directory_fails_before_training(tmp_path):
    result = cli("train", _spec(tmp_path), "--save", tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"--save {tmp_path}: is a directory, expected a file name"]


def test_stopped_by_nan_saves_the_last_completed_epoch(tmp_path):
    text = SPEC.replace("learning_rate: 0.3", "learning_rate: 1e300").replace("activation: sigmoid",
                                                                           "activation: identity")
    text = text.replace("loss: bce", "loss: mse")
    out = tmp_path / "out.yaml"
    result = cli("train", _spec(tmp_path, text), "--epochs", "50", "--save", out, "--json")
    assert result.exit_code == 1
    done = json.loads(result.stdout.splitlines()[-1])["final"]["epochs"]
    assert f"saved the parameters after epoch {done} to {out}" in result.stderr
    assert "# stopped early: " in out.read_text()
    load_spec(out)  # finite values: it loads


# -- real signals, on the installed command ---------------------------------------------------------

BACKCALC = Path(sys.executable).with_name("backcalc")


def _interrupt(tmp_path, sig: int, *, json_out: bool, twice: bool = False, text: str = SPEC):
    spec = _spec(tmp_path, text)
    out = tmp_path / "out.yaml"
    out.write_text("# the previous file\nold: content\n")
    args = [str(BACKCALC), "train", str(spec), "--epochs", "100000000", "--save", str(out), "--force"]
    if json_out:
        args.append("--json")
    else:
        args += ["--every", "1000000"]
    err_file = open(tmp_path.parent / f"{tmp_path.name}.stderr", "w+")  # outside the folder checked below
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err_file, text=True)
    try:
        if json_out:
            first = proc.stdout.readline()  # training is under way (and the handlers installed)
            assert first.startswith('{"epoch": 1,'), first
        else:
            wait_for_cpu(proc, 1.0)  # training is under way, however loaded the machine is
        proc.send_signal(sig)
        if twice:
            proc.send_signal(sig)
        watchdog = threading.Timer(60, proc.kill)  # a hung process fails the test, never hangs it
        watchdog.start()
        rest = proc.stdout.read()  # to the end: the process closes it on exit
        watchdog.cancel()
        proc.wait(timeout=60)
        err_file.seek(0)
        err = err_file.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        err_file.close()
    stdout = (first + rest) if json_out else rest
    return proc.returncode, stdout, err, spec, out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_last_epoch_and_resumes_exactly(tmp_path, sig):
    code, stdout, stderr, spec, out = _interrupt(tmp_path, sig, json_out=True)
    assert code == 130, stderr
    lines = [json.loads(ln) for ln in stdout.splitlines()]  # every printed line is a complete object
    final = lines[-1]["final"]
    done = final["epochs"]
    assert [r["epoch"] for r in lines[:-1]] == list(range(1, done + 1))
    name = signal.Signals(sig).name
    assert final["stopped"] == f"interrupted by {name} after epoch {done} of 100000000"
    assert f"backcalc: interrupted by {name} after epoch {done} of 100000000" in stderr
    assert f"backcalc: saved the parameters after epoch {done} to {out}" in stderr
    assert "Traceback" not in stderr
    text = out.read_text()
    assert f"# to finish the run: backcalc train {out} --epochs {100000000 - done}" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "spec.yaml"]
    # the saved parameters are those of the final line, and training on continues exactly
    saved = _final(out, "--epochs", 1)
    assert _final(spec, "--epochs", done + 1)["parameters"] == saved["parameters"]
    assert _final(out, "--epochs", 4)["parameters"] == _final(spec, "--epochs", done + 4)["parameters"]


def test_sigint_twice_still_saves_a_completed_epoch(tmp_path):
    code, stdout, stderr, spec, out = _interrupt(tmp_path, signal.SIGINT, json_out=True, twice=True)
    assert code == 130, stderr
    lines = [json.loads(ln) for ln in stdout.splitlines()]
    done = lines[-1]["final"]["epochs"]
    assert lines[-1]["final"]["parameters"] == _final(spec, "--epochs", done)["parameters"]
    assert _final(out, "--epochs", 2)["parameters"] == _final(spec, "--epochs", done + 2)["parameters"]


def test_sigterm_with_table_output(tmp_path):
    code, stdout, stderr, spec, out = _interrupt(tmp_path, signal.SIGTERM, json_out=False)
    assert code == 130, stderr
    assert "Final parameters after" in stdout
    assert "backcalc: interrupted by SIGTERM after epoch" in stderr
    done = int(stderr.split("after epoch ")[1].split()[0])
    assert _final(out, "--epochs", 3)["parameters"] == _final(spec, "--epochs", done + 3)["parameters"]


def test_every_written_file_gets_normal_permissions(tmp_path, monkeypatch):
    """--save, --solution and init all write through one atomic writer: 0666 minus the umask."""
    import os

    from conftest import CONFIGS, cli

    monkeypatch.chdir(tmp_path)
    umask = os.umask(0o022)
    try:
        assert cli("train", CONFIGS / "mazur.yaml", "--epochs", "2", "--save", "saved.yaml", "--quiet").exit_code == 0
        assert cli("step", CONFIGS / "mazur.yaml", "--format", "markdown", "--blank",
                   "--solution", "sol.md").exit_code == 0
        assert cli("init", "starter.yaml").exit_code == 0
    finally:
        os.umask(umask)
    for name in ("saved.yaml", "sol.md", "starter.yaml"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    # a replaced file keeps its own permissions
    (tmp_path / "saved.yaml").chmod(0o600)
    assert cli("train", CONFIGS / "mazur.yaml", "--epochs", "1", "--save", "saved.yaml", "--quiet",
               "--force").exit_code == 0
    assert (tmp_path / "saved.yaml").stat().st_mode & 0o777 == 0o600


def test_signal_with_a_stateful_optimizer_saves_its_state_and_resumes_exactly(tmp_path):
    text = SPEC.replace("learning_rate: 0.3", "learning_rate: 0.01\noptimizer: {name: adam, betas: [0.8, 0.95]}")
    assert "optimizer:" in text
    code, stdout, stderr, spec, out = _interrupt(tmp_path, signal.SIGTERM, json_out=True, text=text)
    assert code == 130, stderr
    done = json.loads(stdout.splitlines()[-1])["final"]["epochs"]
    saved = out.read_text()
    assert "optimizer_state:" in saved and f"step: {2 * done}," in saved  # two batches per epoch
    # Adam's moments and step count come back: the run goes on as if never stopped
    assert _final(out, "--epochs", 3)["parameters"] == _final(spec, "--epochs", done + 3)["parameters"]
