"""∂L/∂x of every input of every sample (issue 16): central differences on the inputs, PyTorch's
x.grad, and the CLI's table, JSON and the seed row of the backward pass."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import cli
from reference_step import random_spec, random_step, ref_batch_loss, spec_text


def central_differences(x, t, layers, loss, reduction, h=1e-6):
    """∂L/∂x by central differences of the independent reference's batch loss."""
    plain_layers = [(w, b, act, alpha) for w, b, act, alpha, *_ in layers]
    out = np.zeros_like(x)
    for s in range(x.shape[0]):
        for j in range(x.shape[1]):
            up, down = x.copy(), x.copy()
            up[s, j] += h
            down[s, j] -= h
            out[s, j] = (ref_batch_loss(plain_layers, up, t, loss, reduction)
                         - ref_batch_loss(plain_layers, down, t, loss, reduction)) / (2 * h)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_input_gradients_match_central_differences(seed):
    (x, t, layers, loss, reduction, batch), d = random_step(seed)
    got = np.asarray(d["input_gradients"])
    assert got.shape == (batch, x.shape[1])
    expected = central_differences(x[:batch], t[:batch], layers, loss, reduction)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def _torch_loss(torch, name, z, y, t):
    """Each sample's loss, as PyTorch writes it (bce/cross-entropy from y, as the reference does)."""
    k = y.shape[1]
    if name in ("squared_error", "half_squared_error", "mse"):
        per = ((y - t) ** 2).sum(1)
        return {"squared_error": per, "half_squared_error": per / 2, "mse": per / k}[name]
    if name == "bce":
        return torch.nn.functional.binary_cross_entropy(y, t, reduction="none").sum(1) / k
    return -(t * torch.log(y)).sum(1)


@pytest.mark.parametrize("seed", range(40))
def test_input_gradients_match_autograd(seed):
    """x.requires_grad: PyTorch's x.grad of the batch loss is `input_gradients`."""
    torch = pytest.importorskip("torch")
    acts = {"identity": lambda z, _: z, "linear": lambda z, _: z, "relu": lambda z, _: torch.relu(z),
            "leaky_relu": lambda z, alpha: torch.nn.functional.leaky_relu(z, alpha),
            "sigmoid": lambda z, _: torch.sigmoid(z), "tanh": lambda z, _: torch.tanh(z),
            "softmax": lambda z, _: torch.softmax(z, dim=1)}
    (x, t, layers, loss, reduction, batch), d = random_step(seed)
    xb = torch.tensor(x[:batch], dtype=torch.float64, requires_grad=True)
    a = xb
    for layer in d["layers"]:
        w, b = (torch.tensor(layer[k], dtype=torch.float64) for k in ("weights", "biases"))
        z = a @ w.T + b
        a = acts[layer["activation"]](z, layer.get("alpha", 0.01))
    per = _torch_loss(torch, loss, z, a, torch.tensor(t[:batch], dtype=torch.float64))
    (per.mean() if reduction == "mean" else per.sum()).backward()
    np.testing.assert_allclose(d["input_gradients"], xb.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_exact_input_gradients_are_the_float_ones(config):
    """--exact computes them in Fractions along the same formulas: the float numbers to rounding."""
    from fractions import Fraction

    exact = json.loads(cli("step", config("relu_seed"), "--json", "--exact").stdout)["input_gradients"]
    floats = json.loads(cli("step", config("relu_seed"), "--json").stdout)["input_gradients"]
    np.testing.assert_allclose([[float(Fraction(v)) for v in row] for row in exact], floats, rtol=1e-14)


def _table(out: str, title: str) -> list[str]:
    """The body rows of the table titled `title` (no header, rule or blank section lines)."""
    lines = out.split(title, 1)[1].split("\n\n", 1)[1].splitlines()[2:]
    rows = []
    for line in lines:
        if line and not line.startswith(" "):
            break
        rows.append(line)
    return [r for r in rows if r.strip()]


def test_the_table_shows_each_input_gradient_with_its_sum(config):
    """Mazur's net: ∂L/∂x1 = δ_h1·w1 + δ_h2·w3, the numbers of --json as the table writes them."""
    out = cli("step", config("mazur")).stdout
    d = json.loads(cli("step", config("mazur"), "--json").stdout)
    rows = _table(out, "Input gradients: ∂L/∂x per input")
    delta = d["layers"][0]["delta"][0]
    for j, (name, row) in enumerate(zip(("x1", "x2"), rows, strict=True)):
        weights = [d["layers"][0]["weights"][i][j] for i in range(2)]
        names = [d["layers"][0]["weight_names"][i][j] for i in range(2)]
        assert row.split() == [name, f"δ_h1·{names[0]}", "+", f"δ_h2·{names[1]}",
                               f"{d['input_gradients'][0][j]:.7f}"]
        assert d["input_gradients"][0][j] == pytest.approx(delta[0] * weights[0] + delta[1] * weights[1],
                                                           rel=1e-15)


def test_several_samples_show_each_samples_own_loss(config):
    """The table's ∂ℓ/∂x is each sample's own loss's; JSON's is the batch loss's (× 1/N under mean)."""
    out = cli("step", config("softmax_classifier")).stdout
    d = json.loads(cli("step", config("softmax_classifier"), "--json").stdout)
    assert d["reduction"] == "mean"
    rows = [r.split() for r in _table(out, "Input gradients: ∂ℓ/∂x per input and sample") if r.strip()]
    n = len(d["batch"])
    shown = [float(r[-1].replace("−", "-")) for r in rows]
    expected = [v * n for column in np.asarray(d["input_gradients"]).T for v in column]
    np.testing.assert_allclose(shown, expected, rtol=1e-4)


def test_wide_inputs_are_summarised_unless_full():
    spec = {"inputs": [list(np.linspace(-1, 1, 12))], "targets": [[0.5]], "loss": "mse",
            "layers": [{"size": 1, "activation": "sigmoid"}], "init": {"seed": 3}, "learning_rate": 0.1}
    text = json.dumps(spec)
    summary = _table(cli("step", "-", input=text).stdout, "Input gradients")
    full = _table(cli("step", "-", "--full", input=text).stdout, "Input gradients")
    assert [r.split()[0] for r in full] == [f"x{j}" for j in range(1, 13)]
    assert [r.split()[0] for r in summary] == ["x1", "x2", "x3", "⋮", "x12"]
    assert "8 more inputs (--full)" in summary[3]


def test_the_backward_pass_starts_from_the_seed(config):
    for name, ell in (("mazur", "L"), ("batch_seed", "ℓ")):
        rows = _table(cli("step", config(name)).stdout, "Backward pass")
        assert rows[0].split() == ["loss", ell, "1", f"∂{ell}/∂{ell}", "(seed)"]
        assert rows[1].split()[0] == str(len(json.loads(cli("step", config(name), "--json").stdout)["layers"]))


def test_random_specs_tables_show_every_input_gradient():
    """Through the CLI on random specs: one row per input (and sample), the value --json holds."""
    for seed in range(12):
        spec = random_spec(seed)
        x, t, layers, loss, reduction, batch = spec
        text = spec_text(*spec)
        d = json.loads(cli("step", "-", "--json", "--digits", "6", input=text).stdout)
        out = cli("step", "-", "--digits", "6", input=text).stdout
        title = re.search(r"Input gradients: ∂[Lℓ]/∂x per input( and sample)?", out).group(0)
        rows = [r for r in _table(out, title) if r.strip()]
        assert len(rows) == batch * x.shape[1]
        scale = batch if reduction == "mean" else 1
        values = [float(r.split()[-1].replace("−", "-")) for r in rows]
        expected = np.asarray(d["input_gradients"]).T.ravel() * scale
        np.testing.assert_allclose(values, expected, rtol=2e-5, atol=1e-300)
