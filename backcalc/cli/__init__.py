"""The command line: read input, call the library once, choose a view, map errors to exit codes.

application.py holds the app, its error handling, the entry point and the table of commands (in
the order `--help` lists them); options.py the options commands share; inputs.py and outputs.py
what commands read and write; then one module per command or group of commands, imported only
when one of its commands runs.
"""

from .application import app_for, full_app, main

__all__ = ["app", "app_for", "main"]


def __getattr__(name: str):
    if name == "app":  # the whole app, every command registered: built on first use
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
