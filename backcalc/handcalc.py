"""Retired: the step by hand is the worked-step core in `ByHand` arithmetic (core.py, quantities.py).

This module keeps the names other modules import from it.
"""

from .arithmetic import round_half_up
from .mistakes import Mistake, Variant, variants
from .quantities import Calc, Drift, Key, by_hand, compute, drift, key_text

__all__ = ["Calc", "Drift", "Key", "Mistake", "Variant", "by_hand", "compute", "drift", "key_text",
           "round_half_up", "variants"]
