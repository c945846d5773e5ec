"""`backcalc train`: the views of a training run (progress bar, JSON Lines, tables, --emit-spec, --plot)."""

import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from .application import command, err, warn
from .circuit import refuse
from .inputs import network_for, read_spec
from .options import (
    ConfigArg,
    DebugOpt,
    DigitsOpt,
    EpochsOpt,
    EveryOpt,
    ExactOpt,
    ExampleOpt,
    FullOpt,
    JsonLinesOpt,
    NoColorOpt,
    QuietOpt,
    SetOpt,
)
from .outputs import output_target, report_failed_writes

SPARK_WIDTH = 40  # characters of the loss sparkline after `train`


@command('Train for N epochs; the loss per epoch and the final parameters.')
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
    example: ExampleOpt = None,
) -> None:
    """Train for N epochs of the configured batches; report the loss and the final parameters."""
    from ..render.progress import NoProgress, Terminal, progress_for
    from ..train_run import run_training
    from ..training import shown_epochs

    if json and emit_spec:
        raise UsageError("--json and --emit-spec both write to standard output; choose one")
    spec = read_spec(config, example, quiet, set_)
    refuse(spec, "train")
    plot_file, save_file = _targets(spec, plot, save, force)
    n_epochs = epochs or spec.epochs or 100
    network = network_for(spec, exact)
    term = (ctx.obj or {}).get("terminal") or Terminal.current()
    k = (every or 1) if json else shown_epochs(n_epochs, every)
    bar = progress_for(term, n_epochs, json=json, quiet=quiet, no_color=no_color)
    view = TrainView(json, emit_spec, quiet, no_color, digits, full, (plot, plot_file), save_file)
    # with no bar to clear it, the `^C` a terminal echoes stays on the cursor's line: the messages start below it
    view.after_ctrl_c = "\n" if term.is_terminal and isinstance(bar, NoProgress) else ""
    outcome = run_training(spec, n_epochs, every=k, network=network, keep_records=not json, save=save_file,
                           progress=None if isinstance(bar, NoProgress) else bar,
                           on_record=view.record if json else None, on_end=view.end, on_report=view.report)
    report_failed_writes(outcome.failed)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def _targets(spec, plot: Optional[str], save: Optional[str], force: bool):
    """The checked --plot and --save targets (None when not given), before training starts."""
    if plot is not None:
        from ..render.plot import check_plot_format

        check_plot_format(plot)
    plot_file = output_target(plot, "--plot", force, spec)
    save_file = output_target(save, "--save", force, spec)
    if plot_file and save_file and Path(plot).resolve() == Path(save).resolve():
        raise UsageError(f"--save and --plot name the same file {save}; give two names")
    return plot_file, save_file


class TrainView:
    """What `train` shows of a run: each shown epoch as a JSON line, how it ended, then the result."""

    def __init__(self, json: bool, emit_spec: bool, quiet: bool, no_color: bool, digits: int, full: bool,
                 plot: tuple, save_file):
        self.json, self.emit_spec, self.quiet, self.no_color = json, emit_spec, quiet, no_color
        self.digits, self.full = digits, full
        self.plot, self.plot_file = plot  # as given (the image's format is its suffix) and its checked target
        self.save_file = save_file
        self.after_ctrl_c = ""  # written to stderr before the messages of a run stopped by SIGINT
        self.flushed = time.monotonic()
        if json:
            from ..render.json import dumps

            self.dumps = dumps

    def record(self, record) -> None:
        sys.stdout.write(self.dumps(record.to_dict()) + "\n")
        if time.monotonic() - self.flushed > 0.1:  # keep a pipe's reader current
            sys.stdout.flush()
            self.flushed = time.monotonic()

    def end(self, outcome) -> None:
        if outcome.interrupted == "SIGINT" and self.after_ctrl_c:
            sys.stderr.write(self.after_ctrl_c)
        if outcome.result.stopped:
            err(f"backcalc: {outcome.result.stopped}")
        warn(outcome.result.warnings, self.quiet)

    def report(self, outcome) -> None:
        """The saved file's note, the --plot image, and (unless standard output failed) the result."""
        result = outcome.result
        if outcome.saved_epoch is not None and (not self.quiet or result.stopped):
            err(f"backcalc: saved the parameters after epoch {outcome.saved_epoch} to {self.save_file.path}")
        if self.plot_file is not None and len(outcome.history):
            from ..atomic import write_file
            from ..render.plot import loss_plot_image

            outcome.write(write_file, self.plot_file, loss_plot_image(
                self.plot, outcome.history, outcome.trainer.spec.name, result.batches_per_epoch))
        if outcome.lost is None:
            self._result(outcome)

    def _result(self, outcome) -> None:
        """JSON, or tables (and the trained spec of the last completed epoch, however the run ended,
        as `--save` writes it)."""
        result = outcome.result
        if self.json:
            sys.stdout.write(self.dumps(result.to_dict()) + "\n")
            sys.stdout.flush()
            return
        from ..render.table import print_renderable, train_tables

        if not (self.emit_spec and self.quiet):
            print_renderable(train_tables(result, self.digits, self._sparkline(outcome), self.full), self.no_color,
                             stderr=self.emit_spec)
        if self.emit_spec:
            from ..save import checkpoint_text

            text, _ = checkpoint_text(outcome.trainer.spec, outcome.trainer, outcome.epochs_asked,
                                      stopped=result.stopped, interrupted=bool(outcome.interrupted))
            sys.stdout.write(text)
            sys.stdout.flush()

    def _sparkline(self, outcome) -> Optional[str]:
        if not len(outcome.history):
            return None
        from ..history import sparkline, wants_log_scale
        from ..render.numbers import approx

        curve = outcome.history.resampled(SPARK_WIDTH)
        log = wants_log_scale(curve)
        # the first and last epoch's loss, as the table shows them (the curve's points are
        # means of buckets of epochs once there are many)
        first, last = outcome.result.history[0].loss, outcome.result.history[-1].loss
        return f"{sparkline(curve, log)}  {approx(first, self.digits)} → {approx(last, self.digits)}" \
               f"{' (log scale)' if log else ''}"
