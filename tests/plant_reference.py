"""An independent reference for `backcalc check`: random small networks, every answer a student
could write (docs/check.md's key grammar) computed here with plain Python/NumPy, and the answers
a student making exactly one of the documented mistakes would write.

Written from docs/check.md, docs/spec.md and the README only; nothing here imports backcalc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import yaml

HIDDEN_ACTS = ["sigmoid", "tanh", "relu", "identity"]
SQUARED = {"mse", "squared_error", "half_squared_error"}


def round_half_up(v: float, n: int) -> float:
    """Round as a student does: halves away from zero on the decimal value (docs/check.md)."""
    # the decimal value: 12 significant digits clear the binary noise of 0.6 - 0.5*0.1385
    d = Decimal(f"{float(v):.12g}").quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
    return float(d)


@dataclass
class Layer:
    act: str
    W: list[list[float]]
    b: list[float]
    Wn: list[list[str]]  # parameter names
    bn: list[str]
    names: list[str]  # neuron names


@dataclass
class Net:
    layers: list[Layer]
    X: list[list[float]]
    T: list[list[float]]
    loss: str
    reduction: str
    lr: float
    frozen: set[str] = field(default_factory=set)
    yaml_text: str = ""

    @property
    def B(self) -> int:
        return len(self.X)

    def params(self):
        """(name, value, is_bias) for every parameter, layer by layer."""
        for layer in self.layers:
            for i, row in enumerate(layer.W):
                for j, v in enumerate(row):
                    yield layer.Wn[i][j], v, False
            for i, v in enumerate(layer.b):
                yield layer.bn[i], v, True


def _val(rng, lo=-1.0, hi=1.0, digits=2):
    v = round(float(rng.uniform(lo, hi)), digits)
    return v if v != 0 else 0.1


def random_net(rng: np.random.Generator) -> Net:
    n_in = int(rng.integers(1, 4))
    n_hidden = int(rng.integers(1, 3))
    sizes = [int(rng.integers(1, 4)) for _ in range(n_hidden)]
    pairs = [
        ("sigmoid", "mse"), ("sigmoid", "squared_error"), ("sigmoid", "half_squared_error"),
        ("tanh", "mse"), ("tanh", "half_squared_error"), ("relu", "squared_error"),
        ("identity", "mse"), ("identity", "half_squared_error"), ("softmax", "mse"),
        ("softmax", "half_squared_error"), ("sigmoid", "bce"), ("softmax", "cross_entropy"),
        ("sigmoid", "cross_entropy"), ("softmax", "bce"),
    ]
    out_act, loss = pairs[int(rng.integers(len(pairs)))]
    K = int(rng.integers(2, 4)) if out_act == "softmax" else int(rng.integers(1, 4))
    sizes.append(K)
    acts = [HIDDEN_ACTS[int(rng.integers(4))] for _ in range(n_hidden)] + [out_act]
    named_params = bool(rng.integers(2))
    named_neurons = bool(rng.integers(2))
    B = int(rng.integers(1, 4))
    layers = []
    prev = n_in
    wcount = bcount = 0
    for li, (size, act) in enumerate(zip(sizes, acts)):
        W = [[_val(rng) for _ in range(prev)] for _ in range(size)]
        b = [_val(rng) for _ in range(size)]
        if named_params:
            Wn = []
            for i in range(size):
                Wn.append([f"w{wcount + k + 1}" for k in range(prev)])
                wcount += prev
            if rng.uniform() < 0.3:  # one bias shared by the layer's neurons (Mazur's b1)
                bn = [f"b{bcount + 1}"] * size
                b = [b[0]] * size
                bcount += 1
            else:
                bn = [f"b{bcount + i + 1}" for i in range(size)]
                bcount += size
        else:
            Wn = [[f"W{li + 1}[{i + 1},{j + 1}]" for j in range(prev)] for i in range(size)]
            bn = [f"b{li + 1}[{i + 1}]" for i in range(size)]
        last = li == len(sizes) - 1
        if named_neurons:
            names = [f"{'out' if last else 'hid' + str(li + 1) + '_'}{chr(97 + i)}" for i in range(size)]
        elif last:
            names = [f"o{i + 1}" for i in range(size)]
        elif n_hidden == 1:
            names = [f"h{i + 1}" for i in range(size)]
        else:
            names = [f"h{li + 1}_{i + 1}" for i in range(size)]
        layers.append(Layer(act, W, b, Wn, bn, names))
        prev = size
    X = [[_val(rng, -1, 1) for _ in range(n_in)] for _ in range(B)]
    if loss == "cross_entropy" and out_act == "softmax":
        T = [[1.0 if k == int(c) else 0.0 for k in range(K)] for c in rng.integers(0, K, B)]
    elif loss in ("bce", "cross_entropy") or out_act in ("sigmoid", "softmax"):
        T = [[round(float(rng.uniform(0, 1)), 2) for _ in range(K)] for _ in range(B)]
    else:
        T = [[_val(rng, -1, 1) for _ in range(K)] for _ in range(B)]
    reduction = "mean" if rng.integers(2) else "sum"
    lr = [0.1, 0.5, 0.25, 1.0, 0.05][int(rng.integers(5))]
    net = Net(layers, X, T, loss, reduction, lr)
    if rng.uniform() < 0.4:
        all_names = [p for p, _, _ in net.params()]
        k = int(rng.integers(1, min(3, len(all_names)) + 1))
        net.frozen = {all_names[i] for i in rng.choice(len(all_names), k, replace=False)}
    net.yaml_text = to_yaml(net, named_params, named_neurons)
    return net


def to_yaml(net: Net, named_params: bool, named_neurons: bool) -> str:
    def entries(vals, names):
        return [{n: v} for v, n in zip(vals, names)] if named_params else list(vals)

    layers = []
    for layer in net.layers:
        d = {
            "activation": layer.act,
            "weights": [entries(r, n) for r, n in zip(layer.W, layer.Wn)],
            "biases": entries(layer.b, layer.bn),
        }
        if named_neurons:
            d["names"] = layer.names
        layers.append(d)
    spec = {
        "inputs": net.X,
        "targets": net.T,
        "layers": layers,
        "loss": net.loss,
        "reduction": net.reduction,
        "learning_rate": net.lr,
    }
    if net.frozen:
        spec["frozen"] = sorted(net.frozen)
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


# ---------------------------------------------------------------- the computation


def _f(act, z):
    if act == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if act == "tanh":
        return math.tanh(z)
    if act == "relu":
        return z if z > 0 else 0.0
    return z


def _df(act, z, a):
    if act == "sigmoid":
        return a * (1 - a)
    if act == "tanh":
        return 1 - a * a
    if act == "relu":
        return 1.0 if z > 0 else 0.0
    return 1.0


@dataclass
class Q:
    """One quantity a student can write: canonical key, value, the keys it is computed from."""

    key: str
    value: float
    deps: list[str]
    per_sample: bool = False


def compute(net: Net, mistake: str | None = None, rnd: int | None = None) -> dict[str, Q]:
    """Every quantity of one step, in the order of the computation, keyed canonically.

    `mistake` is one of MISTAKES (the student's version); `rnd` rounds every recorded
    quantity to that many decimals before it is used again (docs/check.md `--round`)."""

    def r(v):
        return round_half_up(v, rnd) if rnd is not None else float(v)

    L = len(net.layers)
    B = net.B
    K = len(net.layers[-1].b)
    out: dict[str, Q] = {}

    def sk(n):
        return f"[{n + 1}]"

    def put(key, value, deps, per_sample=False):
        out[key] = Q(key, value, deps, per_sample)
        return value

    # forward
    A = [[list(x) for x in net.X]]  # A[l][n][i], l = 0 is the input
    Z = [None]
    prev_names = [None] * len(net.X[0])  # inputs carry no answers
    for li, layer in enumerate(net.layers):
        Zl, Al = [], []
        for n in range(B):
            zs = []
            for i, nm in enumerate(layer.names):
                z = sum(w * a for w, a in zip(layer.W[i], A[-1][n])) + layer.b[i]
                deps = [f"{p}{sk(n)}" for p in prev_names if p]
                zs.append(put(f"z_{nm}{sk(n)}", r(z), deps, True))
            if layer.act == "softmax":
                m = max(zs)
                e = [math.exp(z - m) for z in zs]
                s_ = sum(e)
                acts = [r(v / s_) for v in e]
                for nm, a in zip(layer.names, acts):
                    put(f"{nm}{sk(n)}", a, [f"z_{x}{sk(n)}" for x in layer.names], True)
            else:
                acts = []
                for nm, z in zip(layer.names, zs):
                    acts.append(put(f"{nm}{sk(n)}", r(_f(layer.act, z)), [f"z_{nm}{sk(n)}"], True))
            Zl.append(zs)
            Al.append(acts)
        Z.append(Zl)
        A.append(Al)
        prev_names = layer.names
    outl = net.layers[-1]
    # loss
    losses = []
    for n in range(B):
        terms = []
        for k, nm in enumerate(outl.names):
            y, t = A[-1][n][k], net.T[n][k]
            if net.loss == "squared_error":
                v = (y - t) ** 2
            elif net.loss == "half_squared_error":
                v = 0.5 * (y - t) ** 2
            elif net.loss == "mse":
                v = (y - t) ** 2 / K
            elif net.loss == "bce":
                v = -(t * math.log(y) + (1 - t) * math.log(1 - y)) / K
            else:
                v = -t * math.log(y) if t else 0.0
            # the ids name the factor left out: factor_2 leaves out a 2 (half the value),
            # factor_half leaves out a ½ (twice the value)
            v *= {"factor_2_loss": 0.5, "factor_half_loss": 2.0}.get(mistake, 1.0)
            v *= _output_scale(net, mistake, "loss")
            terms.append(put(f"loss_{nm}{sk(n)}", r(v), [f"{nm}{sk(n)}"], True))
        ln = r(sum(terms))
        losses.append(put(f"loss{sk(n)}", ln, [f"loss_{nm}{sk(n)}" for nm in outl.names], True))
    red = net.reduction
    loss_red = red
    if mistake == "reduction_loss" or _batch_swapped(net, mistake):
        loss_red = "sum" if red == "mean" else "mean"
    put("loss", r(sum(losses) / (B if loss_red == "mean" else 1)), [f"loss{sk(n)}" for n in range(B)])

    # backward, top layer first; new values of a layer are known before the layer below
    new: dict[str, float] = {}
    delta = [None] * (L + 1)  # delta[l][n][i]
    grad_red = red
    if mistake == "reduction_grad" or _batch_swapped(net, mistake):
        grad_red = "sum" if red == "mean" else "mean"
    no_deriv = set()
    if mistake and mistake.startswith("no_derivative:"):
        which = mistake.split(":")[1]
        no_deriv = set(range(L)) if which == "all" else {int(which)}
    for li in range(L, 0, -1):
        layer = net.layers[li - 1]
        fused = (layer.act, net.loss) in {("sigmoid", "bce"), ("softmax", "cross_entropy"),
                                          ("sigmoid", "cross_entropy")}
        Dl = []
        for n in range(B):
            ys = A[li][n]
            if li == L:
                ts = net.T[n]
                g = []
                for k, (y, t) in enumerate(zip(ys, ts)):
                    if net.loss == "squared_error":
                        v = 2 * (y - t)
                    elif net.loss == "half_squared_error":
                        v = y - t
                    elif net.loss == "mse":
                        v = 2 * (y - t) / K
                    elif net.loss == "bce":
                        v = (y - t) / (K * y * (1 - y))
                    else:
                        v = -t / y
                    if mistake == "factor_2_grad":
                        v *= 0.5
                    elif mistake == "factor_half_grad":
                        v *= 2
                    elif mistake == "sign_grad":
                        v = -v
                    g.append(v * _output_scale(net, mistake, "grad"))
                g = [r(v) for v in g]
                for nm, v in zip(layer.names, g):
                    put(f"dL/d{nm}{sk(n)}", v, [f"{nm}{sk(n)}"], True)
            else:
                above = net.layers[li]
                g = []
                for h, nm in enumerate(layer.names):
                    s_ = 0.0
                    for j in range(len(above.names)):
                        w = above.W[j][h]
                        if mistake == "updated_weights":
                            w = new[above.Wn[j][h]]
                        if mistake == f"transposed:{li}":  # the square matrix read as Wᵀ
                            w = above.W[h][j]
                        if mistake == f"dropped_path:{li}:{j}":
                            continue
                        s_ += delta[li + 1][n][j] * w  # the sum is rounded, not its terms
                    g.append(put(f"dL/d{nm}{sk(n)}", r(s_),
                                 [f"delta_{x}{sk(n)}" for x in above.names], True))
            # da/dz and delta
            if layer.act != "softmax":
                d = [r(_df_as(net, li - 1, mistake, Z[li][n][i], ys[i])) for i in range(len(ys))]
                for nm, v in zip(layer.names, d):
                    put(f"d{nm}/dz_{nm}{sk(n)}", v, [f"{nm}{sk(n)}"], True)
            sign = -1 if mistake == "sign_grad" else 1
            sign *= _output_scale(net, mistake, "grad")
            if mistake == "softmax_diagonal" and layer.act == "softmax":
                dl = [r(gi * a * (1 - a)) for gi, a in zip(g, ys)]
            elif fused and li == L:
                ts = net.T[n]
                if layer.act == "sigmoid" and net.loss == "bce":
                    dl = [(y - t) / K for y, t in zip(ys, ts)]
                elif layer.act == "softmax":
                    dl = [y * sum(ts) - t for y, t in zip(ys, ts)]
                else:
                    dl = [t * (y - 1) for y, t in zip(ys, ts)]
                dl = [r(sign * v) for v in dl]
            elif layer.act == "softmax":
                s_ = sum(gj * aj for gj, aj in zip(g, ys))
                dl = [r(a * (gi - s_)) for a, gi in zip(ys, g)]
            elif (li - 1) in no_deriv:
                dl = list(g)
            else:
                dl = [r(gi * di) for gi, di in zip(g, d)]
            for nm, i_v in zip(layer.names, dl):
                if layer.act == "softmax":  # every output of the layer enters each delta
                    deps_d = [f"{p}{x}{sk(n)}" for x in layer.names for p in ("dL/d", "")]
                else:
                    deps_d = [f"dL/d{nm}{sk(n)}", f"d{nm}/dz_{nm}{sk(n)}"]
                put(f"delta_{nm}{sk(n)}", i_v, deps_d, True)
            Dl.append(dl)
        delta[li] = Dl
        # gradients
        prev = net.layers[li - 2].names if li >= 2 else None
        # each parameter's slots: (the chain-rule product δ·input, its deps) per sample; a
        # tied parameter's per-sample gradient is the sum of its slots' products
        slots: dict[str, list] = {}
        biases = set(layer.bn)
        for i, nm in enumerate(layer.names):
            for j in range(len(layer.W[i])):
                slots.setdefault(layer.Wn[i][j], []).append(
                    [(r(Dl[n][i] * A[li - 1][n][j]),
                      [f"delta_{nm}{sk(n)}"] + ([f"{prev[j]}{sk(n)}"] if prev else []))
                     for n in range(B)])
            slots.setdefault(layer.bn[i], []).append(
                [(Dl[n][i], [f"delta_{nm}{sk(n)}"]) for n in range(B)])
        grads = {}
        for p, ss in slots.items():
            per = [put(f"dL/d{p}{sk(n)}", r(_tied_sum(mistake, [s_[n][0] for s_ in ss])),
                       [d for s_ in ss for d in s_[n][1]], True) for n in range(B)]
            grads[p] = (per, p in biases)
        for p, (per, is_bias) in grads.items():
            g = put(f"dL/d{p}", r(sum(per) / (B if grad_red == "mean" else 1)),
                    [f"dL/d{p}{sk(n)}" for n in range(B)])
            old = dict((q, v) for q, v, _ in net.params())[p]
            frozen = p in net.frozen
            if frozen and mistake != "frozen_updated":
                nv, deps = old, []
            elif is_bias and mistake == "bias_not_updated":
                nv, deps = old, [f"dL/d{p}"]
            elif mistake == "sign_update":
                nv, deps = r(old + net.lr * g), [f"dL/d{p}"]
            else:
                nv, deps = r(old - net.lr * g), [f"dL/d{p}"]
            new[p] = nv
            put(f"{p}_new", nv, [] if frozen else deps)
    return out


def _df_as(net: Net, li: int, mistake: str | None, z: float, a: float) -> float:
    """∂a/∂z of layer li (0-based) as a student making `mistake` computes it."""
    act = net.layers[li].act
    if mistake == f"derivative_at_a:{li}":
        return _df(act, a, _f(act, a))
    if mistake and mistake.startswith(f"wrong_derivative:{li}:"):
        return _df(net.layers[int(mistake.split(":")[2])].act, z, a)
    if mistake == "kink_right" and act == "relu" and z == 0:
        return 1.0
    return _df(act, z, a)


def _output_scale(net: Net, mistake: str | None, what: str) -> float:
    """The factor a loss-convention mistake puts on every loss term (`loss`) or ∂ℓ/∂y (`grad`)."""
    if mistake == f"log10_{what}":
        return 1 / math.log(10)
    if mistake == "torch_mse":  # torch's MSELoss: the mean over outputs of (y − t)², no ½
        K = len(net.layers[-1].b)
        return (1 / K) / {"squared_error": 1.0, "half_squared_error": 0.5, "mse": 1 / K}[net.loss]
    return 1.0


def _batch_swapped(net: Net, mistake: str | None) -> bool:
    return mistake == "torch_mse" and net.reduction == "sum" and net.B > 1


def _tied_sum(mistake: str | None, entries: list[float]) -> float:
    """A parameter's per-sample gradient from its entries' products (a tied one has several)."""
    if mistake == "tied_mean":
        return sum(entries) / len(entries)
    if mistake and mistake.startswith("tied_entry:") and len(entries) > int(mistake[11:]):
        return entries[int(mistake[11:])]
    return sum(entries)


def more_mistakes_for(net: Net) -> list[str]:
    """The mistakes docs/check.md added for issue 18 that apply to this network (ids as check names them)."""
    L = len(net.layers)
    acts = [layer.act for layer in net.layers]
    out = []
    for li, act in enumerate(acts):
        if act in ("sigmoid", "tanh"):
            out.append(f"derivative_at_a:{li}")
        for other, o_act in enumerate(acts):
            if (other != li and act != "softmax" and o_act not in ("softmax", "identity", act)
                    and o_act not in acts[:other]):
                out.append(f"wrong_derivative:{li}:{other}")
    if "softmax" in acts:
        out.append("softmax_diagonal")
    for li in range(1, L):
        K = len(net.layers[li].b)
        if 2 <= K <= 4:
            out += [f"dropped_path:{li}:{j}" for j in range(K)]
        if K == len(net.layers[li - 1].b) > 1:
            out.append(f"transposed:{li}")
    if net.loss in ("bce", "cross_entropy"):
        out += ["log10_loss", "log10_grad"]
    if net.loss in SQUARED and _output_scale(net, "torch_mse", "loss") != 1:
        out.append("torch_mse")
    counts: dict[str, int] = {}
    for p, _, _ in net.params():
        counts[p] = counts.get(p, 0) + 1
    if max(counts.values()) > 1:
        out += ["tied_mean"] + [f"tied_entry:{r}" for r in range(min(max(counts.values()), 4))]
    return out


def ancestors(qs: dict[str, Q]) -> dict[str, set[str]]:
    memo: dict[str, set[str]] = {}

    def go(k):
        if k not in memo:
            s: set[str] = set()
            for d in qs[k].deps:
                if d in qs:
                    s.add(d)
                    s |= go(d)
            memo[k] = s
        return memo[k]

    for k in qs:
        go(k)
    return memo


def mistakes_for(net: Net) -> list[tuple[str, str]]:
    """(planted mistake, the cause id check should name) that apply to this network."""
    L = len(net.layers)
    out = [("updated_weights", "updated_weights"), ("sign_grad", "sign_grad"),
           ("sign_update", "sign_update"), ("bias_not_updated", "bias_not_updated"),
           ("sign", "sign")]
    fused = (net.layers[-1].act, net.loss) in {("sigmoid", "bce"), ("softmax", "cross_entropy"),
                                               ("sigmoid", "cross_entropy")}
    for li, layer in enumerate(net.layers):
        if layer.act == "softmax" or (li == L - 1 and fused):
            continue
        out.append((f"no_derivative:{li}", f"no_derivative:{li}"))
    if not fused and net.layers[-1].act != "softmax":
        out.append(("no_derivative:all", "no_derivative:all"))
    if net.loss in SQUARED:
        out += [(m, m) for m in ("factor_2_grad", "factor_half_grad", "factor_2_loss",
                                 "factor_half_loss")]
    if net.B > 1:
        out += [("reduction_loss", "reduction"), ("reduction_grad", "reduction")]
    if net.frozen:
        out.append(("frozen_updated", "frozen_updated"))
    return out


# ---------------------------------------------------------------- writing answers

ALIASES_A = ["{n}", "a_{n}", "out_{n}"]
ALIASES_Z = ["z_{n}", "net_{n}"]
ALIASES_D = ["dL/d", "dE/d", "dE_total/d", "∂L/∂", "∂E_total/∂"]


def spell(q: Q, rng: np.random.Generator, B: int) -> str:
    """A spelling of a canonical key a textbook might use (docs/check.md's table)."""
    base, sample = q.key, ""
    if q.per_sample:
        i = q.key.rindex("[")
        base, sample = q.key[:i], q.key[i:]
        if B == 1 and rng.uniform() < 0.7:
            sample = ""
    pick = int(rng.integers(3))
    if base.startswith("z_"):
        return ALIASES_Z[pick % 2].format(n=base[2:]) + sample
    if base.startswith("delta_"):
        n = base[6:]
        return ["delta_{n}", "δ_{n}", "dE/dz_{n}"][pick].format(n=n) + sample
    if base.startswith("dL/d") and "/dz_" not in base:
        d = ALIASES_D[int(rng.integers(len(ALIASES_D)))]
        return d + base[4:] + sample
    if base.endswith("_new"):
        p = base[:-4]
        return [f"{p}_new", f"new_{p}", f"{p}+"][pick]
    return base + sample


def answer_keys(qs: dict[str, Q], B: int) -> list[str]:
    """Every quantity a student may write; with one sample, the per-sample loss and gradients
    are the batch's own (the same quantity), so only the batch ones are kept."""
    keys = []
    for k, q in qs.items():
        if B == 1 and q.per_sample and (k.startswith("loss[") or
                                        (k.startswith("dL/d") and "[" in k and
                                         k[:k.rindex("[")] in qs and not qs[k[:k.rindex("[")]].per_sample)):
            continue
        keys.append(k)
    return keys


def fmt(v: float, d: int) -> str:
    s = f"{v:.{d}f}"
    return s


@dataclass
class Written:
    key: str  # canonical
    text: str
    value: float


def write(qs: dict[str, Q], keys: list[str], decimals: list[int]) -> list[Written]:
    return [Written(k, fmt(qs[k].value, d), float(fmt(qs[k].value, d)))
            for k, d in zip(keys, decimals)]


def is_right(text: str, correct: float) -> bool | None:
    """The documented verdict (half a unit of the last decimal written); None if too close to
    the boundary to call with floating point."""
    d = len(text.split(".")[1]) if "." in text else 0
    tol = 0.5 * 10.0**-d
    diff = abs(float(text) - correct)
    if abs(diff - tol) < 1e-9 * max(1.0, abs(correct)):
        return None
    return diff <= tol


def answers_yaml(written: list[Written], spellings: dict[str, str]) -> str:
    return "".join(f'"{spellings[w.key]}": {w.text}\n' for w in written)
