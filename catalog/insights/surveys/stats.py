"""Net Promoter Score with its uncertainty: one definition for the pages, the API, the value panel and demo.

Input is the 0-10 distribution (count per score), never the answers themselves, so callers aggregate in SQL
and this module stays pure (and trivially testable on hand-computed cases).

Anonymity: below `MIN_ANSWERS` answers a round shows no NPS, no distribution and no texts: with three answers
and a known invitee list, a score or a sentence can name its author.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MIN_ANSWERS = 5  # the anonymity threshold: fewer answers in a round, and nothing but n is shown
NOT_ENOUGH = f"not enough answers yet (n < {MIN_ANSWERS})"
SCORES = range(0, 11)
PROMOTER_MIN = 9  # 9-10
DETRACTOR_MAX = 6  # 0-6 (7-8 are passives)
Z_90 = 1.645  # two-sided 90% normal quantile


@dataclass(frozen=True)
class NpsResult:
    """NPS in points (-100..100), n, and a 90% interval; `enough` is False below the anonymity threshold,
    and then every figure but `n` is None/empty."""

    n: int
    enough: bool
    nps: float | None = None
    low: float | None = None
    high: float | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    distribution: tuple[int, ...] = ()  # counts for scores 0..10

    @property
    def message(self) -> str:
        return "" if self.enough else NOT_ENOUGH

    @property
    def bars(self) -> list[dict[str, object]]:
        """The distribution for a chart: per score its count, share (%), bar height (0-100, relative to the
        tallest bar) and group, so the picture needs no colour to be read (the group is also a pattern)."""
        tallest = max(self.distribution, default=0) or 1
        return [
            {
                "score": score,
                "count": count,
                "percent": round(100 * count / self.n) if self.n else 0,
                "height": round(100 * count / tallest),
                "y": 100 - round(100 * count / tallest),
                "x": score * 20,
                "group": "promoter"
                if score >= PROMOTER_MIN
                else "detractor"
                if score <= DETRACTOR_MAX
                else "passive",
            }
            for score, count in enumerate(self.distribution)
        ]


def nps_from_distribution(counts: Mapping[int, int], *, min_answers: int = MIN_ANSWERS) -> NpsResult:
    """NPS = %promoters (9-10) - %detractors (0-6), with a 90% confidence interval.

    The interval is the normal (Wald) interval of the NPS estimator: the score of one answer is +1, 0 or -1,
    so the estimate p_pro - p_det is a mean of a three-valued variable whose variance is
    `p_pro + p_det - (p_pro - p_det)^2`; its standard error is that over n, square-rooted. The interval is
    NPS ± 1.645·sqrt(var/n)·100, clipped to [-100, 100] (the normal approximation can overshoot the range
    with small n or extreme scores). Chosen because it is the standard, documented one for NPS, needs no
    resampling (deterministic, computable from the distribution in SQL), and 90% matches what the issue asks;
    with small n it is approximate, which the threshold and the shown n make visible.
    """
    distribution = tuple(int(counts.get(score, 0)) for score in SCORES)
    if any(c < 0 for c in distribution):
        raise ValueError("counts must not be negative")
    n = sum(distribution)
    if n < min_answers or n == 0:
        return NpsResult(n=n, enough=False)
    promoters = sum(distribution[PROMOTER_MIN:])
    detractors = sum(distribution[: DETRACTOR_MAX + 1])
    passives = n - promoters - detractors
    p_pro, p_det = promoters / n, detractors / n
    score = p_pro - p_det
    variance = max(p_pro + p_det - score**2, 0.0) / n
    half = Z_90 * math.sqrt(variance) * 100
    nps = score * 100
    return NpsResult(
        n=n,
        enough=True,
        nps=round(nps, 1),
        low=round(max(nps - half, -100.0), 1),
        high=round(min(nps + half, 100.0), 1),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        distribution=distribution,
    )
