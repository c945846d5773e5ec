"""The loss sparkline after `train` (a bounded summary) and `--plot` (matplotlib, optional)."""

from __future__ import annotations

import json
import re
import struct
import sys

import numpy as np
import pytest
from conftest import CONFIGS, cli, cli_jsonl

from backcalc.history import SPARK, LossHistory, sparkline, wants_log_scale


def test_history_is_exact_while_small():
    h = LossHistory(limit=8)
    losses = [5.0, 4.0, 3.5, 2.0, 1.0]
    for epoch, loss in enumerate(losses, 1):
        h.add(epoch, loss, loss - 0.5, loss + 0.5)
    assert [b.mean for b in h.buckets] == losses
    assert [(b.first, b.last) for b in h.buckets] == [(e, e) for e in range(1, 6)]
    assert [b.low for b in h.buckets] == [x - 0.5 for x in losses]


@pytest.mark.parametrize("n", [9, 1000, 12_345])
def test_history_stays_bounded_and_keeps_every_epoch_accounted_for(n):
    rng = np.random.default_rng(n)
    losses = rng.uniform(0, 10, n)
    h = LossHistory(limit=8)
    for epoch, loss in enumerate(losses, 1):
        h.add(epoch, float(loss))
        assert len(h) <= 8
    assert sum(b.count for b in h.buckets) == n
    assert h.buckets[0].first == 1 and h.buckets[-1].last == n
    for b in h.buckets:  # contiguous, equal width except the last, exact statistics
        chunk = losses[b.first - 1:b.last]
        assert b.count == len(chunk) == b.last - b.first + 1
        assert b.mean == pytest.approx(chunk.mean(), rel=1e-12)
        assert b.low == chunk.min() and b.high == chunk.max()
    assert all(b.count == h.width for b in h.buckets[:-1])
    assert sum(h.resampled(3)) == pytest.approx(sum(
        losses[g[0]:g[-1] + 1].mean() for g in _groups(h, 3)), rel=1e-12)


def _groups(h, n):
    k = len(h.buckets)
    out = []
    for i in range(n):
        group = h.buckets[i * k // n:(i + 1) * k // n]
        out.append(range(group[0].first - 1, group[-1].last))
    return out


def test_a_million_epochs_cost_constant_memory():
    h = LossHistory(limit=64)
    for epoch in range(1, 1_000_001):
        h.add(epoch, 1.0 / epoch)
    assert len(h) <= 64 and sum(b.count for b in h.buckets) == 1_000_000
    assert h.width == 16384


def test_sparkline_shape():
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == SPARK
    assert sparkline([8, 1]) == "█▁"
    assert sparkline([3, 3, 3]) == "▁▁▁"
    assert sparkline([1.0, float("nan"), 2.0]) == "▁ █"
    assert sparkline([1000, 100, 10, 1], log=True) == "█▆▃▁"
    assert wants_log_scale([1000, 1]) and not wants_log_scale([2, 1]) and not wants_log_scale([0, 5])


def test_train_ends_with_a_sparkline_of_the_loss():
    r = cli("train", str(CONFIGS / "mazur.yaml"), "--epochs", "200")
    assert r.exit_code == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("loss "))
    spark = line.split()[1]
    assert 1 < len(spark) <= 40 and set(spark) <= set(SPARK)
    assert spark[0] == "█" and spark[-1] == "▁"  # the loss falls
    records = cli_jsonl("train", str(CONFIGS / "mazur.yaml"), "--epochs", "200")
    first, last = records[0]["loss"], records[-2]["loss"]
    assert f"{first:.5f} → {last:.5f}" in line


def test_sparkline_is_labelled_with_the_first_and_last_epochs_loss():
    """Past 1024 epochs the curve's points are means of several epochs; its end labels used to be
    those means (0.08233 → 0.00003 under a table reading 0.21752 → 3.0516e−06)."""
    r = cli("train", str(CONFIGS / "xor.yaml"), "--epochs", "5000", env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.stderr
    rows = re.findall(r"^ +(\d+) +(\S+) *$", r.stdout.split("Final parameters")[0], re.M)
    assert rows[0][0] == "1" and rows[-1][0] == "5000"
    line = next(x for x in r.stdout.splitlines() if x.startswith("loss "))
    assert f"  {rows[0][1]} → {rows[-1][1]}" in line
    records = cli_jsonl("train", str(CONFIGS / "xor.yaml"), "--epochs", "5000", "--every", "5000")
    assert float(rows[-1][1]) == pytest.approx(records[0]["loss"], abs=1e-5)


# -- --plot ----------------------------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_a_png_of_the_loss_curve(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "loss.png"
    r = cli("train", str(CONFIGS / "linear_seed.yaml"), "--plot", out)
    assert r.exit_code == 0, r.stderr
    width, height = png_size(out.read_bytes())
    assert (width, height) == (800, 500)
    assert out.stat().st_size > 10_000  # a curve, axes and a legend, not an empty canvas


@pytest.fixture
def drawn(monkeypatch):
    """What --plot draws: each line's label and data, the shaded bands, the y scale."""
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    seen = {"bands": []}
    real_savefig, real_fill = Figure.savefig, Axes.fill_between

    def spy_save(self, path, *args, **kwargs):
        ax = self.axes[0]
        seen["lines"] = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines}
        seen["yscale"] = ax.get_yscale()
        return real_savefig(self, path, *args, **kwargs)

    def spy_fill(self, x, low, high, *args, **kwargs):
        seen["bands"].append((list(x), list(low), list(high), kwargs.get("label")))
        return real_fill(self, x, low, high, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy_save)
    monkeypatch.setattr(Axes, "fill_between", spy_fill)
    return seen


def test_plot_of_several_batches_is_the_mean_in_a_min_max_band(tmp_path, drawn):
    spec = tmp_path / "sgd.yaml"  # per-sample SGD over three samples, as in the linear seed's notebook
    spec.write_text("inputs: [[1, 1], [1, 0], [0, 1]]\ntargets: [[1], [0.5], [0.5]]\nlayers:\n"
                    "  - activation: identity\n    weights: [[0.3, 0.2]]\n    biases: [0]\n"
                    "loss: mse\nlearning_rate: 0.1\nbatch_size: 1\n")
    r = cli("train", spec, "--epochs", "15", "--plot", tmp_path / "sgd.svg")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "sgd.svg").read_text().lstrip().startswith("<?xml")
    records = cli_jsonl("train", spec, "--epochs", "15")[:-1]
    epochs = [float(x["epoch"]) for x in records]
    assert drawn["lines"] == {"mean loss": (epochs, [x["loss"] for x in records])}
    assert drawn["bands"] == [(epochs, [x["loss_min"] for x in records], [x["loss_max"] for x in records],
                               "min–max batch loss")]
    assert all(lo < hi for _, low, high, _ in drawn["bands"] for lo, hi in zip(low, high, strict=True))


def test_plot_of_one_batch_per_epoch_is_one_line(tmp_path, drawn):
    """Mean, min and max of one batch are one number: three identical lines used to be drawn."""
    r = cli("train", str(CONFIGS / "linear_seed.yaml"), "--epochs", "20", "--plot", tmp_path / "loss.png")
    assert r.exit_code == 0, r.stderr
    records = cli_jsonl("train", str(CONFIGS / "linear_seed.yaml"), "--epochs", "20")[:-1]
    assert drawn["lines"] == {"loss": ([float(x["epoch"]) for x in records], [x["loss"] for x in records])}
    assert drawn["bands"] == []


@pytest.mark.parametrize("rate, scale", [(0.11, "log"), (0.001, "linear")])
def test_plot_uses_a_log_axis_when_the_loss_spans_two_decades(tmp_path, drawn, rate, scale):
    """A diverging run (47.8 to 6.3e9 in 60 epochs) was a flat line and a spike on a linear axis."""
    r = cli("train", str(CONFIGS / "linear_regression.yaml"), "--epochs", "60", "--set", f"learning_rate={rate}",
            "--plot", tmp_path / "loss.png")
    assert r.exit_code == 0, r.stderr
    losses = drawn["lines"]["loss"][1]
    assert (max(losses) / min(losses) > 1e8) == (scale == "log")  # the two runs are far from the threshold
    assert drawn["yscale"] == scale


@pytest.mark.parametrize("target, message", [
    ("loss.nope", "--plot {dir}/loss.nope: unknown image format 'nope'; use one of:"),
    ("missing/loss.png", "--plot {dir}/missing/loss.png: the folder {dir}/missing does not exist"),
])
def test_bad_plot_targets_fail_before_training(tmp_path, target, message):
    pytest.importorskip("matplotlib")
    r = cli("train", str(CONFIGS / "mazur.yaml"), "--plot", tmp_path / target)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith(message.format(dir=tmp_path)), r.stderr


def test_missing_matplotlib_is_one_clear_line(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib…` fail
    r = cli("train", str(CONFIGS / "mazur.yaml"), "--plot", tmp_path / "loss.png")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == ("--plot needs matplotlib, which is not installed; install it with: "
                        "pip install 'backcalc[plot]'\n")
    assert not (tmp_path / "loss.png").exists()


def test_plot_extra_is_declared():
    tomllib = pytest.importorskip("tomllib")

    from conftest import ROOT

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert any(d.startswith("matplotlib") for d in meta["project"]["optional-dependencies"]["plot"])
    assert json.dumps(meta["project"]["dependencies"]).count("matplotlib") == 0
