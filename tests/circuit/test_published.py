"""The bundled circuits reproduce their sources' printed numbers, to the digits printed, through the CLI.

Each source's numbers were read in the source itself (configs/*.yaml say where): the CS231n notes'
figures, the micrograd README, the zero-to-hero lecture notebook's graphs, d2l's autograd chapter.
"""

from __future__ import annotations

import pytest
from conftest import cli_json


def printed(value, text: str) -> bool:
    """`value` shows as `text` with as many decimals as `text` has (the sources print -0.20, 0.7071, 28.)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    shown = f"{float(value):.{decimals}f}"
    return shown == text or shown == f"{float(text):.{decimals}f}" and float(text) == 0


def wires(d: dict) -> dict:
    """Every name's (value, gradient), as the figures print them on the wires."""
    out = {k: (v, d["gradients"][k]) for k, v in d["leaves"].items()}
    out.update({n["name"]: (n["value"], n["grad"]) for n in d["nodes"]})
    return out


def assert_printed(d: dict, published: dict) -> None:
    got = wires(d)
    for name, (value, grad) in published.items():
        assert printed(got[name][0], value), (name, got[name][0], value)
        if grad is not None:
            assert printed(got[name][1], grad), (name, got[name][1], grad)


def test_cs231n_circuit(config):
    d = cli_json("step", config("cs231n_circuit"))
    assert_printed(d, {"x": ("-2", "-4"), "y": ("5", "-4"), "z": ("-4", "3"), "q": ("3", "-4"), "f": ("-12", "1")})


def test_cs231n_neuron(config):
    d = cli_json("step", config("cs231n_neuron"))
    assert_printed(d, {"w0": ("2.00", "-0.20"), "x0": ("-1.00", "0.39"), "w1": ("-3.00", "-0.39"),
                       "x1": ("-2.00", "-0.59"), "w2": ("-3.00", "0.20"), "f": ("0.73", "1.00")})
    # the gates of the figure, in its order: *, *, +, +, *-1, exp, +1, 1/x
    assert [n["op"] for n in d["nodes"]] == ["mul", "mul", "add", "add", "neg", "exp", "add", "div"]
    assert_printed(d, {"f_4": ("1.00", "0.20"), "f_5": ("-1.00", "-0.20"), "f_6": ("0.37", "-0.53"),
                       "f_7": ("1.37", "-0.53")})


def test_cs231n_gates(config):
    d = cli_json("step", config("cs231n_gates"))
    assert_printed(d, {"x": ("3.00", "-8.00"), "y": ("-4.00", "6.00"), "z": ("2.00", "2.00"),
                       "w": ("-1.00", "0.00"), "xy": ("-12.00", "2.00"), "m": ("2.00", "2.00"),
                       "s": ("-10.00", "2.00"), "f": ("-20.00", "1.00")})
    m = next(n for n in d["nodes"] if n["name"] == "m")
    assert m["local"] == {"z": 1.0, "w": 0.0}  # max routes: the loser's local derivative is 0


def test_micrograd_readme(config):
    d = cli_json("step", config("micrograd"))
    assert printed(d["value"], "24.7041")
    assert printed(d["gradients"]["a"], "138.8338") and printed(d["gradients"]["b"], "645.5773")
    assert d["output"] == "g'"  # g is assigned twice: g, then g'


def test_micrograd_lecture_expression_and_its_nudge(config):
    d = cli_json("step", config("micrograd_lecture"))
    assert_printed(d, {"a": ("2.0000", "6.0000"), "b": ("-3.0000", "-4.0000"), "c": ("10.0000", "-2.0000"),
                       "f": ("-2.0000", "4.0000"), "e": ("-6.0000", "-2.0000"), "d": ("4.0000", "-2.0000"),
                       "L": ("-8.0000", "1.0000")})
    # the lecture's nudge up the gradient (`a.data += 0.01 * a.grad`), then L again: -7.286496
    up = cli_json("step", config("micrograd_lecture"), "--set", "learning_rate=-0.01")
    moved = [f"values.{k}={v!r}" for k, v in up["new_values"].items()]
    again = cli_json("step", config("micrograd_lecture"), *(a for m in moved for a in ("--set", m)))
    assert printed(again["value"], "-7.286496")


def test_micrograd_lecture_tanh_neuron(config):
    d = cli_json("step", config("micrograd_neuron"))
    assert_printed(d, {"o": ("0.7071", "1.0000"), "n": ("0.8814", "0.5000"), "b": ("6.8814", "0.5000"),
                       "x1": ("2.0000", "-1.5000"), "w1": ("-3.0000", "1.0000"), "x2": ("0.0000", "0.5000"),
                       "w2": ("1.0000", "0.0000"), "x1w1": ("-6.0000", "0.5000"), "x2w2": ("0.0000", "0.5000"),
                       "x1w1x2w2": ("-6.0000", "0.5000")})


@pytest.mark.parametrize("exact", [False, True])
def test_d2l_gradient_is_4x(config, exact):
    d = cli_json("step", config("d2l_autograd"), *(["--exact"] if exact else []))
    x = [float(d["leaves"][f"x{i}"]) for i in range(4)]
    assert x == [0.0, 1.0, 2.0, 3.0] and float(d["value"]) == 28.0  # 2·xᵀx at arange(4.0)
    grads = [d["gradients"][f"x{i}"] for i in range(4)]
    assert grads == (["0", "4", "8", "12"] if exact else [4 * v for v in x])
