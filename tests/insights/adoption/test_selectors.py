"""Eligible teams, the weekly series at week boundaries, time to onboard, churn, intervals, query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.insights.adoption import selectors, services
from portal.tenancy.context import tenant_context
from tests.catalog.factories import make_capability
from tests.factories import make_team

pytestmark = pytest.mark.django_db


def record(aw, team, *moves):
    with tenant_context(aw.tenant):
        for state, at in moves:
            services.adoption_set(
                membership=aw.membership(aw.world.admin), capability=aw.capability, team=team, state=state,
                effective_at=at,
            )  # fmt: skip


def summary(aw):
    with tenant_context(aw.tenant):
        return selectors.adoption_summary(aw.membership(aw.world.member), aw.capability)


def test_weekly_series_counts_teams_onboarded_at_the_end_of_each_iso_week():
    now = datetime(2025, 6, 18, 12, tzinfo=UTC)  # a Wednesday; its ISO week starts Monday 2025-06-16
    monday = datetime(2025, 6, 9, tzinfo=UTC)  # the Monday of the previous week
    intervals = [
        [(monday, None)],  # onboarded at the very start of last week: counts from last week on
        [
            (monday - timedelta(microseconds=1), monday + timedelta(weeks=1))
        ],  # left at this week's first instant
        [(monday + timedelta(weeks=1) - timedelta(microseconds=1), None)],  # last instant of last week
        [(monday - timedelta(weeks=3), monday - timedelta(weeks=2)), (monday + timedelta(days=9), None)],
    ]
    series = selectors.weekly_series(intervals, now)
    assert len(series) == 52
    assert series[-1][0] == date(2025, 6, 16) and series[0][0] == date(2025, 6, 16) - timedelta(weeks=51)
    by_week = dict(series)
    assert by_week[date(2025, 6, 16)] == 3  # first, third, fourth (back on the Wednesday); second left
    # A move belongs to the week its instant falls in: leaving at Monday 00:00 is next week's move.
    assert by_week[date(2025, 6, 9)] == 3  # first, second (still on at the last instant), third
    assert by_week[date(2025, 6, 2)] == 1  # the second (onboarded a microsecond before June 9th)
    assert by_week[date(2025, 5, 26)] == 0  # the fourth left exactly at the end of this week
    assert by_week[date(2025, 5, 19)] == 1
    assert all(count == 0 for start, count in series if start < date(2025, 5, 19))


def test_summary_counts_median_time_to_onboard_and_churn(aw):
    now = timezone.now()
    second = make_team(aw.tenant, "alpha-second")
    record(aw, aw.team, ("evaluating", now - timedelta(days=40)), ("onboarded", now - timedelta(days=30)))
    record(aw, second, ("evaluating", now - timedelta(days=24)), ("onboarded", now - timedelta(days=20)))
    record(aw, second, ("offboarded", now - timedelta(days=7)))
    record(aw, aw.other_team, ("onboarded", now - timedelta(days=15)))  # no evaluation: not in the median
    got = summary(aw)
    # world team, second, other team, and world_a's... every team but the owner is eligible
    with tenant_context(aw.tenant):
        from portal.accounts.models import Team

        assert got.eligible == Team.objects.exclude(pk=aw.owner_team.pk).count()
    assert got.onboarded == 2 and got.evaluating == 0
    assert got.short == f"2 of {got.eligible} eligible teams onboarded"
    assert got.median_days_to_onboard == 7.0 and got.onboard_samples == 2  # median of 10 and 4 days
    assert [(c.team_slug, c.offboarded_at) for c in got.churned] == [
        ("alpha-second", now - timedelta(days=7))
    ]
    assert got.churned[0].onboarded_at == now - timedelta(days=20)
    assert got.weekly[-1][1] == 2
    assert max(count for _, count in got.weekly) == 3


def test_a_listed_rule_defines_the_eligible_teams(aw):
    record(aw, aw.team, ("onboarded", None))
    with tenant_context(aw.tenant):
        services.adoption_rule_set(
            membership=aw.membership(aw.owner), capability=aw.capability, eligibility="listed",
            teams=[aw.other_team],
        )  # fmt: skip
    got = summary(aw)
    assert (got.eligible, got.onboarded) == (1, 0)  # the onboarded team is no longer counted
    assert got.short == "0 of 1 eligible team onboarded"


def test_onboarded_intervals_replay_the_history(aw):
    now = timezone.now()
    record(aw, aw.team, ("onboarded", now - timedelta(days=50)), ("offboarded", now - timedelta(days=40)))
    record(aw, aw.team, ("evaluating", now - timedelta(days=30)), ("onboarded", now - timedelta(days=20)))
    record(aw, aw.other_team, ("evaluating", now - timedelta(days=5)))
    with tenant_context(aw.tenant):
        intervals = selectors.onboarded_intervals(aw.capability.pk)
    assert intervals == {
        aw.team.pk: [(now - timedelta(days=50), now - timedelta(days=40)), (now - timedelta(days=20), None)]
    }


def test_invisible_capability_has_no_summary(aw):
    hidden = make_capability(
        aw.tenant, aw.owner_team, name="Hidden", visibility="teams", visible_to_teams=[aw.other_team]
    )
    with tenant_context(aw.tenant):
        assert selectors.adoption_summary(aw.membership(aw.world.member), hidden) is None


def grow(aw, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        team = make_team(aw.tenant)
        cap = make_capability(aw.tenant, aw.owner_team)
        with tenant_context(aw.tenant):
            for c in (aw.capability, cap):
                services.adoption_set(
                    membership=aw.membership(aw.world.admin), capability=c, team=team, state="evaluating",
                    effective_at=now - timedelta(days=30 + i),
                )  # fmt: skip
                services.adoption_set(
                    membership=aw.membership(aw.world.admin), capability=c, team=team, state="onboarded",
                    effective_at=now - timedelta(days=10 + i),
                )  # fmt: skip


def test_tenant_summaries_take_a_constant_number_of_queries(aw):
    def count() -> tuple[int, int]:
        with tenant_context(aw.tenant), CaptureQueriesContext(connection) as ctx:
            rows = selectors.tenant_adoption_summaries(aw.membership(aw.world.member))
        return len(ctx.captured_queries), len(rows)

    grow(aw, 2)
    small, caps_small = count()
    grow(aw, 8)
    large, caps_large = count()
    assert caps_large == caps_small + 8
    assert small == large <= 10
