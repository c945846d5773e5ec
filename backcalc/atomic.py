"""Write a file all at once, so no reader ever sees half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: bytes, overwrite: bool = False) -> None:
    """Write `data` to `path`: a temporary file in the same folder, fsync, then a rename.

    Without `overwrite`, an existing `path` is never replaced: FileExistsError,
    checked by the final link itself, so there is no window for a race.
    """
    path = Path(path)
    # A replaced file keeps its permissions; a new one gets 0666 minus the umask.
    mode = path.stat().st_mode & 0o7777 if overwrite and path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp's 0600 would hide the file from others
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links
                if path.exists():
                    raise FileExistsError(path) from None
                os.replace(tmp, path)
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)  # make the new name itself durable
        except OSError:
            pass
        finally:
            os.close(dir_fd)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
