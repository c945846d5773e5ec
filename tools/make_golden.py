"""Regenerate the golden table output of every config: `make golden`, then review the diff."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))  # conftest's in-process cli

from conftest import CONFIGS, cli  # noqa: E402

GOLDEN = TESTS / "golden"

# (file name, command line) pairs; the output is rendered at 100 columns, no colour.
CASES = [(f"{p.stem}.step.txt", ["step", str(p)]) for p in sorted(CONFIGS.glob("*.yaml"))] + [
    ("linear_seed.train.txt", ["train", str(CONFIGS / "linear_seed.yaml")]),
    ("sigmoid_seed_loop.train.txt", ["train", str(CONFIGS / "sigmoid_seed_loop.yaml"), "--every", "10"]),
    ("batch_seed_forward.forward.txt", ["forward", str(CONFIGS / "batch_seed_forward.yaml"), "--digits", "8"]),
    ("wide.step.txt", ["step", str(TESTS / "data" / "wide.yaml")]),
    ("mazur.graph.dot", ["graph", str(CONFIGS / "mazur.yaml")]),
    ("batch_seed.graph.mmd", ["graph", str(CONFIGS / "batch_seed.yaml"), "--format", "mermaid", "--sample", "2"]),
    ("conv_image.graph.dot", ["graph", str(CONFIGS / "conv_image.yaml")]),
    ("rnn_sequence.graph.mmd", ["graph", str(CONFIGS / "rnn_sequence.yaml"), "--format", "mermaid"]),
    ("batchnorm_batch.graph.mmd", ["graph", str(CONFIGS / "batchnorm_batch.yaml"), "--format", "mermaid",
                                   "--sample", "3"]),
]


def render(args: list[str]) -> str:
    result = cli(*args, env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, args in CASES:
        (GOLDEN / name).write_text(render(args))
        print(f"wrote tests/golden/{name}")
