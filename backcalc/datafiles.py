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

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .errors import Problem

REF_KEYS = ["file", "columns", "header", "key"]
DATA_KEYS = ["file", "columns", "target_columns", "header", "key"]
SUFFIXES = (".csv", ".npy", ".npz")
MAX_DATA_BYTES = 2 * 1024**3


@dataclass
class Table:
    values: np.ndarray  # rows × selected columns, float64, C-contiguous
    names: list[str] | None  # the selected columns' header names (CSV with a header), else None


@dataclass
class _Ref:
    file: Path
    shown: str  # the file as the spec wrote it
    node: object  # the `file:` value node
    header: bool | None = None
    key: str | None = None
    key_node: object = None
    lines: list[int] | None = None  # CSV: the file line of each data row


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
    table = _load(r, ref, path)
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
    table = _load(r, ref, path)
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
    from .spec import _suggest

    m = r.mapping(node, path)
    if m is None:
        return None
    ok = True
    for key, (key_node, _) in m.items():
        if key not in allowed:
            r.error(key_node, f"{path}.{key}", f"unknown key{_suggest(key, allowed)}; expected one of: "
                    f"{', '.join(allowed)}")
            ok = False
    if "file" not in m:
        r.error(node, path, "missing required key `file` (a .csv, .npy or .npz file)")
        ok = False
    return m if ok else None


def _file(r, m: dict, node, path: str, base: Path) -> _Ref | None:
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
    try:
        missing = not full.is_file()
        what = "is a directory" if full.is_dir() else "no such file"
    except OSError as e:  # a name too long for the file system, …
        missing, what = True, f"cannot read it ({e.strerror or e})"
    if missing:
        r.error(file_node, f"{path}.file", f"{what}: {_short(name)!r} (resolved to {_short(str(full))})")
        return None
    ref = _Ref(full, name, file_node)
    if "header" in m:
        value_node = m["header"][1]
        r.visit(value_node)
        if (isinstance(value_node, yaml.ScalarNode) and value_node.tag == "tag:yaml.org,2002:bool"
                and value_node.value.lower() in ("true", "yes", "on", "false", "no", "off")):
            ref.header = value_node.value.lower() in ("true", "yes", "on")
        else:
            from .spec import _describe

            r.error(value_node, f"{path}.header", f"expected true or false, got {_describe(value_node)}")
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
            from .spec import _describe

            r.error(x, f"{path}[{k}]", f"expected a column name or a 0-based column number, got {_describe(x)}")
            return False
    return out


def _indices(r, ref: _Ref, path: str, width: int, header: list[str] | None, columns, item) -> list[int] | None:
    from .spec import _suggest

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
            r.error(node, path, f"no column is named {c!r} in {ref.shown}{_suggest(c, header)}; "
                    f"columns: {', '.join(header)}")
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


def _take(r, ref: _Ref, path: str, values, header, idx: list[int]) -> Table | None:
    """The chosen columns as floats; a located error at the first non-numeric or non-finite cell."""
    names = [header[j] for j in idx] if header is not None else None
    if values.dtype == object:  # CSV text cells
        out = np.empty((values.shape[0], len(idx)))
        lines = ref.lines
        for c, j in enumerate(idx):
            col = values[:, j]
            try:
                out[:, c] = col.astype(float)
                bad_rows = np.flatnonzero(~np.isfinite(out[:, c]))
            except ValueError:
                bad_rows = [next(i for i, v in enumerate(col) if not _is_number(v))]
            if len(bad_rows):
                i = int(bad_rows[0])
                line = lines[i] if lines is not None else None
                label = f" ({header[j]!r})" if header is not None else ""
                cell = col[i]
                want = "a finite number" if _is_number(cell) else "a number"
                r.problems.append(Problem(str(ref.file), line, j + 1, path,
                                          f"expected {want} in column {j + 1}{label}, got {cell!r}"))
                return None
        return Table(out, names)
    out = np.ascontiguousarray(values[:, idx], dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        i, c = (int(v) for v in np.argwhere(bad)[0])
        r.problems.append(Problem(str(ref.file), None, None, path,
                                  f"expected finite numbers, got {out[i, c]} at row {i} column {idx[c]} (from 0)"))
        return None
    return Table(out, names)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- the file side -------------------------------------------------------------
def _load(r, ref: _Ref, path: str):
    """(values, header names or None): numeric arrays as they are, CSV cells as text."""
    size = ref.file.stat().st_size
    if size > MAX_DATA_BYTES:
        r.error(ref.node, f"{path}.file", f"{ref.shown} is {size / 2**30:.1f} GB; data files are limited to "
                f"{MAX_DATA_BYTES // 2**30} GB")
        return None
    suffix = ref.file.suffix.lower()
    if suffix == ".csv":
        return _load_csv(r, ref, path)
    kind = "a NumPy .npz archive" if suffix == ".npz" else "a NumPy .npy file"
    try:
        loaded = np.load(ref.file, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        reason = str(e)
        if "pickled" in reason:  # NumPy's guess for a file with neither header: not what the user has
            reason = "it starts with neither the .npy header nor the .npz (zip) header"
        r.error(ref.node, f"{path}.file", f"cannot read {ref.shown} as {kind}: {reason}")
        return None
    if isinstance(loaded, np.lib.npyio.NpzFile) != (suffix == ".npz"):
        found = "a .npz archive" if isinstance(loaded, np.lib.npyio.NpzFile) else "a .npy array"
        if isinstance(loaded, np.lib.npyio.NpzFile):
            loaded.close()
        r.error(ref.node, f"{path}.file", f"expected {kind} (by its name), but {ref.shown} holds {found}: "
                "rename it")
        return None
    if suffix == ".npz":
        with loaded:
            keys = list(loaded.files)
            if not keys:
                r.error(ref.node, f"{path}.file", f"{ref.shown} holds no arrays")
                return None
            if ref.key is None:
                if len(keys) != 1:
                    r.error(ref.node, f"{path}.file", f"{ref.shown} holds {len(keys)} arrays "
                            f"({', '.join(keys)}); name one with `key:`")
                    return None
                key = keys[0]
            elif ref.key not in keys:
                r.error(ref.key_node, f"{path}.key", f"{ref.shown} has no array {ref.key!r}; it holds: "
                        f"{', '.join(keys)}")
                return None
            else:
                key = ref.key
            try:
                array = loaded[key]
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
                r.error(ref.node, f"{path}.file", f"cannot read array {key!r} of {ref.shown}: {e}")
                return None
    else:
        array = loaded
    if array.dtype.kind not in "biuf":
        r.error(ref.node, f"{path}.file", f"expected numbers in {ref.shown}, got an array of {array.dtype}")
        return None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        r.error(ref.node, f"{path}.file", f"expected a 1- or 2-dimensional array (samples × columns) in "
                f"{ref.shown}, got shape {array.shape}")
        return None
    return array, None


def _load_csv(r, ref: _Ref, path: str):
    try:
        text = ref.file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        r.error(ref.node, f"{path}.file", f"{ref.shown} is not UTF-8 text (byte {e.start})")
        return None
    # strict: a quote left open runs to the end of the file, which is an error, not one long cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, lines = [], []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            rows.append([cell.strip() for cell in row])
            lines.append(reader.line_num)
    except csv.Error as e:
        hint = " (a quote opened and never closed?)" if "end of data" in str(e) else ""
        r.problems.append(Problem(str(ref.file), reader.line_num, None, path, f"not valid CSV: {e}{hint}"))
        return None
    header = None
    has_header = ref.header
    if has_header is None and rows:
        has_header = not all(_is_number(c) for c in rows[0])
    if has_header and rows:
        header, header_line = rows[0], lines[0]
        rows, lines = rows[1:], lines[1:]
        if len(set(header)) != len(header) or not all(header):
            r.problems.append(Problem(str(ref.file), header_line, None, path,
                                      "the header row has an empty or repeated column name"))
            return None
    if not rows:
        why = ""
        if header is not None and ref.header is None:
            cell = next(c for c in header if not _is_number(c))
            why = (f" (its only row was taken as the header, as the cell {_short(cell, 40)!r} is not a number; "
                   "write `header: false` if it is data)")
        r.error(ref.node, f"{path}.file", f"{ref.shown} has no data rows{why}")
        return None
    width = len(header) if header is not None else len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            like = "the header" if header is not None else f"line {lines[0]}"
            r.problems.append(Problem(str(ref.file), line, None, path,
                                      f"expected {width} column{'s' if width != 1 else ''} (like {like}), "
                                      f"got {len(row)}"))
            return None
    ref.lines = lines
    values = np.array(rows, dtype=object)
    return values, header

