"""An independent reference for backcalc, written from the user documentation only
(README.md, docs/spec.md, docs/json.md, docs/optimizers.md, docs/exact.md), never from
backcalc's own math modules.

`random_case` draws a spec over the documented space (layers, activations, losses,
reductions, batches, tied / frozen / absent biases, optimizers and their state, data files)
and keeps a plain description of it (`Case`). Two references compute with it:

- `TorchRef`: PyTorch autograd in float64 and `torch.optim` (SGD, Adam, AdamW);
- `FracRef`: Python `fractions.Fraction`, for `--exact` (rational activations and losses,
  SGD with momentum, dampening, Nesterov and weight decay), written out by hand.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import yaml

ELEMENTWISE = ["identity", "linear", "relu", "leaky_relu", "sigmoid", "tanh"]
RATIONAL = ["identity", "linear", "relu", "leaky_relu"]
SQUARED = ["squared_error", "half_squared_error", "mse"]


# ---------------------------------------------------------------------------------------
# The description of one case
# ---------------------------------------------------------------------------------------


@dataclass
class Layer:
    activation: str
    alpha: float | None  # leaky_relu's slope, None when the spec leaves the default
    weight_names: list[list[str]]  # neurons × inputs, the parameter each slot reads
    bias_names: list[str]
    names: list[str] | None = None  # neuron names given in the spec

    @property
    def slope(self) -> float:
        return 0.01 if self.alpha is None else self.alpha


@dataclass
class Case:
    layers: list[Layer]
    values: dict[str, float]  # parameter name → initial value, in order of first appearance
    frozen: list[str]
    X: np.ndarray
    T: np.ndarray
    loss: str = "mse"
    reduction: str = "mean"
    lr: float = 0.1
    batch_size: int | str = "full"
    optimizer: dict = field(default_factory=lambda: {"name": "sgd"})
    state: dict = field(default_factory=dict)  # optimizer_state by parameter name
    spec: dict = field(default_factory=dict)  # the spec as written (JSON is YAML)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    def batches(self) -> list[list[int]]:
        n = self.n_samples
        size = n if self.batch_size == "full" else int(self.batch_size)
        return [list(range(i, min(i + size, n))) for i in range(0, n, size)]

    def opt_settings(self) -> dict:
        """The optimizer's settings with PyTorch's defaults filled in, and its lr."""
        o = dict(self.optimizer)
        name = o.pop("name")
        if name == "momentum":
            name, o = "sgd", {"momentum": 0.9, **o}
        if name == "sgd":
            full = {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
        else:
            full = {"betas": (0.9, 0.999), "eps": 1e-8,
                    "weight_decay": 0.01 if name == "adamw" else 0.0}
        full.update(o)
        if "betas" in full:
            full["betas"] = tuple(full["betas"])
        return {"name": name, **full}


def fmt(x: float) -> float:
    """A random float kept away from tiny magnitudes, so relative comparisons stay meaningful."""
    x = float(x)
    if x != 0.0 and abs(x) < 1e-3:
        x = math.copysign(1e-3, x)
    return x


def _entry(name: str | None, value):
    return value if name is None else {name: value}


def random_case(rng: np.random.Generator, *, exact: bool = False, tmp: Path | None = None) -> Case:
    """A random spec over the documented space; `exact` keeps it rational with short
    decimals (for `--exact`); `tmp` lets inputs/targets come from data files."""
    n_hidden = int(rng.choice([0, 1, 1, 2, 2, 3]))
    n_in = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 4)) for _ in range(n_hidden)]
    # the output layer and the loss
    if exact:
        out_act = str(rng.choice(RATIONAL))
        loss = str(rng.choice(SQUARED))
    else:
        loss = str(rng.choice(SQUARED + ["bce", "cross_entropy"]))
        if loss == "bce":
            out_act = str(rng.choice(["sigmoid", "softmax"]))
        elif loss == "cross_entropy":
            out_act = str(rng.choice(["softmax", "sigmoid"]))
        else:
            out_act = str(rng.choice(ELEMENTWISE + ["softmax"]))
    n_out = int(rng.integers(2, 4)) if out_act == "softmax" else int(rng.integers(1, 4))
    acts = [str(rng.choice(RATIONAL if exact else ELEMENTWISE)) for _ in range(n_hidden)]
    acts.append(out_act)
    widths = [n_in] + sizes + [n_out]

    def number(scale=1.0):
        if exact:
            return float(round(float(rng.uniform(-1, 1)) * scale, 2))
        return fmt(rng.uniform(-1, 1) * scale)

    # parameters: mostly default names, some given names, some tied
    values: dict[str, float] = {}
    pool = [f"p{i}" for i in range(4)]
    layers, spec_layers = [], []
    for li, act in enumerate(acts):
        fan_in, fan_out = widths[li], widths[li + 1]
        wnames, wrows = [], []
        for i in range(fan_out):
            names_row, row = [], []
            for j in range(fan_in):
                default = f"W{li + 1}[{i + 1},{j + 1}]"
                r = rng.random()
                if r < 0.12:
                    name, given = str(rng.choice(pool)), True
                elif r < 0.2:
                    name, given = f"w{li + 1}_{i + 1}{j + 1}", True
                else:
                    name, given = default, False
                if name not in values:
                    values[name] = number(1.5)
                names_row.append(name)
                row.append(_entry(name if given else None, values[name]))
            wnames.append(names_row)
            wrows.append(row)
        spec_layer: dict = {"activation": act}
        if act == "leaky_relu" and rng.random() < 0.6:
            alpha = float(round(float(rng.uniform(0.01, 0.5)), 2))
            spec_layer["alpha"] = alpha
        else:
            alpha = None
        spec_layer["weights"] = wrows if (fan_out > 1 or rng.random() < 0.5) else wrows[0]
        # biases: absent (0, trainable under their default names), given, shared or tied
        bmode = rng.choice(["absent", "given", "given", "shared", "tied"])
        if act == "softmax" and bmode == "shared":
            # one bias shared by every softmax output has gradient exactly 0 (softmax ignores a
            # common shift): rounding noise of ±1e-17 then decides Adam's step, in any two
            # implementations alike, so it is no test of either (see test_xref.py)
            bmode = "given"
        bnames, brow = [], []
        for i in range(fan_out):
            default = f"b{li + 1}[{i + 1}]"
            if bmode == "shared":
                name, given = f"bias{li + 1}", True
            elif bmode == "tied" and rng.random() < 0.5:
                name, given = str(rng.choice(pool)), True
            else:
                name, given = default, False
            if name not in values:
                values[name] = 0.0 if bmode == "absent" else number()
            bnames.append(name)
            brow.append(_entry(name if given else None, values[name]))
        if bmode != "absent":
            spec_layer["biases"] = brow
        if rng.random() < 0.3:
            spec_layer["names"] = [f"n{li + 1}{chr(97 + i)}" for i in range(fan_out)]
        layers.append(Layer(act, alpha, wnames, bnames, spec_layer.get("names")))
        spec_layers.append(spec_layer)
    # absent biases come after the layer's weights in the order of first appearance, like
    # given ones; reorder values to the order the slots are read
    order = []
    for layer in layers:
        for row in layer.weight_names:
            order += [n for n in row if n not in order]
        order += [n for n in layer.bias_names if n not in order]
    values = {n: values[n] for n in order}

    n = int(rng.integers(1, 6))
    if exact:
        X = np.round(rng.uniform(-2, 2, size=(n, n_in)), 1)
    else:
        X = np.vectorize(fmt)(rng.uniform(-2, 2, size=(n, n_in)))
    if loss == "cross_entropy" and out_act == "softmax":
        T = rng.dirichlet(np.ones(n_out), size=n) if rng.random() < 0.5 else \
            np.eye(n_out)[rng.integers(0, n_out, size=n)]
        T = T.astype(float)
    elif loss in ("bce", "cross_entropy"):
        T = rng.uniform(0, 1, size=(n, n_out))
        T[rng.random(size=T.shape) < 0.3] = 1.0
    else:
        T = np.round(rng.uniform(-1, 1, size=(n, n_out)), 1) if exact else rng.uniform(-1, 1, size=(n, n_out))
    if not exact and not (loss == "cross_entropy" and out_act == "softmax"):  # rows must sum to 1
        T = np.where(np.abs(T) < 1e-3, 0.0, T)

    names = list(values)
    frozen = [str(x) for x in rng.choice(names, size=int(rng.integers(0, min(3, len(names)) + 1)), replace=False)]
    reduction = str(rng.choice(["mean", "sum"]))
    batch = "full" if rng.random() < 0.4 else int(rng.integers(1, n + 1))
    # the optimizer
    if exact:
        kind = str(rng.choice(["plain", "sgd", "momentum"]))
    else:
        kind = str(rng.choice(["plain", "sgd", "momentum", "adam", "adamw"]))
    lr_where = str(rng.choice(["top", "top", "inside", "none"]))
    lr_value = float(round(float(rng.uniform(0.01, 0.5)), 2))
    opt: dict = {"name": "sgd"}
    spec_opt = None
    if kind == "sgd":
        m = float(round(float(rng.uniform(0, 0.95)), 2))
        opt = {"name": "sgd", "momentum": m}
        if m > 0 and rng.random() < 0.4:
            opt["nesterov"] = True
        elif m > 0 and rng.random() < 0.5:
            opt["dampening"] = float(round(float(rng.uniform(0, 1)), 2))
        if rng.random() < 0.5:
            opt["weight_decay"] = float(round(float(rng.uniform(0, 0.2)), 2))
        spec_opt = dict(opt)
    elif kind == "momentum":
        opt = {"name": "momentum"}
        spec_opt = "momentum" if rng.random() < 0.5 else dict(opt)
    elif kind in ("adam", "adamw"):
        opt = {"name": kind}
        if rng.random() < 0.5:
            opt["betas"] = [float(round(float(rng.uniform(0.5, 0.95)), 2)),
                            float(round(float(rng.uniform(0.9, 0.9999)), 4))]
        if rng.random() < 0.4:
            opt["eps"] = float(rng.choice([0.001, 0.1, 0.0000001]))
        if rng.random() < 0.5:
            opt["weight_decay"] = float(round(float(rng.uniform(0, 0.3)), 2))
        spec_opt = dict(opt) if (len(opt) > 1 or rng.random() < 0.5) else kind
    if lr_where == "inside" and isinstance(spec_opt, dict):
        spec_opt["learning_rate"] = lr_value
        lr = lr_value
    elif lr_where == "none":
        lr = 0.001 if kind in ("adam", "adamw") else 0.1
    else:
        lr_where = "top"
        lr = lr_value

    spec: dict = {"name": "xref", "layers": spec_layers, "loss": loss}
    if reduction == "sum" or rng.random() < 0.3:
        spec["reduction"] = reduction
    if lr_where == "top":
        spec["learning_rate"] = lr
    if batch != "full" or rng.random() < 0.3:
        spec["batch_size"] = batch
    if frozen:
        spec["frozen"] = frozen
    if spec_opt is not None:
        spec["optimizer"] = spec_opt

    case = Case(layers, values, frozen, X, T, loss, reduction, lr, batch, opt, {}, spec)
    # optimizer state to resume from, for some trainable parameters
    trainable = [p for p in names if p not in frozen]
    if kind != "plain" and trainable and rng.random() < 0.35:
        settings = case.opt_settings()
        chosen = rng.choice(trainable, size=int(rng.integers(1, len(trainable) + 1)), replace=False)
        for p in chosen:
            if settings["name"] == "sgd":
                if settings["momentum"] > 0:
                    case.state[str(p)] = {"momentum_buffer": number()}
            else:
                case.state[str(p)] = {"step": int(rng.integers(1, 6)), "exp_avg": fmt(rng.uniform(-1, 1)),
                                      "exp_avg_sq": fmt(rng.uniform(0.001, 1))}
        if case.state:
            spec["optimizer_state"] = case.state

    place_data(spec, X, T, rng, tmp, out_is_flat=n_out == 1)
    return case


def place_data(spec: dict, X, T, rng, tmp: Path | None, *, out_is_flat: bool) -> None:
    """Put the samples inline or (with a folder) in a CSV, .npy, .npz or one `data:` table."""
    how = "inline" if tmp is None else str(rng.choice(["inline", "csv", "npy", "npz", "data"]))
    if how == "inline":
        spec["inputs"] = X[0].tolist() if X.shape[0] == 1 and rng.random() < 0.5 else X.tolist()
        if out_is_flat and rng.random() < 0.5:
            spec["targets"] = T[:, 0].tolist()
        else:
            spec["target" if rng.random() < 0.3 else "targets"] = T.tolist()
        # one sample with one value may be a bare number (decided by the data, so the random
        # stream, and with it every other case, stays as it was)
        if X.shape == (1, 1) and X[0, 0] > 0:
            spec["inputs"] = float(X[0, 0])
        if T.shape == (1, 1) and T[0, 0] > 0:
            spec.pop("targets", None)
            spec["target"] = float(T[0, 0])
        return
    tag = f"d{int(rng.integers(0, 10**9))}"
    if how == "csv":
        path = tmp / f"{tag}.csv"
        xcols = [f"f{j}" for j in range(X.shape[1])]
        tcols = [f"t{k}" for k in range(T.shape[1])]
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id"] + tcols + xcols)
            for i in range(X.shape[0]):
                w.writerow([f"s{i}"] + [repr(float(v)) for v in T[i]] + [repr(float(v)) for v in X[i]])
        spec["inputs"] = {"file": path.name, "columns": xcols}
        spec["targets"] = {"file": path.name, "columns": tcols}
    elif how == "npy":
        np.save(tmp / f"{tag}_x.npy", X)
        np.save(tmp / f"{tag}_t.npy", T[:, 0] if out_is_flat else T)
        spec["inputs"] = {"file": f"{tag}_x.npy"}
        spec["targets"] = {"file": f"{tag}_t.npy"}
    elif how == "npz":
        np.savez(tmp / f"{tag}.npz", X=X, y=T)
        spec["inputs"] = {"file": f"{tag}.npz", "key": "X"}
        spec["targets"] = {"file": f"{tag}.npz", "key": "y"}
    else:
        path = tmp / f"{tag}.csv"
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            for i in range(X.shape[0]):  # no header: columns by number
                w.writerow([repr(float(v)) for v in X[i]] + [repr(float(v)) for v in T[i]])
        n_in = X.shape[1]
        spec["data"] = {"file": path.name, "header": False,
                        "target_columns": [n_in + k for k in range(T.shape[1])]}


def write_spec(case: Case, folder: Path, name: str = "spec.yaml") -> Path:
    """The spec as YAML (PyYAML writes every float so that it reads back bit for bit)."""
    path = folder / name
    path.write_text(yaml.safe_dump(case.spec, sort_keys=False, allow_unicode=True))
    return path


# ---------------------------------------------------------------------------------------
# PyTorch reference
# ---------------------------------------------------------------------------------------


class TorchRef:
    """The network of a Case with torch autograd in float64 and torch.optim."""

    def __init__(self, case: Case):
        import torch

        self.torch = torch
        self.case = case
        self.params = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True)
                       for n, v in case.values.items()}
        s = case.opt_settings()
        trainable = [self.params[n] for n in case.values if n not in case.frozen]
        if not trainable:
            self.opt = None
        elif s["name"] == "sgd":
            self.opt = torch.optim.SGD(trainable, lr=case.lr, momentum=s["momentum"],
                                       dampening=s["dampening"], nesterov=s["nesterov"],
                                       weight_decay=s["weight_decay"])
        else:
            cls = torch.optim.Adam if s["name"] == "adam" else torch.optim.AdamW
            self.opt = cls(trainable, lr=case.lr, betas=s["betas"], eps=s["eps"],
                           weight_decay=s["weight_decay"])
        for n, st in case.state.items():
            p = self.params[n]
            if "momentum_buffer" in st:
                self.opt.state[p] = {"momentum_buffer": torch.tensor(st["momentum_buffer"], dtype=torch.float64)}
            else:
                self.opt.state[p] = {"step": torch.tensor(float(st["step"])),
                                     "exp_avg": torch.tensor(st["exp_avg"], dtype=torch.float64),
                                     "exp_avg_sq": torch.tensor(st["exp_avg_sq"], dtype=torch.float64)}

    # the network ---------------------------------------------------------------------
    def matrices(self):
        torch = self.torch
        out = []
        for layer in self.case.layers:
            W = torch.stack([torch.stack([self.params[n] for n in row]) for row in layer.weight_names])
            b = torch.stack([self.params[n] for n in layer.bias_names])
            out.append((W, b))
        return out

    def activate(self, layer: Layer, z):
        F = self.torch.nn.functional
        act = layer.activation
        if act in ("identity", "linear"):
            return z * 1.0
        if act == "relu":
            return self.torch.relu(z)
        if act == "leaky_relu":
            return F.leaky_relu(z, layer.slope)
        if act == "sigmoid":
            return self.torch.sigmoid(z)
        if act == "tanh":
            return self.torch.tanh(z)
        return self.torch.softmax(z, dim=-1)

    def forward(self, X):
        torch = self.torch
        a = torch.tensor(np.asarray(X, dtype=float), dtype=torch.float64)
        zs, as_ = [], []
        for layer, (W, b) in zip(self.case.layers, self.matrices()):
            z = a @ W.T + b
            a = self.activate(layer, z)
            zs.append(z)
            as_.append(a)
        return zs, as_

    def sample_losses(self, y, T, z=None):
        """Each sample's loss. Given the output layer's z, bce and cross_entropy on a sigmoid
        or softmax output take log y and log(1 − y) from z (the exact value where y rounds to
        0 or 1, or 1 − y cancels); without z, the textbook formula of y (for ∂ℓ/∂y)."""
        torch = self.torch
        t = torch.tensor(np.asarray(T, dtype=float), dtype=torch.float64)
        K = y.shape[1]
        loss = self.case.loss
        if loss == "squared_error":
            return ((y - t) ** 2).sum(1)
        if loss == "half_squared_error":
            return 0.5 * ((y - t) ** 2).sum(1)
        if loss == "mse":
            return ((y - t) ** 2).sum(1) / K
        act = self.case.layers[-1].activation
        log_y, log_1my = torch.log(y), torch.log(1 - y)
        if z is not None and act == "sigmoid":
            log_y, log_1my = torch.nn.functional.logsigmoid(z), torch.nn.functional.logsigmoid(-z)
        elif z is not None and act == "softmax":
            eye = torch.eye(K, dtype=torch.bool)
            others = z.unsqueeze(1).expand(-1, K, K).masked_fill(eye, -math.inf)  # row k: z without z_k
            lse = torch.logsumexp(z, -1, keepdim=True)
            log_y, log_1my = z - lse, torch.logsumexp(others, -1) - lse
        if loss == "bce":
            return -(t * log_y + (1 - t) * log_1my).sum(1) / K
        return -(t * log_y).sum(1)

    def output_dl_da(self, y, T):
        """∂L/∂y of the output layer by the textbook formula of y (docs/spec.md's table)."""
        yy = y.detach().clone().requires_grad_(True)
        self.reduce(self.sample_losses(yy, T)).backward()
        return yy.grad.numpy().copy()

    def reduce(self, losses):
        return losses.mean() if self.case.reduction == "mean" else losses.sum()

    # one step ------------------------------------------------------------------------
    def step(self, idx: list[int]) -> dict:
        """Forward, backward and one optimizer update on the samples `idx`; the numbers
        backcalc's step JSON documents, computed independently."""
        case = self.case
        X, T = case.X[idx], case.T[idx]
        before = {n: float(p.detach()) for n, p in self.params.items()}
        state_before = self.state_snapshot()
        for p in self.params.values():
            p.grad = None
        zs, as_ = self.forward(X)
        for t in zs + as_:
            t.retain_grad()
        losses = self.sample_losses(as_[-1], T, zs[-1])
        L = self.reduce(losses)
        L.backward()
        grads = {n: float(p.grad) for n, p in self.params.items()}
        res = {
            "loss": L.item(), "losses": losses.detach().numpy().tolist(),
            "z": [z.detach().numpy() for z in zs], "a": [a.detach().numpy() for a in as_],
            "dL_da": [a.grad.numpy().copy() for a in as_[:-1]] + [self.output_dl_da(as_[-1], T)],
            "delta": [z.grad.numpy().copy() for z in zs],
            "grad": grads, "value": before,
        }
        res["da_dz"] = [None if layer.activation == "softmax" else self.elementwise_derivative(layer, z)
                        for layer, z in zip(case.layers, zs)]
        res["jacobian"] = [self.softmax_jacobian(z) if layer.activation == "softmax" else None
                           for layer, z in zip(case.layers, zs)]
        res.update(self.per_sample(idx))
        if self.opt is not None:
            self.opt.step()
        res["new"] = {n: p.item() for n, p in self.params.items()}
        res["state_before"] = state_before
        res["state_after"] = self.state_snapshot()
        return res

    def state_snapshot(self) -> dict:
        out = {}
        if self.opt is None:
            return out
        for n, p in self.params.items():
            st = self.opt.state.get(p)
            if st:
                out[n] = {k: float(v) for k, v in st.items() if v is not None}
        return out

    def elementwise_derivative(self, layer: Layer, z):
        zz = z.detach().clone().requires_grad_(True)
        self.activate(layer, zz).sum().backward()
        return zz.grad.numpy()

    def softmax_jacobian(self, z):
        torch = self.torch
        rows = []
        for zn in z.detach():
            rows.append(torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=-1), zn).numpy())
        return np.array(rows)

    def per_sample(self, idx: list[int]) -> dict:
        """Each sample's own loss ℓₙ differentiated alone: ∂ℓₙ/∂a, ∂ℓₙ/∂z and ∂ℓₙ/∂p."""
        torch = self.torch
        case = self.case
        names = list(self.params)
        ps = [self.params[n] for n in names]
        dl_da, dl_dz, dl_dp = [], [], []
        for i in idx:
            zs, as_ = self.forward(case.X[[i]])
            ell = self.sample_losses(as_[-1], case.T[[i]], zs[-1])[0]
            g = torch.autograd.grad(ell, list(zs) + list(as_[:-1]) + ps, allow_unused=True)
            k = len(zs)
            dl_dz.append([t[0].numpy() for t in g[:k]])
            y_grad = self.output_dl_da(as_[-1], case.T[[i]])[0]
            dl_da.append([t[0].numpy() for t in g[k:2 * k - 1]] + [y_grad])
            dl_dp.append({n: (0.0 if t is None else float(t)) for n, t in zip(names, g[2 * k - 1:])})
        return {"ps_dL_da": dl_da, "ps_delta": dl_dz, "ps_grad": dl_dp}

    def train(self, epochs: int) -> dict:
        """`epochs` epochs of the configured batches. Stops (`stopped` = the epoch) at the
        first non-finite batch loss or updated value, keeping the parameters of the last
        complete epoch (docs/check.md)."""
        torch = self.torch
        case = self.case
        records, stopped = [], None
        for epoch in range(1, epochs + 1):
            start = {n: p.detach().clone() for n, p in self.params.items()}
            batch_losses, sample_losses = [], []
            for idx in case.batches():
                for p in self.params.values():
                    p.grad = None
                zs, as_ = self.forward(case.X[idx])
                losses = self.sample_losses(as_[-1], case.T[idx], zs[-1])
                L = self.reduce(losses)
                L.backward()
                batch_losses.append(L.item())
                sample_losses += losses.detach().numpy().tolist()
                if self.opt is not None:
                    self.opt.step()
                finite = all(math.isfinite(p.item()) for p in self.params.values())
                if not math.isfinite(batch_losses[-1]) or not finite:
                    stopped = epoch
                    break
            if stopped:
                with torch.no_grad():
                    for n, p in self.params.items():
                        p.copy_(start[n])
                break
            records.append({"loss": float(np.mean(batch_losses)), "loss_min": min(batch_losses),
                            "loss_max": max(batch_losses), "mean_sample_loss": float(np.mean(sample_losses))})
        with torch.no_grad():
            zs, as_ = self.forward(case.X)
            final_loss = float(self.reduce(self.sample_losses(as_[-1], case.T, zs[-1])))
            output = as_[-1].numpy().tolist()
        return {"records": records, "loss": final_loss, "output": output, "stopped": stopped,
                "parameters": {n: p.item() for n, p in self.params.items()}}


# ---------------------------------------------------------------------------------------
# Exact reference with fractions
# ---------------------------------------------------------------------------------------


def F(x) -> Fraction:
    """A spec number as the decimal the YAML wrote (docs/exact.md)."""
    return Fraction(repr(float(x)))


class FracRef:
    """The same network in exact rational arithmetic, by hand (no autograd)."""

    def __init__(self, case: Case):
        self.case = case
        self.values = {n: F(v) for n, v in case.values.items()}
        self.lr = F(case.lr)
        self.s = case.opt_settings()
        self.buf: dict[str, Fraction] = {n: F(st["momentum_buffer"]) for n, st in case.state.items()}

    def f(self, layer: Layer, z: Fraction) -> Fraction:
        if layer.activation == "relu":
            return z if z > 0 else Fraction(0)
        if layer.activation == "leaky_relu":
            return z if z > 0 else F(layer.slope) * z
        return z

    def df(self, layer: Layer, z: Fraction) -> Fraction:
        if layer.activation == "relu":
            return Fraction(1 if z > 0 else 0)
        if layer.activation == "leaky_relu":
            return Fraction(1) if z > 0 else F(layer.slope)
        return Fraction(1)

    def forward(self, x):
        a = [F(v) for v in x]
        zs, as_ = [], []
        for layer in self.case.layers:
            z = [sum((self.values[w] * ai for w, ai in zip(row, a)), Fraction(0)) + self.values[b]
                 for row, b in zip(layer.weight_names, layer.bias_names)]
            a = [self.f(layer, v) for v in z]
            zs.append(z)
            as_.append(a)
        return zs, as_

    def loss_and_grad(self, y, t):
        K = len(y)
        d = [yi - F(ti) for yi, ti in zip(y, t)]
        sq = sum((v * v for v in d), Fraction(0))
        if self.case.loss == "squared_error":
            return sq, [2 * v for v in d]
        if self.case.loss == "half_squared_error":
            return sq / 2, list(d)
        return sq / K, [2 * v / K for v in d]

    def step(self, idx: list[int]) -> dict:
        case = self.case
        N = len(idx)
        scale = Fraction(1, N) if case.reduction == "mean" else Fraction(1)
        grads = {n: Fraction(0) for n in self.values}
        losses, Z, A, DA, DZ = [], [], [], [], []
        for i in idx:
            zs, as_ = self.forward(case.X[i])
            ell, g = self.loss_and_grad(as_[-1], case.T[i])
            losses.append(ell)
            das, dzs = [None] * len(zs), [None] * len(zs)
            for li in range(len(zs) - 1, -1, -1):
                layer = case.layers[li]
                dz = [gi * self.df(layer, zi) for gi, zi in zip(g, zs[li])]
                das[li], dzs[li] = g, dz
                prev = [F(v) for v in case.X[i]] if li == 0 else as_[li - 1]
                for r, row in enumerate(layer.weight_names):
                    for c, w in enumerate(row):
                        grads[w] += scale * dz[r] * prev[c]
                    grads[layer.bias_names[r]] += scale * dz[r]
                g = [sum((dz[r] * self.values[layer.weight_names[r][c]] for r in range(len(dz))), Fraction(0))
                     for c in range(len(prev))]
            Z.append(zs)
            A.append(as_)
            DA.append([[v * scale for v in layer] for layer in das])
            DZ.append([[v * scale for v in layer] for layer in dzs])
        loss = sum(losses, Fraction(0)) * scale
        before = dict(self.values)
        new = dict(self.values)
        s = self.s
        for n, g in grads.items():
            if n in case.frozen:
                continue
            p = self.values[n]
            d = g + F(s["weight_decay"]) * p if s["weight_decay"] else g
            if s["momentum"]:
                mu = F(s["momentum"])
                if n in self.buf:
                    self.buf[n] = mu * self.buf[n] + (1 - F(s["dampening"])) * d
                else:
                    self.buf[n] = d
                d = d + mu * self.buf[n] if s["nesterov"] else self.buf[n]
            new[n] = p - self.lr * d
        self.values = new
        return {"loss": loss, "losses": losses, "z": Z, "a": A, "dL_da": DA, "delta": DZ,
                "grad": grads, "value": before, "new": new, "buf": dict(self.buf)}

    def train(self, epochs: int, max_digits: int = 200) -> dict:
        """`epochs` epochs; stops (`stopped` = the epoch) at the first update that takes a
        parameter's numerator or denominator past `max_digits` digits, keeping the
        parameters of the last complete epoch (docs/exact.md)."""
        records = []
        for epoch in range(1, epochs + 1):
            batch_losses, sample_losses = [], []
            start = dict(self.values)
            for idx in self.case.batches():
                r = self.step(idx)
                if any(len(str(abs(v.numerator))) > max_digits or len(str(v.denominator)) > max_digits
                       for v in self.values.values()):
                    self.values = start
                    return {"records": records, "parameters": start, "stopped": epoch}
                batch_losses.append(r["loss"])
                sample_losses += r["losses"]
            records.append({"loss": sum(batch_losses, Fraction(0)) / len(batch_losses),
                            "loss_min": min(batch_losses), "loss_max": max(batch_losses),
                            "mean_sample_loss": sum(sample_losses, Fraction(0)) / len(sample_losses)})
        return {"records": records, "parameters": dict(self.values), "stopped": None}
