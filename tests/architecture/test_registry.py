"""The one registry of functions (issue 14): every engine and view reads each activation's and loss's entry.

The proof is softplus, gelu (tanh approximation) and huber (δ = 1), added as one registry entry each:
they work through every command and every training path, checked against PyTorch where installed
and against central differences and plain-`math` formulas written here, apart from backcalc's code.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import assert_same_math, cli, cli_json, cli_jsonl

from backcalc.activations import ACTIVATIONS, get_activation
from backcalc.engine import Engine
from backcalc.fastpath import choose
from backcalc.losses import LOSSES
from backcalc.network import Network
from backcalc.scalar import Kernel, compile_kernel, shape_key
from backcalc.spec import parse_spec
from backcalc.training import Trainer

try:
    import torch
except ImportError:  # the torch checks skip; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

# Two samples, both huber branches (|y − t| above and below 1), a gelu output with a negative slope.
SPEC = """\
inputs: [[0.5, -1.2], [1.5, 0.3]]
targets: [[0.2, 1.8], [-0.4, 0.1]]
layers:
  - activation: softplus
    weights: [[0.3, -0.8], [1.1, 0.4], [-0.5, 0.9]]
    biases: [0.1, -0.2, 0.05]
  - activation: gelu
    weights: [[0.7, -1.3, 0.6], [-0.9, 0.8, 1.4]]
    biases: [0.2, -0.1]
loss: huber
learning_rate: 0.1
"""


def _spec_file(tmp_path, text=SPEC, name="reg.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- independent references (plain math; never backcalc's code) ---------------------------------

def softplus(z):
    return math.log1p(math.exp(-abs(z))) + max(z, 0.0)


def gelu(z):
    return 0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)))


def huber(r):
    return 0.5 * r * r if abs(r) < 1 else abs(r) - 0.5


def _forward_by_hand(w1, b1, w2, b2, x):
    h = [softplus(sum(w * xi for w, xi in zip(row, x)) + b) for row, b in zip(w1, b1)]
    return h, [gelu(sum(w * hi for w, hi in zip(row, h)) + b) for row, b in zip(w2, b2)]


def _loss_by_hand(params, xs, ts):
    w1, b1, w2, b2 = params
    total = 0.0
    for x, t in zip(xs, ts):
        _, y = _forward_by_hand(w1, b1, w2, b2, x)
        total += sum(huber(yk - tk) for yk, tk in zip(y, t)) / len(t)
    return total / len(xs)


def _params(d):
    return [d["layers"][0]["weights"], d["layers"][0]["biases"], d["layers"][1]["weights"], d["layers"][1]["biases"]]


# -- the entries themselves ----------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.elementwise])
def test_each_derivative_is_the_slope_of_its_value(name):
    act = get_activation(name)
    z = np.array([-3.1, -0.7, -0.2, 0.3, 0.9, 2.6])  # away from relu's kink at 0
    h = 1e-6
    slope = (act.forward(z + h, 0.1) - act.forward(z - h, 0.1)) / (2 * h)
    np.testing.assert_allclose(act.derivative(z, act.forward(z, 0.1), 0.1), slope, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_each_fast_kernel_computes_the_entrys_value_and_derivative(name):
    act = get_activation(name)
    rng = np.random.default_rng(3)
    z = rng.normal(0, 2, (5, 3))
    up = rng.normal(0, 1, (5, 3))
    a, mask, delta, tmp = np.empty_like(z), np.empty(z.shape, dtype=bool), np.empty_like(z), np.empty_like(z)
    act.kernel_forward(z, a, mask, 0.1)
    assert_same_math(a, act.forward(z, 0.1))
    act.kernel_backward(up, z, a, delta, tmp, mask, 0.1)
    from backcalc.activations import softmax_jvp
    expected = up * act.derivative(z, a, 0.1) if act.elementwise else softmax_jvp(a, up)
    assert_same_math(delta, expected, rtol=1e-14)


def test_the_new_values_match_plain_math():
    z = [-4.0, -1.3, -0.1, 0.0, 0.4, 2.2, 25.0]
    assert_same_math(get_activation("softplus").forward(np.array(z), 0.0), [softplus(v) for v in z])
    # (1 + tanh u cancels for negative z: the two roundings of u differ there by an ulp, relatively more)
    assert_same_math(get_activation("gelu").forward(np.array(z), 0.0), [gelu(v) for v in z], rtol=1e-11)
    y, t = np.array([[0.2, 3.0, -1.0]]), np.array([[0.5, 0.0, 0.5]])
    per_sample, note = LOSSES["huber"].value(y, t, None, "identity")
    assert note is None
    assert_same_math(per_sample, [(huber(-0.3) + huber(3.0) + huber(-1.5)) / 3])


@needs_torch
@pytest.mark.parametrize("name", ["softplus", "gelu"])
def test_the_new_activations_are_torchs(name):
    z = torch.linspace(-6, 6, 41, dtype=torch.float64)
    module = torch.nn.Softplus() if name == "softplus" else torch.nn.GELU(approximate="tanh")
    np.testing.assert_allclose(get_activation(name).forward(z.numpy(), 0.0), module(z).numpy(), rtol=1e-9, atol=1e-15)


@needs_torch
def test_huber_is_torchs_huber_loss_with_the_mean_over_outputs():
    y = torch.tensor([[0.2, 3.0, -1.0], [1.1, -0.4, 0.9]], dtype=torch.float64)
    t = torch.tensor([[0.5, 0.0, 0.5], [-1.0, 0.6, 0.9]], dtype=torch.float64)
    per_sample, _ = LOSSES["huber"].value(y.numpy(), t.numpy(), None, "identity")
    assert_same_math(per_sample.mean(), float(torch.nn.HuberLoss(delta=1.0)(y, t)))
    y.requires_grad_(True)
    torch.nn.HuberLoss(delta=1.0, reduction="sum")(y, t).backward()
    assert_same_math(LOSSES["huber"].grad(y.detach().numpy(), t.numpy()) * 3, y.grad.numpy())


def test_scalar_kernel_source_holds_the_registry_templates(tmp_path):
    spec = parse_spec(SPEC)
    key = shape_key(spec, Trainer(spec).net)
    from backcalc.scalar import generate
    source = generate(key)
    assert get_activation("softplus").code.format(z="z0_0", alpha="al0") in source
    assert get_activation("gelu").code.format(z="z1_1", alpha="al1") in source
    assert compile_kernel(key) is compile_kernel(key)


# -- through the CLI -------------------------------------------------------------------------------

def test_step_json_matches_plain_math_and_central_differences(tmp_path):
    d = cli_json("step", _spec_file(tmp_path))
    params = _params(d)
    xs, ts = d["inputs"], d["targets"]
    assert d["loss_function"] == "huber"
    assert [layer["activation"] for layer in d["layers"]] == ["softplus", "gelu"]
    assert_same_math(d["loss"], _loss_by_hand(params, xs, ts), rtol=1e-14)
    for s, x in enumerate(xs):
        h, y = _forward_by_hand(*params, x)
        assert_same_math(d["layers"][0]["a"][s], h, rtol=1e-14)
        assert_same_math(d["layers"][1]["a"][s], y, rtol=1e-14)
    # every gradient against a central difference of the loss written above
    for li in (0, 1):
        for key, grad_key in (("weights", "grad_weights"), ("biases", "grad_biases")):
            values = np.array(d["layers"][li][key], dtype=float)
            for index in np.ndindex(values.shape):
                def at(delta, li=li, key=key, index=index):
                    p = [np.array(v, dtype=float) for v in params]
                    p[2 * li + (key == "biases")][index] += delta
                    return _loss_by_hand([v.tolist() for v in p], xs, ts)
                numeric = (at(1e-6) - at(-1e-6)) / 2e-6
                assert math.isclose(np.array(d["layers"][li][grad_key])[index], numeric, rel_tol=1e-7, abs_tol=1e-9)


@needs_torch
def test_step_gradients_are_torchs(tmp_path):
    d = cli_json("step", _spec_file(tmp_path))
    p = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in _params(d)]
    x, t = torch.tensor(d["inputs"], dtype=torch.float64), torch.tensor(d["targets"], dtype=torch.float64)
    h = torch.nn.Softplus()(x @ p[0].T + p[1])
    y = torch.nn.GELU(approximate="tanh")(h @ p[2].T + p[3])
    loss = torch.nn.HuberLoss(delta=1.0)(y, t)
    loss.backward()
    assert_same_math(d["loss"], float(loss.detach()), rtol=1e-14)
    for li, (gw, gb) in enumerate([(p[0].grad, p[1].grad), (p[2].grad, p[3].grad)]):
        assert_same_math(d["layers"][li]["grad_weights"], gw.numpy(), rtol=1e-12, atol=1e-15)
        assert_same_math(d["layers"][li]["grad_biases"], gb.numpy(), rtol=1e-12, atol=1e-15)


def test_step_table_names_the_functions(tmp_path):
    result = cli("step", _spec_file(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "1 softplus" in result.stdout and "2 gelu" in result.stdout
    assert "loss huber" in result.stdout and "Loss: huber" in result.stdout


def _torch_train(text: str, epochs: int, momentum: float = 0.0, batch: int | None = None):
    """Final parameters after `epochs` of SGD in torch on the spec's 2-layer softplus/gelu/huber net."""
    spec = parse_spec(text)
    p = [torch.tensor(np.array(a, dtype=float), requires_grad=True)
         for layer in spec.layers for a in (layer.weights, layer.biases)]
    acts = [torch.nn.Softplus() if layer.activation == "softplus" else torch.nn.GELU(approximate="tanh")
            for layer in spec.layers]
    opt = torch.optim.SGD(p, lr=float(spec.learning_rate), momentum=momentum)
    x, t = torch.tensor(spec.inputs), torch.tensor(spec.targets)
    n = batch or len(x)
    for _ in range(epochs):
        for s in range(0, len(x), n):
            a = x[s:s + n]
            for li, act in enumerate(acts):
                a = act(a @ p[2 * li].T + p[2 * li + 1])
            opt.zero_grad()
            torch.nn.HuberLoss(delta=1.0)(a, t[s:s + n]).backward()
            opt.step()
    return [v.detach().numpy() for v in p]


def _wide_spec(seed: int = 0) -> str:
    """Big enough that the scalar kernel declines (over 64 parameters): the engine trains it."""
    rng = np.random.default_rng(seed)
    x, t = rng.normal(0, 1, (12, 3)), rng.normal(0, 1.5, (12, 3))
    w1, w2 = rng.normal(0, 0.6, (12, 3)), rng.normal(0, 0.4, (3, 12))
    return json.dumps({"inputs": x.tolist(), "targets": t.tolist(), "loss": "huber", "learning_rate": 0.05,
                       "batch_size": 4, "layers": [
                           {"activation": "softplus", "weights": w1.tolist(), "biases": [0.1] * 12},
                           {"activation": "gelu", "weights": w2.tolist(), "biases": [0.0] * 3}]})


CASES = {
    "scalar": (SPEC, Kernel),
    "engine": (_wide_spec(), Engine),
    # momentum ran on the reference loop until the engine took every optimizer (tests/train/test_fast_trainer.py);
    # the reference loop is each case's `fast=False` baseline below
    "momentum": (SPEC.replace("learning_rate: 0.1", "learning_rate: 0.1\noptimizer: {name: sgd, momentum: 0.9}"),
                 Engine),
}


@pytest.mark.parametrize("path", list(CASES))
def test_train_on_every_path_agrees_with_the_reference_loop(path, tmp_path):
    text, runner = CASES[path]
    spec = parse_spec(text)
    assert isinstance(choose(spec, Network(spec)), runner)  # the path this case is meant to exercise
    lines = cli_jsonl("train", _spec_file(tmp_path, text), "--epochs", "25")
    final = lines[-1]["final"]
    reference = Trainer(spec, fast=False)
    list(reference.run(25))
    cli_theta = np.concatenate([np.ravel(v) for layer in final["layers"] for v in (layer["weights"], layer["biases"])])
    assert_same_math(cli_theta, reference.net.theta, rtol=1e-11, atol=1e-14)


@needs_torch
@pytest.mark.parametrize("path", list(CASES))
def test_train_on_every_path_agrees_with_torch(path, tmp_path):
    text, _ = CASES[path]
    final = cli_jsonl("train", _spec_file(tmp_path, text), "--epochs", "25")[-1]["final"]
    spec = parse_spec(text)
    expected = _torch_train(text, 25, momentum=0.9 if path == "momentum" else 0.0, batch=spec.batch_size)
    got = [np.array(v) for layer in final["layers"] for v in (layer["weights"], layer["biases"])]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13)


def test_check_grades_answers_to_the_new_functions(tmp_path):
    one = SPEC.replace("inputs: [[0.5, -1.2], [1.5, 0.3]]", "inputs: [[0.5, -1.2]]").replace(
        "targets: [[0.2, 1.8], [-0.4, 0.1]]", "targets: [[0.2, 1.8]]")
    spec = _spec_file(tmp_path, one)
    d = cli_json("step", spec)
    out, hidden = d["layers"][1], d["layers"][0]
    answers = {"h1": hidden["a"][0][0], "h3": hidden["a"][0][2], "o1": out["a"][0][0], "o2": out["a"][0][1],
               "loss": d["loss"], "delta_o1": out["delta"][0][0], "delta_h2": hidden["delta"][0][1],
               "dL/dW2[2,1]": out["grad_weights"][1][0], "W1[1,2]_new": hidden["new_weights"][0][1]}
    right = tmp_path / "right.yaml"
    right.write_text("".join(f"{k}: {v:.5f}\n" for k, v in answers.items()))
    result = cli("check", spec, "--answers", str(right), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["right"] + summary["right_by_rounding"] == summary["total"] == len(answers)
    answers["delta_o1"] = -answers["delta_o1"]
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("".join(f"{k}: {v:.5f}\n" for k, v in answers.items()))
    result = cli("check", spec, "--answers", str(wrong))
    assert result.exit_code == 1
    assert "delta_o1" in result.stdout


def test_latex_and_markdown_write_the_entries_formulas(tmp_path):
    spec = _spec_file(tmp_path)
    for fmt in ("latex", "markdown"):
        result = cli("step", spec, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        text = result.stdout
        assert r"\log(1 + e^{z_{h_{1}}})" in text  # softplus's value, symbolic
        assert r"\tanh\left(\sqrt{2/\pi}" in text  # gelu's
        assert r"\operatorname{clip}" in text  # huber's derivative
        assert r"\min(|" in text  # huber's loss term
        assert r"\log(1 + e^{1.21})" in text  # softplus with z_h1 = 1.21 of sample 1 in its slot


def test_gradcheck_agrees_on_the_new_functions(tmp_path):
    result = cli("gradcheck", _spec_file(tmp_path), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    d = json.loads(result.stdout)
    assert d["verdict"] == "agree" and d["checked"] == 17
    if torch is not None:
        assert all(p["torch_verdict"] == "agree" for p in d["parameters"])


@pytest.mark.parametrize("key, value, word", [("layers.0.activation", "softplus", "softplus"),
                                              ("layers.1.activation", "gelu", "gelu"),
                                              ("loss", "huber", "huber")])
def test_exact_refuses_them_in_one_line(tmp_path, key, value, word):
    base = SPEC.replace("softplus", "relu").replace("gelu", "identity").replace("loss: huber", "loss: mse")
    spec = _spec_file(tmp_path, base)
    assert cli("step", spec, "--exact").exit_code == 0
    result = cli("step", spec, "--exact", "--set", f"{key}={value}")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "--exact" in lines[0], result.stderr


def test_graph_names_them(tmp_path):
    result = cli("graph", _spec_file(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "(softplus)" in result.stdout and "(gelu)" in result.stdout and "huber" in result.stdout


def test_the_json_schema_and_the_help_list_every_entry(tmp_path):
    schema = json.loads(cli("schema").stdout)
    text = json.dumps(schema)
    for name in [*ACTIVATIONS, *LOSSES]:
        assert f'"{name}"' in text, name
    bad = cli("step", _spec_file(tmp_path, SPEC.replace("loss: huber", "loss: hubber")))
    assert bad.exit_code == 2 and "huber" in bad.stderr


def test_init_and_the_docs_list_every_entry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("init").exit_code == 0
    starter = (tmp_path / "backcalc.yaml").read_text()
    spec_doc = cli("docs", "spec").stdout
    for name in [*ACTIVATIONS, *LOSSES]:
        assert name in starter, name
        assert f"`{name}`" in spec_doc, name
