"""The JSON Schema: generated from the loader's own declarations, shipped up to date,
accepting every real spec and rejecting the structural mistakes the loader rejects."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS, ROOT, cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

jsonschema = pytest.importorskip("jsonschema")

from backcalc import schema as declared  # noqa: E402
from backcalc.activations import ACTIVATIONS, ALIASES  # noqa: E402
from backcalc.errors import SpecError  # noqa: E402
from backcalc.losses import LOSSES  # noqa: E402
from backcalc.optimizers import NAMES  # noqa: E402
from backcalc.spec import INIT_KEYS, LAYER_KEYS, TOP_LEVEL_KEYS, parse_spec  # noqa: E402

SCHEMA_FILE = ROOT / "schema" / "backcalc.schema.json"
MODELINE = "# yaml-language-server: $schema="


@pytest.fixture(scope="module")
def schema():
    result = cli("schema")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator(schema):
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_valid_draft_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_shipped_schema_file_is_up_to_date():
    assert SCHEMA_FILE.read_text() == cli("schema").stdout, \
        "regenerate it: backcalc schema > schema/backcalc.schema.json (or `make schema`)"


def test_every_key_the_loader_accepts_is_declared_and_vice_versa(schema):
    missing = [k for k in TOP_LEVEL_KEYS if k not in declared.TOP_LEVEL]
    assert not missing, f"add a Field for {missing} to TOP_LEVEL in backcalc/schema.py"
    extra = [k for k in declared.TOP_LEVEL if k not in TOP_LEVEL_KEYS]
    assert not extra, f"{extra} are declared in backcalc/schema.py but the loader does not accept them"
    assert list(schema["properties"]) == TOP_LEVEL_KEYS
    assert list(schema["$defs"]["layer"]["properties"]) == LAYER_KEYS
    assert list(schema["$defs"]["init"]["properties"]) == INIT_KEYS
    for props in (schema["properties"], schema["$defs"]["layer"]["properties"], schema["$defs"]["init"]["properties"]):
        for key, sub in props.items():
            assert sub.get("description") and "not described" not in sub["description"], key


def test_choices_come_from_the_registries(schema):
    layer = schema["$defs"]["layer"]["properties"]
    def names(sub):  # the enum (for editors) before the same names in any case (as the loader reads them)
        listed, any_case = sub["anyOf"]
        assert any_case == declared.spelled_any_case(listed["enum"])
        return listed["enum"]

    assert set(names(layer["activation"])) == set(ACTIVATIONS) | set(ALIASES)
    assert set(names(schema["properties"]["loss"])) == set(LOSSES)
    assert names(schema["properties"]["reduction"]) == declared.REDUCTIONS
    assert names(schema["$defs"]["init"]["properties"]["distribution"]) == declared.DISTRIBUTIONS


def _configs():
    return sorted(CONFIGS.glob("*.yaml")) + sorted((ROOT / "backcalc" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", _configs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_config_starts_with_the_schema_line_and_validates(path: Path, validator):
    text = path.read_text()
    first = text.splitlines()[0]
    assert first.startswith(MODELINE), f"{path} must start with `{MODELINE}…`"
    # Bundled examples link to configs/, so the path is relative to the configs/ file.
    assert (path.resolve().parent / first[len(MODELINE):]).resolve() == SCHEMA_FILE.resolve()
    errors = list(validator.iter_errors(yaml.safe_load(text)))
    assert not errors, [e.message for e in errors]


def test_specs_the_writer_produces_validate(validator):
    """Trained or saved specs (writer output) stay valid for an editor."""
    from backcalc.circuit.spec import Circuit
    from backcalc.spec import load_spec
    from backcalc.writer import spec_to_yaml

    for path in sorted(CONFIGS.glob("*.yaml")):
        spec = load_spec(path)
        if isinstance(spec, Circuit):  # circuits are never trained, so never written back
            continue
        text = spec_to_yaml(spec)
        assert not list(validator.iter_errors(yaml.safe_load(text))), path


BASE = yaml.safe_load((CONFIGS / "mazur.yaml").read_text())


def _with(**changes):
    spec = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is _DROP:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def _layer(index, **changes):
    spec = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is _DROP:
            spec["layers"][index].pop(key, None)
        else:
            spec["layers"][index][key] = value
    return spec


_DROP = object()
ONE = {"inputs": [[0.5]], "targets": [[1]]}

# Specs the loader rejects for reasons a schema can express.
BAD = {
    "not a mapping": [1, 2, 3],
    "unknown key": _with(learning_rte=0.1),
    "missing inputs": _with(inputs=_DROP),
    "missing layers": _with(layers=_DROP),
    "missing target": _with(target=_DROP),
    "target and targets": _with(targets=[[0.01]]),
    "name not text": _with(name=5),
    "description a list": _with(description=["a"]),
    "inputs empty": _with(inputs=[]),
    "inputs a string": _with(inputs="abc"),
    "inputs a mixed list": _with(inputs=[0.05, [0.1]]),
    "inputs with a string": _with(inputs=[[0.05, "a"]]),
    "inputs an empty row": _with(inputs=[[]]),
    "inputs a boolean": _with(inputs=[True, 0.1]),
    "target null": _with(target=None),
    "unknown loss": _with(loss="msee"),
    "unknown reduction": _with(reduction="avg"),
    "learning rate zero": _with(learning_rate=0),
    "learning rate negative": _with(learning_rate=-0.5),
    "learning rate text": _with(learning_rate="fast"),
    "learning rate boolean": _with(learning_rate=True),
    "epochs zero": _with(epochs=0),
    "epochs fractional": _with(epochs=2.5),
    "epochs text": _with(epochs="ten"),
    "batch size zero": _with(batch_size=0),
    "batch size negative": _with(batch_size=-1),
    "batch size text": _with(batch_size="half"),
    # a one-neuron softmax is the constant 1 (its gradients all 0): refused, in the schema too
    "one-neuron softmax by weights": _layer(1, activation="softmax"),
    "one-neuron softmax as a flat row": _layer(1, activation="softmax", weights=[0.4, 0.45], biases=0.6),
    "one-neuron softmax by size": {**ONE, "layers": [{"activation": "tanh", "size": 3},
                                                     {"activation": "softmax", "size": 1}]},
    "init not a mapping": _with(init=3),
    "init seed negative": _with(init={"seed": -1}),
    "init unknown distribution": _with(init={"distribution": "gauss"}),
    "init unknown key": _with(init={"sead": 1}),
    "frozen not a list": _with(frozen="w1"),
    "frozen a number": _with(frozen=[1]),
    "layers empty": _with(layers=[]),
    "layers a mapping": _with(layers={"activation": "sigmoid"}),
    "layer not a mapping": _with(layers=["sigmoid"]),
    "layer without activation": _layer(0, activation=_DROP),
    "unknown activation": _layer(0, activation="sigmod"),
    "activation a number": _layer(0, activation=3),
    "unknown layer key": _layer(0, bias=[0.35, 0.35]),
    "neither weights nor size": _layer(0, weights=_DROP, biases=_DROP),
    "size zero": {**ONE, "layers": [{"activation": "identity", "size": 0}]},
    "size fractional": {**ONE, "layers": [{"activation": "identity", "size": 1.5}]},
    "alpha on sigmoid": _layer(0, alpha=0.1),
    "alpha text": {**ONE, "layers": [{"activation": "leaky_relu", "alpha": "x", "weights": [[1]]}]},
    "weights empty": _layer(0, weights=[]),
    "weights a number": _layer(1, weights=0.4),
    "weight a string": _layer(1, weights=[[0.4, "a"]]),
    "weight entry with two pairs": _layer(1, weights=[[{"w5": 0.4, "w7": 0.1}, 0.45]]),
    "weight name with a text value": _layer(1, weights=[[{"w5": "x"}, 0.45]]),
    "weights rows and numbers mixed": _layer(0, weights=[[0.15, 0.2], 0.25]),
    "weights an empty row": _layer(1, weights=[[]]),
    "biases empty": _layer(0, biases=[]),
    "bias a string": _layer(0, biases=["a", 0.35]),
    "biases nested": _layer(0, biases=[[0.35], [0.35]]),
    "names not a list": _layer(0, names="h1"),
    "names numbers": _layer(0, names=[1, 2]),
    "unknown optimizer": _with(optimizer="adamm"),
    "optimizer a boolean": _with(optimizer=True),
    "optimizer without name": _with(optimizer={"betas": [0.9, 0.999]}),
    "optimizer unknown key": _with(optimizer={"name": "adam", "beta": [0.9, 0.999]}),
    "betas out of range": _with(optimizer={"name": "adam", "betas": [0.9, 1.5]}),
    "betas of three": _with(optimizer={"name": "adam", "betas": [0.9, 0.99, 0.999]}),
    "betas on sgd": _with(optimizer={"name": "sgd", "betas": [0.9, 0.999]}),
    "momentum on adam": _with(optimizer={"name": "adamw", "momentum": 0.9}),
    "momentum zero for momentum": _with(optimizer={"name": "momentum", "momentum": 0}),
    "dampening above one": _with(optimizer={"name": "sgd", "momentum": 0.9, "dampening": 2}),
    "nesterov text": _with(optimizer={"name": "sgd", "momentum": 0.9, "nesterov": "yes"}),
    "negative weight decay": _with(optimizer={"name": "adam", "weight_decay": -0.1}),
    "optimizer learning rate zero": _with(learning_rate=_DROP, optimizer={"name": "adam", "learning_rate": 0}),
    "state a list": _with(optimizer="adam", optimizer_state=[1]),
    "state unknown key": _with(optimizer="adam", optimizer_state={"w5": {"step": 1, "exp_avg": 0.1,
                                                                          "exp_avg_sq": 0.01, "m": 1}}),
    "state step zero": _with(optimizer="adam", optimizer_state={"w5": {"step": 0, "exp_avg": 0.1,
                                                                        "exp_avg_sq": 0.01}}),
    "state negative second moment": _with(optimizer="adam", optimizer_state={"w5": {"step": 1, "exp_avg": 0.1,
                                                                                     "exp_avg_sq": -1}}),
    "fraction over zero": _layer(0, biases=["1/0", 0.35]),
    "fraction of decimals": _with(inputs=[["1.5/2", 0.1]]),
    "fraction of three parts": _with(learning_rate="1/2/3"),
    "negative fraction learning rate": _with(learning_rate="-1/10"),
    "negative fraction momentum": _with(optimizer={"name": "sgd", "momentum": "-1/2"}),
    # any case reads as the lower-case name, so the rules tied to a name hold in any case too
    "alpha on Sigmoid": _layer(0, activation="Sigmoid", alpha=0.1),
    "one-neuron SoftMax": _layer(1, activation="SoftMax"),
    "betas on SGD": _with(optimizer={"name": "SGD", "betas": [0.9, 0.999]}),
    "momentum on AdamW": _with(optimizer={"name": "AdamW", "momentum": 0.9}),
    "momentum zero for Momentum": _with(optimizer={"name": "Momentum", "momentum": 0}),
    "unknown loss in capitals": _with(loss="MSEE"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_schema_rejects_what_the_loader_rejects(name, validator):
    spec = BAD[name]
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    result = cli("step", "-", input=text)
    assert result.exit_code == 2, (name, result.stdout, result.stderr)
    assert result.stdout == "" and result.stderr.startswith("<stdin>") and "Traceback" not in result.stderr
    assert not validator.is_valid(spec), f"the schema accepts a spec the loader rejects: {name}"


# Valid variations the schema must not reject.
GOOD = {
    "targets spelled out": {**_with(target=_DROP), "targets": [[0.01]]},
    "full batch": _with(batch_size="full"),
    "batch of one": _with(batch_size=1),
    "batch larger than the samples": _with(batch_size=2),  # one short batch, as PyTorch's DataLoader
    "two-neuron softmax by size": {**ONE, "targets": [[1, 0]], "loss": "bce",
                                   "layers": [{"activation": "tanh", "size": 3}, {"activation": "softmax", "size": 2}]},
    "sum reduction, epochs": _with(reduction="sum", epochs=3),
    "one number inputs": {**ONE, "inputs": 0.5, "target": 1, "targets": _DROP,
                          "layers": [{"activation": "linear", "weights": [[2]], "biases": 0.1}]},
    "flat row of one neuron": _layer(1, weights=[0.4, 0.45], biases=0.6),
    "unnamed entries": _layer(0, weights=[[0.15, 0.2], [0.25, 0.3]], biases=[0.35, 0.35]),
    "leaky relu with alpha": _layer(0, activation="leaky_relu", alpha=0.2),
    "sized layers with init": {**ONE, "layers": [{"activation": "tanh", "size": 3},
                                                 {"activation": "sigmoid", "size": 1}],
                               "init": {"seed": 0, "distribution": "he"}},
    "frozen and names": _with(frozen=["b1", "b2"]),
    "optimizer by name": _with(optimizer="momentum"),
    "adam with settings and state": _with(
        learning_rate=_DROP, optimizer={"name": "adamw", "learning_rate": 0.01, "betas": [0.8, 0.9], "eps": 1e-6,
                                        "weight_decay": 0.1},
        optimizer_state={"w5": {"step": 3, "exp_avg": -0.1, "exp_avg_sq": 0.02}}),
    "nesterov": _with(optimizer={"name": "sgd", "momentum": 0.5, "dampening": 0, "nesterov": True,
                                 "weight_decay": 0.01}, optimizer_state={"w1": {"momentum_buffer": 0.3}}),
    "fractions everywhere a number goes": _with(
        inputs=[["1/20", "-1/10"]], target="+1/100", learning_rate="1/2",
        optimizer={"name": "sgd", "momentum": "9/10", "weight_decay": "0/7"},
        optimizer_state={"w1": {"momentum_buffer": "-304601/150000"}}),
    "softmax output with cross entropy": {"inputs": [[1, 2]], "targets": [[0, 1]], "loss": "cross_entropy",
                                          "layers": [{"activation": "softmax", "names": ["a", "b"],
                                                      "weights": [[0.1, 0.2], [0.3, 0.4]]}]},
    "names in any case": {**_layer(0, activation="Sigmoid"), "loss": "MSE", "reduction": "Sum",
                          "init": {"distribution": "Xavier"}},
    "Adam with settings": _with(learning_rate=_DROP, optimizer={"name": "Adam", "betas": [0.8, 0.9]}),
    "Leaky_ReLU with alpha": _layer(0, activation="Leaky_ReLU", alpha=0.2),
}


def test_names_read_alike_in_any_case(config):
    """`loss: MSE`, `activation: Sigmoid`, `reduction: Sum`, `optimizer: Adam` and `--format JSON`
    give what the lower-case spellings give."""
    lower = yaml.safe_dump({**_layer(0, activation="sigmoid"), "loss": "mse", "reduction": "sum",
                            "optimizer": "adam"}, sort_keys=False)
    mixed = yaml.safe_dump({**_layer(0, activation="Sigmoid"), "loss": "MSE", "reduction": "Sum",
                            "optimizer": "Adam"}, sort_keys=False)
    expected = cli("step", "-", "--format", "json", input=lower)
    assert expected.exit_code == 0, expected.stderr
    got = cli("step", "-", "--format", "JSON", input=mixed)
    assert got.exit_code == 0, got.stderr
    assert got.stdout == expected.stdout
    assert cli("graph", "--example", "mazur", "-f", "Mermaid").stdout == cli("graph", "--example", "mazur",
                                                                              "-f", "mermaid").stdout
    overridden = cli("step", "-", "--json", "--set", "layers.1.activation=TANH", input=lower)
    assert overridden.exit_code == 0 and '"tanh"' in overridden.stdout
    wrong = cli("step", "-", "--set", "loss=MSEE", input=lower)
    assert wrong.exit_code == 2 and wrong.stdout == ""
    assert "unknown loss 'MSEE'" in wrong.stderr and "(did you mean `mse`?)" in wrong.stderr


@pytest.mark.parametrize("name", list(GOOD))
def test_schema_accepts_what_the_loader_accepts(name, validator):
    spec = {k: v for k, v in GOOD[name].items() if v is not _DROP}
    text = yaml.safe_dump(spec, sort_keys=False)
    result = cli("step", "-", "--json", input=text)
    assert result.exit_code == 0, (name, result.stderr)
    assert validator.is_valid(spec), [e.message for e in validator.iter_errors(spec)]


_MOMENTUM_STATE = {**BASE, "optimizer": {"name": "sgd", "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
                   "optimizer_state": {"w1": {"momentum_buffer": 0.5}, "b2": {"momentum_buffer": -0.1}}}
_WORDS = sorted({*ACTIVATIONS, *ALIASES, *LOSSES, *declared.REDUCTIONS, *declared.DISTRIBUTIONS, *NAMES,
                 "full", "w1", "x", "1/3", "-2/5", "1/0"})
_ANY = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 5) | st.floats(-2, 2, allow_nan=False) | st.sampled_from(_WORDS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["seed", "distribution", "w1", "b9", "activation", "size", "weights", "name", "betas",
                         "momentum", "step", "exp_avg"]), inner, max_size=2),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _mutate(spec, data):
    """One random edit: a new value of any kind, a plausible value of the same kind, or a key removed."""
    path = data.draw(st.sampled_from([p for p in _paths(spec) if p]))
    parent = spec
    for part in path[:-1]:
        parent = parent[part]
    old = parent[path[-1]]
    kind = data.draw(st.sampled_from(["any", "same", "same", "same", "name", "drop"]))
    if kind == "drop" and isinstance(parent, dict):
        del parent[path[-1]]
    elif kind == "same" and isinstance(old, (int, float)) and not isinstance(old, bool):
        parent[path[-1]] = data.draw(st.integers(-2, 6) | st.floats(-3, 3, allow_nan=False))
    elif kind == "same" and isinstance(old, str):
        parent[path[-1]] = data.draw(st.sampled_from(_WORDS))
    elif kind == "name" and isinstance(old, (int, float)) and not isinstance(old, bool):
        parent[path[-1]] = {data.draw(st.sampled_from(["p", "q", "w1", "b1"])): old}
    else:
        parent[path[-1]] = data.draw(_ANY)
    return path


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(["mazur", "xor", "batch_seed", "linear_regression", "softmax_classifier", "starter",
                             "adam_neuron", "momentum_state"]),
       data=st.data())
def test_schema_and_loader_agree_on_random_edits(base, data, validator):
    """Random edits of real specs: what the loader accepts the schema accepts, and a mistake of kind,
    key or choice the loader reports the schema reports too."""
    spec = _MOMENTUM_STATE if base == "momentum_state" else yaml.safe_load((CONFIGS / f"{base}.yaml").read_text())
    spec = copy.deepcopy(spec)
    path = _mutate(spec, data)
    try:
        parse_spec(yaml.safe_dump(spec), "<random>")
    except SpecError as e:
        structural = [p for p in e.problems if _STRUCTURAL.match(p.message) and not _is_whole_float(spec, p.path)
                      and not _OPTIMIZER_KEEPS.search(p.message)]
        assert not structural or not validator.is_valid(spec), (path, str(structural[0]))
        return
    assert validator.is_valid(spec), (path, [e.message for e in validator.iter_errors(spec)])


# Loader messages about a value's kind, a key or a choice: things a JSON Schema can say too.
# (Not: shapes that depend on other keys, tied values, ranges of data, softmax's position.)
_STRUCTURAL = re.compile(
    r"expected (a number|a whole number|a text value|a list|a mapping|a key name|a row|numbers|at least one"
    r"|either a list|a number or|`full` or a whole number ≥ 1, got (?!\d))"
    r"|unknown (key|activation|loss|reduction|distribution)|missing required key|give `(weights|target)")
# Which state keys an optimizer keeps depends on the `optimizer:` key; the schema allows every one.
_OPTIMIZER_KEEPS = re.compile(r"unknown key; \S.* keeps: ")


def _is_whole_float(spec, path: str) -> bool:
    """Whether the value a problem is about is a float with a whole value (`2.0`): JSON Schema counts it
    as an integer, the loader wants `2`. Decided from the value itself, not from the message's wording."""
    value = spec
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(value, dict) and len(value) == 1:  # a named entry `w1: 2.0`
        (value,) = value.values()
    return isinstance(value, float) and value.is_integer()


@pytest.mark.parametrize("edit, exempt", [
    ({"epochs": 3.0}, True), ({"init": {"seed": 0.0}}, True), ({"batch_size": 2.0}, True),
    ({"epochs": 2.5}, False), ({"batch_size": "two"}, False),
])
def test_a_whole_float_is_the_one_known_disagreement(edit, exempt, validator):
    """The random-edit test exempts exactly the loader's refusals of `3.0` for a whole number (JSON
    Schema calls it an integer), whatever the message says ("got the number 0.0" once escaped it)."""
    spec = {**copy.deepcopy(BASE), **edit}
    with pytest.raises(SpecError) as e:
        parse_spec(yaml.safe_dump(spec), "<edit>")
    (problem,) = e.value.problems
    assert _STRUCTURAL.match(problem.message)
    assert _is_whole_float(spec, problem.path) is exempt
    assert validator.is_valid(spec) is exempt
