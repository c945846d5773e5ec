"""Every file backcalc writes (`train --save`, `train --plot`, `step --solution`, `init`) follows one
rule, through one write function: only a regular file is ever replaced, and only with --force
(checked before any work); a character device is written through; a write that fails after the
work still prints the results, names the file and exits 73; a killed write's temporary file is
cleaned up by the next write to its folder."""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CONFIGS, cli, one_line

from backcalc.spec import load_spec

MAZUR = CONFIGS / "mazur.yaml"

# Each writer's command for a target path, and how its messages name the file. Targets end in
# .png so that --plot accepts them too.
WRITERS = {
    "save": (lambda t: ["train", MAZUR, "--epochs", "2", "--save", t], "--save "),
    "plot": (lambda t: ["train", MAZUR, "--epochs", "2", "--plot", t], "--plot "),
    "solution": (lambda t: ["step", MAZUR, "--format", "markdown", "--blank", "--solution", t], "--solution "),
    "init": (lambda t: ["init", t], ""),
}


def run(writer: str, target, *extra):
    if writer == "plot":
        pytest.importorskip("matplotlib")
    args, _ = WRITERS[writer]
    return cli(*args(target), *extra)


def label(writer: str, target) -> str:
    return f"{WRITERS[writer][1]}{target}"


def looks_written(writer: str, path: Path) -> bool:
    data = path.read_bytes()
    return {"save": data.startswith(b"# Trained by backcalc"), "plot": data.startswith(b"\x89PNG"),
            "solution": data.startswith(b"# Worked solution: mazur"),
            "init": data.startswith(b"# yaml-language-server")}[writer]


def kind(path: Path) -> tuple:
    st = os.lstat(path)
    return stat.S_IFMT(st.st_mode), st.st_ino, st.st_rdev


def mknod_char(path: Path, major: int, minor: int) -> None:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root")


# -- A: a target that is not a regular file is never replaced -------------------------------------

def _fifo(p: Path) -> str:
    os.mkfifo(p)
    return "expected a regular file or a character device such as /dev/null, found a named pipe (FIFO)"


def _socket(p: Path) -> str:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    s.close()
    return "expected a regular file or a character device such as /dev/null, found a socket"


def _dangling(p: Path) -> str:
    p.symlink_to(p.parent / "nowhere.png")
    return f"is a symbolic link to {p.parent / 'nowhere.png'}, which does not exist"


def _link_to_fifo(p: Path) -> str:
    os.mkfifo(p.parent / "pipe")
    p.symlink_to(p.parent / "pipe")
    return "expected a regular file or a character device such as /dev/null, found a named pipe (FIFO)"


def _block_device(p: Path) -> str:
    try:
        os.mknod(p, 0o600 | stat.S_IFBLK, os.makedev(7, 0))  # a loop device's node; never opened here
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root")
    return "expected a regular file or a character device such as /dev/null, found a block device"


@pytest.mark.parametrize("make", [_fifo, _socket, _dangling, _link_to_fifo, _block_device])
@pytest.mark.parametrize("writer", WRITERS)
def test_a_target_that_is_not_a_regular_file_is_refused_and_kept(tmp_path, monkeypatch, writer, make):
    monkeypatch.chdir(tmp_path)  # a socket's path must be short
    target = Path("t.png")
    reason = make(target)
    before = kind(target)
    for extra in ([], ["--force"]):  # --force replaces regular files only
        result = run(writer, target, *extra)
        assert result.exit_code == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr == f"{label(writer, target)}: {reason}\n"
        assert kind(target) == before


@pytest.mark.parametrize("writer", WRITERS)
def test_a_character_device_is_written_through_not_replaced(tmp_path, writer):
    device = tmp_path / "null.png"
    mknod_char(device, 1, 3)  # a private /dev/null
    before = kind(device)
    result = run(writer, device)  # writing to /dev/null replaces nothing: no --force needed
    assert result.exit_code == 0, result.stderr
    assert kind(device) == before  # still the same device node
    assert [p.name for p in tmp_path.iterdir()] == ["null.png"]  # no temporary file


@pytest.mark.parametrize("writer", WRITERS)
def test_a_symlink_to_a_regular_file_is_written_through_with_force(tmp_path, writer):
    real = tmp_path / "real.png"
    real.write_text("mine\n")
    link = tmp_path / "link.png"
    link.symlink_to(real)
    refused = run(writer, link)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == f"{label(writer, link)}: already exists; use --force to overwrite it\n"
    assert real.read_text() == "mine\n"
    assert run(writer, link, "--force").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)  # the link stays a link
    assert looks_written(writer, real)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.png", "real.png"]


# -- B: an existing file is replaced only with --force, checked before the work -------------------

@pytest.mark.parametrize("writer", WRITERS)
def test_an_existing_file_is_replaced_only_with_force(tmp_path, writer):
    target = tmp_path / "out.png"
    target.write_text("mine\n")
    refused = run(writer, target)
    assert refused.exit_code == 2
    assert refused.stdout == ""  # refused before training or computing anything
    assert refused.stderr == f"{label(writer, target)}: already exists; use --force to overwrite it\n"
    assert target.read_text() == "mine\n"
    forced = run(writer, target, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert looks_written(writer, target)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_save_onto_the_input_spec_needs_force(tmp_path):
    spec = tmp_path / "net.yaml"
    text = "# my notes on this network\n" + MAZUR.read_text()
    spec.write_text(text)
    refused = cli("train", spec, "--epochs", "2", "--save", spec)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == (f"--save {spec}: is the input spec; use --force to overwrite it "
                              "(its comments are not kept)\n")
    assert spec.read_text() == text
    assert cli("train", spec, "--epochs", "2", "--save", spec, "--force", "--quiet").exit_code == 0
    assert spec.read_text().startswith("# Trained by backcalc")
    assert load_spec(spec).name == "mazur"


def test_a_file_created_during_the_run_is_not_replaced(tmp_path, monkeypatch):
    from backcalc.history import LossHistory

    out = tmp_path / "out.yaml"
    real_add = LossHistory.add

    def someone_else_writes(self, *args, **kwargs):  # another program creates OUT while training runs
        if not out.exists():
            out.write_text("theirs\n")
        return real_add(self, *args, **kwargs)

    monkeypatch.setattr(LossHistory, "add", someone_else_writes)
    result = cli("train", MAZUR, "--epochs", "3", "--save", out)
    assert result.exit_code == 73
    assert "Final parameters after 3 epochs" in result.stdout
    assert result.stderr.splitlines()[-1] == f"--save {out}: already exists; use --force to overwrite it"
    assert out.read_text() == "theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]


def test_save_and_plot_to_one_file_is_refused(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "x.png"
    result = cli("train", MAZUR, "--save", out, "--plot", out)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"--save and --plot name the same file {out}; give two names\n"


@pytest.mark.parametrize("command, option, words", [
    ("train", "--save", "an existing OUT.yaml only with --force"),
    ("train", "--plot", "an existing FILE only with --force"),
    ("train", "--force", "Let --save and --plot replace existing files"),
    ("step", "--solution", "an existing FILE only with --force"),
    ("step", "--output", "an existing FILE only with --force"),
    ("step", "--force", "Let --solution or --output replace an existing file"),
    ("init", "--force", "Overwrite FILE if it exists"),
])
def test_each_writing_option_says_it_needs_force(command, option, words):
    text = " ".join(cli(command, "--help").stdout.split())
    assert option in text and words in text


# -- C: a write that fails after the work: results printed, the file named, exit 73 ----------------

def _no_space(fd, data):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("json", [False, True])
def test_a_full_disk_at_the_end_still_prints_the_results(tmp_path, monkeypatch, json):
    old = tmp_path / "out.yaml"
    old.write_text("old: content\n")
    args = ["train", MAZUR, "--epochs", "5", *(["--json"] if json else [])]
    expected = cli(*args)
    monkeypatch.setattr(os, "write", _no_space)
    result = cli(*args, "--save", old, "--force")
    assert result.exit_code == 73
    assert result.stdout == expected.stdout  # the whole report, as without --save
    assert result.stderr.splitlines()[-1] == f"--save {old}: cannot write: No space left on device"
    assert "Traceback" not in result.stderr and "saved the parameters" not in result.stderr
    assert old.read_text() == "old: content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]  # no temporary file left


def test_every_failed_write_is_reported(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(os, "write", _no_space)
    result = cli("train", MAZUR, "--epochs", "3", "--save", tmp_path / "a.yaml", "--plot", tmp_path / "a.png")
    assert result.exit_code == 73
    assert "Final parameters after 3 epochs" in result.stdout
    assert result.stderr.splitlines()[-2:] == [f"--save {tmp_path / 'a.yaml'}: cannot write: No space left on device",
                                               f"--plot {tmp_path / 'a.png'}: cannot write: No space left on device"]
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_under_solution_still_prints_the_exercise(tmp_path, monkeypatch):
    args = ["step", MAZUR, "--format", "markdown", "--blank"]
    exercise = cli(*args).stdout
    monkeypatch.setattr(os, "write", _no_space)
    result = cli(*args, "--solution", tmp_path / "sol.md")
    assert result.exit_code == 73
    assert result.stdout == exercise
    assert result.stderr == f"--solution {tmp_path / 'sol.md'}: cannot write: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_under_init(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "write", _no_space)
    result = cli("init", tmp_path / "net.yaml")
    assert result.exit_code == 73 and result.stdout == ""
    assert result.stderr == f"{tmp_path / 'net.yaml'}: cannot write: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_a_full_device_after_training(tmp_path):
    full = tmp_path / "full"
    mknod_char(full, 1, 7)  # a private /dev/full: every write fails with ENOSPC
    result = cli("train", MAZUR, "--epochs", "2", "--save", full)
    assert result.exit_code == 73
    assert "Final parameters after 2 epochs" in result.stdout
    assert result.stderr.splitlines()[-1] == f"--save {full}: cannot write: No space left on device"
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_failed_save_after_an_interrupt_exits_73(tmp_path):
    full = tmp_path / "full"
    mknod_char(full, 1, 7)
    backcalc = Path(sys.executable).with_name("backcalc")
    proc = subprocess.Popen([str(backcalc), "train", str(MAZUR), "--epochs", "100000000", "--json", "--save",
                             str(full)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # training is under way
    assert first.startswith('{"epoch": 1,'), first
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 73, err
    assert '"final"' in out.splitlines()[-1]
    assert "backcalc: interrupted by SIGTERM" in err
    assert err.splitlines()[-1] == f"--save {full}: cannot write: No space left on device"


# -- a killed write leaves a temporary file; the next write to the folder removes it ---------------

KILLED_WHILE_SAVING = """
import os, signal, sys
from backcalc.cli import main

def killed(*args, **kwargs):  # SIGKILL just before the temporary file is linked into place
    os.kill(os.getpid(), signal.SIGKILL)

os.link = os.replace = killed
sys.argv = ["backcalc", *sys.argv[1:]]
main()
"""


def test_a_killed_saves_temporary_file_is_removed_by_the_next_write(tmp_path):
    out = tmp_path / "out.yaml"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WHILE_SAVING, "train", str(MAZUR), "--epochs", "2",
                             "--save", str(out), "--quiet"], stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    (stale,) = tmp_path.iterdir()
    match = re.fullmatch(r"\.out\.yaml\.backcalc-(\d+)@(\w*)-\w{8}\.tmp", stale.name)
    assert match and int(match[1]) == proc.pid
    size = stale.stat().st_size
    # Temporary files of writers still running (this process), of other hosts (not old yet),
    # and files that are not backcalc's own are all kept.
    mine = tmp_path / stale.name.replace(f"-{proc.pid}@", f"-{os.getpid()}@")
    elsewhere = tmp_path / stale.name.replace(f"@{match[2]}-", "@otherhost-")
    old_elsewhere = tmp_path / stale.name.replace(f"@{match[2]}-", "@oldhost-")
    others = [tmp_path / ".notes.tmp", tmp_path / ".out.yaml.backcalc-1-short.tmp"]
    for p in [mine, elsewhere, old_elsewhere, *others]:
        p.write_text("x")
    an_hour_ago = time.time() - 3600
    os.utime(old_elsewhere, (an_hour_ago, an_hour_ago))

    assert cli("train", MAZUR, "--epochs", "2", "--save", out, "--quiet").exit_code == 0
    assert out.stat().st_size == size  # the stale file was the whole save
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in [out, mine, elsewhere, *others])


def test_every_exit_code_is_documented():
    from conftest import ROOT

    from backcalc.errors import ExitCode

    for doc in ("docs/errors.md", "README.md"):
        rows = {int(m) for m in re.findall(r"^\| (\d+) \|", (ROOT / doc).read_text(), re.M)}
        assert rows == {int(code) for code in ExitCode}, doc


@pytest.mark.parametrize("args", [["train", "--epochs", "1", "--save", "-"],
                                  ["step", "--blank", "-f", "markdown", "--solution", "-"]])
def test_dash_is_not_a_file_name_for_an_output_option(tmp_path, args, monkeypatch):
    """`-` means standard input as CONFIG; as an output file it would silently create ./- instead."""
    monkeypatch.chdir(tmp_path)
    result = cli(args[0], str(CONFIGS / "mazur.yaml"), *args[1:])
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "got `-`" in result.stderr
    assert list(tmp_path.iterdir()) == []








def test_save_to_a_name_too_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 300 + ".yaml"
    line = one_line(cli("train", MAZUR, "--epochs", "2", "--save", name))
    assert line == f"--save {name}: cannot write: File name too long"


def test_save_to_an_empty_name():
    assert one_line(cli("train", MAZUR, "--epochs", "2", "--save", "")) == "--save: expected a file name, got nothing"


def test_init_to_a_name_too_long(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 300
    assert one_line(cli("init", name)) == f"{name}: cannot write: File name too long"
    assert list(tmp_path.iterdir()) == []


def test_init_to_an_empty_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert one_line(cli("init", "")) == "init: expected a file name (or `-` for standard output), got nothing"


def test_solution_to_a_directory(tmp_path):
    line = one_line(cli("step", MAZUR, "--format", "markdown", "--blank", "--solution", tmp_path))
    assert line == f"--solution {tmp_path}: is a directory, expected a file name"


def test_plot_is_written_atomically(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import backcalc.atomic as atomic

    written = []
    real = atomic.write_file

    def spy(target, data):
        written.append((target.path.name, data[:8]))
        return real(target, data)

    monkeypatch.setattr(atomic, "write_file", spy)
    result = cli("train", MAZUR, "--epochs", "3", "--plot", tmp_path / "loss.png", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert written == [("loss.png", b"\x89PNG\r\n\x1a\n")]
    assert (tmp_path / "loss.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temporary file left
