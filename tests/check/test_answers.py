"""Reading an answers file: every bad answer is one located line, exit 2."""

from __future__ import annotations

from pathlib import Path

from conftest import CONFIGS, cli, one_line, write_file

MAZUR = str(CONFIGS / "mazur.yaml")






def answers(tmp_path: Path, text: str) -> Path:
    return write_file(tmp_path, "answers.yaml", text)


BASE = (CONFIGS / "mazur.yaml").read_text()


def test_answers_from_a_device_are_refused_as_what_it_is():
    line = one_line(cli("check", MAZUR, "--answers", "/dev/zero"))
    assert line == "/dev/zero: is a character device, expected a YAML file"


def test_answer_fraction_with_too_many_digits(tmp_path):
    path = answers(tmp_path, "h1: " + "9" * 5000 + "/1\n")
    line = one_line(cli("check", MAZUR, "--answers", path))
    assert line == f"{path}:1:5: h1: expected a fraction of at most a few hundred digits, got {'9' * 37}..."


def test_answer_with_an_unsafe_tag(tmp_path):
    path = answers(tmp_path, "h1: !!python/object:os.system 0.59327\n")
    line = one_line(cli("check", MAZUR, "--answers", path))
    assert line == f"{path}:1:5: h1: the tag !!python/object:os.system is not allowed: write the number alone"


def test_a_very_long_unknown_answer_key_is_quick_and_short(tmp_path):
    key = "a_" * 3000
    path = answers(tmp_path, f'? "{key}"\n: 0.5\n')
    line = one_line(cli("check", MAZUR, "--answers", path))
    assert line == (f"{path}:1:3: {key[:97]}...: unknown quantity `{key[:97]}...`; "
                    "see `backcalc docs check` for the names")


def test_no_sample_is_suggested_for_an_updated_value(tmp_path):
    # batch_seed's parameters have default names (`W1[1,1]`, `b2[1]`): `w5_new[1]` is close to `b2[1]_new`,
    # and an updated value takes no sample
    path = answers(tmp_path, "w5_new[1]: 0.5\n")
    line = one_line(cli("check", str(CONFIGS / "batch_seed.yaml"), "--answers", path))
    assert line == f"{path}:1:1: w5_new[1]: unknown quantity `w5_new[1]` (did you mean `b2[1]_new`?); see " \
                   "`backcalc docs check` for the names"


def test_a_key_with_a_carriage_return_stays_one_line():
    line = one_line(cli("step", "-", input=BASE + '"\\r": 1\n'))
    assert line.startswith(r"<stdin>:23:1: \r: unknown key; expected one of: ")
