"""Safe YAML composition: a file's bytes read within limits and composed (never constructed) into
a node tree with the safe loader, libyaml's C version when present, so no tag can run code and
every node keeps its marks. Every file reader (specs, answers, `--set`, `--inputs`) starts here.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import Problem, SpecError

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 10 * 1024 * 1024
MAX_ALIAS_EXPANSION = 100_000  # nodes that aliases may add beyond the text's own


def read_limited(p: Path, source: str, what: str) -> bytes:
    """A file's bytes, at most MAX_BYTES of them, or a SpecError saying why not.

    A pipe (`<(…)`) is read as it comes; a device, a socket or a link that leads nowhere is refused
    as what it is, and a named pipe nobody writes to is reported, not waited on."""
    from .files import kind, read_pipe_or_file

    def fail(message: str):
        return SpecError([Problem(source, None, None, "", message)])

    why = kind(p)
    if why == "is a directory":
        raise fail(f"is a directory, expected {what}")
    if why is not None and why != "is a named pipe (FIFO)":
        if why.startswith("cannot read it ("):  # the file system's own reason
            why = f"cannot read: {why[len('cannot read it ('):-1]}"
        raise fail(why if why.startswith(("no such", "cannot", "is a symbolic link")) else f"{why}, expected {what}")
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise fail(f"the file is {size / 2**20:.1f} MB; specs are limited to {MAX_BYTES // 2**20} MB")
        data = read_pipe_or_file(p, MAX_BYTES + 1)
    except OSError as e:
        raise fail(f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise fail(f"the input is over {MAX_BYTES // 2**20} MB")
    if not data and why is not None:
        raise fail(f"{why} and nothing was written to it, expected {what}")
    return data


def compose(text: str | bytes, source: str, what: str = "spec"):
    """Compose YAML text into a node tree, turning YAML errors into located problems."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise SpecError([Problem(source, None, None, "", f"the input is over {MAX_BYTES // 2**20} MB")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SpecError([Problem(source, None, None, "", f"not UTF-8 text (byte {e.start})")]) from None
    try:
        node = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise SpecError([Problem(source, mark.line + 1 if mark else None,
                                 mark.column + 1 if mark else None, "", f"not valid YAML: {msg}")]) from None
    except yaml.reader.ReaderError as e:  # a character YAML forbids; its str() spans two lines
        raise SpecError([reader_problem(e, text, source)]) from None
    except yaml.YAMLError as e:
        raise SpecError([Problem(source, None, None, "", f"not valid YAML: {e}")]) from None
    if node is None:
        raise SpecError([Problem(source, None, None, "", f"the file is empty; expected a {what} mapping")])
    if "&" in text:  # no anchor, no alias: nothing to expand
        _check_aliases(node, source)
    return node


def reader_problem(e, text: str, source: str, path: str = "") -> Problem:
    """A character YAML does not allow (a NUL, a control character), located by line and column."""
    pos = getattr(e, "position", None)
    char = e.character if isinstance(e.character, int) else ord(e.character) if e.character else 0
    line = col = None
    if isinstance(pos, int) and 0 <= pos < len(text) and ord(text[pos]) != char:
        # libyaml counts UTF-8 bytes, the Python loader characters
        pos = len(text.encode("utf-8")[:pos].decode("utf-8", "replace"))
    if isinstance(pos, int) and 0 <= pos <= len(text):
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Problem(source, line, col, path, f"not valid YAML: the character U+{char:04X} is not allowed "
                   "(YAML text cannot hold control characters)")


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []


def _check_aliases(root, source: str) -> None:
    """Refuse aliases that refer to an enclosing node or expand the document hugely.

    Composing keeps one node per anchor however often it is aliased, so the
    tree stays as small as the text; this walk counts what expanding it would
    cost, visiting each distinct node once (time and memory bounded by the
    file size), before anything reads the expanded document.
    """
    open_, limit = -1, MAX_ALIAS_EXPANSION
    sizes: dict[int, int] = {}
    distinct = 0
    stack = [(root, False, "")]
    while stack:
        node, done, top = stack.pop()
        key = id(node)
        if done:
            sizes[key] = min(1 + sum(sizes[id(c)] for c in _children(node)), 2 * limit + 1)
            continue
        if key in sizes:
            if sizes[key] == open_:
                raise SpecError([_problem(source, node, top, "an alias refers to the node that contains "
                                          "it (a recursive structure); refusing to read it")])
            continue
        sizes[key] = open_
        distinct += 1
        stack.append((node, True, top))
        if node is root and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += [(k, False, ""), (v, False, str(k.value))]
        else:
            stack += [(c, False, top) for c in _children(node)]
    if sizes[id(root)] - distinct > limit:
        culprit, top = root, ""
        if isinstance(root, yaml.MappingNode) and root.value:
            k, culprit = max(root.value, key=lambda kv: sizes[id(kv[1])])
            top = str(k.value)
        raise SpecError([_problem(source, culprit, top, f"aliases expand this to more than {limit:,} "
                                  "extra nodes (an alias bomb?); refusing to read the file")])


def _problem(source: str, node, path: str, message: str) -> Problem:
    mark = node.start_mark
    return Problem(source, mark.line + 1, mark.column + 1, path, message)

