"""How many terminal cells a table's text takes, measured and wrapped as rich measures and wraps it,
without rich's cost per character where every character is one cell wide (the fixed-width writer's
measures: fixed_width.py)."""

from __future__ import annotations

import re
import unicodedata

from rich.cells import cell_len as rich_cell_len

# Characters one cell wide that combine with nothing: a text of only these is as wide as it is long.
# Rich's own fast set leaves out −, ∂, δ, ·, … which every table has, and then measures char by char.
_NARROW: set[str] = set()


def narrow(text: str) -> bool:
    """Every character of `text` one cell wide and combining with nothing."""
    return cell_len(text) == len(text) and _NARROW.issuperset(text)


def all_narrow(text: str, but: str = "") -> bool:
    """`narrow(text)` (the characters of `but` aside), asked of each new character alone: rich
    would measure a long text that has one that is not narrow character by character."""
    return all(narrow(c) for c in set(text).difference(_NARROW, but))


def cell_len(text: str) -> int:
    if _NARROW.issuperset(text):
        return len(text)
    for c in set(text) - _NARROW:
        if rich_cell_len(c) != 1 or unicodedata.category(c) in ("Mn", "Me", "Cf", "Cc") or c in "\u200d\ufe0f":
            return rich_cell_len(text)
        _NARROW.add(c)
    return len(text)


_WORD = re.compile(r"\s*\S+\s*")


def wrapped(line: str, width: int, fold: bool) -> list[str] | None:
    """`line` broken at spaces as rich's `divide_line` breaks it (every character one cell:
    `narrow`), folding a word longer than the line; None where it must not be folded (rich cuts it)."""
    words = line.split(" ")
    if all(words) and max(map(len, words)) <= width:  # single spaces, no word too long: fill greedily
        out, current = [], words[0]                     # (a line's trailing space is padding anyway)
        for word in words[1:]:
            if len(current) + 1 + len(word) <= width:
                current += " " + word
            else:
                out.append(current)
                current = word
        out.append(current)
        return out
    breaks, offset = [], 0
    for match in _WORD.finditer(line):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width and not fold:
            return None
        elif length > width:  # rich's chop_cells: pieces of `width` characters, its spaces too
            for piece in range(0, len(word), width):
                if start:
                    breaks.append(start)
                offset = len(word) - piece
                start += width
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    pieces = [line[a:b] for a, b in zip([0, *breaks], [*breaks, len(line)])]
    out = []
    for piece in pieces:  # rich's rstrip_end: trailing spaces beyond the width go
        if len(piece) > width:
            excess = len(piece) - width
            spaces = len(piece) - len(piece.rstrip())
            piece = piece[:len(piece) - min(spaces, excess)]
        if len(piece) > width:
            return None
        out.append(piece)
    return out


def longest(texts: set[str]) -> tuple[int, int]:
    """The longest line and the longest word of `texts`, in cells (by length where every character
    is one cell wide, as in nearly every table)."""
    size = len if all_narrow("".join(texts), but="\n") else cell_len
    longest_line = longest_word = 0
    for text in texts:
        if " " not in text and text.isprintable():  # no whitespace: one line of one word
            line = word = size(text)
        else:
            line, word = measure(text, size)
        if line > longest_line:
            longest_line = line
        if word > longest_word:
            longest_word = word
    return longest_line, longest_word


def measure(text: str, size=None) -> tuple[int, int]:
    """Rich's Text measure: (longest line, longest word), both in cells (`size`: of a line or word)."""
    size = size or cell_len
    lines = text.splitlines()
    line = max(map(size, lines)) if lines else 0
    words = text.split()
    return line, max(map(size, words)) if words else line
