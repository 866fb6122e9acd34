"""Reads of the board: a constant number of queries whatever the number of requests, votes and comments.

Visibility follows the catalog: a request filed against a capability the member cannot see (an early-access
capability of other teams) does not exist for them; requests filed against no capability are seen by all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from catalog.models import Capability
from catalog.selectors import may_see_capability, visible_capabilities
from portal.plugins.api import Membership, Role, Team, TeamMembership, is_tenant_admin
from requests_app import search
from requests_app.models import (
    OPEN_STATUSES,
    Comment,
    FeatureRequest,
    RequestStatus,
    RequestTag,
    StatusChange,
    Vote,
)
from requests_app.permissions import can_triage, triage_checker

SORTS = {
    "top": ("-vote_count", "-id"),
    "trending": ("-trend_score", "-id"),
    "newest": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}
SORT_LABELS = {"top": "Top", "trending": "Trending", "newest": "Newest", "updated": "Recently updated"}
STATUS_GROUPS = {"open": OPEN_STATUSES, "closed": ("shipped", "declined", "duplicate")}
RECENTLY_SHIPPED_DAYS = 90
ROADMAP_COLUMN_LIMIT = 50


def visible_requests(membership: Membership | None) -> QuerySet[FeatureRequest]:
    if membership is None:
        return FeatureRequest.objects.none()
    qs = FeatureRequest.objects.all()
    if is_tenant_admin(membership):
        return qs
    seen = visible_capabilities(membership, include_archived=True).values("pk")
    return qs.filter(Q(capability__isnull=True) | Q(capability_id__in=seen))


def _for_cards(qs: QuerySet[FeatureRequest], membership: Membership | None) -> QuerySet[FeatureRequest]:
    user_id = membership.user_id if membership is not None else None
    return (
        qs.select_related("capability", "capability__owner_team", "author")
        .prefetch_related(Prefetch("tags", queryset=RequestTag.objects.order_by("name")))
        .annotate(my_vote=Exists(Vote.objects.filter(request=OuterRef("pk"), user_id=user_id)))
    )


def request_list(
    membership: Membership | None,
    *,
    q: str = "",
    filters: dict[str, Any] | None = None,
    sort: str = "top",
) -> QuerySet[FeatureRequest]:
    """The board: filters `capability` (slug), `status` (a status, "open" or "closed"), `tag`, `team`
    (owning team slug), `mine` (filed by me), `voted` (voted by me); sorts of SORTS; `q` free text."""
    filters = filters or {}
    qs = visible_requests(membership)
    user_id = membership.user_id if membership is not None else None
    if filters.get("capability"):
        qs = qs.filter(capability__slug=filters["capability"])
    status = filters.get("status") or ""
    if status in STATUS_GROUPS:
        qs = qs.filter(status__in=STATUS_GROUPS[status])
    elif status and status != "any":
        qs = qs.filter(status=status)
    if filters.get("tag"):
        qs = qs.filter(Exists(RequestTag.objects.filter(request=OuterRef("pk"), name=filters["tag"])))
    if filters.get("team"):
        qs = qs.filter(capability__owner_team__slug=filters["team"])
    if filters.get("mine"):
        qs = qs.filter(author_id=user_id)
    if filters.get("voted"):
        qs = qs.filter(Exists(Vote.objects.filter(request=OuterRef("pk"), user_id=user_id)))
    if q.strip():
        matches = search.similar(FeatureRequest.objects.all(), q).values("pk")
        qs = qs.filter(pk__in=matches)
    return _for_cards(qs.order_by(*SORTS.get(sort, SORTS["top"])), membership)


def request_detail(membership: Membership | None, *, number: int) -> FeatureRequest | None:
    return (
        _for_cards(visible_requests(membership), membership)
        .select_related("duplicate_of")
        .filter(number=number)
        .first()
    )


def request_to_vote_on(
    membership: Membership | None, *, number: int, lock: bool = False, for_answer: bool = False
) -> FeatureRequest | None:
    """Request `number` if the member may see it (else None, a 404), for a vote or unvote.

    The rule of `visible_requests`, decided for one row: the request with its capability in one small
    query, then `may_see_capability`, which asks the database again only for a team-restricted
    capability. Building `visible_requests`' nested subqueries was half of a vote's time; none of the
    card's joins either. `lock`: the vote services' read, inside their transaction, which locks the
    request row (`of=("self",)`: never the joined ones) and reads all of it (`for_answer`: with the author
    the vote's answer shows), so one statement finds, checks and locks the row the vote writes.
    `tests/requests_app/test_vote_queries.py` checks this rule agrees with the board's.
    """
    if membership is None:
        return None
    found = FeatureRequest.objects.filter(number=number).select_related("capability")
    if lock:
        found = found.select_for_update(of=("self",))
        if for_answer:
            found = found.select_related("capability", "author")
    else:
        found = found.only("pk", "number", "capability__visibility")
    row = found.first()
    if row is None:
        return None
    if row.capability is not None and not may_see_capability(membership, row.capability):
        return None
    return row


def comments_for(membership: Membership | None, feature_request: FeatureRequest) -> list[Comment]:
    """The request's comments and those of the visible requests merged into it, oldest first. Internal
    notes only for those who triage the request they were written on (a merged duplicate may belong to
    another team's capability). Two queries, however many comments and duplicates."""
    merged = visible_requests(membership).filter(duplicate_of=feature_request).values("pk")
    rows = Comment.objects.filter(Q(request=feature_request) | Q(request_id__in=merged))
    rows = rows.select_related("author", "deleted_by", "request", "request__capability").order_by(
        "created_at", "id"
    )
    may_triage = triage_checker(membership)
    return [c for c in rows if not c.internal or may_triage(c.request)]


def comment_of(membership: Membership | None, feature_request: FeatureRequest, pk: int) -> Comment | None:
    """One comment of `feature_request` (never of another request), as the member may see it: internal
    notes exist only for those who triage the request. Pages and API resolve comments only through this."""
    comment = (
        Comment.objects.filter(request=feature_request, pk=pk).select_related("author", "deleted_by").first()
    )
    if comment is None or (comment.internal and not can_triage(membership, feature_request)):
        return None
    comment.request = feature_request  # the resolved request, with its capability (permissions read it)
    return comment


def history_of(feature_request: FeatureRequest) -> list[StatusChange]:
    return list(
        StatusChange.objects.filter(request=feature_request)
        .select_related("actor", "related")
        .order_by("created_at", "id")
    )


def duplicates_of(feature_request: FeatureRequest) -> list[FeatureRequest]:
    return list(
        FeatureRequest.objects.filter(duplicate_of=feature_request)
        .select_related("capability")
        .order_by("number")
    )


def voters_of(feature_request: FeatureRequest, limit: int = 100) -> list[Vote]:
    return list(
        Vote.objects.filter(request=feature_request)
        .select_related("user", "recorded_by")
        .order_by("-id")[:limit]
    )


@dataclass(frozen=True)
class TeamDemand:
    team: Team | None  # None: voters in no team
    voters: int


def demand_by_team(feature_request: FeatureRequest) -> list[TeamDemand]:
    """How many voters each team has among the request's voters (a person in two teams counts in both);
    for maintainers deciding what to build. Two queries."""
    voters = Vote.objects.filter(request=feature_request).values("user_id")
    rows = (
        TeamMembership.objects.filter(user_id__in=voters)
        .values("team_id")
        .annotate(n=Count("user_id", distinct=True))
        .order_by("-n", "team_id")
    )
    counts = {row["team_id"]: row["n"] for row in rows}
    teams = Team.objects.in_bulk(list(counts))
    in_teams = TeamMembership.objects.filter(user_id=OuterRef("user_id"))
    teamless = Vote.objects.filter(request=feature_request).exclude(Exists(in_teams)).count()
    result = [TeamDemand(team=teams[tid], voters=n) for tid, n in counts.items() if tid in teams]
    result.sort(key=lambda d: (-d.voters, d.team.name if d.team else ""))
    if teamless:
        result.append(TeamDemand(team=None, voters=teamless))
    return result


def requests_of_author(membership: Membership | None, *, limit: int = 5) -> list[FeatureRequest]:
    """Requests the member filed that they can still see: open ones first, then by latest activity."""
    if membership is None:
        return []
    open_first = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1))
    return list(
        visible_requests(membership)
        .filter(author_id=membership.user_id)
        .select_related("capability")
        .order_by(open_first, "-updated_at", "-id")[:limit]
    )


def similar_requests(
    membership: Membership | None, title: str, *, exclude_pk: int | None = None, limit: int = 5
) -> list[FeatureRequest]:
    """Requests resembling a title being typed, best match first, so people vote instead of re-filing.

    A request closed as a duplicate is never offered (its votes moved away): its merge target stands in its
    place, once, if the member may see it. Two queries (three when a duplicate matched)."""
    qs = search.similar(visible_requests(membership), title)
    found = list(qs.select_related("capability", "duplicate_of", "duplicate_of__capability")[: limit * 3])
    target_ids = {r.duplicate_of_id for r in found if r.duplicate_of_id}
    visible_targets = (
        set(visible_requests(membership).filter(pk__in=target_ids).values_list("pk", flat=True))
        if target_ids
        else set()
    )
    offered: list[FeatureRequest] = []
    for candidate in found:
        if candidate.duplicate_of_id:
            if candidate.duplicate_of_id not in visible_targets:
                continue
            candidate = candidate.duplicate_of
        if candidate.pk == exclude_pk or any(o.pk == candidate.pk for o in offered):
            continue
        offered.append(candidate)
    return offered[:limit]


@dataclass(frozen=True)
class Roadmap:
    planned: list[FeatureRequest]
    in_progress: list[FeatureRequest]
    shipped: list[FeatureRequest]


def roadmap(membership: Membership | None, *, capability: Capability | None = None) -> Roadmap:
    """Planned, in progress and shipped in the last RECENTLY_SHIPPED_DAYS days, most wanted first."""
    qs = visible_requests(membership)
    if capability is not None:
        qs = qs.filter(capability=capability)
    since = timezone.now() - timedelta(days=RECENTLY_SHIPPED_DAYS)
    rows = list(
        _for_cards(
            qs.filter(
                Q(status__in=[RequestStatus.PLANNED, RequestStatus.IN_PROGRESS])
                | Q(status=RequestStatus.SHIPPED, status_changed_at__gte=since)
            ).order_by("-vote_count", "-id"),
            membership,
        )
    )
    column = {s: [r for r in rows if r.status == s] for s in ("planned", "in_progress", "shipped")}
    column["shipped"].sort(key=lambda r: r.status_changed_at or r.created_at, reverse=True)
    return Roadmap(
        planned=column["planned"][:ROADMAP_COLUMN_LIMIT],
        in_progress=column["in_progress"][:ROADMAP_COLUMN_LIMIT],
        shipped=column["shipped"][:ROADMAP_COLUMN_LIMIT],
    )


def top_open_for_capability(
    membership: Membership | None, capability: Capability, *, limit: int = 5
) -> tuple[list[FeatureRequest], int]:
    """The capability page's panel: its most wanted open requests, and how many are open in all."""
    qs = visible_requests(membership).filter(capability=capability, status__in=OPEN_STATUSES)
    top = list(_for_cards(qs.order_by("-vote_count", "-id"), membership)[:limit])
    total = len(top) if len(top) < limit else qs.count()
    return top, total


def capabilities_with_requests(membership: Membership | None) -> list[tuple[str, str]]:
    """(slug, name) of the capabilities the member sees that have requests: the capability pickers."""
    # EXISTS from the (few) capabilities, one index probe each, rather than a join over every request
    # with a DISTINCT (bench/board.py: 50 ms at 100,000 requests). A request on a visible capability is
    # itself visible, so this is exactly the capabilities of the requests the member sees.
    return list(
        visible_capabilities(membership, include_archived=True)
        .filter(Exists(FeatureRequest.objects.filter(capability=OuterRef("pk"))))
        .order_by("name")
        .values_list("slug", "name")
    )


@dataclass(frozen=True)
class Facets:
    capabilities: list[tuple[str, str]]
    teams: list[tuple[str, str]]
    tags: list[str]
    statuses: list[tuple[str, str]]


def facets(membership: Membership | None) -> Facets:
    """Choices of the board's filters (three queries, whatever the board's size)."""
    visible = visible_requests(membership)
    capabilities = capabilities_with_requests(membership)
    # Teams owning a visible capability that has requests: EXISTS from the teams' side, like the above
    # (a join over every request with a DISTINCT took 125 ms at 100,000 requests).
    with_requests = (
        visible_capabilities(membership, include_archived=True)
        .filter(owner_team=OuterRef("pk"))
        .filter(Exists(FeatureRequest.objects.filter(capability=OuterRef("pk"))))
    )
    teams = list(Team.objects.filter(Exists(with_requests)).order_by("name").values_list("slug", "name"))
    tags = list(
        RequestTag.objects.filter(request__in=visible.values("pk"))
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    statuses = [("open", "Open"), ("closed", "Closed"), *RequestStatus.choices]
    return Facets(capabilities=capabilities, teams=teams, tags=tags, statuses=statuses)


# --- pickers of the triage forms (merge target, colleague whose vote is recorded) ---------------------------
PICKER_LIMIT = 8
_NUMBER = re.compile(r"^\s*#?\s*(\d{1,9})\s*$")


def merge_targets(
    membership: Membership | None, source: FeatureRequest, q: str, *, limit: int = PICKER_LIMIT
) -> list[FeatureRequest]:
    """Requests `source` may be merged into, matching `q` (a number, `#12`, or words of the title).

    Only what the member sees and triages (a merge changes both requests), never `source` itself, and
    never a closed duplicate: a match that was merged elsewhere is offered as the request it was merged
    into. Open requests first, then the most voted. Three queries whatever the matches.
    """
    q = q[:200].replace("\x00", "")
    seen = visible_requests(membership).exclude(pk=source.pk)
    number = _NUMBER.match(q)
    if number is not None:
        found = seen.filter(number=int(number.group(1)))
    else:
        terms = [t for t in re.findall(r"\w+", q.lower()) if len(t) >= 2][:6]
        if not terms:
            return []
        match = Q()
        for term in terms:
            match &= Q(title__icontains=term)
        found = seen.filter(match)
    rows = list(found.select_related("capability").order_by("-vote_count", "-number")[: limit * 3])
    pointed = {r.duplicate_of_id for r in rows if r.status == RequestStatus.DUPLICATE and r.duplicate_of_id}
    targets = {r.pk: r for r in seen.filter(pk__in=pointed).select_related("capability")} if pointed else {}
    may_triage = triage_checker(membership)
    offered: dict[int, FeatureRequest] = {}
    for row in rows:
        item = targets.get(row.duplicate_of_id) if row.status == RequestStatus.DUPLICATE else row
        if item is None or item.status == RequestStatus.DUPLICATE or item.pk in offered:
            continue
        if may_triage(item):
            offered[item.pk] = item
    return sorted(offered.values(), key=lambda r: (not r.is_open, -r.vote_count, -r.number))[:limit]


def colleagues(q: str, *, limit: int = PICKER_LIMIT) -> list[Membership]:
    """Members of the current tenant who may vote (not viewers), matching `q` by username or name."""
    q = q[:150].replace("\x00", "").strip()
    if len(q) < 1:
        return []
    match = Q()
    for term in q.split()[:3]:
        match &= (
            Q(user__username__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
        )
    return list(
        Membership.objects.filter(match)
        .exclude(role=Role.VIEWER)
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("user__username")[:limit]
    )
