"""One forward pass, loss, backward pass and optimizer update, with every chain-rule factor."""

from __future__ import annotations

import numpy as np

from .arithmetic import Exact, Float
from .core import Worked, worked_step
from .diagnostics import step_warnings
from .layers import kind_named
from .network import Network, Trace
from .optimizers import Optimizer
from .result import Factor, LayerResult, ParameterResult, StepResult, Term
from .spec_model import Spec

# step explains every weight and bias for every sample of the batch; past this many chain-rule
# products (samples × slots) the result would take gigabytes and minutes, so step refuses.
EXPLAIN_LIMIT = 4_000_000


def step(spec: Spec, network: Network | None = None, batch: slice | None = None,
         optimizer: Optimizer | None = None, arith=None) -> StepResult:
    """Run one training step on the first batch (or `batch`) and explain it.

    The optimizer (default: the spec's, from its `optimizer_state`) is not changed. The arithmetic
    follows the network (Fractions for an exact one) unless `arith` is given.
    """
    net = network or Network(spec)
    if batch is None:
        batch = slice(0, spec.effective_batch_size)
    check_size(spec, len(range(spec.n_samples)[batch]))
    if arith is None:
        arith = Exact() if net.theta.dtype == object else Float()
    w = worked_step(spec, arith, net=net, batch=batch, optimizer=optimizer)
    return step_result(spec, w, list(range(spec.n_samples))[batch])


def step_result(spec: Spec, w: Worked, indices: list[int]) -> StepResult:
    """The StepResult views read, from a worked step."""
    net, x, t = w.net, w.x, w.t
    lr = w.arith.scalar(spec.learning_rate)
    warnings = [w.note] if w.note else []
    if not w.arith.sequential:
        trace = Trace(w.z, [x, *w.a])
        warnings += step_warnings(net, trace, x, t, w.loss, w.grad, w.new)
    n_layers = len(spec.layers)
    dtype = np.dtype(object) if w.arith.exact else np.dtype(float)
    layers = []
    for li, layer in enumerate(spec.layers):
        act = w.kinds[li].activation
        layers.append(LayerResult(
            index=li, activation=act.name, alpha=net.alphas[li],
            neuron_names=layer.neuron_names,
            input_names=spec.input_names if li == 0 else spec.layers[li - 1].neuron_names,
            weight_names=layer.weight_names, bias_names=layer.bias_names,
            z=w.z[li], a=w.a[li], dl_da=w.dl_da[li], da_dz=w.da_dz[li],
            delta=w.delta[li], weights=net.weights[li], biases=net.biases[li],
            grad_weights=w.grad[net.w_index[li]], grad_biases=w.grad[net.b_index[li]],
            new_weights=w.new[net.w_index[li]], new_biases=w.new[net.b_index[li]],
            fused=w.fused and li == n_layers - 1,
            jacobian=act.jacobian(w.a[li]) if not act.elementwise else None,
            batch_scale=_batch_scale(spec.reduction, x.shape[0], dtype),
            kind=layer.kind, extras=w.kinds[li].quantities(w.inputs_of(li), w.delta[li]),
        ))
    terms = _terms(spec, w, layers)
    opt, update = w.optimizer, w.update
    parameters = [
        ParameterResult(name, net.theta[k], w.grad[k], w.new[k], bool(net.frozen[k]), terms[k])
        for k, name in enumerate(net.names)
    ]
    for k, p in enumerate(parameters):
        p.state_before = opt.state_of(k)
        p.state_after = opt.state_of(k, update.state)
        p.update = opt.explain(k, net.theta, w.grad, update)
    return StepResult(
        name=spec.name, source=spec.source, loss_name=spec.loss, reduction=spec.reduction,
        learning_rate=lr, input_names=spec.input_names, inputs=x, targets=t,
        batch=indices, n_samples=spec.n_samples, layers=layers, losses=w.losses, loss=w.loss,
        parameters=parameters, warnings=warnings, exact=w.arith.exact, optimizer=opt.info(),
        batch_size=spec.batch_size, input_gradients=w.dl_dx,
    )


def _terms(spec: Spec, w: Worked, layers: list[LayerResult]) -> dict[int, list[Term]]:
    """Each parameter's chain-rule products, one Term per slot, with the factors of each."""
    net, n = w.net, w.n
    terms: dict[int, list[Term]] = {k: [] for k in range(len(net.names))}
    reduce = (lambda v: np.sum(v) / n) if spec.reduction == "mean" else np.sum
    for li, lr_ in enumerate(layers):
        a_in = w.inputs_of(li)
        pw, pb = w.products[li]
        if lr_.kind != "dense":
            _kind_terms(terms, li, lr_, pw, pb, net, reduce, spec.layers[li].options)
            continue
        for i, neuron in enumerate(lr_.neuron_names):
            head = _head_factors(lr_, i, neuron, "L" if n == 1 else "ℓ")
            for j in range(len(lr_.input_names)):
                p = lr_.weight_names[i][j]
                prod = pw[:, i, j]
                terms[net.w_index[li][i, j]].append(Term(
                    f"layers[{li}].weights[{i}][{j}]", li, "weight", i, j,
                    [*head, Factor(f"∂z_{neuron}/∂{p}", a_in[:, j])], prod, reduce(prod)))
            p = lr_.bias_names[i]
            prod = pb[:, i]
            one = lr_.delta[:, i] * 0 + 1
            terms[net.b_index[li][i]].append(Term(
                f"layers[{li}].biases[{i}]", li, "bias", i, None,
                [*head, Factor(f"∂z_{neuron}/∂{p}", one)], prod, reduce(prod)))
    return terms


def _kind_terms(terms: dict, li: int, layer: LayerResult, pw, pb, net, reduce, options: dict) -> None:
    """A typed layer's slots (a kernel entry: its products over every position already added up)."""
    w_key, b_key = ("gamma", "beta") if layer.kind == "batchnorm" else ("kernels", "biases")
    if not pb.shape[1]:
        return  # a pool or flatten: no parameters
    rows = pw.reshape(pw.shape[0], pb.shape[1], -1)
    own = getattr(kind_named(layer.kind), "slot_path", None)  # rnn, gru, lstm: weights_input, weights_hidden, …
    flat = net.w_index[li].reshape(pb.shape[1], -1)
    for i in range(rows.shape[1]):
        for j in range(rows.shape[2]):
            slot = f"{w_key}[{i}][{j}]" if own is None else own(options, i, j)  # a kind's own spec keys
            terms[flat[i, j]].append(Term(f"layers[{li}].{slot}", li, "weight", i, j,
                                          [Factor("Σ δ·a", rows[:, i, j])], rows[:, i, j], reduce(rows[:, i, j])))
        b_slot = f"{b_key}[{i}]" if own is None else own(options, i, None)
        terms[net.b_index[li][i]].append(Term(f"layers[{li}].{b_slot}", li, "bias", i, None,
                                              [Factor("Σ δ", pb[:, i])], pb[:, i], reduce(pb[:, i])))


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


def hand_rounded(spec: Spec, result: StepResult, decimals: int) -> StepResult:
    """`result` with every computed value as a student gets it rounding each to `decimals` first.

    A chain-rule product is then δ times the slot's input (δ already rounded), as by hand,
    rather than the three factors ∂ℓ/∂a · ∂a/∂z · ∂z/∂p.
    """
    from dataclasses import replace

    from .arithmetic import ByHand

    w = worked_step(spec, ByHand(decimals))
    n = len(result.batch)
    layers = [replace(layer, z=w.z[li], a=w.a[li],
                      dl_da=w.dl_da[li] if layer.dl_da is not None else None,
                      da_dz=w.da_dz[li] if layer.da_dz is not None else None, delta=w.delta[li],
                      # a kind's own quantities (each time step's hₜ, batch norm's x̂) as rounded by hand too
                      extras=w.kinds[li].quantities(w.inputs_of(li), w.delta[li]))
              for li, layer in enumerate(result.layers)]
    mean = result.reduction == "mean"
    ell = "L" if n == 1 else "ℓ"
    parameters: list[ParameterResult] = []
    for k, p in enumerate(result.parameters):
        terms = []
        for term in p.terms:
            layer = layers[term.layer]
            pw, pb = w.products[term.layer]
            product = pb[:, term.row] if term.kind == "bias" else pw[:, term.row, term.col]
            total = float(np.sum(product))
            factors = term.factors  # a typed layer's slot: Σ δ·a over its positions or time steps
            if layer.kind == "dense":
                neuron = layer.neuron_names[term.row]
                source = np.ones(n) if term.kind == "bias" else w.inputs_of(term.layer)[:, term.col]
                factors = [Factor(f"∂{ell}/∂z_{neuron}", layer.delta[:, term.row]),
                           Factor(f"∂z_{neuron}/∂{p.name}", source)]
            terms.append(replace(
                term, factors=factors, product=product,
                # one slot alone: the parameter's (rounded) gradient; tied slots: their exact share of it
                contribution=float(w.grad[k]) if len(p.terms) == 1 else (total / n if mean else total)))
        parameters.append(replace(p, grad=float(w.grad[k]), new=float(w.new[k]), terms=terms))
    rounded = replace(result, layers=layers, parameters=parameters, losses=w.losses, loss=float(w.loss),
                      warnings=list(result.warnings), input_gradients=w.dl_dx)
    if result.optimizer is not None and not result.optimizer.plain:
        _explain_updates(spec, rounded, w.new)
    return rounded


def _explain_updates(spec: Spec, result: StepResult, new: np.ndarray) -> None:
    """The optimizer's update lines recomputed from the hand-rounded gradients; the new values rounded."""
    from dataclasses import replace

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
            p.update[-1] = replace(p.update[-1], value=float(new[k]))
