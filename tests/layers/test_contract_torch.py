"""Issue 17's contract against PyTorch float64 modules (nn.Conv1d/2d, nn.MaxPool/AvgPool 1d/2d,
nn.RNN, nn.BatchNorm1d in training mode, run with `torch.func.functional_call` on leaves named by
the reference, not by backcalc) through the CLI: loss, every gradient, every update of `step`, and
5 epochs of `train` under torch.optim; max-pool ties go where torch sends them (skipped without torch)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import cli, cli_json, write_file
from contract_reference import Params, layer_parameters
from contract_specs import KINDS, random_contract_spec, spec_text

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
call = torch.func.functional_call

RTOL = 1e-10


def _pair(v, dims):
    return tuple(v) if isinstance(v, list) else (v,) * dims


def _act(name, z):
    return {"identity": lambda v: v, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "leaky_relu": lambda v: F.leaky_relu(v, 0.01)}[name](z)


def torch_parameters(spec):
    """Per layer, its arrays of leaf names (the reference's names), and {name: float64 leaf}."""
    params = Params()
    built = [layer_parameters(params, layer, li) for li, layer in enumerate(spec["layers"])]
    name_of = {id(node): name for name, node in params.nodes.items()}
    names = [[np.vectorize(lambda n: name_of[id(n)], otypes=[object])(a) for a in arrays] for arrays in built]
    leaves = {k: torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for k, v in params.nodes.items()}
    return names, leaves


def _tensor(names, leaves):
    return torch.stack([leaves[n] for n in names.ravel()]).reshape(names.shape)


def _rnn(layer, x, wx, wh, b):
    hidden = wx.shape[0]
    h0 = torch.tensor(layer.get("initial_state", [0.0] * hidden), dtype=torch.float64).reshape(1, 1, hidden)
    activation = layer.get("activation", "tanh")
    if activation in ("tanh", "relu"):
        module = nn.RNN(x.shape[2], hidden, batch_first=True, nonlinearity=activation, dtype=torch.float64)
        weights = {"weight_ih_l0": wx, "weight_hh_l0": wh, "bias_ih_l0": b,
                   "bias_hh_l0": torch.zeros(hidden, dtype=torch.float64)}
        out, h_n = call(module, weights, (x, h0.expand(1, x.shape[0], hidden).contiguous()))
    else:  # nn.RNN has no identity or sigmoid: its recurrence, step by step, in torch
        h, states = h0.reshape(1, hidden).expand(x.shape[0], hidden), []
        for t in range(x.shape[1]):
            h = _act(activation, x[:, t] @ wx.T + h @ wh.T + b)
            states.append(h)
        out, h_n = torch.stack(states, 1), h[None]
    return h_n[0] if layer.get("return", "last") == "last" else out.reshape(x.shape[0], -1)


def torch_forward(spec, names, leaves):
    a = torch.tensor(spec["inputs"], dtype=torch.float64)
    for layer, arrays in zip(spec["layers"], names):
        kind = layer.get("type", "dense")
        tensors = [_tensor(n, leaves) for n in arrays]
        if "input_shape" in layer:
            a = a.reshape(a.shape[0], *layer["input_shape"])
        dims = int(kind[-2]) if kind[-2:] in ("1d", "2d") else 0
        if kind.startswith("conv"):
            k = tensors[0]
            module = (nn.Conv1d if dims == 1 else nn.Conv2d)(k.shape[1], k.shape[0], tuple(k.shape[2:]),
                                                             stride=layer.get("stride", 1),
                                                             padding=_pair(layer.get("padding", 0), dims),
                                                             dtype=torch.float64)
            a = _act(layer.get("activation", "identity"), call(module, {"weight": k, "bias": tensors[1]}, (a,)))
        elif kind.startswith("maxpool"):
            a = (nn.MaxPool1d if dims == 1 else nn.MaxPool2d)(layer["kernel_size"], layer.get("stride"),
                                                              layer.get("padding", 0))(a)
        elif kind.startswith("avgpool"):
            a = (nn.AvgPool1d if dims == 1 else nn.AvgPool2d)(layer["kernel_size"], layer.get("stride"),
                                                              layer.get("padding", 0), count_include_pad=True)(a)
        elif kind == "flatten":
            a = a.reshape(a.shape[0], -1)
        elif kind == "rnn":
            a = _rnn(layer, a, *tensors)
        elif kind == "batchnorm":
            module = nn.BatchNorm1d(a.shape[1], dtype=torch.float64).train()
            a = _act(layer.get("activation", "identity"),
                     call(module, {"weight": tensors[0], "bias": tensors[1]}, (a.reshape(a.shape[0], -1),)))
        else:
            a = _act(layer.get("activation", "identity"), F.linear(a.reshape(a.shape[0], -1), *tensors))
    return a


def torch_loss(spec, names, leaves):
    return F.mse_loss(torch_forward(spec, names, leaves), torch.tensor(spec["targets"], dtype=torch.float64))


def _spec(seed, kind):
    spec = random_contract_spec(seed, kind)
    if any(layer.get("type") == "batchnorm" for layer in spec["layers"]) and len(spec["inputs"]) < 2:
        pytest.skip("torch's BatchNorm1d refuses a batch of 1 in training mode (the reference covers it)")
    return spec


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(12))
def test_step_agrees_with_torch(tmp_path, kind, seed):
    spec = _spec(seed, kind)
    step = cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)), "-q")
    names, leaves = torch_parameters(spec)
    loss = torch_loss(spec, names, leaves)
    loss.backward()
    np.testing.assert_allclose(step["loss"], loss.item(), rtol=RTOL, atol=1e-14)
    by_name = {p["name"]: p for p in step["parameters"]}
    assert sorted(by_name) == sorted(leaves)
    for name, leaf in leaves.items():
        np.testing.assert_allclose(by_name[name]["grad"], leaf.grad.item(), rtol=RTOL, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(by_name[name]["new"], leaf.item() - 0.1 * leaf.grad.item(), rtol=RTOL,
                                   atol=1e-12, err_msg=name)


OPTIMIZERS = {"sgd": lambda p: torch.optim.SGD(p, lr=0.1),
              "momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
              "adam": lambda p: torch.optim.Adam(p, lr=0.1), "adamw": lambda p: torch.optim.AdamW(p, lr=0.1)}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("kind", KINDS)
def test_five_epochs_agree_with_torch_optim(tmp_path, kind, optimizer):
    seed = next(s for s in range(200, 300) if len(random_contract_spec(s, kind)["inputs"]) > 1)
    spec = random_contract_spec(seed, kind)
    names, leaves = torch_parameters(spec)
    frozen = [next(iter(leaves))]
    spec = dict(spec, optimizer=optimizer, frozen=frozen)
    result = cli("train", write_file(tmp_path, "spec.yaml", spec_text(spec)), "--epochs", "5", "--json", "-q")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    opt = OPTIMIZERS[optimizer]([v for k, v in leaves.items() if k not in frozen])
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch_loss(spec, names, leaves)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    np.testing.assert_allclose([r["loss"] for r in records if "epoch" in r], losses, rtol=1e-8, atol=1e-13)
    final = records[-1]["final"]["parameters"]
    for name, leaf in leaves.items():
        np.testing.assert_allclose(final[name], leaf.item(), rtol=1e-8, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind, size, stride, padding", [
    ("maxpool2d", 2, 1, 0), ("maxpool2d", [2, 3], [1, 2], 0), ("maxpool2d", 3, 2, 1), ("maxpool1d", 3, 1, 1),
    ("maxpool1d", 2, 3, 0)])
def test_max_pool_ties_go_to_the_first_maximum_in_window_order_as_torch(tmp_path, kind, size, stride, padding):
    """Equal entries in a window: torch's max pool sends the gradient to the first in row-major window
    order; backcalc's `winner` and its input gradients name the same input."""
    dims = int(kind[-2])
    shape = [2, 4, 5] if dims == 2 else [2, 6]
    x = np.zeros(shape)
    x.flat[::3] = 1.0  # many windows hold two or more 1s, every window several 0s
    layer = {"type": kind, "input_shape": shape, "kernel_size": size, "stride": stride}
    if padding:
        layer["padding"] = padding
    spec = {"inputs": [x.ravel().tolist()],
            "layers": [layer, {"type": "flatten"}, {"size": 1, "activation": "identity"}],
            "targets": [[0.5]], "init": {"seed": 3}, "learning_rate": 0.1}
    step = cli_json("step", write_file(tmp_path, "spec.yaml", spec_text(spec)), "-q")
    xt = torch.tensor(x[None], dtype=torch.float64, requires_grad=True)
    pool = F.max_pool1d if dims == 1 else F.max_pool2d
    out, where = pool(xt, size, stride, padding, return_indices=True)
    w = torch.tensor(step["layers"][2]["weights"], dtype=torch.float64)
    b = torch.tensor(step["layers"][2]["biases"], dtype=torch.float64)
    F.mse_loss(F.linear(out.reshape(1, -1), w, b), torch.tensor([[0.5]], dtype=torch.float64)).backward()
    per_channel = int(np.prod(shape[1:]))
    torch_winners = [c * per_channel + i for c, row in enumerate(where[0].reshape(shape[0], -1).tolist()) for i in row]
    assert np.ravel(step["layers"][0]["winner"]).tolist() == torch_winners
    np.testing.assert_allclose(step["input_gradients"][0], xt.grad.ravel().numpy(), rtol=RTOL, atol=1e-15)
