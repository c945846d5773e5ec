"""Every gradient of the layer kinds against central differences (`backcalc gradcheck`), random
specs and the bundled examples; no PyTorch needed."""

from __future__ import annotations

import json

import pytest
from conftest import CONFIGS, cli, write_file
from kind_specs import random_kind_spec, spec_text


def gradcheck_rows(path) -> list[dict]:
    result = cli("gradcheck", path, "--no-torch", "--json")
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)["parameters"]


@pytest.mark.parametrize("seed", range(40, 70))
def test_random_kind_specs_agree_with_central_differences(tmp_path, seed):
    rows = gradcheck_rows(write_file(tmp_path, "spec.yaml", spec_text(random_kind_spec(seed))))
    assert rows
    # undecidable only where a kink (relu's 0, a max pool's tie) or the noise floor says why
    assert all(r["verdict"] == "agree" or r.get("reason") in ("kink", "noise") for r in rows), rows
    assert sum(r["verdict"] == "agree" for r in rows) >= len(rows) // 2


@pytest.mark.parametrize("config", ["conv_image", "batchnorm_batch"])
def test_bundled_examples_agree_with_central_differences(config):
    rows = gradcheck_rows(CONFIGS / f"{config}.yaml")
    assert {r["verdict"] for r in rows} <= {"agree", "undecidable"}
    # batch norm cancels the bias before it (every x shifts by it, μ too): 0 up to rounding, undecidable
    decided = [r for r in rows if r["verdict"] == "agree"]
    assert len(decided) >= len(rows) - 2
    for r in decided:
        assert abs(r["analytic"] - r["finite_difference"]) <= 1e-6 * max(1, abs(r["analytic"]))
