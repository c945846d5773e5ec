"""Reading the layer kinds from a spec: their own keys, shapes checked at load time with one located
line saying what each layer receives and produces, parameters named, tied and frozen like weights."""

from __future__ import annotations

import pytest
from conftest import cli, cli_json, one_line, where, write_file

IMAGE = "inputs: [[1, 2, 3, 4, 5, 6, 7, 8, 9]]\ntarget: [1]\nloss: mse\nlayers:\n"
CONV = ("  - type: conv2d\n    input_shape: [1, 3, 3]\n    kernels: [[[[0.1, 0.2], [0.3, 0.4]]]]\n"
        "    activation: relu\n")


def fails(tmp_path, text: str, token: str, *message: str) -> str:
    """The one located line a bad spec gets (exit 2), at `token`'s line and column."""
    path = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", path))
    assert line.startswith(f"{path}:{where(text, token)}: "), line
    for part in message:
        assert part in line, line
    return line


def test_the_next_dense_layer_says_what_the_layers_below_give(tmp_path):
    text = IMAGE + CONV + "  - type: flatten\n  - weights: [[1, 2, 3]]\n    activation: identity\n"
    fails(tmp_path, text, "[1, 2, 3]", "layers[2].weights[0]: expected 4 columns",
          "conv2d of 2×2 over 1×3×3 with stride 1 gives 1×2×2; flatten of 1×2×2 gives 4", "got 3")


def test_a_pool_larger_than_what_it_receives(tmp_path):
    text = IMAGE + CONV + "  - type: maxpool2d\n    kernel_size: 3\n"
    fails(tmp_path, text, "type: maxpool2d", "layers[1]: conv2d of 2×2 over 1×3×3 with stride 1 gives 1×2×2; "
          "maxpool2d of 3×3 over 1×2×2 with stride 3: the window is larger than its input")


def test_flat_inputs_need_an_input_shape(tmp_path):
    text = IMAGE + "  - type: conv2d\n    kernels: [[[[1]]]]\n"
    fails(tmp_path, text, "type: conv2d", "conv2d reads channels × height × width, but the input has 9 features",
          "input_shape: [channels, height, width]")


def test_an_input_shape_that_does_not_multiply_out(tmp_path):
    text = IMAGE + "  - type: conv1d\n    input_shape: [2, 4]\n    kernels: [[[1]]]\n"
    fails(tmp_path, text, "[2, 4]", "layers[0].input_shape: conv1d reads 2×4 = 8 values, but the input has 9 features")


def test_kernels_over_the_wrong_number_of_channels(tmp_path):
    text = IMAGE + "  - type: conv2d\n    input_shape: [1, 3, 3]\n    kernels: [[[[1]], [[2]]]]\n"
    fails(tmp_path, text, "[[[[1]]", "layers[0].kernels: conv2d kernels are 1×2×1×1", "expected 1 in channel, got 2")


def test_ragged_kernels(tmp_path):
    text = IMAGE + "  - type: conv2d\n    input_shape: [1, 3, 3]\n    kernels: [[[[1, 2], [3]]]]\n"
    fails(tmp_path, text, "[[1, 2], [3]]", "expected lists of equal lengths")


def test_a_key_of_another_kind(tmp_path):
    text = IMAGE + "  - type: maxpool2d\n    input_shape: [1, 3, 3]\n    kernel_size: 2\n    gamma: [1]\n"
    fails(tmp_path, text, "gamma", "layers[0].gamma: unknown key for a maxpool2d layer",
          "expected one of: type, kernel_size, size, stride, padding, input_shape, names")


def test_an_unknown_type(tmp_path):
    fails(tmp_path, IMAGE + "  - type: conv3d\n", "conv3d", "layers[0].type: unknown layer type 'conv3d'",
          "conv2d")


def test_batchnorm_gamma_one_per_feature(tmp_path):
    text = "inputs: [[1, 2], [3, 5]]\ntargets: [[1], [0]]\nlayers:\n  - type: batchnorm\n    gamma: [1, 2, 3]\n" \
           "  - size: 1\n    activation: identity\n"
    fails(tmp_path, text, "[1, 2, 3]", "layers[0].gamma: batchnorm on the input (2 features) normalises per unit: "
          "gamma needs 2 entries, got 3")


def test_batchnorm_refuses_exact_arithmetic_in_one_line(tmp_path):
    text = "inputs: [[1, 2], [3, 5]]\ntargets: [[1], [0]]\nlayers:\n  - type: batchnorm\n" \
           "  - size: 1\n    activation: identity\n"
    path = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", path, "--exact"))
    assert line == f"{path}:4: layers[0].type: --exact cannot run batchnorm: √(σ² + ε) is not rational; use step " \
                   "without --exact, or --round N"


def test_kernel_entries_are_named_tied_and_frozen_like_weights(tmp_path):
    text = (IMAGE + "  - type: conv2d\n    input_shape: [1, 3, 3]\n"
            "    kernels: [[[[k: 0.1, 0.2], [0.3, k: 0.1]]]]\n    biases: [c: 0.5]\n"
            "  - type: flatten\n  - weights: [[1, 1, 1, 1]]\n    activation: identity\nfrozen: [c]\n")
    step = cli_json("step", write_file(tmp_path, "spec.yaml", text))
    names = [p["name"] for p in step["parameters"]]
    assert names == ["k", "K1[1,1,1,2]", "K1[1,1,2,1]", "c", "W3[1,1]", "W3[1,2]", "W3[1,3]", "W3[1,4]", "b3[1]"]
    k = step["parameters"][0]
    # tied: k's gradient is the two entries' gradients added, each a sum over the 4 positions
    assert len(k["terms"]) == 2
    assert k["grad"] == pytest.approx(sum(t["contribution"] for t in k["terms"]), rel=1e-12)
    frozen = step["parameters"][3]
    assert frozen["frozen"] and frozen["new"] == frozen["value"] == 0.5


def test_tied_kernel_entries_must_agree(tmp_path):
    text = IMAGE + "  - type: conv2d\n    input_shape: [1, 3, 3]\n    kernels: [[[[k: 0.1, k: 0.2]]]]\n" \
        "  - size: 1\n    activation: identity\n"
    path = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", path))
    assert "'k' is tied to layers[0].kernels[0] = 0.1" in line and "got 0.2" in line, line


def test_init_draws_kernels_from_out_channels_and_kernel_size(tmp_path):
    text = IMAGE + ("  - type: conv2d\n    input_shape: [1, 3, 3]\n    out_channels: 2\n    kernel_size: [2, 1]\n"
                    "  - type: flatten\n  - size: 1\n    activation: identity\n")
    step = cli_json("step", write_file(tmp_path, "spec.yaml", text))
    conv = step["layers"][0]
    assert [len(conv["weights"]), len(conv["weights"][0]), len(conv["weights"][0][0]),
            len(conv["weights"][0][0][0])] == [2, 1, 2, 1]
    bound = 1 / 2 ** 0.5  # U(±1/√fan_in), fan_in = 1 channel × 2 × 1, as PyTorch's Conv2d
    values = [v for p in step["parameters"][:6] for v in [p["value"]]]
    assert all(abs(v) <= bound for v in values) and len(set(values)) == 6
    assert len(conv["neurons"]) == 2 * 2 * 3
