"""The layer kinds' rows of `make bench`: `train` on a convolution, a recurrent layer (rnn, lstm, gru)
and a batch norm, raced against the same network in PyTorch (float64, plain SGD, batches of 32).

Each torch model starts from backcalc's initial parameters (copied in), and both must reach the
same epoch losses over the first epochs (to 1e-9) before they are timed: the race is the same work.
Timed blocks alternate; the rows report medians per epoch. Without torch the rows say so and no
target is counted. backcalc trains these kinds on its reference loop, each kind vectorised over the
batch (windows gathered by index, one matrix product per time step); the goal is ≤ 1.5× PyTorch.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from backcalc.spec import load_spec
from backcalc.training import Trainer

KINDS_TARGET = 1.5  # backcalc ÷ PyTorch per epoch (torch: a dedicated convolution kernel; ours: gather + GEMM)
N, BATCH, LR = 1024, 32, 0.05
CHECK_EPOCHS = 2

HEAD = """name: {name}
inputs: {{file: X.npy}}
targets: {{file: T.npy}}
init: {{seed: 3}}
loss: mse
learning_rate: {lr}
batch_size: {batch}
layers:
"""
# name -> (description, input shape per sample, layers, torch modules from the Network's arrays)
WORKLOADS = {
    "conv2d": ("conv2d 8 of 3×3 over 1×16×16, relu, max-pool 2, dense 4", (1, 16, 16), """\
  - {type: conv2d, input_shape: [1, 16, 16], out_channels: 8, kernel_size: 3, activation: relu}
  - {type: maxpool2d, size: 2, stride: 2}
  - {type: flatten}
  - {size: 4, activation: identity}
"""),
    "rnn": ("rnn tanh, 20 steps of 8, hidden 32, dense 4", (20, 8), """\
  - {type: rnn, input_shape: [20, 8], hidden_size: 32}
  - {size: 4, activation: identity}
"""),
    "lstm": ("lstm, 10 steps of 8, hidden 16, dense 4", (10, 8), """\
  - {type: lstm, input_shape: [10, 8], hidden_size: 16}
  - {size: 4, activation: identity}
"""),
    "gru": ("gru, 10 steps of 8, hidden 16, dense 4", (10, 8), """\
  - {type: gru, input_shape: [10, 8], hidden_size: 16}
  - {size: 4, activation: identity}
"""),
    "batchnorm": ("dense 64, batch norm, relu, dense 4 over 32 inputs", (32,), """\
  - {size: 64, activation: identity}
  - {type: batchnorm, activation: relu}
  - {size: 4, activation: identity}
"""),
}


def torch_model(torch, spec, net):
    """The network in torch's own modules (nn.Conv2d, nn.RNN, nn.BatchNorm1d, …), from backcalc's
    initial parameters."""
    nn = torch.nn

    class Last(nn.Module):
        """A recurrent module reading samples × (time·features), giving its last hidden state."""

        def __init__(self, core, steps, features):
            super().__init__()
            self.core, self.steps, self.features = core, steps, features

        def forward(self, x):
            return self.core(x.reshape(x.shape[0], self.steps, self.features))[0][:, -1]

    class Model(nn.Module):
        def __init__(self, mods, shape):
            super().__init__()
            self.body, self.shape = nn.Sequential(*mods), shape

        def forward(self, x):
            return self.body(x.reshape(x.shape[0], *self.shape) if self.shape else x)

    mods = []
    for layer, kind, w, b in zip(spec.layers, net.kinds, net.weights, net.biases, strict=True):
        w, b = torch.tensor(np.asarray(w, dtype=float)), torch.tensor(np.asarray(b, dtype=float))
        params = {"weight": w, "bias": b}
        if layer.kind == "dense":
            m = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        elif layer.kind == "conv2d":
            m = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), dtype=torch.float64)
        elif layer.kind == "maxpool2d":
            m, params = nn.MaxPool2d(kind.window.kernel, kind.window.stride), {}
        elif layer.kind == "flatten":
            m, params = nn.Flatten(), {}
        elif layer.kind == "batchnorm":
            m, params = nn.BatchNorm1d(w.numel(), dtype=torch.float64), {"weight": w.reshape(-1), "bias": b}
        else:  # rnn, lstm, gru, batch first: backcalc's [W_ih | W_hh] side by side, one bias (b_ih + b_hh)
            f, n_h = kind.features, kind.hidden
            core = getattr(nn, layer.kind.upper())(f, n_h, batch_first=True, dtype=torch.float64)
            hh = w[:, f + n_h] if layer.kind == "gru" else torch.zeros_like(b)  # the GRU keeps b_hh apart
            m = Last(core, kind.time, f)
            params = {"core.weight_ih_l0": w[:, :f], "core.weight_hh_l0": w[:, f:f + n_h], "core.bias_ih_l0": b,
                      "core.bias_hh_l0": hh}
        with torch.no_grad():
            for key, value in params.items():
                m.get_parameter(key).copy_(value.reshape(m.get_parameter(key).shape))
        if layer.kind in ("rnn", "lstm"):  # one bias is b_ih + b_hh: b_hh stays 0, or SGD moves the sum twice
            m.get_parameter("core.bias_hh_l0").requires_grad_(False)
        mods.append(m)
        if layer.kind not in ("rnn", "lstm", "gru") and layer.activation == "relu":
            mods.append(nn.ReLU())
    first = spec.layers[0]
    return Model(mods, tuple(net.kinds[0].window.in_shape) if first.kind == "conv2d" else None)


class TorchRun:
    def __init__(self, torch, model, x, t):
        self.torch, self.model = torch, model
        self.x, self.t = torch.tensor(x), torch.tensor(t)
        self.opt = torch.optim.SGD(model.parameters(), lr=LR)

    def epochs(self, count: int) -> list[float]:
        torch, out = self.torch, []
        for _ in range(count):
            losses = []
            for s in range(0, N, BATCH):
                self.opt.zero_grad()
                loss = torch.nn.functional.mse_loss(self.model(self.x[s:s + BATCH]), self.t[s:s + BATCH])
                loss.backward()
                self.opt.step()
                losses.append(loss.item())
            out.append(sum(losses) / len(losses))
        return out


class BackcalcRun:
    def __init__(self, spec):
        self.trainer = Trainer(spec)

    def epochs(self, count: int) -> list[float]:
        return [r.loss for r in self.trainer.run(count, 1)]


def _time_block(run, epochs: int) -> float:
    start = time.perf_counter()
    run.epochs(epochs)
    return (time.perf_counter() - start) / epochs


def rows(folder: Path, seed: int, reps: int, settle: float, misses: list[str], fmt_time) -> list[str]:
    try:
        import torch
    except ImportError:
        torch = None
    lines = ["| layer kind (1024 samples, batch 32, SGD) | backcalc | PyTorch | ÷ PyTorch | same loss |",
             "|---|---|---|---|---|"]
    rng = np.random.default_rng(seed)
    for name, (description, shape, layers) in WORKLOADS.items():
        sub = folder / f"kind-{name}"
        sub.mkdir()
        np.save(sub / "X.npy", rng.normal(0.0, 1.0, (N, int(np.prod(shape)))))
        np.save(sub / "T.npy", rng.uniform(0.0, 1.0, (N, 4)))
        path = sub / "spec.yaml"
        path.write_text(HEAD.format(name=name, lr=LR, batch=BATCH) + layers)
        spec = load_spec(path)
        ours = BackcalcRun(spec)
        if torch is None:
            per = statistics.median(_time_block(ours, 1) for _ in range(reps))
            lines.append(f"| {description} | {fmt_time(per)} | not installed | — | — |")
            continue
        theirs = TorchRun(torch, torch_model(torch, spec, ours.trainer.net), np.load(sub / "X.npy"),
                          np.load(sub / "T.npy"))
        a, b = ours.epochs(CHECK_EPOCHS), theirs.epochs(CHECK_EPOCHS)
        same = bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))
        if not same:
            misses.append(f"kinds: {name}'s epoch losses differ from PyTorch's ({a} against {b})")
        times: dict[str, list[float]] = {"backcalc": [], "torch": []}
        for r in range(reps):
            order = (("backcalc", ours), ("torch", theirs)) if r % 2 == 0 else (("torch", theirs), ("backcalc", ours))
            for who, run in order:
                times[who].append(_time_block(run, 1))
                time.sleep(settle / 10)
        ours_t, theirs_t = statistics.median(times["backcalc"]), statistics.median(times["torch"])
        ratio = ours_t / theirs_t
        met = ratio <= KINDS_TARGET
        if not met:
            misses.append(f"kinds: {name} trains at {ratio:.2f}× PyTorch (target ≤ {KINDS_TARGET}×)")
        lines.append(f"| {description} | {fmt_time(ours_t)} | {fmt_time(theirs_t)} | {ratio:.2f}× "
                     f"{'✓' if met else '✗'} | {'yes' if same else 'NO'} |")
    return lines
