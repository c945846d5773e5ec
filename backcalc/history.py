"""A bounded summary of a loss curve: constant memory however many epochs run."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .result import EpochRecord


@dataclass
class Bucket:
    """Consecutive epochs `first`…`last` merged: the mean of their losses, the extremes."""

    first: int
    last: int
    total: float
    count: int
    low: float
    high: float

    @property
    def mean(self) -> float:
        return self.total / self.count

    def merge(self, other: Bucket) -> Bucket:
        return Bucket(self.first, other.last, self.total + other.total, self.count + other.count,
                      min(self.low, other.low), max(self.high, other.high))


class LossHistory:
    """Keeps at most `limit` buckets of equal epoch width (the last may be partial).

    When a new epoch would exceed the limit, neighbouring buckets merge in
    pairs and the width doubles, so a million epochs cost as little memory as
    a hundred, and the summary is exact while epochs ≤ `limit`.
    """

    def __init__(self, limit: int = 1024):
        if limit < 2 or limit % 2:
            raise ValueError("limit must be an even number ≥ 2")
        self.limit = limit
        self.width = 1
        self.buckets: list[Bucket] = []

    def add(self, epoch: int, loss: float, low: float | None = None, high: float | None = None) -> None:
        """Record one epoch's mean loss and, when known, its smallest and largest batch loss."""
        if low is None:
            low = loss
        if high is None:
            high = loss
        buckets = self.buckets
        if buckets:
            b = buckets[-1]
            if b.count < self.width:  # grow the last bucket in place: this runs once per epoch
                b.last = epoch
                b.total += loss
                b.count += 1
                if low < b.low or low != low:
                    b.low = low
                if high > b.high or high != high:
                    b.high = high
                return
        buckets.append(Bucket(epoch, epoch, loss, 1, low, high))
        if len(buckets) > self.limit:
            pairs = [buckets[i:i + 2] for i in range(0, len(buckets), 2)]
            self.buckets = [p[0].merge(p[1]) if len(p) == 2 else p[0] for p in pairs]
            self.width *= 2

    def __len__(self) -> int:
        return len(self.buckets)

    def resampled(self, n: int) -> list[float]:
        """The curve as at most `n` means of consecutive epochs (weighted by epoch count)."""
        buckets = self.buckets
        if len(buckets) <= n:
            return [b.mean for b in buckets]
        out = []
        for k in range(n):
            group = buckets[k * len(buckets) // n:(k + 1) * len(buckets) // n]
            out.append(sum(b.total for b in group) / sum(b.count for b in group))
        return out


SPARK = "▁▂▃▄▅▆▇█"


def wants_log_scale(values: list[float]) -> bool:
    """A loss curve spanning two or more orders of magnitude reads better on a log scale."""
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) >= 100


def sparkline(values: list[float], log: bool = False) -> str:
    """Values as block characters from ▁ (the smallest) to █ (the largest); non-finite as a space.

    `log` scales by the logarithm (every value must then be positive).
    """
    if log:
        values = [math.log(v) if math.isfinite(v) and v > 0 else math.nan for v in values]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    lo, hi = min(finite), max(finite)
    span = hi - lo
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append(" ")
        elif span <= 0:
            out.append(SPARK[0])
        else:
            out.append(SPARK[min(len(SPARK) - 1, int((v - lo) / span * len(SPARK)))])
    return "".join(out)


class EarlyRows:
    """The records of the epochs before the first row at the shown spacing, thinned to at most ~100.

    A run stopped before its first spaced row would otherwise show only its first and last epoch;
    these give it rows spaced for the epochs it actually ran. Kept are the epochs that are multiples
    of `width` (1, 10, 100, …: each width divides the next, so nothing needed is lost on thinning).
    """

    LIMIT = 100

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Start over (a new run of epochs)."""
        self.width, self.rows, self.on = 1, [], True

    def add(self, epoch: int, loss: float, low: float, high: float, mean_sample: float) -> None:
        if not self.on or epoch % self.width:
            return
        self.rows.append(EpochRecord(epoch, loss, low, high, mean_sample))
        if len(self.rows) > self.LIMIT:
            self.width *= 10
            self.rows = [r for r in self.rows if r.epoch % self.width == 0]

    def stop(self) -> None:
        """A row at the shown spacing has been shown: nothing more to keep."""
        self.on, self.rows = False, []

    def spaced(self, after: int, before: int, rows: int = 10) -> list:
        """About `rows` kept records strictly between epochs `after` and `before`, at a round spacing."""
        span = before - after
        spacing = self.width
        for step in (k * 10 ** p for p in range(19) for k in (1, 2, 5)):
            spacing = self.width * step
            if span // spacing <= rows:
                break
        return [r for r in self.rows if after < r.epoch < before and r.epoch % spacing == 0]
