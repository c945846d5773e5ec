"""backcalc against torch.autograd on random specs (skipped without PyTorch).

PyTorch is never a runtime dependency; `make test WITH_TORCH=1` (what CI runs) installs
its CPU build so this independent reference runs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli
from reference_step import (
    SATURATING,
    near_kink,
    one_layer_spec,
    random_spec,
    random_step,
    spec_text,
)

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402


def torch_act(name, z, alpha):
    if name in ("identity", "linear"):
        return z
    if name == "relu":
        return torch.relu(z)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, alpha)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    return torch.softmax(z, dim=1)


def torch_loss(name, y, t):
    k = y.shape[1]
    if name == "squared_error":
        return ((y - t) ** 2).sum(1)
    if name == "half_squared_error":
        return 0.5 * ((y - t) ** 2).sum(1)
    if name == "mse":
        return ((y - t) ** 2).sum(1) / k
    if name == "bce":
        return torch.nn.functional.binary_cross_entropy(y, t, reduction="none").sum(1) / k
    return -(t * torch.log(y)).sum(1)


def torch_model(d):
    """Leaf tensors for each distinct parameter, and a function building W, b per layer."""
    names = [p["name"] for p in d["parameters"]]
    leaves = {p["name"]: torch.tensor(p["value"], dtype=torch.float64, requires_grad=True) for p in d["parameters"]}

    def layers():
        out = []
        for layer in d["layers"]:
            w = torch.stack([torch.stack([leaves[n] for n in row]) for row in layer["weight_names"]])
            b = torch.stack([leaves[n] for n in layer["bias_names"]])
            out.append((w, b, layer["activation"], layer.get("alpha", 0.01)))
        return out

    return names, leaves, layers


def forward(layers, x):
    a, zs = x, []
    for w, b, act, alpha in layers:
        z = a @ w.T + b
        z.retain_grad()
        zs.append(z)
        a = torch_act(act, z, alpha)
    return a, zs


@pytest.mark.parametrize("seed", range(40))
def test_step_matches_autograd(seed):
    (x, t, layers, loss, reduction, batch), d = random_step(seed)
    names, leaves, build = torch_model(d)
    xb = torch.tensor(x[:batch], dtype=torch.float64)
    tb = torch.tensor(t[:batch], dtype=torch.float64)
    y, zs = forward(build(), xb)
    per = torch_loss(loss, y, tb)
    total = per.mean() if reduction == "mean" else per.sum()
    total.backward()
    assert d["loss"] == pytest.approx(total.item(), rel=1e-12, abs=1e-15)
    for p in d["parameters"]:
        assert p["grad"] == pytest.approx(leaves[p["name"]].grad.item(), rel=1e-10, abs=1e-13), p["name"]
    for layer, z in zip(d["layers"], zs, strict=True):
        np.testing.assert_allclose(layer["z"], z.detach().numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(layer["delta"], z.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_training_matches_torch_sgd(seed):
    x, t, layers, loss, reduction, batch = random_spec(seed)
    if near_kink(x, layers):
        pytest.skip("a ReLU input sits on its kink")
    text = spec_text(x, t, layers, loss, reduction, batch)
    d = json.loads(cli("step", "-", "--json", input=text).stdout)
    lines = [json.loads(line) for line in cli("train", "-", "--epochs", "5", "--json", input=text).stdout.splitlines()]
    names, leaves, build = torch_model(d)
    opt = torch.optim.SGD(list(leaves.values()), lr=0.1)
    xt, tt = torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)
    for epoch in range(5):
        batch_losses = []
        for s in range(0, len(x), batch):
            opt.zero_grad()
            y, _ = forward(build(), xt[s:s + batch])
            per = torch_loss(loss, y, tt[s:s + batch])
            total = per.mean() if reduction == "mean" else per.sum()
            total.backward()
            opt.step()
            batch_losses.append(total.item())
        record = lines[epoch]
        assert record["epoch"] == epoch + 1
        assert record["loss"] == pytest.approx(np.mean(batch_losses), rel=1e-9, abs=1e-12)
        assert record["loss_min"] == pytest.approx(min(batch_losses), rel=1e-9, abs=1e-12)
    final = lines[-1]["final"]["parameters"]
    for name in names:
        assert final[name] == pytest.approx(leaves[name].item(), rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("seed", range(0, 40, 2))
def test_a_batch_size_above_the_samples_matches_torch_dataloader(seed):
    """The random specs over their first sample with `batch_size: 2`: DataLoader's one short batch."""
    x, t, layers, loss, reduction, _ = random_spec(seed)
    x, t = x[:1], t[:1]
    if near_kink(x, layers):
        pytest.skip("a ReLU input sits on its kink")
    text = spec_text(x, t, layers, loss, reduction, 2)
    step = cli("step", "-", "--json", input=text)
    assert step.exit_code == 0, step.stderr
    d = json.loads(step.stdout)
    names, leaves, build = torch_model(d)
    loader = DataLoader(TensorDataset(torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)),
                        batch_size=2)
    (xb, tb), = list(loader)  # one batch, of the one sample
    per = torch_loss(loss, forward(build(), xb)[0], tb)
    total = per.mean() if reduction == "mean" else per.sum()
    total.backward()
    assert d["batch"] == [0]
    assert d["loss"] == pytest.approx(total.item(), rel=1e-12, abs=1e-15)
    for p in d["parameters"]:
        assert p["grad"] == pytest.approx(leaves[p["name"]].grad.item(), rel=1e-10, abs=1e-13), p["name"]
    # five epochs of SGD over the loader, as `train` runs them
    lines = [json.loads(line) for line in cli("train", "-", "--epochs", "5", "--json", input=text).stdout.splitlines()]
    names, leaves, build = torch_model(d)
    opt = torch.optim.SGD(list(leaves.values()), lr=0.1)
    for epoch in range(5):
        for xb, tb in loader:
            opt.zero_grad()
            per = torch_loss(loss, forward(build(), xb)[0], tb)
            total = per.mean() if reduction == "mean" else per.sum()
            total.backward()
            opt.step()
            assert lines[epoch]["loss"] == pytest.approx(total.item(), rel=1e-9, abs=1e-12)
    final = lines[-1]["final"]["parameters"]
    for name in names:
        assert final[name] == pytest.approx(leaves[name].item(), rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("case", [c for c, v in SATURATING.items() if v[0] == "softmax"])
def test_softmax_losses_near_saturation_match_autograd(tmp_path, case):
    """Loss and ∂L/∂w near saturation against torch float64 in log space: log_softmax, and
    log(1 − y_k) = logsumexp of the other z − logsumexp(z), which never forms 1 − y_k (the
    log(−expm1(log y)) of a rounded log y keeps its absolute error: 1e-10 at y = 1 − 2e-7)."""
    act, loss, weights, targets = SATURATING[case]
    path = tmp_path / "s.yaml"
    path.write_text(one_layer_spec(act, loss, weights, targets))
    d = json.loads(cli("step", path, "--json").stdout)
    w = torch.tensor([[v] for v in weights], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([targets], dtype=torch.float64)
    z = (torch.ones(1, 1, dtype=torch.float64) @ w.T)[0]
    log_y = torch.log_softmax(z, dim=0)
    if loss == "cross_entropy":
        total = -(t[0] * log_y).sum()
    else:
        others = torch.stack([torch.logsumexp(torch.cat([z[:k], z[k + 1:]]), 0) for k in range(len(weights))])
        total = -(t[0] * log_y + (1 - t[0]) * (others - torch.logsumexp(z, 0))).sum() / len(weights)
    total.backward()
    assert d["loss"] == pytest.approx(total.item(), rel=1e-14)
    for i in range(len(weights)):
        assert d["parameters"][i]["name"] == f"W1[{i + 1},1]"
        assert d["parameters"][i]["grad"] == pytest.approx(w.grad[i, 0].item(), rel=1e-12, abs=1e-300)
