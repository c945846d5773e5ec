"""The dead-ReLU and saturation warnings name what a layer kind shares: a convolution's channel when
every position of it is dead (its kernel learns from any live position), a batch norm's γ and β."""

from __future__ import annotations

from pathlib import Path

from conftest import cli_json

CONFIGS = Path(__file__).parents[2] / "configs"


def _warnings(name: str, *sets: str) -> list[str]:
    args = [a for s in sets for a in ("--set", s)]
    return cli_json("step", str(CONFIGS / f"{name}.yaml"), *args, "-q")["warnings"]


def test_a_conv_channel_dead_at_every_position_is_one_warning_naming_its_kernel():
    warnings = _warnings("conv_image", "layers.0.biases.0=-5")
    assert warnings == ["ReLU channel 1 (layer 1), at every position, is dead on every sample of the batch "
                        "(z ≤ 0): no gradient flows through it, so its kernel and bias never change"]


def test_dead_positions_of_a_live_channel_are_not_a_warning():
    """With bias −0.4 five of the nine positions are ≤ 0, but the kernel still learns from the other four."""
    step = cli_json("step", str(CONFIGS / "conv_image.yaml"), "--set", "layers.0.biases.0=-0.4", "-q")
    z = step["layers"][0]["z"][0]
    assert 0 < sum(v <= 0 for v in z) < len(z)
    assert step["warnings"] == []
    assert any(g != 0 for row in step["layers"][0]["grad_weights"] for g in _flat(row))


def _flat(x):
    return [v for item in x for v in _flat(item)] if isinstance(x, list) else [x]


def test_a_dead_batch_norm_unit_names_gamma_and_beta():
    warnings = _warnings("batchnorm_batch", "layers.1.beta.0=-9")
    assert warnings == ["ReLU neuron n2[1] (layer 2) is dead on every sample of the batch (z ≤ 0): no gradient "
                        "flows through it, so its γ and β never change"]


def test_a_dense_neuron_keeps_its_wording():
    warnings = _warnings("relu_seed", "layers.0.biases.0=-50")
    assert any(w.startswith("ReLU neuron ") and w.endswith("its incoming weights and bias never change")
               for w in warnings), warnings
