"""The fast trainer's rows of `make bench`: every optimizer, tied, frozen, softmax, any epoch count.

Each workload races backcalc's library (`Trainer.run`) against `peers.numpy_general`, a hand-written
NumPy loop of the same math, in the same run (alternating timed blocks, medians per epoch); both must
reach the same loss after the same epochs. The epoch-count rows race backcalc against itself: a
prime epoch count or spacing against a round one, per epoch, as `train` sizes its shown rows.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import peers

from backcalc.network import Network
from backcalc.spec import load_spec
from backcalc.training import Trainer, shown_epochs

NUMPY_TARGET = 1.1  # backcalc ÷ the hand-written NumPy loop
CLIFF_TARGET = 1.2  # a prime epoch count or spacing ÷ a round one, per epoch

MEDIUM = """name: {name}
inputs: {{file: X.npy}}
targets: {{file: T.npy}}
layers:
  - {{activation: sigmoid, size: 32}}
  - {{activation: {out}, size: 10}}
init: {{seed: 7}}
loss: {loss}
learning_rate: {lr}
batch_size: 32
{extra}
"""

MAZUR_1024 = """name: mazur-1024
inputs: {file: X.npy}
targets: {file: T.npy}
layers:
  - activation: sigmoid
    names: [h1, h2]
    weights:
      - [w1: 0.15, w2: 0.20]
      - [w3: 0.25, w4: 0.30]
    biases: [b1: 0.35, b1: 0.35]
  - activation: sigmoid
    names: [out]
    weights: [[w5: 0.40, w6: 0.45]]
    biases: [b2: 0.60]
loss: half_squared_error
learning_rate: 0.5
batch_size: full
"""

FROZEN = "frozen: [" + ", ".join(f'"W1[1,{j}]"' for j in range(1, 65)) + "]"
# name -> (description, spec template settings); the medium data: 2048 samples of 64 inputs, 10 outputs
MEDIUM_ROWS = {
    "adam": ("Adam, medium 64-32-10", dict(out="sigmoid", loss="mse", lr=0.001, extra="optimizer: adam")),
    "adamw": ("AdamW (λ 0.01), medium", dict(out="sigmoid", loss="mse", lr=0.001,
                                            extra="optimizer: {name: adamw, weight_decay: 0.01}")),
    "momentum": ("momentum 0.9, medium", dict(out="sigmoid", loss="mse", lr=0.1,
                                             extra="optimizer: {name: sgd, momentum: 0.9}")),
    "nesterov": ("Nesterov 0.9, medium", dict(out="sigmoid", loss="mse", lr=0.1,
                                             extra="optimizer: {name: sgd, momentum: 0.9, nesterov: true}")),
    "frozen": ("frozen (64 weights), medium", dict(out="sigmoid", loss="mse", lr=0.5, extra=FROZEN)),
    "softmax": ("softmax + cross-entropy, 64-32-10", dict(out="softmax", loss="cross_entropy", lr=0.5, extra="")),
}
DESCRIPTIONS = [d for d, _ in MEDIUM_ROWS.values()] + ["tied bias: Mazur's 2-2-1 on 1024 samples, full batch",
                                                       "`--epochs 199999` vs 200000 (tiny)",
                                                       "`--epochs 200000 --every 997` vs `--every 1000` (tiny)"]
OPTIMIZERS = {"adam": {"name": "adam"}, "adamw": {"name": "adamw", "weight_decay": 0.01},
              "momentum": {"name": "sgd", "momentum": 0.9}, "nesterov": {"name": "sgd", "momentum": 0.9,
                                                                        "nesterov": True}}


def workloads(folder: Path, seed: int) -> dict:
    """name -> (description, spec path)."""
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(0.0, 1.0, (2048, 64))
    t = rng.uniform(0.0, 1.0, (2048, 10))
    onehot = np.eye(10)[rng.integers(0, 10, 2048)]
    out = {}
    for name, (description, settings) in MEDIUM_ROWS.items():
        sub = folder / f"ft-{name}"
        sub.mkdir()
        np.save(sub / "X.npy", x)
        np.save(sub / "T.npy", onehot if name == "softmax" else t)
        (sub / "spec.yaml").write_text(MEDIUM.format(name=name, **settings))
        out[name] = (description, sub / "spec.yaml")
    sub = folder / "ft-tied"
    sub.mkdir()
    np.save(sub / "X.npy", rng.uniform(0.0, 1.0, (1024, 2)))
    np.save(sub / "T.npy", rng.uniform(0.0, 1.0, (1024, 1)))
    (sub / "spec.yaml").write_text(MAZUR_1024)
    out["tied"] = (DESCRIPTIONS[len(MEDIUM_ROWS)], sub / "spec.yaml")
    return out


def problem(name: str, spec, net: Network) -> dict:
    """The spec as plain arrays for `peers.numpy_general`."""
    bs = spec.effective_batch_size
    x, t = spec.inputs, spec.targets
    k = t.shape[1]
    half = spec.loss == "half_squared_error"
    frozen = net.frozen[net.w_index[0]]
    return {"W1": net.weights[0].copy(), "b1": net.biases[0].copy(), "W2": net.weights[1].copy(),
            "b2": net.biases[1].copy(), "X": x, "T": t, "lr": float(spec.learning_rate),
            "wl": 0.5 if half else 1.0 / k, "c": 1.0 if half else 2.0 / k, "softmax": name == "softmax",
            "tied_b1": name == "tied", "frozen_W1": frozen if frozen.any() else None,
            "opt": OPTIMIZERS.get(name, {"name": "sgd"}),
            "batches": [(x[s:s + bs], t[s:s + bs]) for s in range(0, x.shape[0], bs)]}


def _race(fns: dict, p, block: float, reps: int, settle: float, timed) -> dict:
    """Median seconds per epoch of each contender, in alternating blocks of about `block` seconds."""
    epochs = {}
    for c, fn in fns.items():
        trial = 1
        while True:
            took = timed(fn, p, trial)
            if took > block / 4 or trial >= 1_000_000:
                break
            trial *= 8 if took < block / 40 else 2
        epochs[c] = max(3, round(trial * block / max(took, 1e-9)))
    times: dict[str, list[float]] = {c: [] for c in fns}
    order = list(fns)
    for r in range(reps):
        for c in order[r % len(order):] + order[:r % len(order)]:
            times[c].append(timed(fns[c], p, epochs[c]) / epochs[c])
            time.sleep(settle)
    return {c: statistics.median(v) for c, v in times.items()}


def _cliff(reps: int, settle: float, root: Path) -> list[tuple[str, float, float]]:
    """(what, backcalc per epoch with the odd count, with the round one): whole runs, alternating."""
    mazur = load_spec(root / "configs" / "mazur.yaml")

    def seconds(spec, epochs: int, every: int | None) -> float:
        trainer = Trainer(spec)
        start = time.perf_counter()
        for _ in trainer.run(epochs, every=shown_epochs(epochs, every)):
            pass
        return time.perf_counter() - start

    cases = [(DESCRIPTIONS[-2], mazur, (199999, None), (200000, None)),
             (DESCRIPTIONS[-1], mazur, (200000, 997), (200000, 1000))]
    out = []
    for what, spec, odd, round_ in cases:
        times: dict = {"odd": [], "round": []}
        for r in range(min(reps, 5)):  # whole runs of ~0.5 s each: five of each are plenty
            for c in (("odd", "round") if r % 2 == 0 else ("round", "odd")):
                times[c].append(seconds(spec, *(odd if c == "odd" else round_)))
                time.sleep(settle)
        out.append((what, statistics.median(times["odd"]) / odd[0], statistics.median(times["round"]) / round_[0]))
    return out


def rows(folder: Path, seed: int, block: float, reps: int, settle: float, misses: list[str], fmt,
         contender, timed) -> list[str]:
    """The section's markdown lines; each missed target is appended to `misses`. `contender(spec)` is
    backcalc as run.py races it (its Trainer made before the clock starts), `timed` run.py's clock."""
    lines = ["| workload | backcalc | hand-written NumPy | ÷ NumPy | same loss |", "|---|---|---|---|---|"]
    for name, (description, path) in workloads(folder, seed).items():
        spec = load_spec(path)
        p = problem(name, spec, Network(spec))
        fns = {"backcalc": contender(spec), "NumPy": peers.numpy_general}
        losses = {c: peers.general_loss(p, fn(p, 3)) for c, fn in fns.items()}
        same = abs(losses["backcalc"] - losses["NumPy"]) <= 1e-9 * abs(losses["NumPy"])
        med = _race(fns, p, block, reps, settle, timed)
        ratio = med["backcalc"] / med["NumPy"]
        met = ratio <= NUMPY_TARGET
        if not met:
            misses.append(f"{description}: backcalc is {ratio:.2f}× the NumPy loop (target ≤ {NUMPY_TARGET}×)")
        if not same:
            misses.append(f"{description}: the loss after 3 epochs differs ({losses})")
        lines.append(f"| {description} | {fmt(med['backcalc'])} | {fmt(med['NumPy'])} | {ratio:.2f}× "
                     f"{'met' if met else 'missed'} | {'yes' if same else 'NO'} |")
    lines += ["", "| epoch count (table mode's shown rows) | odd, per epoch | round, per epoch | ratio |",
              "|---|---|---|---|"]
    for what, odd, round_ in _cliff(reps, settle, Path(__file__).resolve().parent.parent):
        ratio = odd / round_
        met = ratio <= CLIFF_TARGET
        if not met:
            misses.append(f"{what}: {ratio:.2f}× per epoch (target ≤ {CLIFF_TARGET}×)")
        lines.append(f"| {what} | {fmt(odd)} | {fmt(round_)} | {ratio:.2f}× {'met' if met else 'missed'} |")
    lines += ["", f"Targets: each ≤ {NUMPY_TARGET}× the hand-written NumPy loop of the same math "
              f"(`peers.numpy_general`); an odd epoch count or spacing ≤ {CLIFF_TARGET}× a round one per epoch."]
    return lines
