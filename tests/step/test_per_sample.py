"""`step --per-sample`: each sample's partial derivatives before the reduction over the batch."""

from __future__ import annotations

import json
import math

import pytest
from conftest import CONFIGS, cli
from reference_step import (
    param_slots,
    random_step,
    ref_batch_loss,
    with_values,
)


@pytest.mark.parametrize("seed", range(1, 80, 5))
def test_per_sample_gradients_match_finite_differences_of_each_samples_loss(seed):
    (x, t, layers, loss, reduction, batch), d = random_step(seed, "--per-sample")
    ps = d["per_sample"]
    assert ps["samples"] == list(range(1, batch + 1)) and ps["reduction"] == reduction
    slots = param_slots(d)

    def sample_loss(s, name, value):
        moved = with_values(layers, {slot: value for slot in slots[name]})
        return ref_batch_loss(moved, x[s:s + 1], t[s:s + 1], loss, "sum")

    h = 1e-6
    for p in d["parameters"]:
        per = ps["grad"][p["name"]]
        assert len(per) == batch
        for s in range(batch):
            numeric = (sample_loss(s, p["name"], p["value"] + h) - sample_loss(s, p["name"], p["value"] - h)) / (2 * h)
            assert math.isclose(per[s], numeric, rel_tol=1e-6, abs_tol=1e-6), (p["name"], s, per[s], numeric)
        reduced = sum(per) / batch if reduction == "mean" else sum(per)
        assert reduced == pytest.approx(p["grad"], rel=1e-9, abs=1e-12)
        assert ps["reduced_grad"][p["name"]] == p["grad"]


def test_per_sample_table_on_the_batch_seed():
    # The batch seed's b2 gradient is the SUM over its two samples of δ = y − t (sigmoid with bce).
    d = json.loads(cli("step", str(CONFIGS / "batch_seed.yaml"), "--json", "--per-sample").stdout)
    y = [row[0] for row in d["output"]]
    assert d["per_sample"]["grad"]["b2[1]"] == pytest.approx([y[0] - 1, y[1] - 0], rel=1e-12)
    assert sum(d["per_sample"]["grad"]["b2[1]"]) == pytest.approx(0.6267222, abs=5e-8)  # the notebook's db2
    table = cli("step", str(CONFIGS / "batch_seed.yaml"), "--per-sample", env={"COLUMNS": "120"}).stdout
    assert "Per sample, before the sum over the batch" in table
    row = next(line for line in table.splitlines() if line.lstrip().startswith("∂ℓ/∂b2[1]"))
    assert row.split()[-1] == "0.62672"
    assert len(row.split()) == 4  # name, sample 1, sample 2, the sum
