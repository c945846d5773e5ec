"""Adam's and AdamW's common mistakes: the step recomputed as a student who makes one of them does.

The right step is `optimizers.Optimizer._adam` (torch.optim's order); these follow the textbook
formulas, m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), p ← p − η·m̂/(√v̂ + ε), with one thing changed.
"""

from __future__ import annotations

import numpy as np

WHAT = {
    "eps_inside": "ε inside the square root, √(v̂ + ε)",
    "no_bias_correction": "no bias correction (m and v for m̂ and v̂)",
    "step_ahead": "step count t off by one (t + 1)",
    "step_behind": "step count t off by one (t − 1)",
    "adamw_as_l2": "AdamW's weight decay added to the gradient (L2, as Adam does)",
}
WHY = {
    "eps_inside": "p ← p − η·m̂/(√v̂ + ε)",
    "no_bias_correction": "m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)",
    "step_ahead": "t counts the steps taken, this one included",
    "step_behind": "t counts the steps taken, this one included",
    "adamw_as_l2": "AdamW decays the weights apart: p ← p·(1 − η·λ), then the Adam step",
}


def mistaken_step(opt, how: str, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """The new parameters of one Adam/AdamW step made with the mistake `how` (frozen ones kept)."""
    c = opt.config
    beta1, beta2 = c.betas
    live = ~opt.frozen
    t = np.where(live, opt.state.step + 1, opt.state.step).astype(float)
    t = t + {"step_ahead": 1, "step_behind": -1}.get(how, 0)
    g, base = grad, theta
    if c.weight_decay != 0:
        if c.name == "adamw" and how != "adamw_as_l2":
            base = theta * (1 - opt.lr * c.weight_decay)
        else:
            g = grad + c.weight_decay * theta
    m = opt.state.buffers["exp_avg"] * beta1 + (1 - beta1) * g
    v = opt.state.buffers["exp_avg_sq"] * beta2 + (1 - beta2) * g * g
    if how == "no_bias_correction":
        m_hat, v_hat = m, v
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    denom = np.sqrt(v_hat + c.eps) if how == "eps_inside" else np.sqrt(v_hat) + c.eps
    with np.errstate(divide="ignore", invalid="ignore"):
        new = base - opt.lr * m_hat / denom
    return np.where(live, new, theta)
