"""NPS and its 90% interval on hand-computed distributions; the anonymity threshold."""

from __future__ import annotations

import pytest

from catalog.insights.surveys.stats import MIN_ANSWERS, NOT_ENOUGH, nps_from_distribution


def counts(scores: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for s in scores:
        found[s] = found.get(s, 0) + 1
    return found


def test_hand_computed_nps_and_interval():
    # 5 promoters (10,10,9,9,10), 2 passives (8,7), 3 detractors (6,5,3); n = 10.
    # NPS = 50% - 30% = 20. var = (0.5 + 0.3 - 0.2^2) / 10 = 0.076; half = 1.645 * sqrt(0.076) * 100 = 45.35.
    result = nps_from_distribution(counts([10, 10, 9, 9, 8, 7, 6, 5, 3, 10]))
    assert result.enough and result.n == 10
    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.nps == 20.0
    assert (result.low, result.high) == (-25.3, 65.3)
    assert result.distribution == (0, 0, 0, 1, 0, 1, 1, 1, 1, 2, 3)


def test_interval_is_clipped_to_the_scale():
    # 9 promoters, 1 detractor: NPS 80, half = 1.645 * sqrt((1.0 - 0.64) / 10) * 100 = 31.21 -> 111.2 clipped.
    result = nps_from_distribution(counts([10] * 9 + [0]))
    assert (result.nps, result.low, result.high) == (80.0, 48.8, 100.0)
    unanimous = nps_from_distribution(counts([3] * 6))
    assert (unanimous.nps, unanimous.low, unanimous.high) == (-100.0, -100.0, -100.0)


@pytest.mark.parametrize("n", [0, 1, MIN_ANSWERS - 1])
def test_below_the_threshold_only_n_is_known(n):
    result = nps_from_distribution(counts([10] * n))
    assert result.n == n and not result.enough
    assert result.nps is None and result.low is None and result.distribution == ()
    assert result.message == NOT_ENOUGH == "not enough answers yet (n < 5)"
    assert MIN_ANSWERS == 5
