"""The step tables of conv, pool, batchnorm and rnn networks show each input's ∂ℓ/∂x as a dense
network's do: one row per input (and sample), the numbers --json gives (×N per sample under mean)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import cli, cli_json, shown


def table_rows(out: str) -> list[list[str]]:
    body = out.split("Input gradients:")[1].split("\nUpdate")[0].split("─\n")[1]
    return [line.split() for line in body.splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["conv_image", "batchnorm_batch", "rnn_sequence"])
def test_kind_tables_show_every_input_gradient(config, name):
    result = cli("step", config(name), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    data = cli_json("step", config(name))
    n = len(data["batch"])
    scale = n if data["reduction"] == "mean" else 1  # the table's are each sample's own loss's
    expected = [shown(v * scale) if v else "0" for v in np.asarray(data["input_gradients"]).T.ravel()]
    values = [row[-1].replace("−", "-") for row in table_rows(result.stdout) if re.fullmatch(r"−?[\d.]+(e−?\d+)?",
                                                                                            row[-1])]
    assert values == expected  # input by input, sample by sample
    names = [row[0] for row in table_rows(result.stdout) if re.fullmatch(r"x\d+", row[0])]
    assert names == [f"x{j + 1}" for j in range(len(data["inputs"][0]))]


def test_a_max_pool_first_layer_sends_back_to_its_winners():
    spec = """
inputs: [[0.1, 0.9, 0.4, 0.3]]
target: [1]
loss: mse
layers:
  - type: maxpool1d
    input_shape: [1, 4]
    kernel_size: 2
  - weights: [[0.5, -1.0]]
    biases: [0]
    activation: identity
"""
    result = cli("step", "-", input=spec)
    assert result.exit_code == 0, result.stderr
    rows = {row[0]: " ".join(row[1:]) for row in table_rows(result.stdout)}
    data = cli_json("step", "-", input=spec)
    assert rows["x1"].startswith("0 (won no window)") and rows["x4"].startswith("0 (won no window)")
    assert rows["x2"].endswith(shown(data["input_gradients"][0][1]).replace("-", "−")) and "(won)" in rows["x2"]
