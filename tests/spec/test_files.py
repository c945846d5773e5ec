"""What a spec path is: names too long for the file system, devices."""

from __future__ import annotations

from conftest import cli


def one_line(result, code: int = 2) -> str:
    """The single stderr line of a clean failure."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_file_name_too_long_for_the_file_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 5000 + ".yaml"
    line = one_line(cli("step", name))
    assert line == f"{name}: cannot read: File name too long"


def test_a_device_is_refused_as_what_it_is():
    # /dev/zero reports size 0 and never ends: it is named, never read
    line = one_line(cli("step", "/dev/zero"))
    assert line == "/dev/zero: is a character device, expected a YAML file"
