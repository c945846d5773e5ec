"""Retired: `step --round N` worked solutions come from explain.hand_rounded (the core in ByHand arithmetic)."""

from .explain import hand_rounded

__all__ = ["hand_rounded"]
