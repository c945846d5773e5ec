"""Plain result objects with `to_dict()`: the single source for every output format."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np


def plain(value):
    """Arrays and numbers as JSON-ready Python values (non-finite floats become None)."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()] if value.ndim else plain(value.item())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Fraction):
        # Exact mode: the exact value as text ("0.985", "2/3"); see docs/exact.md.
        from .exact import exact_text

        return exact_text(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


@dataclass
class Factor:
    symbol: str
    value: np.ndarray  # one value per sample


@dataclass
class Term:
    """One slot's contribution to its parameter's gradient: a chain-rule product."""

    slot: str  # e.g. layers[0].weights[1][0]
    layer: int
    kind: str  # "weight" | "bias"
    row: int
    col: int | None
    factors: list[Factor]
    product: np.ndarray  # per sample
    contribution: object  # reduced over samples


@dataclass
class ParameterResult:
    name: str
    value: object
    grad: object
    new: object
    frozen: bool
    terms: list[Term]

    def to_dict(self, per_sample: bool) -> dict:
        def v(arr):
            return plain(arr) if per_sample else plain(arr[0])

        factors = []
        for k, term in enumerate(self.terms):
            for f in term.factors:
                factors.append({"symbol": f.symbol, "value": v(f.value), "term": k})
        return {
            "name": self.name,
            "value": plain(self.value),
            "grad": plain(self.grad),
            "new": plain(self.new),
            "frozen": self.frozen,
            "factors": factors,
            "terms": [{"slot": t.slot, "product": v(t.product), "contribution": plain(t.contribution)}
                      for t in self.terms],
        }


@dataclass
class LayerResult:
    index: int
    activation: str
    alpha: float
    neuron_names: list[str]
    input_names: list[str]
    weight_names: list[list[str]]
    bias_names: list[str]
    z: np.ndarray
    a: np.ndarray
    dl_da: np.ndarray | None
    da_dz: np.ndarray | None
    delta: np.ndarray
    weights: np.ndarray
    biases: np.ndarray
    grad_weights: np.ndarray
    grad_biases: np.ndarray
    new_weights: np.ndarray
    new_biases: np.ndarray
    fused: bool = False  # δ from the combined loss+activation formula
    jacobian: np.ndarray | None = None  # softmax: samples × K × K

    def to_dict(self) -> dict:
        d = {
            "index": self.index,
            "activation": self.activation,
            "neurons": self.neuron_names,
            "z": plain(self.z),
            "a": plain(self.a),
            "dL_da": plain(self.dl_da) if self.dl_da is not None else None,
            "da_dz": plain(self.da_dz) if self.da_dz is not None else None,
            "delta": plain(self.delta),
            "weights": plain(self.weights),
            "biases": plain(self.biases),
            "weight_names": self.weight_names,
            "bias_names": self.bias_names,
            "grad_weights": plain(self.grad_weights),
            "grad_biases": plain(self.grad_biases),
            "new_weights": plain(self.new_weights),
            "new_biases": plain(self.new_biases),
        }
        if self.activation == "leaky_relu":
            d["alpha"] = plain(self.alpha)
        if self.jacobian is not None:
            d["jacobian"] = plain(self.jacobian)
        return d


@dataclass
class StepResult:
    """Everything one step computes: forward, loss, backward and update."""

    name: str | None
    source: str
    loss_name: str
    reduction: str
    learning_rate: float
    input_names: list[str]
    inputs: np.ndarray
    targets: np.ndarray
    batch: list[int]  # sample indices of the batch (0-based)
    n_samples: int
    layers: list[LayerResult]
    losses: np.ndarray  # per sample
    loss: object
    parameters: list[ParameterResult]
    warnings: list[str] = field(default_factory=list)
    exact: bool = False

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    def parameter(self, name: str) -> ParameterResult:
        return next(p for p in self.parameters if p.name == name)

    def to_dict(self) -> dict:
        per_sample = len(self.batch) > 1
        return {
            "name": self.name,
            "loss": plain(self.loss),
            "losses": plain(self.losses),
            "mean_sample_loss": plain(sum(self.losses) / len(self.losses)),
            "loss_function": self.loss_name,
            "reduction": self.reduction,
            "learning_rate": plain(self.learning_rate),
            "batch": self.batch,
            "inputs": plain(self.inputs),
            "targets": plain(self.targets),
            "output": plain(self.output),
            "layers": [layer.to_dict() for layer in self.layers],
            "parameters": [p.to_dict(per_sample) for p in self.parameters],
            "warnings": self.warnings,
            **({"exact": True} if self.exact else {}),
        }


@dataclass
class EpochRecord:
    epoch: int  # 1-based
    loss: float  # mean over the epoch's batches, each measured before its update
    loss_min: float
    loss_max: float
    mean_sample_loss: float  # the mean of every sample's own loss this epoch

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "loss": plain(self.loss), "loss_min": plain(self.loss_min),
                "loss_max": plain(self.loss_max), "mean_sample_loss": plain(self.mean_sample_loss)}


@dataclass
class TrainResult:
    name: str | None
    epochs: int  # epochs completed
    loss: float  # on all data, after training
    output: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]
    parameters: dict[str, float]
    history: list[EpochRecord]  # the rows shown (thinned), not every epoch
    warnings: list[str] = field(default_factory=list)
    stopped: str | None = None  # why training stopped early

    def to_dict(self) -> dict:
        d = {
            "epochs": self.epochs,
            "loss": plain(self.loss),
            "output": plain(self.output),
            "layers": [{"weights": plain(w), "biases": plain(b)} for w, b in self.layers],
            "parameters": {k: plain(v) for k, v in self.parameters.items()},
        }
        if self.stopped:
            d["stopped"] = self.stopped
        if self.warnings:
            d["warnings"] = self.warnings
        return {"final": d}
