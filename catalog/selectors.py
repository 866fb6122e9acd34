"""Reads for catalog pages and API: a constant number of queries whatever the catalog size.

Visibility: a capability marked "only listed teams" is seen by tenant admins, members of its owning team and
members of the listed teams; for everybody else it does not exist (404, absent from lists and search).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from catalog import search
from catalog.models import (
    Capability,
    CapabilityLink,
    CapabilityTag,
    CapabilityVisibility,
    Lifecycle,
    LinkKind,
    Status,
    Tag,
    Visibility,
)
from portal.plugins.api import Membership, Team, TeamMembership, is_tenant_admin

SORTS = {
    "name": ("name", "id"),
    "-updated": ("-updated_at", "id"),
    "lifecycle": ("lifecycle", "name", "id"),
    "status": ("status", "name", "id"),
}
FILTER_KEYS = ("category", "lifecycle", "team", "tag", "status")


def visible_capabilities(membership: Membership | None, *, include_archived: bool = False) -> QuerySet:
    qs = Capability.objects.all()
    if not include_archived:
        qs = qs.filter(archived=False)
    if membership is None:
        return qs.none()
    if is_tenant_admin(membership):
        return qs
    my_teams = TeamMembership.objects.filter(user_id=membership.user_id).values("team_id")
    granted = CapabilityVisibility.objects.filter(capability=OuterRef("pk"), team_id__in=my_teams)
    return qs.filter(Q(visibility=Visibility.TENANT) | Q(owner_team_id__in=my_teams) | Exists(granted))


def visible_capability(membership: Membership | None, *, slug: str) -> Capability | None:
    """One capability the member may see (archived included, with its owner team), or None.

    `slug` may come from a query string: a NUL character, which PostgreSQL refuses even as a lookup
    parameter (a DataError, so a 500), matches nothing.
    """
    if not slug or "\x00" in slug:
        return None
    return (
        visible_capabilities(membership, include_archived=True)
        .select_related("owner_team")
        .filter(slug=slug)
        .first()
    )


def links_in_kind_order() -> Prefetch:
    """Links grouped as the kinds are declared (docs and getting started first), not alphabetically."""
    order = Case(
        *[When(kind=kind, then=Value(i)) for i, kind in enumerate(LinkKind.values)],
        default=Value(len(LinkKind.values)),
        output_field=IntegerField(),
    )
    return Prefetch("links", queryset=CapabilityLink.objects.order_by(order, "title", "id"))


def with_unseen_dependencies(
    membership: Membership | None, capability: Capability, chosen: list[Capability]
) -> list[Capability]:
    """`chosen` plus the current dependencies the editor cannot see (team-restricted or archived).

    Edit forms and the API offer only visible capabilities; without this, saving would silently drop
    dependencies the editor never saw.
    """
    visible = visible_capabilities(membership).values("pk")
    # Not `capability.dependencies`: it may carry a prefetch already filtered to the visible ones.
    unseen = Capability.objects.filter(dependant_links__capability=capability).exclude(pk__in=visible)
    return [*chosen, *unseen]


def _with_cards(qs: QuerySet) -> QuerySet:
    return qs.select_related("owner_team").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def capability_list(
    membership: Membership | None,
    *,
    q: str = "",
    filters: dict[str, Any] | None = None,
    sort: str = "",
    include_archived: bool = False,
    team_ids: list[int] | None = None,
) -> QuerySet[Capability]:
    """Capabilities the member may see, filtered, searched (ranked) and sorted."""
    qs = visible_capabilities(membership, include_archived=include_archived)
    filters = filters or {}
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("lifecycle"):
        qs = qs.filter(lifecycle=filters["lifecycle"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("team"):
        qs = qs.filter(owner_team__slug=filters["team"])
    if filters.get("tag"):
        tagged = CapabilityTag.objects.filter(capability=OuterRef("pk"), tag__name=filters["tag"])
        qs = qs.filter(Exists(tagged))
    if team_ids is not None:
        qs = qs.filter(owner_team_id__in=team_ids)
    if q.strip():
        qs = search.apply(qs, q)
        if sort in SORTS:
            qs = qs.order_by(*SORTS[sort])
    else:
        qs = qs.order_by(*SORTS.get(sort, SORTS["name"]))
    return _with_cards(qs)


def capability_detail(membership: Membership | None, *, slug: str) -> Capability | None:
    """One capability with everything its page shows, or None if it does not exist for this member."""
    visible = visible_capabilities(membership, include_archived=True)
    deps = visible_capabilities(membership).select_related("owner_team").order_by("name")
    return (
        visible.select_related("owner_team")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            links_in_kind_order(),
            Prefetch("dependencies", queryset=deps, to_attr="visible_dependencies"),
            Prefetch("dependants", queryset=deps, to_attr="visible_dependants"),
            Prefetch("visible_to_teams", queryset=Team.objects.order_by("name")),
        )
        .filter(slug=slug)
        .first()
    )


@dataclass(frozen=True)
class Facets:
    categories: list[str]
    teams: list[Team]
    tags: list[str]
    lifecycles: list[tuple[str, str]]
    statuses: list[tuple[str, str]]


def facets(membership: Membership | None) -> Facets:
    """Choices for the list filters: three queries, whatever the catalog size."""
    visible = visible_capabilities(membership)
    # Distinct in the database: one row per value, not one per capability (or per tagging).
    categories = sorted(visible.exclude(category="").order_by().values_list("category", flat=True).distinct())
    teams = list(Team.objects.filter(pk__in=visible.values("owner_team_id")).order_by("name"))
    tags = list(
        Tag.objects.filter(capabilities__in=visible.values("pk"))
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return Facets(
        categories=categories,
        teams=teams,
        tags=tags,
        lifecycles=list(Lifecycle.choices),
        statuses=list(Status.choices),
    )
