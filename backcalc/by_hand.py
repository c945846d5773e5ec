"""A step's gradients added up as a student does: per sample over a parameter's slots, then over the batch."""

from __future__ import annotations

import numpy as np


def gradients(w, slots, li: int, mine: np.ndarray, entries_first: bool) -> None:
    """The per-sample and batch gradients of the parameters in `mine`, once layer li's δ is known."""
    pw, pb = w.products[li]
    n, size = w.n, len(w.net.names)
    if w.slot_products is None:
        w.slot_products = np.zeros((n, len(slots.param)))
    pw = pw.reshape(n, pb.shape[1], pw[0].size // max(pb.shape[1], 1))  # a kernel's entries as one row
    w.slot_products[:, slots.bounds[li]:slots.bounds[li + 1]] = (
        np.concatenate([pw, pb[:, :, None]], axis=2).reshape(n, -1))
    if not mine.any():
        return
    names = [w.net.names[k] for k in np.flatnonzero(mine)]
    chosen = mine[slots.param]
    per = w.arith.record(w.mistake.add_slots(slots, w.slot_products, chosen, size)[:, mine])
    per = w.put("grad", names, per)
    w.grad_samples[:, mine] = per
    mean = w.mistake.reduction(w.spec.reduction) == "mean"
    total = np.zeros(per.shape[1])
    for s in range(n):  # left to right from 0, as by hand
        total = total + per[s]
    grad = total / n if mean else total
    if entries_first and n > 1:
        by_slot = np.zeros(len(slots.param))
        for s in range(n):
            by_slot = by_slot + w.slot_products[s]
        by_slot = w.arith.record(by_slot / n if mean else by_slot)
        tied = slots.count[mine] > 1
        grad = np.where(tied, w.mistake.add_slots(slots, by_slot, chosen, size)[mine], grad)
    grad = w.put("grad", names, w.arith.record(grad), sample=False)
    w.grad[mine] = grad
