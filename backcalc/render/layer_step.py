"""A step's tables when its network has layers of other kinds than dense (conv, pool, flatten,
batchnorm, rnn, gru, lstm), top to bottom: layer_tables.py the forward half, layer_gradients.py the backward."""

from __future__ import annotations

from rich.console import Group

from ..result import StepResult
from .gated_tables import gated_tables
from .input_table import input_table
from .layer_gradients import backward_notes, backward_table, gradient_table, sent_back
from .layer_tables import MAX_UNITS_SHOWN, batchnorm_table, forward_table, heading
from .loss_and_update import loss_table, update_tables
from .rnn_tables import rnn_tables
from .table import samples


def kind_step_tables(result: StepResult, digits: int = 5, full: bool = False) -> Group:
    """All tables of one step, top to bottom in the order of the computation."""
    d = digits
    parts = [heading(result, d), forward_table(result, d, full)]
    parts += [batchnorm_table(result, layer, d, full) for layer in result.layers if layer.kind == "batchnorm"]
    parts += [t for layer in result.layers if layer.kind == "rnn"
              for t in rnn_tables(result, layer, d, samples(result, full))]
    parts += [t for layer in result.layers if layer.kind in ("gru", "lstm")
              for t in gated_tables(result, layer, d, samples(result, full))]
    parts += [loss_table(result, d, full), backward_table(result, d, full), *backward_notes(result),
              gradient_table(result, d, full),
              input_table(result, d, full, lambda j, s: sent_back(result, result.layers[0], j, s, d),
                          whole=len(result.input_names) <= MAX_UNITS_SHOWN)]
    parts += update_tables(result, d)
    return Group(*parts)
