"""`check`: the tolerance an answer's own digits imply, in every notation (docs/check.md, "Verdicts").

The spec is one identity neuron with weight 0, so z_o1 and o1 are exactly its bias: any
correct value can be set. The oracle below reads the tolerance off how a number was *built*
(its digits, where the point goes, its exponent), not off its text, so it does not share
backcalc's parsing.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from conftest import CONFIGS, cli
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

SPEC = "inputs: [[1]]\ntargets: [[0]]\nlayers:\n  - activation: identity\n    weights: [[0]]\n" \
       "    biases: [{b!r}]\nloss: squared_error\nlearning_rate: 0.1\n"


def grade(tmp_path, correct: float, answers: dict[str, str]) -> tuple[int, dict, str]:
    spec = tmp_path / "one.yaml"
    spec.write_text(SPEC.format(b=float(correct)))
    text = "".join(f"{k}: {v}\n" for k, v in answers.items())
    result = cli("check", str(spec), "--answers", "-", "--json", input=text)
    if result.exit_code == 2:
        return 2, {}, result.stderr
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, {v["key"]: v for v in json.loads(result.stdout)["verdicts"]}, result.stderr


# -- a number as a student may write it ---------------------------------------------------

class Written:
    """`sign · digits · 10^place` written with `m` mantissa decimals and exponent `place + m`."""

    def __init__(self, negative: bool, plus: bool, digits: int, place: int, notation: str, m: int,
                 exp_style: str, point: bool):
        self.negative, self.digits, self.place = negative, digits, place
        self.notation, self.m, self.point = notation, m, point or m > 0  # `0.00e5` has a point
        d = str(digits)
        sign = "-" if negative else "+" if plus else ""
        if notation == "plain":  # place ≤ 0: -place decimals; place 0 as `12.`
            self.m, self.exp = -place, 0
            self.text = sign + _with_point(d, -place, point=True)
        else:
            self.exp = place + m
            mark, form = exp_style[0], exp_style[1:]
            exp = {"": str(self.exp), "+": f"{self.exp:+d}", "0": f"{self.exp:+03d}"}[form]
            self.text = sign + _with_point(d, m, point) + mark + exp

    def __repr__(self) -> str:
        return f"Written({self.text!r})"

    @property
    def value(self) -> Decimal:
        return (-1 if self.negative else 1) * Decimal(self.digits).scaleb(self.place)

    @property
    def tolerance(self) -> Decimal | None:
        """Half a unit of the last digit written; a zero's exponent never widens it (None: exact)."""
        if self.digits:
            return Decimal(5).scaleb(self.place - 1)
        if self.notation != "plain" and not self.point and self.exp >= 0:
            return None  # `0e5` is `0`
        return Decimal(5).scaleb(-(self.m - min(self.exp, 0)) - 1)


def _with_point(digits: str, m: int, point: bool) -> str:
    if m == 0:
        return digits + ("." if point else "")
    digits = digits.rjust(m + 1, "0")
    return f"{digits[:-m]}.{digits[-m:]}"


@st.composite
def notations(draw, place: int):
    """How a number whose last digit is at `place` may be written: (notation, m, exponent style, point)."""
    notation = draw(st.sampled_from(["plain", "e"])) if place <= 0 else "e"
    return notation, draw(st.integers(0, 16)), draw(st.sampled_from(["e", "E", "e+", "E0"])), draw(st.booleans())


@st.composite
def written(draw, digits=st.one_of(st.just(0), st.integers(1, 10**9))):
    place = draw(st.integers(-12, 6))
    return Written(draw(st.booleans()), draw(st.booleans()), draw(digits), place, *draw(notations(place)))


@st.composite
def rounded(draw, correct: float):
    """`correct` rounded to a place, written in some notation (a zero only as fine as `0.00`)."""
    place = draw(st.integers(-12, 6))
    d = Decimal(correct)
    digits = int(abs(d).scaleb(-place).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if digits == 0:  # a zero's exponent never widens it (`0e5` is exact): at place ≤ 0, as `0.00`
        assume(place <= 0)
        return Written(False, False, 0, place, "plain", 0, "e", True)
    return Written(d < 0, draw(st.booleans()), digits, place, *draw(notations(place)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(wrong=written(), gap=st.floats(0.05, 1000), side=st.sampled_from([-1, 1]), data=st.data())
@example(wrong=Written(False, False, 0, 5, "e", 0, "e", False), gap=350_000, side=1, data=None)  # `0e5` for 0.35 (11.6)
def test_a_wrong_number_in_any_notation_is_wrong_and_a_rounded_right_one_is_right(tmp_path, wrong, gap, side, data):
    assume(abs(wrong.value) < Decimal("1e15"))
    tol = wrong.tolerance
    # clearly outside: past half a unit of the last digit written by `gap` units (an exact answer:
    # by `gap` millionths of its size, or of 1), and past the 1e-9 relative floating-point slack
    unit = Decimal(1).scaleb(wrong.place) if tol is not None else max(abs(wrong.value), Decimal(1)) * Decimal("1e-6")
    off = (tol or 0) + Decimal(gap) * unit + abs(wrong.value) * Decimal("1e-6")
    correct = float(wrong.value + side * off)
    assume(correct != 0)
    right = data.draw(rounded(correct)) if data else Written(False, False, 35, -2, "plain", 0, "e", True)

    code, v, err = grade(tmp_path, correct, {"z_o1": wrong.text, "o1": right.text})
    assert code == 1, (wrong, right, correct, v, err)
    assert v["z_o1"]["verdict"] == "wrong", (wrong.text, correct, v["z_o1"])
    assert v["o1"]["verdict"] == "right", (right.text, correct, v["o1"])


@pytest.mark.parametrize("text,correct,verdict", [
    ("0e5", 0.35, "wrong"), ("0e9", 123456.0, "wrong"), ("-0E+05", 0.35, "wrong"),  # issue 11.6
    ("0e5", 0.0, "right"), ("0.00e5", 0.004, "right"), ("0.00e5", 0.006, "wrong"),
    ("0e-3", 0.0004, "right"), ("0e-3", 0.0006, "wrong"), ("0.0e-3", 0.00006, "wrong"),
    ("0.000", 0.0004, "right"), ("0.000", 0.0006, "wrong"),
    ("1.20e5", 120400.0, "right"), ("1.20e5", 120600.0, "wrong"), ("+5.9327e-1", 0.593269992, "right"),
    ("0e1000000", 0.35, "wrong"), ("0e1000000", 0.0, "right"),  # issue 12.15: a zero, graded
    ("0e-" + "9" * 5000, 0.0, "right"), ("0e" + "1" * 5000, 1.0, "wrong"),
])
def test_a_zero_in_e_notation_is_never_right_for_a_clearly_nonzero_value(tmp_path, text, correct, verdict):
    code, v, err = grade(tmp_path, correct, {"z_o1": text})
    assert code == (0 if verdict == "right" else 1), err
    assert v["z_o1"]["verdict"] == verdict


@pytest.mark.parametrize("text", ["1e1000000", "-1e1000000", "1e-1000000", "1" * 5000,
                                  "1e" + "1" * 5000, "1e" + "1" * 1_000_000, "0." + "0" * 400 + "1e-400"])
def test_a_number_beyond_a_floats_range_is_one_located_line(tmp_path, text):
    spec = str(CONFIGS / "sigmoid_seed.yaml")
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"loss: 0.27481\nh1: {text}\n")
    result = cli("check", spec, "--answers", str(answers))
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{answers}:2:5: h1: expected a number within a float's range")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
