"""What a spec leaves out: the documented defaults and `init` distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import cli_json


@pytest.mark.parametrize("distribution", ["uniform", "normal", "xavier", "he"])
def test_every_init_distribution_is_reproducible_and_scaled(tmp_path, distribution):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"inputs: [[1, 2, 3, 4]]\ntargets: [[0.5]]\ninit: {{seed: 3, distribution: {distribution}}}\n"
                    "layers:\n  - {size: 200, activation: tanh}\n  - {size: 1, activation: sigmoid}\n")
    a, b = cli_json("step", spec), cli_json("step", spec)
    assert a["layers"][0]["weights"] == b["layers"][0]["weights"]
    w = np.array(a["layers"][0]["weights"])
    assert w.shape == (200, 4)
    fan_in, fan_out = 4, 200
    if distribution == "uniform":
        assert np.abs(w).max() <= 1 / math.sqrt(fan_in)
        assert np.abs(a["layers"][0]["biases"]).max() <= 1 / math.sqrt(fan_in)
    elif distribution == "xavier":
        assert np.abs(w).max() <= math.sqrt(6 / (fan_in + fan_out))
    else:
        expected_std = 1 / math.sqrt(fan_in) if distribution == "normal" else math.sqrt(2 / fan_in)
        assert w.std() == pytest.approx(expected_std, rel=0.1)
        assert a["layers"][0]["biases"] == [0.0] * 200


def test_defaults_mse_mean_and_full_batch(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [[1, 2], [3, 4]]\ntargets: [[1, 0], [0, 1]]\n"
                    "layers:\n  - {activation: identity, weights: [[0.1, 0.2], [0.3, 0.4]]}\n")
    d = cli_json("step", spec)
    assert d["loss_function"] == "mse" and d["reduction"] == "mean" and d["batch"] == [0, 1]
    y = np.array([[1, 2], [3, 4]]) @ np.array([[0.1, 0.2], [0.3, 0.4]]).T
    t = np.array([[1, 0], [0, 1]])
    assert d["loss"] == pytest.approx(np.mean(np.mean((y - t) ** 2, axis=1)), rel=1e-14)
