"""Optimizers: hand-derived Adam steps, PyTorch agreement, resume equivalence, frozen parameters, spec errors."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from conftest import CONFIGS, cli, cli_json, cli_jsonl, one_line, shown, write_file

from backcalc.network import Network
from backcalc.spec import parse_spec
from backcalc.training import Trainer
from backcalc.writer import spec_to_yaml

SEED = (CONFIGS / "sigmoid_seed.yaml").read_text()
ORDER = ["w1", "w2", "w3", "w4", "b1", "w5", "w6", "b2"]


def write(tmp_path, text: str, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- the Mazur net by hand ---------------------------------------------------------------------------

def mazur_grad(p: dict) -> dict:
    """∂E/∂p of the seed's 2-2-1 sigmoid net, E = ½(t − o)², written out like the notebook (b1 tied)."""
    x1, x2, t = 0.05, 0.10, 0.01
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    h1 = s(p["w1"] * x1 + p["w2"] * x2 + p["b1"])
    h2 = s(p["w3"] * x1 + p["w4"] * x2 + p["b1"])
    o = s(p["w5"] * h1 + p["w6"] * h2 + p["b2"])
    d_o = (o - t) * o * (1 - o)
    d_h1 = d_o * p["w5"] * h1 * (1 - h1)
    d_h2 = d_o * p["w6"] * h2 * (1 - h2)
    return {"w1": d_h1 * x1, "w2": d_h1 * x2, "w3": d_h2 * x1, "w4": d_h2 * x2, "b1": d_h1 + d_h2,
            "w5": d_o * h1, "w6": d_o * h2, "b2": d_o}


START = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "b1": 0.35, "w5": 0.40, "w6": 0.45, "b2": 0.60}


def test_hand_gradient_matches_the_seed_notebook():
    g = mazur_grad(START)
    assert round(g["w5"], 5) == 0.08217 and round(g["w6"], 5) == 0.08267


def test_one_adam_step_on_the_mazur_net_by_hand(tmp_path):
    # Adam, lr 0.5 (the seed's), β = (0.9, 0.999), ε = 1e−8, step 1 from zero moments:
    #   m = 0.1·g, v = 0.001·g², m̂ = m / (1 − 0.9) = g, v̂ = v / (1 − 0.999) = g²,
    #   p ← p − 0.5·m̂ / (√v̂ + 1e−8)
    g = mazur_grad(START)
    out = cli_json("step", write(tmp_path, SEED + "optimizer: adam\n"))
    assert out["optimizer"]["name"] == "adam" and out["learning_rate"] == 0.5
    params = {p["name"]: p for p in out["parameters"]}
    for name in ORDER:
        p = params[name]
        m = 0.1 * g[name]
        v = 0.001 * g[name] ** 2
        m_hat, v_hat = m / 0.1, v / 0.001
        new = START[name] - 0.5 * m_hat / (math.sqrt(v_hat) + 1e-8)
        assert p["state"]["before"] is None
        assert p["state"]["after"]["step"] == 1
        assert p["state"]["after"]["exp_avg"] == pytest.approx(m, rel=1e-13)
        assert p["state"]["after"]["exp_avg_sq"] == pytest.approx(v, rel=1e-13)
        lines = {line["name"]: line for line in p["update"]}
        assert lines["m_hat"]["value"] == pytest.approx(m_hat, rel=1e-13)
        assert lines["v_hat"]["value"] == pytest.approx(v_hat, rel=1e-13)
        assert p["new"] == pytest.approx(new, rel=1e-13, abs=1e-15)
    # every gradient is positive, so Adam's first step moves each parameter by almost exactly lr
    assert params["w5"]["new"] == pytest.approx(0.40 - 0.5, abs=1e-6)


def adam_two_steps():
    """Two Adam steps (lr 0.5) by hand: the state after step 1 and the parameters after step 2."""
    p, m, v = dict(START), {}, {}
    g = mazur_grad(p)
    for k in ORDER:
        m[k] = 0.9 * 0 + 0.1 * g[k]
        v[k] = 0.999 * 0 + 0.001 * g[k] ** 2
        p[k] = p[k] - 0.5 * (m[k] / (1 - 0.9)) / (math.sqrt(v[k] / (1 - 0.999)) + 1e-8)
    after_one = (dict(p), dict(m), dict(v))
    g = mazur_grad(p)
    for k in ORDER:
        m[k] = 0.9 * m[k] + 0.1 * g[k]
        v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
        m_hat = m[k] / (1 - 0.9 ** 2)  # = m / 0.19
        v_hat = v[k] / (1 - 0.999 ** 2)  # = v / 0.001999
        p[k] = p[k] - 0.5 * m_hat / (math.sqrt(v_hat) + 1e-8)
    return after_one, (p, m, v)


def test_two_adam_steps_on_the_mazur_net_by_hand(tmp_path):
    _, (p2, m2, v2) = adam_two_steps()
    path = write(tmp_path, SEED + "optimizer: adam\n")
    final = cli_jsonl("train", path, "--epochs", "2")[-1]["final"]
    for k in ORDER:
        assert final["parameters"][k] == pytest.approx(p2[k], rel=1e-12, abs=1e-14)


def test_the_second_adam_step_resumed_from_a_written_state(tmp_path):
    # Step 2 shown by `step` from a spec carrying the hand-derived state after step 1.
    (p1, m1, v1), (p2, m2, v2) = adam_two_steps()
    text = SEED
    for k in ORDER:
        text = re.sub(rf"\b{k}: [0-9.]+", f"{k}: {p1[k]!r}", text)
    text += "optimizer: adam\noptimizer_state:\n"
    for k in ORDER:
        text += f"  {k}: {{step: 1, exp_avg: {m1[k]!r}, exp_avg_sq: {v1[k]!r}}}\n"
    out = cli_json("step", write(tmp_path, text))
    for p in out["parameters"]:
        k = p["name"]
        assert p["state"]["before"] == {"step": 1, "exp_avg": m1[k], "exp_avg_sq": v1[k]}
        assert p["state"]["after"]["step"] == 2
        assert p["state"]["after"]["exp_avg"] == pytest.approx(m2[k], rel=1e-12)
        assert p["state"]["after"]["exp_avg_sq"] == pytest.approx(v2[k], rel=1e-12)
        lines = {line["name"]: line for line in p["update"]}
        assert lines["m_hat"]["value"] == pytest.approx(m2[k] / 0.19, rel=1e-12)
        assert lines["v_hat"]["value"] == pytest.approx(v2[k] / 0.001999, rel=1e-12)
        assert p["new"] == pytest.approx(p2[k], rel=1e-12, abs=1e-14)


def test_step_table_shows_state_before_after_and_the_substituted_update(tmp_path):
    result = cli("step", write(tmp_path, SEED + "optimizer: adam\n"), "--no-color", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Update: adam (η = 0.5, β1 = 0.9, β2 = 0.999, ε = 1e−08, λ = 0)" in out
    for rule in ("t ← t + 1", "m̂ = m / (1 − β1^t)", "p ← p − η·m̂ / (√v̂ + ε)"):
        assert rule in out
    g5 = mazur_grad(START)["w5"]
    rows = [line for line in out.splitlines() if line.strip()]
    w5 = next(i for i, line in enumerate(rows) if line.split()[:3] == ["w5", "t", "(step)"])
    assert rows[w5].split()[-1] == "1"
    assert f"0.9·0 + 0.1·{shown(g5)}" in rows[w5 + 1] and rows[w5 + 1].split()[-1] == shown(0.1 * g5)
    assert "m̂" in rows[w5 + 3] and "v̂" in rows[w5 + 4]
    assert f"0.4 − 0.5·{shown(g5)} / (√" in rows[w5 + 5]
    assert rows[w5 + 5].split()[-1] == shown(0.4 - 0.5 * g5 / (abs(g5) + 1e-8)).replace("-", "−")


def test_sgd_momentum_table_and_json_name_the_buffer(tmp_path):
    path = write(tmp_path, SEED + "optimizer: {name: momentum, dampening: 0.5}\n")
    out = cli("step", path, "--no-color").stdout
    assert "Update: sgd with momentum (η = 0.5, μ = 0.9, τ = 0.5, λ = 0)" in out
    assert "b ← ∂L/∂p   (first step)" in out and "b ← μ·b + (1 − τ)·∂L/∂p   (later steps)" in out
    assert "b (momentum_buffer)" in out
    data = cli_json("step", path)
    g = mazur_grad(START)
    for p in data["parameters"]:
        # the first buffer is the gradient itself, not damped (torch.optim.SGD)
        assert p["state"] == {"before": None, "after": {"momentum_buffer": pytest.approx(g[p["name"]], rel=1e-13)}}
        assert p["new"] == pytest.approx(START[p["name"]] - 0.5 * g[p["name"]], rel=1e-13)


def test_plain_sgd_keeps_the_old_table_and_no_state(config):
    out = cli("step", config("sigmoid_seed"), "--no-color").stdout
    assert "Update: p ← p − η·∂L/∂p" in out
    data = cli_json("step", config("sigmoid_seed"))
    assert data["optimizer"]["name"] == "sgd" and data["optimizer"]["formulas"][0]["formula"] == "p − η·∂L/∂p"
    assert all(p["state"] == {"before": None, "after": None} for p in data["parameters"])


def test_defaults_follow_torch(tmp_path):
    no_lr = SEED.replace("learning_rate: 0.5", "")
    adam = cli_json("step", write(tmp_path, no_lr + "optimizer: adam\n"))
    assert adam["learning_rate"] == 0.001
    assert adam["optimizer"]["hyperparameters"] == {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}
    adamw = cli_json("step", write(tmp_path, no_lr + "optimizer: adamw\n"))
    assert adamw["learning_rate"] == 0.001 and adamw["optimizer"]["hyperparameters"]["weight_decay"] == 0.01
    mom = cli_json("step", write(tmp_path, no_lr + "optimizer: momentum\n"))
    assert mom["learning_rate"] == 0.1  # backcalc's sgd default stays
    assert mom["optimizer"]["hyperparameters"] == {"momentum": 0.9, "dampening": 0.0, "nesterov": False,
                                                   "weight_decay": 0.0}
    inside = cli_json("step", write(tmp_path, no_lr + "optimizer: {name: adam, learning_rate: 0.02}\n"))
    assert inside["learning_rate"] == 0.02


# -- frozen parameters --------------------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["adam", "{name: adamw, weight_decay: 0.1}",
                                 "{name: sgd, momentum: 0.9, weight_decay: 0.1}"])
def test_frozen_parameters_keep_no_state_and_do_not_move(tmp_path, opt):
    path = write(tmp_path, SEED + f"optimizer: {opt}\nfrozen: [w5, b1]\n")
    data = cli_json("step", path)
    for p in data["parameters"]:
        if p["name"] in ("w5", "b1"):
            assert p["frozen"] and p["state"] == {"before": None, "after": None} and p["update"] == []
            assert p["new"] == p["value"]
        else:
            assert p["state"]["after"] is not None
    final = cli_jsonl("train", path, "-e", "5")[-1]["final"]["parameters"]
    assert final["w5"] == 0.40 and final["b1"] == 0.35
    trainer = Trainer(parse_spec(open(path).read(), path))
    list(trainer.run(5))
    state = trainer.optimizer.state_dict()
    assert set(state) == set(ORDER) - {"w5", "b1"}
    assert "w5" not in trainer.save_extra()["optimizer_state"]
    table = cli("step", path, "--no-color").stdout
    assert re.search(r"w5\s+frozen\s+0\.40000\s+no update, no state\s+0\.40000", table)


# -- located errors -----------------------------------------------------------------------------------

BAD = [
    ("optimizer: adagrad\n", "optimizer", "unknown optimizer 'adagrad'; expected one of: sgd, momentum, adam, adamw"),
    ("optimizer: {name: adma}\n", "optimizer.name", "(did you mean `adam`?)"),
    ("optimizer: {betas: [0.9, 0.999]}\n", "optimizer", "missing required key `name`"),
    ("optimizer: {name: adam, betas: [0.9, 1.0]}\n", "optimizer.betas[1]",
     "expected a number from 0 up to (not including) 1, got 1"),
    ("optimizer: {name: adam, betas: [0.9]}\n", "optimizer.betas", "expected two numbers [β1, β2], got 1"),
    ("optimizer: {name: adam, eps: -1}\n", "optimizer.eps", "expected a number ≥ 0, got -1"),
    ("optimizer: {name: sgd, betas: [0.9, 0.99]}\n", "optimizer.betas", "`betas` applies to adam and adamw, not sgd"),
    ("optimizer: {name: adam, momentum: 0.9}\n", "optimizer.momentum",
     "`momentum` applies to sgd and momentum, not adam"),
    ("optimizer: {name: sgd, momentum: -0.1}\n", "optimizer.momentum", "expected a number ≥ 0, got -0.1"),
    ("optimizer: {name: momentum, momentum: 0}\n", "optimizer.momentum", "expected a number > 0"),
    ("optimizer: {name: sgd, dampening: 2}\n", "optimizer.dampening", "expected a number from 0 to 1, got 2"),
    ("optimizer: {name: sgd, nesterov: yes please}\n", "optimizer.nesterov", "expected true or false"),
    ("optimizer: {name: sgd, nesterov: true}\n", "optimizer.nesterov",
     "Nesterov momentum needs `momentum` > 0 and `dampening: 0`, got momentum 0 and dampening 0"),
    ("optimizer: {name: momentum, nesterov: true, dampening: 0.1}\n", "optimizer.nesterov", "dampening 0.1"),
    ("optimizer: {name: sgd, weight_decay: -1}\n", "optimizer.weight_decay", "expected a number ≥ 0"),
    ("optimizer: {name: adam, learning_rate: 0.1}\n", "optimizer.learning_rate", "the learning rate is given twice"),
    ("optimizer: {name: adam, lr: 0.1}\n", "optimizer.lr", "unknown key"),
    ("optimizer: [adam]\n", "optimizer", "expected an optimizer name (sgd, momentum, adam, adamw) or a mapping"),
    ("optimizer_state: {w1: {momentum_buffer: 0.1}}\n", "optimizer_state", "sgd keeps no state"),
    ("optimizer: adam\noptimizer_state: {w9: {step: 1, exp_avg: 0, exp_avg_sq: 0}}\n", "optimizer_state.w9",
     "no parameter is named 'w9'"),
    ("optimizer: adam\noptimizer_state: {w1: {step: 1, exp_avg: 0}}\n", "optimizer_state.w1",
     "missing key `exp_avg_sq`"),
    ("optimizer: adam\noptimizer_state: {w1: {step: 0, exp_avg: 0, exp_avg_sq: 0}}\n", "optimizer_state.w1.step",
     "expected a whole number ≥ 1, got 0"),
    ("optimizer: adam\noptimizer_state: {w1: {step: 1, exp_avg: 0, exp_avg_sq: -1}}\n",
     "optimizer_state.w1.exp_avg_sq", "expected a number ≥ 0"),
    ("optimizer: momentum\noptimizer_state: {w1: {momentum_buffer: x}}\n", "optimizer_state.w1.momentum_buffer",
     "expected a number, got the string 'x'"),
    ("optimizer: momentum\noptimizer_state: {w1: {momentum_buffer: 1, step: 1}}\n", "optimizer_state.w1.step",
     "sgd with momentum keeps: momentum_buffer"),
    ("optimizer: momentum\nfrozen: [w1]\noptimizer_state: {w1: {momentum_buffer: 1}}\n", "optimizer_state.w1",
     "w1 is frozen, and frozen parameters keep no optimizer state"),
]


@pytest.mark.parametrize("extra,path,message", BAD, ids=[b[1] + ":" + b[2][:25] for b in BAD])
def test_bad_optimizer_settings_are_located_errors(tmp_path, extra, path, message):
    file = write(tmp_path, SEED + extra)
    result = cli("step", file)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    n_seed = SEED.count("\n")
    m = re.fullmatch(rf"{re.escape(file)}:(\d+):(\d+): {re.escape(path)}: (.*)", lines[0])
    assert m, lines[0]
    assert int(m.group(1)) > n_seed  # the line of the optimizer keys, not elsewhere
    assert message in m.group(3)


def test_the_first_bad_line_is_the_one_reported(tmp_path):
    file = write(tmp_path, SEED + "optimizer:\n  name: adam\n  betas: [0.9, 0.999]\n  eps: -3\n")
    result = cli("step", file)
    assert result.stderr.strip() == f"{file}:{SEED.count(chr(10)) + 4}:8: optimizer.eps: expected a number ≥ 0, got -3"


# -- random specs: PyTorch, resume ---------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": "{name: sgd}",
    "sgd-momentum": "{name: sgd, momentum: 0.9}",
    "sgd-dampening": "{name: momentum, momentum: 0.8, dampening: 0.3}",
    "sgd-nesterov": "{name: sgd, momentum: 0.9, nesterov: true}",
    "sgd-weight-decay": "{name: sgd, weight_decay: 0.05}",
    "sgd-nesterov-weight-decay": "{name: momentum, nesterov: true, weight_decay: 0.01}",
    "adam": "adam",
    "adam-weight-decay": "{name: adam, weight_decay: 0.1}",
    "adam-small-beta1": "{name: adam, betas: [0.3, 0.9], eps: 1.0e-6}",
    "adamw": "adamw",
    "adamw-no-decay": "{name: adamw, weight_decay: 0}",
    "adamw-weight-decay": "{name: adamw, weight_decay: 0.1, betas: [0.8, 0.99]}",
}


def random_spec(seed: int, optimizer: str) -> str:
    """A random 2- or 3-layer spec with one tied pair, one frozen bias and four samples."""
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 3)))] + [int(rng.integers(1, 3))]
    num = lambda: f"{rng.normal(0, 0.8):.6f}"  # noqa: E731
    tied = num()
    lines = [f"inputs: [{', '.join('[' + ', '.join(num() for _ in range(n_in)) + ']' for _ in range(4))}]",
             f"targets: [{', '.join('[' + ', '.join(num() for _ in range(sizes[-1])) + ']' for _ in range(4))}]",
             "layers:"]
    prev = n_in
    for li, size in enumerate(sizes):
        act = "identity" if li == len(sizes) - 1 else str(rng.choice(["sigmoid", "tanh"]))
        lines.append(f"  - activation: {act}")
        rows = []
        for i in range(size):
            row = [num() for _ in range(prev)]
            if i == 0 and li in (0, len(sizes) - 1):
                row[0] = f"shared: {tied}"
            rows.append("[" + ", ".join(row) + "]")
        lines.append(f"    weights: [{', '.join(rows)}]")
        lines.append(f"    biases: [{', '.join(num() for _ in range(size))}]")
        prev = size
    lines += ["loss: mse", f"learning_rate: {rng.uniform(0.01, 0.2):.4f}",
              f"batch_size: {rng.choice(['full', '2'])}", 'frozen: ["b1[1]"]', f"optimizer: {optimizer}"]
    return "\n".join(lines) + "\n"


def torch_run(spec, steps: int, make_optimizer):
    """The same network in PyTorch (float64), one leaf tensor per distinct parameter; `steps` steps."""
    torch = pytest.importorskip("torch")
    net = Network(spec)
    params = [torch.tensor(float(v), dtype=torch.float64, requires_grad=not f)
              for v, f in zip(net.theta, net.frozen, strict=True)]
    opt = make_optimizer(torch, [p for p in params if p.requires_grad], spec.learning_rate)
    acts = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z}
    bs = spec.effective_batch_size
    batches = [(spec.inputs[s:s + bs], spec.targets[s:s + bs]) for s in range(0, spec.n_samples, bs)]
    done = 0
    while done < steps:
        for x, t in batches:
            a = torch.tensor(x, dtype=torch.float64)
            for layer, wi, bi in zip(spec.layers, net.w_index, net.b_index, strict=True):
                w = torch.stack([params[k] for k in wi.ravel()]).reshape(wi.shape)
                b = torch.stack([params[k] for k in bi])
                a = acts[layer.activation](a @ w.T + b)
            loss = torch.nn.functional.mse_loss(a, torch.tensor(t, dtype=torch.float64))
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
    return net.names, params, opt


def torch_optimizer(spec):
    c = spec.optimizer
    if c.name == "sgd":
        return lambda torch, ps, lr: torch.optim.SGD(ps, lr=lr, momentum=c.momentum, dampening=c.dampening,
                                                     nesterov=c.nesterov, weight_decay=c.weight_decay)
    cls = "Adam" if c.name == "adam" else "AdamW"
    return lambda torch, ps, lr: getattr(torch.optim, cls)(ps, lr=lr, betas=c.betas, eps=c.eps,
                                                           weight_decay=c.weight_decay)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_twenty_steps_agree_with_torch_optim(tmp_path, kind, seed):
    pytest.importorskip("torch")
    text = random_spec(seed, OPTIMIZERS[kind])
    spec = parse_spec(text)
    steps_per_epoch = math.ceil(spec.n_samples / spec.effective_batch_size)
    epochs = 20 // steps_per_epoch
    names, params, opt = torch_run(spec, epochs * steps_per_epoch, torch_optimizer(spec))
    final = cli_jsonl("train", write(tmp_path, text), "-e", str(epochs))[-1]["final"]["parameters"]
    ours = np.array([final[n] for n in names])
    theirs = np.array([p.item() for p in params])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    trainer = Trainer(spec)
    list(trainer.run(epochs))
    state = trainer.optimizer.state_dict()
    for name, p in zip(names, params, strict=True):
        torch_state = opt.state.get(p, {})
        if not p.requires_grad:
            assert name not in state and not torch_state
            continue
        assert set(state.get(name, {})) == set(torch_state)
        for key, value in torch_state.items():
            value = value.item() if hasattr(value, "item") else value
            assert state[name][key] == pytest.approx(value, rel=1e-10, abs=1e-10), (name, key)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_saved_and_resumed_training_equals_an_uninterrupted_run_bit_for_bit(tmp_path, kind):
    text = random_spec(7, OPTIMIZERS[kind])
    spec = parse_spec(text)
    whole = Trainer(spec)
    list(whole.run(7))

    first = Trainer(spec)
    list(first.run(3))
    saved = spec_to_yaml(spec, first.net.weights, first.net.biases, extra=first.save_extra())
    resumed_spec = parse_spec(saved, "saved.yaml")
    assert resumed_spec.optimizer == spec.optimizer
    second = Trainer(resumed_spec)
    list(second.run(4))

    assert second.net.theta.tobytes() == whole.net.theta.tobytes()
    a, b = second.optimizer.state, whole.optimizer.state
    assert np.array_equal(a.active, b.active) and np.array_equal(a.step, b.step)
    assert all(a.buffers[k].tobytes() == b.buffers[k].tobytes() for k in b.buffers)
    if spec.optimizer.state_keys:
        assert "optimizer_state:" in saved
    # and through the CLI: 4 more epochs of the saved spec = 7 epochs of the original
    saved_path = write(tmp_path, saved, "saved.yaml")
    resumed = cli_jsonl("train", saved_path, "-e", "4")[-1]["final"]
    direct = cli_jsonl("train", write(tmp_path, text), "-e", "7")[-1]["final"]
    assert resumed["parameters"] == direct["parameters"] and resumed["loss"] == direct["loss"]
    # `step` on the saved spec starts from the saved state
    step = cli_json("step", saved_path)
    for p in step["parameters"]:
        k = whole.net.names.index(p["name"])
        assert p["state"]["before"] == first.optimizer.state_of(k)


def test_the_saved_state_reads_back_exactly(tmp_path):
    from backcalc.writer import optimizer_state_yaml

    state = {"w1": {"step": 3, "exp_avg": 1e-06, "exp_avg_sq": 5e-324},
             "w5": {"step": 3, "exp_avg": -0.1 - 2 ** -50, "exp_avg_sq": 1e16 + 2}}
    text = SEED + "optimizer: adam\n" + "optimizer_state:" + optimizer_state_yaml(state) + "\n"
    spec = parse_spec(text)
    assert spec.optimizer_state == state
    assert json.dumps(spec.optimizer_state) == json.dumps(state)


def test_tiny_weights_survive_the_writer(tmp_path):
    spec = parse_spec(SEED.replace("w1: 0.15", "w1: 1.0e-06").replace("w6: 0.45", "w6: -0.0"))
    again = parse_spec(spec_to_yaml(spec))
    assert again.layers[0].weights[0, 0] == 1e-06
    assert math.copysign(1, again.layers[1].weights[0, 1]) == -1


def test_the_optimizer_readme_section_shows_real_output():
    from conftest import ROOT
    from readme_blocks import blocks
    from readme_blocks import run_block as run

    found = blocks((ROOT / "docs" / "optimizers.md").read_text())
    assert found
    for args, expected, _ in found:
        assert run(args) == expected, f"docs/optimizers.md output of `backcalc {args}` is stale"


def test_the_optimizer_readme_saved_state_is_real():
    from conftest import ROOT

    from backcalc.spec import load_spec

    spec = load_spec(CONFIGS / "adam_neuron.yaml")
    trainer = Trainer(spec)
    list(trainer.run(1))
    saved = spec_to_yaml(spec, trainer.net.weights, trainer.net.biases, extra=trainer.save_extra())
    tail = saved[saved.index("optimizer:"):]
    assert tail in (ROOT / "docs" / "optimizers.md").read_text()


def test_a_checkpoint_restores_parameters_and_state():
    spec = parse_spec(random_spec(3, OPTIMIZERS["adam"]))
    trainer = Trainer(spec)
    list(trainer.run(2))
    cp = trainer.checkpoint()
    list(trainer.run(1))
    after_three = trainer.net.theta.copy(), trainer.optimizer.state_dict()
    trainer.restore(cp)
    list(trainer.run(1))
    assert trainer.net.theta.tobytes() == after_three[0].tobytes()
    assert trainer.optimizer.state_dict() == after_three[1]


BASE = (CONFIGS / "mazur.yaml").read_text()






def test_an_adam_step_count_too_large(tmp_path):
    spec = write_file(tmp_path, "spec.yaml", BASE + "optimizer: adam\noptimizer_state: "
                      "{w1: {step: 99999999999999999999999, "
                      "exp_avg: 0, exp_avg_sq: 0}}\n")
    for command in ("step", "train", "graph"):
        line = one_line(cli(command, spec))
        assert line == (f"{spec}:24:30: optimizer_state.w1.step: expected a whole number ≤ 9,007,199,254,740,992 "
                        "(2^53), got 99999999999999999999999")


def test_the_largest_adam_step_count_allowed_runs(tmp_path):
    spec = write_file(tmp_path, "spec.yaml", BASE + f"optimizer: adam\noptimizer_state: {{w1: {{step: {2**53}, "
                                              "exp_avg: 0.1, exp_avg_sq: 0.01}}\n")
    result = cli("step", spec, "--json")
    assert result.exit_code == 0, result.stderr
