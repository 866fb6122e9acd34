"""Reads for changelogs, release pages, status pages and feeds: constant query counts as history grows.

Visibility follows the catalog: releases and status updates of a capability the member cannot see do not
exist for them. Drafts and scheduled releases are seen only by those who may maintain the capability
(maintainers of the owning team, tenant admins); everybody else sees published releases only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
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


@dataclass(frozen=True)
class StatusPage:
    open: list[StatusUpdate]
    recent: list[StatusUpdate]
    not_operational: list[Capability]  # capabilities in trouble, incident or not (status set elsewhere)
    since: datetime


def status_page(membership: Membership | None, *, days: int = RECENT_DAYS) -> StatusPage:
    """The tenant status page: open incidents, incidents resolved recently, capabilities not operational."""
    since = timezone.now() - timedelta(days=days)
    return StatusPage(
        open=list(incidents(membership, open_only=True)),
        recent=list(incidents(membership, open_only=False).filter(resolved_at__gte=since)),
        not_operational=list(
            visible_capabilities(membership)
            .exclude(status=Status.OPERATIONAL)
            .select_related("owner_team")
            .order_by("name")
        ),
        since=since,
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


def entry_time(entry: Release | StatusUpdate) -> datetime:
    if isinstance(entry, Release):
        return entry.published_at or entry.created_at
    return entry.created_at
