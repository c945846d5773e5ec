"""A circuit's answers graded with check's rules: right within half a unit of the last written decimal,
what a wrong answer follows from (the student's own numbers carried forward), and the circuit
mistakes named: one path only at a fork, max's gradient sent to both inputs, a flipped sign, the
local derivative alone, the upstream gradient alone."""

from __future__ import annotations

from ..answers import Answer, matches
from ..arithmetic import ByHand, Float
from ..check import RIGHT, ROUNDING, WRONG, Cause, CheckResult, Verdict
from .answers import key_text
from .spec import Circuit
from .step import CircuitStep, worked_step


def lookup(step: CircuitStep, key: tuple):
    kind = key[0]
    if kind == "value":
        return step.leaves[key[1]] if key[1] in step.leaves else step.node(key[1]).value
    if kind == "grad":
        return step.grads[key[1]]
    if kind == "local":
        n = step.node(key[1])
        return sum(x for i, x in zip(n.inputs, n.local) if i == key[2])
    return step.new_values[key[1]]


def order(circuit: Circuit) -> dict:
    """Each key's place in the computation: values and local derivatives forward, gradients backward."""
    keys = [("value", leaf) for leaf in circuit.leaves]
    for n in circuit.nodes:
        keys.append(("value", n.name))
        keys += [("local", n.name, i) for i in dict.fromkeys(i for i in n.inputs if isinstance(i, str))]
    keys += [("grad", n.name) for n in reversed(circuit.nodes)] + [("grad", leaf) for leaf in circuit.leaves]
    keys += [("new", p) for p in circuit.parameters]
    return {k: i for i, k in enumerate(keys)}


def ancestors(circuit: Circuit, place: dict) -> dict:
    """Every key's set of the keys it is computed from (each one's come before it in `place`)."""
    names = {n.name: n for n in circuit.nodes}
    consumers: dict = {}
    for n in circuit.nodes:
        for i in dict.fromkeys(i for i in n.inputs if isinstance(i, str)):
            consumers.setdefault(i, []).append(n.name)
    found: dict = {}
    for key in sorted(place, key=place.get):
        kind, name = key[0], key[1]
        inputs = [("value", i) for i in names[name].inputs if isinstance(i, str)] if name in names else []
        direct = {"value": inputs, "local": inputs + [("value", name)],
                  "grad": [k for c in consumers.get(name, []) for k in (("grad", c), ("local", c, name))],
                  "new": [("value", name), ("grad", name)]}[kind]
        found[key] = set(direct).union(*(found[d] for d in direct))
    return found


def check(circuit: Circuit, answers: list[Answer], decimals: int | None = None,
          answers_source: str = "<answers>") -> CheckResult:
    exact = worked_step(circuit, Float())
    hand = worked_step(circuit, ByHand(decimals)) if decimals is not None else None
    place = order(circuit)
    verdicts = []
    for a in sorted(answers, key=lambda a: place[a.key]):
        correct = float(lookup(exact, a.key))
        by_hand = float(lookup(hand, a.key)) if hand is not None else None
        verdict = (RIGHT if matches(a.value, correct, a.tolerance)
                   else ROUNDING if by_hand is not None and matches(a.value, by_hand, a.tolerance) else WRONG)
        verdicts.append(Verdict(a, key_text(a.key, circuit.output), correct, by_hand, verdict))
    wrong = [v for v in verdicts if v.verdict == WRONG]
    if wrong:
        _explain(circuit, exact, answers, wrong, place)
    return CheckResult(circuit.source, answers_source, decimals, verdicts)


def _explain(circuit: Circuit, exact: CircuitStep, answers: list[Answer], wrong: list[Verdict], place: dict):
    given = {a.key: a.value for a in answers}
    both = worked_step(circuit, Float(), mistake=_max_to_both)
    wrong_keys = {v.answer.key for v in wrong}
    found = ancestors(circuit, place)
    for v in wrong:
        a = v.answer
        upstream = sorted((k for k in found[a.key] if k in wrong_keys), key=place.get)
        if upstream:
            v.upstream = key_text(upstream[0], circuit.output)
            # the step again from the student's other numbers (never this answer's own)
            carried = worked_step(circuit, Float(), given={k: x for k, x in given.items() if k != a.key})
            if matches(a.value, float(lookup(carried, a.key)), a.tolerance):
                continue  # right from the student's own numbers: nothing of its own to name
        v.causes = _causes(circuit, exact, both, a)


def _max_to_both(node, gate, args, local):
    return [x * 0 + 1 for x in local] if gate.routes else local


def _causes(circuit: Circuit, exact: CircuitStep, both: CircuitStep, a: Answer) -> list[Cause]:
    causes = []
    out = circuit.output
    value, correct = a.value, float(lookup(exact, a.key))
    if a.key[0] == "grad":
        causes += _fork_causes(exact, a, out)
        uses = exact.uses[a.key[1]]
        if len(uses) == 1:
            u = uses[0]
            if matches(value, float(u.local), a.tolerance) and not matches(correct, float(u.local), a.tolerance):
                causes.append(Cause("local_only", f"the local derivative ∂{u.node}/∂{a.key[1]} alone",
                                    f"times the upstream gradient ∂{out}/∂{u.node} = {float(u.upstream):.6g}"))
            elif (matches(value, float(u.upstream), a.tolerance) and exact.node(u.node).routed is None
                  and not matches(correct, float(u.upstream), a.tolerance)):
                causes.append(Cause("upstream_only", f"the upstream gradient ∂{out}/∂{u.node} alone",
                                    f"times the local derivative ∂{u.node}/∂{a.key[1]} = {float(u.local):.6g}"))
    mistaken = float(lookup(both, a.key))
    if not matches(mistaken, correct, a.tolerance) and matches(value, mistaken, a.tolerance):
        gates = sorted({n.gate for n in circuit.nodes if n.gate in ("max", "min")})
        causes.append(Cause("max_to_both", f"the {'/'.join(gates)} gate's gradient sent to both inputs",
                            "it routes the whole gradient to the winner; the other input gets 0"))
    if correct != 0 and matches(value, -correct, a.tolerance):
        causes.append(Cause("sign", "the sign is flipped"))
    return causes


def _fork_causes(exact: CircuitStep, a: Answer, out: str) -> list[Cause]:
    """A forked name's gradient with only some of its uses added (not every path)."""
    uses = exact.uses[a.key[1]]
    if len(uses) < 2:
        return []
    correct = float(exact.grads[a.key[1]])
    for size in range(1, len(uses)):
        for subset in _subsets(uses, size):
            partial = sum(float(u.grad) for u in subset)
            if matches(a.value, partial, a.tolerance) and not matches(correct, partial, a.tolerance):
                via = ", ".join(u.node for u in subset)
                terms = " + ".join(f"{float(u.grad):.6g} (via {u.node})" for u in reversed(uses))
                return [Cause("fork_one_path", f"only the path{'s' if size > 1 else ''} through {via} counted",
                              f"gradients add at forks: ∂{out}/∂{a.key[1]} = {terms}")]
    return []


def _subsets(items: list, size: int):
    from itertools import combinations

    return combinations(reversed(items), size) if len(items) <= 8 else ([u] for u in items) if size == 1 else []
