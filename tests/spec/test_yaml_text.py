"""The YAML text itself: control characters, tags, huge numbers, each one located line."""

from __future__ import annotations

import pytest
from conftest import CONFIGS, cli, one_line, where, write_file

BASE = (CONFIGS / "mazur.yaml").read_text()








@pytest.mark.parametrize("char", ["\x00", "\x07"])
def test_control_character_is_one_located_line(tmp_path, char):
    # mazur.yaml has non-ASCII text before it (an em dash): the column counts characters, not bytes
    text = BASE.replace("learning_rate: 0.5", f"learning_rate: {char}0.5")
    spec = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", spec))
    assert line == (f"{spec}:{where(text, char)}: not valid YAML: the character U+{ord(char):04X} is not "
                    "allowed (YAML text cannot hold control characters)")


def test_control_character_on_stdin_is_located():
    line = one_line(cli("step", "-", input="inputs: [1]\x00\n"))
    assert line.startswith("<stdin>:1:12: not valid YAML: the character U+0000 is not allowed")


@pytest.mark.parametrize("tagged, says", [
    ("!!float abc", "learning_rate: expected a number, got 'abc' (tagged !!float)"),
    ("!!int abc", "learning_rate: expected a number, got 'abc' (tagged !!int)"),
])
def test_a_tag_on_text_that_is_no_number(tmp_path, tagged, says):
    spec = write_file(tmp_path, "spec.yaml", BASE.replace("learning_rate: 0.5", f"learning_rate: {tagged}"))
    assert one_line(cli("step", spec)) == f"{spec}:22:16: {says}"


def test_a_tagged_whole_number_that_is_no_number(tmp_path):
    spec = write_file(tmp_path, "spec.yaml", BASE + "epochs: !!int many\n")
    assert one_line(cli("train", spec)) == f"{spec}:23:9: epochs: expected a whole number, got 'many' (tagged !!int)"


def test_a_tagged_boolean_that_is_no_boolean(tmp_path):
    text = BASE + "optimizer: {name: sgd, momentum: 0.9, nesterov: !!bool maybe}\n"
    spec = write_file(tmp_path, "spec.yaml", text)
    line = one_line(cli("step", spec))
    assert line.startswith(f"{spec}:{where(text, '!!bool')}: optimizer.nesterov: expected true or false, got")


def test_a_huge_number_is_shown_cut_short(tmp_path):
    spec = write_file(tmp_path, "spec.yaml", BASE.replace("learning_rate: 0.5", "learning_rate: " + "9" * 400))
    line = one_line(cli("step", spec))
    assert line == f"{spec}:22:16: learning_rate: expected a finite number, got {'9' * 37}..."
