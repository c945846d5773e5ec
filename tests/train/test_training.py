"""The `train` table: epochs, batches and their losses."""

from __future__ import annotations

import json

from conftest import cli


def test_several_batches_show_min_and_max_in_the_train_table(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("inputs: [[1], [2], [3], [4]]\ntargets: [2, 4, 6, 8]\n"
                    "layers:\n  - {activation: identity, weights: [[0.5]]}\nlearning_rate: 0.01\nbatch_size: 2\n")
    out = cli("train", spec, "--epochs", "3", env={"NO_COLOR": "1"}).stdout
    assert "loss (mean over batches)" in out and " min " in out and " max\n" in out  # max: the last column
    records = [json.loads(line) for line in cli("train", spec, "--epochs", "3", "--json").stdout.splitlines()[:-1]]
    first = records[0]
    assert first["loss_min"] < first["loss"] < first["loss_max"]
    assert f"{first['loss_min']:.5f}" in out and f"{first['loss_max']:.5f}" in out
