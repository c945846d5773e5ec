"""`check`'s verdict table through the fixed-width writer: the same text rich writes, at any width,
with right, wrong and hand-rounded answers, odd names and notes; rich still writes it where styles are."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CONFIGS, cli

from backcalc.render import check as render_check
from backcalc.render import fixed_width

WIDTHS = ["20", "40", "60", "80", "100", "200"]
EXAMPLES = [("batch_seed", "batch_seed", []), ("mazur_blog", "mazur_blog", []),
            ("sigmoid_seed", "sigmoid_seed", []), ("sigmoid_seed", "sigmoid_seed_2dp", []),
            ("sigmoid_seed", "sigmoid_seed_2dp", ["--round", "2"])]


def _both(monkeypatch, *args, columns="80"):
    """(through the writer, through rich alone, how many tables the writer wrote)."""
    written = []

    def counted(table, console, options):
        lines = fitted_table_lines(table, console, options)
        written.append(lines is not None)
        return lines

    fitted_table_lines = fixed_width.fitted_table_lines
    with monkeypatch.context() as m:
        m.setattr(render_check, "fitted_table_lines", counted)
        fast = cli(*args, env={"COLUMNS": columns})
    with monkeypatch.context() as m:
        m.setattr(render_check, "fitted_table_lines", lambda table, console, options: None)
        slow = cli(*args, env={"COLUMNS": columns})
    assert fast.exit_code == slow.exit_code, fast.stderr + slow.stderr
    assert fast.exit_code in (0, 1), fast.stderr
    return fast.stdout, slow.stdout, sum(written)


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("config,answers,extra", EXAMPLES)
def test_the_verdict_table_is_what_rich_writes(monkeypatch, config, answers, extra, columns):
    fast, slow, written = _both(monkeypatch, "check", CONFIGS / f"{config}.yaml", "--answers",
                                CONFIGS / "answers" / f"{answers}.yaml", *extra, columns=columns)
    assert fast == slow
    if columns in ("100", "200"):  # wide enough for the whole table: the writer wrote it
        assert written == 1


def _net(folder, names: bool) -> str:
    rng = np.random.default_rng(5)
    np.save(folder / "X.npy", rng.normal(size=(6, 4)))
    np.save(folder / "T.npy", rng.uniform(size=(6, 2)))
    named = ("    names: [ünïcode, 'a name with spaces', \"tab\\there\"]\n" if names else "")
    (folder / "net.yaml").write_text(
        "inputs: {file: X.npy}\ntargets: {file: T.npy}\nlayers:\n"
        f"  - activation: tanh\n    size: 3\n{named}"
        "  - {activation: sigmoid, size: 2}\ninit: {seed: 7}\nloss: mse\nlearning_rate: 0.5\n")
    return str(folder / "net.yaml")


def _answers(folder, spec: str, wrong: set[int]) -> str:
    data = json.loads(cli("step", spec, "--json", "-q").stdout)
    answers = {"loss": data["loss"]}
    for i, p in enumerate(data["parameters"]):
        answers[f"dL/d{p['name']}"] = -p["grad"] if i in wrong else p["grad"]
        answers[f"{p['name']}_new"] = round(p["new"], 3)  # to 3 decimals: a note under --round 3 cases
    path = folder / f"answers{len(wrong)}.yaml"
    path.write_text("".join(f"{json.dumps(key)}: {value!r}\n" for key, value in answers.items()))
    return str(path)


@pytest.mark.parametrize("names", [False, True])
@pytest.mark.parametrize("wrong", [set(), {3}, {0, 7, 12}])
def test_right_wrong_and_rounded_answers_on_a_net_at_every_width(monkeypatch, tmp_path, names, wrong):
    spec = _net(tmp_path, names)
    answers = _answers(tmp_path, spec, wrong)
    for extra in ([], ["--round", "3"]):
        for columns in WIDTHS:
            fast, slow, written = _both(monkeypatch, "check", spec, "--answers", answers, *extra, columns=columns)
            assert fast == slow, (extra, columns)
            assert written == 1 or columns != "200", extra


def test_a_coloured_terminal_still_gets_rich_s_table(monkeypatch):
    spec, answers = CONFIGS / "sigmoid_seed.yaml", CONFIGS / "answers" / "sigmoid_seed.yaml"
    written = []
    fitted_table_lines = fixed_width.fitted_table_lines
    monkeypatch.setattr(render_check, "fitted_table_lines",
                        lambda *args: written.append(fitted_table_lines(*args)) or written[-1])
    out = cli("check", spec, "--answers", answers, env={"COLUMNS": "100", "FORCE_COLOR": "1"})
    assert "\x1b[" in out.stdout and "✗" in out.stdout  # styles written: rich wrote the table
    assert written == [None]


def test_the_writer_stands_aside_for_what_it_does_not_write():
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from backcalc.render.table import HEAD_RULE

    console = Console(color_system=None, width=80)

    def table(*cells, justify="center", no_wrap=True):
        t = Table(box=HEAD_RULE, pad_edge=False)
        t.add_column("q")
        t.add_column("", justify=justify, no_wrap=no_wrap)
        for cell in cells:
            t.add_row("x", cell)
        return t

    assert fixed_width.fitted_table_lines(table(Text("✓", style="bold"), "✗"), console, console.options)
    spans = Text.assemble(("✓", "bold"), " ok")
    assert fixed_width.fitted_table_lines(table(spans), console, console.options) is None
    assert fixed_width.fitted_table_lines(table("✓", "✓✓✓"), console, console.options) is None  # ✓ centred
    assert fixed_width.fitted_table_lines(table("✓", no_wrap=False), console, console.options) is None
    narrow = Console(color_system=None, width=3)
    assert fixed_width.fitted_table_lines(table("✓"), narrow, narrow.options) is None  # too narrow: rich stacks
