"""Reads for adoption: per capability and per tenant, in a constant number of queries whatever the history.

Definitions (the page, the API and the lead's value computations use these, so they say the same thing):

- **Eligible teams**: the capability's rule (listed teams), or by default every team of the tenant except the
  capability's owner team.
- **Onboarded / eligible**: eligible teams whose current state is onboarded, over the eligible teams.
- **Weekly series**: for each of the last 52 ISO weeks (Monday 00:00 UTC to the next Monday, exclusive), the
  eligible teams onboarded at the end of that week (its last instant), replayed from the history
  (`AdoptionChange`). A move belongs to the week its instant falls in: a team onboarded at Monday 00:00
  counts from that week on; one offboarded at Monday 00:00 still counts for the week before, and no longer
  for that one. The current week's end is in the future, so its value is today's count.
- **Time to onboard**: for teams that went through evaluating, the time from starting to evaluate to being
  onboarded (the first such pass per team), median in days.
- **Churned**: teams whose current state is offboarded, with when they were onboarded (None if they left
  while evaluating) and when they left.

Queries: the capabilities, the tenant's teams, rules, listed teams, adoptions, changes: six for the whole
tenant (`tenant_adoption_summaries`), five for one capability (plus the history on its page).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from catalog.insights.adoption.services import LABELS, NONE, may_own
from catalog.insights.models import Adoption, AdoptionChange, AdoptionRule, AdoptionState, EligibleTeam
from catalog.selectors import visible_capabilities
from portal.plugins.api import Membership, Team, can_write, maintained_team_ids

WEEKS = 52
HISTORY_ON_PAGE = 100

Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Churned:
    team_id: int
    team_name: str
    team_slug: str
    onboarded_at: datetime | None
    offboarded_at: datetime | None


@dataclass(frozen=True)
class AdoptionSummary:
    """What the panel, the page, the dashboard and the API show for one capability."""

    capability_id: int
    eligible: int
    onboarded: int
    evaluating: int
    weekly: list[tuple[date, int]]  # (Monday of the ISO week, onboarded eligible teams at its end)
    median_days_to_onboard: float | None
    onboard_samples: int  # teams behind the median
    churned: list[Churned] = field(default_factory=list)

    @property
    def short(self) -> str:
        return (
            f"{self.onboarded} of {self.eligible} eligible team{'s' if self.eligible != 1 else ''} onboarded"
        )

    @property
    def share(self) -> float | None:
        return self.onboarded / self.eligible if self.eligible else None


@dataclass(frozen=True)
class TeamRow:
    """A row of the capability's adoption table: an eligible team, or one with an adoption."""

    team_id: int
    team_name: str
    team_slug: str
    state: str  # "" when the team never moved
    state_label: str
    since: datetime | None
    source: str
    eligible: bool
    adoption_id: int | None


@dataclass
class _Data:
    """The rows read for a set of capabilities, grouped by capability id."""

    teams: dict[int, dict[str, Any]]
    rules: dict[int, AdoptionRule]
    listed: dict[int, set[int]]
    adoptions: dict[int, list[dict[str, Any]]]
    changes: dict[int, dict[int, list[tuple[str, str, datetime]]]]  # cap -> team -> (from, to, at)


def _read(capability_ids: list[int]) -> _Data:
    """At most five queries, whatever the number of capabilities, teams and moves."""
    teams = {t["pk"]: t for t in Team.objects.order_by("name", "pk").values("pk", "name", "slug")}
    rules = {r.capability_id: r for r in AdoptionRule.objects.filter(capability_id__in=capability_ids)}
    listed: dict[int, set[int]] = defaultdict(set)
    # Lists matter only under a `listed` rule: no such rule, no query (a capability page's usual case).
    listing = [c for c, r in rules.items() if r.eligibility == AdoptionRule.Eligibility.LISTED]
    for cap_id, team_id in (
        EligibleTeam.objects.filter(capability_id__in=listing).values_list("capability_id", "team_id")
        if listing
        else []
    ):
        listed[cap_id].add(team_id)
    adoptions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Adoption.objects.filter(capability_id__in=capability_ids)
        .order_by("pk")
        .values(
            "pk",
            "capability_id",
            "team_id",
            "state",
            "source",
            "evaluating_since",
            "onboarded_at",
            "offboarded_at",
        )
    ):
        adoptions[row["capability_id"]].append(row)
    changes: dict[int, dict[int, list[tuple[str, str, datetime]]]] = defaultdict(lambda: defaultdict(list))
    for cap_id, team_id, from_state, to_state, at in (
        AdoptionChange.objects.filter(adoption__capability_id__in=capability_ids)
        .order_by("effective_at", "pk")
        .values_list("adoption__capability_id", "adoption__team_id", "from_state", "to_state", "effective_at")
    ):
        changes[cap_id][team_id].append((from_state, to_state, at))
    return _Data(teams=teams, rules=rules, listed=listed, adoptions=adoptions, changes=changes)


def _eligible(data: _Data, capability_id: int, owner_team_id: int | None) -> set[int]:
    rule = data.rules.get(capability_id)
    if rule is not None and rule.eligibility == AdoptionRule.Eligibility.LISTED:
        return set(data.listed.get(capability_id, ())) & set(data.teams)
    return set(data.teams) - {owner_team_id}


def intervals_from_changes(moves: Iterable[tuple[str, str, datetime]]) -> list[Interval]:
    """`[(onboarded_at, offboarded_at | None), ...]` from one team's moves in effective order."""
    intervals: list[Interval] = []
    opened: datetime | None = None
    for _from, to_state, at in moves:
        if to_state == AdoptionState.ONBOARDED and opened is None:
            opened = at
        elif to_state != AdoptionState.ONBOARDED and opened is not None:
            intervals.append((opened, at))
            opened = None
    if opened is not None:
        intervals.append((opened, None))
    return intervals


def week_starts(now: datetime | None = None, weeks: int = WEEKS) -> list[date]:
    """Mondays of the last `weeks` ISO weeks, oldest first, the current week last (UTC)."""
    today = (now or timezone.now()).astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]


def weekly_series(intervals: Iterable[list[Interval]], now: datetime | None = None) -> list[tuple[date, int]]:
    """Teams onboarded at the end of each week: `on < end <= off` (or still on), end = next Monday 00:00."""
    flat = [iv for team in intervals for iv in team]
    series = []
    for start in week_starts(now):
        end = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(weeks=1)
        series.append((start, sum(1 for on, off in flat if on < end and (off is None or off >= end))))
    return series


def _time_to_onboard(per_team: dict[int, list[tuple[str, str, datetime]]], eligible: set[int]) -> list[float]:
    """Days from evaluating to onboarded, the first such pass of each team."""
    days = []
    for team_id, moves in per_team.items():
        if team_id not in eligible:
            continue
        started = None
        for from_state, to_state, at in moves:
            if to_state == AdoptionState.EVALUATING:
                started = at
            elif to_state == AdoptionState.ONBOARDED and from_state == AdoptionState.EVALUATING and started:
                days.append((at - started).total_seconds() / 86400)
                break
    return days


def _summary(data: _Data, capability_id: int, owner_team_id: int | None, now: datetime) -> AdoptionSummary:
    eligible = _eligible(data, capability_id, owner_team_id)
    rows = data.adoptions.get(capability_id, [])
    per_team = data.changes.get(capability_id, {})
    onboarding = _time_to_onboard(per_team, eligible)
    churned = [
        Churned(
            team_id=r["team_id"],
            team_name=data.teams.get(r["team_id"], {}).get("name", ""),
            team_slug=data.teams.get(r["team_id"], {}).get("slug", ""),
            onboarded_at=r["onboarded_at"],
            offboarded_at=r["offboarded_at"],
        )
        for r in rows
        if r["state"] == AdoptionState.OFFBOARDED
    ]
    churned.sort(key=lambda c: (c.offboarded_at or now, c.team_name), reverse=True)
    return AdoptionSummary(
        capability_id=capability_id,
        eligible=len(eligible),
        onboarded=sum(1 for r in rows if r["state"] == AdoptionState.ONBOARDED and r["team_id"] in eligible),
        evaluating=sum(
            1 for r in rows if r["state"] == AdoptionState.EVALUATING and r["team_id"] in eligible
        ),
        weekly=weekly_series(
            [intervals_from_changes(moves) for team_id, moves in per_team.items() if team_id in eligible], now
        ),
        median_days_to_onboard=round(statistics.median(onboarding), 1) if onboarding else None,
        onboard_samples=len(onboarding),
        churned=churned,
    )


# --- public reads -----------------------------------------------------------------------------------------
def adoption_summary(membership: Membership | None, capability: Any) -> AdoptionSummary | None:
    """One capability's summary, or None if the member cannot see it (five queries, plus visibility)."""
    if not visible_capabilities(membership, include_archived=True).filter(pk=capability.pk).exists():
        return None
    data = _read([capability.pk])
    return _summary(data, capability.pk, capability.owner_team_id, timezone.now())


def shown_capability_adoption(capability: Any) -> tuple[AdoptionSummary, dict[int, list[Interval]]]:
    """The summary and the onboarded intervals of a capability the caller already checked the member may
    see (its own page does): one read of five queries serves both, for the Value panel."""
    data = _read([capability.pk])
    summary = _summary(data, capability.pk, capability.owner_team_id, timezone.now())
    moves = data.changes.get(capability.pk, {})
    found = {team_id: intervals_from_changes(m) for team_id, m in moves.items()}
    return summary, {team_id: ivs for team_id, ivs in found.items() if ivs}


def tenant_adoption_summaries(membership: Membership | None) -> list[tuple[Any, AdoptionSummary]]:
    """(capability, summary) for every capability the member can see, by name: six queries in all."""
    capabilities = list(visible_capabilities(membership).select_related("owner_team").order_by("name", "pk"))
    data = _read([c.pk for c in capabilities])
    now = timezone.now()
    return [(c, _summary(data, c.pk, c.owner_team_id, now)) for c in capabilities]


def onboarded_intervals(capability_id: int) -> dict[int, list[Interval]]:
    """`{team_id: [(onboarded_at, offboarded_at | None), ...]}` for one capability, from its history.

    For before/after comparisons: every team that was ever onboarded (eligible or not: the caller decides),
    intervals in time order, an open interval ends in None. One query. No visibility check: call it with a
    capability the member can see (current tenant only, like every tenant-owned read).
    """
    return onboarded_intervals_many([capability_id]).get(capability_id, {})


def onboarded_intervals_many(capability_ids: Iterable[int]) -> dict[int, dict[int, list[Interval]]]:
    """`onboarded_intervals` for several capabilities in one query: `{capability_id: {team_id: [...]}}`."""
    per: dict[int, dict[int, list[tuple[str, str, datetime]]]] = defaultdict(lambda: defaultdict(list))
    for cap_id, team_id, from_state, to_state, at in (
        AdoptionChange.objects.filter(adoption__capability_id__in=list(capability_ids))
        .order_by("effective_at", "pk")
        .values_list("adoption__capability_id", "adoption__team_id", "from_state", "to_state", "effective_at")
    ):
        per[cap_id][team_id].append((from_state, to_state, at))
    result: dict[int, dict[int, list[Interval]]] = {}
    for cap_id, teams in per.items():
        found = {team_id: intervals_from_changes(moves) for team_id, moves in teams.items()}
        result[cap_id] = {team_id: ivs for team_id, ivs in found.items() if ivs}
    return result


@dataclass
class AdoptionPage:
    summary: AdoptionSummary
    rows: list[TeamRow]
    history: QuerySet
    rule: AdoptionRule | None
    listed_team_ids: set[int]
    may_own: bool
    recordable_team_ids: set[int]  # teams this member may record a move for (in the table)
    teams: dict[int, dict[str, Any]]


def adoption_page(membership: Membership | None, capability: Any) -> AdoptionPage:
    """Everything the adoption page shows, for a capability the member can see (constant queries)."""
    data = _read([capability.pk])
    summary = _summary(data, capability.pk, capability.owner_team_id, timezone.now())
    eligible = _eligible(data, capability.pk, capability.owner_team_id)
    by_team = {r["team_id"]: r for r in data.adoptions.get(capability.pk, [])}
    rows = []
    for team_id, team in data.teams.items():
        row = by_team.get(team_id)
        if row is None and team_id not in eligible:
            continue
        state = row["state"] if row else NONE
        since = None
        if row:
            since = {
                AdoptionState.EVALUATING: row["evaluating_since"],
                AdoptionState.ONBOARDED: row["onboarded_at"],
                AdoptionState.OFFBOARDED: row["offboarded_at"],
            }.get(state)
        rows.append(
            TeamRow(
                team_id=team_id,
                team_name=team["name"],
                team_slug=team["slug"],
                state=state,
                state_label=LABELS[state],
                since=since,
                source=row["source"] if row else "",
                eligible=team_id in eligible,
                adoption_id=row["pk"] if row else None,
            )
        )
    owner = may_own(membership, capability)
    table_ids = {r.team_id for r in rows}
    if owner:
        recordable = table_ids
    elif can_write(membership):
        recordable = table_ids & maintained_team_ids(membership)
    else:
        recordable = set()
    history = (
        AdoptionChange.objects.filter(adoption__capability_id=capability.pk)
        .select_related("adoption__team", "recorded_by")
        .order_by("-effective_at", "-pk")[:HISTORY_ON_PAGE]
    )
    return AdoptionPage(
        summary=summary,
        rows=rows,
        history=history,
        rule=data.rules.get(capability.pk),
        listed_team_ids=set(data.listed.get(capability.pk, ())),
        may_own=owner,
        recordable_team_ids=recordable,
        teams=data.teams,
    )
