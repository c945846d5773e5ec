"""Canvas's QTI 1.2 export: a zip holding imsmanifest.xml and one assessment (a quiz) per variant,
a numerical item per quantity; each mistake's value a response condition with its credit and
`check`'s words as the item's feedback. Canvas quizzes have no per-student variants, so each
variant is its own quiz, to assign to its students."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

from .given import setting
from .moodle import blank_answers, given_html, tolerance_text

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes from the same seed: no clock in the archive


def _field(label: str, entry: str) -> str:
    return (f"<qtimetadatafield><fieldlabel>{label}</fieldlabel>"
            f"<fieldentry>{escape(entry)}</fieldentry></qtimetadatafield>")


def _condition(k: int, pct: int, value: str, tol: float, fb: str) -> str:
    x = float(value)
    return (f'<respcondition continue="No"><conditionvar><or>'
            f'<varequal respident="response1">{value}</varequal>'
            f'<and><vargte respident="response1">{x - tol!r}</vargte>'
            f'<varlte respident="response1">{x + tol!r}</varlte></and></or></conditionvar>'
            f'<setvar action="Set" varname="SCORE">{pct}</setvar>'
            f'<displayfeedback feedbacktype="Response" linkrefid="fb{k}"/></respcondition>')


def item(ident: str, q: dict, intro: str, answer_decimals: int, credits) -> str:
    tol = float(tolerance_text(answer_decimals))
    answers = blank_answers(q, tolerance_text(answer_decimals), credits)
    question = f"{intro}<p>{escape(q['name'])} (to {answer_decimals} decimals) =</p>"
    return (f"<item ident={quoteattr(ident)} title={quoteattr(q['name'])}><itemmetadata><qtimetadata>"
            + _field("question_type", "numerical_question") + _field("points_possible", "1")
            + "</qtimetadata></itemmetadata><presentation><material>"
            f'<mattext texttype="text/html">{escape(question)}</mattext></material>'
            '<response_str ident="response1" rcardinality="Single"><render_fib fibtype="Decimal">'
            '<response_label ident="answer1"/></render_fib></response_str></presentation><resprocessing>'
            '<outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
            + "".join(_condition(k, pct, value, tol, fb) for k, (pct, value, fb) in enumerate(answers))
            + "</resprocessing>"
            + "".join(f'<itemfeedback ident="fb{k}"><flow_mat><material><mattext texttype="text/plain">'
                      f"{escape(fb)}</mattext></material></flow_mat></itemfeedback>"
                      for k, (_, _, fb) in enumerate(answers))
            + "</item>")


def assessment(name: str, v: dict, spec, answer_decimals: int, credits) -> str:
    ident = f"{name}-{v['id']}"
    title = f"{name} {v['id']}"
    intro = f"<p>{escape(setting(spec))}</p>{given_html(v)}"
    items = "".join(item(f"{ident}-q{k + 1:02d}", q, intro, answer_decimals, credits)
                    for k, q in enumerate(v["quantities"]))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<questestinterop xmlns="{QTI_NS}"><assessment ident={quoteattr(ident)} '
            f"title={quoteattr(title)}><qtimetadata>"
            + _field("cc_maxattempts", "1") + "</qtimetadata>"
            f'<section ident="root_section">{items}</section></assessment></questestinterop>\n')


def manifest(name: str, idents: list[str]) -> str:
    resources = "".join(f'<resource identifier={quoteattr(i)} type="imsqti_xmlv1p2">'
                        f'<file href={quoteattr(f"{i}/{i}.xml")}/></resource>' for i in idents)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<manifest identifier={quoteattr(name + "-manifest")} xmlns="{CP_NS}"><metadata>'
            "<schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>"
            f"<organizations/><resources>{resources}</resources></manifest>\n")


def qti_zip(name: str, variants: list[dict], specs: list, answer_decimals: int, credits) -> bytes:
    files = {}
    for v, spec in zip(variants, specs):
        ident = f"{name}-{v['id']}"
        files[f"{ident}/{ident}.xml"] = assessment(name, v, spec, answer_decimals, credits)
    files = {"imsmanifest.xml": manifest(name, [p.split("/")[0] for p in files]), **files}
    return deterministic_zip(files)


def deterministic_zip(files: dict[str, str | bytes], executable: tuple[str, ...] = ()) -> bytes:
    """A zip of these files in this order, with no clock in it (the same input, the same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if path in executable else 0o644) << 16
            z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return out.getvalue()
