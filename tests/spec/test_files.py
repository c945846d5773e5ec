"""What a spec path is: names too long for the file system, devices."""

from __future__ import annotations

from conftest import cli, one_line


def test_a_file_name_too_long_for_the_file_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 5000 + ".yaml"
    line = one_line(cli("step", name))
    assert line == f"{name}: cannot read: File name too long"


def test_a_device_is_refused_as_what_it_is():
    # /dev/zero reports size 0 and never ends: it is named, never read
    line = one_line(cli("step", "/dev/zero"))
    assert line == "/dev/zero: is a character device, expected a YAML file"
