"""configs/bptt_walkthrough.yaml: a published hand-worked BPTT walkthrough (a one-unit tanh RNN over
3 steps, an output per step, ½·Σ loss), every printed number asserted to its printed digits through
the CLI, and the slip the issue names for this very setup (tanh(1.04621) printed 0.7790; it is
0.7803) shown to be one: backcalc prints 0.78033, and check marks a 0.7790 wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cli, cli_json, write_file

CONFIG = str(Path(__file__).parents[2] / "configs" / "bptt_walkthrough.yaml")


def printed(value: float, text: str) -> None:
    """`value` shows as `text` when rounded to as many decimals as `text` has."""
    decimals = len(text.split(".")[1])
    assert f"{value:.{decimals}f}" == text, (value, text)


@pytest.fixture(scope="module")
def step():
    return cli_json("step", CONFIG, "-q")


def _by_name(step):
    return {p["name"]: p for p in step["parameters"]}


def test_the_forward_pass_to_its_printed_digits(step):
    rnn = step["layers"][0]
    for t, (a, h) in enumerate([("0.5000", "0.4621"), ("1.0462", "0.7803"), ("1.5780", "0.9183")]):
        printed(rnn["pre_activation"][0][t][0], a)
        printed(rnn["hidden_state"][0][t][0], h)
        printed(step["output"][0][t], h)  # y_t = W_hy·h_t, W_hy = 1
    printed(step["loss"], "0.1940")


def test_the_backward_through_time_to_its_printed_digits(step):
    rnn, out = step["layers"][0], step["layers"][1]
    dy = [d for d in out["delta"][0]]  # one sample: ∂L/∂y_t = y_t − t_t
    for t, text in enumerate(["-0.03788", "-0.2197", "-0.5817"]):
        printed(dy[t], text)
    for t, text in enumerate(["-0.04683", "-0.2288", "-0.5817"]):
        printed(rnn["dl_dh"][0][t][0], text)
    for t, text in enumerate(["-0.03683", "-0.08948", "-0.09117"]):
        printed(rnn["dl_dz_step"][0][t][0], text)
    # what z_{t+1} sends back to h_t through W_hh: ∂ℓ/∂h_t less the output's share
    for t, text in [(1, "-0.009117"), (0, "-0.008948")]:
        printed(rnn["dl_dh"][0][t][0] - dy[t], text)


def test_the_summed_gradients_and_the_update_to_their_printed_digits(step):
    p = _by_name(step)
    for name, grad, new in [("W_xh", "-0.48930", "0.54893"), ("W_hh", "-0.11249", "0.11125"),
                            ("W_hy", "-0.72310", "1.07231")]:
        printed(p[name]["grad"], grad)
        printed(p[name]["new"], new)
    assert p["b1[1]"]["new"] == 0 and p["W2[1,2]"]["new"] == 0  # no biases, one W_hy: frozen


def test_tanh_of_1_04621_is_0_7803_not_the_slips_0_7790(tmp_path, step):
    h2 = step["layers"][0]["hidden_state"][0][1][0]
    printed(h2, "0.7803")
    assert abs(h2 - 0.7790) > 1e-3
    table = cli("step", CONFIG, "-q").stdout
    assert "1.04621" in table and "0.78033" in table and "0.7790" not in table
    answers = write_file(tmp_path, "answers.yaml", "y1: 0.4621\ny2: 0.7790\ny3: 0.9183\nloss: 0.1940\n")
    result = cli("check", CONFIG, "--answers", answers, "-q")
    assert result.exit_code == 1
    assert "1 wrong, starting at y2" in result.stdout


def test_check_accepts_the_walkthroughs_numbers_at_their_printed_digits(tmp_path):
    answers = write_file(tmp_path, "answers.yaml", "\n".join([
        "loss: 0.1940", "y1: 0.4621", "y2: 0.7803", "y3: 0.9183", "dL/dW_xh: -0.48930", "dL/dW_hh: -0.11249",
        "dL/dW_hy: -0.72310", "W_xh_new: 0.54893", "W_hh_new: 0.11125", "W_hy_new: 1.07231"]) + "\n")
    result = cli("check", CONFIG, "--answers", answers, "-q")
    assert result.exit_code == 0, result.stdout
    assert "10 of 10 right" in result.stdout
