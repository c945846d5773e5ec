"""Plain result objects with `to_dict()`: the single source for every output format."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import get_activation


def plain(value):
    """Arrays and numbers as JSON-ready Python values (non-finite floats become None)."""
    if isinstance(value, np.ndarray):
        if value.ndim and value.dtype.kind in "fiub" and (value.dtype.kind != "f" or np.isfinite(value).all()):
            return value.tolist()  # already plain Python numbers (one C call for a large array)
        return [plain(v) for v in value.tolist()] if value.ndim else plain(value.item())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    fractions = sys.modules.get("fractions")  # not imported: no value can be a Fraction (saves start-up)
    if fractions is not None and isinstance(value, fractions.Fraction):
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
    state_before: dict | None = None  # optimizer state by torch's names; None: none yet
    state_after: dict | None = None
    update: list[UpdateLine] = field(default_factory=list)

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
            "state": {"before": _state(self.state_before), "after": _state(self.state_after)},
            "update": [line.to_dict() for line in self.update],
        }


def _state(state: dict | None) -> dict | None:
    return None if state is None else {k: plain(v) for k, v in state.items()}


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
    batch_scale: object = 1  # ∂L/∂ℓₙ: 1/N for a mean over N samples, 1 for a sum
    kind: str = "dense"  # the spec's `type:`
    extras: dict = field(default_factory=dict)  # a kind's own quantities by name (layers/)

    def to_dict(self) -> dict:
        d = {
            "index": self.index,
            "activation": self.activation,
            "neurons": self.neuron_names,
            "z": plain(self.z),
            "a": plain(self.a),
            # JSON holds derivatives of the batch loss L; the tables show each sample's ℓₙ
            "dL_da": plain(self.dl_da * self.batch_scale) if self.dl_da is not None else None,
            "da_dz": plain(self.da_dz) if self.da_dz is not None else None,
            "delta": plain(self.delta * self.batch_scale),
            "weights": plain(self.weights),
            "biases": plain(self.biases),
            "weight_names": self.weight_names,
            "bias_names": self.bias_names,
            "grad_weights": plain(self.grad_weights),
            "grad_biases": plain(self.grad_biases),
            "new_weights": plain(self.new_weights),
            "new_biases": plain(self.new_biases),
        }
        if get_activation(self.activation).takes_alpha:
            d["alpha"] = plain(self.alpha)
        if self.jacobian is not None:
            d["jacobian"] = plain(self.jacobian)
        if self.kind != "dense":
            d.update(type=self.kind, **{k: plain(v) for k, v in self.extras.items()})
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
    optimizer: OptimizerInfo | None = None
    batch_size: int | None = None  # as the spec asks (None: full); more than n_samples is one short batch
    spec: Any = field(default=None, repr=False, compare=False)  # the Spec stepped (backcalc.step sets it)
    input_gradients: np.ndarray | None = None  # ∂ℓₙ/∂x per sample and input, each sample's own loss

    def __repr__(self) -> str:
        return (f"<StepResult {self.name or self.source}: loss {self.loss_name} {_short(self.loss)}, "
                f"{len(self.parameters)} parameters, batch of {len(self.batch)}>")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from .display import mimebundle

        return mimebundle(self, include, exclude)

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    def next_spec(self):
        """The spec after this step's update: new weights and biases and the optimizer's new state,
        so that `step(result.next_spec())` takes the next step (on the same first batch)."""
        spec = self.spec
        if spec is None:
            raise ValueError("this StepResult does not hold its spec: make it with backcalc.step(spec)")
        state = {p.name: p.state_after for p in self.parameters if p.state_after is not None}
        return spec.with_parameters([layer.new_weights for layer in self.layers],
                               [layer.new_biases for layer in self.layers], state)

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
            # of the batch loss L, as autograd's x.grad (× 1/N under mean), like the layers' dL_da
            "input_gradients": plain(self.input_gradients * self.layers[0].batch_scale),
            "parameters": [p.to_dict(per_sample) for p in self.parameters],
            "warnings": self.warnings,
            **({"exact": True} if self.exact else {}),
            **({"optimizer": self.optimizer.to_dict()} if self.optimizer else {}),
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
    batches_per_epoch: int = 1
    reduction: str = "mean"
    curve: list = field(default_factory=list, repr=False)  # (epoch, mean loss) points of the loss curve, if kept

    def __repr__(self) -> str:
        stopped = f", stopped: {self.stopped}" if self.stopped else ""
        return (f"<TrainResult {self.name or 'spec'}: {self.epochs} epochs, loss {_short(self.loss)}, "
                f"{len(self.parameters)} parameters{stopped}>")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from .display import mimebundle

        return mimebundle(self, include, exclude)

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


def _short(value) -> str:
    """A number for a one-line repr."""
    from .number_text import short

    return short(value, 5)


LATEX_SYMBOLS = {"m̂": r"\hat m", "v̂": r"\hat v"}


@dataclass
class FormulaLine:
    """One line of an optimizer's update rule: `symbol ← formula` (or `=` for derived values)."""

    symbol: str  # t, g, b, m, v, m̂, v̂, p
    formula: str  # right-hand side, Unicode text
    latex: str  # right-hand side, LaTeX
    note: str = ""  # e.g. "first step", "m starts at 0"
    assign: bool = True  # ← (a stored value changes) rather than = (a derived value)

    @property
    def latex_symbol(self) -> str:
        return LATEX_SYMBOLS.get(self.symbol, self.symbol)

    @property
    def text(self) -> str:
        return f"{self.symbol} {'←' if self.assign else '='} {self.formula}"

    def to_dict(self) -> dict:
        return {"symbol": self.symbol, "formula": self.formula, "latex_symbol": self.latex_symbol,
                "latex": self.latex, "assign": self.assign, "note": self.note}


@dataclass
class UpdateLine:
    """One line of one parameter's optimizer update, with its numbers.

    `template` and `latex_template` hold `{slot}` fields; `values` fills them.
    `before` is the quantity's old value when it is stored (state or the
    parameter itself), else None.
    """

    name: str  # step | grad | decayed | momentum_buffer | exp_avg | exp_avg_sq | m_hat | v_hat | param
    symbol: str
    formula: str
    latex: str
    template: str
    latex_template: str
    values: dict
    value: object
    before: object = None

    @property
    def latex_symbol(self) -> str:
        return LATEX_SYMBOLS.get(self.symbol, self.symbol)

    def substituted(self, number, latex: bool = False) -> str:
        """The template with every slot written by `number` (negative numbers in parentheses)."""
        def one(v):
            text = number(v)
            return f"({text})" if text.startswith(("−", "-")) else text

        template = self.latex_template if latex else self.template
        return template.format(**{k: one(v) for k, v in self.values.items()})

    def to_dict(self) -> dict:
        return {"name": self.name, "symbol": self.symbol, "formula": self.formula, "latex": self.latex,
                "values": {k: plain(v) for k, v in self.values.items()}, "before": plain(self.before),
                "value": plain(self.value)}


@dataclass
class OptimizerInfo:
    name: str  # sgd | adam | adamw
    title: str  # e.g. "sgd with Nesterov momentum"
    learning_rate: object
    hyperparameters: dict
    formulas: list[FormulaLine]
    plain: bool = False  # plain SGD: no state, p ← p − η·∂L/∂p

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "learning_rate": plain(self.learning_rate),
                "hyperparameters": {k: plain(v) for k, v in self.hyperparameters.items()},
                "formulas": [f.to_dict() for f in self.formulas]}


@dataclass
class ForwardLayer:
    index: int
    activation: str
    neuron_names: list[str]
    z: np.ndarray  # samples × neurons
    a: np.ndarray

    def to_dict(self) -> dict:
        return {"index": self.index, "activation": self.activation, "neurons": self.neuron_names,
                "z": plain(self.z), "a": plain(self.a)}


@dataclass
class ForwardResult:
    """A forward pass only: every neuron's z and a for every sample."""

    name: str | None
    source: str
    input_names: list[str]
    inputs: np.ndarray  # samples × features
    layers: list[ForwardLayer]
    inputs_from: str  # "spec" or "--inputs"

    def __repr__(self) -> str:
        return f"<ForwardResult {self.name or self.source}: {len(self.inputs)} samples, {len(self.layers)} layers>"

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    def to_dict(self) -> dict:
        return {"name": self.name, "inputs_from": self.inputs_from, "input_names": self.input_names,
                "inputs": plain(self.inputs), "layers": [layer.to_dict() for layer in self.layers],
                "output": plain(self.output)}
