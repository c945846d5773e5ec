"""Read and validate a spec's `optimizer:` and `optimizer_state:` keys (located errors, as spec_read.py)."""

from __future__ import annotations

import yaml

from .optimizers import (
    ADAM_KEYS,
    DEFAULT_ADAM_LR,
    DEFAULT_ADAMW_WEIGHT_DECAY,
    DEFAULT_MOMENTUM,
    NAMES,
    SGD_KEYS,
    OptimizerSpec,
    title,
)
from .reader import T_BOOL, Reader, clip, constructor, describe, shown, suggest
from .spec_model import Spec, parameter_names

MAX_STEP = 2**53  # a step count kept as int64 and raised to as a float exponent, exactly


def read_optimizer(r: Reader, spec: Spec, top: dict) -> None:
    """Set `spec.optimizer`, `spec.optimizer_state` and Adam's default learning rate."""
    lr_given = "learning_rate" in top
    if "optimizer" in top:
        config, lr, lr_node = _read_config(r, top["optimizer"][1])
        if lr_node is not None and lr_given:
            r.error(lr_node, "optimizer.learning_rate", "the learning rate is given twice: keep either "
                    "this one or the top-level `learning_rate`")
        elif lr is not None:
            spec.learning_rate = lr
        lr_given = lr_given or lr_node is not None
        if config is not None:
            spec.optimizer = config
    if spec.optimizer.is_adam and not lr_given:
        spec.learning_rate = DEFAULT_ADAM_LR
    if "optimizer_state" in top:
        spec.optimizer_state = _read_state(r, spec, top["optimizer_state"][1])


def _read_config(r: Reader, node):
    """The optimizer settings, the learning rate given inside them (or None) and its node."""
    r.visit(node)
    if isinstance(node, yaml.ScalarNode) and node.tag != T_BOOL:
        name = r.choice(node, "optimizer", NAMES, "optimizer")
        return (_defaults(name) if name else None), None, None
    if not isinstance(node, yaml.MappingNode):
        r.error(node, "optimizer", f"expected an optimizer name ({', '.join(NAMES)}) or a mapping "
                f"with `name:`, got {describe(node)}")
        return None, None, None
    m = r.mapping(node, "optimizer")
    if "name" not in m:
        r.error(node, "optimizer", f"missing required key `name` (one of: {', '.join(NAMES)})")
        return None, None, None
    name = r.choice(m["name"][1], "optimizer.name", NAMES, "optimizer")
    if name is None:
        return None, None, None
    adam = name in ("adam", "adamw")
    own = ADAM_KEYS if adam else SGD_KEYS
    allowed = ["name", "learning_rate", *own]
    settings = vars(_defaults(name)).copy()
    lr = lr_node = None
    for key, (key_node, value_node) in m.items():
        path = f"optimizer.{key}"
        if key == "name":
            continue
        if key not in allowed:
            if key in SGD_KEYS or key in ADAM_KEYS:
                family = "adam and adamw" if key in ADAM_KEYS else "sgd and momentum"
                r.error(key_node, path, f"`{key}` applies to {family}, not {name}")
            else:
                r.error(key_node, path, f"unknown key{suggest(key, allowed)}; expected one of: {', '.join(allowed)}")
            continue
        if key == "learning_rate":
            lr_node = value_node
            lr = _bounded(r, value_node, path, low=0, low_open=True)
        elif key == "nesterov":
            r.visit(value_node)
            if not (isinstance(value_node, yaml.ScalarNode) and value_node.tag == T_BOOL
                    and value_node.value.lower() in constructor.bool_values):  # not `!!bool maybe`
                r.error(value_node, path, f"expected true or false, got {describe(value_node)}")
            else:
                settings["nesterov"] = bool(constructor.construct_object(value_node))
        elif key == "betas":
            settings["betas"] = _read_betas(r, value_node, path) or settings["betas"]
        elif key == "dampening":
            value = _bounded(r, value_node, path, low=0, high=1)
            settings["dampening"] = settings["dampening"] if value is None else value
        else:  # momentum, weight_decay, eps
            low_open = key == "momentum" and name == "momentum"
            value = _bounded(r, value_node, path, low=0, low_open=low_open,
                             hint=" (for no momentum, use `name: sgd`)" if low_open else "")
            settings[key] = settings[key] if value is None else value
    config = OptimizerSpec(**settings)
    if config.nesterov and (config.momentum <= 0 or config.dampening != 0):
        key_node = m["nesterov"][0]
        r.error(key_node, "optimizer.nesterov", "Nesterov momentum needs `momentum` > 0 and `dampening: 0`, "
                f"got momentum {config.momentum:g} and dampening {config.dampening:g}")
    return config, lr, lr_node


def _defaults(name: str) -> OptimizerSpec:
    if name == "momentum":
        return OptimizerSpec(name="sgd", momentum=DEFAULT_MOMENTUM)
    if name == "adamw":
        return OptimizerSpec(name="adamw", weight_decay=DEFAULT_ADAMW_WEIGHT_DECAY)
    return OptimizerSpec(name=name)


def _bounded(r: Reader, node, path: str, low: float, high: float | None = None, low_open: bool = False,
             hint: str = "") -> float | None:
    value = r.number(node, path)
    if value is None:
        return None
    if value < low or (low_open and value == low) or (high is not None and value > high):
        if high is not None:
            want = f"a number from {low:g} to {high:g}"
        else:
            want = f"a number {'>' if low_open else '≥'} {low:g}"
        r.error(node, path, f"expected {want}{hint}, got {shown(value)}")
        return None
    return value


def _read_betas(r: Reader, node, path: str) -> tuple[float, float] | None:
    items = r.sequence(node, path)
    if items is None:
        return None
    if len(items) != 2:
        r.error(node, path, f"expected two numbers [β1, β2], got {len(items)}")
        return None
    out = []
    for i, item in enumerate(items):
        value = r.number(item, f"{path}[{i}]")
        if value is not None and not 0 <= value < 1:
            r.error(item, f"{path}[{i}]", f"expected a number from 0 up to (not including) 1, got {shown(value)}")
            value = None
        out.append(value)
    return None if None in out else (out[0], out[1])


def _read_state(r: Reader, spec: Spec, node) -> dict[str, dict]:
    m = r.mapping(node, "optimizer_state")
    if m is None:
        return {}
    keys = spec.optimizer.state_keys
    if not keys:
        r.error(node, "optimizer_state", f"{title(spec.optimizer)} keeps no state; remove `optimizer_state` "
                "(only momentum, adam and adamw keep state)")
        return {}
    names = parameter_names(spec)
    out = {}
    for name, (key_node, value_node) in m.items():
        path = f"optimizer_state.{name}"
        if name not in names:
            r.error(key_node, path, f"no parameter is named {name!r}{suggest(name, names)}")
            continue
        if name in spec.frozen:
            r.error(key_node, path, f"{name} is frozen, and frozen parameters keep no optimizer state")
            continue
        entries = r.mapping(value_node, path)
        if entries is None:
            continue
        state = {}
        for key, (k_node, v_node) in entries.items():
            if key not in keys:
                r.error(k_node, f"{path}.{key}", f"unknown key{suggest(key, keys)}; {title(spec.optimizer)} "
                        f"keeps: {', '.join(keys)}")
            elif key == "step":
                step = r.integer(v_node, f"{path}.step")
                if step is not None and step < 1:
                    r.error(v_node, f"{path}.step", f"expected a whole number ≥ 1, got {step}")
                elif step is not None and step > MAX_STEP:
                    r.error(v_node, f"{path}.step", f"expected a whole number ≤ {MAX_STEP:,} (2^53), "
                            f"got {clip(str(step))}")
                state["step"] = step
            elif key == "exp_avg_sq":
                state[key] = _bounded(r, v_node, f"{path}.{key}", low=0)
            else:
                state[key] = r.number(v_node, f"{path}.{key}")
        missing = [k for k in keys if k not in entries]
        if missing:
            r.error(value_node, path, f"missing key{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(f'`{k}`' for k in missing)} ({title(spec.optimizer)} keeps: {', '.join(keys)})")
        elif None not in state.values():
            out[name] = state
    return out
