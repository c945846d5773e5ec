"""One forward pass, loss, backward pass and SGD update, with every chain-rule factor."""

from __future__ import annotations

import numpy as np

from .activations import softmax_jacobian
from .network import Network, _cast_scalar
from .result import Factor, LayerResult, ParameterResult, StepResult, Term
from .spec import Spec


def step(spec: Spec, network: Network | None = None, batch: slice | None = None) -> StepResult:
    """Run one training step on the first batch (or `batch`) and explain it."""
    net = network or Network(spec)
    if batch is None:
        batch = slice(0, spec.effective_batch_size)
    x, t = spec.inputs[batch], spec.targets[batch]
    if net.theta.dtype == object:
        from .network import _cast

        x, t = _cast(x, object), _cast(t, object)
    indices = list(range(spec.n_samples))[batch]
    trace = net.forward(x)
    per_sample, note = net.losses(trace, t)
    loss = net.reduce(per_sample)
    back = net.backward(trace, t)
    lr = _cast_scalar(spec.learning_rate, net.theta.dtype)
    new_theta = net.step_theta(back.grad, lr)
    warnings = [note] if note else []

    n_layers = len(spec.layers)
    fused = net.loss.fused_delta(net.activations[-1].name, trace.output, t) is not None
    layers = []
    for li, layer in enumerate(spec.layers):
        prev_names = spec.input_names if li == 0 else spec.layers[li - 1].neuron_names
        gw_whole = back.grad[net.w_index[li]]
        gb_whole = back.grad[net.b_index[li]]
        act = net.activations[li]
        layers.append(LayerResult(
            index=li, activation=act.name, alpha=net.alphas[li],
            neuron_names=layer.neuron_names, input_names=prev_names,
            weight_names=layer.weight_names, bias_names=layer.bias_names,
            z=trace.z[li], a=trace.a[li + 1], dl_da=back.dl_da[li], da_dz=back.da_dz[li],
            delta=back.delta[li], weights=net.weights[li], biases=net.biases[li],
            grad_weights=gw_whole, grad_biases=gb_whole,
            new_weights=new_theta[net.w_index[li]], new_biases=new_theta[net.b_index[li]],
            fused=fused and li == n_layers - 1,
            jacobian=softmax_jacobian(trace.a[li + 1]) if not act.elementwise else None,
        ))

    terms: dict[int, list[Term]] = {k: [] for k in range(len(net.names))}
    n = x.shape[0]
    reduce = (lambda v: np.sum(v) / n) if spec.reduction == "mean" else np.sum
    for li, lr_ in enumerate(layers):
        for i, neuron in enumerate(lr_.neuron_names):
            head = _head_factors(lr_, i, neuron)
            for j, src in enumerate(lr_.input_names):
                p = lr_.weight_names[i][j]
                prod = lr_.delta[:, i] * trace.a[li][:, j]
                terms[net.w_index[li][i, j]].append(Term(
                    f"layers[{li}].weights[{i}][{j}]", li, "weight", i, j,
                    [*head, Factor(f"∂z_{neuron}/∂{p}", trace.a[li][:, j])], prod, reduce(prod)))
            p = lr_.bias_names[i]
            prod = lr_.delta[:, i]
            one = lr_.delta[:, i] * 0 + 1
            terms[net.b_index[li][i]].append(Term(
                f"layers[{li}].biases[{i}]", li, "bias", i, None,
                [*head, Factor(f"∂z_{neuron}/∂{p}", one)], prod, reduce(prod)))
    parameters = [
        ParameterResult(name, net.theta[k], back.grad[k], new_theta[k], bool(net.frozen[k]), terms[k])
        for k, name in enumerate(net.names)
    ]
    return StepResult(
        name=spec.name, source=spec.source, loss_name=spec.loss, reduction=spec.reduction,
        learning_rate=lr, input_names=spec.input_names, inputs=x, targets=t,
        batch=indices, n_samples=spec.n_samples, layers=layers, losses=per_sample, loss=loss,
        parameters=parameters, warnings=warnings, exact=net.theta.dtype == object,
    )


def _head_factors(layer: LayerResult, i: int, neuron: str) -> list[Factor]:
    """∂L/∂a and ∂a/∂z of neuron i, or ∂L/∂z itself where it is not a plain product."""
    if layer.da_dz is None or layer.fused:
        return [Factor(f"∂L/∂z_{neuron}", layer.delta[:, i])]
    return [Factor(f"∂L/∂{neuron}", layer.dl_da[:, i]),
            Factor(f"∂{neuron}/∂z_{neuron}", layer.da_dz[:, i])]
