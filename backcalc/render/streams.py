"""The output boundary: what every human view passes on its way to a stream.

- `printable`: the user's text (names, descriptions, CSV headers) with control characters
  escaped, so a spec cannot move the cursor, clear the screen or rewrite a line of the report.
- `for_encoding`: on a stream that cannot encode the symbols (ASCII, Latin-1), their ASCII
  spellings (∂ → d, δ → delta, → → ->), so the output is complete instead of a crash.
- `GLUE`: a space a table cell does not wrap at (`glued`, `plus_terms`, `plus_last`), written as a space.
- `Output`: standard output and error wrapped by the entry point: the spelling above, and a
  failed write (a full disk, a closed descriptor, a reader that went away) as one `OutputError`.
"""

from __future__ import annotations

import os
import unicodedata

from ..errors import OutputError, one_line

# A space the tables' line wrapping keeps: rich breaks a cell at any whitespace, the no-break
# space included, so the views glue with this (a private-use character, one cell wide) and
# the boundary (table.print_renderable) writes it as a space.
GLUE = "\ue000"


def printable(text: str) -> str:
    """`text` with every control character but the newline escaped as in error messages (`\\x1b`)."""
    if text.isprintable():
        return text
    return GLUE.join("\n".join(one_line(line) for line in part.split("\n")) for part in text.split(GLUE))


def glued(text: str) -> str:
    """`text` with the spaces inside brackets glued, so `(√v̂ + ε)` never breaks across lines."""
    out, depth = [], 0
    for c in text:
        depth += (c in "([") - (c in ")]")
        out.append(GLUE if c == " " and depth > 0 else c)
    return "".join(out)


def plus_terms(terms: list[str]) -> str:
    """`a + b + c` for a table cell: it wraps only before a `+`, so a continuation line starts with
    `+ ` and reads as one, and no term is split."""
    return f" +{GLUE}".join(t.replace(" ", GLUE) for t in terms)


GLUED_AT_MOST = 24  # a formula column at 80 columns is ~30 wide: a longer unit would be folded


def plus_last(terms: list[str]) -> str:
    """`plus_terms` with the last term glued to the one before, so no `+ 0` is left alone on a
    line, unless the two together are too long for a narrow column (rich would fold the unit
    mid-number, worse than a term alone on a line)."""
    if len(terms) < 2 or len(terms[-2]) + 3 + len(terms[-1]) > GLUED_AT_MOST:
        return plus_terms(terms)
    return plus_terms([*terms[:-2], f"{terms[-2]} + {terms[-1]}"])


# The symbols backcalc writes, spelled in ASCII. Anything else an encoding lacks loses its
# accents (é → e) or becomes '?'.
ASCII_SPELLINGS = {
    "∂": "d", "δ": "delta", "Σ": "sum", "η": "eta", "ℓ": "l", "−": "-", "–": "-", "—": "--",
    "·": "*", "×": "*", "←": "<-", "→": "->", "…": "...", "⋮": ":", "≤": "<=", "≥": ">=",
    "≠": "!=", "≈": "~=", "±": "+/-", "√": "sqrt ", "∇": "grad", "²": "^2", "ᵀ": "^T", "⁺": "^+",
    "½": "1/2", "′": "'", "ₙ": "_n", "α": "alpha", "β": "beta", "ε": "eps", "θ": "theta",
    "λ": "lambda", "μ": "mu", "µ": "mu", "σ": "sigma", "τ": "tau", "✓": "ok", "✗": "X",
    "─": "-", "━": "-", "│": "|", "▁": "_", "▂": "_", "▃": "-", "▄": "-", "▅": "=", "▆": "=",
    "▇": "#", "█": "#",
}


def for_encoding(text: str, encoding: str) -> str:
    """`text` as `encoding` can write it: unchanged when it can, else with ASCII spellings."""
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    except LookupError:  # an encoding Python does not know: leave it to the stream
        return text
    return "".join(_spelled(c, encoding) for c in text)


def _spelled(c: str, encoding: str) -> str:
    if c == GLUE:  # written as a space by print_renderable
        return c
    try:
        c.encode(encoding)
        return c
    except UnicodeEncodeError:
        pass
    if c in ASCII_SPELLINGS:
        return ASCII_SPELLINGS[c]
    if unicodedata.combining(c):  # the hat of m̂: the letter stays
        return ""
    return unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode() or "?"


class Output:
    """A text stream (or None when the descriptor was closed before start-up) behind the boundary.

    No `buffer` attribute: click then writes through this object too instead of around it.
    """

    def __init__(self, stream, fatal: bool = True):
        self._stream = stream
        self._fatal = fatal  # standard output: a failed write is an OutputError; standard error: as it is
        self._dead: OutputError | None = None
        self._write = stream.write if stream is not None else self._closed
        encoding = getattr(stream, "encoding", None) or "utf-8"
        self.encoding = encoding
        self.errors = getattr(stream, "errors", None) or "strict"
        self._unicode = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf16", "utf32")

    def write(self, text: str) -> int:
        if not self._unicode and not text.isascii():
            text = for_encoding(text, self.encoding)
        try:
            return self._write(text)
        except OSError as e:
            raise self._failed(e) from None

    def flush(self) -> None:
        if self._dead is None and self._stream is not None:
            try:
                self._stream.flush()
            except OSError as e:
                raise self._failed(e) from None

    def _closed(self, text: str) -> int:
        raise OSError(9, os.strerror(9))  # EBADF: started with the descriptor closed (`>&-`)

    def _failed(self, error: OSError) -> Exception:
        if not self._fatal:
            return error
        if self._dead is None:
            self._dead = OutputError(error)
            self._discard()
            self._write = self._refuse  # every later write fails alike (and writes nothing)
        return self._dead

    def _refuse(self, text: str) -> int:
        raise self._dead

    def _discard(self) -> None:
        """Point the dead descriptor at /dev/null: the interpreter's last flush of what is
        still buffered then succeeds instead of printing 'Exception ignored'."""
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (AttributeError, OSError, ValueError):
            pass

    def isatty(self) -> bool:
        try:
            return self._stream is not None and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError(9, os.strerror(9))
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False


def guard_streams() -> None:
    """Put standard output and error behind the boundary (once, by the entry point)."""
    import sys

    if not isinstance(sys.stdout, Output):
        sys.stdout = Output(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, Output):
        sys.stderr = Output(sys.stderr, fatal=False)
