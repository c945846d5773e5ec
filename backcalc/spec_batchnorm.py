"""A batch norm layer's keys (`type: batchnorm`) read against what it receives: per channel after
a layer with channels (conv, pool: torch.nn.BatchNorm1d on N×C×L, BatchNorm2d on N×C×H×W), per
unit otherwise (BatchNorm1d on N×F), or as `per:` says; one gamma and beta per statistic. And the
batch check: a statistic over a single value is refused, as PyTorch refuses it (layers/batchnorm.py).
"""

from __future__ import annotations

import numpy as np

from .layers.windows import position_names, shape_text
from .reader import Reader, plural
from .schema import LAYER

ONE_VALUE = "Expected more than 1 value per channel when training"  # PyTorch's words for the same refusal


def read_batchnorm(r: Reader, li: int, node, m: dict, below, kind: str, spec_kinds):
    """The layer's KindShape; None after a problem. `spec_kinds` (its KindShape, Below, read_row) is
    passed in by the module itself, which keeps the imports one way."""
    path = f"layers[{li}]"
    per = r.field(m["per"][1], f"{path}.per", LAYER["per"]) if "per" in m else (
        "channel" if below.channels else "unit")
    if per is None:
        return None
    if per == "channel" and not below.channels:
        r.error(m["per"][1], f"{path}.per", f"`per: channel` needs a layer with channels before it (conv or pool), "
                f"but {below.said(li)}; use `per: unit`")
        return None
    n = below.size
    stats = below.shape[0] if per == "channel" else n
    rule = f"batchnorm {_after(li, below)} normalises per {per}"
    said = f"batchnorm per channel over {shape_text(below.shape)}" if per == "channel" else \
        f"batchnorm over {plural(n, 'feature')}"
    out = spec_kinds.Below(below.shape, f"{said} gives {shape_text(below.shape)}", channels=below.channels)
    options = {"keys": ("gamma", "beta"), "unit_names": position_names(f"n{li + 1}", below.shape), "per": per,
               "per_written": below.channels, "statistics": stats, "positions": n // stats}
    layer = spec_kinds.KindShape(li, kind, "identity", 0.01, options, out, weights=np.ones((stats, 1)),
                                 names=[[None] for _ in range(stats)], biases=np.zeros(stats),
                                 bias_names=[None] * stats)
    for key in ("gamma", "beta"):
        if key in m and not spec_kinds.read_row(r, m[key][1], f"{path}.{key}", stats, key, layer, key, rule):
            return None
    return layer


def _after(li: int, below) -> str:
    """Where the batch norm sits: `on the input (2 features)`, `after dense (3)`, `after conv2d (2×3×3)`."""
    if li == 0:
        return f"on the input ({plural(below.size, 'feature')})"
    return f"after {below.kind or 'dense'} ({shape_text(below.shape)})"


def check_statistics(r: Reader, maps, layers, n_samples: int, batch_size: int | None) -> None:
    """Refuse a batch norm whose statistic would be taken over one value in some batch: its variance is
    0, so x̂ = 0 whatever x is and no gradient reaches x or gamma (PyTorch refuses it in training)."""
    size = min(batch_size or n_samples, n_samples)
    sizes = {size, n_samples % size or size}
    for li, ((node, _), layer) in enumerate(zip(maps, layers)):
        if layer.kind != "batchnorm" or layer.options["positions"] * min(sizes) > 1:
            continue
        batch = "a batch of 1" if size == 1 else f"a last batch of 1 (batch_size {size} over {n_samples} samples)"
        per = "channel of 1×1" if layer.options["per"] == "channel" else layer.options["per"]
        r.error(node, f"layers[{li}]", f"batchnorm per {per} over {batch} takes each statistic over one value: "
                f"σ² = 0, so x̂ = 0 and no gradient reaches x or gamma (PyTorch refuses it: \"{ONE_VALUE}\"); "
                "give at least 2 samples per batch")
        return
