"""The "trending" score: votes weighted by their age, with a half-life.

    trending(r, now) = sum over the votes v of r:  2 ^ (-(now - t_v) / H)        H = half-life (7 days)

A vote cast now counts 1, a week-old vote ½, a month-old vote about 1/20. Computed like that the score of
every request changes every second, so it could not be stored or indexed. It factors, though:

    trending(r, now) = 2 ^ (-(now - T0) / H) · sum 2 ^ ((t_v - T0) / H)          T0 = a fixed epoch

The first factor is the same for every request at a given moment, so the *order* of the board is the order
of the stored sum `trend_score = sum 2^((t_v - T0)/H)`. Each vote stores its own term (`Vote.weight`); a vote
adds it to the request's `trend_score`, an unvote subtracts it, a merge re-sums the moved votes. Sorting by
"trending" is then an index scan, like "top". `current()` turns a stored score back into today's value
("votes this week", roughly) for display.

Floats: a term grows by 2^52 (double precision) every 52 half-lives, one year; T0 is moved forward by a
release long before terms approach 2^1000 (about 19 years), with a one-off migration that divides every
score and weight by the same power of two. Old votes lose precision first, which is exactly the votes the
formula considers negligible.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

HALF_LIFE_DAYS = 7.0
TREND_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_HALF_LIFE_SECONDS = HALF_LIFE_DAYS * 86_400


def vote_weight(at: datetime | None = None) -> float:
    """The stored term of a vote cast at `at` (now by default)."""
    at = at or timezone.now()
    return 2.0 ** ((at - TREND_EPOCH).total_seconds() / _HALF_LIFE_SECONDS)


def current(trend_score: float, now: datetime | None = None) -> float:
    """The stored score as of `now`: the sum of 2^(-age/H) over the votes."""
    now = now or timezone.now()
    return trend_score * 2.0 ** (-(now - TREND_EPOCH).total_seconds() / _HALF_LIFE_SECONDS)
