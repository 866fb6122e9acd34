"""The DORA definitions and the difference in differences, on hand-made histories with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from catalog.insights import metrics as m

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def at(week: int, day: int = 1, hour: int = 12) -> datetime:
    return MONDAY + timedelta(weeks=week, days=day, hours=hour)


def deploy(week: int, day: int = 1, *, ok: bool = True, team: int = 1, repo: str = "acme/api", **kw):
    return m.DeploymentRecord(team_id=team, repository=repo, finished_at=at(week, day), succeeded=ok, **kw)


def window(first_week: int, weeks: int) -> m.Window:
    start = MONDAY.date() + timedelta(weeks=first_week)
    return m.Window(start, start + timedelta(weeks=weeks))


def test_week_start_is_the_utc_monday():
    assert m.week_start(datetime(2026, 3, 8, 23, 59, tzinfo=UTC)) == date(2026, 3, 2)  # Sunday
    assert m.week_start(datetime(2026, 3, 9, 0, 0, tzinfo=UTC)) == date(2026, 3, 9)
    # 01:00 on Monday in UTC+02:00 is still Sunday in UTC
    assert m.week_start(datetime.fromisoformat("2026-03-09T01:00:00+02:00")) == date(2026, 3, 2)


def test_deployment_frequency_counts_successful_deployments_per_week():
    history = m.TeamHistory(deployments=[deploy(0), deploy(0, 2), deploy(1), deploy(1, 3, ok=False)])
    result = m.measure(history, window(0, 2))
    assert result.deployments == 4
    assert result.deployment_frequency == 1.5  # 3 successful in 2 weeks


def test_below_the_minimum_every_metric_is_not_enough_data():
    history = m.TeamHistory(deployments=[deploy(0), deploy(1)])
    result = m.measure(history, window(0, 2))
    assert result.deployment_frequency is None and result.change_fail_rate is None
    assert result.rework_rate is None and result.lead_time_hours is None


def test_change_fail_rate_counts_failures_remediated_and_incident_causing_deployments():
    history = m.TeamHistory(
        deployments=[
            deploy(0, 0),  # ok
            deploy(0, 1, ok=False),  # failed
            deploy(0, 2),  # followed by a remediation: failed
            deploy(0, 3, is_remediation=True),  # the rollback itself is fine
            deploy(0, 4, caused_incident=True),  # caused an incident: failed
            deploy(0, 5, repo="acme/web"),  # another repository: not affected by api's remediation
        ]
    )
    result = m.measure(history, window(0, 1))
    assert result.failures == 3
    assert result.change_fail_rate == pytest.approx(3 / 6)
    assert result.rework_rate == pytest.approx(1 / 6)


def test_recovery_time_runs_to_the_next_good_deployment_of_the_same_repository():
    history = m.TeamHistory(
        deployments=[
            deploy(0, 0),
            deploy(0, 1, ok=False),  # fails day 1 12:00 ...
            deploy(0, 1, repo="acme/web"),  # (other repo: does not recover api)
            deploy(0, 2),  # ... recovered day 2 12:00: 24 h
            deploy(0, 3),
        ],
        incidents=[m.IncidentRecord(team_id=1, opened_at=at(0, 4), resolved_at=at(0, 4, 18))],  # 6 h
    )
    assert m.measure(history, window(0, 1)).recovery_hours == pytest.approx(15.0)  # median of 24 and 6


def test_lead_time_is_first_commit_to_the_first_good_production_deployment_after_the_merge():
    history = m.TeamHistory(
        deployments=[deploy(0, 1, ok=False), deploy(0, 2), deploy(0, 3), deploy(0, 4)],
        changes=[
            # merged day 1 06:00, first commit day 0 12:00; day 1 12:00 failed; deployed day 2 12:00: 48 h
            m.ChangeRecord(1, "acme/api", merged_at=at(0, 1, 6), first_commit_at=at(0, 0)),
            # no commit time: from the merge (day 2 18:00) to day 3 12:00: 18 h
            m.ChangeRecord(1, "acme/api", merged_at=at(0, 2, 18)),
            # merged day 3 00:00 after first commit day 2 12:00 -> day 3 12:00: 24 h
            m.ChangeRecord(1, "acme/api", merged_at=at(0, 3, 0), first_commit_at=at(0, 2)),
            # another repository never deployed: no lead time
            m.ChangeRecord(1, "acme/other", merged_at=at(0, 1)),
        ],
    )
    result = m.measure(history, window(0, 1))
    assert result.changes == 3
    assert result.lead_time_hours == pytest.approx(24.0)


def test_windows_leave_the_onboarding_week_out():
    before, after = m.windows_around(at(10, 3))
    assert (before.start, before.end) == (
        MONDAY.date() + timedelta(weeks=2),
        MONDAY.date() + timedelta(weeks=10),
    )
    assert (after.start, after.end) == (
        MONDAY.date() + timedelta(weeks=11),
        MONDAY.date() + timedelta(weeks=19),
    )
    assert before.weeks == after.weeks == 8


def steady(team: int, weeks: range, per_week: int) -> list[m.DeploymentRecord]:
    return [deploy(w, d, team=team) for w in weeks for d in range(per_week)]


def test_difference_in_differences_subtracts_the_comparison_groups_change():
    onboarding_week = 10
    histories = m.group_by_team(
        # adopters: 1 per week before, 3 after (+2)
        steady(1, range(2, 10), 1)
        + steady(1, range(11, 19), 3)
        + steady(2, range(2, 10), 2)
        + steady(2, range(11, 19), 4)
        # comparison teams: 2 per week before, 3 after (+1)
        + steady(3, range(2, 10), 2)
        + steady(3, range(11, 19), 3)
        + steady(4, range(2, 10), 2)
        + steady(4, range(11, 19), 3)
        # team 5 onboarded in the span: never a comparison team
        + steady(5, range(2, 10), 5)
        + steady(5, range(11, 19), 0)
    )
    onboarded = {1: at(onboarding_week), 2: at(onboarding_week)}
    late = {5: at(onboarding_week + 4)}

    def onboarded_during(team: int, span: m.Window) -> bool:
        when = onboarded.get(team) or late.get(team)
        return when is not None and span.holds(when)

    comparisons = m.compare(histories, onboarded, onboarded_during, now=at(30))
    assert [c.team_id for c in comparisons] == [1, 2]
    assert comparisons[0].control_teams == 2  # teams 3 and 4, not 5
    assert comparisons[0].delta("deployment_frequency") == pytest.approx(2 - 1)
    assert comparisons[1].delta("deployment_frequency") == pytest.approx(2 - 1)

    effect = next(e for e in m.effects(comparisons) if e.metric == "deployment_frequency")
    assert effect.teams == 2 and effect.control_teams == 2
    assert effect.before == pytest.approx(1.5) and effect.after == pytest.approx(3.5)
    assert effect.difference == pytest.approx(1.0)
    assert effect.verdict == "better than comparison teams"


def test_one_adopting_team_is_not_enough_and_says_so():
    histories = m.group_by_team(
        steady(1, range(2, 19), 1) + steady(3, range(2, 19), 2) + steady(4, range(2, 19), 2)
    )
    comparisons = m.compare(histories, {1: at(10)}, lambda team, span: team == 1, now=at(30))
    effect = next(e for e in m.effects(comparisons) if e.metric == "deployment_frequency")
    assert effect.teams == 1 and effect.difference is None
    assert effect.verdict.startswith("not enough data")


def test_a_team_whose_after_window_has_not_ended_is_not_compared_yet():
    histories = m.group_by_team(steady(1, range(0, 12), 1))
    assert m.compare(histories, {1: at(10)}, lambda team, span: team == 1, now=at(15)) == []


def test_lower_lead_time_reads_as_better():
    effect = m.MetricEffect("lead_time_hours", "", 10.0, 5.0, -3.0, 2, 2, higher_is_better=False)
    assert effect.verdict == "better than comparison teams"
