"""The training driver as a library (train_run.run_training): interrupts, saving and the report data, no typer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from conftest import CONFIGS, ROOT

from backcalc.atomic import check_target
from backcalc.errors import ExitCode, OutputError
from backcalc.spec import load_spec
from backcalc.train_run import run_training

SPEC = CONFIGS / "sigmoid_seed.yaml"


class SignalAt:
    """A progress view that sends this process `sig` after epoch `epoch`, as a Ctrl-C or `kill` would."""

    def __init__(self, epoch: int, sig: int = signal.SIGINT):
        self.epoch, self.sig, self.seen = epoch, sig, []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, epoch: int, loss: float) -> None:
        self.seen.append(epoch)
        if epoch == self.epoch:
            os.kill(os.getpid(), self.sig)


@pytest.fixture(autouse=True)
def handlers():
    """Stopped by a signal, a run leaves SIGINT and SIGTERM ignored (its process is on its way out): restore them."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_a_finished_run_reports_every_shown_epoch_and_exits_0():
    records = []
    outcome = run_training(load_spec(SPEC), 40, every=10, on_record=records.append)
    assert outcome.exit_code == 0 and outcome.interrupted is None and outcome.result.stopped is None
    assert [r.epoch for r in records] == [10, 20, 30, 40]
    assert [r.epoch for r in outcome.result.history] == [1, 10, 20, 30, 40]  # the tables show the first too
    assert outcome.result.epochs == 40 and len(outcome.history) > 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_after_a_completed_epoch(sig):
    bar = SignalAt(3, sig)
    outcome = run_training(load_spec(SPEC), 100_000, progress=bar)
    done = outcome.trainer.epochs_done
    assert outcome.interrupted == signal.Signals(sig).name
    assert outcome.exit_code == ExitCode.INTERRUPTED
    assert 3 <= done < 100_000 and outcome.result.epochs == done
    assert outcome.result.stopped == f"interrupted by {signal.Signals(sig).name} after epoch {done} of 100000"
    assert outcome.result.history[-1].epoch == done  # the last completed epoch is reported, even off the grid


def test_the_views_are_called_in_order_around_the_save(tmp_path):
    spec = load_spec(SPEC)
    calls = []
    target = check_target(tmp_path / "out.yaml", "--save", False, spec.source)

    def end(outcome):
        calls.append(("end", outcome.saved_epoch, (tmp_path / "out.yaml").exists()))

    def report(outcome):
        calls.append(("report", outcome.saved_epoch, (tmp_path / "out.yaml").exists()))

    outcome = run_training(spec, 5, save=target, on_end=end, on_report=report)
    assert calls == [("end", None, False), ("report", 5, True)]
    assert "epochs: 5 of 5 completed" in (tmp_path / "out.yaml").read_text()
    assert outcome.failed == []


def test_an_interrupted_save_resumes_to_the_straight_run(tmp_path):
    spec = load_spec(SPEC)
    out = tmp_path / "out.yaml"
    stopped = run_training(spec, 200_000, save=check_target(out, "--save", False, spec.source),
                           progress=SignalAt(4, signal.SIGTERM))
    done = stopped.saved_epoch
    assert done == stopped.trainer.epochs_done and 4 <= done < 200_000
    text = out.read_text()
    assert f"epochs: {done} of 200000 completed" in text and "to finish the run:" in text
    more = 7
    resumed = run_training(load_spec(out), more)
    straight = run_training(load_spec(SPEC), done + more)
    assert resumed.result.parameters == straight.result.parameters  # the same path recomputed: exact floats


def test_standard_output_lost_stops_the_run_like_an_interrupt(tmp_path):
    def broken_pipe(record):
        if record.epoch == 3:
            raise OutputError(BrokenPipeError(32, "Broken pipe"))

    reports = []
    outcome = run_training(load_spec(SPEC), 50, on_record=broken_pipe, keep_records=False,
                           on_report=reports.append)
    assert outcome.lost is not None and outcome.exit_code == ExitCode.BROKEN_PIPE
    assert outcome.trainer.epochs_done == 3 and outcome.result.history == []
    assert outcome.result.stopped == "cannot write to standard output (Broken pipe) after epoch 3 of 50"
    assert reports == [outcome]


def test_a_file_that_cannot_be_written_is_kept_for_after_the_report(tmp_path):
    spec = load_spec(SPEC)
    target = check_target(tmp_path / "out.yaml", "--save", False, spec.source)
    (tmp_path / "out.yaml").mkdir()  # appears after the check: the write fails, the run does not
    outcome = run_training(spec, 3, save=target)
    assert outcome.result.epochs == 3 and outcome.saved_epoch is None
    assert len(outcome.failed) == 1 and outcome.exit_code == ExitCode.CANT_WRITE


def test_the_driver_imports_neither_typer_nor_rich():
    probe = ("import sys\nfrom backcalc.spec import load_spec\nfrom backcalc.train_run import run_training\n"
             f"o = run_training(load_spec({str(SPEC)!r}), 5)\n"
             "print(o.exit_code, sorted(m for m in ('typer', 'click', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["0", "[]"], out.stderr
