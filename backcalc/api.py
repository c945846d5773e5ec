"""The public library API: a spec in, a result out, each result's `to_dict()` the JSON `--json` prints.

`import backcalc` then `backcalc.load_spec(...)`, `backcalc.step(...)` and the rest (docs/api.md).
The CLI's commands are these calls plus a view; nothing here imports typer, rich or the views.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from .check import CheckResult
    from .gradcheck import GradcheckResult
    from .network import Network
    from .result import ForwardResult, StepResult
    from .spec_model import Spec
    from .train_run import Training

SpecSource = Union["Spec", str, os.PathLike, Mapping]
AnswersSource = Union[str, os.PathLike, Mapping, Sequence]


def load_spec(source: SpecSource, overrides: list[str] | None = None) -> Spec:
    """A validated Spec from a path, YAML text or a dict (a Spec is returned as it is).

    A string is YAML text when it holds a line break or `: `, else a path. `overrides` are
    `--set KEY=VALUE` strings. Bad input raises `backcalc.errors.SpecError`, whose message is the
    one located line per problem that the CLI prints.
    """
    return _read(source, overrides)


def example(name: str, overrides: list[str] | None = None) -> Spec:
    """One of the bundled example specs by name (`backcalc examples` lists them), e.g. `"mazur"`."""
    from . import bundled
    from .spec_read import parse_spec

    return parse_spec(bundled.read(name, "example"), bundled.source(name), overrides)


def _listed(value):
    """A NumPy array or number in a dict spec, as JSON reads it."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"a spec value must be a number, a string, a list or a mapping, got {type(value).__name__}")


def exact_network(spec: Spec) -> Network:
    """The spec's network in exact (Fraction) arithmetic, once the spec is checked to allow it."""
    from .exact import check_exact
    from .network import Network

    check_exact(spec)
    return Network(spec, dtype=object)


def step(spec: SpecSource, network: Network | None = None, *, exact: bool = False) -> StepResult:
    """One forward pass, loss, backward pass and optimizer update on the spec's first batch.

    Every named quantity is on the result (`layers`, `parameters`, `loss`, …); `to_dict()` is what
    `backcalc step --json` prints and `next_spec()` the spec after the update, to chain steps.
    `exact=True` computes in Fractions (`--exact`; rational activations and losses only); a
    `network` given steps from its parameters instead of the spec's (and is not changed).
    """
    from .explain import size_limit
    from .explain import step as explained
    from .numerics import quiet, step_warnings

    spec = _spec(spec, size_limit())
    if _is_circuit(spec):  # a circuit's step (circuit/step.py): its own result, the same `to_dict()` as --json
        from .arithmetic import Exact
        from .circuit.step import worked_step

        return worked_step(spec, Exact() if exact else None)
    with quiet():
        result = explained(spec, network if network is not None else exact_network(spec) if exact else None)
    result.warnings += step_warnings(result)
    result.spec = spec
    return result


def train(spec: SpecSource, epochs: int | None = None, *, every: int = 1, exact: bool = False) -> Training:
    """Train for `epochs` epochs (default: the spec's `epochs`, else 100), lazily.

    Iterate over the returned run for one `EpochRecord` per `every`-th epoch (and the last), as
    `train --json` prints them; `.result` (running whatever is left) is the final `TrainResult`.
    """
    from .train_run import Training

    spec = _spec(spec)
    if _is_circuit(spec):
        from .circuit.model import not_a_network

        raise not_a_network(spec, "train")
    n = epochs if epochs is not None else spec.epochs or 100
    if n < 1 or every < 1:
        raise ValueError(f"epochs and every must be at least 1, got epochs={n}, every={every}")
    return Training(spec, n, every=every, network=exact_network(spec) if exact else None)


def forward(spec: SpecSource, inputs: Any = None) -> ForwardResult:
    """The forward pass only, on the spec's inputs or on `inputs` (samples × features, or one sample)."""
    import numpy as np

    from .forward import forward as forward_pass
    from .numerics import quiet

    spec = _spec(spec)
    if _is_circuit(spec):
        from .circuit.model import not_a_network

        raise not_a_network(spec, "forward")
    x = None
    if inputs is not None:
        x = np.array(inputs, dtype=float)
        x = x.reshape(1, -1) if x.ndim == 1 else x
        features = spec.inputs.shape[1]
        if x.ndim != 2 or x.shape[1] != features:
            raise ValueError(f"inputs: expected samples × {features} features, got shape {x.shape}")
    with quiet():
        return forward_pass(spec, x)


def check(spec: SpecSource, answers: AnswersSource, *, decimals: int | None = None) -> CheckResult:
    """Grade a student's answers: a path or YAML text of an answers file, or a dict `{"w5_new": 0.35892, …}`.

    Each answer is right within half a unit of its last decimal written: a float's shortest repr, or
    a string such as `"0.14970"` for the digits as the student wrote them;
    `decimals` accepts answers rounded to that many decimals at every step (`--round`).
    """
    from .answers import Answer, read_answers
    from .check import CHECK_LIMIT
    from .check import check as grade
    from .explain import size_limit

    spec = _spec(spec, size_limit(CHECK_LIMIT, "check recomputes"))
    if _is_circuit(spec):
        from .circuit.check import check as grade
    if isinstance(answers, Mapping):
        source = "<dict>"
        # a string value is the number as written ("0.14970": its trailing zero sets the tolerance)
        text = "".join(f"{json.dumps(str(k))}: {v if isinstance(v, str) else json.dumps(v, default=_listed)}\n"
                       for k, v in answers.items())
        given = read_answers(source, spec, text.encode("utf-8"))  # a line each, as a file has them
    elif isinstance(answers, Sequence) and not isinstance(answers, str) and all(
            isinstance(a, Answer) for a in answers):
        source, given = "<answers>", list(answers)
    elif _is_text(answers):
        source = "<text>"
        given = read_answers(source, spec, answers.encode("utf-8"))
    else:
        source = str(answers)
        given = read_answers(source, spec)
    return grade(spec, given, decimals, source)


def gradcheck(spec: SpecSource, *, eps: float | None = None, tol: float = 1e-5, torch: bool = True,
              max_params: int | None = 200) -> GradcheckResult:
    """Every analytic gradient against central finite differences (and torch.autograd, when installed).

    The defaults are `backcalc gradcheck`'s; `max_params=None` checks every parameter.
    """
    from .gradcheck import gradcheck as compare

    if _is_circuit(found := _spec(spec)):
        from .circuit.gradcheck import gradcheck as circuit_gradcheck

        return circuit_gradcheck(found, eps=eps, tol=tol, use_torch=torch)
    return compare(found, eps=eps, tol=tol, use_torch=torch, max_params=max_params or None)


def _is_circuit(spec) -> bool:
    from .circuit.model import Circuit

    return isinstance(spec, Circuit)


def _spec(source: SpecSource, size_check=None) -> Spec:
    """The spec a call was given, read if it is not one yet, within the command's own size limit."""
    return _read(source, None, size_check)


def _read(source: SpecSource, overrides: list[str] | None, size_check=None) -> Spec:
    from .spec_model import Spec
    from .spec_read import load_spec as load_file
    from .spec_read import parse_spec

    if isinstance(source, Spec):
        if size_check is not None:
            size_check(sum(layer.weights.size + layer.biases.size for layer in source.layers),
                       source.effective_batch_size, source.source)
        return source
    if _is_circuit(source):
        return source
    if isinstance(source, Mapping):
        return parse_spec(json.dumps(source, default=_listed), "<dict>", overrides, size_check=size_check)
    if _is_text(source):
        return parse_spec(source, "<text>", overrides, size_check=size_check)
    return load_file(source, overrides, size_check)


def _is_text(source) -> bool:
    """A string holding a line break or `: ` (and naming no file) is YAML text, not a path."""
    return isinstance(source, str) and ("\n" in source or ": " in source) and not Path(source).is_file()
