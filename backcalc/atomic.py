"""Every file backcalc writes goes through here: checked before the work, written all at once.

`check_target` runs before a command does its work (so a long training run never ends in a
refusal); `write_file` writes. The rules, one for every file (`train --save`, `--plot`,
`step --solution`, `init`):

- a missing file is created; an existing regular file is replaced only when asked (`--force`);
- a regular file is written to a temporary file beside it, fsynced, then linked or renamed
  into place, so a reader sees the old file or the whole new one, never half of one;
- a character device (/dev/null, a terminal) is written to directly, as a shell's `>` does;
- a symbolic link is written through, as `cp` does: the file it names is replaced (under the
  same rules), the link itself stays;
- anything else (a directory, a named pipe, a socket, a block device, a dangling link) is
  refused, never replaced.

A temporary file is named `.NAME.backcalc-PID@HOST-XXXXXXXX.tmp`; one left behind by a killed
process is removed by the next write to the same folder.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BackcalcError, ExitCode, UsageError
from .files import CHARACTER_DEVICE, DIRECTORY, kind_of

STALE_AFTER = 15 * 60  # seconds; a temporary file this old is stale even if its PID is in use again


class WriteError(BackcalcError):
    """A file could not be written after the work was done (the results are printed anyway)."""

    exit_code = ExitCode.CANT_WRITE


@dataclass(frozen=True)
class Target:
    """A file to write: its path, how messages name it, and whether an existing file may be replaced."""

    path: Path
    label: str
    force: bool = False


def _refusal(st: os.stat_result) -> str | None:
    """Why a file of this kind is never written, or None (a regular file or a character device)."""
    what = kind_of(st.st_mode)
    if what == DIRECTORY:
        return "is a directory, expected a file name"
    if what is not None and what != CHARACTER_DEVICE:
        return f"expected a regular file or a character device such as /dev/null, found {what}"
    return None


def _resolve(path: Path) -> tuple[Path, os.stat_result | None, str | None]:
    """(the path to write, its stat or None when it does not exist, why it is refused or None)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return path, None, f"is a symbolic link to {os.readlink(path)}, which does not exist"
        if stat.S_ISREG(st.st_mode):
            path = Path(os.path.realpath(path))  # write through the link: replace the file it names
    return path, st, (_refusal(st) if st is not None else None)


def check_target(path: str | Path, option: str | None, force: bool = False, source: str | None = None) -> Target:
    """A `Target` for `path`, or UsageError if it cannot or may not be written (checked before any work).

    Messages name the file with its `option` (`--save out.yaml`), or alone when None; `source`
    is the input spec's path, which is never replaced without `force` either, and says so.
    """
    if not str(path):
        raise UsageError(f"{option}: expected a file name, got nothing")
    target = Target(Path(path), f"{option} {path}" if option else str(path), force)
    try:
        real, st, refused = _resolve(target.path)
        if refused:
            raise UsageError(f"{target.label}: {refused}")
        if st is not None and stat.S_ISCHR(st.st_mode):
            if not os.access(real, os.W_OK):
                raise UsageError(f"{target.label}: the device is not writable")
            return target
        folder = real.parent
        if not folder.is_dir():
            raise UsageError(f"{target.label}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"{target.label}: the folder {folder} is not writable")
        if st is not None:
            if source is not None and os.path.isfile(source) and os.path.samefile(real, source):
                if not force:
                    raise UsageError(f"{target.label}: is the input spec; use --force to overwrite it "
                                     "(its comments are not kept)")
            elif not force:
                raise UsageError(f"{target.label}: already exists; use --force to overwrite it")
            if not os.access(real, os.W_OK):
                raise UsageError(f"{target.label}: the file is not writable")
    except OSError as e:  # a name the file system refuses (too long, …)
        raise UsageError(f"{target.label}: cannot write: {e.strerror or e}") from None
    return target


def write_file(target: Target, data: bytes) -> None:
    """Write `data` to `target` by the rules above; WriteError (one line naming the file) if it fails."""
    try:
        real, st, refused = _resolve(target.path)
        if refused:  # it changed since check_target
            raise WriteError(f"{target.label}: {refused}")
        if st is not None and stat.S_ISCHR(st.st_mode):
            _write_device(real, data)
        elif st is not None and not target.force:
            raise WriteError(f"{target.label}: already exists; use --force to overwrite it")
        else:
            _write_atomic(real, data, replace=st is not None)
    except FileExistsError:  # created by someone else since check_target
        raise WriteError(f"{target.label}: already exists; use --force to overwrite it") from None
    except OSError as e:
        raise WriteError(f"{target.label}: cannot write: {e.strerror or e}") from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_device(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:32]


# .NAME.backcalc-PID@HOST-XXXXXXXX.tmp (mkstemp's eight random characters)
_TEMP = re.compile(r"\..*\.backcalc-(\d+)@([A-Za-z0-9_]*)-[a-z0-9_]{8}\.tmp")


def _temp_prefix(name: str) -> str:
    return f".{name[:100]}.backcalc-{os.getpid()}@{_host()}-"  # [:100]: the temp name stays a legal one


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there: leave it to STALE_AFTER
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, someone else's
        return True
    return True


def clean_stale_temps(folder: Path, now: float | None = None) -> None:
    """Remove temporary files of backcalc's own naming whose writer is gone (a killed write):
    on this host, when their PID no longer runs; anywhere, when older than STALE_AFTER."""
    now = time.time() if now is None else now
    host = _host()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMP.fullmatch(entry.name)
        if not match:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                continue
            gone = match[2] == host and not _alive(int(match[1]))
            if gone or now - st.st_mtime > STALE_AFTER:
                os.unlink(entry.path)
        except OSError:  # already gone, or not ours to remove
            pass


def _write_atomic(path: Path, data: bytes, replace: bool) -> None:
    """A temporary file beside `path`, fsync, then a link (a new file: never replaces one that
    appeared meanwhile) or a rename (replacing the existing file, whose permissions it keeps)."""
    clean_stale_temps(path.parent)
    mode = path.stat().st_mode & 0o7777 if replace else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path.name), suffix=".tmp")
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)  # mkstemp's 0600 would hide the file from others
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links
                if os.path.lexists(path):
                    raise FileExistsError(path) from None
                os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make the new name itself durable (where the platform allows opening a folder)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
