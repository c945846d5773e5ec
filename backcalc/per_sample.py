"""Every partial derivative of each sample before the reduction over the batch (`step --per-sample`)."""

from __future__ import annotations

from .result import StepResult, plain


def per_sample(result: StepResult) -> dict:
    """JSON-ready per-sample values: losses, ∂ℓₙ/∂a, δ and ∂ℓₙ/∂p, with the batch's reduction."""
    n = len(result.batch)
    dl_da, delta = {}, {}
    for layer in result.layers:
        for i, neuron in enumerate(layer.neuron_names):
            if layer.dl_da is not None:
                dl_da[neuron] = plain(layer.dl_da[:, i])
            delta[neuron] = plain(layer.delta[:, i])
    grads = {}
    for p in result.parameters:
        grads[p.name] = [plain(sum(term.product[s] for term in p.terms)) for s in range(n)]
    return {
        "samples": [b + 1 for b in result.batch],
        "reduction": result.reduction,
        "losses": plain(result.losses),
        "dL_da": dl_da,
        "delta": delta,
        "grad": grads,
        "reduced_grad": {p.name: plain(p.grad) for p in result.parameters},
    }
