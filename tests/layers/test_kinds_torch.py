"""The layer kinds against PyTorch float64 (nn.Conv1d/2d, MaxPool/AvgPool, BatchNorm1d in training
mode): loss, every gradient and every update of `step`, and 5 epochs of `train` (skipped without torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import cli_json, write_file
from kind_specs import random_kind_spec, spec_text
from torch_agrees import assert_five_epochs_agree

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL = 1e-10  # different computations (PyTorch's kernels against NumPy's gathers): agree to rounding


def _act(name, z):
    return {"identity": lambda v: v, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "leaky_relu": lambda v: F.leaky_relu(v, 0.01)}[name](z)


def _tensor(leaves, names):
    shape = np.array(names, dtype=object).shape
    flat = [leaves[n] for n in np.array(names, dtype=object).ravel()]
    return torch.stack(flat).reshape(shape) if flat else None


def torch_forward(spec: dict, step: dict, leaves, x):
    """The network of `spec` in torch, with the parameters (tied by name) as leaves."""
    a = x
    for layer, done in zip(spec["layers"], step["layers"]):
        kind = layer.get("type", "dense")
        w, b = _tensor(leaves, done["weight_names"]), _tensor(leaves, done["bias_names"])
        if kind.startswith(("conv", "maxpool", "avgpool")):
            dims = int(kind[-2])
            if "input_shape" in layer:
                a = a.reshape(a.shape[0], *layer["input_shape"])
        if kind.startswith("conv"):
            conv = F.conv1d if dims == 1 else F.conv2d
            a = conv(a, w, b, stride=layer.get("stride", 1), padding=layer.get("padding", 0))
        elif kind.startswith("maxpool"):
            pool = F.max_pool1d if dims == 1 else F.max_pool2d
            a = pool(a, layer["kernel_size"], layer.get("stride", layer["kernel_size"]), layer.get("padding", 0))
            continue
        elif kind.startswith("avgpool"):
            pool = F.avg_pool1d if dims == 1 else F.avg_pool2d
            a = pool(a, layer["kernel_size"], layer.get("stride", layer["kernel_size"]), layer.get("padding", 0),
                     count_include_pad=True)
            continue
        elif kind == "flatten":
            a = a.reshape(a.shape[0], -1)
            continue
        elif kind == "batchnorm":
            a = F.batch_norm(a, None, None, w.reshape(-1), b, training=True, eps=1e-5)
        else:
            a = F.linear(a.reshape(a.shape[0], -1), w, b)
        a = _act(layer.get("activation", "identity"), a)
    return a


def torch_step(spec: dict, step: dict, theta: dict, x, t):
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in theta.items()}
    y = torch_forward(spec, step, leaves, x)
    loss = F.mse_loss(y, t)  # backcalc's mse: a mean over outputs, then over the batch
    loss.backward()
    return loss.item(), {k: v.grad.item() for k, v in leaves.items()}


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_step_agrees_with_torch(tmp_path, seed):
    spec = random_kind_spec(seed)
    path = write_file(tmp_path, "spec.yaml", spec_text(spec))
    step = cli_json("step", path)
    theta = {p["name"]: p["value"] for p in step["parameters"]}
    x, t = torch.tensor(spec["inputs"], dtype=torch.float64), torch.tensor(spec["targets"], dtype=torch.float64)
    assert_step_agrees(step, *torch_step(spec, step, theta, x, t))


def assert_step_agrees(step: dict, loss: float, grad: dict) -> None:
    """`step --json`'s loss, every gradient and every update (η = 0.1) against torch's loss and gradients."""
    assert set(grad) == {p["name"] for p in step["parameters"]}
    np.testing.assert_allclose(step["loss"], loss, rtol=RTOL, atol=1e-14)
    for p in step["parameters"]:
        np.testing.assert_allclose(p["grad"], grad[p["name"]], rtol=RTOL, atol=1e-13, err_msg=p["name"])
        np.testing.assert_allclose(p["new"], p["value"] - 0.1 * grad[p["name"]], rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_five_epochs_agree_with_torch(tmp_path, seed):
    spec = random_kind_spec(seed)
    path = write_file(tmp_path, "spec.yaml", spec_text(spec))
    step = cli_json("step", path)
    x, t = torch.tensor(spec["inputs"], dtype=torch.float64), torch.tensor(spec["targets"], dtype=torch.float64)
    assert_five_epochs_agree(path, step, lambda theta: torch_step(spec, step, theta, x, t))


def test_padded_pools_and_a_reshaped_view_agree_with_torch():
    import yaml

    path = Path(__file__).parent / "padded_views.yaml"
    spec = yaml.safe_load(path.read_text())
    step = cli_json("step", path)
    theta = {p["name"]: p["value"] for p in step["parameters"]}
    x, t = torch.tensor(spec["inputs"], dtype=torch.float64), torch.tensor(spec["targets"], dtype=torch.float64)
    loss, grad = torch_step(spec, step, theta, x, t)
    np.testing.assert_allclose(step["loss"], loss, rtol=RTOL)
    np.testing.assert_allclose([p["grad"] for p in step["parameters"]], [grad[p["name"]] for p in step["parameters"]],
                               rtol=RTOL, atol=1e-13)
