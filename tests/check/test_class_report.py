"""`backcalc check SPEC --answers DIR/` and `--roster`: a class graded at once (docs/check.md, "Grading a class").

The scores are worked out here by the documented rule: an answer earns credit when it is right,
or when it is wrong but is what the student's own wrong numbers upstream give.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import CONFIGS, cli

SPEC = str(CONFIGS / "sigmoid_seed.yaml")
W5, ETA = 0.40, 0.5  # the spec's w5 and learning rate


def _correct():
    step = json.loads(cli("step", SPEC, "--json").stdout)
    return {p["name"]: p for p in step["parameters"]}, step


def _folder(tmp_path):
    params, step = _correct()
    h1 = step["layers"][0]["a"][0][0] if "layers" in step else None
    folder = tmp_path / "answers"
    folder.mkdir()
    g5 = params["w5"]["grad"]
    right = f"dE/dw5: {g5:.6f}\nw5_new: {params['w5']['new']:.6f}\nh1: {h1:.5f}\n"
    (folder / "ann.yaml").write_text(right)
    # a wrong gradient, and the update computed correctly from it: carried forward, credited
    (folder / "ben.yaml").write_text(f"dE/dw5: 0.09\nw5_new: {W5 - ETA * 0.09:.3f}\nh1: {h1:.5f}\n")
    # the same wrong gradient, and the update with its sign flipped: a second error
    (folder / "cat.yaml").write_text(f"dE/dw5: 0.09\nw5_new: {W5 + ETA * 0.09:.3f}\nh1: {h1:.5f}\n")
    (folder / "dan.yaml").write_text("h1: [0.5]\n")  # not a number: one line, the rest still graded
    (folder / "notes.md").write_text("not an answers file\n")
    return folder


def test_folder_scores_with_error_carried_forward(tmp_path):
    folder = _folder(tmp_path)
    out = cli("check", SPEC, "--answers", folder, "--json")
    assert out.exit_code == 1, out.stderr
    problems = out.stderr.strip().splitlines()
    assert len(problems) == 1 and "dan.yaml:1" in problems[0] and "dan" in problems[0]
    data = json.loads(out.stdout)
    students = {s["student"]: s for s in data["students"]}
    assert sorted(students) == ["ann", "ben", "cat", "dan"]  # notes.md is not an answers file
    assert students["ann"]["score"] == 1.0
    assert (students["ben"]["score"], students["ben"]["carried_forward"]) == (pytest.approx(2 / 3), 1)
    assert (students["cat"]["score"], students["cat"]["carried_forward"]) == (pytest.approx(1 / 3), 0)
    assert "problem" in students["dan"] and "score" not in students["dan"]
    assert data["summary"] == {"students": 4, "graded": 3, "problems": 1, "all_right": 1,
                               "mean_score": pytest.approx(2 / 3, abs=1e-6)}
    mistakes = {m["mistake"]: m for m in data["mistakes"]}
    assert mistakes["not_recognised"]["students"] == 2
    assert mistakes["not_recognised"]["at"] == [{"quantity": "dL/dw5", "students": 2}]
    assert mistakes["sign_update"]["names"] == ["cat"]
    assert mistakes["sign_update"]["at"] == [{"quantity": "w5_new", "students": 1}]
    assert data["mistakes"][0]["mistake"] != "not_recognised" or len(data["mistakes"]) == 1 or \
        data["mistakes"][0]["students"] > data["mistakes"][1]["students"]


def test_folder_table(tmp_path):
    out = cli("check", SPEC, "--answers", _folder(tmp_path))
    assert out.exit_code == 1
    text = out.stdout
    assert "Class report" in text and "(3 of 4 graded)" in text
    ben = next(line for line in text.splitlines() if line.startswith(" ben"))
    assert "67%" in ben
    assert "sign flip in the update" in text
    assert "3 students graded, 1 all right; mean score 67%" in " ".join(text.split())


def test_all_right_class_exits_0(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "a.yaml").write_text("h1: 0.59327\n")
    (folder / "b.yml").write_text("h2: 0.59688\n")
    out = cli("check", SPEC, "--answers", folder, "--json")
    assert out.exit_code == 0 and json.loads(out.stdout)["summary"]["all_right"] == 2


def test_roster_per_student_specs(tmp_path):
    _folder(tmp_path)
    variant = tmp_path / "variant.yaml"
    variant.write_text((CONFIGS / "sigmoid_seed.yaml").read_text().replace("learning_rate: 0.5", "learning_rate: 0.1"))
    assert "learning_rate: 0.1" in variant.read_text()
    roster = tmp_path / "roster.csv"
    roster.write_text("student,answers,spec\n"
                      "ann,answers/ann.yaml,\n"
                      f"ben,answers/ben.yaml,{variant.name}\n"  # the variant: ben's update is wrong for it
                      "eve,answers/eve.yaml,\n"  # never handed in
                      "ann,answers/ann.yaml,\n")
    out = cli("check", SPEC, "--roster", roster, "--json")
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    rows = data["students"]
    assert [s["student"] for s in rows] == ["ann", "ben", "eve", "ann"]
    assert rows[0]["score"] == 1.0 and rows[1]["config"].endswith("variant.yaml")
    assert rows[1]["carried_forward"] == 0  # 0.4 − 0.5·0.09 is not 0.4 − 0.1·0.09
    assert "no such file" in rows[2]["problem"] and "listed twice" in rows[3]["problem"]
    assert len(out.stderr.strip().splitlines()) == 2


def test_roster_without_spec_column_needs_spec(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,file\nann,a.yaml\n")
    out = cli("check", SPEC, "--roster", roster)
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.strip() == f"{roster}:1: expected the columns student, answers (and spec), found name, file"
    folder = tmp_path / "empty"
    folder.mkdir()
    out = cli("check", SPEC, "--answers", folder)
    assert out.exit_code == 2 and "no answers files" in out.stderr


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_plot(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    image = tmp_path / f"mistakes.{suffix}"
    out = cli("check", SPEC, "--answers", _folder(tmp_path), "--plot", image)
    assert out.exit_code == 1 and image.is_file()
    data = image.read_bytes()
    if suffix == "png":
        assert data.startswith(b"\x89PNG")
        return
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    text = data.decode()
    assert "sign flip in the update" in text or "sign flip" in text.replace("&#39;", "'")
    again = cli("check", SPEC, "--answers", tmp_path / "answers", "--plot", image)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_plot_needs_a_class(tmp_path):
    out = cli("check", SPEC, "--answers", str(CONFIGS / "answers" / "sigmoid_seed.yaml"), "--plot", tmp_path / "m.svg")
    assert out.exit_code == 2 and "--plot" in out.stderr


def test_exercise_index_with_a_folder_of_submissions(tmp_path):
    """`backcalc exercise`'s index.csv (variant, spec, …, answers = the answer key) with the
    students' files in a folder, each named by its variant: graded against each one's spec."""
    out = tmp_path / "out"
    for vid, rate in (("v001", "0.5"), ("v002", "0.1")):
        (out / vid).mkdir(parents=True)
        (out / vid / "spec.yaml").write_text((CONFIGS / "sigmoid_seed.yaml").read_text().replace(
            "learning_rate: 0.5", f"learning_rate: {rate}"))
    (out / "index.csv").write_text("variant,loss,spec,exercise,solution,answers\n"
                                   "v001,0.27481,v001/spec.yaml,v001/exercise.md,v001/solution.md,v001/answers.yaml\n"
                                   "v002,0.27481,v002/spec.yaml,v002/exercise.md,v002/solution.md,v002/answers.yaml\n")
    handed = tmp_path / "handed_in"
    handed.mkdir()
    update = f"w5_new: {W5 - 0.5 * 0.082167:.4f}\n"  # right for v001's η = 0.5 only
    (handed / "v001.yaml").write_text(update)
    (handed / "v002.yml").write_text(update)
    (handed / "zed.yaml").write_text(update)  # not on the roster
    refused = cli("check", "--roster", out / "index.csv")
    assert refused.exit_code == 2 and "answer key" in refused.stderr and "--answers DIR/" in refused.stderr
    result = cli("check", "--roster", out / "index.csv", "--answers", handed, "--json")
    assert result.exit_code == 1
    rows = {s["student"]: s for s in json.loads(result.stdout)["students"]}
    assert rows["v001"]["score"] == 1.0 and rows["v002"]["score"] == 0.0
    assert rows["v002"]["answers"].endswith("v002.yml")
    assert "not on the roster" in rows["zed"]["problem"]
    assert result.stderr.count("not graded") == 1


def test_no_student_gradable_is_bad_input(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "a.yaml").write_text("x: 1\n")
    out = cli("check", SPEC, "--answers", folder)
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.splitlines()[-1] == f"backcalc: check: no student in {folder} could be graded"
