"""Circuits from Python: `backcalc.load_spec` tells one apart, `step` and `gradcheck` work on it."""

from __future__ import annotations

from conftest import cli_json

import backcalc


def test_step_and_gradcheck_of_a_circuit_from_python(config):
    spec = backcalc.load_spec("values: {x: 3, y: 2}\nexpression: x * y + max(x, y)\n")
    result = backcalc.step(spec)
    assert result.to_dict()["gradients"] == {"x": 3.0, "y": 3.0}  # y + 1 (x wins the max), x
    assert backcalc.step(spec, exact=True).to_dict()["value"] == "9"
    assert backcalc.gradcheck(spec, torch=False).ok
    assert backcalc.step(config("micrograd")).to_dict() == cli_json("step", config("micrograd"))


def test_check_from_python_and_train_refused(config):
    import pytest

    from backcalc.errors import UsageError

    result = backcalc.check(config("cs231n_gates"), {"df/dw": 2, "df/dx": -8})
    assert {v.answer.written: v.verdict for v in result.verdicts} == {"df/dx": "right", "df/dw": "wrong"}
    with pytest.raises(UsageError, match="is a circuit"):
        backcalc.train(config("cs231n_gates"))
    with pytest.raises(UsageError, match="is a circuit"):
        backcalc.forward(config("cs231n_gates"))
