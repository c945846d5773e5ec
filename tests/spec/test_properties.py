"""Random specs, valid and mutated, through the CLI: a right answer or a located error, never a crash."""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import yaml
from conftest import cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backcalc.network import Network
from backcalc.spec import parse_spec

LOCATED = re.compile(r"^<stdin>(:\d+:\d+)?: (\S+: )?\S.*$")
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
JUNK = ["abc", True, None, float("nan"), float("inf"), -float("inf"), [], {}, 0, -1, "softmax", [[1, 2], [3]],
        1e308, "1e-3", {"w": "x"}]

number = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 6))


@st.composite
def specs(draw) -> dict:
    n_in = draw(st.integers(1, 3))
    n_samples = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    loss = draw(st.sampled_from(["mse", "squared_error", "half_squared_error", "bce", "cross_entropy"]))
    if loss == "bce":
        out_act, n_out = draw(st.sampled_from([("sigmoid", None), ("softmax", None)])), draw(st.integers(1, 3))
        out_act = out_act[0]
        if out_act == "softmax":
            n_out = max(n_out, 2)
    elif loss == "cross_entropy":
        out_act, n_out = "softmax", draw(st.integers(2, 3))
    else:
        out_act, n_out = draw(st.sampled_from(HIDDEN)), draw(st.integers(1, 3))
    inputs = [[draw(number) for _ in range(n_in)] for _ in range(n_samples)]
    if loss == "cross_entropy":
        targets = [[1.0 if k == draw(st.integers(0, n_out - 1)) else 0.0 for k in range(n_out)]
                   for _ in range(n_samples)]
        targets = [t if sum(t) == 1 else [1.0] + [0.0] * (n_out - 1) for t in targets]
    elif loss == "bce":
        targets = [[draw(st.sampled_from([0.0, 1.0, 0.25])) for _ in range(n_out)] for _ in range(n_samples)]
    else:
        targets = [[draw(number) for _ in range(n_out)] for _ in range(n_samples)]
    layers, prev = [], n_in
    tie = draw(st.booleans())
    for li, size in enumerate([*sizes, n_out]):
        act = out_act if li == len(sizes) else draw(st.sampled_from(HIDDEN))
        weights = [[draw(number) for _ in range(prev)] for _ in range(size)]
        if tie and li == 0 and size * prev >= 2:  # one name, two slots, one value
            weights[0][0] = {"w_tied": weights[0][0]}
            flat = size * prev - 1
            weights[flat // prev][flat % prev] = {"w_tied": weights[0][0]["w_tied"]}
        layer = {"activation": act, "weights": weights, "biases": [draw(number) for _ in range(size)]}
        if act == "leaky_relu" and draw(st.booleans()):
            layer["alpha"] = draw(st.sampled_from([0.01, 0.2]))
        layers.append(layer)
        prev = size
    spec = {"inputs": inputs, "targets": targets, "layers": layers, "loss": loss,
            "reduction": draw(st.sampled_from(["mean", "sum"])),
            "learning_rate": draw(st.sampled_from([0.5, 0.1, 1e-3]))}
    if draw(st.booleans()):
        spec["batch_size"] = draw(st.integers(1, n_samples))
    return spec


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


@st.composite
def mutated(draw) -> dict:
    spec = draw(specs())
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(spec) if p]
        path = draw(st.sampled_from(paths))
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "rename"]))
        if action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(JUNK)))  # never mutate JUNK itself
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[path[-1] + "x"] = parent.pop(path[-1])
        if not spec:
            break
    return spec


def _dump(spec: dict) -> str:
    return yaml.safe_dump(spec, default_flow_style=None, sort_keys=False, allow_unicode=True)


NUMERIC = {"loss", "losses", "mean_sample_loss", "output", "layers", "parameters", "z", "a", "delta", "weights",
           "biases", "grad_weights", "grad_biases", "new_weights", "new_biases", "value", "grad", "new"}


def _has_null(value, numeric: bool = False) -> bool:
    """A null (JSON for NaN or infinity) in one of the result's numeric fields."""
    if value is None:
        return numeric
    if isinstance(value, dict):
        return any(_has_null(v, k in NUMERIC) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_null(v, numeric) for v in value)
    return False


def _check_gradients(text: str, data: dict) -> None:
    """The CLI's gradients against central finite differences of the loss, parameter by parameter."""
    spec = parse_spec(text)
    net = Network(spec)
    bs = spec.effective_batch_size
    x, t = spec.inputs[:bs], spec.targets[:bs]
    relu_z = [z for z, a in zip(net.forward(x).z, net.activations, strict=True) if a.name in ("relu", "leaky_relu")]
    assume(all(np.min(np.abs(z)) > 1e-3 for z in relu_z))  # finite differences fail at a kink
    # and where a step of 1e-6 in a weight moves z by more than a little (a mutated 1e308 input)
    assume(np.max(np.abs(x)) <= 1e3 and np.max(np.abs(net.theta)) <= 1e3)

    def loss(theta):
        net.set_theta(theta)
        per_sample, _ = net.losses(net.forward(x), t)
        return float(net.reduce(per_sample))

    theta0 = net.theta.copy()
    grads = {p["name"]: p["grad"] for p in data["parameters"]}
    for k, name in enumerate(net.names):
        h = 1e-6
        up, down = theta0.copy(), theta0.copy()
        up[k] += h
        down[k] -= h
        fd = (loss(up) - loss(down)) / (2 * h)
        assert math.isclose(grads[name], fd, rel_tol=1e-4, abs_tol=1e-6), (name, grads[name], fd)


def _check_run(text: str) -> None:
    result = cli("step", "-", "--json", input=text)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines and all(LOCATED.match(ln) for ln in lines), lines
        return
    data = json.loads(result.stdout)
    if _has_null(data):  # a NaN or infinity reached the result: it must come with a warning
        assert data["warnings"] and "backcalc: warning:" in result.stderr
    else:
        _check_gradients(text, data)


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])


@FAST
@given(specs())
def test_valid_specs_give_gradients_that_match_finite_differences(spec):
    text = _dump(spec)
    result = cli("step", "-", "--json", input=text)
    assert result.exit_code == 0, result.stderr
    _check_run(text)


@FAST
@given(mutated())
def test_mutated_specs_give_a_located_error_or_a_right_answer(spec):
    _check_run(_dump(spec))


@settings(max_examples=30, deadline=None)
@given(specs(), st.integers(1, 5))
def test_training_random_specs_never_crashes(spec, epochs):
    result = cli("train", "-", "--json", "--epochs", str(epochs), input=_dump(spec))
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "RuntimeWarning" not in result.stderr
    lines = [json.loads(ln) for ln in result.stdout.splitlines()]
    final = lines[-1]["final"]
    if result.exit_code == 1:
        assert final["stopped"] in result.stderr
    elif _has_null(final) or None in final["parameters"].values():
        assert final.get("warnings")
