"""The commands that need no spec: `examples`, `docs`, `init` and `schema` print or write bundled texts."""

import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from .application import command, err
from .options import DEFAULT_CONFIG, DebugOpt, PlainNoColorOpt, PlainQuietOpt, QuietOpt, complete_examples


@command('List the bundled example specs and answers files, or print one.')
def examples(
    name: Annotated[Optional[str], typer.Argument(
        help="Print this example's YAML instead of the list.", show_default=False,
        autocompletion=complete_examples)] = None,
    answers: Annotated[bool, typer.Option("--answers", help="NAME is a bundled answers file: print it.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    quiet: PlainQuietOpt = False,
    no_color: PlainNoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """List the bundled example specs and answers files, or print one (`backcalc examples xor | backcalc step -`)."""
    from .. import bundled

    if answers:
        if name is None:
            raise UsageError("examples --answers: expected the name of an answers file (`backcalc examples` "
                             "lists them)")
        sys.stdout.write(bundled.read_answers(name, "examples --answers").decode("utf-8"))
        return
    if name is not None:
        # As `init --example NAME -` writes it: the schema line names backcalc.schema.json beside
        # the file (the repository's ../schema/ path resolves nowhere else).
        sys.stdout.write(bundled.starter_text(name, "NAME"))
        return
    catalogue = bundled.catalogue()
    if json:
        from ..render.json import dumps

        typer.echo(dumps([{"name": e.name, "description": e.description, "answers": bundled.answers_for(e.name)}
                          for e in catalogue]))
        return
    answer_files = bundled.answers_catalogue()
    width = max(len(e.name) for e in catalogue + answer_files)
    for e in catalogue:
        typer.echo(f"{e.name:<{width}}  {e.description}")
    if answer_files:
        typer.echo("\nAnswers files for `backcalc check --example NAME --answers-example ANSWERS`:")
        for e in answer_files:
            typer.echo(f"{e.name:<{width}}  {e.description}")


@command("Print a page of backcalc's documentation (docs/*.md), or list them.")
def docs(
    page: Annotated[Optional[str], typer.Argument(
        help="The page to print, e.g. check or spec; omitted: the list of pages.", show_default=False)] = None,
    quiet: PlainQuietOpt = False,
    no_color: PlainNoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Print a page of the documentation as Markdown (`backcalc docs check`), or list the pages."""
    from .. import bundled

    if page is not None:
        sys.stdout.write(bundled.read_doc(page))
        return
    pages = bundled.doc_catalogue()
    width = max(len(p.name) for p in pages)
    for p in pages:
        typer.echo(f"{p.name:<{width}}  {p.description}")


@command('Write a commented starter spec (or an example) to edit.')
def init(
    file: Annotated[str, typer.Argument(help="Where to write the spec; `-` writes to standard output.")]
    = DEFAULT_CONFIG,
    example: Annotated[Optional[str], typer.Option(
        "--example", metavar="NAME", show_default=False, autocompletion=complete_examples,
        help="Start from this bundled example instead of the commented starter.")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite FILE if it exists.")] = False,
    quiet: QuietOpt = False,
    no_color: PlainNoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter spec (default ./backcalc.yaml) to edit and run."""
    from .. import bundled

    text = bundled.starter_text(example)
    if file == "-":
        sys.stdout.write(text)
        return
    from ..atomic import check_target, write_file

    if not file:
        raise UsageError("init: expected a file name (or `-` for standard output), got nothing")
    write_file(check_target(file, None, force), text.encode("utf-8"))
    if not quiet:
        what = f"the example '{bundled.resolve(example)}'" if example else "a commented starter spec"
        err(f"backcalc: wrote {file} ({what}); run it with: backcalc step {file}")


@command("Print the spec's JSON Schema, for editors.")
def schema(quiet: PlainQuietOpt = False, no_color: PlainNoColorOpt = False, debug: DebugOpt = False) -> None:
    """Print the JSON Schema (draft 2020-12) of a spec, for editors: backcalc schema > backcalc.schema.json."""
    from ..schema import json_schema_text

    sys.stdout.write(json_schema_text())
