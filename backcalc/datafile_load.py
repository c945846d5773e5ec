"""Data files read into arrays: CSV (streamed, every cell parsed, the first bad cell of each column
kept for the spec side to report), .npy and .npz (headers checked before the memory is spent).
`datafiles` says which file and columns a spec names; this module reads them.
"""

from __future__ import annotations

import csv
import math
import re
import zipfile
from array import array
from typing import TYPE_CHECKING

import numpy as np

from .errors import Problem
from .reader import clip, suggest

if TYPE_CHECKING:
    from .datafiles import Ref

MAX_DATA_BYTES = 2 * 1024**3  # a file on disk (and a .npz member inflated)
MAX_VALUES = 2**28  # numbers in one data file: 2 GiB as float64


def load(r, ref: Ref, path: str):
    """(values, header names or None): numeric arrays as they are, CSV cells as float64 (see `_load_csv`).

    Every size is checked before the memory is spent: the file's size on disk, and the number of
    values it holds, from a .npy header (or each .npz member's) or counted as a CSV is read."""
    try:
        size = ref.file.stat().st_size
        if size > MAX_DATA_BYTES:
            r.error(ref.node, f"{path}.file", f"{ref.shown} is {size / 2**30:.1f} GB; data files are limited "
                    f"to {MAX_DATA_BYTES // 2**30} GB")
            return None
        with ref.file.open("rb") as f:
            if ref.file.suffix.lower() == ".csv":
                return _load_csv(r, ref, path, f)
            return _load_numpy(r, ref, path, f)
    except OSError as e:  # permission denied, an I/O error
        r.error(ref.node, f"{path}.file", f"cannot read {ref.shown}: {e.strerror or e}")
        return None


def names_text(names: list[str], limit: int = 10) -> str:
    """A list of names as a message shows it: the first few, then how many more."""
    shown = ", ".join(clip(n, 40) for n in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit:,} more"


def _too_many(count: int) -> str:
    return (f"data files are limited to {MAX_VALUES:,} values ({MAX_VALUES * 8 // 2**30} GiB as float64), "
            f"this one holds {count:,}")


def _load_numpy(r, ref: Ref, path: str, f):
    """A .npy array, or (`_load_npz`) one of a .npz archive's, as a samples × columns array."""
    suffix = ref.file.suffix.lower()
    kind = "a NumPy .npz archive" if suffix == ".npz" else "a NumPy .npy file"

    def fail(message: str) -> None:
        r.error(ref.node, f"{path}.file", message)

    magic = f.read(6)
    f.seek(0)
    is_npz = magic.startswith(b"PK")
    if not is_npz and magic != b"\x93NUMPY":
        fail(f"cannot read {ref.shown} as {kind}: it starts with neither the .npy header nor the .npz (zip) header")
        return None
    if is_npz != (suffix == ".npz"):
        found = "a .npz archive" if is_npz else "a .npy array"
        fail(f"expected {kind} (by its name), but {ref.shown} holds {found}: rename it")
        return None
    if not is_npz:
        problem = _check_header(f, ref.file.stat().st_size, ref.shown)
        if problem is not None:
            fail(problem)
            return None
        f.seek(0)
        try:
            array = np.lib.format.read_array(f, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            fail(f"cannot read {ref.shown} as {kind}: {_numpy_reason(e)}")
            return None
        return _array(r, ref, path, array)
    return _load_npz(r, ref, path, f, kind, fail)


def _load_npz(r, ref: Ref, path: str, f, kind: str, fail):
    """The array `key:` names (or the only one) of a .npz archive, its size checked before it is inflated."""
    try:
        with zipfile.ZipFile(f) as z:
            members = {(n[:-4] if n.endswith(".npy") else n): n for n in z.namelist()}
            keys = list(members)
            if not keys:
                fail(f"{ref.shown} holds no arrays")
                return None
            if ref.key is None:
                if len(keys) != 1:
                    fail(f"{ref.shown} holds {len(keys):,} arrays ({names_text(keys)}); name one with `key:`")
                    return None
                key = keys[0]
            elif ref.key not in members:
                r.error(ref.key_node, f"{path}.key", f"{ref.shown} has no array {clip(ref.key, 40)!r}"
                        f"{_suggest_key(ref.key, keys)}; it holds: {names_text(keys)}")
                return None
            else:
                key = ref.key
            info = z.getinfo(members[key])
            if info.file_size > MAX_DATA_BYTES:  # a small archive may inflate hugely
                fail(f"array {clip(key, 40)!r} of {ref.shown} is {info.file_size / 2**30:.1f} GB uncompressed; "
                     f"data files are limited to {MAX_DATA_BYTES // 2**30} GB")
                return None
            with z.open(info) as m:
                problem = _check_header(m, info.file_size, f"array {clip(key, 40)!r} of {ref.shown}")
                if problem is not None:
                    fail(problem)
                    return None
            with z.open(info) as m:
                array = np.lib.format.read_array(m, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError) as e:
        fail(f"cannot read {ref.shown} as {kind}: {_numpy_reason(e)}")
        return None
    return _array(r, ref, path, array)


def _suggest_key(key: str, keys: list[str]) -> str:
    return suggest(key, keys[:1000]) if len(keys) <= 1000 else ""


def _check_header(f, size: int, shown: str) -> str | None:
    """What is wrong with the .npy array `shown` (`f` at its start, `size` bytes long), or None.

    Only the header is read, so a header claiming more than the file holds, or more than the
    limit, costs nothing (NumPy would allocate the array it describes first)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(f)
        else:
            return (f"cannot read {shown}: it uses .npy format version {version[0]}.{version[1]}, "
                    "which holds structured arrays, not numbers")
    except (ValueError, OSError, EOFError, SyntaxError):
        return f"cannot read {shown}: its .npy header is damaged (not an array written by numpy.save?)"
    if dtype.hasobject or dtype.kind not in "biuf":
        return f"expected numbers in {shown}, got an array of {dtype}"
    count = math.prod(shape)
    if count > MAX_VALUES:
        return f"cannot read {shown}: its header gives shape {shape}; {_too_many(count)}"
    data, left = count * dtype.itemsize, max(size - f.tell(), 0)
    if data > left:
        return (f"cannot read {shown}: its header gives shape {shape} ({data:,} bytes of {dtype}), but only "
                f"{left:,} bytes follow it (a truncated or damaged file?)")
    return None


def _numpy_reason(e: Exception) -> str:
    """An error from reading an array, as one line of ours (NumPy's text may span lines or
    suggest loading pickles, which backcalc never does)."""
    text = " ".join(str(e).split())
    if isinstance(e, zipfile.BadZipFile) or "zip" in text.lower() or "CRC" in text:
        return clip(text, 100)  # Python's zipfile, one line: "File is not a zip file", "Bad CRC-32 …"
    if isinstance(e, EOFError) or "EOF" in text:
        return "the file ends before the data its header announces (a truncated file?)"
    return "the data cannot be read (a damaged file?)"


def _array(r, ref: Ref, path: str, array: np.ndarray):
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


_ROWS_PER_CHUNK = 4096
# A CSV number is written in decimal: Python's float() also takes `1_0` and non-ASCII digits.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
                      re.IGNORECASE | re.ASCII)


def is_number(text: str) -> bool:
    """Whether a CSV cell is a number written in decimal (or inf, nan)."""
    return _DECIMAL.fullmatch(text) is not None


def _cell_value(cell: str) -> float:
    return float(cell) if _DECIMAL.fullmatch(cell) else math.nan


def _decoded_lines(r, ref: Ref, path: str, f, failed: list):
    """The file's lines as text, each decoded alone, so a byte that is not UTF-8 is located exactly."""
    offset = 0
    for k, raw in enumerate(f):
        try:
            text = raw.decode("utf-8-sig" if k == 0 else "utf-8")
        except UnicodeDecodeError as e:
            failed.append(Problem(str(ref.file), k + 1, None, path,
                                  f"{ref.shown} is not UTF-8 text (byte {offset + e.start})"))
            return
        offset += len(raw)
        yield text


def _load_csv(r, ref: Ref, path: str, f):
    # Long because it is one streaming loop whose state (the width, the current chunk, the first bad
    # cell per column) stays in locals, so the per-row path pays no call; the once-a-file parts (the
    # header, the end of the file) are functions of their own.
    """(values, header): every cell parsed to float64 as the file streams by (NaN where a cell is not a
    number; the first such cell of each column is kept in `ref.bad` for `_take` to report, only if that
    column is picked). The memory is the values' own, 8 bytes each, and their count is capped."""
    failed: list[Problem] = []
    # strict: a quote left open runs to the end of the file, which is an error, not one long cell;
    # skipinitialspace: `0.2, "0.3"` quotes its cell like `0.2,"0.3"`
    reader = csv.reader(_decoded_lines(r, ref, path, f, failed), strict=True, skipinitialspace=True)
    header = None
    first = None  # the first row, when it may still be the header
    width = None
    chunks: list[np.ndarray] = []
    chunk_rows: list[list[str]] = []
    chunk_values: list[list[float]] = []
    lines = array("I")  # 4 bytes a row (a 2 GB file has fewer than 2**32 lines)
    bad: dict[int, tuple[int, str]] = {}
    count = 0

    def flush() -> None:
        block = np.array(chunk_values, dtype=np.float64).reshape(len(chunk_values), width)
        if not np.isfinite(block).all():
            for j in np.flatnonzero(~np.isfinite(block).all(axis=0)):
                if int(j) not in bad:
                    i = int(np.flatnonzero(~np.isfinite(block[:, j]))[0])
                    bad[int(j)] = (len(lines) - len(chunk_rows) + i, chunk_rows[i][j].strip())
        chunks.append(block)
        chunk_rows.clear()
        chunk_values.clear()

    try:
        for row in reader:
            if failed:
                break
            if not row:
                continue
            if width is not None:  # the common case, kept fast: float() itself skips surrounding spaces
                try:
                    values = list(map(float, row))
                    joined = "".join(row)
                    if "_" in joined or not joined.isascii():  # forms float() takes that a CSV number is not
                        raise ValueError
                except ValueError:
                    cells = [cell.strip() for cell in row]
                    if not any(cells):
                        continue
                    values = [_cell_value(c) for c in cells]
            else:  # the first row: a header, or the first data row
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                width = len(cells)
                if ref.header if ref.header is not None else not all(is_number(c) for c in cells):
                    header = cells
                    if not _header_ok(r, ref, path, header, reader.line_num):
                        return None
                    continue
                first = reader.line_num
                values = [_cell_value(c) for c in cells]
            if len(row) != width:
                like = "the header" if header is not None else f"line {first}"
                r.problems.append(Problem(str(ref.file), reader.line_num, None, path,
                                          f"expected {width} column{'s' if width != 1 else ''} (like {like}), "
                                          f"got {len(row)}"))
                return None
            count += width
            if count > MAX_VALUES:
                r.problems.append(Problem(str(ref.file), reader.line_num, None, path,
                                          f"{_too_many(count)} by this line"))
                return None
            chunk_values.append(values)
            chunk_rows.append(row)
            lines.append(reader.line_num)
            if len(chunk_rows) == _ROWS_PER_CHUNK:
                flush()
    except csv.Error as e:
        hint = " (a quote opened and never closed?)" if "end of data" in str(e) else ""
        r.problems.append(Problem(str(ref.file), reader.line_num, None, path, f"not valid CSV: {e}{hint}"))
        return None
    if failed:
        r.problems.extend(failed)
        return None
    if chunk_rows:
        flush()
    if not lines:
        _no_data_rows(r, ref, path, header)
        return None
    ref.lines, ref.bad = lines, bad
    values = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
    chunks.clear()
    return values, header


def _header_ok(r, ref: Ref, path: str, header: list[str], line: int) -> bool:
    if len(set(header)) != len(header) or not all(header):
        r.problems.append(Problem(str(ref.file), line, None, path,
                                  "the header row has an empty or repeated column name"))
        return False
    return True


def _no_data_rows(r, ref: Ref, path: str, header: list[str] | None) -> None:
    why = ""
    if header is not None and ref.header is None:
        cell = next(c for c in header if not is_number(c))
        why = (f" (its only row was taken as the header, as the cell {clip(cell, 40)!r} is not a number; "
               "write `header: false` if it is data)")
    r.error(ref.node, f"{path}.file", f"{ref.shown} has no data rows{why}")
