"""The commands on a circuit spec: each command's module hands a circuit here (one test each: `is_circuit`)."""

from __future__ import annotations

import sys

import typer

from ..errors import UsageError


def is_circuit(spec) -> bool:
    from ..circuit.model import Circuit

    return isinstance(spec, Circuit)


def refuse(spec, command: str) -> None:
    """One clear line for a command that has no meaning on a circuit."""
    if is_circuit(spec):
        from ..circuit.model import not_a_network

        raise not_a_network(spec, command)


def arithmetic(exact: bool, round_):
    from ..arithmetic import ByHand, Exact, Float

    if exact and round_ is not None:
        raise UsageError("--exact and --round: give one of them")
    return Exact() if exact else ByHand(round_) if round_ is not None else Float()


def step(spec, kind: str, digits: int, blank: bool, exact: bool, round_, no_color: bool, solution=None,
         per_sample: bool = False, output=None) -> None:
    from ..circuit.step import worked_step

    if per_sample:
        raise UsageError("--per-sample: a circuit has one set of values, no samples")
    if kind == "html":
        raise UsageError("--format html: not written for circuits yet; use --format markdown or latex")
    result = worked_step(spec, arithmetic(exact, round_))
    if round_ is not None:
        digits = max(digits, round_)
    if kind == "json":
        from ..render.json import dumps

        typer.echo(dumps(result.to_dict()))
    elif kind in ("markdown", "latex"):
        from ..atomic import write_file
        from ..render.circuit_document import render
        from ..render.streams import printable

        if solution is not None:
            write_file(solution, printable(render(result, kind, digits)).encode("utf-8"))
        document = printable(render(result, kind, digits, blank=blank))
        if output is not None:
            write_file(output, document.encode("utf-8"))
        else:
            sys.stdout.write(document)
            sys.stdout.flush()
    else:
        from ..render.circuit import circuit_tables
        from ..render.table import print_renderable

        print_renderable(circuit_tables(result, digits), no_color)


def graph(spec, format: str, digits: int, sample: int = 1) -> None:
    from ..circuit.step import worked_step

    if sample != 1:
        raise UsageError(f"--sample: a circuit has one set of values, got {sample}")
    from ..render.circuit_graph import to_dot, to_mermaid
    from ..render.streams import printable

    result = worked_step(spec)
    sys.stdout.write(printable((to_dot if format == "dot" else to_mermaid)(result, digits)))
    sys.stdout.flush()
