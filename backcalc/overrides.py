"""`--set key=value`: change a spec's composed YAML node tree before it is validated.

The new value is YAML (a scalar such as `0.1` or `tanh`, or a flow collection
such as `[[1, 2]]`) whose nodes carry a mark naming the `--set` option, so the
validator's messages point at the option instead of a line of the file.
"""

from __future__ import annotations

import re

import yaml

from .errors import Problem, SpecError, UsageError, one_line

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TOKEN = re.compile(r"\[(-?\d+)\]|([^.\[\]]+)")


def parse_key(key: str) -> list[str | int]:
    """`layers.0.activation` or `layers[0].activation` as ['layers', 0, 'activation']."""
    parts: list[str | int] = []
    pos = 0
    key = key.strip()
    while pos < len(key):
        if key[pos] == "." and parts:
            pos += 1
        m = _TOKEN.match(key, pos)
        if not m:
            raise ValueError(f"cannot read the key {key!r} (write it like layers.0.activation)")
        if m.group(1) is not None:
            parts.append(int(m.group(1)))
        else:
            text = m.group(2)
            parts.append(int(text) if re.fullmatch(r"-?\d+", text) else text)
        pos = m.end()
    if not parts or not isinstance(parts[0], str):
        raise ValueError(f"cannot read the key {key!r} (write it like layers.0.activation)")
    return parts


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _path_text(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _remark(root, mark) -> None:
    """Give every node of a tree the mark of the option it came from.

    YAML 1.1 reads `1e-3` (no dot) as text; on a command line it can only mean
    the number, so plain scalars written that way become floats. A loop, not a
    recursion: a value may nest as deep as YAML allows (1,000 levels).
    """
    stack = [root]
    while stack:
        node = stack.pop()
        node.start_mark = node.end_mark = mark
        if (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str" and not node.style
                and _NUMBER.fullmatch(node.value)):
            node.tag = "tag:yaml.org,2002:float"
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += [k, v]


def _value_node(option: str, text: str):
    mark = yaml.Mark(option, 0, 0, 0, None, None)
    try:
        node = yaml.compose(text, Loader=LOADER)
    except yaml.reader.ReaderError as e:  # a control character; its str() spans two lines
        from .compose import reader_problem

        message = reader_problem(e, text, option).message
        raise SpecError([Problem(option, None, None, "", f"the value is {message}")]) from None
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError([Problem(option, None, None, "", f"the value is not valid YAML: {problem}")]) from None
    if node is None:  # `key=` sets null, which the validator then names
        node = yaml.ScalarNode("tag:yaml.org,2002:null", "", mark, mark)
    _remark(node, mark)
    return node


def apply_overrides(root, assignments: list[str]):
    """Apply each `key=value` to the node tree `root` (in order); return the new root."""
    for assignment in assignments:
        # what messages call it: one short line, whatever the value holds
        option = "--set " + _clip(one_line(assignment))
        key, sep, text = assignment.partition("=")
        if not sep:
            raise UsageError(f"{option}: expected KEY=VALUE, e.g. --set learning_rate=0.1")
        try:
            parts = parse_key(key)
        except ValueError as e:
            raise UsageError(f"{option}: {e}") from None
        root = _assign(root, parts, _value_node(option, text), option)
    return root


def _assign(root, parts: list[str | int], value, option: str):
    mark = yaml.Mark(option, 0, 0, 0, None, None)
    if not isinstance(root, yaml.MappingNode):
        raise UsageError(f"{option}: the spec is not a mapping, so it has no key {parts[0]!r}")
    node = root
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = _path_text(parts[:depth + 1])
        if isinstance(node, yaml.MappingNode):
            if isinstance(part, int):
                raise UsageError(f"{option}: {here}: {_path_text(parts[:depth]) or 'the spec'} is a mapping, "
                                 f"not a list; use a key name, not {part}")
            for k, (key_node, child) in enumerate(node.value):
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    if last:
                        node.value[k] = (key_node, _keep_name(child, value))
                        return root
                    node = child
                    break
            else:
                # A new key: the validator reports it if it is not a spec key.
                if not last and isinstance(parts[depth + 1], int):
                    raise UsageError(f"{option}: {here} is not in the spec, so it has no item {parts[depth + 1]}; "
                                     f"set the whole value instead, e.g. --set {here}=[…]")
                child = value if last else yaml.MappingNode("tag:yaml.org,2002:map", [], mark, mark)
                key_node = yaml.ScalarNode("tag:yaml.org,2002:str", part, mark, mark)
                node.value.append((key_node, child))
                if last:
                    return root
                node = child
        elif isinstance(node, yaml.SequenceNode):
            n = len(node.value)
            if not isinstance(part, int):
                raise UsageError(f"{option}: {here}: {_path_text(parts[:depth])} is a list; use an index "
                                 f"(0 to {n - 1}), not {part!r}")
            if not -n <= part < n:
                raise UsageError(f"{option}: {here}: no such item; {_path_text(parts[:depth])} has "
                                 f"{n} item{'s' if n != 1 else ''} (indices 0 to {n - 1})")
            if last:
                node.value[part] = _keep_name(node.value[part], value)
                return root
            node = node.value[part]
        else:
            raise UsageError(f"{option}: {here}: no such key; {_path_text(parts[:depth])} is a "
                             f"single value, not a mapping or a list")
    return root


def _keep_name(old, new):
    """A named entry (`w5: 0.4`) keeps its name when given a plain number."""
    if (isinstance(old, yaml.MappingNode) and len(old.value) == 1 and isinstance(new, yaml.ScalarNode)
            and isinstance(old.value[0][1], yaml.ScalarNode)):
        return yaml.MappingNode(old.tag, [(old.value[0][0], new)], old.start_mark, old.end_mark)
    return new
