"""Exercise variants meet every constraint asked, whatever the seed (checked independently of the
generator: by `step`, the diagnostics' rule and `check` on each mistake's planted answers)."""

import numpy as np
import pytest

from backcalc import check, load_spec, step
from backcalc.activations import get_activation
from backcalc.classroom.answer_key import answer_text
from backcalc.classroom.variants import generate
from backcalc.mistakes import variants as mistakes
from backcalc.quantities import compute
from tests.conftest import CONFIGS


def _decimals_of(x: float) -> int:
    text = repr(float(x))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def assert_meets_constraints(v, decimals: int, answer_decimals: int) -> None:
    spec = v.spec
    # nice numbers: every given number has at most `decimals` decimals, ending in 0 or 5
    for values in [spec.inputs, *(layer.weights for layer in spec.layers), *(layer.biases for layer in spec.layers)]:
        for x in np.ravel(values):
            assert _decimals_of(x) <= decimals
            assert round(x * 10**decimals) % 5 == 0
    result = step(spec)
    for li, layer in enumerate(result.layers):
        act = get_activation(spec.layers[li].activation)
        z = np.asarray(layer.z, dtype=float)
        if act.dies:
            assert np.all(np.any(z > 0, axis=0)), "a dead ReLU neuron"
        if act.saturates:
            assert np.min(np.asarray(layer.da_dz, dtype=float)) >= 0.05, "a saturated neuron"
    assert step(result.next_spec()).loss < result.loss, "the loss does not fall"
    right = {q.name: q.text for q in v.key}
    assert check(spec, right).ok
    for mistake, variant in mistakes(spec):  # every quantity a mistake changes is marked wrong
        run = compute(spec, variant=variant)
        planted = {q.name: answer_text(run.values[q.key], answer_decimals) for q in v.key}
        verdicts = {x.quantity: x for x in check(spec, planted).verdicts}
        for q in v.key:
            changed = abs(run.values[q.key] - q.correct) > 1e-9 * max(abs(q.correct), 1e-12)
            assert (verdicts[q.name].verdict == "wrong") == changed, (mistake, q.name)
            if changed and verdicts[q.name].upstream is None:  # where the error begins check names it
                assert mistake in [c.mistake for c in verdicts[q.name].causes], (mistake, q.name)


@pytest.mark.parametrize("seed", range(6))
def test_sigmoid_variants_meet_every_constraint(seed):
    made = generate(load_spec(CONFIGS / "sigmoid_seed.yaml"), 2, seed)
    for v in made.variants:
        assert_meets_constraints(v, 2, 4)


@pytest.mark.parametrize("name,seed", [("relu_seed", 3), ("batch_seed", 1), ("softmax_classifier", 2),
                                       ("xor", 4), ("mazur", 5)])
def test_other_templates_meet_every_constraint(name, seed):
    made = generate(load_spec(CONFIGS / f"{name}.yaml"), 1, seed, decimals=2, answer_decimals=4)
    assert_meets_constraints(made.variants[0], 2, 4)


def test_the_same_seed_draws_the_same_variants_and_another_seed_others():
    template = load_spec(CONFIGS / "sigmoid_seed.yaml")
    a, b, c = (generate(template, 3, s) for s in (7, 7, 8))
    assert [v.yaml for v in a.variants] == [v.yaml for v in b.variants]
    assert [v.yaml for v in a.variants] != [v.yaml for v in c.variants]
    assert len({v.yaml.split("\n", 1)[1] for v in a.variants}) == 3  # no two variants alike


def test_progress_is_told_after_each_variant_found():
    seen = []
    made = generate(load_spec(CONFIGS / "sigmoid_seed.yaml"), 3, 4, progress=lambda found, draws: seen.append(found))
    assert seen == [1, 2, 3] and len(made.variants) == 3
