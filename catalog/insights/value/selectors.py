"""Reads for "is it worth it": delivery aggregates per team and week, and the before/after per capability.

The delivery history is read as aggregates, never as events: five GROUP BY queries per page whatever the
number of teams, events or capabilities (per team and ISO week: deployment counts; lead times and recovery
times as log-spaced histogram buckets; plus the unmapped repositories), returning rows that depend on
teams x weeks x buckets only. They read the fields that ingest keeps exact (`Deployment.failed`,
`.recovered_at`, `Change.deployed_at`: `catalog.insights.delivery.derived`) and build the same `TeamWeek`
records as `metrics.group_by_team` does from events, so `catalog.insights.metrics` holds the definitions.
Only production deployments of repositories mapped to a team count, the team resolved by a join on the
repository at read time (a mapping added later applies to past events); an unmapped repository is listed
separately so an admin sees what is missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncWeek

from catalog.insights import durations, metrics
from catalog.insights.adoption.selectors import onboarded_intervals_many
from catalog.insights.models import (
    Change,
    Deployment,
    DeploymentStatus,
    Incident,
    RepoMapping,
    SurveyRound,
)

HISTORY_WEEKS = 52 + 2 * metrics.WINDOW_WEEKS + 2  # a year of onboardings, each with its two windows


def _since(now: datetime) -> datetime:
    start = metrics.week_start(now) - timedelta(weeks=HISTORY_WEEKS)
    return datetime(start.year, start.month, start.day, tzinfo=UTC)


@dataclass
class DeliveryData:
    histories: dict[int, metrics.TeamHistory]
    unmapped_repositories: list[str] = field(default_factory=list)
    # `metrics.compare`'s cache of measured windows: a page compares many capabilities over these teams.
    measured: dict[tuple[int, metrics.Window], metrics.Metrics] = field(default_factory=dict)


def _bucket(duration: str, low: int = 0, high: int = len(durations.BUCKET_BOUNDS)) -> Expression:
    """`durations.bucket_of` in SQL: a binary search of CASEs over the same bounds (SQLite has no LOG), so a
    row takes ~6 comparisons. Bucket b holds [BUCKET_BOUNDS[b-1], BUCKET_BOUNDS[b])."""
    if low == high:
        return Value(low)
    middle = (low + high + 1) // 2
    return Case(
        When(
            **{f"{duration}__lt": durations.BUCKET_BOUNDS[middle - 1]},
            then=_bucket(duration, low, middle - 1),
        ),
        default=_bucket(duration, middle, high),
    )


def _week(moment: str) -> TruncWeek:
    return TruncWeek(moment, tzinfo=UTC)


def _durations(
    rows: QuerySet, *, week_of: str, duration: Expression
) -> Iterator[tuple[int, date, int, durations.Bin]]:
    """(team, Monday, bucket, count/smallest/largest in hours) of `duration`, one row per group."""
    grouped = (
        rows.filter(mapping__isnull=False)
        .annotate(
            team=F("mapping__team_id"),
            monday=_week(week_of),
            duration=ExpressionWrapper(duration, output_field=DurationField()),
        )
        .annotate(bucket=_bucket("duration"))
        .values("team", "monday", "bucket")
        .annotate(n=Count("pk"), low=Min("duration"), high=Max("duration"))
        .order_by()
    )
    for row in grouped:
        values = durations.Bin(row["n"], durations.hours(row["low"]), durations.hours(row["high"]))
        yield row["team"], row["monday"].date(), row["bucket"], values


def delivery_data(*, now: datetime | None = None) -> DeliveryData:
    """Every team's weeks of the current tenant since `HISTORY_WEEKS` ago, up to `now` (5 queries)."""
    now = now or datetime.now(UTC)
    since = _since(now)
    histories: dict[int, metrics.TeamHistory] = defaultdict(metrics.TeamHistory)
    production = Deployment.objects.filter(
        is_production=True, finished_at__gte=since, finished_at__lte=now
    ).exclude(status=DeploymentStatus.PENDING)
    counts = (
        production.filter(mapping__isnull=False)
        .annotate(team=F("mapping__team_id"), monday=_week("finished_at"))
        .values("team", "monday")
        .annotate(
            deployments=Count("pk"),
            succeeded=Count("pk", filter=Q(status=DeploymentStatus.SUCCESS)),
            failures=Count("pk", filter=Q(failed=True)),
            remediations=Count("pk", filter=Q(is_remediation=True)),
        )
        .order_by()
    )
    for row in counts:
        week = histories[row["team"]].week(row["monday"].date())
        week.deployments, week.succeeded = row["deployments"], row["succeeded"]
        week.failures, week.remediations = row["failures"], row["remediations"]

    lead_times = _durations(
        Change.objects.filter(deployed_at__gte=since, deployed_at__lte=now),
        week_of="deployed_at",
        duration=F("deployed_at") - Least(Coalesce("first_commit_at", "merged_at"), F("merged_at")),
    )
    for team, monday, bucket, values in lead_times:
        durations.add_to_histogram(histories[team].week(monday).lead_times, bucket, values)
    recoveries = _durations(
        production.filter(failed=True, recovered_at__isnull=False, recovered_at__lte=now),
        week_of="finished_at",
        duration=F("recovered_at") - F("finished_at"),
    )
    resolutions = _durations(
        Incident.objects.filter(
            opened_at__gte=since,
            opened_at__lte=now,
            resolved_at__isnull=False,
            resolved_at__lte=now,
            resolved_at__gte=F("opened_at"),  # resolved before it opened: a clock error, no duration
        ),
        week_of="opened_at",
        duration=F("resolved_at") - F("opened_at"),
    )
    for rows in (recoveries, resolutions):
        for team, monday, bucket, values in rows:
            durations.add_to_histogram(histories[team].week(monday).recoveries, bucket, values)

    mapped = RepoMapping.objects.filter(repository=OuterRef("repository"))
    unmapped = (
        production.filter(~Exists(mapped))
        .values_list("repository", flat=True)
        .distinct()
        .order_by("repository")
    )
    return DeliveryData(histories=dict(histories), unmapped_repositories=list(unmapped))


# --- Onboarding intervals come from the adoption concern (one definition of "onboarded when") ----------

Interval = tuple[datetime, datetime | None]


def _overlaps(intervals: list[Interval], window: metrics.Window) -> bool:
    start = datetime(window.start.year, window.start.month, window.start.day, tzinfo=UTC)
    end = datetime(window.end.year, window.end.month, window.end.day, tzinfo=UTC)
    return any(begin < end and (left is None or left > start) for begin, left in intervals)


# --- Before / after per capability ---------------------------------------------------------------------


@dataclass
class CapabilityValue:
    capability: Any
    onboarded_teams: int
    comparisons: list[metrics.TeamComparison]
    effects: list[metrics.MetricEffect]
    waiting_teams: int  # onboarded too recently for a full after-window

    @property
    def compared_teams(self) -> int:
        return len(self.comparisons)


def capability_value(
    capability: Any,
    *,
    data: DeliveryData,
    intervals: dict[int, dict[int, list[Interval]]],
    now: datetime | None = None,
) -> CapabilityValue:
    """Each adopting team's first onboarding of `capability` against the teams not onboarded meanwhile."""
    now = now or datetime.now(UTC)
    teams = intervals.get(capability.pk, {})
    first = {team_id: spans[0][0] for team_id, spans in teams.items() if spans}
    current = sum(1 for spans in teams.values() if spans and spans[-1][1] is None)

    def onboarded_during(team_id: int, window: metrics.Window) -> bool:
        return _overlaps(teams.get(team_id, []), window)

    comparisons = metrics.compare(data.histories, first, onboarded_during, now=now, measured=data.measured)
    return CapabilityValue(
        capability=capability,
        onboarded_teams=current,
        comparisons=comparisons,
        effects=metrics.effects(comparisons),
        waiting_teams=len(first) - len(comparisons),
    )


def capabilities_value(
    capabilities: list[Any],
    *,
    now: datetime | None = None,
    intervals: dict[int, dict[int, list[Interval]]] | None = None,
    data: DeliveryData | None = None,
) -> list[CapabilityValue]:
    """The comparison for every capability given: 1 query (none when the caller has the `intervals`), or 5
    more when any of them was ever onboarded."""
    if intervals is None:
        intervals = onboarded_intervals_many([c.pk for c in capabilities])
    # Without an onboarding there is nothing to compare: skip the delivery history (the common case of a
    # capability page whose capability nobody adopted yet stays one query).
    if data is None:
        data = delivery_data(now=now) if any(intervals.values()) else DeliveryData(histories={})
    return [capability_value(c, data=data, intervals=intervals, now=now) for c in capabilities]


def weekly_team_metrics(
    team_id: int, *, data: DeliveryData, weeks: int = 26, now: datetime | None = None
) -> list[tuple[date, metrics.Metrics]]:
    """One team's metrics per week, the last `weeks` whole weeks."""
    now = now or datetime.now(UTC)
    this_week = metrics.week_start(now)
    mondays = [this_week - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    history = data.histories.get(team_id, metrics.TeamHistory())
    return list(zip(mondays, metrics.weekly(history, mondays), strict=True))


def latest_nps(capability_ids: list[int]) -> dict[int, Any]:
    """capability -> the NPS result of its last closed survey round (2 queries; below the anonymity threshold
    the result says so and carries n only)."""
    from catalog.insights.surveys.selectors import distributions

    latest: dict[int, int] = {}
    for capability_id, round_id in (
        SurveyRound.objects.filter(capability_id__in=capability_ids, closed_at__isnull=False)
        .order_by("capability_id", "-closed_at", "-pk")
        .values_list("capability_id", "pk")
    ):
        latest.setdefault(capability_id, round_id)
    results = distributions(list(latest.values())) if latest else {}
    return {capability_id: results[round_id] for capability_id, round_id in latest.items()}
