"""Reads for catalog pages and API: a constant number of queries whatever the catalog size.

Visibility: a capability marked "only listed teams" is seen by tenant admins, members of its owning team and
members of the listed teams; for everybody else it does not exist (404, absent from lists and search).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from catalog import facets as catalog_facets
from catalog import search
from catalog.models import (
    Capability,
    CapabilityLink,
    CapabilityTag,
    CapabilityVisibility,
    FacetKind,
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


def may_see_capability(membership: Membership | None, capability: Capability) -> bool:
    """Whether the member may see `capability` (archived included), by the rule of `visible_capabilities`.

    Decided without a query where the answer does not depend on teams (a tenant-wide capability, a tenant
    admin); a team-restricted capability asks the database with `visible_capabilities` itself. For hot
    single-row checks (a vote), where building the visibility subqueries costs more than the write.
    """
    if membership is None:
        return False
    if capability.visibility == Visibility.TENANT or is_tenant_admin(membership):
        return True
    return visible_capabilities(membership, include_archived=True).filter(pk=capability.pk).exists()


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


def with_tag(qs: QuerySet, name: str) -> QuerySet:
    """The capabilities of `qs` carrying the tag `name` (page and API filter).

    The tag's id is looked up first (one indexed row) and given to the filter as a value: the planner then
    knows from its statistics how common the tag is. A tag on a third of 20,000 capabilities walks the name
    index and stops after a page (0.25 ms); a rare one fetches its few rows and sorts them. With the id as a
    subquery the planner guessed 330 rows for every tag and sorted all 6,666 of the common one (12 ms); a
    join on the name crossed the tagged rows with every team (92 ms).
    """
    if "\x00" in name:  # PostgreSQL refuses it even as a parameter
        return qs.none()
    tag_id = Tag.objects.filter(name=name).values_list("id", flat=True).first()
    if tag_id is None:
        return qs.none()
    return qs.filter(Exists(CapabilityTag.objects.filter(capability=OuterRef("pk"), tag_id=tag_id)))


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
        qs = with_tag(qs, filters["tag"])
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
class Option:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Facets:
    """The list filters' choices with how many capabilities the member sees carry each, and the total."""

    total: int
    categories: list[Option]
    teams: list[Option]
    tags: list[Option]
    lifecycles: list[Option]
    statuses: list[Option]

    def count_for(self, filters: dict[str, Any]) -> int | None:
        """How many capabilities the list shows for these filters, when the counts know it: no filter or
        exactly one. None for combinations (the list then pages without a total)."""
        chosen = [(key, filters[key]) for key in FILTER_KEYS if filters.get(key)]
        if not chosen:
            return self.total
        if len(chosen) > 1:
            return None
        key, value = chosen[0]
        options = {"category": self.categories, "lifecycle": self.lifecycles, "team": self.teams,
                   "tag": self.tags, "status": self.statuses}[key]  # fmt: skip
        return next((o.count for o in options if o.value == value), 0)


def facets(membership: Membership | None) -> Facets:
    """Choices and counts for the list filters: four small queries, whatever the catalog size.

    Tenant-wide capabilities are counted by `FacetCount` (kept exact by the services, catalog.facets);
    the team-restricted ones this member may see are few and counted here, each once."""
    counts = catalog_facets.stored(filters=True) if membership is not None else {}
    restricted = visible_capabilities(membership).exclude(visibility=Visibility.TENANT)
    # One row per restricted capability and tag (one query for both): no name, since its words (search's
    # vocabulary) are counted tenant-wide already.
    rows: dict[int, tuple[dict, list[str]]] = {}
    for row in restricted.values(
        "pk", "archived", "visibility", "owner_team_id", "category", "lifecycle", "status", "tags__name"
    ):
        tag = row.pop("tags__name")
        _, tags = rows.setdefault(row.pop("pk"), (row, []))
        if tag is not None:
            tags.append(tag)
    extra: Counter = Counter()
    for row, tags in rows.values():
        extra.update(catalog_facets.contribution({**row, "visibility": Visibility.TENANT}, tags))
    for key, n in extra.items():
        counts[key] = counts.get(key, 0) + n
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, value), n in counts.items():
        by_kind.setdefault(kind, {})[value] = n
    team_counts = by_kind.get(FacetKind.TEAM, {})
    teams = Team.objects.filter(pk__in=[int(pk) for pk in team_counts]).order_by("name")
    lifecycle_counts = by_kind.get(FacetKind.LIFECYCLE, {})
    status_counts = by_kind.get(FacetKind.STATUS, {})
    return Facets(
        total=by_kind.get(FacetKind.TOTAL, {}).get("", 0),
        categories=_options(by_kind.get(FacetKind.CATEGORY, {})),
        teams=[Option(t.slug, t.name, team_counts[str(t.pk)]) for t in teams],
        tags=_options(by_kind.get(FacetKind.TAG, {})),
        lifecycles=[Option(v, str(label), lifecycle_counts.get(v, 0)) for v, label in Lifecycle.choices],
        statuses=[Option(v, str(label), status_counts.get(v, 0)) for v, label in Status.choices],
    )


def _options(counts: dict[str, int]) -> list[Option]:
    return [Option(value, value, n) for value, n in sorted(counts.items())]
