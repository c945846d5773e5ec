"""Read and validate a spec's YAML into the spec model: every problem located (file, line, column,
key path) and all of a file's problems reported at once. `spec_layers` reads `layers:`,
`spec_names` the names, `optimizer_spec` and `datafiles` their keys; this module the rest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from .compose import compose, read_limited
from .errors import SpecError
from .losses import get_loss
from .reader import T_INT, T_STR, Reader, Stop, describe, suggest
from .schema import INIT, INIT_KEYS, TOP_LEVEL, TOP_LEVEL_KEYS
from .spec_batchnorm import check_statistics
from .spec_layers import read_layer_maps, read_layers
from .spec_model import Init, Spec, parameter_names
from .spec_names import check_names
from .spec_samples import nested, read_samples


def load_spec(path: str | Path, overrides: list[str] | None = None, size_check=None) -> Spec:
    """Read and validate a spec file; `overrides` are `key=value` changes (`--set`); `size_check`
    as for parse_spec."""
    p = Path(path)
    source = str(path)
    data = read_limited(p, source, "a YAML file")
    return parse_spec(data, source, overrides, base=p.parent, size_check=size_check)


def parse_spec(text: str | bytes, source: str = "<spec>", overrides: list[str] | None = None,
               base: str | Path | None = None, size_check=None) -> Spec:
    """Parse and validate spec text; raise SpecError listing every problem found.

    `overrides` (`key=value`, as given to `--set`) change the composed YAML
    before validation, so their problems are reported like the file's own.
    Data files the spec names are read relative to `base` (default: the working folder).
    `size_check(parameters, samples, source)`, a command's own size limit, is called with the number of
    weights and biases and of samples in the first batch as soon as they are known, before
    anything per parameter is built; it raises to refuse.
    """
    node = compose(text, source)
    if overrides:
        from .overrides import apply_overrides

        node = apply_overrides(node, overrides)
    reader = Reader(source, base, size_check)
    from .circuit.detect import is_circuit  # a circuit spec is told apart here, once

    try:
        if is_circuit(node):
            from .circuit.spec import read_circuit

            spec = read_circuit(reader, node)
        else:
            spec = _read_spec(reader, node)
    except Stop:
        spec = None
    if reader.problems:
        # in file order, whatever order the checks found them in
        raise SpecError(sorted(reader.problems, key=lambda p: (p.line or 0, p.column or 0)))
    assert spec is not None
    spec.source = source
    return spec


def _read_spec(r: Reader, root) -> Spec | None:
    top = r.mapping(root, "")
    if top is None:
        return None
    target_key = _check_top_keys(r, root, top)

    def get(key):
        return top[key][1] if key in top else None

    spec_kwargs: dict = {}
    for key in ("name", "description", "loss", "reduction", "learning_rate", "epochs"):
        if get(key) is not None:
            spec_kwargs[key] = r.field(get(key), key, TOP_LEVEL[key])
    init = _read_init(r, get("init")) if get("init") is not None else Init()

    from_files = _read_data_files(r, top)
    if from_files is None:
        return None
    inputs = from_files.get("inputs")
    sample_shape = None
    if inputs is None and get("inputs") is not None:
        if nested(get("inputs")):  # each sample channels × height × width, channels × length, time × features
            inputs, sample_shape = read_samples(r, get("inputs")) or (None, None)
        else:
            inputs = r.matrix(get("inputs"), "inputs", "sample")
    layer_maps = read_layer_maps(r, get("layers")) if get("layers") is not None else None
    if inputs is None or layer_maps is None:
        return None
    x = np.ascontiguousarray(inputs, dtype=float)
    r.keep_exact("inputs", inputs)
    batch_size = _read_batch_size(r, get("batch_size"), x.shape[0]) if get("batch_size") is not None else None
    size_check = r.size_check
    layers = read_layers(r, layer_maps, sample_shape or x.shape[1:], init, size_check and (
        lambda parameters: size_check(parameters, min(batch_size or x.shape[0], x.shape[0]), r.source)))
    if layers is None:
        return None
    check_statistics(r, layer_maps, layers, x.shape[0], batch_size)
    n_out = layers[-1].size

    targets = None
    if target_key in top:
        targets = _read_targets(r, top[target_key][1], target_key, x.shape[0], n_out, from_files.get("targets"))
    if targets is None:
        return None
    spec = Spec(inputs=x, targets=targets, layers=layers, init=init, exact=r.exact,
                **{k: v for k, v in spec_kwargs.items() if v is not None})
    spec.input_names = from_files.get("input_names") or [f"x{j + 1}" for j in range(x.shape[1])]
    spec.where = {key: r.where(value) for key, (_, value) in top.items()}
    spec.where.update({f"layers[{li}].activation": r.where(m["activation"][1]) for li, (_, m) in enumerate(layer_maps)
                       if "activation" in m})
    spec.batch_size = batch_size
    _check_loss(r, spec, top, target_key)
    check_names(r, spec, layer_maps)
    if get("frozen") is not None:
        spec.frozen = _read_frozen(r, get("frozen"), spec)
    if "optimizer" in top or "optimizer_state" in top:
        from .optimizer_spec import read_optimizer

        read_optimizer(r, spec, top)
    return spec


def _check_top_keys(r: Reader, root, top: dict) -> str:
    """Report unknown, missing and conflicting top-level keys; the key the targets come from."""
    for key, (key_node, _) in top.items():
        if key not in TOP_LEVEL_KEYS:
            r.error(key_node, key, f"unknown key{suggest(key, TOP_LEVEL_KEYS)}; "
                    f"expected one of: {', '.join(TOP_LEVEL_KEYS)}")
    for required in ("layers",) if "data" in top else ("inputs", "layers"):
        if required not in top:
            r.error(root, "", f"missing required key `{required}`")
    if "target" in top and "targets" in top:
        r.error(top["targets"][0], "targets", "give `target` or `targets`, not both")
    target_key = "targets" if "targets" in top else "target"
    if "data" in top:
        for key in ("inputs", "target", "targets"):
            if key in top:
                r.error(top[key][0], key, "give `data` (one table with `target_columns`) or `inputs` and "
                        "`targets`, not both")
        target_key = "data"
    elif target_key not in top:
        r.error(root, "", "missing required key `target` (or `targets`)")
    return target_key


def _read_init(r: Reader, node) -> Init:
    m = r.mapping(node, "init")
    init = Init()
    if m is None:
        return init
    for key, (key_node, value_node) in m.items():
        if key in INIT:
            value = r.field(value_node, f"init.{key}", INIT[key])
            if value is not None:
                setattr(init, key, value)
        else:
            r.error(key_node, f"init.{key}", f"unknown key{suggest(key, INIT_KEYS)}; "
                    f"expected one of: {', '.join(INIT_KEYS)}")
    return init



def _read_data_files(r: Reader, top: dict) -> dict | None:
    """Inputs and targets named as data files (datafiles.py): {"inputs", "targets", "input_names"}."""
    found: dict = {}
    named = [top[k][1] for k in ("inputs", "target", "targets") if k in top]
    if "data" not in top and not any(isinstance(node, yaml.MappingNode) for node in named):
        return found
    from . import datafiles  # only when a spec names data files: it imports csv and zipfile

    base = r.base
    if "data" in top:
        if any(k in top for k in ("inputs", "target", "targets")):
            return None  # reported: give one or the other
        pair = datafiles.read_data(r, top["data"][1], base)
        if pair is None:
            return None
        found["inputs"], found["targets"] = pair[0].values, pair[1].values
        found["input_names"] = pair[0].names
        return found
    for key in ("inputs", "target", "targets"):
        if key in top and isinstance(top[key][1], yaml.MappingNode):
            table = datafiles.read_ref(r, top[key][1], key, base)
            if table is None:
                return None
            found["targets" if key != "inputs" else "inputs"] = table.values
            if key == "inputs":
                found["input_names"] = table.names
    return found


def _read_targets(r: Reader, node, key: str, n_samples: int, n_out: int,
                  loaded: np.ndarray | None = None) -> np.ndarray | None:
    if loaded is not None:
        return _check_target_shape(r, node, key, loaded, n_samples, n_out)
    rows = r.matrix(node, key, "target")
    if rows is None:
        return None
    t = np.array(rows, dtype=float)
    r.keep_exact("targets", rows)
    nested = isinstance(node, yaml.SequenceNode) and isinstance(node.value[0], yaml.SequenceNode)
    if not nested and t.shape[0] == 1 and n_samples > 1 and n_out == 1 and t.shape[1] == n_samples:
        t = t.T  # one target per sample for a one-output network
        if "targets" in r.exact:
            r.exact["targets"] = r.exact["targets"].T
    return _check_target_shape(r, node, key, t, n_samples, n_out)


def _check_target_shape(r: Reader, node, key: str, t: np.ndarray, n_samples: int, n_out: int):
    if t.shape != (n_samples, n_out):
        what = (f"{n_samples} sample{'s' if n_samples != 1 else ''} × {n_out} output"
                f"{'s' if n_out != 1 else ''}")
        r.error(node, key, f"expected {what} (inputs have {n_samples} sample"
                f"{'s' if n_samples != 1 else ''}, the last layer {n_out} neuron"
                f"{'s' if n_out != 1 else ''}), got {t.shape[0]} × {t.shape[1]}")
        return None
    return t


def _read_batch_size(r: Reader, node, n_samples: int) -> int | None:
    r.visit(node, "batch_size")
    if isinstance(node, yaml.ScalarNode) and node.tag == T_STR and node.value == "full":
        return None
    if not (isinstance(node, yaml.ScalarNode) and node.tag == T_INT):
        r.error(node, "batch_size", f"expected `full` or a whole number ≥ 1, got {describe(node)}")
        return None
    b = r.integer(node, "batch_size")
    if b is not None and b < 1:
        r.error(node, "batch_size", f"expected `full` or a whole number ≥ 1, got {b}")
        return None
    return b  # more than the samples is one short batch of them all, as PyTorch's DataLoader takes it



def _check_loss(r: Reader, spec: Spec, top: dict, target_key: str) -> None:
    """The loss fits the output layer and the targets (where it is written, else at the targets).

    What each loss accepts is its registry entry's: the output activations it needs and why
    (`outputs`, `outputs_need`), and what its targets must be (`target_problem`).
    """
    where = top["loss"][1] if "loss" in top else top[target_key][1]
    loss, out_act = get_loss(spec.loss), spec.layers[-1].activation
    if loss.outputs and out_act not in loss.outputs:
        r.error(where, "loss", f"{loss.name} needs {loss.outputs_need}: use a {loss.outputs[0]} output "
                f"layer, got {out_act}")
    problem = loss.target_problem(spec.targets, out_act) if loss.target_problem else None
    if problem is not None:
        r.error(top[target_key][1], target_key, problem[1])


def _read_frozen(r: Reader, node, spec: Spec) -> list[str]:
    items = r.sequence(node, "frozen")
    if items is None:
        return []
    known = parameter_names(spec)
    known_set = set(known)
    out = []
    for k, item in enumerate(items):
        name = r.string(item, f"frozen[{k}]")
        if name is None:
            continue
        if name not in known_set:
            r.error(item, f"frozen[{k}]", f"no parameter is named {name!r}{suggest(name, known)}")
            continue
        out.append(name)
    return out
