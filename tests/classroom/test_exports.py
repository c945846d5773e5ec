"""Each export parses and has its format's structure, and the Cloze feedback, PrairieLearn's `grade`
and the Gradescope grader give the verdicts and causes `backcalc check` gives on planted-mistake answers."""

import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import pytest

from backcalc import check, load_spec
from backcalc.classroom.answer_key import answer_text
from backcalc.mistakes import variants as mistakes
from backcalc.quantities import compute
from tests.conftest import CONFIGS, cli

EXPORTS = ("moodle", "gift", "qti", "prairielearn", "gradescope")
# infoQuestion.json's property names and required keys (PrairieLearn, apps/prairielearn/src/schemas/
# schemas/infoQuestion.json; AGPL, so not vendored: the facts are listed here)
PL_PROPERTIES = {"comment", "uuid", "type", "title", "topic", "tags", "authors", "clientFiles", "clientTemplates",
                 "template", "gradingMethod", "singleVariant", "showCorrectAnswer", "partialCredit", "options",
                 "externalGradingOptions", "dependencies", "workspaceOptions", "sharingSets", "sharePublicly",
                 "shareSourcePublicly", "preferences"}
PL_REQUIRED = {"uuid", "type", "title", "topic"}
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports") / "ex"
    args = [a for e in EXPORTS for a in ("--export", e)]
    r = cli("exercise", str(CONFIGS / "sigmoid_seed.yaml"), "-n", "3", "--seed", "2", "--out", folder, *args)
    assert r.exit_code == 0, r.stderr
    return folder


def _planted(spec, key_names, decimals=4):
    """Each mistake's whole step written as a student's answers."""
    calc = compute(spec)
    keys = {k for k in calc.keys()}
    names = {}
    from backcalc.quantities import key_text
    for k in keys:
        names.setdefault(key_text(k, calc.n_samples), k)
    for mistake, variant in mistakes(spec):
        run = compute(spec, variant=variant)
        yield mistake, {n: answer_text(run.values[names[n]], decimals) for n in key_names}


def _check_verdicts(spec, answers):
    return {v.quantity: (v.verdict, v.upstream, sorted(c.mistake for c in v.causes))
            for v in check(spec, answers).verdicts}


CLOZE = re.compile(r"\{1:NUMERICAL:(?P<body>(?:[^{}\\]|\\.)*)\}")


def _cloze_answers(body):
    out = []
    for part in re.split(r"(?<!\\)~", body):
        m = re.fullmatch(r"(?:=|%(?P<pct>\d+)%)(?P<value>[^:]+):(?P<tol>[^#]+)#(?P<fb>.*)", part)
        assert m, part
        out.append((int(m["pct"] or 100), float(m["value"]), float(m["tol"]), re.sub(r"\\(.)", r"\1", m["fb"])))
    return out


def test_moodle_xml_has_a_cloze_question_per_variant_and_a_blank_per_quantity(out):
    root = ET.parse(out / "moodle.xml").getroot()
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert [q.get("type") for q in questions] == ["category", "cloze", "cloze", "cloze"]
    for q in questions[1:]:
        assert q.find("name/text").text and q.find("questiontext").get("format") == "html"
        html = q.find("questiontext/text").text
        assert len(CLOZE.findall(html)) == 33


def test_cloze_feedback_names_what_check_names(out):
    key = json.loads((out / "answer_key.json").read_text())
    root = ET.parse(out / "moodle.xml").getroot()
    for v, q in zip(key["variants"], root.findall("question")[1:]):
        spec = load_spec(v["spec"])
        blanks = dict(zip([x["name"] for x in v["quantities"]],
                          [_cloze_answers(m["body"]) for m in CLOZE.finditer(q.find("questiontext/text").text)]))
        for mistake, answers in _planted(spec, list(blanks)):
            for name, (verdict, upstream, causes) in _check_verdicts(spec, answers).items():
                value = float(answers[name])
                hit = next((a for a in blanks[name] if abs(value - a[1]) <= a[2] + 1e-12), None)
                if verdict == "right":
                    assert hit is not None and hit[0] == 100 and hit[3] == "right", (mistake, name)
                    continue
                assert hit is not None and hit[3] != "right", (mistake, name)
                words = [c.full() for x in check(spec, answers).verdicts if x.quantity == name for c in x.causes]
                assert words and all(w in hit[3] for w in words), (mistake, name, words, hit[3])
                # carried forward: full credit; an error of its own: the mistake credit, or more where
                # another mistake carried forward gives the same number (the blank cannot tell them apart)
                assert hit[0] == 100 if upstream else hit[0] >= 50, (mistake, name)
                assert ("carried forward" in hit[3]) == (upstream is not None) or "; or " in hit[3]


def test_gift_has_a_numerical_question_per_quantity(out):
    text = (out / "gift.txt").read_text()
    questions = [block.strip() for block in text.split("\n\n") if block.startswith("::")]
    assert len(questions) == 3 * 33
    for block in questions:
        assert re.fullmatch(r"::(?:[^:\\]|\\.)+::\[html\](?:[^{}\\]|\\.)*\{#(?:[^{}\\]|\\.)+\}", block), block


def test_qti_zip_has_a_manifest_and_an_assessment_per_variant(out):
    with zipfile.ZipFile(out / "qti.zip") as z:
        names = z.namelist()
        assert names[0] == "imsmanifest.xml"
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        assert manifest.tag == "{http://www.imsglobal.org/xsd/imscp_v1p1}manifest"
        hrefs = [f.get("href") for f in manifest.iter("{http://www.imsglobal.org/xsd/imscp_v1p1}file")]
        assert sorted(hrefs) == sorted(names[1:]) and len(hrefs) == 3
        for href in hrefs:
            root = ET.fromstring(z.read(href))
            assert root.tag == f"{QTI}questestinterop"
            items = root.findall(f"{QTI}assessment/{QTI}section/{QTI}item")
            assert len(items) == 33
            for item in items:
                fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                          for f in item.iter(f"{QTI}qtimetadatafield")}
                assert fields["question_type"] == "numerical_question"
                assert item.find(f"{QTI}presentation/{QTI}response_str/{QTI}render_fib") is not None
                conditions = item.findall(f"{QTI}resprocessing/{QTI}respcondition")
                assert conditions and conditions[0].findtext(f"{QTI}setvar") == "100"
                feedback = {f.get("ident") for f in item.findall(f"{QTI}itemfeedback")}
                assert {c.find(f"{QTI}displayfeedback").get("linkrefid") for c in conditions} == feedback


def _server(out):
    path = next((out / "prairielearn").glob("*/server.py"))
    spec = importlib.util.spec_from_file_location("pl_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return path.parent, module


def test_prairielearn_folder_follows_the_info_schema(out):
    folder, _ = _server(out)
    info = json.loads((folder / "info.json").read_text())
    assert PL_REQUIRED <= set(info) <= PL_PROPERTIES
    assert info["type"] == "v3" and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                                                  info["uuid"])
    html = (folder / "question.html").read_text()
    assert html.count("<pl-number-input") == 33 and "{{{params.given_html}}}" in html


def _pl_data():
    return {"params": {}, "correct_answers": {}, "submitted_answers": {}, "raw_submitted_answers": {},
            "format_errors": {}, "partial_scores": {}, "score": 0, "feedback": {}, "variant_seed": 1,
            "options": {}, "gradable": True}


def test_prairielearn_grade_gives_checks_verdicts_and_causes(out):
    _, server = _server(out)
    assert "backcalc" not in sys.modules.get("pl_server", server).__dict__  # it imports no backcalc
    seen = set()
    for seed in range(12):
        import random

        random.seed(seed)
        data = _pl_data()
        server.generate(data)
        k = data["params"]["variant"]
        seen.add(k)
        v = server.VARIANTS[k]
        spec = load_spec(v["spec"])
        names = {q["name"]: f"q{i + 1:02d}" for i, q in enumerate(v["quantities"])}
        for mistake, answers in list(_planted(spec, list(names)))[seed % 3::3]:
            data["raw_submitted_answers"] = {names[n]: t for n, t in answers.items()}
            data["submitted_answers"] = {names[n]: float(t) for n, t in answers.items()}
            server.grade(data)
            expected = _check_verdicts(spec, answers)
            got = {x["name"]: (x["verdict"], x["upstream"], sorted(c[0] for c in x["causes"]))
                   for x in data["feedback"]["verdicts"]}
            assert got == expected, mistake
            assert 0 < data["score"] < 1
            assert all(0 <= s["score"] <= 1 for s in data["partial_scores"].values())
    assert len(seen) > 1  # generate draws among the variants


def test_gradescope_autograder_writes_results_json(out, tmp_path):
    with zipfile.ZipFile(out / "gradescope/autograder.zip") as z:
        assert z.namelist() == ["setup.sh", "run_autograder", "grade.py"]
        assert (z.getinfo("run_autograder").external_attr >> 16) & 0o111
        z.extractall(tmp_path / "source")
    key = json.loads((out / "answer_key.json").read_text())
    v = key["variants"][1]
    spec = load_spec(v["spec"])
    names = [q["name"] for q in v["quantities"]]
    mistake, answers = next(_planted(spec, names))
    sheet = (out / v["id"] / "exercise.txt").read_text()
    filled = "".join(f"{line} {answers[line[:-1]]}\n" if line.endswith(":") and not line.startswith("#")
                     else line + "\n" for line in sheet.splitlines())
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission/exercise.txt").write_text(filled)
    (tmp_path / "meta.json").write_text(json.dumps({"users": [{"email": "someone@example.org"}]}))
    subprocess.run([sys.executable, "grade.py", tmp_path / "submission", tmp_path / "meta.json",
                    tmp_path / "results/results.json"], cwd=tmp_path / "source", check=True)
    results = json.loads((tmp_path / "results/results.json").read_text())
    assert [t["name"] for t in results["tests"]] == names
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    expected = _check_verdicts(spec, answers)
    for t in results["tests"]:
        verdict, upstream, _ = expected[t["name"]]
        assert (t["score"] == 1.0) == (verdict == "right" or upstream is not None), (mistake, t)
        assert (t["output"] == "right") == (verdict == "right")


def test_the_grader_with_backcalc_installed_is_check_itself(out):
    from backcalc.classroom import grader

    v = json.loads((out / "answer_key.json").read_text())["variants"][0]
    spec = load_spec(v["spec"])
    names = [q["name"] for q in v["quantities"]]
    answers = dict(next(_planted(spec, names))[1])
    answers["z_h1"] = "0.1"  # an arithmetic slip carried forward: only check's recomputation sees it
    with_check, _ = grader.grade_answers(v, answers, use_backcalc=True)
    assert {x["name"]: (x["verdict"], x["upstream"], sorted(c[0] for c in x["causes"])) for x in with_check} \
        == _check_verdicts(spec, answers)


@pytest.mark.parametrize("text", ["0.59327", "5.9327e-1", "1.2e5", "3", "0", "0e5", "0.00e2", "0.000", "-0.25",
                                  "1_000.5", "−0.5"])
def test_the_grader_reads_a_numbers_tolerance_as_check_does(text):
    from backcalc.answers import read_answers
    from backcalc.classroom import grader

    spec = load_spec(CONFIGS / "sigmoid_seed.yaml")
    answer = read_answers("<t>", spec, f"z_h1: {text}\n".encode())[0]
    assert grader.read_number(text) == (answer.value, answer.tolerance)
