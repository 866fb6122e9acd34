"""Reads for accounts pages and API (constant query counts)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from portal.accounts.models import ApiToken, Team, TeamMembership, TeamRole
from portal.tenancy.models import Membership


def team_list() -> QuerySet[Team]:
    return Team.objects.annotate(
        member_count=Count("memberships", distinct=True),
        maintainer_count=Count("memberships", filter=Q(memberships__role=TeamRole.MAINTAINER), distinct=True),
    ).order_by("name")


def team_detail(*, slug: str) -> Team | None:
    return (
        Team.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=TeamMembership.objects.select_related("user").order_by("-role", "user__username"),
            )
        )
        .first()
    )


def tokens_of(membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=membership).order_by("revoked_at", "-created_at")


def teams_of_user(user_id: int) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user_id=user_id).order_by("name")
