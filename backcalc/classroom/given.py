"""What a variant gives the student, as (label, value) rows, and a variant as the data every export reads."""

from __future__ import annotations

from ..number_text import short
from ..spec_model import Spec


def _num(x: float) -> str:
    return short(float(x), 6).replace("−", "-")


def given_rows(spec: Spec) -> list[tuple[str, str]]:
    """The numbers an exercise states: inputs, targets, every parameter once, the learning rate."""
    n = spec.n_samples
    rows = []
    for s in range(n):
        tag = f"[{s + 1}]" if n > 1 else ""
        rows += [(f"{name}{tag}", _num(spec.inputs[s, j])) for j, name in enumerate(spec.input_names)]
        rows += [(f"t_{name}{tag}", _num(spec.targets[s, k])) for k, name in enumerate(spec.layers[-1].neuron_names)]
    seen = set()
    for layer in spec.layers:
        for i in range(layer.size):
            for name, value in [*zip(layer.weight_names[i], layer.weights[i]), (layer.bias_names[i], layer.biases[i])]:
                if name not in seen:
                    seen.add(name)
                    rows.append((name + (" (frozen)" if name in spec.frozen else ""), _num(value)))
    rows.append(("learning rate η", _num(spec.learning_rate)))
    return rows


def setting(spec: Spec) -> str:
    """The exercise's set-up in one sentence (the same for every variant of a template)."""
    sizes = " → ".join([str(len(spec.input_names))] + [f"{layer.size} {layer.activation}" for layer in spec.layers])
    batch = f", a batch of {spec.n_samples} samples ({spec.reduction} over the batch)" if spec.n_samples > 1 else ""
    return (f"A network {sizes}, loss {spec.loss}{batch}, one step of {spec.optimizer.name} with "
            f"learning rate {_num(spec.learning_rate)}.")


def variant_data(variant) -> dict:
    """A variant as plain data: what the exports embed and the grader reads."""
    return {"id": variant.id, "number": variant.number, "student": variant.student,
            "spec": variant.yaml, "given": [list(r) for r in given_rows(variant.spec)],
            "quantities": [q.to_dict() for q in variant.key]}
