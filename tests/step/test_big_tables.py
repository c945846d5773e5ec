"""Big tables: the fixed-width writer writes what rich writes, the cut-off of wide layers and long
batches holds in every table (`--round` and `--per-sample` too), formulas wrap at their + signs."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from backcalc.render import fixed_width
from tests.conftest import CONFIGS, cli, network_configs

WIDTHS = ["80", "120"]
SEEDS = [p.stem for p in network_configs()]


def _wide_spec(folder, width: int = 12, samples: int = 11) -> str:
    rng = np.random.default_rng(3)
    np.save(folder / "X.npy", rng.normal(size=(samples, 10)))
    np.save(folder / "T.npy", rng.uniform(size=(samples, 2)))
    path = folder / "wide.yaml"
    path.write_text("name: wide\ninputs: {file: X.npy}\ntargets: {file: T.npy}\nlayers:\n"
                    f"  - {{activation: sigmoid, size: {width}}}\n  - {{activation: sigmoid, size: 2}}\n"
                    "init: {seed: 7}\nloss: mse\nlearning_rate: 0.5\n")
    return str(path)


def _both(monkeypatch, *args, columns="80"):
    """The output through the fixed-width writer and through rich alone."""
    fast = cli(*args, env={"COLUMNS": columns})
    with monkeypatch.context() as m:
        m.setattr(fixed_width, "plain_lines", lambda renderable, console: None)
        slow = cli(*args, env={"COLUMNS": columns})
    assert fast.exit_code == slow.exit_code == 0, fast.stderr + slow.stderr
    return fast.stdout, slow.stdout


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("name", SEEDS)
def test_the_fixed_width_writer_writes_what_rich_writes(monkeypatch, name, columns):
    config = str(CONFIGS / f"{name}.yaml")
    for extra in ([], ["--full"], ["--per-sample"], ["--round", "2"]):
        fast, slow = _both(monkeypatch, "step", config, *extra, columns=columns)
        assert fast == slow, (name, extra)
    fast, slow = _both(monkeypatch, "forward", config, columns=columns)
    assert fast == slow


@pytest.mark.parametrize("columns", ["40", *WIDTHS])
def test_the_fixed_width_writer_on_a_wide_net_and_a_narrow_terminal(monkeypatch, tmp_path, columns):
    spec = _wide_spec(tmp_path)
    for extra in ([], ["--full"], ["--per-sample"], ["--round", "2"], ["--round", "2", "--full"]):
        fast, slow = _both(monkeypatch, "step", spec, *extra, columns=columns)
        assert fast == slow, extra


def _rows(text: str, title: str) -> str:
    return text.split(title, 1)[1].split("\n\n\n", 1)[0]


def test_round_follows_the_cut_off_of_the_other_tables(tmp_path):
    spec = _wide_spec(tmp_path)
    out = cli("step", spec, "--round", "2").stdout
    drift = out.split("Hand-rounding", 1)[1]
    # 12 neurons: the first three and the last (h12), as the forward pass shows them
    for shown in ("z_h1[1]", "z_h3[1]", "z_h12[1]", "z_h1[8]"):
        assert re.search(rf"^ {re.escape(shown)} ", drift, re.M), shown
    for left_out in ("z_h4[1]", "z_h11[1]", "z_h1[9]", "z_h1[11]"):
        assert not re.search(rf"^ {re.escape(left_out)} ", drift, re.M), left_out
    note = re.search(r"⋮ (\d+) more quantities of wide layers and of samples past the 8th", drift)
    assert note
    shown_rows = drift.split("───", 1)[1].split("\n", 1)[1].split("⋮", 1)[0].strip().splitlines()
    quantities = json.loads(cli("step", spec, "--round", "2", "--json").stdout)["hand_rounding"]["quantities"]
    assert len(shown_rows) + int(note.group(1)) == len(quantities)
    full = cli("step", spec, "--round", "2", "--full").stdout
    assert "more quantities" not in full
    assert all(re.search(rf"^ {re.escape(q['quantity'])} ", full, re.M) for q in quantities)


def test_per_sample_shows_the_first_eight_samples_unless_full(tmp_path):
    spec = _wide_spec(tmp_path, width=3)
    out = cli("step", spec, "--per-sample", env={"COLUMNS": "200"}).stdout.split("Per sample", 1)[1]
    assert "sample 8" in out and "sample 9" not in out
    assert "(showing the first 8 of 11 samples; --full or --json has them all)" in out
    full = cli("step", spec, "--per-sample", "--full", env={"COLUMNS": "200"}).stdout.split("Per sample", 1)[1]
    assert "sample 11" in full and "showing the first" not in full


def _formula_lines(text: str, title: str, column: str) -> list[list[str]]:
    """The lines of one column of a table, one list a row (its first line and its continuations)."""
    body = text.split(title, 1)[1]
    header = next(line for line in body.splitlines() if column in line)
    start = header.index(column)
    rows: list[list[str]] = []
    for line in body.split("───", 1)[1].splitlines()[1:]:
        if not line.strip():
            if rows and rows[-1]:
                rows.append([])
            continue
        if line.startswith(" " * 3) and not line[:start].strip() and rows and rows[-1]:
            rows[-1].append(line[start:].split("   ")[0].strip())  # a continuation of this cell
        elif line.strip() and not line.strip().startswith(("⋮", "*", "softmax")):
            rows.append([line[start:].split("   ")[0].strip()])
        if line and not line.startswith(" "):
            break
    return [r for r in rows if r]


@pytest.mark.parametrize("name,columns", [
    # softmax_classifier's backward pass at 80 keeps `+ δ_right·W2[2,1]` whole with the column the
    # tables' invisible right edge gave back (issue 13)
    ("softmax_classifier", "80"), ("softmax_classifier", "120"),
    *((name, columns) for name in ("sigmoid_seed", "mazur", "xor", "batch_seed", "relu_seed") for columns in WIDTHS)])
def test_formulas_wrap_at_their_plus_signs(name, columns):
    out = cli("step", str(CONFIGS / f"{name}.yaml"), env={"COLUMNS": columns}).stdout
    assert max(map(len, out.splitlines())) <= int(columns)
    for title, column in (("Forward pass", "z = Σ w·a + b"), ("Backward pass", "from")):
        if column not in out.split(title, 1)[1].split("\n\n\n", 1)[0]:
            continue
        for row in _formula_lines(out, title, column):
            for line in row[1:]:  # a continuation reads as one: it starts with + (or = for the numbers)
                assert line.startswith(("+ ", "= ")), (name, row)
            for line in row:  # no term split: every bracket closes on its own line
                assert line.count("[") == line.count("]") and line.count("(") == line.count(")"), (name, row)


def test_a_wrapped_formula_loses_nothing(config):
    """The formula cell at 80 columns, joined again, is the formula at a width where it fits."""
    narrow = cli("step", config("softmax_classifier"), env={"COLUMNS": "80"}).stdout
    wide = cli("step", config("softmax_classifier"), env={"COLUMNS": "250"}).stdout
    for title, column, wrapped in (("Forward pass", "z = Σ w·a + b", " = "), ("Backward pass", "from", " + ")):
        joined = [" ".join(r) for r in _formula_lines(narrow, title, column)]
        whole = [" ".join(r) for r in _formula_lines(wide, title, column)]
        assert any(wrapped in j for j in joined) and joined == whole


@pytest.mark.parametrize("no_wrap,overflow", [(False, "fold"), (False, "ellipsis"), (True, "fold"),
                                              (True, "ellipsis")])
@pytest.mark.parametrize("justify", ["left", "right"])
def test_a_cell_that_wraps_folds_or_is_cut_has_the_lines_rich_gives_it(justify, no_wrap, overflow):
    """Random cells of words shorter and longer than the column (rich folds those, or cuts the line
    where it must not wrap), spaces doubled and trailing, in columns as narrow as nothing at all,
    against rich's own rendering of the same cell."""
    import random

    from rich.console import Console
    from rich.table import Column
    from rich.text import Text

    rng = random.Random(5)
    console = Console(width=80, color_system=None, highlight=False, markup=False, emoji=False)
    options = console.options
    alphabet = "abcxyz0123456789·−()[],=+δ∂"
    for _ in range(3000):
        width = rng.randrange(0, 25)
        words = ["".join(rng.choice(alphabet) for _ in range(rng.choice((1, 3, 8, 20, 40))))
                 for _ in range(rng.randrange(1, 7))]
        text = "".join(w + " " * rng.choice((0, 1, 1, 1, 2)) for w in words).lstrip(" ") or "x"
        column = Column(justify=justify, overflow=overflow, no_wrap=no_wrap)
        ours = fixed_width._cell_lines(text, column, width, console, options)
        cell_options = options.update(width=width, justify=justify, no_wrap=no_wrap, overflow=overflow,
                                      height=None, highlight=False)
        theirs = ["".join(s.text for s in line)
                  for line in console.render_lines(Text(text), cell_options, pad=True, new_lines=False)]
        assert ours == theirs, (text, width)
