"""The spec's keys, types and choices, declared once.

The loader (`spec_read.py`, `spec_layers.py`) takes its key lists, choices, types and bounds from the
tables below, and `json_schema()` turns the same tables into a JSON Schema
(draft 2020-12) for editors, so the two cannot disagree about what a key
accepts. Composite values (matrices, layers, weight entries) keep a JSON
Schema `shape` next to the loader code that reads them; the tests check both
against the same valid and invalid specs.

The key lists (`TOP_LEVEL_KEYS`, `LAYER_KEYS`, `INIT_KEYS`: what the loader accepts, in the
order messages and the schema list them) are these tables' keys: a new key is one `Field` here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .activations import ACTIVATIONS, DEFAULT_LEAKY_ALPHA, activation_names
from .losses import DEFAULT_LOSS, LOSSES
from .optimizers import ADAM_KEYS, ADAM_STATE, NAMES, SGD_KEYS, SGD_STATE

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REDUCTIONS = ["mean", "sum"]
DISTRIBUTIONS = ["uniform", "normal", "xavier", "he"]


@dataclass(frozen=True)
class Field:
    """One key of a spec: what it means and the values it accepts.

    A simple key has a `type` ("string", "number" or "integer") with optional
    `choices` and bounds, and the loader reads it generically with these
    settings; a composite key has a JSON Schema `shape` instead and a reader
    of its own in the loader.
    """

    doc: str
    type: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None  # inclusive
    above: float | None = None  # exclusive minimum
    default: object = None
    shape: dict | None = None
    what: str = ""  # the noun in "unknown <what> 'x'" messages
    kind: str = ""  # a composite value in a few words, for docs/spec.md

    def schema(self) -> dict:
        """This key's JSON Schema."""
        out: dict = {"description": self.doc}
        if self.shape is not None:
            out.update(self.shape)
        elif self.type == "number":
            out.update(number(self.minimum, self.above))
        else:
            out["type"] = self.type
        if self.choices:
            out.update(any_case(self.choices))
        if self.minimum is not None and self.type != "number":
            out["minimum"] = self.minimum
        if self.above is not None and self.type != "number":
            out["exclusiveMinimum"] = self.above
        if self.default is not None:
            out["default"] = self.default
        return out


# A fraction p/q of whole numbers, written as text (`"1/3"`, or plain 1/3, which YAML reads as
# text): the loader reads it exactly (exact.RATIO; q = 0 is refused). With a bound of 0 the
# sign is restricted too.
_FRACTION = "^[-+]?[0-9]+/0*[1-9][0-9]*$"
_NON_NEGATIVE_FRACTION = "^[+]?[0-9]+/0*[1-9][0-9]*$"
_POSITIVE_FRACTION = "^[+]?0*[1-9][0-9]*/0*[1-9][0-9]*$"


def number(minimum: float | None = None, above: float | None = None) -> dict:
    """A number as the loader reads it: a JSON number (with the bounds) or a fraction `p/q` as text."""
    plain: dict = {"type": "number"}
    pattern = _FRACTION
    if minimum is not None:
        plain["minimum"] = minimum
        pattern = _NON_NEGATIVE_FRACTION if minimum == 0 else pattern
    if above is not None:
        plain["exclusiveMinimum"] = above
        pattern = _POSITIVE_FRACTION if above == 0 else pattern
    return {"anyOf": [plain, {"type": "string", "pattern": pattern}]}


def spelled_any_case(names) -> dict:
    """A string matching one of `names` in any case (`MSE` as `mse`): JSON Schema's enum and
    const are case-sensitive and `(?i)` is not portable, so `[Mm][Ss][Ee]`."""
    def letters(name: str) -> str:
        return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in name)
    return {"type": "string", "pattern": f"^(?:{'|'.join(letters(n) for n in names)})$"}


def any_case(names) -> dict:
    """One of `names` as the loader reads it (any case); the enum first, for editors' completion."""
    return {"anyOf": [{"enum": list(names)}, spelled_any_case(names)]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


NUMBER = number()
FILE_NAME = {"type": "string", "pattern": "\\.([cC][sS][vV]|[nN][pP][yYzZ])$"}
MATRIX_OR_FILE = {"anyOf": [{"$ref": "#/$defs/matrix"}, {"$ref": "#/$defs/file"}]}
SAMPLES = {"anyOf": [*MATRIX_OR_FILE["anyOf"], {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/nested"}}]}
# Reusable pieces of composite values; json_schema() puts them under $defs.
DEFS: dict[str, dict] = {
    "matrix": {
        "description": "One number, one row of numbers (one sample), or a list of rows (one per sample).",
        "anyOf": [
            NUMBER,
            {"type": "array", "minItems": 1, "items": NUMBER},
            {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": NUMBER}},
        ],
    },
    "nested": {"description": "A sample as a nested list of numbers (channels × height × width, channels × "
                          "length, time × features).",
               # every level all lists or all numbers, three deep at most (the loader's rule)
               "anyOf": [{"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": NUMBER}},
                         {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": {
                             "type": "array", "minItems": 1, "items": NUMBER}}}]},
    "entry": {
        "description": "A number, or one `name: number` pair; entries with the same name are tied "
                       "(one shared parameter).",
        "anyOf": [
            NUMBER,
            {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": NUMBER},
        ],
    },
    "row": {"type": "array", "minItems": 1, "items": _ref("entry")},
    "columns": {"type": "array", "minItems": 1, "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "description": "Columns by header name or by number (from 0; negative from the end)."},
    "file": {
        "description": "Numbers read from a data file (docs/data-files.md), relative to the spec file.",
        "type": "object", "required": ["file"], "additionalProperties": False,
        "properties": {"file": FILE_NAME,
                       "columns": _ref("columns"), "header": {"type": "boolean"}, "key": {"type": "string"}},
    },
}


def _optimizer_shape() -> dict:
    """`optimizer:` as the loader (optimizer_spec.py) reads it: a name, or a mapping with `name:`."""
    non_negative = number(minimum=0)
    at_most_one = number(minimum=0)
    at_most_one["anyOf"][0]["maximum"] = 1
    below_one = number(minimum=0)
    below_one["anyOf"][0]["exclusiveMaximum"] = 1
    settings = {
        "name": any_case(NAMES),
        "learning_rate": {**number(above=0), "description": "Instead of the top-level `learning_rate` (not both)."},
        "momentum": non_negative,
        "dampening": at_most_one,
        "nesterov": {"type": "boolean", "description": "Needs momentum > 0 and dampening 0."},
        "weight_decay": non_negative,
        "betas": {"type": "array", "minItems": 2, "maxItems": 2, "items": below_one},
        "eps": non_negative,
    }
    assert set(settings) == {"name", "learning_rate", *SGD_KEYS, *ADAM_KEYS}
    sgd_only = [k for k in SGD_KEYS if k not in ADAM_KEYS]
    adam_only = [k for k in ADAM_KEYS if k not in SGD_KEYS]
    return {"anyOf": [
        any_case(NAMES),
        {"type": "object", "required": ["name"], "additionalProperties": False, "properties": settings,
         "allOf": [
             {"if": {"properties": {"name": spelled_any_case(["adam", "adamw"])}},
              "then": {"properties": {k: False for k in sgd_only}},
              "else": {"properties": {k: False for k in adam_only}}},
             {"if": {"properties": {"name": spelled_any_case(["momentum"])}},
              "then": {"properties": {"momentum": number(above=0)}}},
         ]},
    ]}


_STATE = {"step": {"type": "integer", "minimum": 1}, "exp_avg_sq": number(minimum=0),
          **{k: number() for k in [*SGD_STATE, *ADAM_STATE] if k not in ("step", "exp_avg_sq")}}

TOP_LEVEL: dict[str, Field] = {
    "name": Field("A short name, shown in table titles and JSON output.", type="string"),
    "description": Field("One line saying what the network is (`backcalc examples` lists it).",
                         type="string"),
    "inputs": Field("The samples: one number, one row `[x1, x2, …]` (a single sample), or a list of rows "
                    "(one per sample, each with one number per input feature); or, for a first layer of a "
                    "kind, each sample a nested list of its shape (conv2d: channels × height × width, conv1d: "
                    "channels × length, rnn: time × features), read row-major.", shape=SAMPLES,
                    kind="numbers: one, a row or rows; or `{file: …}`"),
    "target": Field("Another spelling of `targets` (give one of the two).", shape=MATRIX_OR_FILE,
                    kind="like `targets`"),
    "targets": Field("The wanted outputs: one row per sample with one number per output neuron. For a "
                     "one-output network a flat list gives one target per sample.", shape=MATRIX_OR_FILE,
                     kind="numbers: one, a row or rows; or `{file: …}`"),
    "layers": Field("The layers from the first hidden layer to the output layer; the input layer is "
                    "implied by `inputs`.", shape={"type": "array", "minItems": 1, "items": _ref("layer")},
                    kind="list of layers"),
    "loss": Field("The per-sample loss of the outputs.", type="string", choices=tuple(sorted(LOSSES)),
                  default=DEFAULT_LOSS, what="loss"),
    "reduction": Field("How per-sample losses and gradients combine over a batch: their mean or their sum.",
                       type="string", choices=tuple(REDUCTIONS), default="mean", what="reduction"),
    "learning_rate": Field("The step size η of the update p ← p − η·∂L/∂p.", type="number", above=0,
                           default=0.1),
    "batch_size": Field("Samples per update: `full` (all samples, one update per epoch) or a whole "
                        "number ≥ 1 (more than the samples is one short batch of them all); batches are taken "
                        "in order.",
                        shape={"anyOf": [{"const": "full"}, {"type": "integer", "minimum": 1}]},
                        default="full", kind="`full` or whole number ≥ 1"),
    "init": Field("How layers given by `size:` instead of `weights:` are initialised.", shape=_ref("init"),
                  kind="mapping: `seed`, `distribution`"),
    "frozen": Field("Parameter names (as shown in the tables) that keep their values; their gradients "
                    "are still computed and shown.", shape={"type": "array", "items": {"type": "string"}},
                    kind="list of names"),
    "epochs": Field("Epochs `backcalc train` runs when `--epochs` is not given (default 100).",
                    type="integer", minimum=1),
    "optimizer": Field("The update rule, as torch.optim computes it: a name (`sgd`, `momentum` = sgd with "
                       "momentum 0.9, `adam`, `adamw`) or a mapping with `name:` and its settings "
                       "(sgd: momentum, dampening, nesterov, weight_decay; adam/adamw: betas, eps, "
                       "weight_decay).", shape=_optimizer_shape(), default="sgd",
                       kind="a name, or a mapping with `name:`"),
    "optimizer_state": Field("The optimizer state to resume from, by parameter name (PyTorch's names: "
                             "`momentum_buffer`; `step`, `exp_avg`, `exp_avg_sq`); saved specs carry it.",
                             shape={"type": "object", "additionalProperties": {
                                 "type": "object", "additionalProperties": False, "properties": _STATE}},
                             kind="mapping: parameter → state"),
    "data": Field("Inputs and targets from one table file instead of `inputs:` and `targets:`: `file:` "
                  "(.csv, .npy or .npz), `target_columns:` (required), `columns:` (the inputs; default "
                  "the other columns), `header:` (CSV), `key:` (.npz); see docs/data-files.md.",
                  shape={"type": "object", "required": ["file", "target_columns"], "additionalProperties": False,
                         "properties": {"file": FILE_NAME,
                                        "columns": _ref("columns"), "target_columns": _ref("columns"),
                                        "header": {"type": "boolean"}, "key": {"type": "string"}}},
                  kind="mapping: `file`, `target_columns`, …"),
}

LAYER: dict[str, Field] = {
    "activation": Field("The activation function of every neuron in the layer (`softmax` only on the "
                        "output layer, with at least 2 neurons).", type="string", choices=tuple(activation_names()),
                        what="activation"),
    "alpha": Field("The slope for z ≤ 0 of `leaky_relu` (only with leaky_relu).", type="number",
                   default=DEFAULT_LEAKY_ALPHA),
    "weights": Field("One row per neuron, one entry per input of the layer (PyTorch `nn.Linear` "
                     "layout: neurons × inputs); a flat list is the one row of a one-neuron layer.",
                     shape={"anyOf": [_ref("row"), {"type": "array", "minItems": 1, "items": _ref("row")}]},
                     kind="rows of entries"),
    "biases": Field("One entry per neuron, or a single entry (no brackets): one bias shared by every neuron "
                    "of the layer (default 0 when `weights:` is given).",
                    shape={"anyOf": [_ref("entry"), _ref("row")]}, kind="a row of entries"),
    "size": Field("The number of neurons; without `weights:` the layer is initialised from `init:`. "
                  "A pool's `size:` is its window (`kernel_size:`).",
                  type="integer", minimum=1),
    "names": Field("Neuron names used in tables and answers, one per neuron (default h1, h2, … for "
                   "hidden, o1, … for output neurons).", shape={"type": "array", "items": {"type": "string"}},
                   kind="list of text"),
}
# A layer's `type:` and the keys of the other kinds (layers/): a layer without `type:` is dense and
# reads the keys above; `DENSE_KEYS` are what a dense layer's messages list.
DENSE_KEYS = list(LAYER)
LAYER_TYPES = ("dense", "conv1d", "conv2d", "maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d", "flatten",
               "batchnorm", "rnn", "gru", "lstm")
_PAIR = {"anyOf": [{"type": "integer", "minimum": 0},
                   {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "integer", "minimum": 0}}]}
_KERNEL = {"type": "array", "minItems": 1, "items": {"anyOf": [{"$ref": "#/$defs/row"}, {"type": "array"}]}}
LAYER.update({
    "type": Field("The layer's kind (default dense): conv1d, conv2d (as torch.nn.Conv1d/Conv2d), maxpool1d, "
                  "maxpool2d, avgpool1d, avgpool2d, flatten, batchnorm (torch.nn.BatchNorm1d/2d in training "
                  "mode, ε = 1e-5), "
                  "rnn (torch.nn.RNN, one layer, one bias), gru (torch.nn.GRU, gate rows r, z, n), lstm "
                  "(torch.nn.LSTM, gate rows i, f, g, o, one bias); see docs/layers.md.", type="string",
                  choices=LAYER_TYPES, default="dense",
                  what="layer type"),
    "kernels": Field("A convolution's kernels: out channels × in channels × kernel height × kernel width "
                     "(conv1d: × kernel length), entries a number or `name: number` (PyTorch's layout).",
                     shape=_KERNEL, kind="nested lists of entries"),
    "out_channels": Field("A convolution's number of kernels when `kernels:` is not given (initialised from "
                          "`init:`, as PyTorch does).", type="integer", minimum=1),
    "kernel_size": Field("A convolution's or a pool's window: a whole number or [height, width].",
                         shape=_PAIR, kind="a whole number or a pair"),
    "stride": Field("How far the window moves (default 1 for a convolution, the window's size for a "
                    "pool): a whole number or [down, across].", shape=_PAIR, kind="a whole number or a pair"),
    "padding": Field("Zeros around the input (a max pool: −∞) on each side (default 0): a whole number or "
                     "[rows, columns].", shape=_PAIR, kind="a whole number or a pair"),
    "input_shape": Field("What a convolution or pool reads its inputs as (flat inputs, or the layer below's "
                         "output read as another shape): [channels, length] or [channels, height, width], their "
                         "product the number of inputs.",
                         shape={"type": "array", "minItems": 2, "maxItems": 3,
                                "items": {"type": "integer", "minimum": 1}}, kind="list of whole numbers"),
    "gamma": Field("A batch norm's scales, one per channel after a conv or pool, else one per unit "
                   "(default 1).", shape=_ref("row"), kind="a row of entries"),
    "beta": Field("A batch norm's shifts, one per channel after a conv or pool, else one per unit "
                  "(default 0).", shape=_ref("row"), kind="a row of entries"),
    "per": Field("What a batch norm's statistics are taken over: channel (over the batch and every "
                 "position, as BatchNorm1d on N×C×L or BatchNorm2d; the default after a conv or pool) or "
                 "unit (over the batch, as BatchNorm1d on N×F; the default elsewhere).", type="string",
                 choices=("channel", "unit"), what="per"),
    "weights_input": Field("A recurrent layer's W_x (torch's weight_ih_l0): hidden × features (rnn), or one "
                           "row per gate unit, gates in torch's order: 3·hidden × features (gru: r, z, n), "
                           "4·hidden × features (lstm: i, f, g, o).",
                           shape=_KERNEL, kind="nested lists of entries"),
    "weights_hidden": Field("A recurrent layer's W_h (torch's weight_hh_l0): hidden × hidden (rnn), "
                            "3·hidden × hidden (gru), 4·hidden × hidden (lstm).",
                            shape=_KERNEL, kind="nested lists of entries"),
    "hidden_size": Field("A recurrent layer's number of hidden units when its weights are not given "
                         "(initialised from `init:`).", type="integer", minimum=1),
    "initial_state": Field("A recurrent layer's h₀, one number per hidden unit (default zeros).",
                           shape={"type": "array", "minItems": 1, "items": {"type": "number"}},
                           kind="list of numbers"),
    "initial_cell": Field("An lstm's c₀, one number per hidden unit (default zeros).",
                          shape={"type": "array", "minItems": 1, "items": {"type": "number"}},
                          kind="list of numbers"),
    "biases_input": Field("A gru's input-side biases (torch's bias_ih_l0: b_ir, b_iz, b_in), 3·hidden "
                          "entries; the n gate adds b_in outside r⊙(…), so the two sides stay apart.",
                          shape=_ref("row"), kind="a row of entries"),
    "biases_hidden": Field("A gru's hidden-side biases (torch's bias_hh_l0: b_hr, b_hz, b_hn), 3·hidden "
                           "entries; b_hn sits inside r⊙(W_hn·h + b_hn).", shape=_ref("row"),
                           kind="a row of entries"),
    "return": Field("What a recurrent layer gives the next layer: last (h_T, the default) or all (every hₜ, "
                    "time-major).", type="string", choices=("last", "all"), default="last", what="return"),
})
LAYER_REQUIRED = ["activation"]

INIT: dict[str, Field] = {
    "seed": Field("The random seed (NumPy's default_rng).", type="integer", minimum=0, default=42),
    "distribution": Field("uniform: U(±1/√fan_in) for weights and biases (PyTorch nn.Linear's default); "
                          "normal: N(0, 1/fan_in); xavier: Glorot uniform; he: Kaiming normal N(0, 2/fan_in); "
                          "the last three start biases at 0.", type="string", choices=tuple(DISTRIBUTIONS),
                          default="uniform", what="distribution"),
}


TOP_LEVEL_KEYS = list(TOP_LEVEL)
LAYER_KEYS = list(LAYER)
INIT_KEYS = list(INIT)


def _object(fields: dict[str, Field]) -> dict:
    props = {k: f.schema() for k, f in fields.items()}
    return {"type": "object", "additionalProperties": False, "properties": props}


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a spec file."""
    layer = _object(LAYER)
    # Rules the loader checks across keys; a layer of another `type:` than dense has its own (docs/layers.md).
    layer["anyOf"] = [{"required": ["type"], "properties": {"type": {"not": {"const": "dense"}}}},
                      {"required": LAYER_REQUIRED, "anyOf": [{"required": ["weights"]}, {"required": ["size"]}]}]
    takes_alpha = [n for n, a in ACTIVATIONS.items() if a.takes_alpha]
    layer["dependentSchemas"] = {"alpha": {"properties": {"activation": spelled_any_case(takes_alpha)}}}
    # a one-neuron softmax (an activation of the whole layer) is the constant 1: it needs 2 rows of weights (a
    # flat list is one row) or size ≥ 2
    whole_layer = [n for n, a in ACTIVATIONS.items() if a.output_only]
    layer["if"] = {"required": ["activation"], "properties": {"activation": spelled_any_case(whole_layer)}}
    layer["then"] = {"properties": {"size": {"minimum": 2},
                                    "weights": {"type": "array", "minItems": 2, "items": {"type": "array"}}}}
    init = _object(INIT)
    top = _object(TOP_LEVEL)
    from .circuit.schema import with_circuits

    return with_circuits({
        "$schema": DRAFT,
        "title": "backcalc spec",
        "description": "A small neural network, its data and its training settings for backcalc.",
        **top,
        "required": ["inputs", "layers"],
        "oneOf": [{"required": ["target"]}, {"required": ["targets"]}],
        "$defs": {**DEFS, "layer": layer, "init": init},
    })


def json_schema_text() -> str:
    import json

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
