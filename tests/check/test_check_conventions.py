"""`check --conventions` (and the look check takes by itself when many answers are wrong):
answers worked under another textbook convention are recognised as following it.

The answers come from tests/plant_reference.py (no backcalc import) run on the same random
network under the other convention: the loss with or without ½ (half_squared_error ↔
squared_error), a mean over the outputs (mse), the other batch reduction, and δ written as −∂E/∂z.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from tests.conftest import CONFIGS, cli
from tests.plant_reference import answer_keys, compute, is_right, random_net, spell

OTHER_LOSS = {"half_squared_error": [("squared_error", "no_half"), ("mse", "output_mean")],
              "squared_error": [("half_squared_error", "half"), ("mse", "output_mean")],
              "mse": [("squared_error", "no_half"), ("half_squared_error", "half")]}


def _nets(count: int):
    """Random networks with a squared-error loss (where the ½ and the mean over outputs apply)."""
    seed = 0
    while count:
        seed += 1
        net = random_net(np.random.default_rng(seed + 9000))
        if net.loss in OTHER_LOSS:
            count -= 1
            yield seed, net


def _student(net, loss=None, reduction=None, negate_delta=False):
    """The reference's answers of a student whose course writes the step this way."""
    other = copy.deepcopy(net)
    other.loss = loss or net.loss
    other.reduction = reduction or net.reduction
    qs = compute(other)
    values = {k: q.value for k, q in qs.items()}
    if negate_delta:
        values = {k: -v if k.startswith("delta_") else v for k, v in values.items()}
    return qs, values


def _check(tmp_path, net, qs, values, *flags):
    rng = np.random.default_rng(1)
    keys = answer_keys(qs, net.B)
    spec = tmp_path / "net.yaml"
    spec.write_text(net.yaml_text)
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(f'"{spell(qs[k], rng, net.B)}": {values[k]:.6f}\n' for k in keys))
    out = cli("check", spec, "--answers", answers, "--json", *flags)
    assert out.exit_code in (0, 1), out.stderr
    return json.loads(out.stdout), keys


def _cases(net):
    for loss, cid in OTHER_LOSS[net.loss]:
        if cid == "output_mean" and len(net.layers[-1].b) == 1:
            continue  # one output: the mean over the outputs is the sum
        yield cid, {"loss": loss}
    if net.B > 1:
        other = "sum" if net.reduction == "mean" else "mean"
        yield f"batch_{other}", {"reduction": other}
    yield "delta_sign", {"negate_delta": True}
    if net.B > 1:  # two changes at once
        loss, cid = OTHER_LOSS[net.loss][0]
        yield f"{cid}+batch_{other}", {"loss": loss, "reduction": other}


@pytest.mark.parametrize("seed,net", list(_nets(8)), ids=lambda x: str(x) if isinstance(x, int) else "")
def test_answers_under_each_convention(seed, net, tmp_path):
    right = compute(net)
    checked = []
    for cid, how in _cases(net):
        qs, values = _student(net, **how)
        keys = answer_keys(qs, net.B)
        wrong = [k for k in keys if is_right(f"{values[k]:.6f}", right[k].value) is False]
        if not wrong or any(is_right(f"{values[k]:.6f}", right[k].value) is None for k in keys):
            continue  # this convention changes nothing written here, or a number sits on the boundary
        data, keys = _check(tmp_path, net, qs, values, "--conventions")
        found = data["convention"]
        where = f"seed {seed}, {cid}, loss {net.loss}\n{net.yaml_text}"
        assert found is not None and found["right"] == found["total"] == len(keys), where
        explained = {c["id"] for c in data["conventions"] if c["right"] == len(keys)}
        assert cid in explained, (explained, where)
        checked.append(cid)
    if not checked:
        pytest.skip("no convention changes a written answer on this network")


def test_told_without_asking(tmp_path):
    """Many answers wrong, all of them right under one convention: the table says so by itself."""
    spec = tmp_path / "net.yaml"
    spec.write_text((CONFIGS / "sigmoid_seed.yaml").read_text())
    step = json.loads(cli("step", spec, "--json").stdout)
    p = {q["name"]: q for q in step["parameters"]}
    # Hagan's F = e²: every gradient twice the spec's ½·e² (and the updates from them)
    lines = [f"dL/d{n}: {2 * p[n]['grad']:.6f}\n{n}_new: {p[n]['value'] - 0.5 * 2 * p[n]['grad']:.6f}\n"
             for n in ("w1", "w5", "w6", "b2")]
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(lines))
    table = cli("check", spec, "--answers", answers)
    assert table.exit_code == 1
    text = " ".join(table.stdout.split())
    assert "Your answers follow another convention: no ½ on the squared error" in text
    assert "8 of 8 are right under it (0 under the spec's)" in text
    data = json.loads(cli("check", spec, "--answers", answers, "--json").stdout)
    assert data["convention"]["id"] == "no_half" and "conventions" not in data
    # one wrong answer of many is not "many wrong": no look, no key
    answers.write_text(f"dL/dw5: {2 * p['w5']['grad']:.6f}\nh1: 0.59327\nh2: 0.59688\n")
    assert "convention" not in json.loads(cli("check", spec, "--answers", answers, "--json").stdout)


def test_cross_entropy_averaged_over_the_outputs(tmp_path):
    """softmax + cross_entropy sums over the K = 3 outputs; a course that averages them has every
    loss and gradient a third of it (and the updates from those): `output_mean`."""
    spec = str(CONFIGS / "softmax_classifier.yaml")
    step = json.loads(cli("step", spec, "--json").stdout)
    rate = step["learning_rate"]
    lines = [f"loss: {step['loss'] / 3:.7f}\n"]
    for p in step["parameters"][:6]:
        g = p["grad"] / 3
        lines.append(f"dL/d{p['name']}: {g:.8f}\n{p['name']}_new: {p['value'] - rate * g:.8f}\n")
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(lines))
    data = json.loads(cli("check", spec, "--answers", answers, "--json", "--conventions").stdout)
    assert data["convention"]["id"] == "output_mean", data["convention"]
    assert data["convention"]["right"] == data["convention"]["total"] == 13
    assert data["summary"]["right"] <= 1  # under the spec's own sum, wrong (a frozen one may stay right)
