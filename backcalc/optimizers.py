"""Optimizers with their state in the open: SGD (momentum, dampening, Nesterov,
coupled weight decay), Adam and AdamW.

Pure NumPy over the flat parameter vector `theta` of a Network. The arithmetic
follows torch.optim.SGD, Adam and AdamW (PyTorch 2.x, single-tensor path,
amsgrad and maximize off) operation for operation, so the numbers line up with
PyTorch's to a few ulps: a parameter's state is created on its first step
(SGD's momentum buffer is that step's gradient itself, undamped; Adam's moments
start at zero), Adam's bias correction uses the parameter's own step count, and
AdamW shrinks the parameter before the Adam step. Frozen parameters are skipped
entirely: no state, no decay, no change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import UsageError
from .result import FormulaLine, OptimizerInfo, UpdateLine

NAMES = ["sgd", "momentum", "adam", "adamw"]  # "momentum" reads as sgd with momentum 0.9
SGD_KEYS = ["momentum", "dampening", "nesterov", "weight_decay"]
ADAM_KEYS = ["betas", "eps", "weight_decay"]
DEFAULT_MOMENTUM = 0.9  # for `optimizer: momentum` (torch's SGD default is 0)
DEFAULT_ADAM_LR = 1e-3  # torch.optim.Adam/AdamW's default, used when the spec gives none
DEFAULT_ADAMW_WEIGHT_DECAY = 1e-2
ADAM_STATE = ["step", "exp_avg", "exp_avg_sq"]
SGD_STATE = ["momentum_buffer"]


@dataclass(frozen=True)
class OptimizerSpec:
    """The `optimizer:` of a spec; the learning rate stays `Spec.learning_rate`."""

    name: str = "sgd"  # sgd | adam | adamw
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    @property
    def is_adam(self) -> bool:
        return self.name in ("adam", "adamw")

    @property
    def plain(self) -> bool:
        """Plain SGD: no state, no decay, p ← p − η·g."""
        return self.name == "sgd" and self.momentum == 0 and self.weight_decay == 0

    @property
    def state_keys(self) -> list[str]:
        if self.is_adam:
            return list(ADAM_STATE)
        return list(SGD_STATE) if self.momentum != 0 else []

    def hyperparameters(self) -> dict:
        """The settings that apply to this optimizer, by their spec names."""
        if self.is_adam:
            return {"betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay}
        return {"momentum": self.momentum, "dampening": self.dampening, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


@dataclass
class State:
    """Every parameter's optimizer state, as per-parameter arrays over `theta`."""

    active: np.ndarray  # bool: the parameter has state (it has taken a step)
    step: np.ndarray  # int: Adam's step count t (0 where inactive; unused by SGD)
    buffers: dict[str, np.ndarray]  # momentum_buffer | exp_avg, exp_avg_sq (0 where inactive)

    def copy(self) -> State:
        return State(self.active.copy(), self.step.copy(), {k: v.copy() for k, v in self.buffers.items()})


@dataclass
class Update:
    """One optimizer step, computed but not yet committed."""

    theta: np.ndarray  # the new parameters
    state: State  # the state after the step
    grad: np.ndarray  # the gradient used (with coupled weight decay added)
    base: np.ndarray  # the parameters the step starts from (AdamW: after its decay)
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # Adam: bias corrections


class Optimizer:
    """An optimizer over a Network's `theta`, with its state kept explicitly."""

    def __init__(self, config: OptimizerSpec, lr, names: list[str], frozen: np.ndarray, dtype=float,
                 state: dict[str, dict] | None = None):
        self.config = config
        self.names = names
        self.frozen = np.asarray(frozen, dtype=bool)
        self.exact = dtype is object or np.dtype(dtype) == object
        if self.exact and config.is_adam:
            raise UsageError(f"{config.name} needs square roots, so it cannot run in exact arithmetic; "
                             "use sgd (with or without momentum) there")
        self.lr = _cast(lr, self.exact)
        self.momentum = _cast(config.momentum, self.exact)
        self.dampening = _cast(config.dampening, self.exact)
        self.weight_decay = _cast(config.weight_decay, self.exact)
        n = len(names)
        zeros = (lambda: np.array([0] * n, dtype=object)) if self.exact else (lambda: np.zeros(n))
        self.state = State(np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64),
                           {k: zeros() for k in config.state_keys if k != "step"})
        for name, values in (state or {}).items():
            k = names.index(name)
            self.state.active[k] = True
            for key, value in values.items():
                if key == "step":
                    self.state.step[k] = int(value)
                else:
                    self.state.buffers[key][k] = _cast(value, self.exact)

    @property
    def plain(self) -> bool:
        return self.config.plain

    # -- the arithmetic ------------------------------------------------------
    def compute(self, theta: np.ndarray, grad: np.ndarray) -> Update:
        """The step from `theta` with gradient `grad`; the optimizer's state is not changed."""
        if self.config.is_adam:
            return self._adam(theta, grad)
        return self._sgd(theta, grad)

    def commit(self, update: Update) -> None:
        self.state = update.state

    def step(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Compute and commit one step; the new parameters."""
        update = self.compute(theta, grad)
        self.commit(update)
        return update.theta

    def _sgd(self, theta, grad) -> Update:
        live = ~self.frozen
        state = self.state.copy()
        g = grad + self.weight_decay * theta if self.config.weight_decay != 0 else grad
        d = g
        if self.config.momentum != 0:
            old = self.state.buffers["momentum_buffer"]
            later = old * self.momentum + (1 - self.dampening) * g  # torch: buf.mul_(μ).add_(g, alpha=1 − τ)
            buf = np.where(self.state.active, later, g)  # the first buffer is the gradient itself
            buf = np.where(live, buf, old)
            state.buffers["momentum_buffer"] = buf
            state.active = self.state.active | live
            d = g + self.momentum * buf if self.config.nesterov else buf
        new = theta - self.lr * d
        if self.frozen.any():
            new = np.where(self.frozen, theta, new)
        return Update(new, state, g, theta)

    def _adam(self, theta, grad) -> Update:
        c = self.config
        beta1, beta2 = c.betas
        live = ~self.frozen
        state = self.state.copy()
        step = np.where(live, self.state.step + 1, self.state.step)
        g, base = grad, theta
        if c.weight_decay != 0:
            if c.name == "adamw":
                base = theta * (1 - self.lr * c.weight_decay)
            else:
                g = grad + c.weight_decay * theta
        m_old, v_old = self.state.buffers["exp_avg"], self.state.buffers["exp_avg_sq"]
        m = _lerp(m_old, g, 1 - beta1)
        v = v_old * beta2 + ((1 - beta2) * g) * g  # torch: addcmul(v·β2, g, g, value=1 − β2)
        # Python floats per distinct step count, as torch computes them (usually one count for all)
        steps = np.maximum(step, 1)
        if steps.size and (steps == steps[0]).all():
            counts, where = steps[:1], np.zeros(steps.size, dtype=np.intp)
        else:
            counts, where = np.unique(steps, return_inverse=True)
        bc1 = np.array([1 - beta1 ** float(t) for t in counts])[where]
        bc2 = np.array([1 - beta2 ** float(t) for t in counts])[where]
        step_size = np.array([self.lr / (1 - beta1 ** float(t)) for t in counts])[where]
        bc2_sqrt = np.array([(1 - beta2 ** float(t)) ** 0.5 for t in counts])[where]
        denom = np.sqrt(v) / bc2_sqrt + c.eps
        new = base + (-step_size * m) / denom  # torch: addcdiv(p, m, denom, value=−step_size)
        state.step = step
        state.buffers["exp_avg"] = np.where(live, m, m_old)
        state.buffers["exp_avg_sq"] = np.where(live, v, v_old)
        state.active = self.state.active | live
        new = np.where(live, new, theta)
        return Update(new, state, g, np.where(live, base, theta), {"bc1": bc1, "bc2": bc2})

    # -- the state, by parameter ---------------------------------------------
    def state_of(self, k: int, state: State | None = None) -> dict | None:
        """Parameter k's state by torch's names (None: it has none)."""
        s = state or self.state
        if not s.active[k] or not self.config.state_keys:
            return None
        out: dict = {}
        for key in self.config.state_keys:
            out[key] = int(s.step[k]) if key == "step" else s.buffers[key][k]
        return out

    def state_dict(self, state: State | None = None) -> dict[str, dict]:
        """The state (now, or `state`) of every parameter that has one, keyed by parameter name."""
        out = {}
        for k, name in enumerate(self.names):
            st = self.state_of(k, state)
            if st is not None:
                out[name] = st
        return out

    # -- explanation ---------------------------------------------------------
    def info(self) -> OptimizerInfo:
        c = self.config
        settings = c.hyperparameters()
        if self.exact:  # exact numbers throughout, as the learning rate (adam never runs exact)
            settings.update(momentum=self.momentum, dampening=self.dampening, weight_decay=self.weight_decay)
        return OptimizerInfo(name=c.name, title=title(c), learning_rate=self.lr,
                             hyperparameters=settings, formulas=formulas(c), plain=c.plain)

    def explain(self, k: int, theta: np.ndarray, grad: np.ndarray, update: Update) -> list[UpdateLine]:
        """Parameter k's update, line by line, with its numbers."""
        if self.frozen[k]:
            return []
        c = self.config
        before = self.state_of(k)
        after = self.state_of(k, update.state)
        p, dl, g = theta[k], grad[k], update.grad[k]
        lines = []
        if c.weight_decay != 0 and c.name != "adamw":
            lines.append(_line("grad", "g", "∂L/∂p + λ·p", r"\frac{\partial L}{\partial p} + \lambda p",
                               "{grad} + {wd}·{p}", r"{grad} + {wd} \cdot {p}",
                               {"grad": dl, "wd": self.weight_decay, "p": p}, g, None))
        if c.is_adam:
            return lines + self._adam_lines(k, p, g, update, before, after)
        if c.momentum != 0:
            return lines + self._momentum_lines(k, p, g, update, before, after)
        lines.append(_line("param", "p", "p − η·g", r"p - \eta g", "{p} − {lr}·{g}", r"{p} - {lr} \cdot {g}",
                           {"p": p, "lr": self.lr, "g": g}, update.theta[k], p))
        return lines

    def _adam_lines(self, k: int, p, g, update: Update, before, after) -> list[UpdateLine]:
        c = self.config
        lines = []
        b1, b2 = c.betas
        t_old = before["step"] if before else 0
        m_old = before["exp_avg"] if before else 0.0
        v_old = before["exp_avg_sq"] if before else 0.0
        t, m, v = after["step"], after["exp_avg"], after["exp_avg_sq"]
        lines.append(_line("step", "t", "t + 1", "t + 1", "{t} + 1", "{t} + 1", {"t": t_old}, t, t_old))
        base = p
        if c.name == "adamw" and c.weight_decay != 0:
            base = update.base[k]
            lines.append(_line("decayed", "p", "p·(1 − η·λ)", r"p\,(1 - \eta \lambda)",
                               "{p}·(1 − {lr}·{wd})", r"{p} \cdot (1 - {lr} \cdot {wd})",
                               {"p": p, "lr": self.lr, "wd": c.weight_decay}, base, p))
        lines.append(_line("exp_avg", "m", "β1·m + (1 − β1)·g", r"\beta_1 m + (1 - \beta_1) g",
                           "{beta1}·{m} + {one_minus_beta1}·{g}",
                           r"{beta1} \cdot {m} + {one_minus_beta1} \cdot {g}",
                           {"beta1": b1, "m": m_old, "one_minus_beta1": 1 - b1, "g": g}, m, m_old))
        lines.append(_line("exp_avg_sq", "v", "β2·v + (1 − β2)·g²", r"\beta_2 v + (1 - \beta_2) g^2",
                           "{beta2}·{v} + {one_minus_beta2}·{g}²",
                           r"{beta2} \cdot {v} + {one_minus_beta2} \cdot {g}^2",
                           {"beta2": b2, "v": v_old, "one_minus_beta2": 1 - b2, "g": g}, v, v_old))
        m_hat = m / update.extra["bc1"][k]
        v_hat = v / update.extra["bc2"][k]
        lines.append(_line("m_hat", "m̂", "m / (1 − β1^t)", r"\frac{m}{1 - \beta_1^{t}}",
                           "{m} / (1 − {beta1}^{t})", r"\frac{{{m}}}{{1 - {beta1}^{{{t}}}}}",
                           {"m": m, "beta1": b1, "t": t}, m_hat, None))
        lines.append(_line("v_hat", "v̂", "v / (1 − β2^t)", r"\frac{v}{1 - \beta_2^{t}}",
                           "{v} / (1 − {beta2}^{t})", r"\frac{{{v}}}{{1 - {beta2}^{{{t}}}}}",
                           {"v": v, "beta2": b2, "t": t}, v_hat, None))
        lines.append(_line("param", "p", "p − η·m̂ / (√v̂ + ε)", r"p - \frac{\eta\,\hat m}{\sqrt{\hat v} + \epsilon}",
                           "{p} − {lr}·{m_hat} / (√{v_hat} + {eps})",
                           r"{p} - \frac{{{lr} \cdot {m_hat}}}{{\sqrt{{{v_hat}}} + {eps}}}",
                           {"p": base, "lr": self.lr, "m_hat": m_hat, "v_hat": v_hat, "eps": c.eps},
                           update.theta[k], p))
        return lines

    def _momentum_lines(self, k: int, p, g, update: Update, before, after) -> list[UpdateLine]:
        c = self.config
        lines = []
        buf = after["momentum_buffer"]
        if before is None:
            lines.append(_line("momentum_buffer", "b", "g", "g", "{g}", "{g}", {"g": g}, buf, None))
        elif c.dampening == 0:
            lines.append(_line("momentum_buffer", "b", "μ·b + g", r"\mu b + g", "{mu}·{b} + {g}",
                               r"{mu} \cdot {b} + {g}",
                               {"mu": self.momentum, "b": before["momentum_buffer"], "g": g}, buf,
                               before["momentum_buffer"]))
        else:
            lines.append(_line("momentum_buffer", "b", "μ·b + (1 − τ)·g", r"\mu b + (1 - \tau) g",
                               "{mu}·{b} + {one_minus_tau}·{g}", r"{mu} \cdot {b} + {one_minus_tau} \cdot {g}",
                               {"mu": self.momentum, "b": before["momentum_buffer"],
                                "one_minus_tau": 1 - self.dampening, "g": g}, buf, before["momentum_buffer"]))
        if c.nesterov:
            lines.append(_line("param", "p", "p − η·(g + μ·b)", r"p - \eta\,(g + \mu b)",
                               "{p} − {lr}·({g} + {mu}·{b})", r"{p} - {lr} \cdot ({g} + {mu} \cdot {b})",
                               {"p": p, "lr": self.lr, "g": g, "mu": self.momentum, "b": buf},
                               update.theta[k], p))
        else:
            lines.append(_line("param", "p", "p − η·b", r"p - \eta b", "{p} − {lr}·{b}", r"{p} - {lr} \cdot {b}",
                               {"p": p, "lr": self.lr, "b": buf}, update.theta[k], p))
        return lines


def make_optimizer(spec, network) -> Optimizer:
    """The spec's optimizer over `network`, starting from the spec's `optimizer_state`."""
    return Optimizer(spec.optimizer, spec.learning_rate, network.names, network.frozen,
                     network.theta.dtype, spec.optimizer_state)


def title(c: OptimizerSpec) -> str:
    """A short human name: "adam", "sgd with Nesterov momentum 0.9", …"""
    if c.is_adam:
        return c.name
    if c.momentum == 0:
        return "sgd"
    return f"sgd with {'Nesterov ' if c.nesterov else ''}momentum"


def formulas(c: OptimizerSpec) -> list[FormulaLine]:
    """The update rule, one line per assignment, in the order it is computed."""
    out = []
    g = "∂L/∂p"
    if c.is_adam:
        out.append(FormulaLine("t", "t + 1", "t + 1"))
        if c.weight_decay != 0 and c.name == "adam":
            out.append(FormulaLine("g", f"{g} + λ·p", r"\frac{\partial L}{\partial p} + \lambda p",
                                   "coupled (L2) weight decay", assign=False))
        elif c.name == "adamw" and c.weight_decay != 0:
            out.append(FormulaLine("p", "p·(1 − η·λ)", r"p\,(1 - \eta \lambda)", "decoupled weight decay"))
        gl = "g" if c.weight_decay != 0 and c.name == "adam" else g
        gt = "g" if gl == "g" else r"\frac{\partial L}{\partial p}"
        out.append(FormulaLine("m", f"β1·m + (1 − β1)·{gl}", rf"\beta_1 m + (1 - \beta_1)\,{gt}", "m starts at 0"))
        out.append(FormulaLine("v", f"β2·v + (1 − β2)·({gl})²" if gl != "g" else "β2·v + (1 − β2)·g²",
                               rf"\beta_2 v + (1 - \beta_2) \left({gt}\right)^2", "v starts at 0"))
        out.append(FormulaLine("m̂", "m / (1 − β1^t)", r"\frac{m}{1 - \beta_1^{t}}", "bias correction", assign=False))
        out.append(FormulaLine("v̂", "v / (1 − β2^t)", r"\frac{v}{1 - \beta_2^{t}}", "bias correction", assign=False))
        out.append(FormulaLine("p", "p − η·m̂ / (√v̂ + ε)", r"p - \frac{\eta\,\hat m}{\sqrt{\hat v} + \epsilon}"))
        return out
    gl, gt = g, r"\frac{\partial L}{\partial p}"
    if c.weight_decay != 0:
        out.append(FormulaLine("g", f"{g} + λ·p", r"\frac{\partial L}{\partial p} + \lambda p",
                               "coupled (L2) weight decay", assign=False))
        gl, gt = "g", "g"
    if c.momentum == 0:
        out.append(FormulaLine("p", f"p − η·{gl}", rf"p - \eta\,{gt}"))
        return out
    out.append(FormulaLine("b", gl, gt, "first step"))
    if c.dampening == 0:
        out.append(FormulaLine("b", f"μ·b + {gl}", rf"\mu b + {gt}", "later steps"))
    else:
        out.append(FormulaLine("b", f"μ·b + (1 − τ)·{gl}", rf"\mu b + (1 - \tau)\,{gt}", "later steps"))
    if c.nesterov:
        out.append(FormulaLine("p", f"p − η·({gl} + μ·b)", rf"p - \eta\,({gt} + \mu b)", "Nesterov"))
    else:
        out.append(FormulaLine("p", "p − η·b", r"p - \eta b"))
    return out


def _line(name, symbol, formula, latex, template, latex_template, values, value, before) -> UpdateLine:
    return UpdateLine(name=name, symbol=symbol, formula=formula, latex=latex, template=template,
                      latex_template=latex_template, values=values, value=value, before=before)


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch.lerp's two branches (exact at both ends)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _cast(value, exact: bool):
    if not exact:
        return value
    from .exact import to_fraction

    return to_fraction(value)
