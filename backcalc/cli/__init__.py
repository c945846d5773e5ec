"""The command line: read input, call the library once, choose a view, map errors to exit codes.

application.py holds the app, its error handling and the entry point; options.py the options
commands share; inputs.py and outputs.py what commands read and write; one module per command
or group of commands registers nothing itself: the order below is the order `--help` lists.
"""

from . import check, forward, step, texts, train
from .application import app, app_for, main, register

register(step.step, train.train, forward.forward, forward.graph, check.check, texts.examples, texts.docs,
         texts.init, texts.schema, check.gradcheck)

__all__ = ["app", "app_for", "main"]
