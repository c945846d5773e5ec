"""The format-neutral blocks a worked solution is made of: headings, paragraphs, tables and
groups of equations, with every number kept as a `Num` so that it is written once, at `--digits`,
and an exercise can blank it (math_text.py writes them, markdown.py and latex.py lay them out)."""

from __future__ import annotations

from dataclasses import dataclass, field

BLANK = r"\underline{\qquad\quad}"
BLANK_NOTE = "Fill in every blank. The given values (weights, biases, inputs, targets, learning rate) are printed."


@dataclass
class Num:
    value: object
    given: bool = False  # data from the spec (kept in an exercise) or computed (blanked)
    wrap: bool = False  # an operand: parenthesise when negative or in scientific notation
    digits: int | None = None  # decimals for this number alone (default: the document's)


Token = "str | Num"


@dataclass
class Equation:
    lhs: list
    sides: list[list]  # lhs = sides[0] = sides[1] = …


@dataclass
class Heading:
    level: int  # 1 title, 2 section, 3 subsection
    text: str


@dataclass
class Paragraph:
    parts: list  # str (plain text) or list of tokens (inline math)


@dataclass
class Math:
    equations: list[Equation]


@dataclass
class Items:
    """A table cell of several formulas separated by commas (a sample's inputs): a page may wrap it
    between them."""

    parts: list[list]


@dataclass
class Table:
    header: list[str]
    rows: list[list]  # cells: list of tokens (math), Items, or a str (plain text)


@dataclass
class Document:
    blocks: list = field(default_factory=list)

    def add(self, block) -> None:
        self.blocks.append(block)

