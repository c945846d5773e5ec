"""What a command reads: the spec (a file, standard input, --example or the default) and --exact's network."""

import sys
from pathlib import Path
from typing import Optional

from .application import err
from .options import DEFAULT_CONFIG


def read_spec(config: Optional[str], example: Optional[str] = None, quiet: bool = False,
              overrides: Optional[list[str]] = None, size_check=None):
    """The spec named on the command line, from stdin, --example, ./backcalc.yaml or the embedded default.

    `overrides` are the `--set KEY=VALUE` options, applied before validation; `size_check` is the
    command's own size limit, checked before the network is built (spec.parse_spec).
    """
    from ..spec import load_spec, parse_spec

    if example is not None:
        from .. import bundled
        from ..errors import UsageError

        if config is not None:
            raise UsageError(f"give CONFIG or --example, not both (got {config!r} and --example {example})")
        return parse_spec(bundled.read(example), bundled.source(example), overrides, size_check=size_check)
    if config == "-":
        return parse_spec(read_stdin(), "<stdin>", overrides, size_check=size_check)
    if config is None:
        if Path(DEFAULT_CONFIG).is_file():
            if not quiet:
                err(f"backcalc: using ./{DEFAULT_CONFIG}")
            return load_spec(DEFAULT_CONFIG, overrides, size_check)
        from .. import bundled

        if not quiet:
            err("backcalc: no CONFIG given and no ./backcalc.yaml; using the embedded default "
                f"example '{bundled.DEFAULT}' (the 2-2-1 sigmoid network of Mazur's worked example)")
        return parse_spec(bundled.read(bundled.DEFAULT), f"<embedded default: {bundled.DEFAULT}>", overrides,
                          size_check=size_check)
    return load_spec(config, overrides, size_check)


def read_stdin(what: str = "the spec") -> bytes:
    """Standard input, but no more than a spec may hold (plus one byte, so the limit is reported)."""
    from ..spec import MAX_BYTES

    if sys.stdin.isatty():  # else a newcomer's `backcalc step -` seems to hang
        err(f"backcalc: reading {what} from standard input; Ctrl-D to end")
    return sys.stdin.buffer.read(MAX_BYTES + 1)


def network_for(spec, exact: bool):
    """An exact (Fraction) network when --exact is given, after checking the spec allows it; else None."""
    if not exact:
        return None
    from ..api import exact_network

    return exact_network(spec)
