"""Batch norm per channel after a conv or pool (torch.nn.BatchNorm1d on N×C×L, BatchNorm2d on
N×C×H×W) and per unit after dense (BatchNorm1d on N×F), in training mode: random specs against the
torch modules (weight and bias copied in) and central differences, the bundled configs/batchnorm_conv.yaml
through every view, the located refusals, and check naming the planted mistake, all through the CLI."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import CONFIGS, cli, cli_json, one_line, shown, where, write_file
from kind_specs import random_norm_spec, spec_text

EXAMPLE = CONFIGS / "batchnorm_conv.yaml"


def short(value: float) -> str:
    """How a formula cell writes a number: as the table does, trailing zeros dropped (0.213)."""
    text = shown(value)
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
SEEDS = range(100, 135)


def _torch():
    return pytest.importorskip("torch")


def torch_step(spec: dict, step: dict, theta: dict):
    """Loss and every gradient by torch: nn.BatchNorm1d/2d modules (train mode, weight and bias
    copied from theta), the other layers as tests/layers/test_kinds_torch.py builds them."""
    torch = _torch()
    from test_kinds_torch import torch_forward

    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in theta.items()}
    a = torch.tensor(spec["inputs"], dtype=torch.float64)
    modules = []
    for layer, done in zip(spec["layers"], step["layers"]):
        if layer.get("type") != "batchnorm":
            a = torch_forward({"layers": [layer]}, {"layers": [done]}, leaves, a)
            continue
        shape = a.shape
        x = a.reshape(shape[0], -1) if layer.get("per") == "unit" else a
        module = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}[x.dim()](
            x.shape[1], eps=1e-5, dtype=torch.float64)
        module.train()
        with torch.no_grad():
            module.weight.copy_(torch.tensor([theta[n[0]] for n in done["weight_names"]], dtype=torch.float64))
            module.bias.copy_(torch.tensor([theta[n] for n in done["bias_names"]], dtype=torch.float64))
        modules.append((module, done))
        a = {"identity": lambda v: v, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
             "leaky_relu": lambda v: torch.nn.functional.leaky_relu(v, 0.01)}[layer["activation"]](
            module(x).reshape(shape))
    loss = torch.nn.functional.mse_loss(a, torch.tensor(spec["targets"], dtype=torch.float64))
    loss.backward()
    grads = {k: v.grad.item() for k, v in leaves.items() if v.grad is not None}
    for module, done in modules:
        grads.update({n[0]: g for n, g in zip(done["weight_names"], module.weight.grad.tolist())})
        grads.update(dict(zip(done["bias_names"], module.bias.grad.tolist())))
    return loss.item(), grads


@pytest.mark.parametrize("seed", SEEDS)
def test_step_agrees_with_torch_batchnorm_modules(tmp_path, seed):
    from test_kinds_torch import assert_step_agrees

    spec = random_norm_spec(seed)
    step = cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)))
    norm = next(layer for layer in step["layers"] if layer.get("type") == "batchnorm")
    assert len(norm["mean"]) == len(norm["bias_names"])  # one statistic per gamma
    assert_step_agrees(step, *torch_step(spec, step, {p["name"]: p["value"] for p in step["parameters"]}))


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_five_epochs_agree_with_torch_batchnorm_modules(tmp_path, seed):
    from test_kinds_torch import assert_five_epochs_agree

    spec = random_norm_spec(seed)
    path = write_file(tmp_path, "spec.yaml", spec_text(spec))
    step = cli_json("step", path)
    assert_five_epochs_agree(path, step, lambda theta: torch_step(spec, step, theta))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_norm_specs_agree_with_central_differences(tmp_path, seed):
    result = cli("gradcheck", write_file(tmp_path, "spec.yaml", spec_text(random_norm_spec(seed))), "--no-torch",
                 "--json")
    assert result.exit_code in (0, 1), result.stderr
    rows = json.loads(result.stdout)["parameters"]
    # undecidable only where a kink (relu's 0, a max pool's tie) or the noise floor says why (a bias
    # right before a batch norm has gradient 0: the mean takes its shift away)
    assert rows and all(r["verdict"] == "agree" or r.get("reason") in ("kink", "noise") for r in rows), rows
    assert sum(r["verdict"] == "agree" for r in rows) >= len(rows) // 2


def test_the_example_agrees_with_central_differences_and_torch():
    _torch()
    result = cli("gradcheck", EXAMPLE, "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["parameters"]
    assert {r["verdict"] for r in rows} <= {"agree", "undecidable"}
    assert all(r["torch_verdict"] == "agree" for r in rows), rows
    decided = [r for r in rows if r["verdict"] == "agree"]
    assert len(decided) >= len(rows) - 2  # the conv's two biases: 0 up to rounding (the mean cancels them)
    for r in decided:
        assert abs(r["analytic"] - r["finite_difference"]) <= 1e-6 * max(1, abs(r["analytic"]))


def example_by_hand():
    """The example's conv1d output (samples × 2 channels × 4 positions) and its batch norm, with NumPy."""
    x = np.array([[0.2, 0.8, 0.1, 0.5, 0.9, 0.3], [0.9, 0.1, 0.4, 0.3, 0.6, 0.8]])
    k = np.array([[0.5, -0.3, 0.2], [-0.1, 0.6, 0.3]])
    z = np.array([[[k[c] @ x[s, i:i + 3] + (0.1, 0.0)[c] for i in range(4)] for c in range(2)] for s in range(2)])
    mean, var = z.mean(axis=(0, 2)), z.var(axis=(0, 2))
    xhat = (z - mean[None, :, None]) / np.sqrt(var + 1e-5)[None, :, None]
    return z, mean, var, xhat


def test_example_json_and_table_give_each_channels_statistics():
    z, mean, var, xhat = example_by_hand()
    step = cli_json("step", EXAMPLE)
    norm = step["layers"][1]
    assert norm["per"] == "channel" and norm["count"] == 8 and norm["weight_names"] == [["gamma2[1]"], ["gamma2[2]"]]
    np.testing.assert_allclose(norm["mean"], mean, rtol=1e-13)
    np.testing.assert_allclose(norm["variance"], var, rtol=1e-12)
    np.testing.assert_allclose(np.array(norm["x_hat"]).reshape(xhat.shape), xhat, rtol=1e-10, atol=1e-14)
    gamma, beta = np.array([1.0, 0.5]), np.array([1.0, 1.0])
    np.testing.assert_allclose(np.array(norm["z"]).reshape(z.shape), xhat * gamma[:, None] + beta[:, None],
                               rtol=1e-10, atol=1e-14)
    result = cli("step", EXAMPLE, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "per channel over the batch and its positions" in " ".join(out.split())
    assert "2 × 4 = 8 values" in " ".join(out.split())
    for c in range(2):
        assert shown(mean[c]) in out and shown(var[c]) in out and shown(np.sqrt(var[c] + 1e-5)) in out
    assert "γ/(M·√(σ²+ε))·(M·δ − Σδ − x̂·Σδx̂)" in " ".join(out.split())
    # gamma's and beta's rows: a channel's 4 positions per sample, then their sum
    assert " ".join(out.split()).count("sum over 4 positions") >= 4


def test_example_backward_formula_cells_are_the_three_terms():
    """Each conv unit's ∂ℓ/∂a is γ/(M·√(σ²+ε))·(M·δ − Σδ − x̂·Σδx̂) with its channel's numbers (M = 8),
    and the table's cell writes those numbers. JSON's δ and ∂L/∂a are the batch loss's (÷ N = 2);
    the formula is linear in δ, so it holds for them as written."""
    step = cli_json("step", EXAMPLE)
    conv, norm = step["layers"][0], step["layers"][1]
    delta, xhat = np.array(norm["delta"]).reshape(2, 2, 4), np.array(norm["x_hat"]).reshape(2, 2, 4)
    sd, sdx = delta.sum(axis=(0, 2)), (delta * xhat).sum(axis=(0, 2))
    np.testing.assert_allclose(norm["sum_delta"], 2 * sd, rtol=1e-12, atol=1e-15)  # per-sample δ's sums
    np.testing.assert_allclose(norm["sum_delta_x_hat"], 2 * sdx, rtol=1e-12, atol=1e-15)
    gamma, std = np.array([1.0, 0.5]), np.sqrt(np.array(norm["variance"]) + 1e-5)
    back = gamma[None, :, None] / (8 * std[None, :, None]) * (8 * delta - sd[None, :, None] -
                                                              xhat * sdx[None, :, None])
    np.testing.assert_allclose(np.array(conv["dL_da"]).reshape(2, 2, 4), back, rtol=1e-10, atol=1e-15)
    out = cli("step", EXAMPLE, "--full", env={"COLUMNS": "200"}).stdout
    for c in range(2):  # each of the channel's 4 positions × 2 samples: its γ, M and √(σ²+ε), then its Σδ
        assert out.count(f"*{('1', '0.5')[c]}/(8·{short(std[c])})·(") == 8
        total = short(2 * sd[c]).replace("-", "−")
        written = f"− ({total})" if total.startswith("−") else f"− {total}"
        assert len(re.findall(re.escape(written) + r"\s", out)) == 8


@pytest.mark.parametrize("fmt", ["markdown", "latex", "html"])
def test_example_documents_and_exercises(fmt):
    _, mean, _, _ = example_by_hand()
    solution = cli("step", EXAMPLE, "--format", fmt)
    exercise = cli("step", EXAMPLE, "--format", fmt, "--blank")
    assert solution.exit_code == 0 and exercise.exit_code == 0, solution.stderr + exercise.stderr
    assert "gamma" in solution.stdout or "\\gamma" in solution.stdout
    assert solution.stdout != exercise.stdout
    if fmt != "html":
        assert r"\underline{\qquad\quad}" in exercise.stdout and r"\underline" not in solution.stdout


def test_example_round_and_exact():
    out = cli("step", EXAMPLE, "--round", "3", env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.stderr
    assert "Rounding to 3 decimals along the way" in out.stdout
    line = one_line(cli("step", EXAMPLE, "--exact"))
    at = where(EXAMPLE.read_text(), "type: batchnorm").split(":")[0]
    assert line == f"{EXAMPLE}:{at}: layers[1].type: --exact cannot run batchnorm: √(σ² + ε) is not rational; use " \
                   "step without --exact, or --round N (also layers[4].activation sigmoid)"


def test_check_names_the_planted_mistake_per_channel(tmp_path):
    from backcalc import load_spec
    from backcalc.core import worked_step
    from backcalc.mistakes import variants
    from backcalc.quantities import Calc

    spec = load_spec(str(EXAMPLE))
    calc = Calc(worked_step(spec, mistake=dict(variants(spec))["no_mean_terms:1"]))
    right = Calc(worked_step(spec))
    key = ("grad", "K1[1,1,1]", None)
    assert abs(calc.value(key) - right.value(key)) > 1e-3  # the mistake shows in the conv's gradient
    answers = write_file(tmp_path, "answers.yaml", f"dL/dK1[1,1,1]: {calc.value(key):.6f}\n")
    result = cli("check", EXAMPLE, "--answers", answers, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.stderr
    assert "batch norm backward without the mean terms (layer 2)" in result.stdout, result.stdout


def test_train_and_emit_spec_keep_per_channel(tmp_path):
    first = cli("train", EXAMPLE, "--epochs", "3", "--emit-spec")
    assert first.exit_code == 0, first.stderr
    assert "    per: channel\n" in first.stdout and "    gamma: [" in first.stdout
    saved = write_file(tmp_path, "after3.yaml", first.stdout)
    resumed = cli("train", saved, "--epochs", "2", "--json")
    whole = cli("train", EXAMPLE, "--epochs", "5", "--json")
    final = [json.loads(r.stdout.splitlines()[-1])["final"]["parameters"] for r in (resumed, whole)]
    assert final[0] == final[1]


CONV2D = ("inputs: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "
          "[2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1]]\ntargets: [[1], [0]]\nlayers:\n"
          "  - type: conv2d\n    input_shape: [1, 4, 4]\n    out_channels: 2\n    kernel_size: 2\n")
TAIL = "  - type: flatten\n  - size: 1\n    activation: identity\n"


def fails(tmp_path, text: str, token: str, message: str) -> None:
    path = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", path))
    assert line == f"{path}:{where(text, token)}: {message}", line


def test_gamma_count_after_a_conv_says_per_channel(tmp_path):
    text = CONV2D + f"  - type: batchnorm\n    gamma: [{', '.join(['1'] * 18)}]\n" + TAIL
    fails(tmp_path, text, "[1, 1", "layers[1].gamma: batchnorm after conv2d (2×3×3) normalises per channel: "
          "gamma needs 2 entries, got 18")


def test_beta_count_per_unit_after_a_conv(tmp_path):
    text = CONV2D + "  - type: batchnorm\n    per: unit\n    beta: [0, 0]\n" + TAIL
    fails(tmp_path, text, "[0, 0]", "layers[1].beta: batchnorm after conv2d (2×3×3) normalises per unit: "
          "beta needs 18 entries, got 2")


def test_gamma_count_after_dense_says_per_unit(tmp_path):
    text = ("inputs: [[1, 2], [3, 5]]\ntargets: [[1], [0]]\nlayers:\n  - size: 3\n    activation: relu\n"
            "  - type: batchnorm\n    gamma: [1, 2]\n  - size: 1\n    activation: identity\n")
    fails(tmp_path, text, "[1, 2]\n", "layers[1].gamma: batchnorm after dense (3) normalises per unit: gamma needs "
          "3 entries, got 2")


def test_per_channel_needs_channels(tmp_path):
    text = ("inputs: [[1, 2], [3, 5]]\ntargets: [[1], [0]]\nlayers:\n  - type: batchnorm\n    per: channel\n"
            "  - size: 1\n    activation: identity\n")
    fails(tmp_path, text, "channel\n", "layers[0].per: `per: channel` needs a layer with channels before it (conv "
          "or pool), but the input has 2 features; use `per: unit`")
    bad = text.replace("per: channel", "per: pixel")
    fails(tmp_path, bad, "pixel", "layers[0].per: unknown per 'pixel'; expected one of: channel, unit")


ONE = ("(PyTorch refuses it: \"Expected more than 1 value per channel when training\"); give at least 2 samples "
       "per batch")


def test_a_batch_of_one_is_refused_per_unit(tmp_path):
    text = ("inputs: [[1, 2]]\ntargets: [[1]]\nlayers:\n  - type: batchnorm\n  - size: 1\n"
            "    activation: identity\n")
    fails(tmp_path, text, "type: batchnorm", "layers[0]: batchnorm per unit over a batch of 1 takes each statistic "
          f"over one value: σ² = 0, so x̂ = 0 and no gradient reaches x or gamma {ONE}")


def test_a_last_mini_batch_of_one_is_refused(tmp_path):
    text = ("inputs: [[1, 2], [3, 4], [5, 7]]\ntargets: [[1], [0], [1]]\nbatch_size: 2\nlayers:\n"
            "  - type: batchnorm\n  - size: 1\n    activation: identity\n")
    fails(tmp_path, text, "type: batchnorm", "layers[0]: batchnorm per unit over a last batch of 1 (batch_size 2 over "
          "3 samples) takes each statistic over one value: σ² = 0, so x̂ = 0 and no gradient reaches x or "
          f"gamma {ONE}")


def test_one_sample_of_one_position_is_refused_per_channel_but_more_positions_are_not(tmp_path):
    text = ("inputs: [[1, 2, 3, 4]]\ntargets: [[1]]\nlayers:\n  - type: conv2d\n    input_shape: [1, 2, 2]\n"
            "    out_channels: 2\n    kernel_size: 2\n  - type: batchnorm\n" + TAIL)
    fails(tmp_path, text, "type: batchnorm", "layers[1]: batchnorm per channel of 1×1 over a batch of 1 takes each "
          f"statistic over one value: σ² = 0, so x̂ = 0 and no gradient reaches x or gamma {ONE}")
    wider = text.replace("[[1, 2, 3, 4]]", "[[1, 2, 3, 4, 5, 6]]").replace("[1, 2, 2]", "[1, 2, 3]")
    assert cli("step", write_file(tmp_path, "wider.yaml", wider)).exit_code == 0  # 1 × 1×2: two values a channel


def test_torch_refuses_the_same_batches():
    torch = _torch()
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        torch.nn.BatchNorm1d(2, dtype=torch.float64).train()(torch.ones(1, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        torch.nn.BatchNorm2d(2, dtype=torch.float64).train()(torch.ones(1, 2, 1, 1, dtype=torch.float64))
    torch.nn.BatchNorm2d(2, dtype=torch.float64).train()(torch.ones(1, 2, 1, 2, dtype=torch.float64))  # accepted
