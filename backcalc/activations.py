"""Activation functions, each next to its derivative and its formula text.

`derivative(z, a, alpha)` returns the elementwise ∂a/∂z. Softmax is not
elementwise: it has `jvp` (the vector–Jacobian product used by backprop) and
`jacobian` instead. Every function works on float arrays; identity, relu and
leaky_relu also work on object arrays of `fractions.Fraction` (exact mode).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _identity(z, alpha):
    return z


def _zeros(z):
    # Floats: zeros_like, not z * 0 (a negative z times 0 is −0.0, which would print as
    # "-0.0"). Exact mode (object arrays of Fraction): z * 0, so every value stays a
    # Fraction — zeros_like would put the int 0 there, and JSON would print 0, not "0".
    return z * 0 if z.dtype == object else np.zeros_like(z)


def _ones(z):
    return _zeros(z) + 1


def _identity_d(z, a, alpha):
    return _ones(z)


def _relu(z, alpha):
    return np.where(z > 0, z, _zeros(z))


def _relu_d(z, a, alpha):
    # The derivative at exactly 0 is taken as 0 (PyTorch's convention).
    return np.where(z > 0, _ones(z), _zeros(z))


def _leaky(z, alpha):
    return np.where(z > 0, z, z * alpha)


def _leaky_d(z, a, alpha):
    return np.where(z > 0, _ones(z), _zeros(z) + alpha)


def _sigmoid(z, alpha):
    # 1/(1+e^-z) is already stable in floating point: e^-z overflows to inf
    # for very negative z and 1/inf is the correct limit 0. Silencing the
    # warning keeps the textbook formula (and its exact bits) everywhere.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_d(z, a, alpha):
    return a * (1.0 - a)


def _tanh(z, alpha):
    return np.tanh(z)


def _tanh_d(z, a, alpha):
    return 1.0 - a * a


def _softmax(z, alpha):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_jvp(a: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """δ = Jᵀ·g for softmax, with J_ij = a_i(δ_ij − a_j), without forming J."""
    return a * (upstream - np.sum(upstream * a, axis=-1, keepdims=True))


def softmax_jacobian(a: np.ndarray) -> np.ndarray:
    """The full Jacobian ∂a_i/∂z_j per sample: samples × K × K."""
    eye = np.eye(a.shape[-1])
    return a[..., :, None] * (eye - a[..., None, :])


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str
    derivative_formula: str
    latex: str
    latex_derivative: str
    forward: Callable
    derivative: Callable | None  # None: not elementwise (softmax)
    exact: bool  # computable with rationals

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", "a = z", "∂a/∂z = 1", r"a = z", r"1",
                   _identity, _identity_d, True),
        Activation("relu", "a = max(0, z)", "∂a/∂z = 1 if z > 0 else 0",
                   r"a = \max(0, z)", r"[z > 0]", _relu, _relu_d, True),
        Activation("leaky_relu", "a = z if z > 0 else α·z", "∂a/∂z = 1 if z > 0 else α",
                   r"a = \max(z, \alpha z)", r"[z > 0] + \alpha [z \le 0]",
                   _leaky, _leaky_d, True),
        Activation("sigmoid", "a = σ(z) = 1/(1 + e^(−z))", "∂a/∂z = a·(1 − a)",
                   r"a = \sigma(z) = \frac{1}{1 + e^{-z}}", r"a(1 - a)",
                   _sigmoid, _sigmoid_d, False),
        Activation("tanh", "a = tanh(z)", "∂a/∂z = 1 − a²", r"a = \tanh z", r"1 - a^2",
                   _tanh, _tanh_d, False),
        Activation("softmax", "a_i = e^(z_i) / Σ_j e^(z_j)", "∂a_i/∂z_j = a_i·(δ_ij − a_j)",
                   r"a_i = \frac{e^{z_i}}{\sum_j e^{z_j}}", r"a_i(\delta_{ij} - a_j)",
                   _softmax, None, False),
    ]
}
ALIASES = {"linear": "identity"}
DEFAULT_LEAKY_ALPHA = 0.01


def get_activation(name: str) -> Activation:
    return ACTIVATIONS[ALIASES.get(name, name)]


def activation_names() -> list[str]:
    return sorted([*ACTIVATIONS, *ALIASES])
