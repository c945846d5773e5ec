"""Dump the output of every command on every bundled config and on random specs; compare two dumps.

The safety net around a refactor of the numeric core (docs/safety-net.md):

    python tools/dump_outputs.py OUTDIR                 # before: one file per (spec, case)
    python tools/dump_outputs.py OUTDIR2                # after
    python tools/dump_outputs.py --compare OUTDIR OUTDIR2 [--tolerate-ulps N]

Every case runs in-process through the entry point's dispatch (`app_for`, as tests/conftest.py's
`cli` does) at COLUMNS=80 with colour off, from a scratch folder holding a copy of configs/ and
the random specs, so every path in the output is relative and the same on every run. A case's
file holds its command line, exit code, stdout, stderr and any file it wrote.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import hashlib
import json
import math
import os
import re
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
ANSWERS = CONFIGS / "answers"
DEFAULT_OUT = "dumps"  # `make dump` without OUT=; in .gitignore
DEFAULT_RANDOM = 300
DEFAULT_SEED = 14  # issue 14, the redesign this net is for
ENV = {"COLUMNS": "80", "LINES": "25", "NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb"}
MANIFEST = "MANIFEST.txt"
PNG = b"\x89PNG\r\n\x1a\n"

sys.path.insert(0, str(ROOT / "tests"))


# ---------------------------------------------------------------------------------------------
# The cases. `{spec}` is the spec's relative path, `{answers}` an answers file, `{inputs}` one
# sample of zeros as wide as the spec's input. A case names the files it writes (their contents
# go into the dump); `stdin` feeds the spec (or answers) text on standard input.


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    writes: tuple[str, ...] = ()
    stdin: str | None = None  # "spec" or "answers"
    configs_only: bool = False  # cases that only re-render the same data run on the bundled configs only
    existing: tuple[str, ...] = ()  # files there before the case runs (an OLD_FILE, or xor's spec)
    writes_under: tuple[str, ...] = ()  # folders whose every file the case writes (`exercise --out`)


OLD_FILE = "an existing file\n"


def _c(name: str, line: str, writes: tuple[str, ...] = (), stdin: str | None = None,
       configs_only: bool = False, existing: tuple[str, ...] = (), writes_under: tuple[str, ...] = ()) -> Case:
    return Case(name, tuple(line.split()), writes, stdin, configs_only, existing, writes_under)


SPEC_CASES = [
    _c("step.table", "step {spec}"),
    _c("step.json", "step {spec} --json"),
    _c("step.format-json", "step {spec} --format json", configs_only=True),
    _c("step.markdown", "step {spec} --format markdown"),
    _c("step.latex", "step {spec} -f latex"),
    _c("step.blank-markdown", "step {spec} --format markdown --blank --solution solution.md", ("solution.md",)),
    _c("step.blank-latex", "step {spec} --format latex --blank"),
    _c("step.html", "step {spec} --format html"),
    _c("step.blank-html", "step {spec} -f html --blank", configs_only=True),
    # the quiz's grading data recomputes the step once per quantity: the bundled configs only
    _c("step.quiz-html", "step {spec} -f html --quiz -o page.html", ("page.html",), configs_only=True),
    _c("step.quiz-output-exists", "step {spec} -f html --quiz --output page.html", ("page.html",),
       configs_only=True, existing=("page.html",)),
    _c("step.exact", "step {spec} --exact", configs_only=True),
    _c("step.exact-json", "step {spec} --exact --json"),
    _c("step.exact-markdown", "step {spec} --exact --format markdown"),
    _c("step.exact-latex", "step {spec} --exact --format latex", configs_only=True),
    _c("step.round2", "step {spec} --round 2", configs_only=True),
    _c("step.round2-json", "step {spec} --round 2 --json"),
    _c("step.round2-markdown", "step {spec} --round 2 --format markdown"),
    _c("step.round2-latex", "step {spec} --round 2 --format latex", configs_only=True),
    _c("step.per-sample", "step {spec} --per-sample", configs_only=True),
    _c("step.per-sample-json", "step {spec} --per-sample --json"),
    _c("step.per-sample-round2", "step {spec} --per-sample --round 2"),
    _c("step.per-sample-markdown", "step {spec} --per-sample --format markdown", configs_only=True),
    _c("step.per-sample-round3-latex", "step {spec} --per-sample --round 3 --format latex"),
    _c("step.digits8-full", "step {spec} --digits 8 --full", configs_only=True),
    _c("step.quiet", "step {spec} --quiet --no-color", configs_only=True),
    _c("step.set", "step {spec} --set learning_rate=0.5 --json", configs_only=True),
    _c("step.stdin", "step - --json", stdin="spec"),
    _c("train.default", "train {spec}", configs_only=True),
    _c("train.e1", "train {spec} -e 1", configs_only=True),
    _c("train.e7-every3", "train {spec} --epochs 7 --every 3"),
    _c("train.e250-every50", "train {spec} -e 250 --every 50 --digits 8"),
    _c("train.json-default", "train {spec} --json"),
    _c("train.json-e1", "train {spec} --json -e 1"),
    _c("train.json-e7-every3", "train {spec} --json -e 7 --every 3"),
    _c("train.json-e250-every50", "train {spec} --json -e 250 --every 50"),
    _c("train.exact-e3", "train {spec} --exact -e 3 --json"),
    _c("train.full", "train {spec} -e 3 --full --quiet --no-color --set learning_rate=0.05", configs_only=True),
    _c("train.emit-spec", "train {spec} -e 5 --emit-spec"),
    _c("train.emit-spec-quiet", "train {spec} -e 5 --emit-spec -q", configs_only=True),
    _c("train.save", "train {spec} -e 5 --save saved.yaml", ("saved.yaml",)),
    _c("train.plot", "train {spec} -e 20 --plot loss.png", ("loss.png",), configs_only=True),
    # A file in the way: refused without --force, replaced with it.
    _c("train.save-exists", "train {spec} -e 2 --save saved.yaml", ("saved.yaml",), configs_only=True,
       existing=("saved.yaml",)),
    _c("train.save-force", "train {spec} -e 2 --save saved.yaml --force", ("saved.yaml",), configs_only=True,
       existing=("saved.yaml",)),
    _c("train.plot-force", "train {spec} -e 2 --plot loss.png --force -q", ("loss.png",), configs_only=True,
       existing=("loss.png",)),
    _c("step.solution-exists", "step {spec} -f latex --blank --solution solution.tex", ("solution.tex",),
       configs_only=True, existing=("solution.tex",)),
    _c("step.solution-force", "step {spec} -f latex --blank --solution solution.tex --force", ("solution.tex",),
       configs_only=True, existing=("solution.tex",)),
    _c("forward.table", "forward {spec}"),
    _c("forward.json", "forward {spec} --json"),
    _c("forward.digits8-full", "forward {spec} --digits 8 --full -q --no-color", configs_only=True),
    _c("forward.inputs", "forward {spec} --inputs {inputs} --json --set learning_rate=0.5"),
    _c("graph.dot", "graph {spec}"),
    _c("graph.mermaid", "graph {spec} --format mermaid", configs_only=True),
    _c("graph.dot-sample2", "graph {spec} -f dot --sample 2 --digits 3 -q --no-color --set learning_rate=0.5",
       configs_only=True),
    _c("graph.mermaid-sample2", "graph {spec} --format mermaid --sample 2"),
    _c("graph.full", "graph {spec} --full", configs_only=True),
    _c("gradcheck.table", "gradcheck {spec} --no-torch"),
    _c("gradcheck.json", "gradcheck {spec} --no-torch --json"),
    _c("gradcheck.sampled", "gradcheck {spec} --no-torch --max-params 3 --eps 1e-4 --tol 1e-3 --digits 8 "
                            "-q --no-color --set learning_rate=0.5"),
    # The bundled examples by name (configs only: each config is one).
    _c("step.example", "step --example {example} --json", configs_only=True),
    _c("train.example", "train --example {example} -e 3 --json", configs_only=True),
    _c("forward.example", "forward --example {example} --json", configs_only=True),
    _c("graph.example", "graph --example {example} --format mermaid", configs_only=True),
    _c("gradcheck.example", "gradcheck --example {example} --no-torch --json", configs_only=True),
]

# One set per answers file of the spec (configs/answers/NAME*.yaml goes with configs/NAME.yaml).
CHECK_CASES = [
    _c("check.{a}.table", "check {spec} --answers {answers}"),
    _c("check.{a}.json", "check {spec} -a {answers} --json"),
    _c("check.{a}.round2", "check {spec} --answers {answers} --round 2 --digits 8 -q --no-color"),
    _c("check.{a}.round2-json", "check {spec} --answers {answers} --round 2 --json --set learning_rate=0.5"),
    _c("check.{a}.stdin", "check {spec} --answers - --json", stdin="answers"),
    _c("check.{a}.example", "check --example {example} --answers {answers} --json"),
    _c("check.{a}.conventions", "check {spec} --answers {answers} --conventions"),
    _c("check.{a}.conventions-json", "check {spec} -a {answers} --conventions --json"),
]

# Cases that read no spec file (or the embedded default / ./backcalc.yaml).
GLOBAL_CASES = [
    _c("help", "--help"),
    _c("version", "--version"),
    _c("examples.list", "examples"),
    _c("examples.json", "examples --json -q --no-color"),
    _c("check.answers-example", "check --example sigmoid_seed --answers-example sigmoid_seed"),
    # A class (configs/class/): a folder of answers files, a roster, the mistakes plot.
    _c("check.class", "check configs/sigmoid_seed.yaml --answers configs/class/sigmoid_seed/"),
    _c("check.class-json", "check configs/sigmoid_seed.yaml --answers configs/class/sigmoid_seed --json --round 5"),
    _c("check.roster", "check --roster configs/class/roster.csv --conventions --json"),
    _c("check.class-plot", "check configs/sigmoid_seed.yaml --answers configs/class/sigmoid_seed --plot mistakes.png "
                           "--force -q", ("mistakes.png",), existing=("mistakes.png",)),
    _c("examples.answers", "examples sigmoid_seed --answers"),
    _c("docs.list", "docs"),
    _c("docs.check", "docs check --quiet --no-color"),
    _c("schema", "schema"),
    _c("schema.flags", "schema --quiet --no-color"),
    _c("init.stdout", "init -"),
    _c("init.file", "init", ("backcalc.yaml",)),
    _c("init.force", "init new.yaml --example xor --force -q --no-color", ("new.yaml",), existing=("new.yaml",)),
    _c("init.exists", "init", ("backcalc.yaml",), existing=("backcalc.yaml",)),
    _c("default.step-local", "step --json", ("backcalc.yaml",), existing=("backcalc.yaml",)),  # ./backcalc.yaml
    _c("default.step", "step"),
    _c("default.train", "train -e 3"),
    _c("default.forward", "forward"),
    _c("default.graph", "graph"),
    _c("default.gradcheck", "gradcheck --no-torch"),
    # `exercise` writes a folder (zips are binary, so the exports' text files stand for them)
    _c("exercise.variants", "exercise --example sigmoid_seed -n 2 --seed 1 --out ex --decimals 2 "
                            "--answer-decimals 4", writes_under=("ex/",)),
    _c("exercise.exports", "exercise --example sigmoid_seed --seed 2 -o ex --export moodle --export gift "
                           "--export prairielearn --mistake-credit 40 --ecf-credit 90 -q --no-color",
       writes_under=("ex/",)),
    _c("exercise.exists", "exercise --example sigmoid_seed --out ex", writes_under=("ex/",),
       existing=("ex/index.md",)),
    _c("exercise.force", "exercise --example sigmoid_seed --out ex --force --set learning_rate=0.25",
       writes_under=("ex/",), existing=("ex/index.md",)),
    _c("exercise.roster-missing", "exercise --example sigmoid_seed --roster students.csv --out ex",
       writes_under=("ex/",)),
    _c("error.json-and-latex", "step --json --format latex"),
    _c("error.unknown-option", "step --no-such-option"),
]
# Help and per-example cases are added from the commands and examples found at run time.

EXCLUDED_OPTIONS = {"--debug", "--install-completion", "--show-completion"}  # hidden, or about the shell


# ---------------------------------------------------------------------------------------------
# Running


@functools.cache
def _commands() -> dict[str, list[list[str]]]:
    """Every command of `backcalc` and the option strings of each of its parameters."""
    import typer.main

    from backcalc.cli import app

    group = typer.main.get_command(app)
    out = {"": [list(p.opts) + list(p.secondary_opts) for p in group.params]}
    for name, cmd in group.commands.items():
        out[name] = [list(p.opts) + list(p.secondary_opts) for p in cmd.params
                     if p.param_type_name == "option"]
    return out


def uncovered_options() -> list[str]:
    """`command --option` pairs that no case exercises (EXCLUDED_OPTIONS aside)."""
    used: dict[str, set[str]] = {}
    for case in SPEC_CASES + CHECK_CASES + GLOBAL_CASES:
        command = case.args[0] if not case.args[0].startswith("-") else ""
        used.setdefault(command, set()).update(a for a in case.args if a.startswith("-"))
    for command in _commands():  # the per-command --help cases
        used.setdefault(command, set()).add("--help")
    missing = []
    for command, params in _commands().items():
        for opts in params:
            if not set(opts) & (used.get(command, set()) | EXCLUDED_OPTIONS):
                missing.append(f"{command or 'backcalc'} {opts[0]}".strip())
    return missing


def _global_cases() -> list[Case]:
    from backcalc import bundled

    cases = list(GLOBAL_CASES)
    cases += [Case(f"help.{c}", (c, "--help")) for c in _commands() if c]
    for name in bundled.names():
        cases += [Case(f"examples.{name}", ("examples", name)),
                  Case(f"init.{name}", ("init", "-", "--example", name))]
    return cases


def _answers_for(stem: str) -> list[Path]:
    """configs/answers/ files for configs/STEM.yaml: STEM.yaml, or STEM_*.yaml when no config is named so."""
    configs = {p.stem for p in CONFIGS.glob("*.yaml")}
    out = []
    for p in sorted(ANSWERS.glob("*.yaml")):
        owner = max((c for c in configs if p.stem == c or p.stem.startswith(c + "_")), key=len, default=None)
        if owner == stem:
            out.append(p)
    return out


@dataclass
class SpecJob:
    ident: str  # the dump folder's name
    path: str  # relative to the scratch folder
    text: str
    is_config: bool


def _jobs(config_names: list[str] | None, n_random: int, seed: int) -> list[SpecJob]:
    from random_specs import random_spec

    paths = sorted(CONFIGS.glob("*.yaml"))
    if config_names is not None:
        paths = [p for p in paths if p.stem in config_names]
        unknown = set(config_names) - {p.stem for p in paths}
        if unknown:
            raise SystemExit(f"dump_outputs: no such config: {', '.join(sorted(unknown))}")
    jobs = [SpecJob(p.stem, f"configs/{p.name}", p.read_text(encoding="utf-8"), True) for p in paths]
    for i in range(n_random):
        # Wider and longer specs now and then; the generator's defaults otherwise.
        text = random_spec(seed * 100_000 + i, max_width=3 + (i % 5 == 4) * 2, max_samples=5 + (i % 7 == 6) * 7)
        if i % 4 == 3:
            text = _rational(text)
        jobs.append(SpecJob(f"random-{i:04d}", f"random/{i:04d}.yaml", text, False))
    return jobs + _circuit_jobs(seed) if config_names is None else jobs


# Circuits (docs/circuits.md): random expression graphs as tests/circuit makes them, and bad ones.
CIRCUITS_RANDOM = 20
BAD_CIRCUITS = ["values: {x: 1, y: 2}\nexpression: x ^ y\n",
                "values: {x: 1, y: 2}\ndefine:\n  - q: x + y\n  - f: q * zz\n",
                "values: {x: -1, y: 2}\nexpression: y + log(x)\n"]


def _circuit_jobs(seed: int) -> list[SpecJob]:
    sys.path.insert(0, str(ROOT / "tests" / "circuit"))
    from random_circuits import circuit, spec_text

    jobs = [SpecJob(f"circuit-{i:04d}", f"random/circuit-{i:04d}.yaml", spec_text(*circuit(seed * 1000 + i)), False)
            for i in range(CIRCUITS_RANDOM)]
    return jobs + [SpecJob(f"circuit-bad-{i}", f"random/circuit-bad-{i}.yaml", text, False)
                   for i, text in enumerate(BAD_CIRCUITS)]


# Every fourth random spec made one that --exact accepts (rational activations, a polynomial loss).
RATIONAL = {"sigmoid": "identity", "tanh": "relu", "softmax": "identity"}


def _rational(text: str) -> str:
    spec = json.loads(text)
    for layer in spec["layers"]:
        layer["activation"] = RATIONAL.get(layer["activation"], layer["activation"])
    if spec["loss"] in ("bce", "cross_entropy"):
        spec["loss"] = "half_squared_error"
    return json.dumps(spec)


def _version_text() -> str:
    from backcalc import __version__

    return f"backcalc {__version__}"


def _memoise_get_command() -> None:
    """Build each command's click object once: typer's CliRunner rebuilds it on every call (~7 ms,
    a quarter of a small step), always the same for the same dispatch."""
    import typer.testing

    build = typer.testing._get_command
    if getattr(build, "memoised", False):
        return
    built: dict = {}

    def get_command(app):
        key = tuple(c.callback for c in app.registered_commands)
        if key not in built:
            built[key] = build(app)
        return built[key]

    get_command.memoised = True
    typer.testing._get_command = get_command


class Runner:
    """Runs cases in-process from a scratch folder and writes one dump file per case."""

    def __init__(self, work: Path, out: Path):
        self.work = work  # holds configs/ and random/
        self.out = out
        self.home = os.getcwd()
        self.scratch = work / f"scratch-{os.getpid()}"
        self.scratch.mkdir()
        _memoise_get_command()
        for name in ("configs", "random"):
            (self.scratch / name).symlink_to(work / name)

    def run(self, folder: str, case: Case, subst: dict[str, str], stdin_text: str | None) -> str:
        from typer.testing import CliRunner

        from backcalc.cli import app_for

        args = [a.format(**subst) for a in case.args]
        for name in case.existing:  # ./backcalc.yaml is read as a spec; any other file is only in the way
            text = (CONFIGS / "xor.yaml").read_text(encoding="utf-8") if name == "backcalc.yaml" else OLD_FILE
            (self.scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (self.scratch / name).write_text(text, encoding="utf-8")
        os.chdir(self.scratch)
        try:
            result = CliRunner().invoke(app_for(args), args, input=stdin_text, env=ENV)
            parts = [f"$ backcalc {' '.join(args)}\n".encode(), f"exit: {result.exit_code}\n".encode()]
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                error = f"exception: {type(result.exception).__name__}: {result.exception}\n"
                parts.append(self._normal(error.encode()))
            parts += [_section("stdout", self._normal(result.stdout_bytes)),
                      _section("stderr", self._normal(result.stderr_bytes))]
            for name in _written(self.scratch):
                data = (self.scratch / name).read_bytes()
                expected = "" if name in case.writes or name.startswith(case.writes_under) else " UNEXPECTED"
                if name.endswith(".png"):
                    sha = hashlib.sha256(data).hexdigest()
                    digest = f"{len(data)} bytes, png: {data.startswith(PNG)}, sha256 {sha}\n"
                    parts.append(_section(f"file {name}{expected}", digest.encode()))
                else:
                    parts.append(_section(f"file {name}{expected}", self._normal(data)))
        finally:
            os.chdir(self.home)
            for p in self.scratch.iterdir():
                if p.name not in ("configs", "random"):
                    shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        target = self.out / folder / f"{case.name.format(**subst)}.txt"
        target.write_bytes(b"".join(parts))
        return f"{folder}/{target.name}\t{result.exit_code}\t{' '.join(args)}"

    def _normal(self, data: bytes) -> bytes:
        """The same bytes on every run: no scratch or repository path, no version number."""
        for path, name in ((str(self.scratch), "<scratch>"), (str(self.work), "<work>"), (str(ROOT), "<repo>")):
            data = data.replace(path.encode(), name.encode())
        return data.replace(_version_text().encode(), b"backcalc <version>")


def _written(scratch: Path) -> list[str]:
    """The files a case left in the scratch folder (a folder's files by their paths, as `exercise --out` writes)."""
    out = []
    for p in sorted(scratch.iterdir()):
        if p.name in ("configs", "random"):
            continue
        if p.is_dir() and not p.is_symlink():
            out += [str(f.relative_to(scratch)) for f in sorted(p.rglob("*")) if f.is_file()]
        else:
            out.append(p.name)
    return out


def _section(title: str, data: bytes) -> bytes:
    return f"--- {title} ({len(data)} bytes)\n".encode() + data + b"\n"


def _spec_cases(job: SpecJob) -> list[tuple[Case, dict[str, str]]]:
    n_in = _input_width(job)
    subst = {"spec": job.path, "inputs": json.dumps([[0.5 * (i + 1) for i in range(n_in)]]).replace(" ", ""),
             "example": job.ident}
    out = []
    for case in SPEC_CASES:
        if case.configs_only and not job.is_config:
            continue
        out.append((case, subst))
    if job.is_config:
        for answers in _answers_for(job.ident):
            s = {**subst, "answers": f"configs/answers/{answers.name}", "a": answers.stem}
            out += [(case, s) for case in CHECK_CASES]
    return out


def _input_width(job: SpecJob) -> int:
    from backcalc import parse_spec

    try:
        return parse_spec(job.text, job.path).inputs.shape[1]
    except Exception:  # a spec that does not load: its cases dump the error; any width will do
        return 1


_RUNNER: Runner | None = None


def _init_worker(work: str, out: str) -> None:
    global _RUNNER
    _RUNNER = Runner(Path(work), Path(out))


def _run_job(job: SpecJob) -> list[str]:
    assert _RUNNER is not None
    (_RUNNER.out / job.ident).mkdir()
    lines = []
    for case, subst in _spec_cases(job):
        stdin = None
        if case.stdin == "spec":
            stdin = job.text
        elif case.stdin == "answers":
            stdin = (ROOT / subst["answers"]).read_text(encoding="utf-8")
        lines.append(_RUNNER.run(job.ident, case, subst, stdin))
    if not job.is_config:
        (_RUNNER.out / job.ident / "spec.yaml").write_text(job.text + "\n", encoding="utf-8")
    return lines


def _run_global() -> list[str]:
    assert _RUNNER is not None
    (_RUNNER.out / "_global").mkdir()
    lines = []
    for case in _global_cases():
        lines.append(_RUNNER.run("_global", case, {}, None))
    return lines


def _warm_up() -> None:
    """Import once, before the workers fork, what the cases import. Matplotlib builds its font cache
    on its first import in a fresh home folder and says so on stderr: here, not in one case's dump."""
    import contextlib
    import io

    import backcalc.cli  # noqa: F401

    with contextlib.redirect_stderr(io.StringIO()), contextlib.suppress(ImportError):
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import matplotlib.font_manager  # noqa: F401


def dump(out: Path, config_names: list[str] | None = None, n_random: int = DEFAULT_RANDOM,
         seed: int = DEFAULT_SEED, jobs: int = 2) -> int:
    """Write the dump into `out` (created; must not hold a dump already). Returns the number of files."""
    import multiprocessing

    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"dump_outputs: {out} is not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    specs = _jobs(config_names, n_random, seed)
    _warm_up()
    with tempfile.TemporaryDirectory(prefix="backcalc-dump-") as tmp:
        work = Path(tmp)
        shutil.copytree(CONFIGS, work / "configs")
        (work / "random").mkdir()
        for job in specs:
            if not job.is_config:
                (work / job.path).write_text(job.text, encoding="utf-8")
        if jobs > 1:
            # fork: the workers share the imported backcalc; each takes whole specs, round robin.
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs, _init_worker, (str(work), str(out))) as pool:
                pending = pool.apply_async(_run_global)
                results = pool.map(_run_job, specs, chunksize=1)
                lines = pending.get() + [line for r in results for line in r]
        else:
            _init_worker(str(work), str(out))
            lines = _run_global() + [line for job in specs for line in _run_job(job)]
    missing = uncovered_options()
    header = [f"# backcalc output dump: {len(specs)} specs ({sum(j.is_config for j in specs)} configs, "
              f"{n_random} random, seed {seed}); file, exit code, command line"]
    if missing:
        header.append(f"# options no case exercises: {', '.join(missing)}")
    (out / MANIFEST).write_text("\n".join(header + sorted(lines)) + "\n", encoding="utf-8")
    return len(lines)


# ---------------------------------------------------------------------------------------------
# Comparing


def parse_dump_file(data: bytes) -> dict[str, bytes]:
    """A dump file's parts: 'head' (command line, exit code) and each `--- title (N bytes)` section."""
    parts: dict[str, bytes] = {}
    pos = data.find(b"\n--- ") + 1 if not data.startswith(b"--- ") else 0
    parts["head"] = data[:pos]
    while pos < len(data):
        end = data.index(b"\n", pos)
        line = data[pos:end].decode()
        title, _, size = line[4:].rpartition(" (")
        n = int(size.split()[0])
        parts[title] = data[end + 1:end + 1 + n]
        pos = end + 1 + n + 1
    return parts


def format_dump_file(parts: dict[str, bytes]) -> bytes:
    """The inverse of parse_dump_file."""
    return parts["head"] + b"".join(_section(title, data) for title, data in parts.items() if title != "head")


def _json_values(text: bytes):
    """The JSON document, or the list of JSON Lines, in `text`; None if it is neither."""
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    try:
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        return None
    return lines or None


def _ordered(x: float) -> int:
    """`x`'s position on the line of doubles (adjacent doubles differ by 1)."""
    i = struct.unpack("<q", struct.pack("<d", x))[0]
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def ulps(a: float, b: float) -> float:
    """How many doubles apart `a` and `b` are (inf for a NaN or an infinity that differ)."""
    if a == b:
        return 0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(_ordered(a) - _ordered(b))


def _rel(a: float, b: float) -> float:
    if a == b:
        return 0.0
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if math.isfinite(a - b) and scale > 0 else math.inf


@dataclass
class NumberDiff:
    count: int = 0  # numbers that differ
    max_ulps: float = 0  # inf: an integer differs, or a number's form (1 against 1.0)
    max_rel: float = 0
    where: str = ""  # where the largest relative difference is


def compare_json(a, b, path: str = "$", acc: NumberDiff | None = None) -> NumberDiff:
    """The numbers of two JSON values compared where their structures agree."""
    acc = acc or NumberDiff()
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool):
        if a != b or type(a) is not type(b):
            acc.count += 1
            both_float = isinstance(a, float) and isinstance(b, float)
            acc.max_ulps = max(acc.max_ulps, ulps(a, b) if both_float else math.inf)
            rel = _rel(float(a), float(b))
            if rel >= acc.max_rel:
                acc.max_rel, acc.where = rel, path
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k in b:
                compare_json(a[k], b[k], f"{path}.{k}", acc)
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            compare_json(x, y, f"{path}[{i}]", acc)
    return acc


# A number as written in JSON, YAML or a table (a sign written `−` stays in the text around it).
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def number_diff(da: bytes, db: bytes) -> NumberDiff | None:
    """How two dump files' numbers differ, or None when they differ in more than their numbers.

    Part by part (so the byte counts of the section headers are not compared), the text around the
    numbers must be identical and the numbers pair up; integers must be equal. Only a number printed
    in full precision can be a few ulps from another: two rounded table entries that differ are
    billions of ulps apart."""
    pa, pb = _parts(da), _parts(db)
    if list(pa) != list(pb):
        return None
    acc = NumberDiff()
    for part in pa:
        a, b = pa[part], pb[part]
        if a == b:
            continue
        if NUMBER.split(a) != NUMBER.split(b):
            return None
        for ma, mb in zip(NUMBER.finditer(a), NUMBER.finditer(b)):
            x, y = ma.group(), mb.group()
            if x == y:
                continue
            acc.count += 1
            is_float = [any(c in t for c in b".eE") for t in (x, y)]
            acc.max_ulps = max(acc.max_ulps, ulps(float(x), float(y)) if all(is_float) else math.inf)
            rel = _rel(float(x), float(y))
            if rel >= acc.max_rel:
                line = a.count(b"\n", 0, ma.start()) + 1
                acc.max_rel, acc.where = rel, f"{part} line {line}"
    return acc


def _parts(data: bytes) -> dict[str, bytes]:
    """A case's file in its parts; any other file (a random spec, the manifest) as one part."""
    return parse_dump_file(data) if data.startswith(b"$ backcalc") else {"text": data}


def _json_diff(da: bytes, db: bytes) -> NumberDiff | None:
    """The numbers of the JSON on stdout compared, if both files have JSON there."""
    pa, pb = _parts(da), _parts(db)
    ja, jb = _json_values(pa.get("stdout", b"")), _json_values(pb.get("stdout", b""))
    return compare_json(ja, jb) if ja is not None and jb is not None else None


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def compare(a: Path, b: Path, tolerate_ulps: int = 0, context: int = 2, max_lines: int = 40,
            stream=None) -> int:
    """Print how two dumps differ; 0 if byte-identical (or differing only within `tolerate_ulps`), else 1."""
    stream = stream or sys.stdout
    for folder in (a, b):
        if not (folder / MANIFEST).is_file():  # written last: a dump without it was cut short
            print(f"{folder}: no {MANIFEST}; not a whole dump (interrupted, or not a dump at all)", file=stream)
    fa, fb = _files(a), _files(b)
    only_a, only_b = sorted(fa - fb), sorted(fb - fa)
    differing, tolerated = [], []
    for name in sorted(fa & fb):
        da, db = (a / name).read_bytes(), (b / name).read_bytes()
        if da == db:
            continue
        numbers = number_diff(da, db)
        if numbers is not None and tolerate_ulps and numbers.max_ulps <= tolerate_ulps:
            tolerated.append((name, numbers))
        else:
            differing.append((name, da, db))
    for label, names in ((f"only in {a}", only_a), (f"only in {b}", only_b)):
        for name in names:
            print(f"{label}: {name}", file=stream)
    for name, da, db in differing:
        print(f"differs: {name}", file=stream)
        numbers = _json_diff(da, db)
        if numbers is not None and numbers.count:
            print(f"  JSON: {numbers.count} number(s) differ; the largest relative difference is "
                  f"{numbers.max_rel:.3g}, at {numbers.where}; up to {_ulps_text(numbers.max_ulps)}", file=stream)
        lines = _short_diff(da, db, f"{a}/{name}", f"{b}/{name}", context)
        for line in lines[:max_lines]:
            print(f"  {line}", file=stream)
        if len(lines) > max_lines:
            print(f"  … {len(lines) - max_lines} more diff lines", file=stream)
    for name, numbers in tolerated:
        where = _json_diff((a / name).read_bytes(), (b / name).read_bytes())
        numbers.where = where.where if where is not None and where.count else numbers.where
        print(f"within {tolerate_ulps} ulps: {name}: {numbers.count} number(s), up to "
              f"{_ulps_text(numbers.max_ulps)}; the largest relative difference is {numbers.max_rel:.3g}, at "
              f"{numbers.where}", file=stream)
    n_bad = len(only_a) + len(only_b) + len(differing)
    print(f"{len(fa | fb)} files: {n_bad} differ, {len(tolerated)} within {tolerate_ulps} ulps, "
          f"{len(fa | fb) - n_bad - len(tolerated)} identical", file=stream)
    return 1 if n_bad else 0


def _short_diff(da: bytes, db: bytes, name_a: str, name_b: str, context: int, width: int = 150) -> list[str]:
    """A unified diff whose long lines (one-line JSON) are cut to `width` characters around their first
    difference from the line they replace."""
    lines = list(difflib.unified_diff(da.decode(errors="replace").splitlines(),
                                      db.decode(errors="replace").splitlines(), name_a, name_b, n=context,
                                      lineterm=""))
    removed = [line for line in lines[2:] if line.startswith("-")]
    added = [line for line in lines[2:] if line.startswith("+")]
    first = {}
    for x, y in zip(removed, added):
        col = next((i for i, (c, d) in enumerate(zip(x[1:], y[1:])) if c != d), min(len(x), len(y)) - 1)
        first[x] = first[y] = col
    out = []
    for line in lines:
        if len(line) > width + 1:
            start = max(0, first.get(line, 0) - width // 3)
            body = line[1 + start:1 + start + width]
            line = f"{line[0]}{'…' if start else ''}{body}{'…' if 1 + start + width < len(line) else ''}"
        out.append(line)
    return out


def _ulps_text(n: float) -> str:
    return "more than ulps (an integer, or 1 against 1.0)" if n == math.inf else f"{int(n)} ulp{'s' * (n != 1)}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", nargs="?", help=f"folder to write the dump into (new or empty; default {DEFAULT_OUT})")
    p.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"), help="compare two dumps instead")
    p.add_argument("--tolerate-ulps", type=int, default=0, metavar="N",
                   help="with --compare: JSON numbers within N ulps count as equal (reported apart)")
    p.add_argument("--random", type=int, default=DEFAULT_RANDOM, metavar="N", help="random specs (default %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the random specs (default %(default)s)")
    p.add_argument("--configs", metavar="A,B", help="only these configs/ (names without .yaml)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default %(default)s)")
    ns = p.parse_args(argv)
    if ns.compare:
        return compare(Path(ns.compare[0]), Path(ns.compare[1]), ns.tolerate_ulps)
    start = time.monotonic()
    out = Path(ns.out or DEFAULT_OUT)
    names = ns.configs.split(",") if ns.configs is not None else None
    n = dump(out, [c for c in names if c] if names is not None else None, ns.random, ns.seed, ns.jobs)
    missing = uncovered_options()
    if missing:
        print(f"dump_outputs: no case exercises {', '.join(missing)}; add one to tools/dump_outputs.py",
              file=sys.stderr)
    print(f"dump_outputs: {n} files in {out} in {time.monotonic() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
