"""A worked step's named quantities: their keys, their order, their values and what each is computed from.

A quantity is keyed (kind, name, sample). Kinds: z, a, loss_term (name: output neuron), loss
(name ""; sample None for the batch loss), dl_da, da_dz, delta (name: neuron), grad (name:
parameter; sample None for the batch gradient, else the per-sample ∂ℓₙ/∂p), dl_dx (name: input;
each sample's ∂ℓₙ/∂x), new (parameter, sample None); a recurrent layer's time steps (when it
returns its last state only, so that they are not its units): step_h, step_dh (hₜ and ∂ℓ/∂hₜ,
name `h1[t,k]` as the tables write it) and an rnn's step_z, step_delta (zₜ and ∂ℓ/∂zₜ). Only
`check` reads the steps (`keys(inputs=True)`); the drift table, quizzes and exercises do not.
The dependencies are derived from the architecture (each layer kind declares its own); `check`
walks them to find where an error began.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .arithmetic import ByHand, round_half_up, round_half_up_array
from .core import Worked, worked_step
from .spec_model import Spec

Key = tuple[str, str, "int | None"]


def key_text(key: Key, n_samples: int) -> str:
    """The canonical name of a quantity (the one tables and `check` print)."""
    kind, name, s = key
    base = {
        "z": f"z_{name}", "a": name, "loss_term": f"loss_{name}", "loss": "loss",
        "dl_da": f"dL/d{name}", "da_dz": f"d{name}/dz_{name}", "delta": f"delta_{name}",
        "grad": f"dL/d{name}", "dl_dx": f"dL/d{name}", "new": f"{name}_new",
        "step_h": name, "step_z": f"z_{name}", "step_dh": f"dL/d{name}", "step_delta": f"delta_{name}",
    }[kind]
    if s is not None and n_samples > 1:
        base += f"[{s + 1}]"
    return base


class Calc:
    """A worked step seen quantity by quantity (the view `check` and `--round`'s drift table read)."""

    def __init__(self, worked: Worked):
        self.w = worked
        self.n_samples = worked.n
        self.overrides = worked.overrides
        self.computed = worked.computed
        self.where = {m: (li, i) for li, kind in enumerate(worked.kinds) for i, m in enumerate(kind.neurons)}
        self.param = {p: k for k, p in enumerate(worked.net.names)}
        self.inputs = {x: j for j, x in enumerate(worked.spec.input_names)}
        self.steps = step_names(worked.spec)  # name -> (layer, time step, unit), 0-based
        self._step_quantities: dict[int, dict] = {}
        self.deps = _Deps(self)

    def keys(self, inputs: bool = False):
        """Every quantity in the order it is computed; the inputs' ∂ℓ/∂x only when asked for.

        The quiz, the exercises and `--round`'s drift table list the default keys; `check`
        orders and grades the inputs' gradients too.
        """
        w, n = self.w, self.n_samples
        steps = self._steps_by_layer() if inputs else {}
        for li, kind in enumerate(w.kinds):
            for s in range(n):
                for name, rnn in steps.get(li, ()):
                    yield from ((("step_z", name, s),) if rnn else ())
                    yield ("step_h", name, s)
                yield from (("z", m, s) for m in kind.neurons)
                yield from (("a", m, s) for m in kind.neurons)
        out = w.kinds[-1].neurons
        for s in range(n):
            yield from (("loss_term", m, s) for m in out)
            yield ("loss", "", s)
        yield ("loss", "", None)
        lowest = w.slots.lowest
        for li in range(len(w.kinds) - 1, -1, -1):
            kind = w.kinds[li]
            for s in range(n):
                yield from (("dl_da", m, s) for m in kind.neurons)
                if kind.elementwise:
                    for m in kind.neurons:
                        yield ("da_dz", m, s)
                        yield ("delta", m, s)
                else:
                    yield from (("delta", m, s) for m in kind.neurons)
                for name, rnn in self._backward_steps(li, steps):
                    yield ("step_dh", name, s)
                    yield from ((("step_delta", name, s),) if rnn else ())
            for k in np.flatnonzero(lowest == li):
                p = w.net.names[k]
                yield from (("grad", p, s) for s in range(n))
                yield ("grad", p, None)
        if inputs:
            for s in range(n):
                yield from (("dl_dx", x, s) for x in w.spec.input_names)
        yield from (("new", p, None) for p in w.net.names)

    def _steps_by_layer(self) -> dict[int, list[tuple[str, bool]]]:
        """Layer -> its time steps' names in order (t, then unit), and whether it is an rnn (zₜ, ∂ℓ/∂zₜ too)."""
        out: dict[int, list[tuple[str, bool]]] = {}
        for name, (li, _, _) in self.steps.items():
            out.setdefault(li, []).append((name, self.w.spec.layers[li].kind == "rnn"))
        return out

    def _backward_steps(self, li: int, steps: dict) -> list[tuple[str, bool]]:
        """The layer's time steps backward through time: the last step first, each step's units in order."""
        return sorted(steps.get(li, ()), key=lambda item: (-self.steps[item[0]][1], self.steps[item[0]][2]))

    def step_value(self, kind: str, name: str, s: int) -> float:
        li, t, k = self.steps[name]
        if li not in self._step_quantities:
            w = self.w
            self._step_quantities[li] = w.kinds[li].quantities(w.inputs_of(li), w.delta[li])
        key = {"step_h": "hidden_state", "step_z": "pre_activation", "step_dh": "dl_dh",
               "step_delta": "dl_dz_step"}[kind]
        return float(self._step_quantities[li][key][s, t, k])

    def value(self, key: Key) -> float:
        kind, name, s = key
        w = self.w
        if kind.startswith("step_"):
            return self.step_value(kind, name, s)
        if kind in ("z", "a", "dl_da", "da_dz", "delta"):
            li, i = self.where[name]
            return float(getattr(w, kind)[li][s, i])
        if kind == "loss_term":
            return float(w.loss_terms[s, self.where[name][1]])
        if kind == "loss":
            return float(w.loss if s is None else w.losses[s])
        if kind == "dl_dx":
            return float(w.dl_dx[s, self.inputs[name]])
        k = self.param[name]
        if kind == "new":
            return float(w.new[k])
        return float(w.grad[k] if s is None else w.grad_samples[s, k])

    @cached_property
    def values(self) -> _Values:
        """Key -> value, in computation order (each read when asked for)."""
        return _Values(self)

    def order(self) -> dict:
        """Key -> position in computation order."""
        return self._order

    def nearest(self, key: Key, among) -> list[Key]:
        """The quantities of `among` that `key` is computed from, looking through any not in it
        (a quiz's or an exercise's parents), in computation order."""
        out, stack, seen = [], list(self.deps[key]), set()
        while stack:
            k = stack.pop()
            if k in seen:
                continue
            seen.add(k)
            if k in among:
                out.append(k)
            else:
                stack.extend(self.deps[k])
        return sorted(out, key=self.order().__getitem__)

    @cached_property
    def _order(self) -> dict:
        return {k: i for i, k in enumerate(self.keys(inputs=True))}


class _Values(Mapping):
    def __init__(self, calc: Calc):
        self.calc = calc

    def __getitem__(self, key: Key) -> float:
        return self.calc.value(key)

    def __iter__(self):
        return self.calc.keys()

    def __len__(self) -> int:
        return sum(1 for _ in self.calc.keys())


class _Deps:
    """Key -> the quantities it was computed from, read off the layer kinds and the parameter slots."""

    def __init__(self, calc: Calc):
        self.calc = calc

    def __getitem__(self, key: Key) -> tuple:
        kind, name, s = key
        c = self.calc
        w = c.w
        if kind.startswith("step_"):  # inside a recurrent layer: graded on its own, not traced
            return ()
        if kind in ("z", "a", "da_dz", "delta"):
            li, i = c.where[name]
            return tuple(w.kinds[li].deps(kind, i, s, w.kinds[li - 1].neurons if li else None))
        if kind == "dl_da":
            li, i = c.where[name]
            if li == len(w.kinds) - 1:
                return (("a", name, s),)
            return tuple(("delta", o, s) for o in w.kinds[li + 1].neurons)
        if kind == "loss_term":
            return (("a", name, s),)
        if kind == "dl_dx":  # the first layer's δ back through its weights (given, so no quantity)
            return tuple(("delta", m, s) for m in w.kinds[0].neurons)
        if kind == "loss":
            if s is None:
                return tuple(("loss", "", r) for r in range(c.n_samples))
            return tuple(("loss_term", m, s) for m in w.kinds[-1].neurons)
        k = c.param[name]
        if kind == "new":
            return () if w.net.frozen[k] else (("grad", name, None),)
        if s is None:
            return tuple(("grad", name, r) for r in range(c.n_samples))
        return tuple(d for li, i, j in _slots_of(w, k) for d in
                     w.kinds[li].slot_deps(i, j, s, w.kinds[li - 1].neurons if li else None))


def step_names(spec: Spec) -> dict[str, tuple[int, int, int]]:
    """The time steps of every recurrent layer that returns its last state only, as the tables name
    them (`h1[t,k]`, 1-based): name -> (layer, step, unit), 0-based. (With `return: all` every hₜ is
    one of the layer's units already.)"""
    out = {}
    for li, layer in enumerate(spec.layers):
        o = layer.options
        if layer.kind in ("rnn", "gru", "lstm") and o.get("return") == "last":
            for t in range(o["time"]):
                for k in range(o["hidden"]):
                    out[f"h{li + 1}[{t + 1},{k + 1}]"] = (li, t, k)
    return out


def _slots_of(w: Worked, k: int) -> list[tuple[int, int, int | None]]:
    """Parameter k's slots as (layer, row, column; None for a bias), in slot order."""
    slots, out = w.slots, []
    for index in np.flatnonzero(slots.param == k):
        li = int(slots.layer[index])
        width = w.net.w_index[li].size // max(len(w.net.b_index[li]), 1) + 1
        i, j = divmod(int(index - slots.bounds[li]), width)
        out.append((li, i, None if j == width - 1 else j))
    return out


def compute(spec: Spec, decimals: int | None = None, variant=None, overrides: dict | None = None,
            entries_first: bool = False) -> Calc:
    """The step on the spec's first batch as a student computes it (rounded to `decimals`)."""
    from .mistakes import NONE

    return Calc(worked_step(spec, ByHand(decimals), variant or NONE, overrides, entries_first=entries_first))


def by_hand(spec: Spec, decimals: int, mistake=None, overrides: dict | None = None) -> list[Calc]:
    """The step rounded by hand in each order a student may add a tied parameter's gradient up.

    The per-sample order first; the step table's order (`entries_first`) too when a tied
    parameter is reduced over a batch, where the two can differ.
    """
    runs = [compute(spec, decimals, mistake, overrides)]
    if spec.effective_batch_size > 1 and runs[0].w.slots.count.max(initial=0) > 1:
        runs.append(compute(spec, decimals, mistake, overrides, entries_first=True))
    return runs


@dataclass
class Drift:
    quantity: str
    exact: float
    by_hand: float
    units: int | None  # by_hand − exact rounded to the same decimals, in units of the last decimal;
    # None when only one of the two is finite (the rounded computation reached log 0 or 1/0)

    def to_dict(self) -> dict:
        from .result import plain  # a value that is not finite is null in JSON

        return {"quantity": self.quantity, "exact": plain(self.exact), "by_hand": plain(self.by_hand),
                "drift": self.units}


def drift(spec: Spec, decimals: int) -> list[Drift]:
    """Every quantity exact and by hand; `units` ≠ 0 where rounding along the way changed the result."""
    exact, hand = compute(spec), compute(spec, decimals)
    n = exact.n_samples
    keys = [k for k in exact.keys() if not (n == 1 and k[0] in ("grad", "loss") and k[2] is not None)]
    ex = np.array([exact.value(k) for k in keys], dtype=float)
    bh = np.array([hand.value(k) for k in keys], dtype=float)
    both = np.isfinite(ex) & np.isfinite(bh)
    with np.errstate(all="ignore"):
        units = np.round((bh - round_half_up_array(np.where(both, ex, 0.0), decimals)) * 10**decimals)
    out = []
    for k, key in enumerate(keys):
        if both[k]:
            u = int(units[k])
        else:
            u = 0 if math.isfinite(ex[k]) == math.isfinite(bh[k]) else None
        out.append(Drift(key_text(key, n), float(ex[k]), float(bh[k]), u))
    return out


__all__ = ["Calc", "Drift", "Key", "by_hand", "compute", "drift", "key_text", "round_half_up"]
