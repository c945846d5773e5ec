"""What a variant must meet to be set as an exercise; each check returns the reasons it fails."""

from __future__ import annotations

from ..activations import get_activation
from ..quantities import Calc, compute
from ..spec_model import Spec

# ∂a/∂z below this on a sample: the neuron is saturated there (σ′ < 0.05 is |z| > 2.9), its
# numbers too small to work by hand and its δ lost in the rounding. (diagnostics warn at 1e-3.)
SATURATED = 0.05


def dead_or_saturated(spec: Spec, calc: Calc) -> list[str]:
    """A ReLU-like neuron with z ≤ 0 on every sample (or z exactly at its kink on one), or a
    saturating neuron with ∂a/∂z under SATURATED on any sample."""
    out = []
    for li, layer in enumerate(spec.layers):
        act = get_activation(layer.activation)
        for m in layer.neuron_names:
            zs = [calc.values[("z", m, s)] for s in range(calc.n_samples)]
            if act.dies and (all(z <= 0 for z in zs) or 0 in zs):
                out.append(f"{act.sentence_name} neuron {m} dead (z ≤ 0)")
            if act.saturates:
                slopes = [calc.values[("da_dz", m, s)] for s in range(calc.n_samples)]
                if min(slopes) < SATURATED:
                    out.append(f"{layer.activation} neuron {m} saturated (∂a/∂z {min(slopes):.3g})")
    return out


def loss_falls(spec: Spec, calc: Calc) -> list[str]:
    """The loss on the same batch is lower after the step."""
    from ..api import step

    before = calc.values[("loss", "", None)]
    after = compute(step(spec).next_spec()).values[("loss", "", None)]
    return [] if after < before else [f"the loss does not fall ({before:.4g} → {after:.4g})"]


def quick_failures(spec: Spec, calc: Calc) -> list[str]:
    """The reasons found from the step alone (the collisions need every mistake's step)."""
    return dead_or_saturated(spec, calc) or loss_falls(spec, calc)

