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
         per_sample: bool = False, output=None, quiz: bool = False) -> None:
    from ..circuit.step import worked_step

    if per_sample:
        raise UsageError("--per-sample: a circuit has one set of values, no samples")
    if quiz:
        raise UsageError("--quiz: not written for circuits yet; use --format html --blank for the exercise page")
    result = worked_step(spec, arithmetic(exact, round_))
    if round_ is not None:
        digits = max(digits, round_)
    if kind == "json":
        from ..render.json import dumps

        typer.echo(dumps(result.to_dict()))
    elif kind in ("markdown", "latex", "html"):
        from ..atomic import write_file
        from ..render.streams import printable

        if solution is not None:
            write_file(solution, printable(_document(result, kind, digits)).encode("utf-8"))
        document = printable(_document(result, kind, digits, blank=blank))
        if output is not None:
            write_file(output, document.encode("utf-8"))
        else:
            sys.stdout.write(document)
            sys.stdout.flush()
    else:
        from ..render.circuit import circuit_tables
        from ..render.table import print_renderable

        print_renderable(circuit_tables(result, digits), no_color)


def _document(result, kind: str, digits: int, blank: bool = False) -> str:
    """The worked solution (or exercise) as a markdown, latex or html document."""
    if kind == "html":
        from ..render.html_page_circuit import render

        return render(result, digits, blank)
    from ..render.circuit_document import render

    return render(result, kind, digits, blank)


def graph(spec, format: str, digits: int, sample: int = 1) -> None:
    from ..circuit.step import worked_step

    if sample != 1:
        raise UsageError(f"--sample: a circuit has one set of values, got {sample}")
    from ..render.circuit_graph import to_dot, to_mermaid
    from ..render.streams import printable

    result = worked_step(spec)
    sys.stdout.write(printable((to_dot if format == "dot" else to_mermaid)(result, digits)))
    sys.stdout.flush()
