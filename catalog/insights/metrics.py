"""The delivery-performance (DORA) metrics and the before/after comparison, defined once.

The page, the API, the CSV export and the benchmarks all call these functions, so they always agree. They
are pure: they work on per-team, per-week aggregates (`TeamWeek`), never on events, so that a page reads a
number of rows that depends on teams x weeks x duration buckets and not on how much a team deploys. Those
aggregates come from two places that implement the same definitions: `group_by_team` builds them from
per-event records (the executable reference, used by the unit tests), and
`catalog.insights.value.selectors.delivery_data` builds them with GROUP BY queries over fields kept exact at
ingest (`catalog.insights.delivery.derived`); a test holds the two equal on the same history. The README's
"Delivery performance" section states the definitions with the source of every field.

Definitions (after DORA's 2024-2025 reports; "production" is what the ingest source names production):
- **Deployment frequency**: successful production deployments per week.
- **Change lead time**: for each change (a merged pull request or a push to the default branch), from its
  first commit (or, when the source gives no commit time, its merge) to the first successful production
  deployment of the same repository finishing at or after the merge. Median. A first commit stamped after
  the merge (clock skew) starts at the merge.
- **Change fail rate**: production deployments that failed (status failure), were followed by a remediation
  deployment as the next production deployment of the repository, or are named as the cause of an incident,
  over all finished production deployments.
- **Failed deployment recovery time**: from a failed deployment to the next successful production deployment
  of the repository that is not itself failed; for an incident, from opened to resolved (an incident resolved
  before it opened has no trustworthy duration and gives none). Median.
- **Rework rate**: remediation deployments (rollback, hotfix, fix-forward: unplanned work) over all finished
  production deployments.

Durations (lead and recovery times) are kept as log-spaced histograms (`catalog.insights.durations`), and a
median is estimated from the buckets of a window: within 9.1% of the true value between 5 minutes and 90
days (`durations.MEDIAN_RELATIVE_ERROR`), exact where the buckets allow it. Counts and rates are exact.

Time rules: an event counts in the ISO week (Monday 00:00 UTC) of its time (a deployment: when it finished;
a change: when it was deployed; a recovery: when the failed deployment finished; an incident: when it
opened) and only once that time is not in the future: a change, recovery or incident whose end lies after
`now` does not count yet. Links between events (the next deployment, the deployment an incident names) are
made as events arrive, whatever their times. A deployment's start time is not used by any metric (one that
"finished before it started" counts by its finish).

Before/after (difference in differences): for a team that onboarded a capability in week W, its value in
the 8 weeks before W against the 8 weeks after W (W itself is the transition and counts in neither), minus
the same change over the same calendar weeks for the teams that were not onboarded during those 16 weeks
(the comparison group). It measures association, not cause: other things change at the same time.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from catalog.insights.durations import (
    Histogram,
    add_duration,
    add_to_histogram,
    histogram_count,
    median_estimate,
)

WINDOW_WEEKS = 8
MIN_EVENTS = 3  # production deployments (or changes, or failures) a team needs in each window
MIN_TEAMS = 2  # adopting teams with enough data, and comparison teams, before a difference is shown


# --- Weeks -----------------------------------------------------------------------------------------------


def week_start(moment: datetime | date) -> date:
    """The Monday (UTC) of the ISO week holding `moment`."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """Whole weeks [start, end): `start` and `end` are Mondays."""

    start: date
    end: date

    def holds(self, moment: datetime) -> bool:
        return _at(self.start) <= moment < _at(self.end)

    @property
    def weeks(self) -> int:
        return (self.end - self.start).days // 7

    @property
    def mondays(self) -> list[date]:
        return [self.start + timedelta(weeks=k) for k in range(self.weeks)]


def windows_around(onboarded_at: datetime, weeks: int = WINDOW_WEEKS) -> tuple[Window, Window]:
    """The `weeks` whole weeks before the onboarding week, and the `weeks` after it."""
    w0 = week_start(onboarded_at)
    before = Window(w0 - timedelta(weeks=weeks), w0)
    after = Window(w0 + timedelta(weeks=1), w0 + timedelta(weeks=weeks + 1))
    return before, after


# --- Per-week aggregates: what the metrics are computed from ---------------------------------------------


@dataclass
class TeamWeek:
    """One team's production delivery in one week (see the module docstring for which week an event is in)."""

    deployments: int = 0  # finished production deployments
    succeeded: int = 0
    failures: int = 0  # failed changes (the change fail rate's numerator)
    remediations: int = 0
    lead_times: Histogram = field(default_factory=dict)
    recoveries: Histogram = field(default_factory=dict)  # failed deployments' and incidents'

    def add_lead_time(self, duration: timedelta) -> None:
        add_duration(self.lead_times, duration)

    def add_recovery(self, duration: timedelta) -> None:
        add_duration(self.recoveries, duration)

    def merge(self, other: TeamWeek) -> None:
        self.deployments += other.deployments
        self.succeeded += other.succeeded
        self.failures += other.failures
        self.remediations += other.remediations
        for bucket, values in other.lead_times.items():
            add_to_histogram(self.lead_times, bucket, values)
        for bucket, values in other.recoveries.items():
            add_to_histogram(self.recoveries, bucket, values)


@dataclass
class TeamHistory:
    """One team's weeks (Monday -> TeamWeek); a week without any event is absent."""

    weeks: dict[date, TeamWeek] = field(default_factory=dict)

    def week(self, monday: date) -> TeamWeek:
        return self.weeks.setdefault(monday, TeamWeek())


# --- The reference: aggregates from per-event records (tests; never the request path) -------------------


@dataclass(frozen=True)
class DeploymentRecord:
    team_id: int
    repository: str
    finished_at: datetime
    succeeded: bool
    is_remediation: bool = False
    caused_incident: bool = False


@dataclass(frozen=True)
class ChangeRecord:
    team_id: int
    repository: str
    merged_at: datetime
    first_commit_at: datetime | None = None


@dataclass(frozen=True)
class IncidentRecord:
    team_id: int
    opened_at: datetime
    resolved_at: datetime | None = None


def failed_flags(deployments: Sequence[DeploymentRecord]) -> list[bool]:
    """Per deployment (sorted by time, one repository or many): whether it counts as a failed change."""
    flags = [False] * len(deployments)
    following_is_remediation: dict[str, bool] = {}
    for index in reversed(range(len(deployments))):
        d = deployments[index]
        remediated = following_is_remediation.get(d.repository, False)
        flags[index] = not d.succeeded or remediated or d.caused_incident
        following_is_remediation[d.repository] = d.is_remediation
    return flags


def recovered_at(deployments: Sequence[DeploymentRecord], flags: Sequence[bool]) -> list[datetime | None]:
    """Per failed deployment (sorted by time): when the repository's next good one finished (else None)."""
    found: list[datetime | None] = [None] * len(deployments)
    next_good: dict[str, datetime] = {}
    for index in reversed(range(len(deployments))):
        d = deployments[index]
        if flags[index]:
            found[index] = next_good.get(d.repository)
        elif d.succeeded:
            next_good[d.repository] = d.finished_at
    return found


def successful_times(deployments: Sequence[DeploymentRecord]) -> dict[str, list[datetime]]:
    """Per repository, when its successful deployments (sorted by time) finished."""
    times: dict[str, list[datetime]] = defaultdict(list)
    for d in deployments:
        if d.succeeded:
            times[d.repository].append(d.finished_at)
    return times


def deployed_at(successful: Mapping[str, list[datetime]], change: ChangeRecord) -> datetime | None:
    """When the first successful deployment of the change's repository at or after its merge finished."""
    times = successful.get(change.repository, [])
    index = bisect.bisect_left(times, change.merged_at)
    return times[index] if index < len(times) else None


def lead_time(change: ChangeRecord, deployed: datetime) -> timedelta:
    start = change.first_commit_at or change.merged_at
    return deployed - min(start, change.merged_at)


def group_by_team(
    deployments: Iterable[DeploymentRecord],
    changes: Iterable[ChangeRecord] = (),
    incidents: Iterable[IncidentRecord] = (),
    *,
    now: datetime | None = None,
) -> dict[int, TeamHistory]:
    """Every team's weeks from per-event records (production deployments, finished, in id order).

    Links are made over all the records; what ends after `now` is left out (the module's time rules).
    """
    ordered = sorted(deployments, key=lambda d: d.finished_at)  # stable: equal times keep the id order
    flags = failed_flags(ordered)
    recoveries = recovered_at(ordered, flags)
    teams: dict[int, TeamHistory] = defaultdict(TeamHistory)

    def due(moment: datetime) -> bool:
        return now is None or moment <= now

    for d, failed, recovered in zip(ordered, flags, recoveries, strict=True):
        if not due(d.finished_at):
            continue
        week = teams[d.team_id].week(week_start(d.finished_at))
        week.deployments += 1
        week.succeeded += d.succeeded
        week.failures += failed
        week.remediations += d.is_remediation
        if failed and recovered is not None and due(recovered):
            week.add_recovery(recovered - d.finished_at)
    successful = successful_times(ordered)
    for change in changes:
        deployed = deployed_at(successful, change)
        if deployed is not None and due(deployed):
            teams[change.team_id].week(week_start(deployed)).add_lead_time(lead_time(change, deployed))
    for incident in incidents:
        resolved = incident.resolved_at
        if resolved is not None and resolved >= incident.opened_at and due(resolved):
            teams[incident.team_id].week(week_start(incident.opened_at)).add_recovery(
                resolved - incident.opened_at
            )
    return dict(teams)


def history_of(
    deployments: Iterable[DeploymentRecord],
    changes: Iterable[ChangeRecord] = (),
    incidents: Iterable[IncidentRecord] = (),
    *,
    now: datetime | None = None,
) -> TeamHistory:
    """The weeks of the records of one team (their team ids are ignored)."""
    merged = TeamHistory()
    for history in group_by_team(deployments, changes, incidents, now=now).values():
        for monday, week in history.weeks.items():
            merged.week(monday).merge(week)
    return merged


# --- The five metrics over one window ------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """One team's (or group's) metrics over a window. None: not enough data for that metric."""

    deployments: int
    deployment_frequency: float | None  # per week
    lead_time_hours: float | None  # median
    change_fail_rate: float | None  # 0..1
    recovery_hours: float | None  # median
    rework_rate: float | None  # 0..1
    changes: int = 0
    failures: int = 0


METRIC_NAMES = (
    "deployment_frequency",
    "lead_time_hours",
    "change_fail_rate",
    "recovery_hours",
    "rework_rate",
)
METRIC_LABELS = {
    "deployment_frequency": "Deployment frequency (per week)",
    "lead_time_hours": "Change lead time (hours, median)",
    "change_fail_rate": "Change fail rate",
    "recovery_hours": "Failed deployment recovery time (hours, median)",
    "rework_rate": "Rework rate",
}
# Whether a larger value is better, so a page can say "better"/"worse" without colour alone.
HIGHER_IS_BETTER = {
    "deployment_frequency": True,
    "lead_time_hours": False,
    "change_fail_rate": False,
    "recovery_hours": False,
    "rework_rate": False,
}


def measure(history: TeamHistory, window: Window, *, minimum: int = MIN_EVENTS) -> Metrics:
    """The five metrics of `history` over `window`; each is None below `minimum` events of its kind."""
    total = TeamWeek()
    for monday in window.mondays:
        week = history.weeks.get(monday)
        if week is not None:
            total.merge(week)
    changes = histogram_count(total.lead_times)
    enough = total.deployments >= minimum
    return Metrics(
        deployments=total.deployments,
        deployment_frequency=total.succeeded / window.weeks if enough else None,
        lead_time_hours=median_estimate(total.lead_times) if changes >= minimum else None,
        change_fail_rate=total.failures / total.deployments if enough else None,
        recovery_hours=median_estimate(total.recoveries) if enough and total.failures else None,
        rework_rate=total.remediations / total.deployments if enough else None,
        changes=changes,
        failures=total.failures,
    )


def weekly(history: TeamHistory, weeks: Sequence[date]) -> list[Metrics]:
    """The metrics of every week in `weeks` (Mondays), with a minimum of one event per week."""
    return [measure(history, Window(w, w + timedelta(weeks=1)), minimum=1) for w in weeks]


# --- Before / after ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamComparison:
    team_id: int
    onboarded_at: datetime
    before: Metrics
    after: Metrics
    control_before: dict[str, float | None]
    control_after: dict[str, float | None]
    control_teams: int

    def delta(self, metric: str) -> float | None:
        """The adopting team's change minus the comparison group's change (None: not enough data)."""
        values = (
            getattr(self.before, metric),
            getattr(self.after, metric),
            self.control_before.get(metric),
            self.control_after.get(metric),
        )
        if any(v is None for v in values):
            return None
        before, after, control_before, control_after = values
        return (after - before) - (control_after - control_before)


@dataclass(frozen=True)
class MetricEffect:
    metric: str
    label: str
    before: float | None  # mean over adopting teams with data
    after: float | None
    difference: float | None  # mean difference in differences; None below MIN_TEAMS
    teams: int  # adopting teams with data for this metric
    control_teams: int  # comparison teams (fewest over those teams' windows)
    higher_is_better: bool
    control_before: float | None = None  # the comparison group over the same weeks, mean over adopters
    control_after: float | None = None

    @property
    def verdict(self) -> str:
        """Words for the sign, so a reader needs no colour: "better", "worse", "no change", or why not."""
        if self.difference is None:
            return f"not enough data (needs {MIN_TEAMS} adopting and {MIN_TEAMS} comparison teams)"
        if abs(self.difference) < 1e-9:
            return "no change"
        better = (self.difference > 0) == self.higher_is_better
        return "better than comparison teams" if better else "worse than comparison teams"


def _group_mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def compare(
    histories: dict[int, TeamHistory],
    onboarded: dict[int, datetime],
    onboarded_during: Callable[[int, Window], bool],
    *,
    weeks: int = WINDOW_WEEKS,
    now: datetime | None = None,
    measured: dict[tuple[int, Window], Metrics] | None = None,
) -> list[TeamComparison]:
    """One comparison per adopting team whose after-window has ended (by `now`).

    `onboarded` maps team -> onboarding time for the capability; `onboarded_during(team, window)` tells
    whether a team was onboarded at any time in a window (such teams are not comparison teams for it).
    `measured` caches `measure` per (team, window) across calls on the same `histories` (a page compares
    many capabilities over the same teams and often the same weeks).
    """
    now = now or datetime.now(UTC)
    cache = {} if measured is None else measured
    empty = TeamHistory()

    def metrics_of(team_id: int, window: Window) -> Metrics:
        found = cache.get((team_id, window))
        if found is None:
            found = cache[(team_id, window)] = measure(histories.get(team_id, empty), window)
        return found

    found = []
    for team_id, at in sorted(onboarded.items()):
        before, after = windows_around(at, weeks)
        if _at(after.end) > now:
            continue
        span = Window(before.start, after.end)
        controls = [t for t in histories if t != team_id and not onboarded_during(t, span)]
        control_before = [metrics_of(t, before) for t in controls]
        control_after = [metrics_of(t, after) for t in controls]
        found.append(
            TeamComparison(
                team_id=team_id,
                onboarded_at=at,
                before=metrics_of(team_id, before),
                after=metrics_of(team_id, after),
                control_before={m: _group_mean(getattr(x, m) for x in control_before) for m in METRIC_NAMES},
                control_after={m: _group_mean(getattr(x, m) for x in control_after) for m in METRIC_NAMES},
                control_teams=_teams_with_data(control_before, control_after),
            )
        )
    return found


def _teams_with_data(before: Sequence[Metrics], after: Sequence[Metrics]) -> int:
    return sum(
        1
        for b, a in zip(before, after, strict=True)
        if b.deployment_frequency is not None and a.deployment_frequency is not None
    )


def effects(comparisons: Sequence[TeamComparison]) -> list[MetricEffect]:
    """Per metric: the mean before/after of adopting teams and their mean difference in differences."""
    found = []
    for metric in METRIC_NAMES:
        usable = [c for c in comparisons if c.delta(metric) is not None]
        control_teams = min((c.control_teams for c in usable), default=0)
        enough = len(usable) >= MIN_TEAMS and control_teams >= MIN_TEAMS
        found.append(
            MetricEffect(
                metric=metric,
                label=METRIC_LABELS[metric],
                before=_group_mean(getattr(c.before, metric) for c in usable),
                after=_group_mean(getattr(c.after, metric) for c in usable),
                difference=statistics.fmean(c.delta(metric) for c in usable) if enough else None,
                teams=len(usable),
                control_teams=control_teams,
                higher_is_better=HIGHER_IS_BETTER[metric],
                control_before=_group_mean(c.control_before.get(metric) for c in usable),
                control_after=_group_mean(c.control_after.get(metric) for c in usable),
            )
        )
    return found
