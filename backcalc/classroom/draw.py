"""Nice numbers for a variant: the template's shape and settings, its inputs, targets and parameters drawn.

Every drawn number has `decimals` decimals; from 2 decimals on its last digit is 0 or 5, so a
weighted sum of products has at most 2·decimals decimals and is worked out by hand exactly.
A role (inputs, weights, biases, targets) keeps the template's signs: negative numbers are drawn
only where the template has one in that role. One-hot targets (a classifier's) are kept as they are.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np

from ..spec_model import Spec


def grid_step(decimals: int) -> Decimal:
    """The spacing of the drawn numbers: 0.05 at 2 decimals, 0.1 at 1, 1 at 0."""
    unit = Decimal(1).scaleb(-decimals)
    return unit * 5 if decimals >= 2 else unit


def _choices(low: Decimal, high: Decimal, step: Decimal, signed: bool) -> list[Decimal]:
    """The grid's numbers in [low, high] (and their negatives when signed), zero left out."""
    n = int((high - low) / step)
    values = [low + k * step for k in range(n + 1)]
    values = [v for v in values if v != 0]
    return sorted({*values, *(-v for v in values)}) if signed else values


def _role_choices(values: np.ndarray, decimals: int, bounded: bool) -> list[Decimal]:
    step = grid_step(decimals)
    signed = bool(np.any(values < 0))
    if bounded:  # a target of an output in (0, 1): kept off the ends
        return _choices(step, 1 - step, step, signed=False)
    return _choices(step, Decimal(1), step, signed)


def one_hot(targets: np.ndarray) -> bool:
    return bool(np.all((targets == 0) | (targets == 1)) and np.all(targets.sum(axis=1) == 1))


def unit_targets(template: Spec) -> bool:
    """Targets drawn strictly inside (0, 1): those of a saturating output (a sigmoid's) that lie there."""
    from ..activations import get_activation

    inside = bool(((template.targets >= 0) & (template.targets <= 1)).all())
    return get_activation(template.layers[-1].activation).saturates and inside and not one_hot(template.targets)


def drawer_problems(template: Spec, decimals: int) -> list[str]:
    """Why no number can be drawn at these decimals (a sigmoid's target strictly inside (0, 1) at 0)."""
    if decimals == 0 and unit_targets(template):
        return ["--decimals 0: no whole number lies strictly between 0 and 1, where these targets are drawn; "
                "give --decimals 1 or more"]
    return []


class Drawer:
    """Draws the numbers of one variant after another from one seeded generator."""

    def __init__(self, template: Spec, decimals: int, seed: int):
        self.template, self.decimals = template, decimals
        self.rng = np.random.default_rng(seed)
        t = template
        self.inputs = _role_choices(t.inputs, decimals, False)
        self.targets = None if one_hot(t.targets) else _role_choices(t.targets, decimals, unit_targets(t))
        self.weights = _role_choices(np.concatenate([layer.weights.ravel() for layer in t.layers]), decimals, False)
        self.biases = _role_choices(np.concatenate([layer.biases.ravel() for layer in t.layers]), decimals, False)

    def _pick(self, choices: list[Decimal], shape) -> np.ndarray:
        picked = self.rng.integers(0, len(choices), size=shape)
        return np.array([float(choices[k]) for k in np.ravel(picked)]).reshape(shape)

    def draw(self) -> Spec:
        """The next variant's spec: every number drawn, a tied parameter drawn once."""
        t = self.template
        inputs = self._pick(self.inputs, t.inputs.shape)
        targets = t.targets.copy() if self.targets is None else self._pick(self.targets, t.targets.shape)
        drawn: dict[str, float] = {}
        weights, biases = [], []
        for layer in t.layers:
            w = np.empty_like(layer.weights)
            for i, row in enumerate(layer.weight_names):
                for j, name in enumerate(row):
                    w[i, j] = self._named(drawn, name, self.weights, layer.weights[i, j], t.frozen)
            b = np.array([self._named(drawn, name, self.biases, layer.biases[i], t.frozen)
                          for i, name in enumerate(layer.bias_names)])
            weights.append(w)
            biases.append(b)
        exact = {k: v for k, v in t.exact.items() if k not in ("inputs", "targets") and "layers" not in k}
        # the template's description speaks of its own numbers, which a variant does not have
        spec = replace(t, inputs=inputs, targets=targets, exact=exact, description=None)
        return spec.with_parameters(weights, biases, t.optimizer_state)

    def _named(self, drawn: dict, name: str, choices: list[Decimal], kept: float, frozen) -> float:
        if name not in drawn:
            # a frozen parameter is part of the exercise's set-up (a fixed 0 bias stays 0)
            drawn[name] = float(kept) if name in frozen else float(self._pick(choices, ())[()])
        return drawn[name]
