"""`--set KEY=VALUE`: bad values are one located line."""

from __future__ import annotations

from conftest import CONFIGS, cli, one_line

MAZUR = str(CONFIGS / "mazur.yaml")




def test_set_value_with_a_control_character():
    line = one_line(cli("step", MAZUR, "--set", "learning_rate=\x00"))
    assert line == (r"--set learning_rate=\x00: the value is not valid YAML: the character U+0000 is not allowed "
                    "(YAML text cannot hold control characters)")


def test_set_value_with_a_newline_stays_one_line():
    line = one_line(cli("step", MAZUR, "--set", "learning_rate=1\n2"))
    assert line == r"--set learning_rate=1\n2: learning_rate: expected a number, got the string '1 2'"


def test_set_an_item_of_a_key_the_spec_lacks():
    line = one_line(cli("step", MAZUR, "--set", "frozen.0=w1"))
    assert line == "--set frozen.0=w1: frozen is not in the spec, so it has no item 0; set the whole value " \
                   "instead, e.g. --set frozen=[…]"
