"""The quiz page grades as `backcalc check` does: the same verdict, the same answer an error follows
from and the same causes, on the seeds' published answers and on answers made with each common
mistake (all of them, every other one, one sign slip, one error carried forward). The page is
driven in headless Chromium; skipped cleanly without one."""

from __future__ import annotations

import json

import pytest
from conftest import CONFIGS, cli
from html_browser import browser  # noqa: F401 (the fixture)

from backcalc.mistakes import variants
from backcalc.quantities import compute, key_text
from backcalc.quiz import quiz_keys
from backcalc.spec import load_spec

ANSWERS = CONFIGS / "answers"

# type every answer, then read back each graded box (one `input` event grades them all)
FILL = """
const answers = arguments[0];
document.querySelectorAll('.answer input').forEach(i => { i.value = ''; });
for (const [key, text] of Object.entries(answers)) {
  document.querySelector(`.answer[data-key="${CSS.escape(key)}"] input`).value = text;
}
document.querySelector('.answer input').dispatchEvent(new Event('input'));
return Array.from(document.querySelectorAll('.answer')).filter(r => r.dataset.verdict).map(r => ({
  quantity: r.dataset.key, verdict: r.dataset.verdict, upstream: r.dataset.upstream || null,
  causes: JSON.parse(r.dataset.causes)}));
"""


def checked(spec: str, answers: dict[str, str], tmp_path) -> dict:
    """`backcalc check`'s verdicts on these answers (key -> text as written), by quantity."""
    path = tmp_path / "answers.yaml"
    path.write_text("".join(f'"{k}": {v}\n' for k, v in answers.items()), encoding="utf-8")
    result = cli("check", spec, "--answers", str(path), "--json")
    assert result.exit_code in (0, 1), result.stderr
    return {v["quantity"]: {"quantity": v["quantity"], "verdict": v["verdict"], "upstream": v["first_wrong_upstream"],
                            "causes": [c["text"] for c in v["causes"]]} for v in json.loads(result.stdout)["verdicts"]}


class Quiz:
    def __init__(self, browser, tmp_path, spec: str):  # noqa: F811
        path = tmp_path / f"{load_spec(spec).name or 'quiz'}.html"
        result = cli("step", spec, "-f", "html", "--quiz", "-o", str(path), "-q")
        assert result.exit_code == 0, result.stderr
        browser.open(path)
        self.browser = browser

    def grade(self, answers: dict[str, str]) -> dict:
        return {v["quantity"]: v for v in self.browser.js(FILL, answers)}


NEW_MISTAKE = ", applied to your own "  # check's last resort, which the page tries in part (docs/solutions.md)


def same_as_check(browser, tmp_path, spec: str, answer_sets: list[dict]) -> int:  # noqa: F811
    """The quiz's verdicts equal check's on every answer set; returns how many answers were wrong."""
    quiz = Quiz(browser, tmp_path, spec)
    wrong = 0
    for answers in answer_sets:
        expected, got = checked(spec, answers, tmp_path), quiz.grade(answers)
        assert got.keys() == expected.keys()
        for key, want in expected.items():
            if any(NEW_MISTAKE in c for c in want["causes"]):
                # a mistake made anew on the student's own wrong numbers: same verdict and upstream,
                # and the page names none of it that check does not
                assert {**got[key], "causes": []} == {**want, "causes": []}, (answers, key)
                assert set(got[key]["causes"]) <= set(want["causes"]), (answers, key)
            else:
                assert got[key] == want, (answers, key)
        wrong += sum(v["verdict"] == "wrong" for v in expected.values())
    return wrong


@pytest.mark.parametrize("config, answers", [
    ("sigmoid_seed", "sigmoid_seed"),  # the notebook's slip: updated w5 and w6 used in δh1, δh2
    ("sigmoid_seed", "sigmoid_seed_2dp"),  # worked at 2 decimals: "rounded along the way"
    ("mazur_blog", "mazur_blog"),  # all right
    ("batch_seed", "batch_seed"),  # the loss of the mean, the gradients of the sum
])
def test_the_published_answers_are_graded_as_check_grades_them(browser, tmp_path, config, answers):  # noqa: F811
    spec = str(CONFIGS / f"{config}.yaml")
    published = json.loads(cli("check", spec, "--answers", str(ANSWERS / f"{answers}.yaml"), "--json").stdout)
    as_written = {v["quantity"]: v["text"] for v in published["verdicts"]}
    wrong = same_as_check(browser, tmp_path, spec, [as_written])
    assert wrong == published["summary"]["wrong"]


def _written(value: float) -> str:
    return f"{value:.6f}"


def mistaken_answers(spec_path: str) -> list[dict]:
    """Answer sets a student making each common mistake would write; then a slip carried forward."""
    spec = load_spec(spec_path)
    exact = compute(spec)
    keys = quiz_keys(exact)
    n = exact.n_samples
    sets = []
    right = {key_text(k, n): _written(exact.values[k]) for k in keys}
    for _, variant in variants(spec):
        made = compute(spec, variant=variant)
        every = {key_text(k, n): _written(made.values[k]) for k in keys}
        some = dict(list(every.items())[::2])
        # right answers first, then the mistake's: what it changes upstream is partly answered, right
        half = {k: (right[k] if j < len(some) // 2 else v) for j, (k, v) in enumerate(some.items())}
        sets += [every, some, half]
    grads = [k for k in keys if k[0] == "grad"]
    sets.append({**right, key_text(grads[0], n): _written(-exact.values[grads[0]])})  # one sign slip
    first_z = keys[0]  # z of the first neuron, off by 0.01, and everything after computed from it
    carried = compute(spec, overrides={first_z: exact.values[first_z] + 0.01})
    sets.append({key_text(k, n): _written(carried.values[k]) for k in keys})
    return sets


@pytest.mark.parametrize("config", ["sigmoid_seed", "batch_seed", "mazur_blog", "relu_seed", "xor"])
def test_answers_made_with_each_common_mistake_are_graded_as_check_grades_them(browser, tmp_path, config):  # noqa: F811
    spec = str(CONFIGS / f"{config}.yaml")
    assert same_as_check(browser, tmp_path, spec, mistaken_answers(spec)) > 0
