"""`check` on a narrow terminal: every verdict, key and number whole, stacked where the table does not fit."""

from __future__ import annotations

import json
import re

import pytest
from conftest import CONFIGS, cli

SIGMOID = str(CONFIGS / "sigmoid_seed.yaml")
ANSWERS = str(CONFIGS / "answers" / "sigmoid_seed.yaml")


def rows_of_wide_table(stdout: str, keys: list[str]) -> dict[str, list[str]]:
    """Each answer's row of the full table (at 200 columns): its key, yours, correct, ✓/✗, …"""
    rows = {}
    for line in stdout.splitlines():
        tokens = line.split()
        if tokens and tokens[0] in keys and tokens[0] not in rows:
            rows[tokens[0]] = tokens
    return rows


@pytest.mark.parametrize("columns", [20, 40, 80])
def test_check_keeps_every_verdict_and_number_whole_at_any_width(columns):
    data = json.loads(cli("check", SIGMOID, "--answers", ANSWERS, "--json").stdout)
    keys = [v["key"] for v in data["verdicts"]]
    wide = cli("check", SIGMOID, "--answers", ANSWERS, env={"COLUMNS": "200"})
    rows = rows_of_wide_table(wide.stdout, keys)
    assert len(rows) == len(keys) == 22

    result = cli("check", SIGMOID, "--answers", ANSWERS, env={"COLUMNS": str(columns)})
    assert result.exit_code == 1
    out = result.stdout
    assert "…" not in out  # nothing cut short
    assert all(len(line) <= columns for line in out.splitlines())
    assert out.count("✓") == sum(v["verdict"] != "wrong" for v in data["verdicts"]) == 12
    assert out.count("✗") == sum(v["verdict"] == "wrong" for v in data["verdicts"]) == 10
    tokens = out.split()
    for key, row in rows.items():
        # the key, yours, correct, the mark, and what it follows from and its cause, each whole
        assert all(t in tokens for t in row), (key, [t for t in row if t not in tokens])
    # the summary says the same, however it wraps
    assert " ".join(wide.stdout.split()).endswith(" ".join(tokens[-12:]))
    if columns == 80:  # wide enough: the table itself
        assert re.search(r"quantity +yours +correct +follows from +cause", out)


def test_a_number_too_long_for_the_terminal_is_folded_not_cut(tmp_path):
    text = "0.5932699921" + "0" * 60
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"h1: {text}\n")
    result = cli("check", SIGMOID, "--answers", str(answers), env={"COLUMNS": "40"})
    assert result.stdout.count("✓") + result.stdout.count("✗") == 1 and "…" not in result.stdout
    assert text in "".join(result.stdout.split())
