"""Who may do what inside a tenant. Roles: tenant admin, team maintainer, member, viewer.

Plain functions serve pages and services; the DRF classes below wrap them for the API.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.accounts.models import Team, TeamMembership, TeamRole
from portal.tenancy.models import Membership, Role


def membership_of(request: Any) -> Membership | None:
    return getattr(request, "membership", None) or getattr(
        getattr(request, "_request", None), "membership", None
    )


def is_tenant_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.ADMIN


def can_write(membership: Membership | None) -> bool:
    """Members and admins may file, vote and comment; viewers only read."""
    return membership is not None and membership.role in {Role.ADMIN, Role.MEMBER}


def maintained_team_ids(membership: Membership | None) -> set[int]:
    if membership is None:
        return set()
    return set(
        TeamMembership.objects.filter(user_id=membership.user_id, role=TeamRole.MAINTAINER).values_list(
            "team_id", flat=True
        )
    )


def can_maintain(membership: Membership | None, team: Team | int | None) -> bool:
    """Tenant admins maintain everything; otherwise the user must be a maintainer of `team`."""
    if membership is None or team is None:
        return False
    if is_tenant_admin(membership):
        return True
    team_id = team if isinstance(team, int) else team.pk
    return TeamMembership.objects.filter(
        user_id=membership.user_id, team_id=team_id, role=TeamRole.MAINTAINER
    ).exists()


class IsTenantMember(BasePermission):
    """Authenticated, and a member of the tenant the request runs in; viewers may only read."""

    message = "You are not a member of this tenant, or your role does not allow this."

    def has_permission(self, request, view) -> bool:
        membership = membership_of(request)
        if membership is None or not request.user or not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or can_write(membership)


class IsTenantAdmin(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_tenant_admin(membership_of(request))
