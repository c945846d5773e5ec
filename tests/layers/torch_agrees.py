"""A spec's `step` and 5 epochs of `train` through the CLI against a torch reference: `torch_step(spec,
theta)` gives the loss and every parameter's gradient from the parameters by name (SGD, lr 0.1)."""

from __future__ import annotations

import json

import numpy as np
from conftest import cli, cli_json

RTOL = 1e-10  # different computations (torch's kernels against the kind's loop over time): rounding


def step_agrees(path, spec: dict, torch_step) -> None:
    """The loss, every gradient and every update of `step` agree with torch's."""
    step = cli_json("step", path)
    theta = {p["name"]: p["value"] for p in step["parameters"]}
    loss, grad = torch_step(spec, theta)
    np.testing.assert_allclose(step["loss"], loss, rtol=RTOL, atol=1e-14)
    for p in step["parameters"]:
        np.testing.assert_allclose(p["grad"], grad[p["name"]], rtol=RTOL, atol=1e-13, err_msg=p["name"])
        np.testing.assert_allclose(p["new"], p["value"] - 0.1 * grad[p["name"]], rtol=RTOL, atol=1e-13)


def five_epochs_agree(path, spec: dict, torch_step) -> None:
    """Each epoch's loss and the final parameters of `train --epochs 5` agree with torch's SGD."""
    assert_five_epochs_agree(path, cli_json("step", path), lambda theta: torch_step(spec, theta))


def assert_five_epochs_agree(path, step: dict, torch_step_of) -> None:
    """`train --epochs 5` against 5 plain SGD steps (η = 0.1) of `torch_step_of(theta) → (loss, grads)`:
    every epoch's loss and the final parameters."""
    result = cli("train", path, "--epochs", "5", "--json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    theta = {p["name"]: p["value"] for p in step["parameters"]}
    losses = []
    for _ in range(5):
        loss, grad = torch_step_of(theta)
        losses.append(loss)
        theta = {k: v - 0.1 * grad[k] for k, v in theta.items()}
    epochs = [r for r in records if "epoch" in r]
    assert len(epochs) == 5
    np.testing.assert_allclose([r["loss"] for r in epochs], losses, rtol=1e-9, atol=1e-13)
    final = records[-1]["final"]["parameters"]
    np.testing.assert_allclose([final[k] for k in theta], list(theta.values()), rtol=1e-9, atol=1e-12)
