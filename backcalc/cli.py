"""The command line: read input, call the library, choose a renderer, map errors to exit codes."""

import enum
import functools
import inspect
import sys
import warnings
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from .errors import BackcalcError, ExitCode, OutputError, UsageError, one_line


class _OneLineErrors(TyperGroup):
    """Command-line usage errors as one clear line (not click's usage block), exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            try:
                rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            finally:
                if sys.stdout is not None:  # what is still buffered fails here, not at the interpreter's exit
                    sys.stdout.flush()
        except typer.TyperException as e:  # click's UsageError, BadParameter, NoSuchOption…
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "backcalc"
            hint = f" (see `{where} --help`)" if ctx is not None else ""
            _err(f"{where}: {e.format_message()}{hint}")
            sys.exit(getattr(e, "exit_code", 2))
        except typer.Abort:
            _err("backcalc: aborted")
            sys.exit(int(ExitCode.INTERRUPTED))
        except BackcalcError as e:  # standard output failed outside a command (--help, --version)
            for line in e.lines():
                _err(line)
            sys.exit(int(e.exit_code))
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="backcalc",
    help="A backpropagation calculator: every partial derivative of a small network, step by step.",
    add_completion=True,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DEFAULT_CONFIG = "backcalc.yaml"

ConfigArg = Annotated[Optional[str], typer.Argument(
    metavar="CONFIG", help="The spec file (YAML); `-` reads standard input. Omitted: ./backcalc.yaml if present, "
         "else the embedded default example.", show_default=False)]
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


class StepFormat(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    latex = "latex"


FormatOpt = Annotated[StepFormat, typer.Option("--format", "-f", case_sensitive=False,
                                               help="table (default), json (= --json), or a "
                                                    "worked solution as markdown or latex.")]
BlankOpt = Annotated[bool, typer.Option("--blank", help="Write the worked solution as an exercise: computed numbers "
                                        "become blanks (with --format markdown|latex).")]
SolutionOpt = Annotated[Optional[Path], typer.Option("--solution", metavar="FILE", help="With --blank: also write "
                                                     "the full solution to FILE (an existing FILE only with --force).",
                                                     show_default=False)]


SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY=VALUE",
    help="Override a spec value before it is checked, e.g. learning_rate=0.1 or layers.0.activation=tanh "
         "(repeatable; the value is YAML).", show_default=False)]
FullOpt = Annotated[bool, typer.Option("--full", help="Show every neuron of wide layers (over 8 neurons) "
                                                      "instead of a summary.")]
RoundOpt = Annotated[Optional[int], typer.Option(
    "--round", min=0, max=12, metavar="N",
    help="Round every intermediate value to N decimals, as by hand, and show where that drifts.")]
PerSampleOpt = Annotated[bool, typer.Option(
    "--per-sample", help="Also show every partial derivative of each sample before the reduction over the batch.")]


def _complete_examples(incomplete: str) -> list[str]:
    """Shell completion of --example NAME: the bundled examples' names."""
    from . import bundled

    return [n for n in bundled.names() if n.startswith(incomplete.replace("-", "_"))]


def _complete_answers(incomplete: str) -> list[str]:
    """Shell completion of --answers-example NAME: the bundled answers files' names."""
    from . import bundled

    return [n for n in bundled.answers_names() if n.startswith(incomplete.replace("-", "_"))]


ExampleOpt = Annotated[Optional[str], typer.Option(
    "--example", metavar="NAME", show_default=False, autocompletion=_complete_examples,
    help="Use a bundled example spec instead of CONFIG (`backcalc examples` lists them).")]

# The --example of the running command, for read_spec (see handle_errors).
_EXAMPLE: ContextVar[Optional[str]] = ContextVar("example", default=None)


def _err(message: str) -> None:
    sys.stderr.write(one_line(message) + "\n")
    sys.stderr.flush()


def handle_errors(fn):
    """Turn every failure into one clear message and an exit code; never a traceback.

    A command with a `config` parameter also gets `--example NAME`, which
    read_spec honours, so every command that reads a spec takes it.
    """
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    adds_example = "config" in names and "example" not in names

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = kwargs.get("debug", False)
        token = _EXAMPLE.set(kwargs.pop("example", None)) if adds_example else None
        try:
            with warnings.catch_warnings():
                # NumPy's overflow warnings: backcalc reports non-finite values itself, naming them.
                warnings.simplefilter("ignore", RuntimeWarning)
                return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BackcalcError as e:
            for line in e.lines():
                _err(line)
            raise typer.Exit(int(e.exit_code)) from None
        except KeyboardInterrupt:
            _err("backcalc: interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as e:  # the last resort: a bug in backcalc
            if debug:
                import traceback

                traceback.print_exc()
            _err(f"backcalc: internal error: {type(e).__name__}: {e}")
            _err("This is a bug in backcalc; please report it with the spec that caused it "
                 "(run again with --debug for the traceback).")
            raise typer.Exit(int(ExitCode.INTERNAL)) from None
        finally:
            if token is not None:
                _EXAMPLE.reset(token)

    if adds_example:
        # typer reads this signature (annotations evaluated, as it would evaluate them itself).
        params = inspect.signature(fn, eval_str=True).parameters
        example = inspect.Parameter("example", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ExampleOpt)
        wrapper.__signature__ = inspect.Signature([*params.values(), example])
        wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}
    return wrapper


def read_spec(config: Optional[str], quiet: bool = False, overrides: Optional[list[str]] = None,
              size_check=None):
    """The spec named on the command line, from stdin, --example, ./backcalc.yaml or the embedded default.

    `overrides` are the `--set KEY=VALUE` options, applied before validation; `size_check` is the
    command's own size limit, checked before the network is built (spec.parse_spec).
    """
    from .spec import load_spec, parse_spec

    example = _EXAMPLE.get()
    if example is not None:
        from . import bundled
        from .errors import UsageError

        if config is not None:
            raise UsageError(f"give CONFIG or --example, not both (got {config!r} and --example {example})")
        return parse_spec(bundled.read(example), bundled.source(example), overrides, size_check=size_check)
    if config == "-":
        return parse_spec(_read_stdin(), "<stdin>", overrides, size_check=size_check)
    if config is None:
        if Path(DEFAULT_CONFIG).is_file():
            if not quiet:
                _err(f"backcalc: using ./{DEFAULT_CONFIG}")
            return load_spec(DEFAULT_CONFIG, overrides, size_check)
        from . import bundled

        if not quiet:
            _err("backcalc: no CONFIG given and no ./backcalc.yaml; using the embedded default "
                 f"example '{bundled.DEFAULT}' (the 2-2-1 sigmoid network of Mazur's worked example)")
        return parse_spec(bundled.read(bundled.DEFAULT), f"<embedded default: {bundled.DEFAULT}>", overrides,
                          size_check=size_check)
    return load_spec(config, overrides, size_check)


def _read_stdin(what: str = "the spec") -> bytes:
    """Standard input, but no more than a spec may hold (plus one byte, so the limit is reported)."""
    from .spec import MAX_BYTES

    if sys.stdin.isatty():  # else a newcomer's `backcalc step -` seems to hang
        _err(f"backcalc: reading {what} from standard input; Ctrl-D to end")
    return sys.stdin.buffer.read(MAX_BYTES + 1)


def _warn(warnings: list[str], quiet: bool) -> None:
    if not quiet:
        for w in warnings:
            _err(f"backcalc: warning: {w}")


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"backcalc {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """A backpropagation calculator: every partial derivative of a small network, step by step."""
    if ctx.invoked_subcommand is None:  # bare `backcalc`: the help, not a usage error
        typer.echo(ctx.get_help())
        raise typer.Exit()


@app.command(short_help='One step, every factor: forward pass, loss, chain rule, update.')
@handle_errors
def step(
    config: ConfigArg = None,
    json: JsonOpt = False,
    format: FormatOpt = StepFormat.table,
    blank: BlankOpt = False,
    solution: SolutionOpt = None,
    exact: ExactOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    full: FullOpt = False,
    round_: RoundOpt = None,
    per_sample: PerSampleOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Let --solution replace an existing file (without it, "
                                        "an existing file is refused before anything is computed).")] = False,
    debug: DebugOpt = False,
) -> None:
    """One forward pass, loss, backward pass and optimizer update on the first batch, every factor shown."""
    from .explain import step as run_step
    from .numerics import quiet as quiet_numpy
    from .numerics import step_warnings

    kind = _step_format(json, format, blank, solution)
    if kind in ("markdown", "latex") and exact and round_ is not None:
        raise UsageError("--exact and --round: a worked solution shows either the exact computation or the one "
                         "rounded by hand; give one of them")
    from .explain import size_limit

    if round_ is not None:  # recomputed number by number in plain Python, like `check`
        from .check import CHECK_LIMIT

        spec = read_spec(config, quiet, set_, size_limit(CHECK_LIMIT, "--round recomputes"))
    else:
        spec = read_spec(config, quiet, set_, size_limit())
    solution_file = _output(solution, "--solution", force, spec)
    with quiet_numpy():
        result = run_step(spec, _network(spec, exact))
    result.warnings += step_warnings(result)
    _warn(result.warnings, quiet)
    if kind in ("markdown", "latex"):
        if round_ is not None:  # the document writes out the computation rounded by hand
            from .hand_step import hand_rounded

            with quiet_numpy():
                result = hand_rounded(spec, result, round_)
            digits = max(digits, round_)
        extras = _step_extras(spec, result, round_, per_sample)
        _warn_not_finite_by_hand(result, extras, round_, quiet)
        _write_solution(result, kind, digits, blank, solution_file, extras)
        return
    extras = _step_extras(spec, result, round_, per_sample)
    _warn_not_finite_by_hand(result, extras, round_, quiet)
    if kind == "json":
        from .render.json import dumps

        typer.echo(dumps({**result.to_dict(), **extras}))
    else:
        from .render.table import print_renderable, step_tables

        print_renderable(step_tables(result, digits, full), no_color)
        if extras:
            print_renderable(_step_extra_tables(extras, digits, result, full), no_color)


@app.command(short_help='Train for N epochs; the loss per epoch and the final parameters.')
@handle_errors
def train(
    ctx: typer.Context,
    config: ConfigArg = None,
    epochs: EpochsOpt = None,
    every: EveryOpt = None,
    exact: ExactOpt = False,
    json: JsonLinesOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    emit_spec: Annotated[bool, typer.Option(
        "--emit-spec", help="Print the trained spec as YAML on stdout (tables go to stderr), "
                            "e.g. to pipe into `backcalc step -`.")] = False,
    plot: Annotated[Optional[str], typer.Option(
        "--plot", metavar="FILE", help="Write the loss curve (mean, min and max per epoch) to an image, "
                                       "e.g. loss.png (an existing FILE only with --force); needs matplotlib: "
                                       "pip install 'backcalc[plot]'.",
        show_default=False)] = None,
    full: FullOpt = False,
    save: Annotated[Optional[str], typer.Option(
        "--save", metavar="OUT.yaml",
        help="Write the trained spec (same format and names) to OUT.yaml, atomically (an existing "
             "OUT.yaml only with --force); on Ctrl-C or SIGTERM the last completed epoch is saved.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --save and --plot replace existing files (without "
                                        "it, an existing file is refused before training starts).")] = False,
    debug: DebugOpt = False,
) -> None:
    """Train for N epochs of the configured batches; report the loss and the final parameters."""
    import time

    from .history import LossHistory
    from .numerics import quiet as quiet_numpy
    from .numerics import train_warnings
    from .render.progress import Terminal, progress_for
    from .save import Interrupts
    from .training import Trainer, shown_epochs

    if json and emit_spec:
        raise UsageError("--json and --emit-spec both write to standard output; choose one")
    spec = read_spec(config, quiet, set_)
    if plot is not None:
        from .render.plot import check_plot_format

        check_plot_format(plot)
    plot_file = _output(plot, "--plot", force, spec)
    save_file = _output(save, "--save", force, spec)
    if plot_file and save_file and Path(plot).resolve() == Path(save).resolve():
        raise UsageError(f"--save and --plot name the same file {save}; give two names")
    n_epochs = epochs or spec.epochs or 100
    trainer = Trainer(spec, _network(spec, exact))
    history = LossHistory()
    term = (ctx.obj or {}).get("terminal") or Terminal.current()
    k = (every or 1) if json else shown_epochs(n_epochs, every)
    shown = []
    if json:
        from .render.json import dumps
    flushed = time.monotonic()
    lost: OutputError | None = None  # standard output failed: stop and save as at Ctrl-C
    with Interrupts() as interrupts, quiet_numpy():
        # Checked after every epoch (the fast paths: every stretch of at most ~0.1 s), so a signal
        # stops the run at the end of the current epoch.
        trainer.should_stop = interrupts.__bool__
        with progress_for(term, n_epochs, json=json, quiet=quiet, no_color=no_color) as bar:
            trainer.on_epoch = _each_epoch(history, bar)  # every epoch's loss: sparkline, --plot, the bar
            try:
                with interrupts.abortable():
                    for record in trainer.run(n_epochs, every=k):
                        if json:
                            if record.epoch % k == 0 or record.epoch == n_epochs:
                                with interrupts.critical():
                                    sys.stdout.write(dumps(record.to_dict()) + "\n")
                                    if time.monotonic() - flushed > 0.1:  # keep a pipe's reader current
                                        sys.stdout.flush()
                                        flushed = time.monotonic()
                        else:
                            shown.append(record)
            except KeyboardInterrupt:  # a second signal in the middle of an epoch
                interrupts.received = interrupts.received or "SIGINT"
            except OutputError as e:  # the reader went away (`| head`), the disk is full
                lost = e
        with interrupts.critical():
            # The last completed epoch: a second signal may have cut the next one short.
            trainer.restore(trainer.last_completed)
            final = trainer.last_completed.record
            if final is not None and not json and (not shown or shown[-1].epoch != final.epoch):
                shown.append(final)  # the last completed epoch, even when stopped early
            result = trainer.result(shown)
            result.warnings += train_warnings(result)
            if lost is not None:
                result.stopped = (f"cannot write to standard output ({lost.reason}) after epoch "
                                  f"{trainer.epochs_done} of {n_epochs}")
            elif interrupts:
                result.stopped = (f"interrupted by {interrupts.received} after epoch {trainer.epochs_done} "
                                  f"of {n_epochs}")
            if result.stopped:
                _err(f"backcalc: {result.stopped}")
            _warn(result.warnings, quiet)
            failed: list = []  # files that could not be written: reported after the results
            if save_file is not None:
                _try_write(failed, _save_trained, spec, trainer, save_file, n_epochs, quiet, result.stopped,
                           bool(interrupts or lost))
            if plot_file is not None and len(history):
                from .atomic import write_file
                from .render.plot import loss_plot_image

                _try_write(failed, write_file, plot_file,
                           loss_plot_image(plot, history, spec.name, result.batches_per_epoch))
            if lost is None:
                _train_report(spec, trainer, result, history, json, emit_spec, quiet, no_color, digits, full,
                              n_epochs, bool(interrupts))
    _report_failed_writes(failed)
    if lost is not None:
        raise typer.Exit(int(lost.exit_code))
    if interrupts:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if result.stopped:
        raise typer.Exit(int(ExitCode.WRONG))


def _each_epoch(history, bar):
    """What runs after every epoch: the loss curve takes its loss, and a progress bar (if shown) too."""
    from .render.progress import NoProgress

    if isinstance(bar, NoProgress):
        return history.add

    def each(epoch: int, loss: float, low: float, high: float) -> None:
        history.add(epoch, loss, low, high)
        bar.update(epoch, loss)

    return each


def _train_report(spec, trainer, result, history, json, emit_spec, quiet, no_color, digits, full,
                  n_epochs: int, interrupted: bool) -> None:
    """Print the training result: JSON, or tables (and the trained spec of the last completed epoch,
    however the run ended, as `--save` writes it)."""
    if json:
        from .render.json import dumps

        sys.stdout.write(dumps(result.to_dict()) + "\n")
        sys.stdout.flush()
    else:
        from .history import sparkline, wants_log_scale
        from .render.numbers import approx
        from .render.table import print_renderable, train_tables

        spark = None
        if len(history):
            curve = history.resampled(SPARK_WIDTH)
            log = wants_log_scale(curve)
            # the first and last epoch's loss, as the table shows them (the curve's points are
            # means of buckets of epochs once there are many)
            first, last = result.history[0].loss, result.history[-1].loss
            spark = (f"{sparkline(curve, log)}  {approx(first, digits)} → {approx(last, digits)}"
                     f"{' (log scale)' if log else ''}")
        if not (emit_spec and quiet):
            print_renderable(train_tables(result, digits, spark, full), no_color, stderr=emit_spec)
        if emit_spec:
            from .save import checkpoint_text

            text, _ = checkpoint_text(spec, trainer, n_epochs, stopped=result.stopped, interrupted=interrupted)
            sys.stdout.write(text)
            sys.stdout.flush()


def _save_trained(spec, trainer, target, n_epochs: int, quiet: bool, stopped, interrupted: bool) -> None:
    """Save the trainer's last completed epoch to `target` (save.save_checkpoint) and say so.

    Every way a run ends comes here: finished, stopped on NaN, interrupted."""
    from .save import save_checkpoint

    epoch = save_checkpoint(target, spec, trainer, n_epochs, stopped=stopped, interrupted=interrupted)
    if not quiet or stopped:
        _err(f"backcalc: saved the parameters after epoch {epoch} to {target.path}")


def _output(path, option: str, force: bool, spec):
    """The checked `atomic.Target` for an output option (None when not given), before any work is done."""
    if path is None:
        return None
    if str(path) == "-":  # `-` is standard input as CONFIG; never a file named `-` by surprise
        instead = {"--save": "--emit-spec", "--solution": "--format"}.get(option)
        hint = f"; to print it on standard output use {instead}" if instead else ""
        raise UsageError(f"{option} -: expected a file name, got `-` (standard output is not a file here{hint}; "
                         "a file named - is ./-)")
    from .atomic import check_target

    return check_target(path, option, force, spec.source)


def _try_write(failed: list, write, *args) -> None:
    """Run `write(*args)`; a file that cannot be written is kept in `failed`, so the results are
    still printed before it is reported."""
    from .atomic import WriteError

    try:
        write(*args)
    except WriteError as e:
        failed.append(e)


def _report_failed_writes(failed: list) -> None:
    """One line per file that could not be written, then exit 73 (the results are already printed)."""
    for e in failed:
        for line in e.lines():
            _err(line)
    if failed:
        raise typer.Exit(int(ExitCode.CANT_WRITE))


SPARK_WIDTH = 40  # characters of the loss sparkline after `train`


@app.command(short_help='The forward pass only: z and a of every neuron, per sample.')
@handle_errors
def forward(
    config: ConfigArg = None,
    inputs: Annotated[Optional[str], typer.Option(
        "--inputs", metavar="[[x1, x2], ...]", help="Samples to run instead of the spec's inputs, as YAML or JSON: "
                                                   "[[1, 2], [3, 4]], or [1, 2] for one sample.",
        show_default=False)] = None,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    full: FullOpt = False,
    debug: DebugOpt = False,
) -> None:
    """The forward pass only: every neuron's weighted sum z and activation a, for every sample."""
    from .forward import forward as run_forward
    from .forward import parse_inputs

    spec = read_spec(config, quiet, set_)
    x = parse_inputs(inputs, spec.inputs.shape[1]) if inputs is not None else None
    result = run_forward(spec, x)
    if json:
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from .render.table import forward_table, print_renderable

        print_renderable(forward_table(result, digits, full), no_color)


class GraphFormat(str, enum.Enum):
    dot = "dot"
    mermaid = "mermaid"


@app.command(short_help="Draw the network with one step's values (dot or mermaid).")
@handle_errors
def graph(
    config: ConfigArg = None,
    format: Annotated[GraphFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="dot (Graphviz: pipe into `dot -Tsvg`) or mermaid (Markdown; GitHub draws it).",
    )] = GraphFormat.dot,
    sample: Annotated[int, typer.Option(
        "--sample", min=1, metavar="N", help="Which sample of the batch the node values belong to (1-based).")] = 1,
    digits: Annotated[int, typer.Option("--digits", min=0, max=17, metavar="N",
                                        help="Decimals shown in the labels.")] = 5,
    full: FullOpt = False,
    quiet: QuietOpt = False,
    no_color: PlainNoColorOpt = False,
    set_: SetOpt = None,
    debug: DebugOpt = False,
) -> None:
    """The network as a graph with one step's values: activations on nodes, weights and gradients on edges."""
    from .explain import size_limit
    from .explain import step as run_step
    from .render.graph import to_dot, to_mermaid

    renderers = {GraphFormat.dot: to_dot, GraphFormat.mermaid: to_mermaid}
    spec = read_spec(config, quiet, set_, size_limit())
    result = run_step(spec)
    _warn(result.warnings, quiet)
    if sample > len(result.batch):
        raise UsageError(f"--sample: the first batch has {len(result.batch)} sample"
                         f"{'s' if len(result.batch) != 1 else ''}, got {sample}")
    from .render.streams import printable

    sys.stdout.write(printable(renderers[format](result, sample - 1, digits, full)))
    sys.stdout.flush()


@app.command(short_help='Grade hand-computed answers and name the likely mistake.')
@handle_errors
def check(
    config: ConfigArg = None,
    answers: Annotated[Optional[str], typer.Option(
        "--answers", "-a", metavar="ANSWERS.yaml", show_default=False,
        help="Your answers: `quantity: value` pairs (names as in `backcalc docs check`); `-` reads standard "
             "input.")] = None,
    answers_example: Annotated[Optional[str], typer.Option(
        "--answers-example", metavar="NAME", show_default=False, autocompletion=_complete_answers,
        help="Use a bundled answers file instead of --answers (`backcalc examples` lists them).")] = None,
    round_: Annotated[Optional[int], typer.Option(
        "--round", min=0, max=12, metavar="N",
        help="Accept answers that match a computation rounded to N decimals at every step, as by hand.")] = None,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check hand-computed answers: ✓ or ✗ for each, where the errors begin, and the likely mistake."""
    from .answers import read_answers
    from .check import check as run_check
    from .errors import UsageError

    if (answers is None) == (answers_example is None):
        raise UsageError("check: give your answers with --answers ANSWERS.yaml or --answers-example NAME"
                         + (", not both" if answers is not None else ""))
    if answers == "-" and config == "-":
        raise UsageError("backcalc: the spec and the answers cannot both come from standard input")
    from .check import CHECK_LIMIT
    from .explain import size_limit

    spec = read_spec(config, quiet, set_, size_limit(CHECK_LIMIT, "check recomputes"))
    if answers_example is not None:
        from . import bundled

        answers = bundled.answers_source(answers_example)
        given = read_answers(answers, spec, bundled.read_answers(answers_example))
    elif answers == "-":
        given = read_answers("<stdin>", spec, _read_stdin("the answers"))
    else:
        given = read_answers(answers, spec)
    result = run_check(spec, given, round_, "<stdin>" if answers == "-" else answers)
    if json:
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from .render.check import check_table
        from .render.table import print_renderable

        print_renderable(check_table(result, digits), no_color)
    if not result.ok:
        raise typer.Exit(int(ExitCode.WRONG))


def _warn_not_finite_by_hand(result, extras: dict, round_: Optional[int], quiet: bool) -> None:
    broken = [q["quantity"] for q in extras.get("hand_rounding", {}).get("quantities", []) if q["drift"] is None]
    if broken:  # e.g. an output rounded to exactly 1 under bce: log 0 by hand
        note = (f"rounded to {round_} decimals along the way, {broken[0]}"
                f"{f' and {len(broken) - 1} more' if len(broken) > 1 else ''} cannot be computed by hand "
                "(not finite; null in JSON)")
        result.warnings.append(note)
        _warn([note], quiet)


def _step_extras(spec, result, decimals: int | None, per_sample: bool) -> dict:
    """The data `--round` and `--per-sample` add to a step (JSON keys `hand_rounding`, `per_sample`)."""
    extras: dict = {}
    if decimals is not None:
        from .handcalc import drift

        rows = drift(spec, decimals)
        extras["hand_rounding"] = {"decimals": decimals, "quantities": [r.to_dict() for r in rows],
                                   "drifted": [r.quantity for r in rows if r.units != 0]}
    if per_sample:
        from .per_sample import per_sample as per_sample_data

        extras["per_sample"] = per_sample_data(result)
    return extras


def _step_extra_tables(extras: dict, digits: int, result=None, full: bool = False):
    from rich.console import Group

    from .render.step_extras import drift_table, per_sample_table

    parts = []
    if "per_sample" in extras:
        parts.append(per_sample_table(extras["per_sample"], digits, full))
    if "hand_rounding" in extras:
        h = extras["hand_rounding"]
        parts.append(drift_table(h["quantities"], h["decimals"], digits, result, full))
    return Group(*parts)


@app.command(short_help='List the bundled example specs and answers files, or print one.')
@handle_errors
def examples(
    name: Annotated[Optional[str], typer.Argument(
        help="Print this example's YAML instead of the list.", show_default=False,
        autocompletion=_complete_examples)] = None,
    answers: Annotated[bool, typer.Option("--answers", help="NAME is a bundled answers file: print it.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    quiet: PlainQuietOpt = False,
    no_color: PlainNoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """List the bundled example specs and answers files, or print one (`backcalc examples xor | backcalc step -`)."""
    from . import bundled

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
        from .render.json import dumps

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


@app.command(short_help="Print a page of backcalc's documentation (docs/*.md), or list them.")
@handle_errors
def docs(
    page: Annotated[Optional[str], typer.Argument(
        help="The page to print, e.g. check or spec; omitted: the list of pages.", show_default=False)] = None,
    quiet: PlainQuietOpt = False,
    no_color: PlainNoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Print a page of the documentation as Markdown (`backcalc docs check`), or list the pages."""
    from . import bundled

    if page is not None:
        sys.stdout.write(bundled.read_doc(page))
        return
    pages = bundled.doc_catalogue()
    width = max(len(p.name) for p in pages)
    for p in pages:
        typer.echo(f"{p.name:<{width}}  {p.description}")


@app.command(short_help='Write a commented starter spec (or an example) to edit.')
@handle_errors
def init(
    file: Annotated[str, typer.Argument(help="Where to write the spec; `-` writes to standard output.")]
    = DEFAULT_CONFIG,
    example: Annotated[Optional[str], typer.Option(
        "--example", metavar="NAME", show_default=False, autocompletion=_complete_examples,
        help="Start from this bundled example instead of the commented starter.")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite FILE if it exists.")] = False,
    quiet: QuietOpt = False,
    no_color: PlainNoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter spec (default ./backcalc.yaml) to edit and run."""
    from . import bundled
    from .errors import UsageError

    text = bundled.starter_text(example)
    if file == "-":
        sys.stdout.write(text)
        return
    from .atomic import check_target, write_file

    if not file:
        raise UsageError("init: expected a file name (or `-` for standard output), got nothing")
    write_file(check_target(file, None, force), text.encode("utf-8"))
    if not quiet:
        what = f"the example '{bundled.resolve(example)}'" if example else "a commented starter spec"
        _err(f"backcalc: wrote {file} ({what}); run it with: backcalc step {file}")


@app.command(short_help="Print the spec's JSON Schema, for editors.")
@handle_errors
def schema(quiet: PlainQuietOpt = False, no_color: PlainNoColorOpt = False, debug: DebugOpt = False) -> None:
    """Print the JSON Schema (draft 2020-12) of a spec, for editors: backcalc schema > backcalc.schema.json."""
    from .schema import json_schema_text

    sys.stdout.write(json_schema_text())


@app.command(short_help='Compare every gradient with finite differences (and PyTorch).')
@handle_errors
def gradcheck(
    config: ConfigArg = None,
    eps: Annotated[float | None, typer.Option("--eps", metavar="FLOAT", help="Step h of the central differences "
                                              "for every parameter (default ∛ε_mach·max(1, |p|) per parameter p).")
                   ] = None,
    tol: Annotated[float, typer.Option("--tol", metavar="FLOAT",
                                       help="Largest relative error that counts as agreement.")] = 1e-5,
    no_torch: Annotated[bool, typer.Option("--no-torch", help="Do not compare with torch.autograd even if "
                                           "PyTorch is installed.")] = False,
    max_params: Annotated[int, typer.Option(
        "--max-params", min=0, metavar="N", help="Check at most this many parameters (a fixed random sample of a "
        "larger network); 0 checks all.")] = 200,
    json: JsonOpt = False,
    digits: DigitsOpt = 5,
    quiet: QuietOpt = False,
    no_color: NoColorOpt = False,
    set_: SetOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Compare every analytic gradient with central finite differences (and torch.autograd); exit 1 on a mismatch."""
    from .gradcheck import gradcheck as run_gradcheck

    for option, value in (("--eps", eps), ("--tol", tol)):
        if value is None:
            continue
        if not value > 0:
            raise UsageError(f"{option}: expected a number > 0, got {value:g}")
        if value == float("inf"):
            raise UsageError(f"{option}: expected a finite number, got {value:g}")
    spec = read_spec(config, quiet, set_)
    result = run_gradcheck(spec, eps=eps, tol=tol, use_torch=not no_torch, max_params=max_params or None)
    _warn(result.notes, quiet)
    if json:
        from .render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from .render.gradcheck import gradcheck_tables
        from .render.table import print_renderable

        print_renderable(gradcheck_tables(result, digits), no_color)
    if not result.ok:
        _err(f"backcalc: gradcheck: {', '.join(result.failures)} disagree beyond the tolerance {tol:g}")
        raise typer.Exit(int(ExitCode.WRONG))


def _network(spec, exact: bool):
    """An exact (Fraction) network when --exact is given, after checking the spec allows it; else None."""
    if not exact:
        return None
    from .exact import check_exact
    from .network import Network

    check_exact(spec)
    return Network(spec, dtype=object)


def _step_format(json: bool, format: StepFormat, blank: bool, solution: Optional[Path]) -> str:
    kind = format.value
    if json and kind not in ("table", "json"):
        raise UsageError(f"--json and --format {kind} ask for different outputs; give one of them")
    kind = "json" if json else kind
    if blank and kind not in ("markdown", "latex"):
        raise UsageError(f"--blank writes an exercise document: it needs --format markdown or latex, got {kind}")
    if solution is not None and not blank:
        raise UsageError("--solution FILE goes with --blank (without --blank the solution itself is printed)")
    return kind


def _write_solution(result, kind: str, digits: int, blank: bool, solution, extras: dict) -> None:
    """The worked solution (or, with --blank, the exercise) on stdout; the `solution` target (--solution
    FILE, checked) gets the solution.

    `extras` (--round, --per-sample) shape both documents alike."""
    if kind == "markdown":
        from .render.markdown import render
    else:
        from .render.latex import render
    from .render.streams import printable

    failed: list = []
    if solution is not None:
        from .atomic import write_file

        _try_write(failed, write_file, solution, printable(render(result, digits, extras=extras)).encode("utf-8"))
    sys.stdout.write(printable(render(result, digits, blank=blank, extras=extras)))
    sys.stdout.flush()
    _report_failed_writes(failed)


def main() -> None:
    """The command (`backcalc.entry.main` calls this once Ctrl-C is handled)."""
    from .render.streams import guard_streams

    guard_streams()
    app_for(sys.argv[1:])()


def app_for(args: list[str]) -> typer.Typer:
    """`app`, or when the first argument names a command, a copy holding only that command:
    typer builds the options of every registered command before it runs one (about 10 ms of a
    150 ms start-up for the nine commands). Help and errors for that command read the same."""
    import copy
    import os

    wanted = args[0] if args else None
    chosen = [c for c in app.registered_commands
              if (c.name or c.callback.__name__.replace("_", "-")) == wanted]
    if len(chosen) != 1 or any(k.endswith("_COMPLETE") for k in os.environ):
        return app
    one = copy.copy(app)
    one.registered_commands = chosen
    return one
