"""Issue 17's bad inputs through the CLI: each gets one line naming the file, the line and column of
the offending value, its key, what was expected and what was found; exit 2; no traceback."""

from __future__ import annotations

import pytest
from conftest import cli, one_line, where, write_file

FLAT9 = "inputs: [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]]\ntargets: [[1]]\ninit: {seed: 1}\nlayers:\n"
TAIL = "  - type: flatten\n  - size: 1\n    activation: identity\n"
RNN = ("inputs: [[1, 2, 3, 4, 5, 6]]\ntargets: [[1]]\nlayers:\n  - type: rnn\n    input_shape: [3, 2]\n"
       "    weights_input: WX\n    weights_hidden: WH\n    biases: [0, 0]\n  - size: 1\n    activation: identity\n"
       "init: {seed: 1}\n")


def conv(extra: str, kernels: str = "[[[[1, 1], [1, 1]]]]", kind: str = "conv2d", shape: str = "[1, 3, 3]") -> str:
    return FLAT9 + f"  - type: {kind}\n    input_shape: {shape}\n    kernels: {kernels}\n{extra}" + TAIL


def pool(extra: str, kind: str = "maxpool2d", shape: str = "[1, 3, 3]") -> str:
    return FLAT9 + f"  - type: {kind}\n    input_shape: {shape}\n{extra}" + TAIL


def rnn(wx: str = "[[1, 2], [1, 2]]", wh: str = "[[1, 0], [0, 1]]") -> str:
    return RNN.replace("WX", wx).replace("WH", wh)


NESTED = ("inputs:\n  - [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]\n  - SECOND\ntargets: [[1], [0]]\ninit: {seed: 1}\n"
          "layers:\n  - type: conv2d\n    kernels: [[[[1, 1], [1, 1]]]]\n" + TAIL)
SEQUENCES = ("inputs:\n  - [[1, 2], [3, 4], [5, 6]]\n  - SECOND\ntargets: [[1], [0]]\nlayers:\n  - type: rnn\n"
             "    hidden_size: 2\n  - size: 1\n    activation: identity\ninit: {seed: 1}\n")

CASES = {
    "kernel larger than the padded input": (
        conv("    padding: [1, 0]\n", "[[[[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]]]]"),
        "type: conv2d", "layers[0]: conv2d of 6×3 over 1×3×3 with stride 1 and padding 1×0: the window is "
        "larger than its input"),
    "conv1d kernel larger than its input": (
        conv("", "[[[1, 1, 1, 1]]]", "conv1d", "[3, 3]"), "type: conv1d",
        "layers[0]: conv1d of 4 over 3×3 with stride 1: the window is larger than its input"),
    "stride 0": (conv("    stride: 0\n"), "0\n", "layers[0].stride: expected a whole number ≥ 1, got the number 0"),
    "stride 0 in a pair": (conv("    stride: [2, 0]\n"), "0]", "layers[0].stride[1]: expected a whole number ≥ 1, "
                           "got the number 0"),
    "stride of three axes": (conv("    stride: [1, 1, 1]\n"), "[1, 1, 1]",
                             "layers[0].stride: expected a whole number or a list of 2, got a list of 3"),
    "negative padding": (conv("    padding: -1\n"), "-1", "layers[0].padding: expected a whole number ≥ 0, "
                         "got the number -1"),
    "negative padding in a pair": (conv("    padding: [1, -2]\n"), "-2", "layers[0].padding[1]: expected a whole "
                                   "number ≥ 0, got the number -2"),
    "ragged kernels": (conv("", "[[[[1, 1], [1]]]]"), "[[1, 1], [1]]]]",
                       "layers[0].kernels[0][0]: expected lists of equal lengths, got 1, 2"),
    "kernels one level short": (conv("", "[[[1, 1], [1, 1]]]"), "[[[1, 1], [1, 1]]]",
                                "layers[0].kernels: expected 4 levels of lists (out channels × in channels × "
                                "height × width), got 3"),
    "wrong channel count": (conv("", "[[[[1, 1], [1, 1]], [[1, 1], [1, 1]]]]"), "[[[[1, 1], [1, 1]], [[1",
                            "layers[0].kernels: conv2d kernels are 1×2×2×2 (out × in × window), but they read "
                            "1×3×3: expected 1 in channel, got 2"),
    "a bias per channel": (conv("    biases: [1, 2]\n"), "[1, 2]\n",
                           "layers[0].biases: expected a list of 1 bias entry (one per channel), got 2"),
    "input_shape that does not multiply out": (conv("", shape="[1, 3, 4]"), "[1, 3, 4]",
                                               "layers[0].input_shape: conv2d reads 1×3×4 = 12 values, but the "
                                               "input has 9 features"),
    "pool bigger than its input": (pool("    kernel_size: 4\n"), "type: maxpool2d",
                                   "layers[0]: maxpool2d of 4×4 over 1×3×3 with stride 4: the window is larger "
                                   "than its input"),
    "avg pool bigger than its input (size:)": (pool("    size: [2, 4]\n", "avgpool2d"), "type: avgpool2d",
                                               "layers[0]: avgpool2d of 2×4 over 1×3×3 with stride 2×4: the window "
                                               "is larger than its input"),
    "pool stride 0": (pool("    kernel_size: 2\n    stride: 0\n", "avgpool1d", "[1, 9]"), "0\n",
                      "layers[0].stride: expected a whole number ≥ 1, got the number 0"),
    "max pool padding over half its window": (pool("    kernel_size: 2\n    padding: 2\n", "maxpool1d", "[1, 9]"),
                                              "2\n" + TAIL[:10], "layers[0].padding: expected padding at most half "
                                              "the window (2), as PyTorch requires; got 2"),
    "pool window given twice": (pool("    kernel_size: 2\n    size: 2\n"), "size: 2\n  - type: flatten",
                                "layers[0].size: give the maxpool2d's window once, as `kernel_size:` or `size:`"),
    "pool without a window": (pool(""), "type: maxpool2d", "layers[0]: missing required key `kernel_size` (or "
                              "`size`: the maxpool2d's window)"),
    "rnn feature mismatch": (rnn(wx="[[1, 2, 3], [1, 2, 3]]"), "[[1, 2, 3]", "layers[0].weights_input: expected "
                             "2 columns (one per feature), got 3: weights_input is hidden × features"),
    "rnn hidden mismatch": (rnn(wh="[[1, 0, 1], [0, 1, 1]]"), "[[1, 0, 1]", "layers[0].weights_hidden: expected "
                            "2 columns (one per hidden unit), got 3: weights_hidden is hidden × hidden"),
    "ragged flat inputs": (FLAT9.replace("0.9]]", "0.9], [0.1, 0.2]]").replace("[[1]]", "[[1], [0]]")
                           + "  - type: conv2d\n    input_shape: [1, 3, 3]\n    kernels: [[[[1, 1], [1, 1]]]]\n" + TAIL,
                           "[0.1, 0.2]]", "inputs[1]: expected 9 numbers (like row 0), got 2"),
    "nested sample of another shape": (NESTED.replace("SECOND", "[[[1, 2, 3], [4, 5, 6]]]"), "[[[1, 2, 3], [4, 5, 6]]]",
                                       "inputs[1]: expected a sample of 1×3×3 (like inputs[0]), got 1×2×3"),
    "ragged nested sample": (NESTED.replace("SECOND", "[[[1, 2, 3], [4, 5], [7, 8, 9]]]"), "[4, 5], [7",
                             "inputs[1][0][1]: expected a list of 3 numbers (like inputs[1][0][0]), got a list of "
                             "2 numbers"),
    "a number among nested samples": (NESTED.replace("SECOND", "7"), "7\n", "inputs[1]: expected a sample of 1×3×3 "
                                      "(like inputs[0]), got the number 7"),
    "wrong time length between samples": (SEQUENCES.replace("SECOND", "[[1, 2], [3, 4]]"), "[[1, 2], [3, 4]]\n",
                                          "inputs[1]: expected a sample of 3×2 (like inputs[0]), got 2×2"),
    "wrong feature count between samples": (SEQUENCES.replace("SECOND", "[[1, 2, 0], [3, 4, 0], [5, 6, 0]]"),
                                            "[[1, 2, 0]", "inputs[1]: expected a sample of 3×2 (like inputs[0]), "
                                            "got 3×3"),
    "nested image into a conv1d": (NESTED.replace("SECOND", "[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]").replace(
        "conv2d\n    kernels: [[[[1, 1], [1, 1]]]]", "conv1d\n    kernels: [[[1, 1]]]"), "type: conv1d",
        "layers[0]: conv1d reads channels × length, but each sample is 1×3×3: give `input_shape: [channels, length]`"),
    "the next dense layer after a conv": (
        FLAT9 + "  - type: conv2d\n    input_shape: [1, 3, 3]\n    kernels: [[[[1, 1], [1, 1]]]]\n"
        "  - weights: [[1, 2, 3]]\n    biases: [0]\n    activation: identity\n", "[1, 2, 3]]",
        "layers[1].weights[0]: expected 4 columns (conv2d of 2×2 over 1×3×3 with stride 1 gives 1×2×2), got 3"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_input_is_one_located_line(tmp_path, case):
    text, token, message = CASES[case]
    path = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", path))
    assert line == f"{path}:{where(text, token)}: {message}"


@pytest.mark.parametrize("command", [("train", "--epochs", "2"), ("gradcheck",), ("check", "--answers", "-")])
def test_every_command_refuses_a_bad_kind_spec_alike(tmp_path, command):
    text, token, message = CASES["stride 0 in a pair"]
    path = write_file(tmp_path, "spec.yaml", text)
    args = [command[0], path, *command[1:]]
    line = one_line(cli(*args, input="{}"))
    assert line == f"{path}:{where(text, token)}: {message}"
