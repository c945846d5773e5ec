"""What a path the user gave names, when it is not a regular file, and opening one without blocking.

A spec, an answers file or a data file named by a path may turn out to be a
directory, a named pipe with nobody writing to it, a device (`/dev/zero`), a
socket, a symbolic link that loops or leads nowhere: each is reported as what
it is, never as "no such file", and nothing waits forever on a pipe.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def kind(p: Path) -> str | None:
    """Why `p` is not a regular file one can read ("no such file", "is a named pipe (FIFO)", …), or None."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            return f"is a symbolic link to {os.readlink(p)!r}, which does not exist"
        return "no such file"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "is a symbolic link that loops (it leads back to itself)"
        return f"cannot read it ({e.strerror or e})"  # a name too long, a folder we may not enter, …
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    target = os.path.realpath(p)
    shown = f" ({target})" if target != os.path.abspath(p) else ""
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return f"is a character device{shown}"
    if stat.S_ISBLK(mode):
        return f"is a block device{shown}"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is not a regular file"


def read_pipe_or_file(p: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file or a pipe (`<(…)`); a pipe nobody writes to reads as empty.

    Opening a FIFO for reading waits for a writer; opened non-blocking it does not, and reading it
    then ends at once when no writer is there, or waits for the one that is.
    """
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, size = [], 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
