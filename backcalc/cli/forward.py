"""`backcalc forward` and `backcalc graph`: the forward pass as a table or JSON, the network as a drawing."""

import enum
import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import circuit
from .application import command, warn
from .circuit import is_circuit, refuse
from .inputs import read_spec
from .options import (
    ConfigArg,
    DebugOpt,
    DigitsOpt,
    ExampleOpt,
    FullOpt,
    JsonOpt,
    NoColorOpt,
    PlainNoColorOpt,
    QuietOpt,
    SetOpt,
)


@command('The forward pass only: z and a of every neuron, per sample.')
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
    example: ExampleOpt = None,
) -> None:
    """The forward pass only: every neuron's weighted sum z and activation a, for every sample."""
    from ..forward import forward as run_forward
    from ..forward import parse_inputs

    spec = read_spec(config, example, quiet, set_)
    refuse(spec, "forward")
    x = parse_inputs(inputs, spec.inputs.shape[1]) if inputs is not None else None
    result = run_forward(spec, x)
    if json:
        from ..render.json import dumps

        typer.echo(dumps(result.to_dict()))
    else:
        from ..render.table import forward_table, print_renderable

        print_renderable(forward_table(result, digits, full), no_color)


class GraphFormat(str, enum.Enum):
    dot = "dot"
    mermaid = "mermaid"


@command("Draw the network with one step's values (dot or mermaid).")
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
    example: ExampleOpt = None,
) -> None:
    """The network as a graph with one step's values: activations on nodes, weights and gradients on edges."""
    from ..explain import size_limit
    from ..explain import step as run_step
    from ..render.graph import to_dot, to_mermaid

    renderers = {GraphFormat.dot: to_dot, GraphFormat.mermaid: to_mermaid}
    spec = read_spec(config, example, quiet, set_, size_limit())
    if is_circuit(spec):
        return circuit.graph(spec, format.value, digits, sample)
    result = run_step(spec)
    warn(result.warnings, quiet)
    if sample > len(result.batch):
        raise UsageError(f"--sample: the first batch has {len(result.batch)} sample"
                         f"{'s' if len(result.batch) != 1 else ''}, got {sample}")
    from ..render.streams import printable

    sys.stdout.write(printable(renderers[format](result, sample - 1, digits, full)))
    sys.stdout.flush()
