"""One forward pass, loss, backward pass and optimizer update, with every chain-rule factor."""

from __future__ import annotations

import numpy as np

from .activations import softmax_jacobian
from .diagnostics import step_warnings
from .exact import check_digits
from .network import Network, _cast_scalar
from .optimizers import Optimizer, Update, make_optimizer
from .result import Factor, LayerResult, ParameterResult, StepResult, Term
from .spec_model import Spec

# step explains every weight and bias for every sample of the batch; past this many chain-rule
# products (samples × slots) the result would take gigabytes and minutes, so step refuses.
EXPLAIN_LIMIT = 4_000_000


def step(spec: Spec, network: Network | None = None, batch: slice | None = None,
         optimizer: Optimizer | None = None) -> StepResult:
    """Run one training step on the first batch (or `batch`) and explain it.

    The optimizer (default: the spec's, from its `optimizer_state`) is not changed.
    """
    net = network or Network(spec)
    opt = optimizer or make_optimizer(spec, net)
    if batch is None:
        batch = slice(0, spec.effective_batch_size)
    x, t = spec.inputs[batch], spec.targets[batch]
    check_size(spec, x.shape[0])
    if net.theta.dtype == object:
        from .network import _cast

        exact_x, exact_t = spec.exact.get("inputs"), spec.exact.get("targets")
        x = _cast(x, object, None if exact_x is None else exact_x[batch])
        t = _cast(t, object, None if exact_t is None else exact_t[batch])
    indices = list(range(spec.n_samples))[batch]
    trace = net.forward(x)
    per_sample, note = net.losses(trace, t)
    loss = net.reduce(per_sample)
    back = net.backward(trace, t)
    lr = _cast_scalar(spec.learning_rate, net.theta.dtype)
    if opt.plain:  # the network's own update, which exact arithmetic and fast paths share
        new_theta = net.step_theta(back.grad, lr)
        update = Update(new_theta, opt.state, back.grad, net.theta)
    else:
        update = opt.compute(net.theta, back.grad)
        new_theta = update.theta
    if new_theta.dtype == object:
        check_digits(new_theta, "a parameter")
    warnings = [note] if note else []
    warnings += step_warnings(net, trace, x, t, loss, back.grad, new_theta)

    n_layers = len(spec.layers)
    fused = net.loss.fused_delta(net.activations[-1].name, trace.output, t, trace.z[-1]) is not None
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
            batch_scale=_batch_scale(spec.reduction, x.shape[0], net.theta.dtype),
        ))

    terms: dict[int, list[Term]] = {k: [] for k in range(len(net.names))}
    n = x.shape[0]
    reduce = (lambda v: np.sum(v) / n) if spec.reduction == "mean" else np.sum
    for li, lr_ in enumerate(layers):
        for i, neuron in enumerate(lr_.neuron_names):
            head = _head_factors(lr_, i, neuron, "L" if n == 1 else "ℓ")
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
    for k, p in enumerate(parameters):
        p.state_before = opt.state_of(k)
        p.state_after = opt.state_of(k, update.state)
        p.update = opt.explain(k, net.theta, back.grad, update)
    return StepResult(
        name=spec.name, source=spec.source, loss_name=spec.loss, reduction=spec.reduction,
        learning_rate=lr, input_names=spec.input_names, inputs=x, targets=t,
        batch=indices, n_samples=spec.n_samples, layers=layers, losses=per_sample, loss=loss,
        parameters=parameters, warnings=warnings, exact=net.theta.dtype == object, optimizer=opt.info(),
        batch_size=spec.batch_size,
    )


def _batch_scale(reduction: str, n: int, dtype):
    if reduction == "sum":
        return 1
    if dtype is np.dtype(object):
        from fractions import Fraction

        return Fraction(1, n)
    return 1 / n


def _head_factors(layer: LayerResult, i: int, neuron: str, loss: str) -> list[Factor]:
    """∂ℓ/∂a and ∂a/∂z of neuron i, or ∂ℓ/∂z itself where it is not a plain product.

    With several samples the factors are those of each sample's own loss ℓₙ.
    """
    if layer.da_dz is None or layer.fused:
        return [Factor(f"∂{loss}/∂z_{neuron}", layer.delta[:, i])]
    return [Factor(f"∂{loss}/∂{neuron}", layer.dl_da[:, i]),
            Factor(f"∂{neuron}/∂z_{neuron}", layer.da_dz[:, i])]


def check_size(spec: Spec, samples: int, limit: int = EXPLAIN_LIMIT, what: str = "one step explains") -> None:
    """Refuse a step too big to explain (one clear line, exit 2) instead of exhausting memory and time."""
    slots = sum(layer.weights.size + layer.biases.size for layer in spec.layers)
    refuse_size(slots, samples, spec.source, limit, what)


def size_limit(limit: int = EXPLAIN_LIMIT, what: str = "one step explains"):
    """check_size as the loader calls it (load_spec's `size_check`): before the network is built."""
    return lambda slots, samples, source: refuse_size(slots, samples, source, limit, what)


def refuse_size(slots: int, samples: int, source: str, limit: int = EXPLAIN_LIMIT,
                what: str = "one step explains") -> None:
    if samples * slots > limit:
        from .errors import UsageError

        fits = max(1, limit // slots)
        hint = (f"use a smaller batch (`--set batch_size={fits}` takes the first {fits})"
                if slots <= limit else "this network is too large to explain weight by weight")
        raise UsageError(
            f"{source}: {what} every weight and bias for every sample: {samples:,} "
            f"sample{'s' if samples != 1 else ''} × "
            f"{slots:,} weights and biases = {samples * slots:,} chain-rule products, more than the "
            f"{limit:,} it takes at once; {hint}, or use `train` (any size)")
