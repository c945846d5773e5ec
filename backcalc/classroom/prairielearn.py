"""A PrairieLearn question folder: info.json, question.html and server.py, whose `generate` draws one
of the precomputed variants (PrairieLearn seeds `random` per student variant) and whose `grade`
gives each blank its credit by check's rules (classroom/grader.py, carried inside server.py)."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape, quoteattr

from .embed import embedded
from .given import setting
from .moodle import given_html

# uuid5 namespace of backcalc's PrairieLearn questions: a question's uuid follows from its name and
# seed, so the same command writes the same folder (and re-importing updates, not duplicates, it)
NAMESPACE = uuid.UUID("6f1d2b9e-3c1a-4f0e-9a57-0b6c8a1d2e40")

SERVER = '''

def _names(v):
    return {f"q{i + 1:02d}": q["name"] for i, q in enumerate(v["quantities"])}


def generate(data):
    """Draw a variant: PrairieLearn seeds `random` per student variant."""
    import random

    k = random.randrange(len(VARIANTS))
    v = VARIANTS[k]
    data["params"]["variant"] = k
    data["params"]["id"] = v["id"]
    data["params"]["given_html"] = GIVEN_HTML[k]
    for answer, name in _names(v).items():
        data["correct_answers"][answer] = next(q["correct"] for q in v["quantities"] if q["name"] == name)


def grade(data):
    """Every blank's credit and feedback by check's rules, errors carried forward."""
    v = VARIANTS[data["params"]["variant"]]
    names = _names(v)
    raw, submitted = data.get("raw_submitted_answers") or {}, data.get("submitted_answers") or {}
    answers = {}
    for answer, name in names.items():
        text = raw.get(answer, submitted.get(answer))
        if text is not None and str(text).strip() != "":
            answers[name] = str(text)
    verdicts, score = grade_answers(v, answers, MISTAKE_CREDIT, ECF_CREDIT, USE_BACKCALC)
    by_name = {x["name"]: x for x in verdicts}
    for answer, name in names.items():
        x = by_name.get(name)
        data["partial_scores"][answer] = {"score": x["credit"] if x else 0.0, "weight": 1,
                                          "feedback": x["feedback"] if x else "no answer"}
    data["score"] = score
    data["feedback"]["verdicts"] = verdicts
'''


def info_json(name: str, seed: int) -> str:
    info = {"uuid": str(uuid.uuid5(NAMESPACE, f"{name}/{seed}")), "title": f"{name}: one backpropagation step",
            "topic": "Backpropagation", "tags": ["backcalc", "backprop"], "type": "v3",
            "gradingMethod": "Internal", "partialCredit": True, "singleVariant": False}
    return json.dumps(info, indent=2) + "\n"


def question_html(first: dict, spec, answer_decimals: int) -> str:
    inputs = "\n".join(f"<pl-number-input answers-name=\"q{i + 1:02d}\" label={quoteattr(q['name'] + ' =')} "
                       "comparison=\"decdig\" "
                       f"digits=\"{answer_decimals}\" size=\"12\"></pl-number-input><br>"
                       for i, q in enumerate(first["quantities"]))
    return (f"<pl-question-panel>\n<p>{escape(setting(spec))}</p>\n<p>Given:</p>\n{{{{{{params.given_html}}}}}}\n"
            f"<p>Compute each quantity to {answer_decimals} decimals. A value that follows from an earlier "
            "error is carried forward: it earns credit, and the feedback names the mistake.</p>\n"
            f"</pl-question-panel>\n{inputs}\n")


def question_folder(name: str, seed: int, variants: list[dict], specs: list, answer_decimals: int,
                    credits) -> dict[str, str]:
    """{path in the folder: text}."""
    server = (embedded(variants, credits, f"PrairieLearn server.py of {name}")
              + f"GIVEN_HTML = {json.dumps([given_html(v) for v in variants], ensure_ascii=True)!r}\n"
              + "GIVEN_HTML = json.loads(GIVEN_HTML)\n" + SERVER)
    return {"info.json": info_json(name, seed), "question.html": question_html(variants[0], specs[0], answer_decimals),
            "server.py": server}
