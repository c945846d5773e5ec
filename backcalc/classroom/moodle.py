"""Moodle exports: Moodle XML with one Cloze question per variant (a blank per quantity), and GIFT
(one numerical question per quantity, GIFT having no multi-blank questions).

Each blank holds the right value with its tolerance (half a unit of the answer decimals), then each
common mistake's value with its credit and `check`'s words for it: a value that follows from a
mistake upstream earns the error-carried-forward credit, one where the mistake is made the
mistake credit. Moodle picks every variant of a category at random per student ("random question")."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .given import setting


def blank_answers(q: dict, tolerance: str, credits) -> list[tuple[int, str, str]]:
    """(percent, value, feedback) of one quantity: the right value first, then each mistake's
    distinct value once. Mistakes giving one number share it: the feedback names each reading (an
    error made here, or one carried forward), and the credit is the better one, since a blank alone
    cannot tell which the student made."""
    out = [(100, _value(q["correct"]), "right")]
    groups: dict[str, list[dict]] = {}
    for w in q["wrong"]:
        groups.setdefault(w["text"], []).append(w)
    for same in groups.values():
        readings, pct = [], 0
        for w in same:
            causes = " or ".join(text for _, text in w["causes"]) or w["mistake"]
            if w["upstream"]:
                reading, credit = f"follows from an error in {w['upstream']} ({causes}): carried forward", credits.ecf
            else:
                reading, credit = f"not right: {causes}", credits.mistake
            if reading not in readings:
                readings.append(reading)
            pct = max(pct, round(100 * credit))
        out.append((pct, _value(same[0]["value"]), "; or ".join(readings)))
    return out


def _value(x: float) -> str:
    return repr(float(x))


def _cloze_escape(text: str) -> str:
    """Cloze's own special characters escaped (Moodle: } # ~ / " \\ need a backslash)."""
    return "".join("\\" + c if c in '}#~/"\\' else c for c in text)


def cloze(q: dict, tolerance: str, credits) -> str:
    parts = []
    for pct, value, fb in blank_answers(q, tolerance, credits):
        head = "=" if pct == 100 and fb == "right" else f"%{pct}%"
        parts.append(f"{head}{value}:{tolerance}#{_cloze_escape(fb)}")
    return "{1:NUMERICAL:" + "~".join(parts) + "}"


def given_html(variant: dict) -> str:
    rows = "".join(f"<tr><td>{escape(label)}</td><td>{escape(value)}</td></tr>" for label, value in variant["given"])
    return f"<table><tbody>{rows}</tbody></table>"


def _cdata(html: str) -> str:
    return "<![CDATA[" + html.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def moodle_xml(name: str, variants: list[dict], specs: list, answer_decimals: int, credits) -> str:
    """The Moodle XML file: a category, then one Cloze question per variant."""
    tol = tolerance_text(answer_decimals)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>",
           '  <question type="category">', f"    <category><text>$course$/backcalc/{escape(name)}</text></category>",
           "  </question>"]
    for v, spec in zip(variants, specs):
        blanks = "".join(f"<tr><td>{escape(q['name'])}</td><td>{cloze(q, tol, credits)}</td></tr>"
                         for q in v["quantities"])
        html = (f"<p>{escape(setting(spec))}</p><p>Given:</p>{given_html(v)}"
                f"<p>Compute each quantity to {answer_decimals} decimals.</p><table><tbody>{blanks}</tbody></table>")
        out += ['  <question type="cloze">', f"    <name><text>{escape(name)} {escape(v['id'])}</text></name>",
                f'    <questiontext format="html"><text>{_cdata(html)}</text></questiontext>',
                '    <generalfeedback format="html"><text></text></generalfeedback>',
                "    <penalty>0</penalty>", "    <hidden>0</hidden>",
                f"    <idnumber>{escape(name)}-{escape(v['id'])}</idnumber>", "  </question>"]
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def tolerance_text(answer_decimals: int) -> str:
    return f"{0.5 * 10.0 ** -answer_decimals:.{answer_decimals + 1}f}"


def _gift_escape(text: str) -> str:
    return "".join("\\" + c if c in "~=#{}:" else c for c in text)


def gift(name: str, variants: list[dict], specs: list, answer_decimals: int, credits) -> str:
    """GIFT: per variant a category, one numerical question per quantity."""
    tol = tolerance_text(answer_decimals)
    out = []
    for v, spec in zip(variants, specs):
        out += [f"$CATEGORY: $course$/backcalc/{name}/{v['id']}", ""]
        intro = _gift_escape(f"<p>{escape(setting(spec))}</p>{given_html(v)}")
        for q in v["quantities"]:
            answers = " ".join(f"={'' if pct == 100 and fb == 'right' else f'%{pct}%'}{value}:{tol}#{_gift_escape(fb)}"
                               for pct, value, fb in blank_answers(q, tol, credits))
            title = _gift_escape(f"{name} {v['id']} {q['name']}")
            ask = _gift_escape(f"<p>{q['name']} (to {answer_decimals} decimals) =</p>")
            out += [f"::{title}::[html]{intro}{ask}{{#{answers}}}", ""]
    return "\n".join(out)
