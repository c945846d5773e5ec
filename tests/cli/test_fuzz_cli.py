"""The seed configs, mutated anywhere, through every command that reads a spec.

test_properties.py mutates generated specs for `step`; these start from the shipped
configs, which use what generated specs do not (named and tied entries, `frozen`,
`size` with `init`, `batch_size`, `names`, optimizers and their state), replace any
node at any depth with junk, drop or add keys, break the YAML text itself, or give
the junk as a `--set` override. Whatever comes of it: exit 0, 1 or 2, never a
traceback or an internal error, and on exit 2 nothing on stdout and only located lines.
"""

from __future__ import annotations

import re

import yaml
from conftest import CONFIGS, cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEEDS = ["mazur", "xor", "batch_seed", "softmax_classifier", "adam_neuron", "sigmoid_seed_adam", "relu_seed",
         "linear_seed"]
DOCS = {name: yaml.safe_load((CONFIGS / f"{name}.yaml").read_text()) for name in SEEDS}
# every stderr line of a bad input: `source[:line:col]: …`, the source the spec, the answers or a --set option
LOCATED = re.compile(r"^(<stdin>|answers\.yaml|.*answers\.yaml|--set [^\n]*?)(:\d+:\d+)?: \S.*$")
ANSWERS = "loss: 0.3\nh1: 0.5\ndL/dw5: 0.08\n"
KEYS = ["activation", "weights", "biases", "size", "names", "alpha", "seed", "distribution", "name", "file",
        "columns", "momentum", "betas", "step", "exp_avg", "learning_rate", "w1", "b1", "inputs", "targets"]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(-3, 40), st.sampled_from([0, -1, 2**31, 2**63, 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 5e-324, -0.0]),
    st.text(max_size=6), st.sampled_from(["sigmoid", "softmax", "full", "adam", "mse", "w1", "h1", "1e-3", "x.csv",
                                          "0x1F", "1:30", ".nan", "~", "", "W1[1,1]"]),
)
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=4)), inner, max_size=3)), max_leaves=6)


def _paths(value, path=()):
    """Every node's path in a loaded document (dict keys and list indices)."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _replace(doc, path, new):
    if not path:
        return new
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


_DELETE = object()


def _set_key(path) -> str:
    return ".".join(str(p) for p in path)


@st.composite
def mutations(draw):
    """(spec text, --set overrides): one seed with one mutation."""
    import copy

    name = draw(st.sampled_from(SEEDS))
    doc = copy.deepcopy(DOCS[name])
    kind = draw(st.sampled_from(["replace", "replace", "delete", "add", "text", "set"]))
    paths = list(_paths(doc))
    path = draw(st.sampled_from(paths[1:]))
    if kind == "replace":
        return yaml.safe_dump(_replace(doc, path, draw(junk)), sort_keys=False), []
    if kind == "delete":
        return yaml.safe_dump(_replace(doc, path, _DELETE), sort_keys=False), []
    if kind == "add":
        dicts = [p for p in paths if isinstance(_get(doc, p), dict)]
        where = _get(doc, draw(st.sampled_from(dicts)))
        where[draw(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=5)))] = draw(junk)
        return yaml.safe_dump(doc, sort_keys=False), []
    text = yaml.safe_dump(doc, sort_keys=False)
    if kind == "text":
        pos = draw(st.integers(0, len(text)))
        chunk = draw(st.sampled_from(["\t", "\x00", "\x07", ":", "[", "]", "{", "}", "&a ", "*a", "!!", "!!binary ",
                                      "%", "@", "`", "\ufeff", "- ", "\n", "? ", "---\n", "<<: ", '"', "'"]))
        return text[:pos] + chunk + text[pos:], []
    value = yaml.safe_dump(draw(junk), default_flow_style=True, width=10**6).strip()
    if value.endswith("\n..."):
        value = value[:-4].strip()
    return text, [f"{_set_key(path)}={value}"]


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


COMMANDS = [("step", "--json"), ("step",), ("forward",), ("graph",), ("train", "--epochs", "2"),
            ("train", "--epochs", "2", "--json"), ("gradcheck", "--no-torch"), ("check", "--answers", "ANSWERS")]


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutations(), st.sampled_from(COMMANDS))
def test_mutated_seed_configs_through_every_command(tmp_path_factory, mutation, command):
    text, overrides = mutation
    answers = tmp_path_factory.getbasetemp() / "answers.yaml"
    answers.write_text(ANSWERS)
    args = [str(answers) if a == "ANSWERS" else a for a in command]
    sets = [x for o in overrides for x in ("--set", o)]
    result = cli(args[0], "-", *args[1:], *sets, input=text.encode("utf-8"))
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, (text, overrides, result.stderr)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        assert result.stdout == "", (text, overrides, result.stderr)
        lines = result.stderr.splitlines()
        assert lines, "an error must say something"
        bad = [ln for ln in lines if not LOCATED.match(ln)]
        assert not bad, (text, overrides, bad)
