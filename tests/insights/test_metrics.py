"""The DORA definitions and the difference in differences, on hand-made histories with known answers.

Histories are built from per-event records (`history_of`, `group_by_team`: the reference the SQL path is held
equal to in tests/insights/value/test_delivery_aggregates.py); the metrics are read from the weekly
aggregates. Medians come from duration buckets: exact in these cases (no bucket holds a middle value that is
neither its smallest nor its largest), within `durations.MEDIAN_RELATIVE_ERROR` in general (tested below).
"""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from catalog.insights import durations as d
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
    history = m.history_of([deploy(0), deploy(0, 2), deploy(1), deploy(1, 3, ok=False)])
    result = m.measure(history, window(0, 2))
    assert result.deployments == 4
    assert result.deployment_frequency == 1.5  # 3 successful in 2 weeks


def test_below_the_minimum_every_metric_is_not_enough_data():
    history = m.history_of([deploy(0), deploy(1)])
    result = m.measure(history, window(0, 2))
    assert result.deployment_frequency is None and result.change_fail_rate is None
    assert result.rework_rate is None and result.lead_time_hours is None


def test_change_fail_rate_counts_failures_remediated_and_incident_causing_deployments():
    history = m.history_of(
        [
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
    history = m.history_of(
        [
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
    history = m.history_of(
        [deploy(0, 1, ok=False), deploy(0, 2), deploy(0, 3), deploy(0, 4)],
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


# --- Empty weeks, failures without recovery, clock skew ------------------------------------------------


def test_empty_weeks_count_as_weeks_without_deployments():
    history = m.history_of([deploy(0), deploy(0, 2), deploy(2), deploy(2, 3)])  # nothing in week 1
    result = m.measure(history, window(0, 3))
    assert result.deployments == 4
    assert result.deployment_frequency == pytest.approx(4 / 3)  # the empty week is in the denominator
    assert MONDAY.date() + timedelta(weeks=1) not in history.weeks
    empty = m.weekly(history, [MONDAY.date() + timedelta(weeks=k) for k in range(3)])[1]
    assert empty == m.Metrics(0, None, None, None, None, None, changes=0, failures=0)
    # A window with no event at all: every metric says "not enough data", nothing divides by zero.
    nothing = m.measure(m.TeamHistory(), window(0, 8))
    assert (
        nothing.deployments == 0 and nothing.deployment_frequency is None and nothing.recovery_hours is None
    )


def test_failures_without_recovery_count_as_failures_and_give_no_recovery_time():
    history = m.history_of([deploy(0, 0), deploy(0, 1), deploy(0, 2, ok=False), deploy(0, 3, ok=False)])
    result = m.measure(history, window(0, 1))
    assert result.failures == 2 and result.change_fail_rate == pytest.approx(2 / 4)
    assert result.recovery_hours is None  # not recovered (yet): no time, rather than an invented one
    # Recovered a week later: the recovery time belongs to the week of the failure.
    later = m.history_of([deploy(0, 0), deploy(0, 1), deploy(0, 2, ok=False), deploy(1, 2)])
    assert m.measure(later, window(0, 1)).recovery_hours == pytest.approx(7 * 24)
    assert m.measure(later, window(1, 1), minimum=1).recovery_hours is None  # week 1 had no failure


def test_a_first_commit_after_the_merge_starts_the_lead_time_at_the_merge():
    history = m.history_of(
        [deploy(0, 2), deploy(0, 3), deploy(0, 4)],
        changes=[
            m.ChangeRecord(1, "acme/api", merged_at=at(0, 2, 6), first_commit_at=at(0, 2, 9)),  # skewed: 6 h
            m.ChangeRecord(1, "acme/api", merged_at=at(0, 3, 0), first_commit_at=at(0, 2, 12)),  # 24 h
            m.ChangeRecord(1, "acme/api", merged_at=at(0, 4, 0)),  # 12 h
        ],
    )
    result = m.measure(history, window(0, 1))
    assert result.changes == 3 and result.lead_time_hours == pytest.approx(12.0)


def test_an_incident_resolved_before_it_opened_has_no_recovery_time():
    history = m.history_of(
        [deploy(0, 0), deploy(0, 1, ok=False), deploy(0, 2)],  # recovered in 24 h
        incidents=[
            m.IncidentRecord(1, opened_at=at(0, 3), resolved_at=at(0, 3) - timedelta(hours=1)),  # skewed
            m.IncidentRecord(1, opened_at=at(0, 4)),  # still open
        ],
    )
    assert m.measure(history, window(0, 1)).recovery_hours == pytest.approx(24.0)


def test_events_after_now_count_once_their_time_has_come_but_link_at_once():
    now = at(0, 3)  # Thursday noon of week 0
    records = [
        deploy(0, 0),
        deploy(0, 1, ok=False),  # fails; recovered only by the deployment of day 4 (the future)
        deploy(0, 2),  # followed by a remediation stamped in the future: failed already
        deploy(0, 4, is_remediation=True),  # in the future: not counted yet
    ]
    changes = [
        m.ChangeRecord(1, "acme/api", merged_at=at(0, 0, 0)),  # deployed day 0: 12 h
        m.ChangeRecord(1, "acme/api", merged_at=at(0, 2, 18)),  # its deployment is in the future
    ]
    incidents = [m.IncidentRecord(1, opened_at=at(0, 2, 13), resolved_at=at(0, 5))]  # resolves in the future
    week = m.group_by_team(records, changes, incidents, now=now)[1].weeks[MONDAY.date()]
    assert (week.deployments, week.succeeded, week.failures, week.remediations) == (3, 2, 2, 0)
    assert d.histogram_count(week.lead_times) == 1
    assert week.recoveries == {}  # day 1's recovery (day 4) and the incident's end are still to come
    # Once now has passed them, everything counts where it belongs.
    week = m.group_by_team(records, changes, incidents, now=at(1))[1].weeks[MONDAY.date()]
    assert (week.deployments, week.remediations, d.histogram_count(week.recoveries)) == (4, 1, 3)
    assert d.histogram_count(week.lead_times) == 2


# --- The duration buckets and the median estimate ------------------------------------------------------


def test_bucket_bounds_run_from_five_minutes_to_ninety_days_in_quarter_doublings():
    bounds = d.BUCKET_BOUNDS
    assert bounds[0] == timedelta(minutes=5) and bounds[-2] < timedelta(days=90) <= bounds[-1]
    assert all(b / a == pytest.approx(2**0.25) for a, b in itertools.pairwise(bounds))
    assert d.bucket_of(timedelta(minutes=5) - timedelta(microseconds=1)) == 0
    assert d.bucket_of(timedelta(minutes=5)) == 1
    assert d.bucket_of(timedelta(days=400)) == len(bounds)
    assert pytest.approx(2 ** (1 / 8) - 1) == d.MEDIAN_RELATIVE_ERROR  # 9.05 %


def _histogram(hours: list[float]) -> d.Histogram:
    week = m.TeamWeek()
    for value in hours:
        week.add_lead_time(timedelta(hours=value))
    return week.lead_times


def test_the_median_is_exact_when_its_values_are_the_ends_of_their_buckets():
    assert d.median_estimate({}) is None
    assert d.median_estimate(_histogram([3.0])) == pytest.approx(3.0)
    assert d.median_estimate(_histogram([1.0, 1.01, 40.0])) == pytest.approx(1.01)  # the bucket's largest
    assert d.median_estimate(_histogram([1.0, 1.01, 40.0, 41.0])) == pytest.approx(20.505)  # two ends
    # A middle value inside a bucket: the geometric mean of the bucket's ends (1.0 and 1.02) stands for it.
    assert d.median_estimate(_histogram([1.0, 1.01, 1.02])) == pytest.approx((1.0 * 1.02) ** 0.5)
    assert d.median_estimate(_histogram([0.01, 0.02, 0.03])) == pytest.approx(0.02)  # under 5 min: linear


@pytest.mark.parametrize("seed", range(20))
def test_the_median_estimate_stays_within_the_documented_error(seed):
    rng = random.Random(seed)
    hours = [rng.lognormvariate(rng.uniform(-1, 5), rng.uniform(0.1, 2)) for _ in range(rng.randint(1, 400))]
    hours = [h for h in hours if 5 / 60 <= h <= 90 * 24] or [1.0]
    true = statistics.median(hours)
    estimate = d.median_estimate(_histogram(hours))
    assert abs(estimate - true) <= d.MEDIAN_RELATIVE_ERROR * true + 1e-9


def test_merging_weeks_merges_their_buckets():
    first, second = m.TeamWeek(deployments=1, succeeded=1), m.TeamWeek(deployments=2, failures=1)
    first.add_recovery(timedelta(hours=1))
    second.add_recovery(timedelta(hours=1.05))
    second.add_recovery(timedelta(hours=30))
    first.merge(second)
    assert (first.deployments, first.succeeded, first.failures) == (3, 1, 1)
    bucket = d.bucket_of(timedelta(hours=1))
    assert first.recoveries[bucket] == d.Bin(2, 1.0, 1.05) and d.histogram_count(first.recoveries) == 3
