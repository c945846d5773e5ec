"""Keep the README's pasted output real: regenerate (`make readme`) or check (tests) it.

Every ```console block whose first line is `$ backcalc ARGS` (no pipes) holds the
real stdout of that command run from the repository root at 100 columns, no colour.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # conftest's in-process cli

from conftest import ROOT, cli  # noqa: E402

BLOCK = re.compile(r"```console\n\$ backcalc (?P<args>[^\n|>]*?)(?P<err> 2>&1)?\n(?P<out>.*?)```", re.S)


# The width pasted output is rendered at: that of pipes and most terminals.
COLUMNS = "80"


def run(args: str, with_stderr: bool = False) -> str:
    """The command's stdout (with `2>&1`: its stderr, then its stdout), lines right-stripped."""
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = cli(*shlex.split(args), env={"NO_COLOR": "1", "COLUMNS": COLUMNS})
    finally:
        os.chdir(cwd)
    text = (result.stderr + result.stdout) if with_stderr else result.stdout
    out = "\n".join(line.rstrip() for line in text.splitlines())
    return out + "\n" if out else ""


def blocks(text: str):
    return [(m.group("args") + (m.group("err") or ""), m.group("out"), m) for m in BLOCK.finditer(text)]


def run_block(args: str) -> str:
    """Run a block's command line, honouring a trailing `2>&1`."""
    if args.endswith(" 2>&1"):
        return run(args[: -len(" 2>&1")], with_stderr=True)
    return run(args)


def update(path: Path) -> None:
    text = path.read_text()
    out, pos = [], 0
    for args, _, m in blocks(text):
        out.append(text[pos:m.start()])
        out.append(f"```console\n$ backcalc {args}\n{run_block(args)}```")
        pos = m.end()
    out.append(text[pos:])
    path.write_text("".join(out))


if __name__ == "__main__":
    for name in sys.argv[1:] or ["README.md"]:
        update(ROOT / name)
        print(f"updated {name}")
