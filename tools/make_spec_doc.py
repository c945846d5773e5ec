"""Regenerate the tables of docs/spec.md from the code's own declarations.

The key tables come from backcalc/schema.py (what the loader accepts), the
formula tables from the registries in activations.py and losses.py. Run
`make schema` (or `.venv/bin/python tools/make_spec_doc.py`) after changing
any of them; tests/docs/test_spec_doc.py fails while the document is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "spec.md"
BEGIN = "<!-- generated: {name} (tools/make_spec_doc.py) -->"
END = "<!-- end generated -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _accepts(field) -> str:
    if field.choices:
        return " · ".join(f"`{c}`" for c in field.choices)
    if field.kind:
        return field.kind
    word = {"string": "text", "number": "number", "integer": "whole number"}[field.type]
    if field.minimum is not None:
        word += f" ≥ {field.minimum:g}"
    if field.above is not None:
        word += f" > {field.above:g}"
    return word


def _keys(fields: dict, keys: list[str], required: dict[str, str]) -> str:
    rows = ["| key | accepts | default | meaning |", "|---|---|---|---|"]
    for key in keys:
        f = fields.get(key)
        if f is None:
            rows.append(f"| `{key}` | ? | ? | (not declared in backcalc/schema.py) |")
            continue
        default = required.get(key) or (f"`{f.default}`" if f.default is not None else "—")
        rows.append(f"| `{key}` | {_cell(_accepts(f))} | {default} | {_cell(f.doc)} |")
    return "\n".join(rows)


def _activations() -> str:
    from backcalc.activations import ACTIVATIONS, ALIASES

    rows = ["| activation | a = f(z) | derivative | exact mode |", "|---|---|---|---|"]
    for name, a in ACTIVATIONS.items():
        aliases = [k for k, v in ALIASES.items() if v == name]
        label = f"`{name}`" + "".join(f" (also `{k}`)" for k in aliases)
        rows.append(f"| {label} | {_cell(a.formula)} | {_cell(a.derivative_formula)} | "
                    f"{'yes' if a.exact else 'no'} |")
    return "\n".join(rows)


def _losses() -> str:
    from backcalc.losses import DEFAULT_LOSS, LOSSES

    rows = ["| loss | per-sample ℓ over the K outputs | derivative | exact mode |", "|---|---|---|---|"]
    for name, l in LOSSES.items():
        label = f"`{name}`" + (" (default)" if name == DEFAULT_LOSS else "")
        rows.append(f"| {label} | {_cell(l.formula)} | {_cell(l.derivative_formula)} | "
                    f"{'yes' if l.exact else 'no'} |")
    return "\n".join(rows)


def blocks() -> dict[str, str]:
    """Each generated block of docs/spec.md by name."""
    from backcalc import schema
    from backcalc.spec import INIT_KEYS, LAYER_KEYS, TOP_LEVEL_KEYS

    return {
        "top-level keys": _keys(schema.TOP_LEVEL, TOP_LEVEL_KEYS,
                                {"inputs": "required", "layers": "required",
                                 "targets": "required (or `target`)"}),
        "layer keys": _keys(schema.LAYER, LAYER_KEYS, {"activation": "required",
                                                       "weights": "`weights` or `size` required",
                                                       "size": "from `weights`"}),
        "init keys": _keys(schema.INIT, INIT_KEYS, {}),
        "activations": _activations(),
        "losses": _losses(),
    }


def update(text: str) -> str:
    """`text` with every generated block replaced by its current contents."""
    for name, body in blocks().items():
        begin = BEGIN.format(name=name)
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(END), re.S)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: no `{begin}` … `{END}` block")
        text = pattern.sub(lambda _m, b=begin, body=body: f"{b}\n{body}\n{END}", text)
    return text


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    DOC.write_text(update(DOC.read_text()))
    print(f"updated {DOC.relative_to(ROOT)}")
