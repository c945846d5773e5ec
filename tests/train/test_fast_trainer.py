"""One fast trainer for every optimizer: the engine against the reference loop, resume, interrupted runs."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_same_math, cli, wait_for_cpu
from random_specs import random_spec

from backcalc.engine import Engine
from backcalc.fastpath import ScalarRunner, choose
from backcalc.network import Network
from backcalc.spec import parse_spec
from backcalc.training import Trainer

OPTIMIZERS = {
    "sgd": "sgd",
    "sgd_weight_decay": {"name": "sgd", "weight_decay": 0.05},
    "momentum": {"name": "sgd", "momentum": 0.9},
    "dampened": {"name": "sgd", "momentum": 0.8, "dampening": 0.3},
    "nesterov": {"name": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "adam": {"name": "adam"},
    "adam_l2": {"name": "adam", "betas": [0.8, 0.95], "weight_decay": 0.01},
    "adamw": {"name": "adamw", "weight_decay": 0.1},
}
EPOCHS = 10
# The engine folds 1/n into δ before its products and sums tied slots in another order: the same
# mathematics rounded differently, which wide layers and large steps amplify over the epochs.
RTOL, ATOL = 1e-9, 1e-12


def _spec(seed: int, optimizer, **kw):
    data = json.loads(random_spec(seed, max_width=6, max_samples=30, **kw))
    data["optimizer"] = optimizer
    return parse_spec(json.dumps(data))


def _run(spec, **kw):
    trainer = Trainer(spec, **kw)
    rows = [[r.epoch, r.loss, r.loss_min, r.loss_max, r.mean_sample_loss] for r in trainer.run(EPOCHS)]
    return trainer, rows


def _same_training(fast: Trainer, fast_rows, ref: Trainer, ref_rows) -> None:
    assert fast.stopped == ref.stopped
    assert fast.epochs_done == ref.epochs_done
    assert [r[0] for r in fast_rows] == [r[0] for r in ref_rows]
    assert_same_math(fast_rows, ref_rows, RTOL, ATOL)
    assert_same_math(fast.net.theta, ref.net.theta, RTOL, ATOL)
    state, expected = fast.optimizer.state_dict(), ref.optimizer.state_dict()
    assert state.keys() == expected.keys()
    for name in expected:
        assert state[name].get("step") == expected[name].get("step")
        assert_same_math({k: float(v) for k, v in state[name].items()},
                         {k: float(v) for k, v in expected[name].items()}, RTOL, ATOL)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("seed", range(8))
def test_engine_agrees_with_the_reference_loop_for_every_optimizer(optimizer, seed):
    # seeds 0-3 untied, 4-7 tied; frozen names in every other one
    spec = _spec(3000 + seed, OPTIMIZERS[optimizer], tied=seed >= 4, frozen=seed % 2 == 1)
    fast = _run(spec, allow_scalar=False)
    assert isinstance(fast[0].fast_runner(), Engine)
    _same_training(*fast, *_run(spec, fast=False))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adamw"])
@pytest.mark.parametrize("seed", range(20))
def test_engine_agrees_on_random_specs_of_every_kind(optimizer, seed):
    spec = _spec(4000 + seed, OPTIMIZERS[optimizer])  # ties, frozen names, activations and losses at random
    _same_training(*_run(spec, allow_scalar=False), *_run(spec, fast=False))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_frozen_parameters_keep_their_value_and_get_no_state(optimizer):
    spec = _spec(3100, OPTIMIZERS[optimizer], tied=True, frozen=True)
    before = Network(spec)
    trainer, _ = _run(spec, allow_scalar=False)
    frozen = before.frozen
    assert frozen.any()
    assert np.array_equal(trainer.net.theta[frozen], before.theta[frozen])
    names = {n for n, f in zip(before.names, frozen, strict=True) if f}
    assert not names & trainer.optimizer.state_dict().keys()


def test_each_spec_takes_the_runner_that_serves_it():
    tiny_plain = _spec(5, "sgd", tied=True)
    assert isinstance(choose(tiny_plain, Network(tiny_plain)), ScalarRunner)
    for optimizer in OPTIMIZERS.values():
        spec = _spec(7, optimizer, tied=True, frozen=True)
        runner = choose(spec, Network(spec), allow_scalar=optimizer != "sgd")
        assert isinstance(runner, Engine), optimizer
    exact = _spec(5, OPTIMIZERS["momentum"])
    assert choose(exact, Network(exact, dtype=object)) is None


def test_a_diverging_run_with_momentum_stops_as_the_reference_loop_does():
    data = json.loads(random_spec(11, max_width=5, max_samples=20, tied=True))
    data.update(loss="squared_error", learning_rate=1e6, optimizer={"name": "sgd", "momentum": 0.9})
    data["layers"][-1]["activation"] = "identity"
    spec = parse_spec(json.dumps(data))
    fast, ref = _run(spec, allow_scalar=False), _run(spec, fast=False)
    assert fast[0].stopped and "epoch" in fast[0].stopped
    _same_training(*fast, *ref)


# -- resume: N epochs are k epochs, saved, and N − k more, bit for bit on the same path -------------

MEDIUM = """inputs: {x}
targets: {t}
layers:
  - {{activation: tanh, size: 12, names: [{names}], biases: [{biases}]}}
  - {{activation: sigmoid, size: 3}}
init: {{seed: 5}}
loss: bce
batch_size: 7
learning_rate: 0.05
frozen: ["W1[1,1]"]
optimizer: {optimizer}
"""


def _medium(tmp_path, optimizer) -> Path:
    rng = np.random.default_rng(2)
    names = ", ".join(f"h{i}" for i in range(12))
    biases = ", ".join("c: 0.1" if i % 3 == 0 else f"{0.05 * i:.2f}" for i in range(12))  # one tied bias
    text = MEDIUM.format(x=json.dumps(rng.uniform(-1, 1, (40, 4)).round(3).tolist()),
                         t=json.dumps(rng.uniform(0.05, 0.95, (40, 3)).round(3).tolist()),
                         names=names, biases=biases, optimizer=json.dumps(optimizer))
    path = tmp_path / "medium.yaml"
    path.write_text(text)
    return path


def _final(*args) -> dict:
    result = cli("train", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])["final"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_resuming_a_saved_run_continues_it_bit_for_bit(tmp_path, optimizer):
    spec = _medium(tmp_path, OPTIMIZERS[optimizer])
    assert isinstance(Trainer(parse_spec(spec.read_text())).fast_runner(), Engine)
    whole, half, rest = tmp_path / "whole.yaml", tmp_path / "half.yaml", tmp_path / "rest.yaml"
    straight = _final(spec, "--epochs", "9", "--save", whole)
    _final(spec, "--epochs", "4", "--save", half)
    resumed = _final(half, "--epochs", "5", "--save", rest)
    assert resumed["parameters"] == straight["parameters"]  # the same path recomputing: exactly equal
    state = [line for line in whole.read_text().splitlines() if line.startswith("  \"")]
    assert state == [line for line in rest.read_text().splitlines() if line.startswith("  \"")]
    if optimizer != "sgd" and optimizer != "sgd_weight_decay":
        assert "optimizer_state:" in rest.read_text() and state


# -- an interrupted run shows rows spaced for the epochs it ran ---------------------------------------

def test_a_run_stopped_before_its_first_spaced_row_shows_rows_spaced_for_the_epochs_run():
    spec = _spec(3200, OPTIMIZERS["adam"], tied=False)
    trainer = Trainer(spec)
    trainer.should_stop = lambda: trainer.epochs_done >= 537
    epochs = [r.epoch for r in trainer.run(100000, every=10000)]
    done = trainer.epochs_done
    assert epochs[0] == 1 and epochs[-1] == done >= 537
    middle = epochs[1:-1]
    assert 4 <= len(middle) <= 10
    spacing = middle[0]
    assert str(spacing).strip("0") in ("1", "2", "5")  # a round spacing: 1, 2, 5 × 10^k
    assert middle == list(range(spacing, done, spacing))[:len(middle)]


def test_a_run_stopped_after_a_spaced_row_shows_the_requested_spacing():
    spec = _spec(3200, OPTIMIZERS["momentum"], tied=False)
    trainer = Trainer(spec)
    trainer.should_stop = lambda: trainer.epochs_done >= 250
    epochs = [r.epoch for r in trainer.run(1000, every=100)]
    done = trainer.epochs_done
    assert epochs == [1, *range(100, done + 1, 100)] + ([done] if done % 100 else [])


BACKCALC = Path(sys.executable).with_name("backcalc")


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="POSIX signals")
def test_an_interrupted_table_shows_rows_up_to_the_interrupt(tmp_path):
    spec = _medium(tmp_path, OPTIMIZERS["adam"])
    proc = subprocess.Popen([str(BACKCALC), "train", str(spec), "--epochs", "1000000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_cpu(proc, 1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    done = int(re.search(r"after epoch (\d+) of", err).group(1))
    table = out.split("Training", 1)[1].split("loss ", 2)[1]
    rows = [int(m) for m in re.findall(r"^\s+(\d+)\s", table, re.M)]
    assert rows[0] == 1 and rows[-1] == done
    assert len(rows) >= 5, out  # not only the first and the last epoch


@pytest.mark.parametrize("optimizer, state", [
    ("adam", {"step": 7, "exp_avg": 0.02, "exp_avg_sq": 0.001}),
    ("adamw", {"step": 2, "exp_avg": -0.01, "exp_avg_sq": 0.0004}),
    ("momentum", {"momentum_buffer": 0.05}),
    ("nesterov", {"momentum_buffer": -0.03}),
])
@pytest.mark.parametrize("tied", [False, True])
def test_a_state_read_for_some_parameters_only_trains_as_the_reference_does(optimizer, state, tied):
    """Parameters with different step counts, or some with a momentum buffer and some without."""
    data = json.loads(random_spec(3300, max_width=6, max_samples=30, tied=tied))
    data["optimizer"] = OPTIMIZERS[optimizer]
    net = Network(parse_spec(json.dumps(data)))
    names = [n for n, f in zip(net.names, net.frozen, strict=True) if not f]  # frozen ones keep no state
    data["optimizer_state"] = {names[0]: state, names[-1]: state}
    spec = parse_spec(json.dumps(data))
    fast = _run(spec, allow_scalar=False)
    assert isinstance(fast[0].fast_runner(), Engine)
    _same_training(*fast, *_run(spec, fast=False))
