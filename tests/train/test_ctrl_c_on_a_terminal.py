"""Ctrl-C on a real terminal of 80 columns: what stays on screen (the bar cleared, the `^C` echo
on its own line, then the table), read through a pseudo-terminal and a small screen model."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CONFIGS

BACKCALC = Path(sys.executable).parent / "backcalc"
LINEAR = str(CONFIGS / "linear_seed.yaml")
WIDTH = 80
CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")

pytestmark = pytest.mark.skipif(not BACKCALC.exists() or os.name != "posix",
                                reason="needs the backcalc executable and a pty")


def screen(text: str, width: int = WIDTH) -> list[str]:
    """The lines a terminal of `width` columns shows after `text`: printing with auto-wrap, \\r, \\n
    and the cursor and erase sequences rich uses (colours ignored)."""
    rows: list[list[str]] = [[]]
    row = col = 0
    wrap_next = False  # a terminal wraps when the character after the last column comes
    i = 0
    while i < len(text):
        m = CSI.match(text, i)
        if m:
            n = int(m.group(1)) if m.group(1).isdigit() else 1
            op = m.group(2)
            rows += [[] for _ in range(row + 1 - len(rows))]
            if op == "K":
                rows[row] = [] if m.group(1) == "2" else rows[row][:col]
            elif op == "A":
                row = max(0, row - n)
            if op in "KA":
                wrap_next = False
            i = m.end()
            continue
        ch = text[i]
        i += 1
        if ch == "\r":
            col, wrap_next = 0, False
        elif ch == "\n":
            row, wrap_next = row + 1, False
        elif ch >= " ":
            if wrap_next:
                row, col, wrap_next = row + 1, 0, False
            rows += [[] for _ in range(row + 1 - len(rows))]
            line = rows[row]
            line += [" "] * (col + 1 - len(line))
            line[col] = ch
            if col == width - 1:
                wrap_next = True
            else:
                col += 1
    return ["".join(r).rstrip() for r in rows]


def test_the_screen_model_wraps_and_erases_as_a_terminal_does():
    assert screen("a" * WIDTH + "^C") == ["a" * WIDTH, "^C"]
    assert screen("a" * WIDTH + "\r\x1b[2Kb") == ["b"]
    assert screen("one\r\ntwo\r\x1b[2K\x1b[1A\x1b[2Kthree") == ["three", ""]


def ctrl_c(*args: str, ready: bytes | None = None, wait: float = 1.5) -> tuple[int, str]:
    """Run `backcalc train LINEAR *args` on a new pty of 80 columns, type Ctrl-C once `ready` is on
    screen (or after `wait` seconds), and return the exit status and everything the terminal got."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, WIDTH, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR")}
    env["TERM"] = "xterm"

    def own_terminal():  # the pty as the controlling terminal, so that ^C becomes SIGINT
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([str(BACKCALC), "train", LINEAR, "--epochs", "100000000", *args], stdin=follower,
                            stdout=follower, stderr=follower, env=env, preexec_fn=own_terminal)
    os.close(follower)
    seen, sent, start = b"", False, time.monotonic()
    try:
        while time.monotonic() - start < 120:
            if not sent and (ready in seen if ready else time.monotonic() - start > wait):
                os.write(leader, b"\x03")  # the terminal's line discipline echoes `^C` and sends SIGINT
                sent = True
            if select.select([leader], [], [], 0.05)[0]:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
        return proc.wait(timeout=30), seen.decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


def test_ctrl_c_clears_the_bar_and_the_table_of_the_epochs_run_follows():
    code, text = ctrl_c(ready=b"epochs/s")
    lines = screen(text)
    assert code == 130
    m = re.fullmatch(r"backcalc: interrupted by SIGINT after epoch (\d+) of 100000000", lines[0])
    assert m, lines[:3]  # the first line on screen: the bar and the echoed ^C are gone
    assert not any("epochs/s" in line or "━" in line or "^C" in line for line in lines), lines
    table = lines[lines.index("Training"):]
    rows = [line.split() for line in table if re.match(r"\s+\d+\s", line)]
    assert rows[0][0] == "1" and rows[-1][0] == m.group(1)  # the epochs actually run
    assert f"Final parameters after {m.group(1)} epochs" in lines


def test_the_bar_is_one_line_at_80_columns_with_room_for_the_echo():
    _, text = ctrl_c(ready=b"epochs/s")
    frames = [CSI.sub("", f).removesuffix("^C") for f in re.split(r"[\r\n]", text)]
    rated = [f for f in frames if "epochs/s" in f]
    # the rate on the bar's line, not wrapped onto one of its own (as it was at 80 columns)
    assert rated and all(f.startswith("epoch ") and "loss " in f for f in rated), rated[:3]
    assert max(len(f) for f in frames if f.startswith("epoch ")) <= WIDTH - len("^C")


def test_without_a_bar_the_echoed_ctrl_c_keeps_its_own_line():
    code, text = ctrl_c("--quiet")  # no bar: nothing clears the line the terminal echoed ^C on
    lines = screen(text)
    assert code == 130
    assert lines[0] == "^C", lines[:3]
    # a very slow start-up may see the ^C before training, and exit with no message or a short one
    assert len(lines) == 1 or lines[1].startswith("backcalc: interrupted"), lines[:3]
