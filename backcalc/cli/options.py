"""The options several commands share, each declared once as an `Annotated` alias for their signatures."""

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

DEFAULT_CONFIG = "backcalc.yaml"


def complete_examples(incomplete: str) -> list[str]:
    """Shell completion of --example NAME: the bundled examples' names."""
    from .. import bundled

    return [n for n in bundled.names() if n.startswith(incomplete.replace("-", "_"))]


def complete_answers(incomplete: str) -> list[str]:
    """Shell completion of --answers-example NAME: the bundled answers files' names."""
    from .. import bundled

    return [n for n in bundled.answers_names() if n.startswith(incomplete.replace("-", "_"))]


ConfigArg = Annotated[Optional[str], typer.Argument(
    metavar="CONFIG", help="The spec file (YAML); `-` reads standard input. Omitted: ./backcalc.yaml if present, "
         "else the embedded default example.", show_default=False)]
# Last in the signature of every command that reads a spec (where --help lists it).
ExampleOpt = Annotated[Optional[str], typer.Option(
    "--example", metavar="NAME", show_default=False, autocompletion=complete_examples,
    help="Use a bundled example spec instead of CONFIG (`backcalc examples` lists them).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables (full precision).")]
JsonLinesOpt = Annotated[bool, typer.Option(
    "--json", help="Print JSON Lines instead of tables: one object per shown epoch, then a {\"final\": …} line.")]
DigitsOpt = Annotated[int, typer.Option("--digits", min=0, max=17, metavar="N", help="Decimals shown in tables.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print results only: no notes or warnings.")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour (NO_COLOR is honoured too).")]
# On commands whose output is never coloured or never has notes: accepted, so scripts can pass
# the same flags to every command.
PlainNoColorOpt = Annotated[bool, typer.Option("--no-color", help="Accepted as on every command; this output "
                                               "is never coloured.")]
PlainQuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Accepted as on every command; this output "
                                             "has no notes or warnings.")]
EpochsOpt = Annotated[Optional[int], typer.Option(
    "--epochs", "-e", min=1, metavar="N", help="Epochs to run (default: the spec's `epochs`, else 100).")]
EveryOpt = Annotated[Optional[int], typer.Option(
    "--every", min=1, metavar="K", help="Show every K-th epoch (default: about 10 rows; JSON: every epoch).")]
DebugOpt = Annotated[bool, typer.Option("--debug", hidden=True, help="Show tracebacks of internal errors.")]
ExactOpt = Annotated[bool, typer.Option("--exact", help="Exact rational arithmetic from the YAML's decimals "
                                        "(identity/relu/leaky_relu with a polynomial loss).")]
SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY=VALUE",
    help="Override a spec value before it is checked, e.g. learning_rate=0.1 or layers.0.activation=tanh "
         "(repeatable; the value is YAML).", show_default=False)]
FullOpt = Annotated[bool, typer.Option("--full", help="Show every neuron of wide layers (over 8 neurons) "
                                                      "instead of a summary.")]


class StepFormat(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    html = "html"


FormatOpt = Annotated[StepFormat, typer.Option("--format", "-f", case_sensitive=False,
                                               help="table (default), json (= --json), or a "
                                                    "worked solution as markdown, latex or html (one "
                                                    "self-contained page).")]
BlankOpt = Annotated[bool, typer.Option("--blank", help="Write the worked solution as an exercise: computed numbers "
                                        "become blanks (with --format markdown|latex|html).")]
QuizOpt = Annotated[bool, typer.Option("--quiz", help="With --format html: the exercise page with a box per "
                                       "quantity, graded in the browser as check grades answers.")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the document "
                                                   "(markdown, latex or html) to FILE instead of standard output, "
                                                   "all at once (an existing FILE only with --force).",
                                                   show_default=False)]
SolutionOpt = Annotated[Optional[Path], typer.Option("--solution", metavar="FILE", help="With --blank: also write "
                                                     "the full solution to FILE (an existing FILE only with --force).",
                                                     show_default=False)]
RoundOpt = Annotated[Optional[int], typer.Option(
    "--round", min=0, max=12, metavar="N",
    help="Round every intermediate value to N decimals, as by hand, and show where that drifts.")]
PerSampleOpt = Annotated[bool, typer.Option(
    "--per-sample", help="Also show every partial derivative of each sample before the reduction over the batch.")]
