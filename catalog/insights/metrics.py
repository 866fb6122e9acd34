"""The delivery-performance (DORA) metrics and the before/after comparison, defined once.

The page, the API, the CSV export and the benchmarks all call these functions, so they always agree. They
are pure: they take plain records (loaded by `catalog.insights.value.selectors`) and return numbers, which
keeps every definition testable on a hand-made history. The README's "Delivery performance" section states
the same definitions with the source of every field.

Definitions (after DORA's 2024-2025 reports; "production" is what the ingest source names production):
- **Deployment frequency**: successful production deployments per week.
- **Change lead time**: for each change (a merged pull request or a push to the default branch), from its
  first commit (or, when the source gives no commit time, its merge) to the first successful production
  deployment of the same repository finishing at or after the merge. Median.
- **Change fail rate**: production deployments that failed (status failure), were followed by a remediation
  deployment as the next production deployment of the repository, or are named as the cause of an incident,
  over all finished production deployments.
- **Failed deployment recovery time**: from a failed deployment to the next successful production deployment
  of the repository that is not itself failed; for an incident, from opened to resolved. Median.
- **Rework rate**: remediation deployments (rollback, hotfix, fix-forward: unplanned work) over all finished
  production deployments.

Before/after (difference in differences): for a team that onboarded a capability in week W, its value in
the 8 weeks before W against the 8 weeks after W (W itself is the transition and counts in neither), minus
the same change over the same calendar weeks for the teams that were not onboarded during those 16 weeks
(the comparison group). It measures association, not cause: other things change at the same time.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

WINDOW_WEEKS = 8
MIN_EVENTS = 3  # production deployments (or changes, or failures) a team needs in each window
MIN_TEAMS = 2  # adopting teams with enough data, and comparison teams, before a difference is shown


# --- Records ---------------------------------------------------------------------------------------------


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


@dataclass
class TeamHistory:
    """Everything measured for one team (production deployments only)."""

    deployments: list[DeploymentRecord] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)


def group_by_team(
    deployments: Iterable[DeploymentRecord],
    changes: Iterable[ChangeRecord] = (),
    incidents: Iterable[IncidentRecord] = (),
) -> dict[int, TeamHistory]:
    teams: dict[int, TeamHistory] = defaultdict(TeamHistory)
    for d in deployments:
        teams[d.team_id].deployments.append(d)
    for c in changes:
        teams[c.team_id].changes.append(c)
    for i in incidents:
        teams[i.team_id].incidents.append(i)
    for history in teams.values():
        history.deployments.sort(key=lambda d: d.finished_at)
    return dict(teams)


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


def windows_around(onboarded_at: datetime, weeks: int = WINDOW_WEEKS) -> tuple[Window, Window]:
    """The `weeks` whole weeks before the onboarding week, and the `weeks` after it."""
    w0 = week_start(onboarded_at)
    before = Window(w0 - timedelta(weeks=weeks), w0)
    after = Window(w0 + timedelta(weeks=1), w0 + timedelta(weeks=weeks + 1))
    return before, after


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


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def failed_flags(deployments: Sequence[DeploymentRecord]) -> list[bool]:
    """Per deployment (sorted by time, one repository or many): whether it counts as a failed change."""
    flags = []
    by_repo_next: dict[int, DeploymentRecord] = {}
    last_index: dict[str, int] = {}
    for index, d in enumerate(deployments):
        previous = last_index.get(d.repository)
        if previous is not None:
            by_repo_next[previous] = d
        last_index[d.repository] = index
    for index, d in enumerate(deployments):
        following = by_repo_next.get(index)
        remediated = following is not None and following.is_remediation
        flags.append(not d.succeeded or remediated or d.caused_incident)
    return flags


def lead_times(history: TeamHistory) -> list[tuple[datetime, float]]:
    """(deployment time, hours) for every change that reached production."""
    good: dict[str, list[datetime]] = defaultdict(list)
    for d in history.deployments:
        if d.succeeded:
            good[d.repository].append(d.finished_at)
    found = []
    for change in history.changes:
        deployed = next((t for t in good.get(change.repository, []) if t >= change.merged_at), None)
        if deployed is not None:
            start = change.first_commit_at or change.merged_at
            found.append((deployed, _hours(deployed - min(start, change.merged_at))))
    return found


def _median(values: Sequence[float], minimum: int) -> float | None:
    return statistics.median(values) if len(values) >= minimum else None


def measure(history: TeamHistory, window: Window, *, minimum: int = MIN_EVENTS) -> Metrics:
    """The five metrics of `history` over `window`; each is None below `minimum` events of its kind."""
    flags = failed_flags(history.deployments)
    in_window = [
        (d, f) for d, f in zip(history.deployments, flags, strict=True) if window.holds(d.finished_at)
    ]
    total = len(in_window)
    succeeded = sum(1 for d, _ in in_window if d.succeeded)
    failures = sum(1 for _, failed in in_window if failed)
    remediations = sum(1 for d, _ in in_window if d.is_remediation)
    leads = [hours for deployed, hours in lead_times(history) if window.holds(deployed)]
    recoveries = [
        hours for d, failed, hours in _failed_with_recovery(history) if failed and window.holds(d.finished_at)
    ]
    recoveries += [
        _hours(i.resolved_at - i.opened_at)
        for i in history.incidents
        if i.resolved_at is not None and window.holds(i.opened_at)
    ]
    enough = total >= minimum
    return Metrics(
        deployments=total,
        deployment_frequency=succeeded / window.weeks if enough else None,
        lead_time_hours=_median(leads, minimum),
        change_fail_rate=failures / total if enough else None,
        recovery_hours=_median(recoveries, 1) if enough and failures else None,
        rework_rate=remediations / total if enough else None,
        changes=len(leads),
        failures=failures,
    )


def _failed_with_recovery(history: TeamHistory) -> list[tuple[DeploymentRecord, bool, float]]:
    deployments = history.deployments
    flags = failed_flags(deployments)
    found = []
    for index, d in enumerate(deployments):
        if not flags[index]:
            continue
        for later_index in range(index + 1, len(deployments)):
            later = deployments[later_index]
            if later.repository == d.repository and later.succeeded and not flags[later_index]:
                found.append((d, True, _hours(later.finished_at - d.finished_at)))
                break
    return found


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
) -> list[TeamComparison]:
    """One comparison per adopting team whose after-window has ended (by `now`).

    `onboarded` maps team -> onboarding time for the capability; `onboarded_during(team, window)` tells
    whether a team was onboarded at any time in a window (such teams are not comparison teams for it).
    """
    now = now or datetime.now(UTC)
    found = []
    for team_id, at in sorted(onboarded.items()):
        before, after = windows_around(at, weeks)
        if _at(after.end) > now:
            continue
        span = Window(before.start, after.end)
        controls = [t for t in histories if t != team_id and not onboarded_during(t, span)]
        control_before = [measure(histories[t], before) for t in controls]
        control_after = [measure(histories[t], after) for t in controls]
        history = histories.get(team_id, TeamHistory())
        found.append(
            TeamComparison(
                team_id=team_id,
                onboarded_at=at,
                before=measure(history, before),
                after=measure(history, after),
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
