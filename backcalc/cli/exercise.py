"""`backcalc exercise`: seeded variants of a spec template, their documents and the platforms' exports."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from .application import command, err
from .inputs import read_spec
from .options import ConfigArg, DebugOpt, ExampleOpt, PlainNoColorOpt, QuietOpt, SetOpt


class Export(str, Enum):
    moodle = "moodle"
    gift = "gift"
    qti = "qti"
    prairielearn = "prairielearn"
    gradescope = "gradescope"


OutOpt = Annotated[Path, typer.Option("--out", "-o", metavar="DIR", show_default=False, help="The folder to write "
                                      "into (required; made if missing); files already there are refused without "
                                      "--force.")]
ExportOpt = Annotated[Optional[list[Export]], typer.Option(
    "--export", case_sensitive=False, help="Also write a platform's import file into DIR (repeat for several): "
    "moodle (Moodle XML, Cloze), gift, qti (Canvas QTI 1.2 zip), prairielearn (a question folder), gradescope "
    "(an autograder zip).")]


@command("Exercise variants for a class, with solutions and LMS exports.")
def exercise(
    config: ConfigArg = None,
    out: OutOpt = ...,
    variants: Annotated[Optional[int], typer.Option("--variants", "-n", min=1, max=10_000, metavar="N",
                        help="How many variants (default 1; with --roster one per student).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, metavar="S", help="The draw's seed: the same seed, "
                    "the same files, byte for byte.")] = 0,
    roster: Annotated[Optional[Path], typer.Option("--roster", metavar="CSV", help="One variant per student: a "
                      "CSV with a header; its id column (id, student_id, sid, username, login or email, else "
                      "the first) names each student's variant.")] = None,
    decimals: Annotated[int, typer.Option("--decimals", "-d", min=0, max=6, metavar="D", help="Decimals of the "
                        "drawn inputs, weights and targets (from 2 on, the last digit 0 or 5).")] = 2,
    answer_decimals: Annotated[int, typer.Option("--answer-decimals", min=1, max=10, metavar="K", help="Decimals "
                               "the answers are worked to: the solutions', and every mistake must differ from "
                               "the right answer and from the others at K decimals.")] = 4,
    export: ExportOpt = None,
    mistake_credit: Annotated[float, typer.Option("--mistake-credit", min=0, max=100, metavar="PCT",
                              help="Credit (percent) in the exports for an error of its own that a common "
                              "mistake explains.")] = 50,
    ecf_credit: Annotated[float, typer.Option("--ecf-credit", min=0, max=100, metavar="PCT", help="Credit "
                          "(percent) for a value carried forward correctly from an earlier error.")] = 100,
    force: Annotated[bool, typer.Option("--force", help="Replace files already in DIR.")] = False,
    quiet: QuietOpt = False,
    no_color: PlainNoColorOpt = False,
    set_: SetOpt = None,
    debug: DebugOpt = False,
    example: ExampleOpt = None,
) -> None:
    """Draw variants of the template's numbers (its layers, activations, loss and optimizer kept), each with
    no dead or saturated neuron, a loss that falls after the step and every common mistake telling apart
    from the right answer and the others at K decimals; write per variant the spec, the blank exercise
    and the solution (Markdown, LaTeX, HTML, plain text), the HTML quiz and the answers file, an index,
    and the exports."""
    from ..classroom.exports import Credits, slug

    template = read_spec(config, example, quiet, set_)
    ids, students, columns = _students(roster, variants)
    count = len(ids) if ids else (variants or 1)
    kinds = list(dict.fromkeys(e.value for e in export or []))
    name = slug(template.name or Path(template.source).stem)
    names = ids or [f"v{k + 1:03d}" for k in range(count)]  # the variants' folders, as generate names them
    targets = _targets(out, names, kinds, name, force, template.source)
    from ..classroom.variants import generate

    made = generate(template, count, seed, decimals, answer_decimals, ids or None, students or None,
                    _progress(count, quiet))
    files = _documents(made, columns)
    if kinds:
        files.update(_exports(made, kinds, name, Credits(mistake_credit / 100, ecf_credit / 100)))
    _write(targets, files)
    if not quiet:
        err(f"backcalc: wrote {count} variant{'s' * (count != 1)} of {template.source} into {out}/ "
            f"(seed {seed}; {made.draws} drawn, {made.draws - count} refused)"
            + (f"; exports: {', '.join(kinds)}" if kinds else ""))
    typer.echo(str(out / "index.md"))


def _progress(count: int, quiet: bool):
    """On a terminal, a line counting the variants found (200 students take minutes)."""
    import sys

    if quiet or not sys.stderr.isatty():
        return None

    def show(found: int, draws: int) -> None:
        sys.stderr.write(f"\rbackcalc: {found} of {count} variants ({draws} drawn)"
                         + ("\r\033[K" if found == count else ""))
        sys.stderr.flush()

    return show


def _students(roster: Optional[Path], variants: Optional[int]):
    if roster is None:
        return [], [], []
    from ..classroom.roster import read_roster

    columns, ids, students = read_roster(str(roster))
    if variants is not None and variants != len(ids):
        raise UsageError(f"--variants {variants} and --roster {roster} ({len(ids)} students) disagree; "
                         "give one of them")
    return ids, students, columns


def _targets(out: Path, names: list[str], kinds: list[str], name: str, force: bool, source: str) -> dict:
    """Every file to write, checked before any work (none already there without --force); folders not
    there yet are made only when the files are written, so a refusal leaves nothing behind."""
    import os

    from ..atomic import check_target
    from ..render.exercise import variant_file_names

    paths = ["index.md", "index.csv", "answer_key.json"] + [f"{v}/{f}" for v in names for f in variant_file_names()]
    for kind in kinds:
        paths += {"moodle": ["moodle.xml"], "gift": ["gift.txt"], "qti": ["qti.zip"],
                  "prairielearn": [f"prairielearn/{name}/{f}" for f in ("info.json", "question.html", "server.py")],
                  "gradescope": ["gradescope/autograder.zip"]}[kind]
    targets = {}
    for rel in paths:
        path = out / rel
        if path.parent.is_dir():
            targets[rel] = check_target(path, "--out", force, source)
            continue
        above = next(p for p in path.parents if p.exists() or p == Path(p.anchor) or str(p) == ".")
        if not above.is_dir() or not os.access(above, os.W_OK | os.X_OK):
            raise UsageError(f"--out {out}: cannot make {path.parent} ({above} is not a writable folder)")
        targets[rel] = path
    return targets


def _documents(made, columns: list[str]) -> dict[str, bytes]:
    import json

    from ..api import step
    from ..classroom.given import variant_data
    from ..numerics import quiet as quiet_numpy
    from ..render.exercise import index_files, variant_files
    from ..render.streams import printable

    files = {}
    for v in made.variants:
        with quiet_numpy():
            result = step(v.spec)
        for name, text in variant_files(v, result, made.answer_decimals).items():
            files[f"{v.id}/{name}"] = printable(text).encode("utf-8")
    for name, text in index_files(made, columns).items():
        files[name] = text.encode("utf-8")
    key = {"template": made.template, "seed": made.seed, "decimals": made.decimals,
           "answer_decimals": made.answer_decimals, "variants": [variant_data(v) for v in made.variants]}
    files["answer_key.json"] = (json.dumps(key, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    return files


def _exports(made, kinds: list[str], name: str, credits) -> dict[str, bytes]:
    from ..classroom.exports import export, shared_data
    from ..classroom.given import variant_data

    data = [variant_data(v) for v in made.variants]
    specs = [v.spec for v in made.variants]
    files = {}
    for kind in kinds:
        files.update(export(kind, name, made.seed, shared_data(kind, data), specs, made.answer_decimals, credits))
    return files


def _write(targets: dict, files: dict[str, bytes]) -> None:
    from ..atomic import check_target, write_file
    from .outputs import report_failed_writes, try_write

    failed: list = []
    for rel, target in targets.items():
        if isinstance(target, Path):  # its folder is made now, the work done
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise UsageError(f"--out: cannot make {target.parent} ({e.strerror or e})") from None
            target = check_target(target, "--out", force=False)
        try_write(failed, write_file, target, files[rel])
    report_failed_writes(failed)
