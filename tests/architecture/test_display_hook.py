"""Jupyter's display is the library's one way to the views: `backcalc.display` imports render/
(it sits on the boundary, as `entry.py` does for the command), and a library module reaches
`display` only from inside a `_repr_mimebundle_` method, so that computing a result never loads
a view (tests/api/test_api.py runs that: no render module after step, train and check). That
display-time edge is the one the import graph of test_imports.py leaves out."""

from __future__ import annotations

import ast

from test_imports import BOUNDARY, DISPLAY_HOOK, PACKAGE, _base, circles, import_graph, module_names

HOOK = DISPLAY_HOOK


def display_imports(root=PACKAGE) -> list[tuple[str, str | None, int]]:
    """(importer, the function it imports `display` in or None at module level, line) for every
    library module outside the boundary."""
    found = []
    for importer, path in module_names(root).items():
        if any(importer == b or importer.startswith(b + ".") for b in BOUNDARY):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"

        def visit(node, function, importer=importer, is_package=is_package):
            for child in ast.iter_child_nodes(node):
                inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
                if isinstance(child, ast.ImportFrom):
                    base = _base(importer, is_package, child)
                    if base == HOOK or any(f"{base}.{a.name}" == HOOK for a in child.names):
                        found.append((importer, function, child.lineno))
                elif isinstance(child, ast.Import) and any(a.name == HOOK for a in child.names):
                    found.append((importer, function, child.lineno))
                visit(child, inner)

        visit(tree, None)
    return found


def test_the_library_reaches_the_views_only_from_repr_mimebundle():
    found = display_imports()
    assert found, "the result objects' _repr_mimebundle_ import backcalc.display"
    assert [f for f in found if f[1] != "_repr_mimebundle_"] == []


def test_display_is_the_only_library_door_to_render():
    """Nothing else on the library side of the boundary names render/ in an importlib call either."""
    for importer, path in module_names(PACKAGE).items():
        if any(importer == b or importer.startswith(b + ".") for b in BOUNDARY):
            continue
        text = path.read_text(encoding="utf-8")
        assert "render" not in "".join(line for line in text.splitlines()
                                       if "import_module" in line or "__import__" in line), importer


def test_without_the_hook_the_only_circle_is_the_display_loop():
    """What the graph leaves out is the display-time loop and nothing else: put the hook's edges
    back and every circle found runs through `display`."""
    graph = import_graph(PACKAGE)
    for importer, _, _ in display_imports():
        graph[importer].add(HOOK)
    found = circles(graph)
    assert found and all(HOOK in c for c in found)
