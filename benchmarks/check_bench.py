"""The `check` rows of `make bench`: a few wrong answers against all right, on the same answers file.

The answers are every quantity a student writes for the 945-parameter net (the loss, each
parameter's gradient and its new value: 1,891 answers), at full precision from `step --json`.
The all-right file is those; the few-wrong file is the same with two answers wrong as students
get them wrong (a gradient with its sign flipped, a new value stepped the wrong way), so `check`
diagnoses them. Time and peak memory of each, interleaved, medians; the goal is ≤ 2× in both. And
the all-right table (into a pipe) against the same check's `--json`, as the big tables are measured:
the verdict table is written without rich's cost per cell (`fixed_width.fitted_table_lines`), goal ≤ 3×.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

CHECK_TARGET = 2.0  # a few wrong ÷ all right, in time and in peak memory
TABLE_TARGET = 3.0  # the all-right table ÷ its --json, in time (the big tables' goal)


def answers_files(spec: str, folder: Path) -> tuple[Path, Path, int]:
    """(all right, two wrong, how many answers) for `spec`, written into `folder`."""
    out = subprocess.run([sys.executable, "-m", "backcalc", "step", spec, "--json", "-q"], capture_output=True,
                         text=True, check=True).stdout
    data = json.loads(out)
    rate = float(data["learning_rate"])
    answers = {"loss": data["loss"]}
    for p in data["parameters"]:
        answers[f"dL/d{p['name']}"] = p["grad"]
    for p in data["parameters"]:
        answers[f"{p['name']}_new"] = p["new"]
    right = folder / "right.yaml"
    right.write_text("".join(f"{key}: {value!r}\n" for key, value in answers.items()))
    wrong = dict(answers)
    params = data["parameters"]
    flipped, stepped = params[len(params) // 3], params[2 * len(params) // 3]
    wrong[f"dL/d{flipped['name']}"] = -flipped["grad"]  # the sign of a gradient
    wrong[f"{stepped['name']}_new"] = stepped["value"] + rate * stepped["grad"]  # w + η·g, not w − η·g
    few = folder / "two_wrong.yaml"
    few.write_text("".join(f"{key}: {value!r}\n" for key, value in wrong.items()))
    return right, few, len(answers)


def rows(spec: str, folder: Path, reps: int, peak_rss, misses: list[str]) -> list[str]:
    """The "## Check" section's lines after its heading; `peak_rss(args)` -> (seconds, KiB)."""
    right, few, count = answers_files(spec, folder)
    runs: dict[str, list[tuple[float, int]]] = {"right": [], "few": [], "json": []}
    for r in range(reps):
        kinds = ("right", "few", "json")
        for kind in kinds[r % 3:] + kinds[:r % 3]:  # rotate who goes first
            answers = few if kind == "few" else right
            runs[kind].append(peak_rss(["check", spec, "--answers", str(answers), "-q",
                                        *(["--json"] if kind == "json" else [])], ok=(0, 1)))
    t = {kind: statistics.median(t for t, _ in runs[kind]) for kind in runs}
    m = {kind: max(m for _, m in runs[kind]) / 1024 for kind in runs}
    lines = [f"| `check`, {count:,} answers (945 parameters, 50 samples) | time | peak | ratio to all right | goal |",
             "|---|---|---|---|---|",
             f"| all right | {t['right']:.2f} s | {m['right']:.0f} MiB | | |"]
    time_ratio, memory_ratio = t["few"] / t["right"], m["few"] / m["right"]
    for what, ratio in (("time", time_ratio), ("peak memory", memory_ratio)):
        if ratio > CHECK_TARGET:
            misses.append(f"check: two wrong answers take {ratio:.2f}× the {what} of all right "
                          f"(target ≤ {CHECK_TARGET}×)")
    verdict = "met" if max(time_ratio, memory_ratio) <= CHECK_TARGET else "missed"
    lines.append(f"| two wrong (a gradient's sign, a new value stepped the wrong way) | {t['few']:.2f} s | "
                 f"{m['few']:.0f} MiB | {time_ratio:.2f}× time, {memory_ratio:.2f}× memory | "
                 f"≤ {CHECK_TARGET}× both {verdict} |")
    table_ratio = t["right"] / t["json"]
    if table_ratio > TABLE_TARGET:
        misses.append(f"check: the all-right table takes {table_ratio:.2f}× its --json (target ≤ {TABLE_TARGET}×)")
    lines.append(f"| all right, `--json` (the table's ratio to it) | {t['json']:.2f} s | {m['json']:.0f} MiB | "
                 f"table {table_ratio:.2f}× | ≤ {TABLE_TARGET}× {'met' if table_ratio <= TABLE_TARGET else 'missed'} |")
    return lines
