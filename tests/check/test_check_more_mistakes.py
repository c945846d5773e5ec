"""The mistakes issue 18 added (docs/check.md's table), planted on random networks.

The planted answers come from tests/plant_reference.py (written from docs/check.md alone, no
backcalc import). For each seed and each new mistake that applies: the errors where it begins
name it (or a mistake giving the very same written answers), the others follow from them; and
on every run, planted or not, a mistake `check` names at an error of its own reproduces the
student's number when the reference recomputes the step with it.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.conftest import cli
from tests.plant_reference import (
    ancestors,
    answer_keys,
    compute,
    is_right,
    mistakes_for,
    more_mistakes_for,
    random_net,
    spell,
)

SEEDS = range(int(os.environ.get("BACKCALC_PLANT_SEEDS", 24)))
NOT_RECOMPUTED = {"rounding", "sign", "truncated"}  # judged on the answer itself, not a rerun


def scenario(seed):
    rng = np.random.default_rng(seed + 7000)
    net = random_net(rng)
    correct = compute(net)
    keys = answer_keys(correct, net.B)
    decimals = {k: int(rng.integers(5, 7)) for k in keys}
    spellings = {k: spell(correct[k], rng, net.B) for k in keys}
    return net, correct, keys, decimals, spellings


def run(tmp_path, net, texts, spellings, keys):
    spec = tmp_path / "net.yaml"
    spec.write_text(net.yaml_text)
    ans = tmp_path / "answers.yaml"
    ans.write_text("".join(f'"{spellings[k]}": {texts[k]}\n' for k in keys))
    result = cli("check", spec, "--answers", ans, "--json")
    assert result.exit_code in (0, 1), result.stderr
    data = json.loads(result.stdout)
    by_line = {v["line"]: v for v in data["verdicts"]}
    return result.exit_code, {k: by_line[i + 1] for i, k in enumerate(keys)}


def written(qs, keys, decimals):
    return {k: f"{qs[k].value:.{decimals[k]}f}" for k in keys}


def reproduces(net, cause: str, key: str, text: str) -> bool:
    """Does the reference, making this mistake, give this written answer?"""
    plants = ["reduction_loss", "reduction_grad"] if cause == "reduction" else [cause]
    return any(is_right(text, compute(net, m)[key].value) is not False for m in plants)


def assert_named_causes_reproduce(net, verdicts, texts, where):
    # the mistakes the reference can make on this network (no ∂a/∂z left out of a fused δ, say)
    known = {c for _, c in mistakes_for(net)} | set(more_mistakes_for(net))
    for k, v in verdicts.items():
        if v["verdict"] != "wrong" or v["first_wrong_upstream"] is not None:
            continue
        for c in v["causes"]:
            if c["mistake"] in NOT_RECOMPUTED or c["mistake"] not in known or "applied to your own" in c["text"]:
                continue
            assert reproduces(net, c["mistake"], k, texts[k]), (k, c, where)


@pytest.mark.parametrize("seed", SEEDS)
def test_new_mistakes_planted(seed, tmp_path):
    net, correct, keys, decimals, spellings = scenario(seed)
    anc = ancestors(correct)
    catalogue = [m for m, _ in mistakes_for(net) if m != "sign"] + more_mistakes_for(net)
    planted_any = 0
    for mistake in more_mistakes_for(net):
        planted = compute(net, mistake)
        texts = written(planted, keys, decimals)
        calls = {k: is_right(texts[k], correct[k].value) for k in keys}
        wrong = [k for k in keys if calls[k] is False]
        if None in calls.values() or not wrong:
            continue  # on a tolerance boundary, or no written answer changes on this network
        twins = {mistake} | {m for m in catalogue if m != mistake and written(compute(net, m), keys, decimals) == texts}
        twins |= {"reduction"} if twins & {"reduction_loss", "reduction_grad"} else set()
        code, verdicts = run(tmp_path, net, texts, spellings, keys)
        where = f"seed {seed}, planted {mistake}\n{net.yaml_text}"
        assert code == 1, where
        for k in keys:
            assert verdicts[k]["verdict"] == ("wrong" if k in wrong else "right"), (k, where)
        roots = [k for k in wrong if not (anc[k] & set(wrong))]
        for k in roots:
            v = verdicts[k]
            assert v["first_wrong_upstream"] is None, (k, where)
            assert twins & {c["mistake"] for c in v["causes"]}, (k, v["causes"], where)
        for k in set(wrong) - set(roots):
            assert verdicts[k]["first_wrong_upstream"] is not None, (k, verdicts[k]["causes"], where)
        assert_named_causes_reproduce(net, verdicts, texts, where)
        planted_any += 1
    if not planted_any:
        pytest.skip("no new mistake changes a written answer on this network")


@pytest.mark.parametrize("seed", SEEDS)
def test_old_mistakes_never_misnamed(seed, tmp_path):
    """The first catalogue's plants: every cause named, old or new, reproduces the number."""
    net, correct, keys, decimals, spellings = scenario(seed)
    for mistake, _ in mistakes_for(net):
        if mistake == "sign":
            continue
        texts = written(compute(net, mistake), keys, decimals)
        if any(is_right(texts[k], correct[k].value) is None for k in keys):
            continue
        _, verdicts = run(tmp_path, net, texts, spellings, keys)
        assert_named_causes_reproduce(net, verdicts, texts, f"seed {seed}, planted {mistake}")


def test_every_new_mistake_is_planted_somewhere():
    """The seeds reach every new mistake the random networks can show."""
    seen = set()
    for seed in SEEDS:
        net, correct, keys, decimals, _ = scenario(seed)
        for m in more_mistakes_for(net):
            if written(compute(net, m), keys, decimals) != written(correct, keys, decimals):
                seen.add(m.split(":")[0])
    assert {"derivative_at_a", "wrong_derivative", "softmax_diagonal", "dropped_path", "log10_loss",
            "log10_grad", "torch_mse", "tied_mean", "tied_entry"} - seen == set()
