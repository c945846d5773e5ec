"""The whole classroom loop through the real CLI: `exercise` writes the variants and index.csv,
students hand in answers named by variant, `check --roster index.csv --answers DIR/` grades
each against their own variant and counts the class's mistakes."""

from __future__ import annotations

import json

from conftest import CONFIGS, cli


def _handed_in(out, folder, variant: dict, mistake: str | None) -> None:
    """A student's answers file: every quantity right, or as `mistake` gives it where it changes it."""
    lines = []
    for q in variant["quantities"]:
        wrong = [w for w in q["wrong"] if w["mistake"] == mistake]
        lines.append(f"{q['name']}: {wrong[0]['text'] if wrong else q['text']}")
    (folder / f"{variant['id']}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_exercise_variants_then_their_class_report(tmp_path):
    out = tmp_path / "week5"
    made = cli("exercise", str(CONFIGS / "sigmoid_seed.yaml"), "--variants", "3", "--seed", "11",
               "--out", str(out), "-q")
    assert made.exit_code == 0, made.output
    key = json.loads((out / "answer_key.json").read_text(encoding="utf-8"))
    v1, v2, v3 = key["variants"]
    handed = tmp_path / "handed_in"
    handed.mkdir()
    _handed_in(out, handed, v1, None)
    _handed_in(out, handed, v2, "sign_grad")  # v3 hands nothing in
    result = cli("check", "--roster", str(out / "index.csv"), "--answers", str(handed), "--json")
    assert result.exit_code == 1, result.output  # a wrong answer and a missing student
    report = json.loads(result.stdout)
    text = json.dumps(report)
    assert v3["id"] in text  # named as not graded
    by_student = {s["student"]: s for s in report["students"]}
    assert by_student[v1["id"]]["score"] == 1.0 and by_student[v1["id"]]["wrong"] == 0
    assert by_student[v2["id"]]["score"] < 1.0 and by_student[v2["id"]]["wrong"] > 0
    # the class's table counts v2's mistake once, found against v2's own spec
    assert [(m["mistake"], m["names"]) for m in report["mistakes"]] == [("sign_grad", [v2["id"]])]
    # where the slip began: the later numbers follow from it (carried forward, not counted again)
    assert [a["quantity"] for a in report["mistakes"][0]["at"]] == ["dL/dout"]
    assert by_student[v2["id"]]["carried_forward"] > 0
