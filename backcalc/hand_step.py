"""One step as a student computes it by hand: `step()`'s result with every value rounded along the way.

`hand_rounded()` takes the exact StepResult and the hand computation of
`handcalc.compute(spec, decimals)` and returns a StepResult holding the
hand-rounded numbers, so a worked solution (`step --format markdown --round N`)
writes out the same computation the hand-rounding table and JSON report.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .handcalc import compute
from .result import Factor, LayerResult, ParameterResult, StepResult
from .spec_model import Spec


def hand_rounded(spec: Spec, result: StepResult, decimals: int) -> StepResult:
    """`result` with every computed value replaced by its value when each is rounded to `decimals` first.

    A chain-rule product is then δ times the slot's input (δ already rounded), as by hand,
    rather than the three factors ∂ℓ/∂a · ∂a/∂z · ∂z/∂p.
    """
    calc = compute(spec, decimals)
    v = calc.values
    n = len(result.batch)

    def per_sample(kind: str, names: list[str]) -> np.ndarray:
        return np.array([[v[(kind, m, s)] for m in names] for s in range(n)], dtype=float)

    layers: list[LayerResult] = []
    for layer in result.layers:
        names = layer.neuron_names
        layers.append(replace(
            layer, z=per_sample("z", names), a=per_sample("a", names),
            dl_da=per_sample("dl_da", names) if layer.dl_da is not None else None,
            da_dz=per_sample("da_dz", names) if layer.da_dz is not None else None,
            delta=per_sample("delta", names)))
    grads = {p.name: v[("grad", p.name, None)] for p in result.parameters}
    news = {p.name: v[("new", p.name, None)] for p in result.parameters}
    mean = result.reduction == "mean"
    parameters: list[ParameterResult] = []
    for p in result.parameters:
        terms = []
        for term in p.terms:
            layer = layers[term.layer]
            delta = layer.delta[:, term.row]
            if term.kind == "bias":
                source = np.ones(n)
            elif term.layer == 0:
                source = np.asarray(result.inputs[:, term.col], dtype=float)
            else:
                source = layers[term.layer - 1].a[:, term.col]
            neuron = layer.neuron_names[term.row]
            ell = "L" if n == 1 else "ℓ"
            product = np.array([calc.products[(term.layer, term.row, term.col, s)] for s in range(n)])
            total = float(np.sum(product))
            terms.append(replace(
                term, factors=[Factor(f"∂{ell}/∂z_{neuron}", delta), Factor(f"∂z_{neuron}/∂{p.name}", source)],
                product=product,
                # one slot alone: the parameter's (rounded) gradient; tied slots: their exact share of it
                contribution=grads[p.name] if len(p.terms) == 1 else (total / n if mean else total)))
        parameters.append(replace(p, grad=grads[p.name], new=news[p.name], terms=terms))
    rounded = replace(result, layers=layers, parameters=parameters, losses=per_sample("loss", [""])[:, 0],
                      loss=v[("loss", "", None)], warnings=list(result.warnings))
    if result.optimizer is not None and not result.optimizer.plain:
        _explain_updates(spec, rounded, news)
    return rounded


def _explain_updates(spec: Spec, result: StepResult, news: dict) -> None:
    """The optimizer's update lines recomputed from the hand-rounded gradients; the new values rounded."""
    from .optimizers import Optimizer

    names = [p.name for p in result.parameters]
    frozen = np.array([p.frozen for p in result.parameters])
    theta = np.array([float(p.value) for p in result.parameters])
    grad = np.array([float(p.grad) for p in result.parameters])
    opt = Optimizer(spec.optimizer, spec.learning_rate, names, frozen, float, spec.optimizer_state)
    update = opt.compute(theta, grad)
    for k, p in enumerate(result.parameters):
        p.update = opt.explain(k, theta, grad, update)
        if p.update and p.update[-1].name == "param":
            p.update[-1] = replace(p.update[-1], value=news[p.name])
