"""Reads for accounts pages and API (constant query counts)."""

from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from portal.accounts.models import ApiToken, AuditEntry, Invitation, Team, TeamMembership, TeamRole
from portal.tenancy.models import Membership, Role


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


def team_admin_list() -> QuerySet[Team]:
    """Every team, archived ones last, with member counts (tenant admin list; two queries at most)."""
    return team_list().order_by(F("archived_at").asc(nulls_first=True), "name")


def team_members(team: Team) -> QuerySet[TeamMembership]:
    return TeamMembership.objects.filter(team=team).select_related("user").order_by("-role", "user__username")


def tenant_members() -> QuerySet[Membership]:
    """The tenant's memberships with user and team count (one query)."""
    return (
        Membership.objects.select_related("user")
        .annotate(
            team_count=Count(
                "user__team_memberships", filter=Q(user__team_memberships__tenant_id=F("tenant_id"))
            )
        )
        .order_by("user__username")
    )


def admin_count() -> int:
    return Membership.objects.filter(role=Role.ADMIN).count()


def pending_invitations() -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("team", "invited_by")
        .order_by("-created_at", "-id")
    )


def recent_invitations(limit: int = 20) -> QuerySet[Invitation]:
    """Accepted, revoked and expired invitations, newest first (shown below the pending ones)."""
    return (
        Invitation.objects.exclude(pk__in=pending_invitations().values("pk"))
        .select_related("team", "invited_by", "accepted_by")
        .order_by("-created_at", "-id")[:limit]
    )


def audit_entries(*, action: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    """Audit entries, newest first, filtered by exact action and by actor username."""
    qs = AuditEntry.objects.order_by("-at", "-id")
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_label=actor)
    return qs


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())
