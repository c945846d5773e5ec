"""backcalc against an independent reference (tests/xref_reference.py: PyTorch autograd and
torch.optim in float64, and exact fractions by hand), through the real CLI's JSON, on random
specs over the documented space; and the documented JSON keys and their meaning."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest
from conftest import cli, cli_json, cli_jsonl
from xref_reference import Case, FracRef, TorchRef, random_case, write_spec

try:  # the PyTorch comparisons need torch (`make test WITH_TORCH=1`); the rest runs without it
    import torch  # noqa: F401

    needs_torch = pytest.mark.skipif(False, reason="")
except ImportError:
    needs_torch = pytest.mark.skip(reason="PyTorch is not installed")

RTOL = 1e-10


def close(actual, expected, *, rtol=RTOL, scale=1.0, atol=0.0, what=""):
    """Elementwise |a − e| ≤ rtol·|e| + rtol·1e-3·scale (+ atol) (the second term only guards
    values that cancel to near zero)."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    bad = np.abs(a - e) > rtol * np.abs(e) + rtol * 1e-3 * scale + np.asarray(atol)
    assert not bad.any(), f"{what}: backcalc {a[bad]} != reference {e[bad]}"


def run_json(*args):
    return cli_json(*args, "--quiet")


def run_jsonl(*args):
    return cli_jsonl(*args, "--quiet")


def neuron_names(case: Case) -> list[list[str]]:
    n_layers = len(case.layers)
    out = []
    for li, layer in enumerate(case.layers):
        k = len(layer.bias_names)
        if layer.names:
            out.append(layer.names)
        elif li == n_layers - 1:
            out.append([f"o{i + 1}" for i in range(k)])
        elif n_layers == 2:
            out.append([f"h{i + 1}" for i in range(k)])
        else:
            out.append([f"h{li + 1}_{i + 1}" for i in range(k)])
    return out


def fused(case: Case, li: int) -> bool:
    last = li == len(case.layers) - 1
    act = case.layers[li].activation
    return last and (act == "softmax" or (act == "sigmoid" and case.loss in ("bce", "cross_entropy")))


def slot_of(slot: str):
    """`layers[1].weights[0][2]` → (1, 'w', 0, 2); `layers[0].biases[1]` → (0, 'b', 1, None)."""
    head, rest = slot.split(".", 1)
    li = int(head[len("layers["):-1])
    parts = [int(p) for p in rest[rest.index("[") + 1:-1].split("][")]
    if rest.startswith("weights"):
        return li, "w", parts[0], parts[1]
    return li, "b", parts[0], None


def check_step(case: Case, d: dict, ref: dict) -> None:
    idx = case.batches()[0]
    n = len(idx)
    assert d["batch"] == idx
    assert d["loss_function"] == case.loss and d["reduction"] == case.reduction
    close(d["learning_rate"], case.lr, what="learning_rate")
    close(d["loss"], ref["loss"], what="loss")
    close(d["losses"], ref["losses"], what="losses")
    close(d["mean_sample_loss"], np.mean(ref["losses"]), what="mean_sample_loss")
    close(d["inputs"], case.X[idx], what="inputs")
    close(d["targets"], case.T[idx], what="targets")
    close(d["output"], ref["a"][-1], what="output")
    names = neuron_names(case)
    grad, new, value = ref["grad"], ref["new"], ref["value"]
    gscale = max([abs(v) for v in grad.values()] + [1e-300])
    # a gradient that is 0 up to rounding has a sign that is noise, and Adam's step
    # η·m̂/(√v̂ + ε) turns noise of 1e-17 into a step of up to η·1e-9 (in any implementation)
    adam = case.opt_settings()["name"] != "sgd"
    slack = {n: case.lr * 1e-6 if adam and abs(g) <= 1e-13 * gscale else 0.0 for n, g in grad.items()}
    assert len(d["layers"]) == len(case.layers)
    for li, (L, layer) in enumerate(zip(d["layers"], case.layers)):
        w = f"layers[{li}]"
        assert L["index"] == li
        assert L["activation"] in ({"identity", "linear"} if layer.activation in ("identity", "linear")
                                   else {layer.activation}), w
        assert L["neurons"] == names[li], w
        for key in ("z", "a", "dL_da", "delta"):
            ref_v = ref[key][li]
            close(L[key], ref_v, scale=np.abs(ref_v).max() + 1e-300, what=f"{w}.{key}")
        if layer.activation == "softmax":
            assert L["da_dz"] is None
            close(L["jacobian"], ref["jacobian"][li], scale=1.0, what=f"{w}.jacobian")
        else:
            close(L["da_dz"], ref["da_dz"][li], scale=1.0, what=f"{w}.da_dz")
        if layer.activation == "leaky_relu":
            assert L["alpha"] == layer.slope
        assert L["weight_names"] == layer.weight_names
        assert L["bias_names"] == layer.bias_names
        close(L["weights"], [[value[p] for p in row] for row in layer.weight_names], what=f"{w}.weights")
        close(L["biases"], [value[p] for p in layer.bias_names], what=f"{w}.biases")
        close(L["grad_weights"], [[grad[p] for p in row] for row in layer.weight_names], scale=gscale,
              what=f"{w}.grad_weights")
        close(L["grad_biases"], [grad[p] for p in layer.bias_names], scale=gscale, what=f"{w}.grad_biases")
        close(L["new_weights"], [[new[p] for p in row] for row in layer.weight_names],
              atol=[[slack[p] for p in row] for row in layer.weight_names], what=f"{w}.new_weights")
        close(L["new_biases"], [new[p] for p in layer.bias_names], atol=[slack[p] for p in layer.bias_names],
              what=f"{w}.new_biases")
        # docs/json.md: ∂L/∂b of an untied bias is the column sum of `delta`
        for i, b in enumerate(layer.bias_names):
            if sum(row.count(b) for ly in case.layers for row in ly.weight_names) == 0 and \
                    sum(ly.bias_names.count(b) for ly in case.layers) == 1:
                close(sum(r[i] for r in L["delta"]), L["grad_biases"][i], scale=gscale, what=f"{w} Σδ")

    assert [p["name"] for p in d["parameters"]] == list(case.values)
    for p in d["parameters"]:
        name = p["name"]
        close(p["value"], value[name], what=f"{name}.value")
        close(p["grad"], grad[name], scale=gscale, what=f"{name}.grad")
        close(p["new"], new[name], atol=slack[name], what=f"{name}.new")
        assert p["frozen"] == (name in case.frozen)
        if name in case.frozen:
            assert p["new"] == p["value"] and p["update"] == []
            assert p["state"] == {"before": None, "after": None}
        else:
            assert p["update"][-1]["name"] == "param"
            close(p["update"][-1]["value"], new[name], atol=slack[name], what=f"{name}.update[param]")
            for when in ("before", "after"):
                mine = ref[f"state_{when}"].get(name)
                theirs = p["state"][when]
                if not mine:
                    assert theirs is None, f"{name}.state.{when}: {theirs}"
                else:
                    assert set(theirs) == set(mine), f"{name}.state.{when}"
                    for k in mine:
                        close(theirs[k], mine[k], scale=gscale, what=f"{name}.state.{when}.{k}")
        # the derivation: one term per slot, factors multiplying to it, per-sample values
        slots = [(li, "w", i, j) for li, ly in enumerate(case.layers)
                 for i, row in enumerate(ly.weight_names) for j, q in enumerate(row) if q == name]
        slots += [(li, "b", i, None) for li, ly in enumerate(case.layers)
                  for i, q in enumerate(ly.bias_names) if q == name]
        assert sorted(map(str, (slot_of(t["slot"]) for t in p["terms"]))) == sorted(map(str, slots)), name
        close(sum(t["contribution"] for t in p["terms"]), grad[name], scale=gscale, what=f"{name} Σ terms")
        for ti, t in enumerate(p["terms"]):
            li, kind, i, j = slot_of(t["slot"])
            prev = [case.X[k] for k in idx] if li == 0 else ref["a"][li - 1]
            dz_p = [1.0 if kind == "b" else float(np.asarray(prev[s])[j]) for s in range(n)]
            if fused(case, li):
                first = [float(ref["ps_delta"][s][li][i]) for s in range(n)]
                expected = [first, dz_p]
            else:
                first = [float(ref["ps_dL_da"][s][li][i]) for s in range(n)]
                da = [float(ref["da_dz"][li][s][i]) for s in range(n)]
                expected = [first, da, dz_p]
            facs = [f["value"] for f in p["factors"] if f["term"] == ti]
            assert len(facs) == len(expected), f"{name} term {ti}: {len(facs)} factors"
            for got, want in zip(facs, expected):
                got = [got] if n == 1 else got
                close(got, want, scale=max(map(abs, want)) + 1e-300, what=f"{name} term {ti} factor")
            product = [float(np.prod(col)) for col in zip(*expected)]
            tp = [t["product"]] if n == 1 else t["product"]
            close(tp, product, scale=max(map(abs, product)) + 1e-300, what=f"{name} term {ti} product")
            red = np.mean(product) if case.reduction == "mean" else np.sum(product)
            close(t["contribution"], red, scale=gscale, what=f"{name} term {ti} contribution")


# XREF_SCALE=10 runs ten times as many random specs (a deeper sweep; the default stays fast)
SCALE = int(os.environ.get("XREF_SCALE", "1"))
CASES = 36 * SCALE


@needs_torch
@pytest.mark.parametrize("seed", range(CASES))
def test_step_matches_torch(seed, tmp_path):
    rng = np.random.default_rng(1000 + seed)
    case = random_case(rng, tmp=tmp_path)
    path = write_spec(case, tmp_path)
    d = run_json("step", path)
    ref = TorchRef(case).step(case.batches()[0])
    check_step(case, d, ref)


@needs_torch
@pytest.mark.parametrize("seed", [2026, 2030, 9038])  # specs whose inputs or target is a bare number
def test_step_matches_torch_bare_numbers(seed, tmp_path):
    case = random_case(np.random.default_rng(seed), tmp=tmp_path)
    assert isinstance(case.spec.get("inputs"), float) or isinstance(case.spec.get("target"), float)
    check_step(case, run_json("step", write_spec(case, tmp_path)), TorchRef(case).step(case.batches()[0]))


@needs_torch
@pytest.mark.parametrize("seed", range(6 * SCALE))
def test_per_sample_json_matches_torch(seed, tmp_path):
    rng = np.random.default_rng(2000 + seed)
    case = random_case(rng, tmp=tmp_path)
    d = run_json("step", write_spec(case, tmp_path), "--per-sample")
    ref = TorchRef(case).step(case.batches()[0])
    ps = d["per_sample"]
    idx = case.batches()[0]
    assert ps["reduction"] == case.reduction
    close(ps["losses"], ref["losses"], what="per_sample.losses")
    names = neuron_names(case)
    for li in range(len(case.layers)):
        for i, nm in enumerate(names[li]):
            close(ps["dL_da"][nm], [ref["ps_dL_da"][s][li][i] for s in range(len(idx))], scale=1.0,
                  what=f"per_sample.dL_da.{nm}")
            close(ps["delta"][nm], [ref["ps_delta"][s][li][i] for s in range(len(idx))], scale=1.0,
                  what=f"per_sample.delta.{nm}")
    for p in case.values:
        close(ps["grad"][p], [ref["ps_grad"][s][p] for s in range(len(idx))], scale=1.0, what=f"per_sample.grad.{p}")
        close(ps["reduced_grad"][p], ref["grad"][p], scale=1.0, what=f"per_sample.reduced_grad.{p}")


def growth(records) -> float:
    """How much the loss grew over the run: rounding differences grow with it, so a diverging
    run is compared less tightly (no two implementations agree to 1e-10 there)."""
    losses = [r["loss"] for r in records if np.isfinite(r["loss"])]
    return max([1.0] + [v / losses[0] for v in losses if losses[0] > 0])


@needs_torch
@pytest.mark.parametrize("seed", range(20 * SCALE))
def test_train_matches_torch(seed, tmp_path):
    rng = np.random.default_rng(3000 + seed)
    case = random_case(rng, tmp=tmp_path)
    epochs = int(rng.integers(1, 7))
    r = cli("train", write_spec(case, tmp_path), "--epochs", str(epochs), "--json", "--quiet")
    with np.errstate(all="ignore"):
        ref = TorchRef(case).train(epochs)
    if ref["stopped"]:  # diverges: stops naming the epoch, reporting the last complete one
        assert r.exit_code == 1, r.stderr
        assert f"in epoch {ref['stopped']} " in r.stderr
    else:
        assert r.exit_code == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    records, final = lines[:-1], lines[-1]["final"]
    done = len(ref["records"])
    rtol = 1e-10 * growth(ref["records"])
    assert [r["epoch"] for r in records] == list(range(1, done + 1))
    for r, m in zip(records, ref["records"]):
        for k in ("loss", "loss_min", "loss_max", "mean_sample_loss"):
            close(r[k], m[k], rtol=rtol, what=f"epoch {r['epoch']} {k}")
    assert final["epochs"] == done
    assert {"epochs", "loss", "output", "layers", "parameters"} <= set(final)
    assert list(final["parameters"]) == list(case.values)
    close(list(final["parameters"].values()), list(ref["parameters"].values()), rtol=rtol, what="final.parameters")
    for li, (L, layer) in enumerate(zip(final["layers"], case.layers)):
        close(L["weights"], [[ref["parameters"][p] for p in row] for row in layer.weight_names], rtol=rtol)
        close(L["biases"], [ref["parameters"][p] for p in layer.bias_names], rtol=rtol)
    if np.isfinite(ref["loss"]):
        close(final["loss"], ref["loss"], rtol=rtol, what="final.loss")
        close(final["output"], ref["output"], rtol=rtol, what="final.output")


@needs_torch
@pytest.mark.parametrize("seed", range(6 * SCALE))
def test_forward_matches_torch(seed, tmp_path):
    rng = np.random.default_rng(4000 + seed)
    case = random_case(rng, tmp=tmp_path)
    path = write_spec(case, tmp_path)
    ref = TorchRef(case)
    d = run_json("forward", path)
    zs, as_ = ref.forward(case.X)
    for L, z, a in zip(d["layers"], zs, as_):
        close(L["z"], z.detach().numpy(), scale=1.0)
        close(L["a"], a.detach().numpy(), scale=1.0)
    close(d["output"], as_[-1].detach().numpy())
    other = rng.uniform(-2, 2, size=(3, case.X.shape[1])).round(3)
    d = run_json("forward", path, "--inputs", json.dumps(other.tolist()))
    zs, as_ = ref.forward(other)
    close(d["inputs"], other)
    for L, z, a in zip(d["layers"], zs, as_):
        close(L["z"], z.detach().numpy(), scale=1.0)
        close(L["a"], a.detach().numpy(), scale=1.0)


@needs_torch
@pytest.mark.parametrize("seed", range(6 * SCALE))
def test_gradcheck_agrees_with_torch(seed, tmp_path):
    rng = np.random.default_rng(5000 + seed)
    case = random_case(rng, tmp=tmp_path)
    r = cli("gradcheck", write_spec(case, tmp_path), "--json", "--quiet")
    d = json.loads(r.stdout)
    ref = TorchRef(case).step(case.batches()[0])
    scale = max(abs(v) for v in ref["grad"].values())
    for p in d["parameters"]:
        close(p["analytic"], ref["grad"][p["name"]], scale=scale, what=p["name"])
        close(p["torch"], ref["grad"][p["name"]], rtol=1e-10, scale=scale, what=p["name"])
    assert r.exit_code == (0 if d["ok"] else 1)
    assert d["ok"], [p for p in d["parameters"] if p["verdict"] != "agree"]


# -- exact arithmetic ----------------------------------------------------------------------


def fr(x) -> Fraction:
    assert isinstance(x, str), f"--exact JSON holds strings, got {x!r}"
    return Fraction(x)


@pytest.mark.parametrize("seed", range(16 * SCALE))
def test_exact_step_equals_fractions(seed, tmp_path):
    rng = np.random.default_rng(6000 + seed)
    case = random_case(rng, exact=True)
    d = run_json("step", write_spec(case, tmp_path), "--exact")
    assert d["exact"] is True
    ref = FracRef(case).step(case.batches()[0])
    n = len(case.batches()[0])
    assert fr(d["loss"]) == ref["loss"]
    assert [fr(v) for v in d["losses"]] == ref["losses"]
    for li, L in enumerate(d["layers"]):
        for key in ("z", "a", "dL_da", "delta"):
            assert [[fr(v) for v in row] for row in L[key]] == [ref[key][s][li] for s in range(n)], (li, key)
    for p in d["parameters"]:
        assert fr(p["grad"]) == ref["grad"][p["name"]], p["name"]
        assert fr(p["new"]) == ref["new"][p["name"]], p["name"]
        buf = (p["state"]["after"] or {}).get("momentum_buffer")
        if buf is not None:
            assert fr(buf) == ref["buf"][p["name"]]


@pytest.mark.parametrize("seed", range(8 * SCALE))
def test_exact_train_equals_fractions(seed, tmp_path):
    rng = np.random.default_rng(7000 + seed)
    case = random_case(rng, exact=True)
    ref = FracRef(case).train(2)
    r = cli("train", write_spec(case, tmp_path), "--exact", "--epochs", "2", "--json", "--quiet")
    assert r.exit_code == (0 if ref["stopped"] is None else 1), r.stderr
    if ref["stopped"] is not None:
        assert f"in epoch {ref['stopped']} " in r.stderr and "200 digits" in r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) - 1 == len(ref["records"])
    for r, m in zip(lines[:-1], ref["records"]):
        for k in ("loss", "loss_min", "loss_max", "mean_sample_loss"):
            assert fr(r[k]) == m[k], (r["epoch"], k)
    final = lines[-1]["final"]
    assert {k: fr(v) for k, v in final["parameters"].items()} == ref["parameters"]


def test_exact_relu_kink_and_leaky_slope(tmp_path):
    """z exactly 0: relu's derivative is 0 there, leaky_relu's is α (docs/spec.md)."""
    spec = tmp_path / "kink.yaml"
    spec.write_text(
        "inputs: [[1, 2], [0.5, -1]]\ntargets: [[0.3], [-0.2]]\nlayers:\n"
        "  - {activation: relu, weights: [[0.2, -0.1], [0.4, 0.2]], biases: [0, -0.4]}\n"
        "  - {activation: leaky_relu, alpha: 0.25, weights: [[1.0, 1.5]], biases: [-0.3]}\n"
        "loss: squared_error\nreduction: sum\nlearning_rate: 0.1\n")
    d = run_json("step", spec, "--exact")
    # sample 1: z_h1 = 0.2 − 0.2 = 0 (relu kink); z_h2 = 0.4 + 0.4 − 0.4 = 0.4 → z_o1 = 0.6 − 0.3 = 0.3
    # sample 2: z_h1 = 0.1 + 0.1 = 0.2, z_h2 = 0.2 − 0.2 − 0.4 = −0.4 → z_o1 = 0.2 − 0.3 = −0.1
    h = d["layers"][0]
    assert [[fr(v) for v in row] for row in h["z"]] == [[0, Fraction(2, 5)], [Fraction(1, 5), Fraction(-2, 5)]]
    assert [[fr(v) for v in row] for row in h["da_dz"]] == [[0, 1], [1, 0]]
    o = d["layers"][1]
    assert [[fr(v) for v in row] for row in o["da_dz"]] == [[1], [Fraction(1, 4)]]
    # ℓ₂ = (−0.025 − (−0.2))² ; δ₂ = 2·0.175·0.25
    assert fr(o["a"][1][0]) == Fraction(-1, 40)
    assert fr(o["delta"][1][0]) == 2 * Fraction(7, 40) * Fraction(1, 4)


# -- what docs/json.md promises ---------------------------------------------------------------


STEP_KEYS = {"name", "loss", "losses", "mean_sample_loss", "loss_function", "reduction",
             "learning_rate", "batch", "inputs", "targets", "output", "layers", "parameters",
             "warnings", "optimizer"}
LAYER_KEYS = {"index", "activation", "neurons", "z", "a", "dL_da", "da_dz", "delta", "weights",
              "biases", "weight_names", "bias_names", "grad_weights", "grad_biases", "new_weights",
              "new_biases"}
PARAM_KEYS = {"name", "value", "grad", "new", "frozen", "terms", "factors", "state", "update"}


@pytest.mark.parametrize("seed", range(4 * SCALE))
def test_documented_keys_present(seed, tmp_path):
    rng = np.random.default_rng(8000 + seed)
    case = random_case(rng)
    d = run_json("step", write_spec(case, tmp_path), "--per-sample", "--round", "4")
    assert STEP_KEYS <= set(d)
    assert {"decimals", "quantities", "drifted"} <= set(d["hand_rounding"])
    for q in d["hand_rounding"]["quantities"]:
        assert {"quantity", "exact", "by_hand", "drift"} <= set(q)
    assert {"samples", "reduction", "losses", "dL_da", "delta", "grad", "reduced_grad"} <= set(d["per_sample"])
    assert {"name", "title", "learning_rate", "hyperparameters", "formulas"} <= set(d["optimizer"])
    for f in d["optimizer"]["formulas"]:
        assert {"symbol", "formula", "latex_symbol", "latex", "assign", "note"} <= set(f)
    for L, layer in zip(d["layers"], case.layers):
        extra = {"jacobian"} if layer.activation == "softmax" else set()
        extra |= {"alpha"} if layer.activation == "leaky_relu" else set()
        assert LAYER_KEYS | extra <= set(L)
    for p in d["parameters"]:
        assert PARAM_KEYS <= set(p)
        assert {"before", "after"} == set(p["state"])
        for t in p["terms"]:
            assert {"slot", "product", "contribution"} <= set(t)
        for f in p["factors"]:
            assert {"symbol", "value", "term"} <= set(f)
        for u in p["update"]:
            assert {"name", "symbol", "formula", "latex", "values", "before", "value"} <= set(u)
            assert u["name"] in {"grad", "decayed", "step", "momentum_buffer", "exp_avg",
                                 "exp_avg_sq", "m_hat", "v_hat", "param"}
    mean = case.reduction == "mean"
    close(d["loss"], np.mean(d["losses"]) if mean else np.sum(d["losses"]))


def test_batch_derivatives_carry_one_over_n(tmp_path):
    """docs/json.md: layer `delta`/`dL_da` are of the batch loss (× 1/N under mean), the
    factors and `per_sample` of each sample's own loss."""
    base = ("inputs: [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]\ntargets: [0.2, 0.9, 0.4]\nlayers:\n"
            "  - {activation: tanh, weights: [[0.3, -0.2], [0.1, 0.5]], biases: [0.1, -0.1]}\n"
            "  - {activation: sigmoid, weights: [[0.7, -0.4]], biases: [0.05]}\nloss: mse\n")
    (tmp_path / "mean.yaml").write_text(base + "reduction: mean\n")
    (tmp_path / "sum.yaml").write_text(base + "reduction: sum\n")
    m = run_json("step", tmp_path / "mean.yaml", "--per-sample")
    s = run_json("step", tmp_path / "sum.yaml", "--per-sample")
    for Lm, Ls in zip(m["layers"], s["layers"]):
        close(np.asarray(Lm["delta"]) * 3, Ls["delta"])
        close(np.asarray(Lm["dL_da"]) * 3, Ls["dL_da"])
    for nm, vals in s["per_sample"]["delta"].items():
        close(m["per_sample"]["delta"][nm], vals)
    for pm, ps in zip(m["parameters"], s["parameters"]):
        close(pm["grad"] * 3, ps["grad"])
        for fm, fs in zip(pm["factors"], ps["factors"]):
            close(fm["value"], fs["value"])


@needs_torch
@pytest.mark.parametrize("seed", range(6 * SCALE))
def test_save_and_resume_equals_one_run(seed, tmp_path):
    """docs/optimizers.md: N epochs, --save, M more from the saved spec equals N + M epochs
    bit for bit (optimizer state included), and both equal the reference."""
    rng = np.random.default_rng(9000 + seed)
    case = random_case(rng, tmp=tmp_path)
    path = write_spec(case, tmp_path)
    saved = tmp_path / "saved.yaml"
    with np.errstate(all="ignore"):
        ref = TorchRef(case).train(5)
    first = cli("train", path, "--epochs", "2", "--save", saved, "--quiet")
    direct = cli("train", path, "--epochs", "5", "--json", "--quiet")
    if ref["stopped"]:
        # diverges: the runs that reach it stop at NaN/inf (exit 1), with the last finite parameters
        assert direct.exit_code == 1 and first.exit_code == (1 if ref["stopped"] <= 2 else 0)
        return
    assert first.exit_code == 0, first.stderr
    resumed = cli("train", saved, "--epochs", "3", "--json", "--quiet")
    assert resumed.exit_code == direct.exit_code == 0, (resumed.stderr, direct.stderr)
    resumed = json.loads(resumed.stdout.splitlines()[-1])["final"]
    direct = json.loads(direct.stdout.splitlines()[-1])["final"]
    assert resumed["parameters"] == direct["parameters"]
    close(list(direct["parameters"].values()), list(ref["parameters"].values()),
          rtol=1e-10 * growth(ref["records"]))


@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
@pytest.mark.parametrize("samples", [1, 120])  # the tiny-network path and the NumPy engine
def test_saturated_sigmoid_losses_are_accurate(loss, samples, tmp_path):
    """A sigmoid output near 1: log(1 − y) and log y computed from y lose digits (z = 30:
    1 − y has 3 significant digits left); the loss must still be right to 1e-12, as
    log-sigmoid of z gives it (README: bce and cross-entropy in stable forms)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    zs = [30.0, 20.0, 12.0, -25.0, 3.0]
    X = np.linspace(0.5, 1.5, samples).reshape(-1, 1) if samples > 1 else np.array([[1.0]])
    T = np.tile([0.0, 1.0, 0.3, 0.7, 1.0], (samples, 1))
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "t.npy", T)
    (tmp_path / "sat.yaml").write_text(
        "inputs: {file: x.npy}\ntargets: {file: t.npy}\nlayers:\n"
        f"  - {{activation: sigmoid, weights: {[[z] for z in zs]}}}\nloss: {loss}\nlearning_rate: 0.001\n")

    def ell(x, t):
        total = mpmath.mpf(0)
        for z, tk in zip(zs, t):
            y = 1 / (1 + mpmath.exp(-mpmath.mpf(z) * mpmath.mpf(x)))
            total += tk * mpmath.log(y) + ((1 - tk) * mpmath.log(1 - y) if loss == "bce" else 0)
        return -total / (len(zs) if loss == "bce" else 1)

    want = [float(ell(x, t)) for x, t in zip(X[:, 0], T)]
    d = run_json("step", tmp_path / "sat.yaml")
    close(d["losses"], want, rtol=1e-12)
    first = run_jsonl("train", tmp_path / "sat.yaml", "--epochs", "1")[0]
    close(first["loss"], np.mean(want), rtol=1e-12)


def test_round_when_by_hand_value_is_not_finite(tmp_path):
    """softmax + bce with an output that rounds to exactly 1: ∂ℓ/∂y = (y − t)/(K·y·(1 − y)) is
    infinite by hand. `--round` says so (drift null, a warning) instead of an internal error."""
    (tmp_path / "r.yaml").write_text("inputs: [1.0]\ntargets: [[1, 0]]\nlayers:\n"
                                     "  - {activation: softmax, weights: [[6], [0]]}\nloss: bce\n")
    r = cli("step", tmp_path / "r.yaml", "--round", "2", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)["hand_rounding"]
    broken = [q for q in d["quantities"] if q["drift"] is None]
    assert broken and all(q["exact"] is not None for q in broken)
    assert {q["quantity"] for q in broken} <= set(d["drifted"])
    assert "cannot be computed by hand" in r.stderr
    table = cli("step", tmp_path / "r.yaml", "--round", "2", "--no-color")
    assert table.exit_code == 0 and "not finite" in table.stdout


@pytest.mark.parametrize("dist", ["uniform", "normal", "xavier", "he"])
def test_init_draws_as_documented(dist, tmp_path):
    """docs/spec.md: `size:` layers drawn with NumPy's default_rng(seed), layer by layer in
    order (weights neurons × inputs, then the biases for `uniform`; 0 biases otherwise)."""
    (tmp_path / "init.yaml").write_text(
        "inputs: [[0.5, -1, 2]]\ntargets: [[1, 0]]\nlayers:\n  - {activation: tanh, size: 4}\n"
        f"  - {{activation: sigmoid, size: 2}}\ninit: {{seed: 11, distribution: {dist}}}\n")
    d = run_json("step", tmp_path / "init.yaml")
    rng = np.random.default_rng(11)
    for L, (fan_in, fan_out) in zip(d["layers"], [(3, 4), (4, 2)]):
        if dist == "uniform":
            bound = 1 / np.sqrt(fan_in)
            W, b = rng.uniform(-bound, bound, (fan_out, fan_in)), rng.uniform(-bound, bound, fan_out)
        elif dist == "xavier":
            bound = np.sqrt(6 / (fan_in + fan_out))
            W, b = rng.uniform(-bound, bound, (fan_out, fan_in)), np.zeros(fan_out)
        else:
            sigma = np.sqrt((1 if dist == "normal" else 2) / fan_in)
            W, b = rng.normal(0, sigma, (fan_out, fan_in)), np.zeros(fan_out)
        close(L["weights"], W, rtol=1e-15)
        close(L["biases"], b, rtol=1e-15)
    # --exact takes each drawn float as its shortest decimal (docs/exact.md)
    (tmp_path / "init.yaml").write_text((tmp_path / "init.yaml").read_text().replace("tanh", "relu")
                                        .replace("sigmoid", "identity"))
    floats = run_json("step", tmp_path / "init.yaml")
    exact = run_json("step", tmp_path / "init.yaml", "--exact")
    for Lf, Le in zip(floats["layers"], exact["layers"]):
        assert [[Fraction(v) for v in row] for row in Le["weights"]] == \
            [[Fraction(repr(v)) for v in row] for row in Lf["weights"]]


@needs_torch
@pytest.mark.parametrize("seed", range(3 * SCALE))
def test_check_grades_reference_answers(seed, tmp_path):
    """Every quantity of docs/check.md, written from the reference to 10 decimals, is right;
    per-sample quantities (`h1[2]`, `dL/dh1[2]`, `delta_h1[2]`) are each sample's own ℓₙ's,
    like the tables. One answer made wrong is named where the errors begin."""
    case = random_case(np.random.default_rng(10000 + seed), tmp=tmp_path)
    path = write_spec(case, tmp_path)
    idx = case.batches()[0]
    n = len(idx)
    ref = TorchRef(case).step(idx)
    names = neuron_names(case)

    def at(s):
        return f"[{s + 1}]" if n > 1 else ""

    ans = {"loss": ref["loss"]}
    for li in range(len(case.layers)):
        for i, nm in enumerate(names[li]):
            for s in range(n):
                ans[f"z_{nm}{at(s)}"] = ref["z"][li][s][i]
                ans[f"{nm}{at(s)}"] = ref["a"][li][s][i]
                ans[f"dL/d{nm}{at(s)}"] = ref["ps_dL_da"][s][li][i]
                ans[f"delta_{nm}{at(s)}"] = ref["ps_delta"][s][li][i]
    for p in case.values:
        ans[f"dL/d{p}"] = ref["grad"][p]
        ans[f"{p}_new"] = ref["new"][p]
        for s in range(n if n > 1 else 0):
            ans[f"dL/d{p}[{s + 1}]"] = ref["ps_grad"][s][p]
            ans[f"loss[{s + 1}]"] = ref["losses"][s]
    text = "".join(f'"{k}": {float(v):.10f}\n' for k, v in ans.items())
    (tmp_path / "answers.yaml").write_text(text)
    r = cli("check", path, "--answers", tmp_path / "answers.yaml", "--json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0, [v for v in d["verdicts"] if v["verdict"] != "right"]
    assert d["summary"]["right"] == len(ans)
    # one wrong number: the loss
    wrong = text.replace(f'"loss": {ref["loss"]:.10f}', f'"loss": {ref["loss"] + 0.5:.10f}')
    (tmp_path / "answers.yaml").write_text(wrong)
    r = cli("check", path, "--answers", tmp_path / "answers.yaml", "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["summary"]["first_wrong"] == ["loss"]
