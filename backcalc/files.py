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

DIRECTORY = "a directory"
CHARACTER_DEVICE = "a character device"
# Every kind of file that is not a regular one, named once: the readers (`kind`) and the writer
# (atomic.py) say the same thing of the same file.
KINDS = ((stat.S_ISDIR, DIRECTORY), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, CHARACTER_DEVICE),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str | None:
    """What a file of this `st_mode` is ("a named pipe (FIFO)", …); None for a regular file or a kind
    not named here."""
    return next((what for test, what in KINDS if test(mode)), None)


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
    if stat.S_ISREG(st.st_mode):
        return None
    what = kind_of(st.st_mode)
    if what is None:
        return "is not a regular file"
    if what.endswith(" device"):
        target = os.path.realpath(p)
        return f"is {what}" + (f" ({target})" if target != os.path.abspath(p) else "")
    return f"is {what}"


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
