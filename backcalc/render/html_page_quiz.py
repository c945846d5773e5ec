"""A quiz page's answer boxes: one per quantity of a section, graded by static/quiz.js from quiz.quiz_data."""

from __future__ import annotations

from html import escape


def answer_boxes(quiz: dict, kinds: tuple[str, ...]) -> str:
    """The boxes of the quantities of these kinds, in the order of the computation."""
    rows = []
    for i, q in enumerate(quiz["quantities"]):
        if q["kind"] not in kinds:
            continue
        rows.append(f'<div class="answer" data-index="{i}" data-key="{escape(q["key"])}">'
                    f'<label for="q{i}"><code>{escape(q["key"])}</code></label>'
                    f'<input id="q{i}" type="text" inputmode="decimal" autocomplete="off" spellcheck="false">'
                    f'<output for="q{i}" class="verdict" aria-live="polite"></output></div>')
    if not rows:
        return ""
    return ('<fieldset class="answers"><legend>Your answers (graded as you type: right within half a unit '
            'of the last decimal you write)</legend>' + "".join(rows) + "</fieldset>")
