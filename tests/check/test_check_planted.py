"""`backcalc check` judged on random networks with planted mistakes.

The expected numbers come from tests/plant_reference.py, written from docs/check.md alone.
For each seed: a random network, a student's full (or partial) set of correct answers (all
right, exit 0), then, for every documented mistake that applies, the answers of a student who
makes exactly that mistake: the first wrong answers must be errors of their own naming the
mistake, the others must follow from them (docs/check.md "Follows from"), exit 1.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import numpy as np
import pytest

from tests.conftest import cli
from tests.plant_reference import (
    ancestors,
    answer_keys,
    compute,
    is_right,
    mistakes_for,
    random_net,
    spell,
)

# BACKCALC_PLANT_SEEDS=500 widens the hunt; the default keeps the suite quick
SEEDS = range(int(os.environ.get("BACKCALC_PLANT_SEEDS", 24)))


def _scenario(seed):
    rng = np.random.default_rng(seed)
    net = random_net(rng)
    correct = compute(net)
    keys = answer_keys(correct, net.B)
    if rng.uniform() < 0.4:  # a student who writes only some of the quantities
        keep = rng.uniform(size=len(keys)) < 0.6
        keys = [k for k, m in zip(keys, keep) if m] or keys
    decimals = {k: int(rng.integers(5, 7)) for k in keys}
    spellings = {k: spell(correct[k], rng, net.B) for k in keys}
    return rng, net, correct, keys, decimals, spellings


def _run(tmp_path, net, texts: dict[str, str], spellings, keys, round_=None):
    spec = tmp_path / "net.yaml"
    spec.write_text(net.yaml_text)
    ans = tmp_path / "answers.yaml"
    ans.write_text("".join(f'"{spellings[k]}": {texts[k]}\n' for k in keys))
    args = ["check", spec, "--answers", ans, "--json"]
    if round_ is not None:
        args += ["--round", str(round_)]
    result = cli(*args)
    assert result.exit_code in (0, 1), result.stderr + "\n" + net.yaml_text + ans.read_text()
    data = json.loads(result.stdout)
    by_line = {v["line"]: v for v in data["verdicts"]}
    verdicts = {k: by_line[i + 1] for i, k in enumerate(keys)}
    return result.exit_code, data, verdicts, spec.read_text() + "\n---\n" + ans.read_text()


def _texts(qs, keys, decimals):
    return {k: f"{qs[k].value:.{decimals[k]}f}" for k in keys}


def _plant(net, correct, keys, mistake, rng):
    if mistake != "sign":
        return compute(net, mistake)
    # a single forward value written with the wrong sign
    cands = [k for k in keys if (k.startswith("z_") or correct[k].deps and
                                 correct[k].deps[0].startswith("z_"))
             and abs(correct[k].value) > 0.01]
    if not cands:
        return None
    k = cands[int(rng.integers(len(cands)))]
    planted = dict(correct)
    q = correct[k]
    planted[k] = type(q)(q.key, -q.value, q.deps, q.per_sample)
    return planted


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_mistakes(seed, tmp_path):
    rng, net, correct, keys, decimals, spellings = _scenario(seed)
    anc = ancestors(correct)
    right = _texts(correct, keys, decimals)
    code, data, verdicts, shown = _run(tmp_path, net, right, spellings, keys)
    bad = {k: v for k, v in verdicts.items() if v["verdict"] != "right"}
    assert not bad, f"correct answers judged wrong: {list(bad)}\n{shown}"
    assert code == 0
    for k, v in verdicts.items():
        assert v["quantity"] == verdicts[k]["quantity"]
    canon = {v["quantity"]: k for k, v in verdicts.items()}

    skipped = []
    for mistake, cause in mistakes_for(net):
        planted = _plant(net, correct, keys, mistake, rng)
        if planted is None:
            skipped.append((mistake, "no forward value to flip"))
            continue
        texts = _texts(planted, keys, decimals)
        calls = {k: is_right(texts[k], correct[k].value) for k in keys}
        if None in calls.values():
            skipped.append((mistake, "an answer on the tolerance boundary"))
            continue
        wrong = [k for k in keys if not calls[k]]
        if not wrong:
            # e.g. no_derivative on an identity layer, a bias with zero gradient: the
            # mistake changes no written answer, so it cannot be told from being right
            skipped.append((mistake, "changes no written answer on this network"))
            continue
        # mistakes that give exactly the same written answers on this network (no_derivative
        # of an identity layer and no_derivative:all, say) cannot be told apart: any of them
        # is a right cause
        twins = {cause} | {c for m, c in mistakes_for(net) if m not in (mistake, "sign") and
                           _texts(compute(net, m), keys, decimals) == texts}
        code, data, verdicts, shown = _run(tmp_path, net, texts, spellings, keys)
        where = f"seed {seed}, planted {mistake}"
        print(shown)
        assert code == 1, where
        for k in keys:
            assert verdicts[k]["verdict"] == ("wrong" if k in wrong else "right"), (k, where)
        roots = [k for k in wrong if not (anc[k] & set(wrong))]
        for k in roots:
            v = verdicts[k]
            assert v["first_wrong_upstream"] is None, (k, v["first_wrong_upstream"], where)
            ids = [c["mistake"] for c in v["causes"]]
            assert twins & set(ids), (k, ids, where)
        for k in wrong:
            if k in roots:
                continue
            v = verdicts[k]
            up = v["first_wrong_upstream"]
            assert up is not None, (k, [c["mistake"] for c in v["causes"]], where)
            assert canon[up] in roots and canon[up] in anc[k], (k, up, where)
        assert sorted(data["summary"]["first_wrong"]) == sorted(
            verdicts[k]["quantity"] for k in roots), where


def test_every_mistake_is_planted_somewhere():
    """The seeds cover every documented mistake with a case check can be judged on."""
    seen = Counter()
    for seed in SEEDS:
        rng, net, correct, keys, decimals, _ = _scenario(seed)
        for mistake, cause in mistakes_for(net):
            if mistake == "sign":
                seen[cause] += 1
                continue
            planted = compute(net, mistake)
            if any(f"{planted[k].value:.{decimals[k]}f}" != f"{correct[k].value:.{decimals[k]}f}"
                   for k in keys):
                seen[cause if ":" not in cause else cause.split(":")[0] + (
                    ":all" if cause.endswith("all") else ":L")] += 1
    wanted = ["updated_weights", "no_derivative:L", "no_derivative:all", "reduction",
              "factor_2_grad", "factor_half_grad", "factor_2_loss", "factor_half_loss",
              "sign_grad", "sign_update", "bias_not_updated", "frozen_updated", "sign"]
    assert {m: seen[m] for m in wanted if seen[m] < 2} == {}


ROUND_SEEDS = range(1000, 1000 + max(12, len(SEEDS) // 2))


@pytest.mark.parametrize("seed", ROUND_SEEDS)
def test_hand_rounded_answers(seed, tmp_path):
    """Answers worked with every intermediate rounded to N decimals (halves up on the decimal
    value): right by hand-rounding under `--round N` (exit 0); without it, each one that misses
    the exact value is wrong, and where such an error begins its cause is `rounding`."""
    rng, net, correct, keys, _, spellings = _scenario(seed)
    n = int(rng.integers(2, 5))
    hand = compute(net, rnd=n)
    texts = {k: f"{hand[k].value:.{n}f}" for k in keys}
    calls = {k: is_right(texts[k], correct[k].value) for k in keys}
    # an answer exactly half a unit from the exact value (0.01 for 0.005) may fall either way
    keys_sure = [k for k in keys if calls[k] is not None]
    code, data, verdicts, shown = _run(tmp_path, net, texts, spellings, keys, round_=n)
    print(shown)
    for k in keys:
        want = {True: ["right"], False: ["right_by_rounding"], None: ["right", "right_by_rounding"]}
        assert verdicts[k]["verdict"] in want[calls[k]], (k, verdicts[k]["by_hand"], hand[k].value)
    assert code == 0
    keys = keys_sure

    wrong = [k for k in keys if not calls[k]]
    code, data, verdicts, shown = _run(tmp_path, net, texts, spellings, keys)
    assert code == (1 if wrong else 0)
    anc = ancestors(correct)
    for k in keys:
        v = verdicts[k]
        assert v["verdict"] == ("wrong" if k in wrong else "right"), k
        if k in wrong and not (anc[k] & set(wrong)):
            assert "rounding" in [c["mistake"] for c in v["causes"]], (k, v["causes"])
        if k in wrong and v["first_wrong_upstream"] is None:
            assert "rounding" in [c["mistake"] for c in v["causes"]], (k, v["causes"])


@pytest.mark.parametrize("seed", [s for s in SEEDS if s % 3 == 0])
def test_two_mistakes_in_one_file(seed, tmp_path):
    """A loss mistake and an update or backward mistake in one file are two errors, each with
    its own cause (docs/check.md: "three errors with three causes")."""
    rng, net, correct, keys, decimals, spellings = _scenario(seed)
    loss_mistakes = [m for m, _ in mistakes_for(net) if m.endswith("_loss")]
    other = [m for m, _ in mistakes_for(net) if m in ("sign_update", "updated_weights", "sign_grad")]
    if not loss_mistakes:
        pytest.skip("no loss mistake applies (not a squared-error loss)")
    first = loss_mistakes[int(rng.integers(len(loss_mistakes)))]
    second = other[int(rng.integers(len(other)))]
    a, b = compute(net, first), compute(net, second)
    is_loss = {k for k in keys if k == "loss" or k.startswith("loss_") or k.startswith("loss[")}
    texts = {**_texts(b, keys, decimals),
             **{k: f"{a[k].value:.{decimals[k]}f}" for k in is_loss}}
    calls = {k: is_right(texts[k], correct[k].value) for k in keys}
    if None in calls.values():
        pytest.skip("an answer on the tolerance boundary")
    wrong = [k for k in keys if not calls[k]]
    if not (set(wrong) & is_loss) or not (set(wrong) - is_loss):
        pytest.skip("one of the two mistakes changes no written answer here")
    code, data, verdicts, shown = _run(tmp_path, net, texts, spellings, keys)
    print(shown)
    assert code == 1
    anc = ancestors(correct)
    roots = [k for k in wrong if not (anc[k] & set(wrong))]
    for k in roots:
        cause = "reduction" if first.startswith("reduction") else first
        if k not in is_loss:
            cause = second
        assert verdicts[k]["first_wrong_upstream"] is None, k
        assert cause in [c["mistake"] for c in verdicts[k]["causes"]], (k, verdicts[k]["causes"])


def test_round_half_up_clears_cancellation_noise():
    """0.15 − 0.5·0.2937 is 0.00315 on paper (the float is 0.0031499999999999944): 0.0032."""
    from backcalc.handcalc import round_half_up

    assert round_half_up(0.15 - 0.5 * 0.2937, 4) == 0.0032
    assert round_half_up(0.6 - 0.5 * 0.1385, 4) == 0.5308
    assert round_half_up(-0.42 + 0.015, 2) == -0.41
    assert round_half_up(0.5307499, 4) == 0.5307
