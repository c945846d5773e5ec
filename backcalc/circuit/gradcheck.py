"""A circuit's leaf gradients against central differences (and torch.autograd in float64 where installed)."""

from __future__ import annotations

from ..activations import get_activation
from ..gradcheck import (
    AGREE,
    DEFAULT_TOL,
    DISAGREE,
    MACHINE_EPS,
    STEP_SCALE,
    UNDECIDABLE,
    GradcheckResult,
    GradRow,
    relative_error,
    verdict,
)
from .spec import Circuit
from .step import worked_step

KINKED = ("relu", "abs", "max", "min", "leaky_relu")


def value_at(circuit: Circuit, values: dict) -> float:
    """The output at other leaf values (float64)."""
    return float(worked_step(circuit.with_values(values)).value)


def gradcheck(circuit: Circuit, eps: float | None = None, tol: float = DEFAULT_TOL,
              use_torch: bool = True) -> GradcheckResult:
    step = worked_step(circuit)
    f0 = float(step.value)
    rounding = 4 * MACHINE_EPS * max(1.0, abs(f0)) * len(circuit.nodes)
    torch_grads, version, skipped = _torch(circuit, use_torch)
    rows = []
    for leaf in circuit.leaves:
        x = float(circuit.values[leaf])
        h = eps if eps is not None else STEP_SCALE * max(1.0, abs(x))
        up, down = x + h, x - h
        numeric = (value_at(circuit, {leaf: up}) - value_at(circuit, {leaf: down})) / (up - down)
        analytic = float(step.grads[leaf])
        floor = rounding / (up - down)
        row = GradRow(leaf, analytic, numeric, relative_error(analytic, numeric),
                      verdict(analytic, numeric, tol, floor), (up - down) / 2, floor)
        if row.verdict == UNDECIDABLE:
            row.reason = "noise"  # the difference is below what the nudge can resolve
        if row.verdict == DISAGREE and _near_kink(circuit, leaf, h):
            row.verdict, row.reason = UNDECIDABLE, "kink"
        if torch_grads is not None:
            row.torch = torch_grads[leaf]
            row.torch_rel_error = relative_error(analytic, row.torch)
            row.torch_verdict = AGREE if row.torch_rel_error <= tol else DISAGREE
        rows.append(row)
    return GradcheckResult(circuit.name, eps, tol, f0, [1], rows, torch_version=version, torch_skipped=skipped,
                           n_parameters=len(rows), loss_rounding=rounding)


def _near_kink(circuit: Circuit, leaf: str, h: float) -> bool:
    """Whether nudging the leaf by ±h moves a kinked gate's input across its kink."""
    x = float(circuit.values[leaf])
    a, b = worked_step(circuit.with_values({leaf: x - h})), worked_step(circuit.with_values({leaf: x + h}))
    for na, nb in zip(a.nodes, b.nodes):
        if na.gate in KINKED and (na.routed != nb.routed or any(
                (u > 0) != (v > 0) for u, v in zip(na.args, nb.args))):
            return True
    return False


def _torch(circuit: Circuit, use: bool):
    if not use:
        return None, None, "not requested"
    try:
        import torch
    except ImportError:
        return None, None, "not installed"
    return torch_gradients(circuit, torch), torch.__version__, None


def torch_gradients(circuit: Circuit, torch) -> dict:
    """∂output/∂leaf by torch.autograd, float64: the independent reference tests compare with."""
    env = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in circuit.values.items()}
    leaves = dict(env)
    for n in circuit.nodes:
        args = [env[i] if isinstance(i, str) else torch.tensor(float(i), dtype=torch.float64) for i in n.inputs]
        env[n.name] = _torch_gate(torch, n.gate, args)
    env[circuit.output].backward()
    return {k: float(t.grad) if t.grad is not None else 0.0 for k, t in leaves.items()}


def _torch_gate(torch, gate: str, a: list):
    simple = {"add": lambda: a[0] + a[1], "sub": lambda: a[0] - a[1], "mul": lambda: a[0] * a[1],
              "div": lambda: a[0] / a[1], "pow": lambda: torch.pow(a[0], a[1]), "neg": lambda: -a[0],
              "exp": lambda: torch.exp(a[0]), "log": lambda: torch.log(a[0]), "sqrt": lambda: torch.sqrt(a[0]),
              "abs": lambda: torch.abs(a[0]),
              # torch.maximum splits a tie's gradient; the circuit routes it to the first (as written)
              "max": lambda: torch.where(a[0] >= a[1], a[0], a[1]),
              "min": lambda: torch.where(a[0] <= a[1], a[0], a[1])}
    if gate in simple:
        return simple[gate]()
    return get_activation(gate).torch(torch, a[0], 0.01)

