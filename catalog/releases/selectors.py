"""Reads for changelogs, release pages, status pages and feeds: constant query counts as history grows.

Visibility follows the catalog: releases and status updates of a capability the member cannot see do not
exist for them. Drafts and scheduled releases are seen only by those who may maintain the capability
(maintainers of the owning team, tenant admins); everybody else sees published releases only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Capability, Status
from catalog.releases.models import Release, ReleaseState, StatusUpdate
from catalog.selectors import visible_capabilities
from portal.plugins.api import Membership, is_tenant_admin, maintained_team_ids

RECENT_DAYS = 14


def visible_releases(membership: Membership | None) -> QuerySet[Release]:
    caps = visible_capabilities(membership, include_archived=True).values("pk")
    qs = Release.objects.filter(capability__in=caps)
    if membership is None:
        return qs.none()
    if is_tenant_admin(membership):
        return qs
    return qs.filter(
        Q(state=ReleaseState.PUBLISHED) | Q(capability__owner_team_id__in=maintained_team_ids(membership))
    )


def _with_capability(qs: QuerySet[Release]) -> QuerySet[Release]:
    return qs.select_related("capability", "capability__owner_team", "created_by", "published_by")


def changelog(
    membership: Membership | None,
    *,
    capability: Capability | None = None,
    kinds: Iterable[str] = (),
) -> QuerySet[Release]:
    """Published releases, newest first, optionally of one capability and of some kinds."""
    qs = visible_releases(membership).filter(state=ReleaseState.PUBLISHED)
    if capability is not None:
        qs = qs.filter(capability=capability)
    kinds = [k for k in kinds if k]
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return _with_capability(qs).order_by("-published_at", "-id")


def unpublished(membership: Membership | None, *, capability: Capability | None = None) -> QuerySet[Release]:
    """Drafts and scheduled releases the member may work on (empty for readers)."""
    qs = visible_releases(membership).exclude(state=ReleaseState.PUBLISHED)
    if capability is not None:
        qs = qs.filter(capability=capability)
    return _with_capability(qs).order_by("state", "scheduled_for", "-created_at", "-id")


def release_detail(membership: Membership | None, *, pk: int) -> Release | None:
    return _with_capability(visible_releases(membership)).filter(pk=pk).first()


def maintainable_capabilities(
    membership: Membership | None, *, keep: int | None = None
) -> QuerySet[Capability]:
    """Capabilities the member may write releases for (visible, not archived; `keep`: this one even if
    archived, so a draft of a since-archived capability can still be edited)."""
    qs = visible_capabilities(membership, include_archived=True).filter(Q(archived=False) | Q(pk=keep))
    qs = qs.select_related("owner_team").order_by("name")
    if is_tenant_admin(membership):
        return qs
    return qs.filter(owner_team_id__in=maintained_team_ids(membership))


# --- status ----------------------------------------------------------------------------------------------
def _thread() -> Prefetch:
    follow_ups = StatusUpdate.objects.select_related("created_by").order_by("created_at", "id")
    return Prefetch("follow_ups", queryset=follow_ups, to_attr="thread")


def visible_status_updates(membership: Membership | None) -> QuerySet[StatusUpdate]:
    caps = visible_capabilities(membership, include_archived=True).values("pk")
    return StatusUpdate.objects.filter(capability__in=caps)


def incidents(
    membership: Membership | None, *, capability: Capability | None = None, open_only: bool | None = None
) -> QuerySet[StatusUpdate]:
    """Incident roots (newest first), each with `.thread`: its follow-ups, oldest first."""
    qs = visible_status_updates(membership).filter(incident__isnull=True)
    if capability is not None:
        qs = qs.filter(capability=capability)
    if open_only is True:
        qs = qs.filter(resolved_at__isnull=True)
    elif open_only is False:
        qs = qs.filter(resolved_at__isnull=False)
    return (
        qs.select_related("capability", "capability__owner_team", "created_by")
        .prefetch_related(_thread())
        .order_by("-created_at", "-id")
    )


# Worst first when several states meet in one day or across capabilities (the overall banner).
SEVERITY = {
    Status.OPERATIONAL: 0,
    Status.MAINTENANCE: 1,
    Status.DEGRADED: 2,
    Status.PARTIAL_OUTAGE: 3,
    Status.MAJOR_OUTAGE: 4,
}
HISTORY_DAYS = 90
NO_DATA = "no_data"


def worst(states: Iterable[str]) -> str:
    """The most severe of `states` (operational when there are none)."""
    return max(states, key=lambda s: SEVERITY.get(s, 0), default=Status.OPERATIONAL)


def _effective(update: StatusUpdate) -> str:
    """The state an update leaves its capability in (resolving means operational again)."""
    return Status.OPERATIONAL if update.resolved else update.status


@dataclass(frozen=True)
class Day:
    """One cell of a capability's uptime row: the worst state it was in that (UTC) day."""

    date: date
    state: str  # a Status value, or NO_DATA before the capability existed

    @property
    def label(self) -> str:
        return "No data" if self.state == NO_DATA else Status(self.state).label


@dataclass(frozen=True)
class CapabilityHistory:
    capability: Capability
    days: list[Day]

    @property
    def days_with_data(self) -> int:
        return sum(1 for d in self.days if d.state != NO_DATA)

    @property
    def days_impacted(self) -> int:
        """Days with degradation or an outage (maintenance is planned, not counted against uptime)."""
        return sum(1 for d in self.days if SEVERITY.get(d.state, 0) >= SEVERITY[Status.DEGRADED])

    @property
    def uptime_percent(self) -> float:
        known = self.days_with_data
        return 100.0 if not known else round(100.0 * (known - self.days_impacted) / known, 1)


def day_states(
    *,
    start: date,
    today: date,
    created: date,
    initial: str,
    current: str,
    updates: list[StatusUpdate],
) -> list[Day]:
    """Walk a capability's updates (oldest first) over the days `start`..`today`: each day is the worst of
    the state it began in and every state set during it; today also counts the capability's current status
    (it may be set without an update). Pure, so the rules are tested without a database."""
    by_day: dict[date, list[str]] = {}
    for update in updates:
        by_day.setdefault(timezone.localtime(update.created_at).date(), []).append(_effective(update))
    state = initial
    days: list[Day] = []
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        if day < created:
            days.append(Day(day, NO_DATA))
            continue
        changes = by_day.get(day, [])
        seen = [state, *changes, *([current] if day == today else [])]
        days.append(Day(day, worst(seen)))
        if changes:
            state = changes[-1]
    return days


@dataclass(frozen=True)
class StatusPage:
    open: list[StatusUpdate]
    recent: list[StatusUpdate]
    not_operational: list[Capability]  # capabilities in trouble, incident or not (status set elsewhere)
    since: datetime
    capabilities: list[CapabilityHistory]
    history_start: date
    overall: str  # the worst current status of any capability

    @property
    def all_operational(self) -> bool:
        return self.overall == Status.OPERATIONAL

    @property
    def overall_label(self) -> str:
        return Status(self.overall).label


def status_page(
    membership: Membership | None, *, days: int = RECENT_DAYS, history_days: int = HISTORY_DAYS
) -> StatusPage:
    """The tenant status page: the overall state, every capability with its current state and a row of
    `history_days` day cells, open incidents and incidents resolved recently. Six queries, however many
    capabilities and updates (the state each capability was in when the window opened is a subquery)."""
    now = timezone.now()
    since = now - timedelta(days=days)
    today = timezone.localtime(now).date()
    start = today - timedelta(days=history_days - 1)
    window_start = datetime.combine(start, time.min, tzinfo=timezone.get_current_timezone())
    before = StatusUpdate.objects.filter(capability=OuterRef("pk"), created_at__lt=window_start).order_by(
        "-created_at", "-id"
    )
    capabilities = list(
        visible_capabilities(membership)
        .select_related("owner_team")
        .annotate(
            state_before=Subquery(before.values("status")[:1]),
            resolved_before=Subquery(before.values("resolved")[:1]),
        )
        .order_by("name")
    )
    updates = (
        visible_status_updates(membership)
        .filter(created_at__gte=window_start, capability__in=[c.pk for c in capabilities])
        .only("capability_id", "status", "resolved", "created_at")
        .order_by("created_at", "id")
    )
    per_capability: dict[int, list[StatusUpdate]] = {}
    for update in updates:
        per_capability.setdefault(update.capability_id, []).append(update)
    histories = []
    for capability in capabilities:
        initial = capability.state_before or Status.OPERATIONAL
        if capability.resolved_before:
            initial = Status.OPERATIONAL
        row = day_states(
            start=start,
            today=today,
            created=timezone.localtime(capability.created_at).date(),
            initial=initial,
            current=capability.status,
            updates=per_capability.get(capability.pk, []),
        )
        histories.append(CapabilityHistory(capability=capability, days=row))
    return StatusPage(
        open=list(incidents(membership, open_only=True)),
        recent=list(incidents(membership, open_only=False).filter(resolved_at__gte=since)),
        not_operational=[c for c in capabilities if c.status != Status.OPERATIONAL],
        since=since,
        capabilities=histories,
        history_start=start,
        overall=worst(c.status for c in capabilities),
    )


# --- feeds -----------------------------------------------------------------------------------------------
FEED_SIZE = 50


def feed_entries(
    membership: Membership | None, *, capability: Capability | None = None, size: int = FEED_SIZE
) -> list[Release | StatusUpdate]:
    """The newest published releases and status updates, merged by time (two queries)."""
    releases = list(changelog(membership, capability=capability)[:size])
    updates = visible_status_updates(membership).select_related("capability", "created_by")
    if capability is not None:
        updates = updates.filter(capability=capability)
    merged: list[Release | StatusUpdate] = [*releases, *updates.order_by("-created_at", "-id")[:size]]
    merged.sort(key=entry_time, reverse=True)
    return merged[:size]


def news(
    membership: Membership | None, *, capability_ids: Iterable[int] | None = None, size: int = 10
) -> list[Release | StatusUpdate]:
    """The newest published releases and status updates of some capabilities (`None`: of all), merged by
    time (two queries), for the home page."""
    releases = changelog(membership)
    updates = visible_status_updates(membership).select_related("capability", "incident")
    if capability_ids is not None:
        ids = list(capability_ids)
        releases = releases.filter(capability_id__in=ids)
        updates = updates.filter(capability_id__in=ids)
    merged: list[Release | StatusUpdate] = [*releases[:size], *updates.order_by("-created_at", "-id")[:size]]
    merged.sort(key=entry_time, reverse=True)
    return merged[:size]


def entry_time(entry: Release | StatusUpdate) -> datetime:
    if isinstance(entry, Release):
        return entry.published_at or entry.created_at
    return entry.created_at
