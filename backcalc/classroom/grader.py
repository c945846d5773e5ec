"""Grading one student's answers to an exercise variant by check's rules, standing alone.

This file imports nothing of backcalc: the PrairieLearn and Gradescope exports carry its text,
with the variants' answer keys (each quantity's right value, and each common mistake's value and
check's words for it), so the platform needs no backcalc. Where backcalc is importable it grades
with backcalc.check itself (`grade_answers`); the tables alone (`grade_tables`) apply check's rules
except one: recomputing the step from a student's own wrong numbers, which needs the math. A
wrong answer that a common mistake reproduces, with every answer upstream of it, follows from
the first wrong answer upstream (error carried forward); where none is wrong upstream the
mistake is where the error began; a mistake made alone, on right numbers upstream, is found too.
"""

import math
import re

_DECIMAL = re.compile(r"[+-]?(?P<whole>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?")


def read_number(text):
    """(value, tolerance) of an answer as written: half a unit of its last decimal; a whole number is exact."""
    text = str(text).strip().replace("\u2212", "-").replace("_", "")
    value = float(text)
    m = _DECIMAL.fullmatch(text)
    if m is None or re.fullmatch(r"[+-]?[0-9]+", text):
        return value, 0.0
    exponent = int(m["exp"] or 0)
    if value == 0:  # a zero's exponent says nothing of its size: it can make it finer, never coarser
        if m["frac"] is None and exponent >= 0:
            return value, 0.0
        exponent = min(exponent, 0)
    return value, 0.5 * 10.0 ** -min(len(m["frac"] or "") - exponent, 400)


def matches(answer, value, tolerance):
    """Within half a unit of the last written decimal (and a hair of floating-point slack), as check."""
    if not math.isfinite(value):
        return False
    return abs(answer - value) <= tolerance + 1e-9 * abs(value) + 1e-15


def _near(answer, value):
    """An answer read by `read_number` (value, tolerance) matches this value."""
    return matches(answer[0], value, answer[1])


def credit_of(verdict, upstream, causes, mistake_credit, ecf_credit):
    """A quantity's credit: right 1; carried forward from an earlier error `ecf_credit`; an error of
    its own that a common mistake explains `mistake_credit`; any other wrong answer 0."""
    if verdict != "wrong":
        return 1.0 if verdict in ("right", "right_by_rounding") else 0.0
    if upstream:
        return ecf_credit
    return mistake_credit if causes else 0.0


class _Tables:
    def __init__(self, variant):
        self.q = {q["name"]: q for q in variant["quantities"]}
        self.order = {q["name"]: i for i, q in enumerate(variant["quantities"])}
        self.memo = {}

    def ancestors(self, name):
        if name not in self.memo:
            out = set()
            for p in self.q[name]["parents"]:
                out.add(p)
                out |= self.ancestors(p)
            self.memo[name] = out
        return self.memo[name]

    def under(self, mistake, name, field="value"):
        """A quantity's value when `mistake` is made (the right value where it changes nothing)."""
        for w in self.q[name]["wrong"]:
            if w["mistake"] == mistake and w.get(field) is not None:
                return w[field]
        return self.q[name]["correct"]

    def frontier(self, name, wrong):
        out, stack, seen = set(), list(self.q[name]["parents"]), set()
        while stack:
            k = stack.pop()
            if k not in seen:
                seen.add(k)
                if k in wrong:
                    out.add(k)
                else:
                    stack.extend(self.q[k]["parents"])
        return out


def _words(w):
    for mistake, text in w["causes"]:
        if mistake == w["mistake"]:
            return text
    return w["causes"][0][1] if w["causes"] else w["mistake"]


def _causes(t, name, value, tol, answered, given, field):
    out = []
    for w in t.q[name]["wrong"]:
        if w.get(field) is None or not matches(value, w[field], tol):
            continue
        if field == "value" and not all(_near(given[a], t.under(w["mistake"], a)) for a in answered):
            continue
        out.append([w["mistake"], _words(w) if field == "value" else w.get("alone_text") or _words(w)])
    return out


def grade_tables(variant, answers):
    """Verdicts (dicts: name, answer, verdict, upstream, causes [[id, words]]) from the tables alone."""
    t = _Tables(variant)
    given = {k: read_number(v) for k, v in answers.items() if k in t.q and str(v).strip() != ""}
    verdicts, wrong, root_of = [], set(), {}
    for name in sorted(given, key=t.order.__getitem__):
        q = t.q[name]
        ok = _near(given[name], q["correct"])
        verdicts.append({"name": name, "answer": str(answers[name]), "correct": q["correct"],
                         "verdict": "right" if ok else "wrong", "upstream": None, "causes": []})
        if not ok:
            wrong.add(name)
    for v in verdicts:
        name = v["name"]
        if name not in wrong:
            continue
        value, tol = given[name]
        answered = [a for a in t.ancestors(name) if a in given]
        v["causes"] = _causes(t, name, value, tol, answered, given, "value")
        frontier = t.frontier(name, wrong)
        if frontier and v["causes"]:
            root = min((root_of[k] for k in frontier), key=t.order.__getitem__)
            root_of[name], v["upstream"] = root, root
            continue
        root_of[name] = name
        if not v["causes"]:  # its own error: each mistake alone, with everything upstream right
            v["causes"] = _causes(t, name, value, tol, [], given, "alone")
        correct = t.q[name]["correct"]
        if not v["causes"] and correct != 0 and matches(value, -correct, tol):
            v["causes"] = [["sign", "sign flipped (the value is right but for its sign)"]]
    return verdicts


def grade_backcalc(variant, answers):
    """The same verdicts from backcalc.check itself (every rule, the math recomputed)."""
    import backcalc

    given = {k: str(v) for k, v in answers.items() if str(v).strip() != ""}
    result = backcalc.check(backcalc.load_spec(variant["spec"]), given)
    by_name = {q["name"]: q for q in variant["quantities"]}
    return [{"name": v.quantity, "answer": v.answer.text, "correct": by_name[v.quantity]["correct"],
             "verdict": v.verdict, "upstream": v.upstream,
             "causes": [[c.mistake, c.full()] for c in v.causes]} for v in result.verdicts]


def grade_answers(variant, answers, mistake_credit=0.5, ecf_credit=1.0, use_backcalc=True):
    """Each answer's verdict with its credit and feedback, and the score (the mean credit over every
    quantity the variant asks; a blank answer scores 0)."""
    verdicts = None
    if use_backcalc:
        try:
            verdicts = grade_backcalc(variant, answers)
        except ImportError:
            verdicts = None
    if verdicts is None:
        verdicts = grade_tables(variant, answers)
    for v in verdicts:
        v["credit"] = credit_of(v["verdict"], v["upstream"], v["causes"], mistake_credit, ecf_credit)
        v["feedback"] = feedback(v)
    total = len(variant["quantities"])
    return verdicts, (sum(v["credit"] for v in verdicts) / total if total else 0.0)


def feedback(v):
    """One line for a student: right, or what the wrong number looks like."""
    if v["verdict"] != "wrong":
        return "right"
    causes = " or ".join(text for _, text in v["causes"])
    if v["upstream"]:
        return f"follows from your {v['upstream']}" + (f" ({causes})" if causes else "") + ": carried forward"
    return f"wrong: {causes}" if causes else "wrong (cause not recognised)"
