"""Durations (lead times, recovery times) as log-spaced histograms, and medians estimated from them.

Why: the metrics are read per team and week from GROUP BY queries, so a median over a window must come from
mergeable aggregates, not from the events. Bucket k holds [B(k-1), B(k)) with B(k) = 5 min x 2^(k/4) up to
90 days, plus an underflow bucket below 5 minutes and an overflow one above; each bucket keeps its count and
its smallest and largest value (all three merge exactly across weeks).

The estimate: an order statistic that is the smallest or largest value of its bucket is exact; any other is
the geometric mean of its bucket's smallest and largest value, within a factor 2^(1/8) of the true value
(both lie in one bucket, whose ends are less than 2^(1/4) apart): a relative error of at most
`MEDIAN_RELATIVE_ERROR` (9.05%) between 5 minutes and 90 days. Below 5 minutes the arithmetic mean is used
(an absolute error under 2.5 minutes); beyond 90 days the error is bounded by the spread of the values seen
there. A median of an even count averages two such estimates, so the same bound holds.

`catalog.insights.value.selectors` computes the same bucket in SQL from `BUCKET_BOUNDS` (a CASE ladder:
SQLite has no LOG), so a duration falls in the same bucket on either path.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

BUCKET_SMALLEST = timedelta(minutes=5)
BUCKET_LARGEST = timedelta(days=90)
BUCKETS_PER_DOUBLING = 4
# The worst relative error of a median estimate between 5 minutes and 90 days (see above).
MEDIAN_RELATIVE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1


def _bounds() -> tuple[timedelta, ...]:
    base = BUCKET_SMALLEST / timedelta(microseconds=1)
    bounds: list[timedelta] = []
    while not bounds or bounds[-1] < BUCKET_LARGEST:
        bounds.append(timedelta(microseconds=round(base * 2 ** (len(bounds) / BUCKETS_PER_DOUBLING))))
    return tuple(bounds)


# Bucket 0 is [0, BUCKET_BOUNDS[0]), bucket k is [BUCKET_BOUNDS[k-1], BUCKET_BOUNDS[k]), the last one is
# [BUCKET_BOUNDS[-1], ...). The SQL path compares with these same values, so both put a duration in the
# same bucket.
BUCKET_BOUNDS = _bounds()


def bucket_of(duration: timedelta) -> int:
    return bisect.bisect_right(BUCKET_BOUNDS, duration)


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


@dataclass(frozen=True)
class Bin:
    """The durations of one bucket: how many, and the smallest and largest (hours)."""

    count: int
    low: float
    high: float

    @classmethod
    def of(cls, duration: timedelta) -> Bin:
        return cls(1, hours(duration), hours(duration))

    def __add__(self, other: Bin) -> Bin:
        return Bin(self.count + other.count, min(self.low, other.low), max(self.high, other.high))


Histogram = dict[int, Bin]  # bucket -> its durations


def add_duration(histogram: Histogram, duration: timedelta) -> None:
    add_to_histogram(histogram, bucket_of(duration), Bin.of(duration))


def add_to_histogram(histogram: Histogram, bucket: int, values: Bin) -> None:
    held = histogram.get(bucket)
    histogram[bucket] = values if held is None else held + values


def histogram_count(histogram: Mapping[int, Bin]) -> int:
    return sum(b.count for b in histogram.values())


def order_statistic(histogram: Mapping[int, Bin], rank: int) -> float:
    """The estimated `rank`-th smallest duration (1-based; 1 <= rank <= the count), in hours."""
    for bucket in sorted(histogram):
        values = histogram[bucket]
        if rank > values.count:
            rank -= values.count
            continue
        if rank == 1:
            return values.low
        if rank == values.count:
            return values.high
        if bucket == 0:  # under 5 minutes: an absolute error (under 2.5 minutes) is what matters
            return (values.low + values.high) / 2
        return math.sqrt(values.low * values.high)
    raise ValueError("rank beyond the histogram's count")


def median_estimate(histogram: Mapping[int, Bin]) -> float | None:
    """The median of the durations in `histogram` (hours; None when empty), as `statistics.median` defines
    it (the mean of the two middle values for an even count)."""
    n = histogram_count(histogram)
    if n == 0:
        return None
    if n % 2:
        return order_statistic(histogram, (n + 1) // 2)
    return (order_statistic(histogram, n // 2) + order_statistic(histogram, n // 2 + 1)) / 2
