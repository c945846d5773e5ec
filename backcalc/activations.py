"""The registry of activation functions: each one entry with everything every engine and view needs.

An entry holds the value `forward(z, alpha)` and the elementwise derivative `derivative(z, a, alpha)`
(softmax, not elementwise, has `softmax_jvp`/`softmax_jacobian` instead); the in-place NumPy kernels
of the fast trainer; the scalar-code templates the tiny-net kernel is generated from; a builder for
the PyTorch mirror of gradcheck; the formula templates (Unicode for tables, LaTeX for documents);
and the flags validation, diagnostics and gradcheck read. Adding an activation is adding one entry.

Every function works on float arrays; the `exact` ones (identity, relu, leaky_relu) also on object
arrays of `fractions.Fraction`. Templates are `str.format` strings: scalar code has the slots {z},
{a}, {g} (∂ℓ/∂a) and {alpha}; LaTeX ones {z}, {a} and {alpha} (doubled braces are LaTeX's own).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .log_space import log_softmax, log_softmax_pair, sigmoid_log, sigmoid_log_pair, softplus

GELU_C = math.sqrt(2.0 / math.pi)  # the tanh approximation's √(2/π), as torch's kBeta
GELU_K = 0.044715


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
    if z.dtype == object:
        return np.where(z > 0, z, _zeros(z))
    return np.where(z > 0, z, 0.0)  # without a zeros array per call (np.fmax may keep a −0)


def _relu_d(z, a, alpha):
    # The derivative at exactly 0 is taken as 0 (PyTorch's convention).
    if z.dtype == object:
        return np.where(z > 0, _ones(z), _zeros(z))
    return (z > 0).astype(z.dtype)


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


def _softplus(z, alpha):
    return softplus(z)


def _softplus_d(z, a, alpha):
    return _sigmoid(z, alpha)


def _gelu_tanh(z):
    return np.tanh(GELU_C * (z + GELU_K * (z * z * z)))


def _gelu(z, alpha):
    return 0.5 * z * (1.0 + _gelu_tanh(z))


def _gelu_d(z, a, alpha):
    th = _gelu_tanh(z)
    return 0.5 * (1.0 + th) + 0.5 * z * (1.0 - th * th) * (GELU_C * (1.0 + 3.0 * GELU_K * (z * z)))


def _softmax(z, alpha):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_jvp(a: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """δ = Jᵀ·g for softmax, with J_ij = a_i(δ_ij − a_j), without forming J."""
    return a * (upstream - np.sum(upstream * a, axis=-1, keepdims=True))


# -- the fast trainer's kernels: (z, a, mask, alpha) writes a = f(z) into `a`; (up, z, a, delta, tmp,
# mask, alpha) writes δ = ∂ℓ/∂a · ∂a/∂z into `delta`. Each is the textbook formula as in-place NumPy
# operations in a fixed order (changing the order changes the last bits of every trained network).

def _identity_k(z, a, mask, alpha):
    np.copyto(a, z)


def _identity_kd(up, z, a, delta, tmp, mask, alpha):
    np.copyto(delta, up)


def _relu_k(z, a, mask, alpha):
    np.maximum(z, 0.0, out=a)


def _relu_kd(up, z, a, delta, tmp, mask, alpha):
    np.greater(z, 0.0, out=mask)
    np.multiply(up, mask, out=delta)


def _leaky_k(z, a, mask, alpha):
    np.multiply(z, alpha, out=a)
    np.greater(z, 0.0, out=mask)
    np.copyto(a, z, where=mask)


def _leaky_kd(up, z, a, delta, tmp, mask, alpha):
    np.greater(z, 0.0, out=mask)
    np.multiply(up, alpha, out=delta)
    np.copyto(delta, up, where=mask)


def _sigmoid_k(z, a, mask, alpha):
    np.negative(z, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.divide(1.0, a, out=a)


def _sigmoid_kd(up, z, a, delta, tmp, mask, alpha):
    np.subtract(1.0, a, out=tmp)
    tmp *= a
    np.multiply(up, tmp, out=delta)


def _tanh_k(z, a, mask, alpha):
    np.tanh(z, out=a)


def _tanh_kd(up, z, a, delta, tmp, mask, alpha):
    np.multiply(a, a, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    np.multiply(up, tmp, out=delta)


def _softplus_k(z, a, mask, alpha):
    np.abs(z, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.log1p(a, out=a)
    a += np.maximum(z, 0.0)


def _softplus_kd(up, z, a, delta, tmp, mask, alpha):
    _sigmoid_k(z, tmp, mask, alpha)
    np.multiply(up, tmp, out=delta)


def _gelu_k(z, a, mask, alpha):
    np.copyto(a, _gelu(z, alpha))


def _gelu_kd(up, z, a, delta, tmp, mask, alpha):
    np.multiply(up, _gelu_d(z, a, alpha), out=delta)


def _softmax_k(z, a, mask, alpha):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    np.exp(shifted, out=a)
    a /= np.sum(a, axis=-1, keepdims=True)


def _softmax_kd(up, z, a, delta, tmp, mask, alpha):
    np.copyto(delta, softmax_jvp(a, up))


def softmax_jacobian(a: np.ndarray) -> np.ndarray:
    """The full Jacobian ∂a_i/∂z_j per sample: samples × K × K."""
    eye = np.eye(a.shape[-1])
    return a[..., :, None] * (eye - a[..., None, :])


def _softmax_code(z: list[str], a: list[str]) -> list[str]:
    """The scalar code of a softmax layer (m, e_i and se stay in scope: the loss code reads them)."""
    out = [f"m = max({', '.join(z)})" if len(z) > 1 else f"m = {z[0]}"]
    out += [f"e{i} = exp({zi} - m)" for i, zi in enumerate(z)]
    out.append(f"se = {' + '.join(f'e{i}' for i in range(len(z)))}")
    return out + [f"{ai} = e{i} / se" for i, ai in enumerate(a)]


def _softmax_delta_code(g: list[str], a: list[str], d: list[str]) -> list[str]:
    """δ = a ⊙ (g − Σ g·a) in scalar code."""
    out = [f"sga = {' + '.join(f'{gk} * {ak}' for gk, ak in zip(g, a, strict=True))}"]
    return out + [f"{dk} = {ak} * ({gk} - sga)" for gk, ak, dk in zip(g, a, d, strict=True)]


def _torch_gelu(torch, z, alpha):
    return torch.nn.functional.gelu(z, approximate="tanh")


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str  # Unicode, for tables and docs
    derivative_formula: str
    latex: str  # the value's symbolic LaTeX template: slots {z}, {alpha} (softmax: {z}, {den})
    latex_derivative: str | None  # ∂a/∂z's template, slots {z}, {a}, {alpha}; None: 1 (no formula to show)
    forward: Callable
    derivative: Callable | None  # None: not elementwise (softmax)
    exact: bool  # computable with rationals
    kernel_forward: Callable  # the fast trainer's in-place a = f(z): (z, a, mask, alpha)
    kernel_backward: Callable  # its in-place δ = ∂ℓ/∂a·∂a/∂z: (up, z, a, delta, tmp, mask, alpha)
    torch: Callable  # (torch, z, alpha) -> a, the PyTorch mirror gradcheck compares with
    code: str | None = None  # scalar code of a, slots {z}, {alpha}; None: a is z itself (identity)
    code_derivative: str = "{g}"  # scalar code of δ = g·∂a/∂z, slots {g}, {z}, {a}, {alpha}
    latex_numbers: str | None = None  # the value's template with numbers in its slots (None: the value only)
    latex_derivative_numbers: str | None = None
    latex_term: str | None = None  # softmax: the denominator's term, joined with " + " into {den}
    code_layer: Callable | None = None  # not elementwise: (z names, a names) -> lines
    code_layer_delta: Callable | None = None  # not elementwise: (g, a, d names) -> lines
    takes_alpha: bool = False  # reads the layer's `alpha:` (the only one that may have one)
    output_only: bool = False  # needs the whole layer; allowed on the output layer only
    kinked: bool = False  # not differentiable at z = 0: finite differences across it cannot check
    saturates: bool = False  # ∂a/∂z → 0 away from 0: diagnostics warn when it is tiny on every sample
    dies: bool = False  # zero gradient for every z ≤ 0: diagnostics warn about a dead neuron
    label: str = ""  # the name in a sentence ("ReLU neuron …"); default the name
    linear: bool = False  # a = z: ∂a/∂z is 1, so no activation derivative can be forgotten (check's mistakes)
    jvp: Callable | None = None  # not elementwise: (a, ∂ℓ/∂a) -> δ = Jᵀ·∂ℓ/∂a, without forming J
    # For losses that take logs of the outputs (bce, cross_entropy), log y and log(1 − y) straight from z
    # in a stable form, where one exists: z -> log y, and z -> (log y, log(1 − y)).
    log_output: Callable | None = None
    log_output_pair: Callable | None = None
    jacobian: Callable | None = None  # not elementwise: a -> the full Jacobian ∂a_i/∂z_j per sample

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None

    @property
    def sentence_name(self) -> str:
        return self.label or self.name


_GELU_TEX = r"\sqrt{{2/\pi}}\,({z} + 0.044715\,{z}^3)"
_GELU_INNER = f"{GELU_C!r} * ({{z}} + {GELU_K!r} * ({{z}} * {{z}} * {{z}}))"

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", "a = z", "∂a/∂z = 1", "{z}", None,
                   _identity, _identity_d, True, _identity_k, _identity_kd, lambda torch, z, alpha: z,
                   linear=True),
        Activation("relu", "a = max(0, z)", "∂a/∂z = 1 if z > 0 else 0", r"\max(0, {z})", "[{z} > 0]",
                   _relu, _relu_d, True, _relu_k, _relu_kd, lambda torch, z, alpha: torch.relu(z),
                   code="{z} if {z} > 0.0 else {z} * 0.0", code_derivative="{g} if {z} > 0.0 else {g} * 0.0",
                   latex_numbers=r"\max(0, {z})", latex_derivative_numbers="[{z} > 0]",
                   kinked=True, dies=True, label="ReLU"),
        Activation("leaky_relu", "a = z if z > 0 else α·z", "∂a/∂z = 1 if z > 0 else α",
                   r"\max({z}, \alpha {z})", r"[{z} > 0] + \alpha [{z} \le 0]",
                   _leaky, _leaky_d, True, _leaky_k, _leaky_kd,
                   lambda torch, z, alpha: torch.where(z > 0, z, alpha * z),
                   code="{z} if {z} > 0.0 else {z} * {alpha}", code_derivative="{g} if {z} > 0.0 else {g} * {alpha}",
                   latex_numbers=r"\max({z}, {alpha:bare} \cdot {z})",
                   latex_derivative_numbers=r"[{z} > 0] + {alpha} [{z} \le 0]", takes_alpha=True, kinked=True),
        Activation("sigmoid", "a = σ(z) = 1/(1 + e^(−z))", "∂a/∂z = a·(1 − a)",
                   r"\sigma({z}) = \frac{{1}}{{1 + e^{{-{z}}}}}", "{a}(1 - {a})",
                   _sigmoid, _sigmoid_d, False, _sigmoid_k, _sigmoid_kd, lambda torch, z, alpha: torch.sigmoid(z),
                   code="1.0 / (1.0 + exp(-{z}))", code_derivative="{g} * ({a} * (1.0 - {a}))",
                   latex_numbers=r"\frac{{1}}{{1 + e^{{-{z}}}}}", latex_derivative_numbers="{a}(1 - {a})",
                   saturates=True, log_output=sigmoid_log, log_output_pair=sigmoid_log_pair),
        Activation("tanh", "a = tanh(z)", "∂a/∂z = 1 − a²", r"\tanh {z}", "1 - {a}^2",
                   _tanh, _tanh_d, False, _tanh_k, _tanh_kd, lambda torch, z, alpha: torch.tanh(z),
                   code="tanh({z})", code_derivative="{g} * (1.0 - {a} * {a})",
                   latex_numbers=r"\tanh {z}", latex_derivative_numbers="1 - {a}^2", saturates=True),
        Activation("softplus", "a = log(1 + e^z)", "∂a/∂z = σ(z) = 1/(1 + e^(−z))",
                   r"\log(1 + e^{{{z}}})", r"\sigma({z}) = \frac{{1}}{{1 + e^{{-{z}}}}}",
                   _softplus, _softplus_d, False, _softplus_k, _softplus_kd,
                   lambda torch, z, alpha: torch.nn.functional.softplus(z),
                   code="max({z}, 0.0) + log1p(exp(-abs({z})))", code_derivative="{g} * (1.0 / (1.0 + exp(-{z})))",
                   latex_numbers=r"\log(1 + e^{{{z}}})",
                   latex_derivative_numbers=r"\frac{{1}}{{1 + e^{{-{z}}}}}",
                   saturates=True),
        Activation("gelu", "a = ½·z·(1 + tanh u), u = √(2/π)·(z + 0.044715·z³)",
                   "∂a/∂z = ½·(1 + tanh u) + ½·z·(1 − tanh² u)·√(2/π)·(1 + 0.134145·z²)",
                   r"\tfrac{{1}}{{2}} {z} \left(1 + \tanh\left(" + _GELU_TEX + r"\right)\right)",
                   r"\tfrac{{1}}{{2}}\left(1 + \tanh(" + _GELU_TEX + r")\right) + \tfrac{{1}}{{2}} {z} \left(1 - "
                   r"\tanh^2(" + _GELU_TEX + r")\right) \sqrt{{2/\pi}}\,(1 + 0.134145\,{z}^2)",
                   _gelu, _gelu_d, False, _gelu_k, _gelu_kd, _torch_gelu,
                   code=f"0.5 * {{z}} * (1.0 + tanh({_GELU_INNER}))",
                   code_derivative=(f"{{g}} * (0.5 * (1.0 + tanh({_GELU_INNER})) + 0.5 * {{z}} * "
                                    f"(1.0 - tanh({_GELU_INNER}) * tanh({_GELU_INNER})) * "
                                    f"({GELU_C!r} * (1.0 + {3.0 * GELU_K!r} * ({{z}} * {{z}}))))"),
                   latex_numbers=r"\tfrac{{1}}{{2}} \cdot {z} \left(1 + \tanh\left(" + _GELU_TEX + r"\right)\right)",
                   latex_derivative_numbers=(r"\tfrac{{1}}{{2}}\left(1 + \tanh(" + _GELU_TEX + r")\right) + "
                                             r"\tfrac{{1}}{{2}} \cdot {z} \left(1 - \tanh^2(" + _GELU_TEX +
                                             r")\right) \sqrt{{2/\pi}}\,(1 + 0.134145 \cdot {z}^2)")),
        Activation("softmax", "a_i = e^(z_i) / Σ_j e^(z_j)", "∂a_i/∂z_j = a_i·(δ_ij − a_j)",
                   r"\frac{{e^{{{z}}}}}{{{den}}}", r"a_i(\delta_{{ij}} - a_j)",
                   _softmax, None, False, _softmax_k, _softmax_kd, lambda torch, z, alpha: torch.softmax(z, dim=-1),
                   latex_numbers=r"\frac{{e^{{{z}}}}}{{{den}}}", latex_term="e^{{{z}}}",
                   code_layer=_softmax_code, code_layer_delta=_softmax_delta_code, output_only=True,
                   jvp=softmax_jvp, jacobian=softmax_jacobian, log_output=log_softmax,
                   log_output_pair=log_softmax_pair),
    ]
}
ALIASES = {"linear": "identity"}
DEFAULT_LEAKY_ALPHA = 0.01
KINKED = tuple(n for n, a in ACTIVATIONS.items() if a.kinked)

__all__ = ["ACTIVATIONS", "ALIASES", "DEFAULT_LEAKY_ALPHA", "KINKED", "Activation", "activation_names",
           "get_activation", "softmax_jacobian", "softmax_jvp"]


def get_activation(name: str) -> Activation:
    return ACTIVATIONS[ALIASES.get(name, name)]


def activation_names() -> list[str]:
    return sorted([*ACTIVATIONS, *ALIASES])
