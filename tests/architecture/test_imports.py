"""The package's shape, read from the source with `ast`: no import circle (lazy imports inside
functions count: that is where circles hide), no private name imported from another backcalc
module, and no library module importing the views (render/), the CLI, typer or rich."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "backcalc"
# The CLI boundary: the only modules that may import render/, the CLI, typer or rich. `display` is
# Jupyter's door to the views, as `entry` is the command's; test_display_hook.py proves the library
# opens it only from a result's `_repr_mimebundle_`, at display time.
BOUNDARY = ("backcalc.cli", "backcalc.entry", "backcalc.render", "backcalc.display")
# The one edge the import graph leaves out: a result's `_repr_mimebundle_` importing `display` when a
# notebook shows it (the views import the result types, so that display-time edge closes a loop by
# design); test_display_hook.py pins every import of it to a `_repr_mimebundle_` body.
DISPLAY_HOOK = "backcalc.display"
FORBIDDEN = ("backcalc.render", "backcalc.cli", "typer", "rich")

# Violations tolerated for now, each as (importer, imported module, name or None) -> why. Empty: every
# rule holds everywhere. An entry needs a reason and leaves as soon as it is fixed (the test below).
ALLOWED: dict[tuple[str, str, str | None], str] = {}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    module: str  # the dotted module imported (a backcalc module, or a top-level package such as rich)
    name: str | None  # the name taken from it (`from m import name`), None for `import m`
    line: int


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package in folder `root`, by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _base(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The dotted module a `from … import` reads from, relative levels resolved."""
    if not node.level:
        return node.module or ""
    parts = importer.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    base = parts[:keep]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
                                         or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(tree: ast.AST):
    """Every node of the tree except the bodies of `if TYPE_CHECKING:`, which never run."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if _type_checking(node):
            stack += node.orelse
        else:
            stack += ast.iter_child_nodes(node)


def imports(root: Path) -> list[Import]:
    """Every import statement in the package that runs: at module level or inside a function alike
    (a lazy import is where a circle hides); only those under `if TYPE_CHECKING:` are left out."""
    modules = module_names(root)
    found = []
    for importer, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _statements(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found += [Import(importer, alias.name, None, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _base(importer, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:  # `from . import datafiles`: the module itself
                        found.append(Import(importer, sub, None, node.lineno))
                    else:
                        found.append(Import(importer, base, alias.name, node.lineno))
    return found


def _owner(module: str, modules) -> str | None:
    """The package module a dotted import lands in (`backcalc.render.numbers`), or None if outside."""
    while module and module not in modules:
        module = module.rpartition(".")[0]
    return module or None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports. A package's `__init__` is left out: importing any
    submodule runs it anyway, and ours are facades that re-export lazily."""
    modules = module_names(root)
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {m: set() for m in modules if m not in packages}
    for imp in imports(root):
        target = _owner(imp.module, modules)
        if imp.importer in packages or target is None or target in packages or target == imp.importer:
            continue
        if target == DISPLAY_HOOK and root == PACKAGE:
            continue
        graph[imp.importer].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def private_imports(root: Path) -> list[tuple[str, str, str | None]]:
    """`from other_module import _name` within the package (a module's own names are its business)."""
    modules = module_names(root)
    top = root.name
    return sorted({(i.importer, i.module, i.name) for i in imports(root)
                   if i.name and i.name.startswith("_") and not i.name.startswith("__")
                   and (i.module == top or i.module.startswith(top + ".")) and i.module != i.importer
                   and _owner(i.module, modules) is not None})


def boundary_imports(root: Path, boundary=BOUNDARY, forbidden=FORBIDDEN) -> list[tuple[str, str, str | None]]:
    """Library modules (outside `boundary`) importing a `forbidden` module or package."""

    def within(module: str, prefixes) -> bool:
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    modules = module_names(root)
    return sorted({(i.importer, _owner(i.module, modules) or i.module.split(".")[0], None) for i in imports(root)
                   if not within(i.importer, boundary) and within(i.module, forbidden)})


def violations(root: Path, boundary=BOUNDARY, forbidden=FORBIDDEN) -> list[str]:
    """Every rule broken, one line each, leaving out those ALLOWED (for the real package only)."""
    allowed = ALLOWED if root == PACKAGE else {}
    out = [f"import circle: {' ↔ '.join(c)}" for c in circles(import_graph(root))]
    out += [f"private name: {importer} imports {name} from {module}"
            for importer, module, name in private_imports(root) if (importer, module, name) not in allowed]
    out += [f"library imports the CLI side: {importer} imports {module}"
            for importer, module, _ in boundary_imports(root, boundary, forbidden)
            if (importer, module, None) not in allowed]
    return out


def test_the_package_keeps_its_shape():
    assert violations(PACKAGE) == []


def test_every_allowed_violation_still_exists():
    """An entry fixed by its lane's helper leaves the list, so the list stays the to-do it claims to be."""
    present = set(private_imports(PACKAGE)) | set(boundary_imports(PACKAGE))
    assert [entry for entry in ALLOWED if entry not in present] == []


def test_the_math_imports_the_spec_model_without_yaml_or_the_validators():
    """The model is a leaf: a library user who builds a Spec in code never loads the YAML reader."""
    code = ("import sys, backcalc.spec_model, backcalc.network, backcalc.explain, backcalc.training; "
            "print(sorted(m for m in ('yaml', 'backcalc.compose', 'backcalc.reader', 'backcalc.spec_read', "
            "'backcalc.schema', 'typer', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_clean_package_passes(tmp_path):
    root = _package(tmp_path, {
        "a.py": "from .b import public\n",
        "b.py": "import json\n\ndef public():\n    from .c import helper\n",
        "c.py": "def helper():\n    pass\n",
        "cli.py": "import typer\nfrom .render.view import show\n",
        "render/__init__.py": "",
        "render/view.py": "import rich\nfrom ..a import public\n",
    })
    assert violations(root, ("pkg.cli", "pkg.render"), ("pkg.render", "pkg.cli", "typer", "rich")) == []


def test_a_lazy_import_circle_is_found(tmp_path):
    root = _package(tmp_path, {
        "a.py": "from .b import f\n",
        "b.py": "def f():\n    from .c import g\n",
        "c.py": "def g():\n    from . import a\n",
        "d.py": "from .c import g\n",
        "e.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .f import F\n",
        "f.py": "from .e import TYPE_CHECKING\n",  # a type-only import never runs: no circle
    })
    assert violations(root) == ["import circle: pkg.a ↔ pkg.b ↔ pkg.c"]


def test_a_private_import_is_found(tmp_path):
    root = _package(tmp_path, {
        "a.py": "def _hidden():\n    pass\n\ndef _own():\n    _hidden()\n",
        "b.py": "def f():\n    from .a import _hidden\n",
        "sub/__init__.py": "",
        "sub/c.py": "from ..a import _hidden\nfrom pkg.a import __doc__\n",
    })
    assert violations(root) == ["private name: pkg.b imports _hidden from pkg.a",
                                "private name: pkg.sub.c imports _hidden from pkg.a"]


def test_a_library_module_importing_the_cli_side_is_found(tmp_path):
    root = _package(tmp_path, {
        "maths.py": "def f():\n    from .render.numbers import short\n",
        "save.py": "import rich.console\n",
        "cli.py": "import typer\n",
        "core.py": "from . import cli\n",
        "render/__init__.py": "",
        "render/numbers.py": "def short():\n    pass\n",
    })
    assert violations(root, ("pkg.cli", "pkg.render"), ("pkg.render", "pkg.cli", "typer", "rich")) == [
        "library imports the CLI side: pkg.core imports pkg.cli",
        "library imports the CLI side: pkg.maths imports pkg.render.numbers",
        "library imports the CLI side: pkg.save imports rich",
    ]
