"""Inputs and targets read from data files: CSV, NumPy .npy and .npz.

A spec names a file instead of holding numbers (large numeric data never goes
through YAML):

    inputs:  {file: X.csv, columns: [x1, x2]}     # CSV: columns by header name or 0-based index
    targets: {file: y.npy}                        # .npy: 1-D (one value per sample) or 2-D
    inputs:  {file: d.npz, key: X}                # .npz: the array named `key`
    data:    {file: d.csv, target_columns: [y]}   # one table: inputs are the other columns

Paths are relative to the spec file's folder (the working folder for a spec
read from standard input). Every problem is a located `Problem`: about the
spec (a missing file, an unknown column) at the YAML node, about the data (a
non-numeric cell, a ragged row) at the data file's line and column number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .datafile_load import MAX_DATA_BYTES, MAX_VALUES, is_number, load, names_text  # noqa: F401 (the limits: re-exported)
from .errors import Problem
from .reader import clip, describe, suggest

REF_KEYS = ["file", "columns", "header", "key"]
DATA_KEYS = ["file", "columns", "target_columns", "header", "key"]
SUFFIXES = (".csv", ".npy", ".npz")


@dataclass
class Table:
    """Numbers read from a data file: the chosen columns, and their header names."""

    values: np.ndarray  # rows × selected columns, float64, C-contiguous
    names: list[str] | None  # the selected columns' header names (CSV with a header), else None


@dataclass
class Ref:
    """A data file as a spec names it, and what reading it found (CSV lines, first bad cells)."""

    file: Path
    shown: str  # the file as the spec wrote it
    node: object  # the `file:` value node
    header: bool | None = None
    key: str | None = None
    key_node: object = None
    lines: list[int] | None = None  # CSV: the file line of each data row
    bad: dict | None = None  # CSV: column → (row, cell) of its first cell that is not a finite number


def is_file_ref(node) -> bool:
    return isinstance(node, yaml.MappingNode)


def read_ref(r, node, path: str, base: Path) -> Table | None:
    """`inputs:` or `targets:` given as `{file: …, columns: …, header: …, key: …}`."""
    m = _keys(r, node, path, REF_KEYS)
    if m is None:
        return None
    ref = _file(r, m, node, path, base)
    if ref is None:
        return None
    columns = _columns(r, m.get("columns"), f"{path}.columns")
    if columns is False:
        return None
    table = load(r, ref, path)
    if table is None:
        return None
    values, header = table
    return _select(r, ref, path, values, header, columns, m.get("columns"))


def read_data(r, node, base: Path) -> tuple[Table, Table] | None:
    """`data: {file: …, target_columns: […], columns: […]}`: inputs and targets from one table."""
    path = "data"
    m = _keys(r, node, path, DATA_KEYS)
    if m is None:
        return None
    if "target_columns" not in m:
        r.error(node, path, "missing required key `target_columns` (the columns holding the targets)")
        return None
    ref = _file(r, m, node, path, base)
    if ref is None:
        return None
    target_cols = _columns(r, m["target_columns"], f"{path}.target_columns")
    input_cols = _columns(r, m.get("columns"), f"{path}.columns")
    if target_cols is False or input_cols is False:
        return None
    table = load(r, ref, path)
    if table is None:
        return None
    values, header = table
    t_idx = _indices(r, ref, f"{path}.target_columns", values.shape[1], header, target_cols, m["target_columns"])
    if t_idx is None:
        return None
    if input_cols is None:
        i_idx = [j for j in range(values.shape[1]) if j not in set(t_idx)]
        if not i_idx:
            r.error(m["target_columns"][1], f"{path}.target_columns", "every column is a target column; "
                    "no column is left for the inputs")
            return None
    else:
        i_idx = _indices(r, ref, f"{path}.columns", values.shape[1], header, input_cols, m["columns"])
        if i_idx is None:
            return None
    inputs = _take(r, ref, path, values, header, i_idx)
    targets = _take(r, ref, path, values, header, t_idx)
    if inputs is None or targets is None:
        return None
    return inputs, targets


# -- the spec side -------------------------------------------------------------
def _keys(r, node, path: str, allowed: list[str]) -> dict | None:
    m = r.mapping(node, path)
    if m is None:
        return None
    ok = True
    for key, (key_node, _) in m.items():
        if key not in allowed:
            r.error(key_node, f"{path}.{key}", f"unknown key{suggest(key, allowed)}; expected one of: "
                    f"{', '.join(allowed)}")
            ok = False
    if "file" not in m:
        r.error(node, path, "missing required key `file` (a .csv, .npy or .npz file)")
        ok = False
    return m if ok else None


def _file(r, m: dict, node, path: str, base: Path) -> Ref | None:
    file_node = m["file"][1]
    name = r.string(file_node, f"{path}.file")
    if name is None:
        return None
    p = Path(name)
    full = p if p.is_absolute() else base / p
    suffix = full.suffix.lower()
    if suffix not in SUFFIXES:
        r.error(file_node, f"{path}.file", f"expected a .csv, .npy or .npz file, got {name!r}")
        return None
    from .files import kind

    what = kind(full)
    if what is not None:
        shown = f"{clip(name, 200)!r} (resolved to {clip(str(full), 200)})"
        if what.startswith("is "):
            must = "" if what.startswith("is a symbolic link") else "; a data file must be a regular file"
            message = f"{shown} {what}{must}"
        else:
            message = f"{what}: {shown}"
        r.error(file_node, f"{path}.file", message)
        return None
    ref = Ref(full, name, file_node)
    if "header" in m:
        value_node = m["header"][1]
        r.visit(value_node)
        if (isinstance(value_node, yaml.ScalarNode) and value_node.tag == "tag:yaml.org,2002:bool"
                and value_node.value.lower() in ("true", "yes", "on", "false", "no", "off")):
            ref.header = value_node.value.lower() in ("true", "yes", "on")
        else:
            r.error(value_node, f"{path}.header", f"expected true or false, got {describe(value_node)}")
            return None
        if suffix != ".csv":
            r.error(m["header"][0], f"{path}.header", "`header` applies to CSV files only")
            return None
    if "key" in m:
        ref.key = r.string(m["key"][1], f"{path}.key")
        ref.key_node = m["key"][1]
        if ref.key is None:
            return None
        if suffix != ".npz":
            r.error(m["key"][0], f"{path}.key", "`key` applies to .npz files only")
            return None
    return ref


def _columns(r, item, path: str):
    """The `columns:` list as ints and names; None when absent, False after an error."""
    if item is None:
        return None
    node = item[1]
    items = r.sequence(node, path)
    if items is None:
        return False
    if not items:
        r.error(node, path, "expected at least one column, got an empty list")
        return False
    out = []
    for k, x in enumerate(items):
        r.visit(x)
        if isinstance(x, yaml.ScalarNode) and x.tag == "tag:yaml.org,2002:int":
            index = r.integer(x, f"{path}[{k}]")
            if index is None:  # `!!int abc`, reported
                return False
            out.append(index)
        elif isinstance(x, yaml.ScalarNode) and x.tag == "tag:yaml.org,2002:str":
            out.append(x.value)
        else:
            r.error(x, f"{path}[{k}]", f"expected a column name or a 0-based column number, got {describe(x)}")
            return False
    return out


def _indices(r, ref: Ref, path: str, width: int, header: list[str] | None, columns, item) -> list[int] | None:
    nodes = item[1].value
    out = []
    for c, node in zip(columns, nodes, strict=True):
        if isinstance(c, int):
            if not -width <= c < width:
                r.error(node, path, f"column {c} is out of range: {ref.shown} has {width} column"
                        f"{'s' if width != 1 else ''} (numbered from 0)")
                return None
            out.append(c % width)
        elif header is None:
            r.error(node, path, f"column {c!r} is a name, but {ref.shown} has no header row: "
                    "use 0-based column numbers")
            return None
        elif c not in header:
            r.error(node, path, f"no column is named {c!r} in {ref.shown}{suggest(c, header)}; "
                    f"columns: {names_text(header)}")
            return None
        else:
            out.append(header.index(c))
    if len(set(out)) != len(out):
        r.error(item[1], path, "a column is named twice")
        return None
    return out


def _select(r, ref, path, values, header, columns, item) -> Table | None:
    if columns is None:
        idx = list(range(values.shape[1]))
    else:
        idx = _indices(r, ref, f"{path}.columns", values.shape[1], header, columns, item)
        if idx is None:
            return None
    return _take(r, ref, path, values, header, idx)


def _take(r, ref: Ref, path: str, values, header, idx: list[int]) -> Table | None:
    """The chosen columns as floats; a located error at the first non-numeric or non-finite cell."""
    names = [header[j] for j in idx] if header is not None else None
    if ref.bad is not None:  # CSV: the first cell of each picked column that is not a finite number
        for j in idx:
            if j in ref.bad:
                i, cell = ref.bad[j]
                label = f" ({clip(header[j], 40)!r})" if header is not None else ""
                want = "a finite number" if is_number(cell) else "a number"
                r.problems.append(Problem(str(ref.file), ref.lines[i], j + 1, path,
                                          f"expected {want} in column {j + 1}{label}, got {clip(cell, 40)!r}"))
                return None
        return Table(np.ascontiguousarray(values[:, idx]), names)
    out = np.ascontiguousarray(values[:, idx], dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        i, c = (int(v) for v in np.argwhere(bad)[0])
        r.problems.append(Problem(str(ref.file), None, None, path,
                                  f"expected finite numbers, got {out[i, c]} at row {i} column {idx[c]} (from 0)"))
        return None
    return Table(out, names)
