"""Jupyter's rich display of the result objects: the library's one door to the views, opened at display time.

A result's `_repr_mimebundle_` calls `mimebundle`, which imports `render/notebook.py` then and only
then: computing a result, its `to_dict()` and `import backcalc` never load a view (the architecture
tests prove both: this is the only library module that imports render/, and only from here).
"""

from __future__ import annotations


def mimebundle(result, include=None, exclude=None) -> dict:
    """The result as text/plain, text/html, text/markdown and application/json (IPython's protocol)."""
    from .render.notebook import mimebundle as drawn

    bundle = drawn(result)
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle
