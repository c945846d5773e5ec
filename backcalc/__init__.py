"""backcalc: a backpropagation calculator.

The math core is a library: `from backcalc import load_spec, step, train`
imports neither typer nor rich.
"""

from __future__ import annotations

__all__ = ["__version__", "load_spec", "parse_spec", "step", "train", "Network", "Spec"]


def version() -> str:
    """The installed distribution's version (what importlib.metadata reports)."""
    import os
    import sys

    # Read straight from the first backcalc-*.dist-info on sys.path, where importlib.metadata
    # would find it: importing importlib.metadata (email, zipfile, csv…) costs more than the
    # rest of `backcalc --version`.
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("backcalc-") and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as f:
                        for line in f:
                            if line.startswith("Version:"):
                                return line.split(":", 1)[1].strip()
                            if not line.strip():  # the end of the headers
                                break
                except OSError:
                    pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("backcalc")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str):
    # Lazy so that `import backcalc` (and the CLI's start-up) stays cheap:
    # importlib.metadata alone costs tens of milliseconds.
    if name == "__version__":
        return version()
    if name in ("load_spec", "parse_spec", "Spec"):
        from . import spec

        return getattr(spec, name)
    if name == "step":
        from .explain import step

        return step
    if name == "train":
        from .training import train

        return train
    if name == "Network":
        from .network import Network

        return Network
    raise AttributeError(f"module 'backcalc' has no attribute {name!r}")
