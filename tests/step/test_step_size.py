"""A step too big to explain weight by weight is refused with one clear line, not a memory error."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli

from backcalc.check import CHECK_LIMIT
from backcalc.explain import EXPLAIN_LIMIT

SPEC = """inputs: {file: X.npy}
targets: {file: T.npy}
layers:
  - {size: 20, activation: sigmoid}
  - {size: 1, activation: sigmoid}
init: {seed: 1}
loss: mse
learning_rate: 0.1
"""
SLOTS = 100 * 20 + 20 + 20 * 1 + 1


@pytest.fixture
def big(tmp_path):
    rng = np.random.default_rng(0)
    n = EXPLAIN_LIMIT // SLOTS + 1
    np.save(tmp_path / "X.npy", rng.normal(size=(n, 100)))
    np.save(tmp_path / "T.npy", rng.uniform(size=(n, 1)))
    (tmp_path / "net.yaml").write_text(SPEC)
    return tmp_path / "net.yaml", n


@pytest.mark.parametrize("command", [["step"], ["step", "--json"], ["graph"],
                                     ["check", "--answers", "answers.yaml"], ["step", "--round", "3"]])
def test_too_big_a_step_is_one_line_and_exit_2(big, command):
    limit, what = (EXPLAIN_LIMIT, "one step explains")
    if command[0] == "check":
        limit, what = (CHECK_LIMIT, "check recomputes")
    elif "--round" in command:
        limit, what = (CHECK_LIMIT, "--round recomputes")
    path, n = big
    (path.parent / "answers.yaml").write_text("loss: 0.1\n")
    args = [command[0], str(path), *[str(path.parent / a) if a.endswith(".yaml") else a for a in command[1:]]]
    result = cli(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    fits = limit // SLOTS
    assert lines[0].startswith(f"{path}: {what} every weight and bias for every sample: {n:,} samples × "
                               f"{SLOTS:,} weights and biases")
    assert f"--set batch_size={fits}` takes the first {fits}" in lines[0]


def test_check_takes_a_smaller_batch(big):
    path, n = big
    (path.parent / "answers.yaml").write_text("loss: 0.123456\n")
    result = cli("check", str(path), "--answers", str(path.parent / "answers.yaml"), "--set", "batch_size=2")
    assert result.exit_code == 1, result.stderr  # graded (the answer is wrong), not refused
    assert "1 wrong" in result.stdout


def test_the_suggested_smaller_batch_steps_and_train_runs_any_size(big):
    path, n = big
    result = cli("step", str(path), "--set", "batch_size=3", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count('"name"') > 0
    result = cli("train", str(path), "--epochs", "1", "--json")
    assert result.exit_code == 0, result.stderr


def test_round_is_held_to_the_smaller_limit_of_a_plain_python_recomputation(tmp_path):
    rng = np.random.default_rng(1)
    n = CHECK_LIMIT // SLOTS + 1  # over check's limit, well under step's
    np.save(tmp_path / "X.npy", rng.normal(size=(n, 100)))
    np.save(tmp_path / "T.npy", rng.uniform(size=(n, 1)))
    (tmp_path / "net.yaml").write_text(SPEC)
    result = cli("step", str(tmp_path / "net.yaml"), "--round", "3", "--json")
    assert result.exit_code == 2 and "--round recomputes every weight" in result.stderr
    assert cli("step", str(tmp_path / "net.yaml"), "--json").exit_code == 0
