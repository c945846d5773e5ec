"""The fast training paths (generated scalar code, in-place engine) against the reference loop."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_same_math, cli, cli_json, cli_jsonl
from random_specs import random_spec

from backcalc.engine import Engine
from backcalc.fastpath import choose, plain_sgd
from backcalc.scalar import Kernel, compile_kernel, shape_key
from backcalc.spec import parse_spec
from backcalc.training import Trainer

RTOL = 1e-12
ATOL = 1e-14  # for values that are themselves rounding noise (a loss converged to ~1e-19)
EPOCHS = 12


def _train(spec, epochs=EPOCHS, **kw):
    trainer = Trainer(spec, **kw)
    records = list(trainer.run(epochs))
    rows = np.array([[r.epoch, r.loss, r.loss_min, r.loss_max, r.mean_sample_loss] for r in records])
    return trainer, rows, trainer.net.theta.copy()


def _agree(a, b, rtol=RTOL):
    ta, ra, tha = a
    tb, rb, thb = b
    assert ta.stopped == tb.stopped
    assert ta.epochs_done == tb.epochs_done
    assert ra.shape == rb.shape
    np.testing.assert_allclose(ra, rb, rtol=rtol, atol=ATOL)
    np.testing.assert_allclose(tha, thb, rtol=rtol, atol=ATOL)


@pytest.mark.parametrize("seed", range(150))
def test_scalar_kernel_agrees_with_general_path(seed):
    spec = parse_spec(random_spec(seed))
    fast = _train(spec)
    assert isinstance(fast[0]._fast, Kernel)
    general = _train(spec, allow_scalar=False)  # the engine when untied, else the reference loop
    _agree(fast, general)
    _agree(fast, _train(spec, fast=False))


@pytest.mark.parametrize("seed", range(60))
def test_engine_agrees_with_reference_loop(seed):
    spec = parse_spec(random_spec(1000 + seed, max_width=7, max_samples=40, tied=False))
    engine = _train(spec, allow_scalar=False)
    assert isinstance(engine[0]._fast, Engine)
    # The engine folds the learning rate into δ and sums squares with one dot product: the same
    # mathematics rounded differently, which wide layers and large steps amplify over the epochs.
    _agree(engine, _train(spec, fast=False), rtol=1e-9)


def test_one_epoch_of_mazur_is_the_step_command(config):
    step = cli_json("step", config("mazur"))
    final = cli_jsonl("train", config("mazur"), "--epochs", "1")[-1]["final"]
    assert_same_math(final["parameters"], {p["name"]: p["new"] for p in step["parameters"]})


def test_kernel_is_cached_per_shape(config):
    from backcalc.network import Network
    from backcalc.spec import load_spec

    spec = load_spec(config("mazur"))
    other = load_spec(config("mazur"))
    other.inputs = other.inputs + 1.0  # other values, the same shape
    assert compile_kernel(shape_key(spec, Network(spec))) is compile_kernel(shape_key(other, Network(other)))


@pytest.mark.parametrize("seed", [3, 17, 40])
def test_cli_train_matches_reference_loop(seed, tmp_path):
    text = random_spec(seed)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    lines = cli_jsonl("train", path, "--epochs", "9", "--every", "4")
    ref = _train(parse_spec(text), epochs=9, fast=False)
    shown = [row for row in ref[1] if row[0] % 4 == 0 or row[0] == 9]
    assert [line["epoch"] for line in lines[:-1]] == [int(r[0]) for r in shown]
    for line, row in zip(lines[:-1], shown, strict=True):
        np.testing.assert_allclose([line["loss"], line["loss_min"], line["loss_max"], line["mean_sample_loss"]],
                                   row[1:], rtol=RTOL, atol=ATOL)
    final = lines[-1]["final"]["parameters"]
    np.testing.assert_allclose(list(final.values()), ref[2], rtol=RTOL, atol=ATOL)


def test_run_yields_first_every_kth_and_last(config):
    from backcalc.spec import load_spec

    trainer = Trainer(load_spec(config("mazur")))
    assert [r.epoch for r in trainer.run(10, every=4)] == [1, 4, 8, 10]
    assert [r.epoch for r in trainer.run(5, every=4)] == [11, 12, 15]


def _diverging(tied: bool) -> str:
    w = [{"w": 1.0}, {"w": 1.0}] if tied else [1.0, 1.0]
    return json.dumps({"inputs": [[1.0, 2.0], [3.0, -1.0]], "targets": [[1.0], [2.0]],
                       "layers": [{"activation": "identity", "weights": [w], "biases": [0.0]}],
                       "loss": "squared_error", "learning_rate": 5.0, "batch_size": 1})


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("allow_scalar", [True, False])
def test_divergence_stops_exactly_like_the_reference_loop(tied, allow_scalar):
    spec = parse_spec(_diverging(tied))
    fast = _train(spec, epochs=400, allow_scalar=allow_scalar)
    ref = _train(spec, epochs=400, fast=False)
    assert fast[0].stopped and fast[0].stopped == ref[0].stopped
    _agree(fast, ref)


def test_divergence_through_the_cli(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(_diverging(False))
    result = cli("train", path, "--epochs", "400", "--json")
    ref = _train(parse_spec(_diverging(False)), epochs=400, fast=False)[0]
    assert result.exit_code == 1
    assert f"backcalc: {ref.stopped}" in result.stderr


def test_overflow_in_scalar_code_falls_back_to_the_engine():
    # σ(−800) underflows gracefully in NumPy but math.exp(800) raises: the kernel hands over.
    spec = parse_spec(json.dumps({
        "inputs": [[1.0], [-1.0]], "targets": [[0.0], [1.0]],
        "layers": [{"activation": "sigmoid", "weights": [[800.0]], "biases": [0.0]},
                   {"activation": "sigmoid", "weights": [[1.0]], "biases": [0.0]}],
        "loss": "mse", "learning_rate": 0.1}))
    fast = _train(spec, epochs=5)
    assert isinstance(fast[0]._fast, Engine)
    _agree(fast, _train(spec, epochs=5, fast=False))


def _spec_with_optimizer(optimizer):
    spec = parse_spec(random_spec(5, tied=False))
    spec.optimizer = optimizer
    return spec


@pytest.mark.parametrize("optimizer, plain", [
    (None, True), ("sgd", True), ({"name": "sgd"}, True), ({"name": "sgd", "momentum": 0.0}, True),
    ({"name": "sgd", "momentum": 0.9}, False), ({"name": "sgd", "weight_decay": 1e-4}, False),
    ({"name": "adam"}, False), ("adam", False),
])
def test_only_plain_sgd_takes_a_fast_path(optimizer, plain):
    from backcalc.network import Network

    spec = _spec_with_optimizer(optimizer)
    assert plain_sgd(spec) is plain
    assert (choose(spec, Network(spec)) is not None) is plain


def test_big_or_exact_networks_take_other_paths():
    from backcalc.network import Network

    big = parse_spec(random_spec(7, max_width=12, max_samples=80, tied=False))
    assert isinstance(choose(big, Network(big)), Engine)
    small = parse_spec(random_spec(7, tied=False))
    assert choose(small, Network(small, dtype=object)) is None


def test_bce_on_a_softmax_output_takes_the_engine_and_matches_the_reference(tmp_path):
    """Regression: the engine must hand z to the combined bce+softmax δ (it crashed with exit 70)."""
    import numpy as np

    from backcalc import load_spec
    from backcalc.training import Trainer

    spec = tmp_path / "s.yaml"
    spec.write_text(
        "inputs: [[-1.0, 0.0], [0.5, 2.0]]\ntargets: [[0.0, 1.0], [1.0, 0.0]]\nlayers:\n"
        "  - {activation: tanh, weights: [[-2.0, 0.5], [0.3, 1.0], [1.0, -1.0]], biases: [2.0, 0.0, 0.1]}\n"
        "  - {activation: softmax, weights: [[-1.0, 0.0, 2.0], [2.0, 0.0, 0.0]], biases: [0.0, 0.0]}\n"
        "loss: bce\nlearning_rate: 0.5\n")
    fast, ref = Trainer(load_spec(spec)), Trainer(load_spec(spec), fast=False)
    assert fast.fast_runner() is not None
    fast_losses = [r.loss for r in fast.run(5)]
    ref_losses = [r.loss for r in ref.run(5)]
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-12)
    np.testing.assert_allclose(fast.net.theta, ref.net.theta, rtol=1e-12, atol=1e-15)
