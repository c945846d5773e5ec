"""No module over 400 lines and no function over 60 lines, read from the source with `ast`, unless
a reason is written at its top.

The convention: a line starting with `Long because` (after `#` in a comment, or inside the
docstring) in the module's docstring or its comment lines before the first statement, for a
module; for a function, in the comment lines directly above its `def` (or decorators), between the
`def` and the end of its docstring, or in the comment lines opening its body.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "backcalc"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON = re.compile(r"^\s*(#\s*)?Long because\b")


def _has_reason(lines: list[str]) -> bool:
    return any(REASON.match(line) for line in lines)


def _comments_above(source: list[str], line: int) -> list[str]:
    """The comment lines directly above 1-based line `line`."""
    out, i = [], line - 2
    while i >= 0 and source[i].lstrip().startswith("#"):
        out.append(source[i])
        i -= 1
    return out


def _function_top(source: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The lines where a function's reason may stand: the comments above it, its signature, its
    docstring and the comments before its first statement after the docstring."""
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        top_end = body[1].lineno - 1 if len(body) > 1 else first.end_lineno
    else:
        top_end = first.lineno - 1
    return _comments_above(source, start) + source[start - 1:top_end]


def too_long(root: Path = PACKAGE) -> list[str]:
    """Every module and function over its limit without a written reason, as `path:line what (n lines)`."""
    out = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        source = text.splitlines()
        tree = ast.parse(text)
        name = path.relative_to(root.parent)
        if len(source) > MAX_MODULE_LINES:
            first = tree.body[0] if tree.body else None
            docstring = ast.get_docstring(tree) or ""
            top = source[:(first.lineno - 1) if first is not None else len(source)]
            if not _has_reason(docstring.splitlines() + top):
                out.append(f"{name}:1 module ({len(source)} lines)")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and not _has_reason(_function_top(source, node)):
                    out.append(f"{name}:{node.lineno} {node.name}() ({length} lines)")
    return out


def test_no_module_or_function_is_long_without_a_reason():
    assert too_long() == []


def test_the_check_finds_a_long_function_and_a_long_module_and_reads_their_reasons(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (package / "a.py").write_text(f"def long():\n{body}\n\ndef short():\n    return 1\n")
    (package / "b.py").write_text(f"# Long because the loop's state stays in locals.\ndef long():\n{body}")
    (package / "c.py").write_text(f'def long():\n    """One line.\n\n    Long because: a table.\n    """\n{body}')
    (package / "d.py").write_text(f"def long():\n    # Long because one streaming loop.\n{body}")
    (package / "e.py").write_text(f"def long():\n    # not a reason\n{body}")
    (package / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (package / "big_ok.py").write_text('"""A module.\n\nLong because it is one table."""\n'
                                       + "x = 1\n" * MAX_MODULE_LINES)
    assert too_long(package) == [
        f"pkg/a.py:1 long() ({MAX_FUNCTION_LINES + 1} lines)",
        f"pkg/big.py:1 module ({MAX_MODULE_LINES + 1} lines)",
        f"pkg/e.py:1 long() ({MAX_FUNCTION_LINES + 2} lines)",
    ]
