"""`backcalc exercise` through the CLI: the files, byte-identical from the same seed, never overwriting
without --force, one variant per student of a roster."""

import hashlib

from backcalc import check
from tests.conftest import CONFIGS, cli, one_line

SIGMOID = str(CONFIGS / "sigmoid_seed.yaml")


def _tree(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_every_document_and_an_index(tmp_path):
    out = tmp_path / "ex"
    r = cli("exercise", SIGMOID, "--variants", "2", "--seed", "3", "--out", out)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"{out / 'index.md'}\n"
    for v in ("v001", "v002"):
        names = sorted(p.name for p in (out / v).iterdir())
        assert names == ["answers.yaml", "exercise.html", "exercise.md", "exercise.tex", "exercise.txt", "quiz.html",
                         "solution.html", "solution.md", "solution.tex", "solution.txt", "spec.yaml"]
        assert "Fill in every blank" in (out / v / "exercise.html").read_text()
        # the answers file is the solution, and check accepts every line of it
        result = check(str(out / v / "spec.yaml"), str(out / v / "answers.yaml"))
        assert result.ok and len(result.verdicts) == 33
        assert "Fill in every blank" in (out / v / "exercise.tex").read_text()
        assert "Fill in every blank" not in (out / v / "solution.md").read_text()
    index = (out / "index.md").read_text()
    assert "| v001 |" in index and "| v002 |" in index
    assert (out / "index.csv").read_text().splitlines()[0] == "variant,loss,spec,exercise,solution,answers"


def test_the_worksheet_filled_in_is_an_answers_file(tmp_path):
    out = tmp_path / "ex"
    assert cli("exercise", SIGMOID, "--seed", "5", "--out", out).exit_code == 0
    answers = dict(line.split(": ") for line in (out / "v001/answers.yaml").read_text().splitlines()[1:])
    sheet = (out / "v001/exercise.txt").read_text()
    filled = "".join(f"{line} {answers[line[:-1]]}\n" if line.endswith(":") and not line.startswith("#") else
                     line + "\n" for line in sheet.splitlines())
    (tmp_path / "mine.yaml").write_text(filled)
    r = cli("check", out / "v001/spec.yaml", "--answers", tmp_path / "mine.yaml")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        r = cli("exercise", SIGMOID, "-n", "3", "--seed", "11", "--out", tmp_path / name, "--export", "moodle",
                "--export", "gift", "--export", "qti", "--export", "prairielearn", "--export", "gradescope")
        assert r.exit_code == 0, r.stderr
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert len(_tree(tmp_path / "a")) == 3 + 3 * 11 + 1 + 1 + 1 + 3 + 1


def test_existing_files_are_refused_without_force(tmp_path):
    out = tmp_path / "ex"
    assert cli("exercise", SIGMOID, "--out", out, "--seed", "1").exit_code == 0
    (out / "v001/exercise.md").write_text("the teacher's own edits")
    r = cli("exercise", SIGMOID, "--out", out, "--seed", "2")
    assert r.exit_code == 2
    line = one_line(r)
    assert "index.md" in line and "--force" in line
    assert (out / "v001/exercise.md").read_text() == "the teacher's own edits"
    r = cli("exercise", SIGMOID, "--out", out, "--seed", "2", "--force")
    assert r.exit_code == 0, r.stderr
    assert (out / "v001/exercise.md").read_text() != "the teacher's own edits"


def test_one_variant_per_student_of_a_roster(tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("name,email\nAda,ada@example.org\nAlan,alan@example.org\n")
    out = tmp_path / "ex"
    r = cli("exercise", SIGMOID, "--roster", roster, "--out", out)
    assert r.exit_code == 0, r.stderr
    assert (out / "ada@example.org/spec.yaml").is_file() and (out / "alan@example.org/exercise.md").is_file()
    assert "| ada@example.org | Ada | ada@example.org |" in (out / "index.md").read_text()


def test_a_roster_naming_a_student_twice_is_one_clear_line(tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("id,name\ns1,Ada\ns1,Alan\n")
    r = cli("exercise", SIGMOID, "--roster", roster, "--out", tmp_path / "ex")
    assert r.exit_code == 2
    assert one_line(r) == f"{roster}:3: column id: expected each id once, found 's1' again (first on line 2)"


def test_a_template_whose_numbers_cannot_meet_the_constraints_says_so(tmp_path):
    # at 1 decimal the hidden gradients (0.00…) of the right answer and the mistakes all read 0.0
    r = cli("exercise", SIGMOID, "--answer-decimals", "1", "--out", tmp_path / "ex")
    assert r.exit_code == 2
    assert "variants met the constraints" in one_line(r)


def test_no_number_at_0_decimals_inside_a_sigmoid_targets_range(tmp_path):
    r = cli("exercise", SIGMOID, "--decimals", "0", "--out", tmp_path / "ex")
    assert one_line(r).startswith("--decimals 0: no whole number lies strictly between 0 and 1")


def test_a_refusal_leaves_nothing_behind(tmp_path):
    out = tmp_path / "ex"
    out.mkdir()
    (out / "index.md").write_text("mine")
    r = cli("exercise", SIGMOID, "--out", out, "-n", "2")
    assert one_line(r) == f"--out {out / 'index.md'}: already exists; use --force to overwrite it"
    assert [p.name for p in out.iterdir()] == ["index.md"]


def test_exports_carry_no_roster_columns_and_random_platforms_no_ids(tmp_path):
    import zipfile

    roster = tmp_path / "students.csv"
    roster.write_text("name,email\nAda Lovelace,ada@example.org\nAlan Turing,alan@example.org\n")
    out = tmp_path / "ex"
    r = cli("exercise", SIGMOID, "--roster", roster, "--out", out, "--export", "moodle", "--export", "gift",
            "--export", "prairielearn", "--export", "gradescope", "--export", "qti")
    assert r.exit_code == 0, r.stderr
    for path in ("moodle.xml", "gift.txt", "prairielearn/sigmoid-seed/server.py"):
        text = (out / path).read_text()
        assert "Lovelace" not in text and "ada@example.org" not in text and "v002" in text
    with zipfile.ZipFile(out / "gradescope/autograder.zip") as z:
        grade = z.read("grade.py").decode()
    assert "ada@example.org" in grade and "Lovelace" not in grade  # the id finds the student's variant
    assert "Lovelace" in (out / "answer_key.json").read_text()  # the teacher's own record keeps the row
