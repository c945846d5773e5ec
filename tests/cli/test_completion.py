"""Shell completion through typer's own protocol: --example NAME completes the bundled examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backcalc import bundled

BACKCALC = Path(sys.executable).parent / "backcalc"  # the installed command: completion keys on its name


def _complete(words: str) -> list[str]:
    """What bash completion offers for the last word of `words`, as the installed script asks for it."""
    env = {**os.environ, "_BACKCALC_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    done = subprocess.run([str(BACKCALC)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("words", ["backcalc step --example ma", "backcalc train --example ma",
                                   "backcalc init --example ma", "backcalc examples ma"])
def test_example_names_complete(words):
    offered = _complete(words)
    assert offered == [n for n in bundled.names() if n.startswith("ma")] and "mazur" in offered


def test_every_example_is_offered_for_an_empty_word():
    assert _complete("backcalc step --example ") == bundled.names()


def test_answers_example_names_complete():
    offered = _complete("backcalc check --example mazur --answers-example ")
    assert offered == bundled.answers_names() and offered
