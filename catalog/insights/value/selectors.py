"""Reads for "is it worth it": delivery histories per team and the before/after comparison per capability.

Everything is loaded in a fixed number of queries per page (mappings, deployments, changes, incidents,
adoption history), whatever the number of teams or capabilities, and handed to `catalog.insights.metrics`,
which holds the definitions. Only production deployments of repositories mapped to a team count; an
unmapped repository is listed separately so an admin sees what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from catalog.insights import metrics
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


def delivery_data(*, now: datetime | None = None) -> DeliveryData:
    """Every team's production history of the current tenant since `HISTORY_WEEKS` ago (4 queries)."""
    now = now or datetime.now(UTC)
    since = _since(now)
    teams = dict(RepoMapping.objects.values_list("repository", "team_id"))
    causes = set(
        Incident.objects.exclude(deployment_external_id="")
        .filter(opened_at__gte=since)
        .values_list("source_id", "deployment_external_id")
    )
    deployments, unmapped = [], set()
    rows = (
        Deployment.objects.filter(is_production=True, finished_at__gte=since, finished_at__lte=now)
        .exclude(status=DeploymentStatus.PENDING)
        .order_by("finished_at", "pk")
        .values_list("repository", "finished_at", "status", "is_remediation", "source_id", "external_id")
    )
    for repository, finished_at, status, remediation, source_id, external_id in rows:
        team_id = teams.get(repository)
        if team_id is None:
            unmapped.add(repository)
            continue
        deployments.append(
            metrics.DeploymentRecord(
                team_id=team_id,
                repository=repository,
                finished_at=finished_at,
                succeeded=status == DeploymentStatus.SUCCESS,
                is_remediation=remediation,
                caused_incident=(source_id, external_id) in causes,
            )
        )
    changes = [
        metrics.ChangeRecord(teams[repo], repo, merged_at=merged, first_commit_at=first)
        for repo, merged, first in Change.objects.filter(
            merged_at__gte=since, merged_at__lte=now
        ).values_list("repository", "merged_at", "first_commit_at")
        if repo in teams
    ]
    incidents = [
        metrics.IncidentRecord(teams[repo], opened_at=opened, resolved_at=resolved)
        for repo, opened, resolved in Incident.objects.filter(opened_at__gte=since).values_list(
            "repository", "opened_at", "resolved_at"
        )
        if repo in teams
    ]
    return DeliveryData(
        histories=metrics.group_by_team(deployments, changes, incidents),
        unmapped_repositories=sorted(unmapped),
    )


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

    comparisons = metrics.compare(data.histories, first, onboarded_during, now=now)
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
